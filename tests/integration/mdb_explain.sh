#!/bin/bash
# mdb_explain: ADDR::explain (src/mdb/explain.c) on the dumps of a write
# after free into a list node, under KMEM_FLAGS=0xf:
#   - found when the program ends (the exit verify) and when it aborts
#     right after the bug (with a whole dump, and with dump=heap): the dump keeps the bytes the bug wrote (the
#     library does not repair a buffer before the dump), and ::explain
#     lists exactly the modified words with their values;
#   - its history: the free then the allocation, newest first, with the
#     program's functions; its neighbours in the slab; the one pointer to
#     it the program kept (a global), the allocator's own records counted;
#   - an interior address gives the same buffer; an address that is not
#     in the heap gives ::whatis's answer only; no address is a usage error.
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 180
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat >node.c <<'EOF2'
#include <stdlib.h>
#include <string.h>
struct rec { struct rec *next; char name[40]; };
struct rec *volatile head, *volatile stale;
__attribute__((noinline)) struct rec *rec_new(void) { return malloc(sizeof (struct rec)); }
__attribute__((noinline)) void rec_drop(struct rec *r) { free(r); }
int main(int argc, char **argv) {
	(void) argv;
	for (int i = 0; i < 10; i++) {
		struct rec *r = rec_new();
		r->next = head;
		head = r;
	}
	stale = head->next->next;
	head->next->next = stale->next;
	rec_drop(stale);
	stale->name[3] = 'X';
	stale->name[17] = 'Y';
	if (argc > 1)
		abort();
	return 0;
}
EOF2
# (no sibling calls: rec_drop's frame must be in the stacks at -O2 too)
cc -O2 -g -fno-optimize-sibling-calls -o node node.c || exit 1
# heap: the abort, with UMEM_OPTIONS=dump=heap (the allocator's memory,
# stacks and data segments, whose .bss holds st_root).
for how in exit abort heap; do
	mkdir "d.$how"
	arg="" opts=""
	[ $how != exit ] && arg=x
	[ $how = heap ] && opts=dump=heap
	(cd "d.$how" && env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
	    UMEM_OPTIONS=$opts timeout 60 ../node $arg >stdout 2>stderr \
	    </dev/null) 2>/dev/null
	cd "d.$how" || exit 1
	if [ ! -f vmcore.0 ]; then
		fail "$how: no dump: $(tail -3 stderr)"
		cd .. && continue
	fi
	grep -q 'buffer modified after being freed' stderr ||
	    fail "$how: no report: $(tail -5 stderr)"
	mdb -e '::msgbuf' 0
	buf=$(sed -n 's/^buffer=\([0-9a-f]*\)  .*/\1/p' out | head -1)
	mdb -e "$(printf '%x' $((0x$buf + 24)))::explain" 0
	[ $st -eq 0 ] || fail "$how: ::explain: status $st: $(cat err)"
	sed -n '/^integrity:$/,/^$/p' out >integrity.out
	cat >integrity.want <<EOF2
integrity:
  modified after it was freed; the words that are not 0xdeadbeefdeadbeef:
    offset 0x8    deadbeef58adbeef
    offset 0x18   deadbeefdead59ef

EOF2
	diff -u integrity.want integrity.out >diff.out ||
	    fail "$how: integrity: $(cat diff.out)"
	# History: newest first, the free by rec_drop, then rec_new's alloc.
	sed -n '/^history/,/^neighbours/p' out |
	    grep -o '^	 rec_[a-z]*' | tr -d '\t ' >hist.out
	same "$(cat hist.out)" "$(printf 'rec_drop\nrec_new')" ||
	    fail "$how: history: $(sed -n '/^history/,/^neighbours/p' out)"
	grep -q "^$(printf '%x' $((0x$buf + 24))) is $buf+18, " out ||
	    fail "$how: what: $(head -3 out)"
	grep -q '^  before: [0-9a-f]*, allocated; its last transaction:$' out &&
	    grep -q '^  after: *[0-9a-f]*, allocated; its last transaction:$' out ||
	    fail "$how: neighbours: $(sed -n '/^neighbours/,/^pointers/p' out)"
	sed -n '/^pointers to it:$/,$p' out >ptrs.out
	# The global; a dead stack slot below a stack pointer may hold it too.
	same "$(grep ' holds ' ptrs.out | grep -vc "is in thread [0-9]*'s stack")" 1 &&
	    grep -q "^  [0-9a-f]* holds $buf: [0-9a-f]* is [0-9a-f]*, stale in node$" ptrs.out &&
	    grep -q "^  (and [0-9]* in the allocator's own records" ptrs.out ||
	    fail "$how: pointers: $(cat ptrs.out)"
	cd .. || exit 1
done

cd "$work/d.abort" || exit 1
mdb -e 'main::explain' 0
[ $st -eq 0 ] && grep -q '^[0-9a-f]* is [0-9a-f]*, main in node' out &&
    ! grep -q '^integrity' out ||
    fail "main::explain: status $st: $(cat out) $(cat err)"
mdb -e '::explain' 0
[ $st -eq 1 ] && grep -q 'usage:' err || fail "::explain alone: $(cat err)"

[ $fails -eq 0 ] && echo "mdb_explain: all checks passed"
[ $fails -eq 0 ]
