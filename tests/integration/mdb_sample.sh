#!/bin/bash
# mdb_sample: the debugger knows the sampled firewall's buffers
# (UMEM_DEBUG=firewall,sample; firewall.c section 9, found through
# st_root's sr_firewall).  A program at sample=1 (its first 256 mallocs
# take the pool's slots, the rest the caches) keeps a pointer to a cache
# buffer only inside a sampled one, loses a sampled buffer and a cache
# one, and aborts; on its dump, in -O0 and -O2 builds:
#   - ::findleaks finds exactly the two lost buffers (the cache buffer
#     reached through the sampled one is no leak: the sampled buffers are
#     scanned), the sampled one with its allocation's caller, work;
#     ::findleaks -d titles it "sampled firewall leak";
#   - ADDR::whatis says the sampled buffer is one, allocated, with its
#     record;
#   - ::kmem_verify finds the byte written into a sampled buffer's slack;
#   - the library's own leak check at exit agrees (same program, exit).
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 300
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat >lost.c <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
void *volatile keep[300];
__attribute__((noinline)) static void work(void) {
	for (int i = 0; i < 300; i++)
		keep[i] = calloc(1, 64);
	((void **)keep[0])[0] = malloc(99);
	free(keep[3]);
	keep[3] = malloc(60);           /* its slot again: 4 bytes of slack */
	((char *volatile)keep[3])[61] = 'Z';
	void *volatile lost = malloc(77);
	lost = keep[1];
	keep[1] = NULL;
	lost = NULL;
	(void) lost;
}
/* 8 KB below main, then wiped: no dead frame keeps a lost pointer. */
__attribute__((noinline)) static void deep(void) {
	volatile char pad[8192];
	pad[0] = 1;
	work();
	(void) pad[0];
}
__attribute__((noinline)) static void scrub(void) {
	volatile char junk[16384];
	for (size_t i = 0; i < sizeof (junk); i++)
		junk[i] = 0;
}
int main(int argc, char **argv) {
	(void) argv;
	deep();
	scrub();
	printf("%p\n", keep[2]);
	fflush(stdout);
	if (argc > 1)
		abort();
	return 0;
}
EOF2
for opt in -O0 -O2; do
	cc $opt -g -o lost lost.c || exit 1
	rm -rf d && mkdir d && cd d || exit 1
	(env LD_PRELOAD="$ST_SO" UMEM_DEBUG=firewall,sample=1 \
	    timeout 60 ../lost x >stdout 2>stderr </dev/null) 2>/dev/null
	if [ ! -f vmcore.0 ]; then
		fail "$opt: no dump: $(tail -3 stderr)"
		cd .. && continue
	fi
	mdb -e '::findleaks' ../lost vmcore.0
	grep -q '^ *Total *2 buffers, 144 bytes$' out ||
	    fail "$opt: ::findleaks: $(cat out err)"
	grep -q '^ *64 *1 [0-9a-f]* work+0x[0-9a-f]*$' out ||
	    fail "$opt: ::findleaks: no sampled leak from work: $(cat out)"
	mdb -e '::findleaks -d' ../lost vmcore.0
	grep -qx 'sampled firewall leak: 1 buffer, 64 bytes each, 64 bytes total' out ||
	    fail "$opt: ::findleaks -d: the sampled leak's title: $(grep leak: out)"
	kept=$(sed 's/^0x//' stdout)
	mdb -e "$kept::whatis" ../lost vmcore.0
	grep -q "^$kept is $kept, bufctl [0-9a-f]* allocated from the sampled firewall.s slots$" out ||
	    fail "$opt: ::whatis: $(cat out err)"
	mdb -e '::kmem_verify' ../lost vmcore.0
	grep -q '^  sampled buffer [0-9a-f]* (allocated, 60 bytes) has a corrupt redzone, at [0-9a-f]* (offset 61): 0xbb replaced by 0x5a$' out ||
	    fail "$opt: ::kmem_verify: $(tail -3 out) $(cat err)"
	env LD_PRELOAD="$ST_SO" UMEM_DEBUG=firewall,sample=1 \
	    UMEM_OPTIONS=leakcheck timeout 60 ../lost >stdout 2>stderr </dev/null
	st=$?
	[ $st -eq 23 ] && grep -q '144 byte(s) leaked in 2 allocation(s)' stderr ||
	    fail "$opt: leak check at exit: status $st: $(tail -5 stderr)"
	cd .. || exit 1
done
[ $fails -eq 0 ] && echo "mdb_sample: all checks passed"
[ $fails -eq 0 ]
