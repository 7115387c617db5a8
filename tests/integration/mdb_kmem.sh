#!/bin/bash
# mdb_kmem: `slabtrace mdb`'s heap commands and walkers (src/mdb/kmem.c,
# kmstat.c, kmwalk.c, whatis.c, kmverify.c) on dumps of a program that
# holds 300 buffers of malloc(600) (kmem_alloc_640), 40 of malloc(1300)
# (kmem_alloc_1344), a freed 1300, two oversize buffers and a pointer in
# a global, then dies on a SIGSEGV:
#   - plain (UMEM_OPTIONS=signals), KMEM_FLAGS=0xf, UMEM_DEBUG=lite:
#     ::walk kmem_alloc_640 and kmem_alloc_1344 count exactly 300 and
#     40; ::kmem_cache and ::kmastat rows; ::whatis of an allocated
#     buffer, an interior address, the freed buffer, an oversize buffer,
#     a stack address, a global and an unknown address; ::kgrep finds
#     the global holding a buffer's address; ::kmem_verify clean;
#     ::walk kmem_alloc_640 | ::bufctl (0xf) a record per buffer; -j
#     output of every command parses;
#   - KMEM_FLAGS=0x4f (a firewall under every buffer): ::whatis names the
#     firewall arena, and kmem_alloc_640 holds nothing; with fwbelow (the
#     guard page first) the same, and ::kmem_verify finds them clean;
#   - 24 writes after free (UMEM_OPTIONS=sweep=0; the verify before the
#     dump reports the first 16 and repairs none, so the dump keeps the
#     evidence): CACHE::kmem_verify names all 24, each one of the
#     program's buffers, at offset 0x10, with the value written; an overrun into the size padding, a flipped bxstat
#     and a byte before a buffer: one line each, in mdb's words;
#   - big buffers under 0xf: a byte written past one's end and a write
#     after another's free, each a line of ::kmem_verify;
#   - damaged copies of a dump (a cache overwritten, a cache list that
#     loops, a slab list that loops): one line on stderr, no crash, no
#     hang (every run under `timeout`).
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 300
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat >hp.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
void *volatile g_ptr;			/* ::kgrep finds what it holds */
char g_data[64] = "hello";		/* ::whatis of a global */
static void *volatile k640[300], *volatile k1344[40], *volatile big[2];
static char *volatile fr[24];
static void say(const char *what, void *p) {
	char line[128];
	int n = snprintf(line, sizeof (line), "%s %lx\n", what,
	    (unsigned long)p);
	(void) write(1, line, (size_t)n);
}
int main(int argc, char **argv) {
	const char *how = argc > 1 ? argv[1] : "";
	char stackvar[32] = "on the stack";
	char *volatile freed;
	int i;

	for (i = 0; i < 300; i++)
		k640[i] = malloc(600);
	for (i = 0; i < 40; i++)
		k1344[i] = malloc(1300);
	freed = malloc(1300);
	free(freed);
	big[0] = malloc(200000);
	big[1] = malloc(300000);
	g_ptr = k640[7];
	say("buf640", k640[7]);
	say("freed1344", freed);
	say("big", big[1]);
	say("global", g_data);
	say("gptr", (void *)&g_ptr);
	say("stack", stackvar);
	if (strcmp(how, "uaf") == 0) {
		for (i = 0; i < 24; i++)
			fr[i] = malloc(1300);
		for (i = 0; i < 24; i++)
			free(fr[i]);
		for (i = 0; i < 24; i++) {
			fr[i][16] = 0x41;
			say("uaf", fr[i]);
		}
	}
	if (strcmp(how, "rz") == 0) {
		((volatile char *)k640[5])[600] = 0x41;		/* padding */
		((volatile char *)k640[6])[640 + 16] ^= 0x10;	/* bxstat */
		((volatile char *)k640[8])[-1] = 0x42;		/* before */
		((volatile char *)k640[9])[640 + 24 + 4] = 0x43; /* past tag */
		say("rz5", k640[5]);
		say("rz6", k640[6]);
		say("rz8", k640[8]);
		say("rz9", k640[9]);
	}
	*(volatile int *)0 = 1;
	return 0;
}
EOF
cc -O1 -g -fno-omit-frame-pointer -o hp hp.c || exit 1
run() {	# dir env... -- args
	local d=$1
	shift
	mkdir "$d"
	(cd "$d" && env LD_PRELOAD="$ST_SO" "$@" timeout 60 ../hp \
	    "${HP_ARG:-}" >addrs 2>stderr </dev/null) 2>/dev/null
	if [ ! -f "$d/vmcore.0" ]; then
		fail "$d: no dump"
		tail -5 "$d/stderr" | sed 's/^/    /'
	fi
}
run d.plain UMEM_OPTIONS=signals
run d.0xf KMEM_FLAGS=0xf
run d.lite UMEM_DEBUG=lite UMEM_OPTIONS=signals
run d.fw KMEM_FLAGS=0x4f
run d.fwb KMEM_FLAGS=0x4f UMEM_OPTIONS=fwbelow
HP_ARG=uaf run d.uaf KMEM_FLAGS=0xf UMEM_OPTIONS=sweep=0
HP_ARG=rz run d.rz KMEM_FLAGS=0xf UMEM_OPTIONS=sweep=0
[ $fails -eq 0 ] || exit 1

addr() { sed -n "s/^$1 //p" addrs | head -1; }
cache_addr() { timeout 60 "$ST_CLI" mdb -e "::kmem_cache -n $1" 0 |
    awk 'NR == 2 { print $1 }'; }
json_ok() {	# what: out must be one JSON value
	python3 -c 'import json, sys; json.load(open("out"))' 2>/dev/null ||
	    fail "$1: not JSON: $(head -c 300 out)"
}

# ---- the same heap seen through three debugging modes ----
for m in plain 0xf lite; do
	cd "$work/d.$m" || exit 1
	buf=$(addr buf640)
	freed=$(addr freed1344)
	big=$(addr big)
	glob=$(addr global)
	gptr=$(addr gptr)
	stk=$(addr stack)

	mdb -e '::walk kmem_alloc_640 ! wc -l' 0
	same "$(tr -d ' ' <out)" 300 || fail "$m: ::walk kmem_alloc_640"
	mdb -e '::walk kmem_alloc_1344 ! wc -l' 0
	same "$(tr -d ' ' <out)" 40 || fail "$m: ::walk kmem_alloc_1344"
	mdb -e "::walk kmem_alloc_640 ! grep -c '^$buf\$'" 0
	same "$(cat out)" 1 || fail "$m: buf640 not walked"
	mdb -e "::walk freemem ! grep -c '^$freed\$'" 0
	same "$(cat out)" 1 || fail "$m: the freed buffer not in freemem"
	c640=$(cache_addr kmem_alloc_640)
	mdb -e "$c640::walk kmem ! wc -l" 0
	same "$(tr -d ' ' <out)" 300 || fail "$m: CACHE::walk kmem"

	mdb -e '::kmem_cache' 0
	[ "$(sed -n 1p out)" = "ADDR             NAME                      FLAG    CFLAG  BUFSIZE  BUFTOTL" ] ||
	    fail "$m: ::kmem_cache header: $(sed -n 1p out)"
	grep -q "^0*$c640 kmem_alloc_640  *[0-9a-f]\{4\} 00000000      640  *[0-9]*\$" out ||
	    fail "$m: ::kmem_cache row: $(grep kmem_alloc_640 out)"
	mdb -e '::kmastat' 0
	awk '$1 == "kmem_alloc_640" { print $2, $3 }' out >row.out
	same "$(cat row.out)" "640 300" || fail "$m: ::kmastat 640 row"
	awk '$1 == "kmem_alloc_1344" { print $2, $3 }' out >row.out
	same "$(cat row.out)" "1344 40" || fail "$m: ::kmastat 1344 row"
	grep -q '^Total \[kmem_default\]' out || fail "$m: no Total line"
	grep -q '^  kmem_default ' out || fail "$m: vmem table: $(tail -6 out)"

	mdb -e "$buf::whatis" 0
	grep -q "^$buf is $buf, \(bufctl [0-9a-f]* \)\{0,1\}allocated from kmem_alloc_640:\{0,1\}\$" out ||
	    fail "$m: ::whatis buffer: $(cat out err)"
	mdb -e "$buf+1a::whatis -q" 0
	grep -q "^$(printf %x $((0x$buf + 0x1a))) is $buf+1a, .*allocated from kmem_alloc_640\$" out ||
	    fail "$m: ::whatis interior: $(cat out err)"
	mdb -e "$freed::whatis -q" 0
	grep -q "^$freed is $freed, .*freed from kmem_alloc_1344" out ||
	    fail "$m: ::whatis freed: $(cat out err)"
	mdb -e "$big+100::whatis -q" 0
	grep -q "is $big+100, .*allocated from kmem_oversize vmem arena" out ||
	    fail "$m: ::whatis oversize: $(cat out err)"
	mdb -e "$stk::whatis" 0
	grep -q "^$stk is in thread [0-9]*'s stack" out ||
	    fail "$m: ::whatis stack: $(cat out err)"
	mdb -e "$glob+5::whatis" 0
	same "$(cat out)" "$(printf %x $((0x$glob + 5))) is $glob+5, g_data+5 in hp" ||
	    fail "$m: ::whatis global"
	mdb -e '10::whatis' 0
	same "$(cat out)" "10 is unknown" || fail "$m: ::whatis unknown"
	mdb -e "$buf::kgrep" 0
	grep -qx "$gptr" out || fail "$m: ::kgrep $buf: not $gptr: $(cat out)"
	mdb -e "::kgrep $buf ! grep -c ." 0
	[ "$(cat out)" -ge 1 ] || fail "$m: ::kgrep VALUE"

	mdb -e '::kmem_verify' 0
	[ "$(sed -n 1p out)" = "Cache Name                      Addr             Cache Integrity" ] ||
	    fail "$m: ::kmem_verify header"
	[ "$(grep -vc ' clean$' out)" -eq 1 ] ||
	    fail "$m: ::kmem_verify not clean: $(grep -v ' clean$' out)"
	ncache=$(timeout 60 "$ST_CLI" mdb -e '::walk kmem_cache ! wc -l' 0)
	mdb -e '::walk kmem_cache | ::kmem_verify' 0
	same "$(grep -c ' clean$' out)" "$((ncache))" ||
	    fail "$m: ::walk kmem_cache | ::kmem_verify: $(head -3 out)"

	for cmd in '::kmem_cache' '::kmastat' '::kmem_slabs' '::vmem' \
	    '::kmem_verify' "$c640::kmem_verify" "$buf::whatis" \
	    "$freed::whatis -a" "$buf::kgrep" '::walkers'; do
		mdb -e "$cmd -j" 0
		json_ok "$m: $cmd -j"
	done
done

# ---- auditing: pipes into ::bufctl, ::kmausers, the whatis record ----
cd "$work/d.0xf" || exit 1
buf=$(addr buf640)
mdb -e "$buf::whatis" 0
grep -q "^ *[0-9a-f]* *$buf  *[0-9a-f]*  *[0-9]*\$" out &&
    grep -q '^  *main+' out || fail "0xf: ::whatis record: $(cat out)"
mdb -e '::walk kmem_alloc_640 | ::bufctl' 0
[ "$(grep -c ' main+' out)" -eq 300 ] ||
    fail "::walk kmem_alloc_640 | ::bufctl: $(grep -c ' main+' out) rows: $(head -3 out err)"
mdb -e '::walk bufctl | ::bufctl ! grep -c " main+"' 0
[ "$(cat out)" -ge 340 ] || fail "::walk bufctl | ::bufctl: $(cat out err)"
mdb -e '::kmausers' 0
grep -q '^192000 bytes for 300 allocations with data size 640:$' out ||
    fail "::kmausers: $(head -3 out)"
mdb -e '::kmausers kmem_alloc_1344' 0
[ "$(grep -c bytes out)" -eq 1 ] && grep -q '^53760 bytes for 40 allocations' out ||
    fail "::kmausers CACHE: $(cat out)"
mdb -e '::kmausers -j' 0
json_ok '::kmausers -j'
mdb -e '::walk kmem_log ! wc -l' 0
[ "$(cat out)" -ge 340 ] || fail "::walk kmem_log: $(cat out err)"
mdb -e '::walk thread ! wc -l' 0
same "$(tr -d ' ' <out)" 1 || fail "::walk thread"
arena=$(timeout 60 "$ST_CLI" mdb -e '::vmem' 0 | awk '$2 == "kmem_oversize" { print $1 }')
mdb -e "$arena::walk vmem_alloc | ::vmem_seg" 0
[ "$(grep -c ' ALLC ' out)" -eq 2 ] || fail "vmem_alloc | ::vmem_seg: $(cat out err)"
mdb -e "$arena::vmem_seg -T SPAN" 0
grep -q '^[0-9a-f]\{16\} SPAN ' out || fail "::vmem_seg -T SPAN: $(cat out)"

# ---- the firewall ----
cd "$work/d.fw" || exit 1
buf=$(addr buf640)
mdb -e "$buf+4::whatis -q" 0
grep -q "is $buf+4, .*allocated from firewall vmem arena" out ||
    fail "fw: ::whatis: $(cat out err)"
mdb -e '::walk kmem_alloc_640 ! wc -l' 0
same "$(tr -d ' ' <out)" 0 || fail "fw: kmem_alloc_640 not empty"
# fwbelow: each buffer starts its page, after its guard page; the
# debugger finds it all the same, whole and uncorrupted.
cd "$work/d.fwb" || exit 1
buf=$(addr buf640)
[ $((16#$buf % 4096)) -eq 0 ] || fail "fwbelow: buffer $buf not at a page"
mdb -e "$buf+4::whatis -q" 0
grep -q "is $buf+4, .*allocated from firewall vmem arena" out ||
    fail "fwbelow: ::whatis: $(cat out err)"
mdb -e '::kmem_verify' 0
grep -q '^(firewall and big buffers) *- *clean$' out ||
    fail "fwbelow: ::kmem_verify: $(cat out err)"

# ---- writes after free ----
cd "$work/d.uaf" || exit 1
c=$(cache_addr kmem_alloc_1344)
mdb -e "::kmem_verify" 0
n=$(awk '$1 == "kmem_alloc_1344" { print $3 }' out)
[ -n "$n" ] && [ "$n" -eq 24 ] &&
    grep -q "^kmem_alloc_1344  *0*$c $n corrupt buffers\{0,1\}\$" out ||
    fail "uaf: ::kmem_verify row: $(grep 1344 out)"
mdb -e "$c::kmem_verify" 0
[ "$(sed -n 1p out)" = "Summary for cache 'kmem_alloc_1344'" ] ||
    fail "uaf: summary header: $(sed -n 1p out)"
[ "$(grep -c 'seems corrupted' out)" = "$n" ] ||
    fail "uaf: not $n lines: $(cat out)"
while read -r b; do
	grep -qx "uaf $b" addrs || fail "uaf: $b is not one of the program's"
	grep -qx "  buffer $b (free) seems corrupted, at $(printf %x $((0x$b + 16))) (offset 0x10): 0xdeadbeefdeadbeef replaced by 0xdeadbeefdeadbe41" out ||
	    fail "uaf: line of $b: $(grep "$b" out)"
done < <(sed -n 's/^  buffer \([0-9a-f]*\) .*/\1/p' out)
mdb -e "$c::kmem_verify -j" 0
json_ok "uaf: ::kmem_verify -j"

# ---- redzones and tags ----
cd "$work/d.rz" || exit 1
c=$(cache_addr kmem_alloc_640)
mdb -e "$c::kmem_verify" 0
r5=$(addr rz5) r6=$(addr rz6) r8=$(addr rz8) r9=$(addr rz9)
grep -qx "  buffer $r5 (allocated) has a corrupt redzone, at $(printf %x $((0x$r5 + 600))) (offset 0x258): 0xbb replaced by 0x41 (size 600)" out ||
    fail "rz: padding: $(cat out)"
grep -qx "  buffer $r6 (allocated) has a corrupt buftag, at $(printf %x $((0x$r6 + 656))): bufctl ^ bxstat = a110c8fd, should be a110c8ed (allocated) or f4eef4ee (free)" out ||
    fail "rz: bxstat: $(cat out)"
grep -qx "  buffer $r8 (allocated) has a corrupt leading redzone, at $(printf %x $((0x$r8 - 1))) (1 bytes before it): 0xbb replaced by 0x42" out ||
    fail "rz: before: $(cat out)"
# An overrun that jumped the tag: the gap's first half is the buffer's.
grep -qx "  buffer $r9 (allocated) has a corrupt redzone, at $(printf %x $((0x$r9 + 668))) (offset 0x29c): 0xbb replaced by 0x43 (size 600)" out ||
    fail "rz: past the tag: $(cat out)"
[ "$(grep -c '^  buffer' out)" -eq 4 ] || fail "rz: not 4 lines: $(cat out)"

# ---- damaged dumps: one line, never a crash or a hang ----
cd "$work/d.0xf" || exit 1
cat >offs.c <<'EOF'
#include <stddef.h>
#include <stdio.h>
#include "slabtrace_impl.h"
int main(void) {
	printf("%zu %zu %zu\n", offsetof(kmem_cache_t, cache_next),
	    offsetof(kmem_cache_t, cache_partial), offsetof(kmem_slab_t,
	    slab_next));
	return 0;
}
EOF
cc -I"$ST_ROOT/include" -I"$ST_ROOT/src" -o offs offs.c || exit 1
read -r o_next o_partial o_snext < <(./offs)
c640=$(cache_addr kmem_alloc_640)
c1344=$(cache_addr kmem_alloc_1344)
slab=$(timeout 60 "$ST_CLI" mdb -e "$c640::walk kmem_slab" 0 | sed -n 1p)
cp vmcore.0 garbage
dump_patch garbage "$c640" "$(printf '41%.0s' $(seq 600))" || fail "patch garbage"
cp vmcore.0 cloop
dump_patch cloop "$(printf %x $((0x$c1344 + o_next)))" "$(le64 "$c640")" ||
    fail "patch cloop"
cp vmcore.0 sloop
dump_patch sloop "$(printf %x $((0x$slab + o_snext)))" "$(le64 "$slab")" ||
    fail "patch sloop"
buf=$(addr buf640)
for f in garbage cloop sloop; do
	for cmd in '::kmem_cache' '::kmastat' '::kmem_slabs' '::kmem_verify' \
	    '::walk kmem' '::walk freemem' '::walk bufctl' '::walk kmem_slab' \
	    "$buf::whatis" '::kmausers' '::vmem' '::walkers'; do
		mdb -e "$cmd" "$f"
		# A slab list is only read by the commands that walk slabs.
		lines=$(wc -l <err)
		[ "$lines" -eq 1 ] || { [ "$f" = sloop ] && [ "$lines" -eq 0 ]; } &&
		    [ $st -le 1 ] ||
		    fail "$f: $cmd: status $st, stderr: $(head -3 err)"
	done
done
mdb -e '::walk kmem_alloc_1344 ! wc -l' garbage
same "$(tr -d ' ' <out)" 40 || fail "garbage: caches after the damage lost"
grep -q 'cache list is corrupt' err || fail "garbage: $(cat err)"
mdb -e '::walk kmem_alloc_640 ! wc -l' sloop
grep -q 'slab list loops' err || fail "sloop: $(cat err)"

# Random words (fixed seed) over caches, slabs, the thread and arenas:
# every heap command must end, with status 0 or 1 (a crash is >= 124 or
# a signal; check.sh's mdb says so).
timeout 60 "$ST_CLI" mdb -e '::walk kmem_cache; ::walk kmem_slab; ::walk thread; ::walk vmem' 0 >objs
for i in 1 2 3 4 5 6 7 8; do
	cp vmcore.0 "rnd.$i"
	python3 - "rnd.$i" "$i" objs <<'EOF' || fail "random patch $i"
import random, struct, sys
path, seed, objs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
addrs = [int(l, 16) for l in open(objs) if l.strip()]
f = open(path, 'r+b')
h = f.read(64)
phoff, = struct.unpack_from('<Q', h, 32)
phentsize, phnum = struct.unpack_from('<HH', h, 54)
segs = []
for i in range(phnum):
    f.seek(phoff + i * phentsize)
    t, fl, off, va, pa, fsz, msz, al = struct.unpack('<IIQQQQQQ', f.read(56))
    if t == 1:
        segs.append((va, off, fsz))
for k in range(6):
    a = rng.choice(addrs) + rng.randrange(0, 1024, 8)
    v = rng.choice([0, 2**64 - 1, 1, rng.getrandbits(64), rng.choice(addrs), a])
    for va, off, fsz in segs:
        if va <= a and a + 8 <= va + fsz:
            f.seek(off + a - va)
            f.write(struct.pack('<Q', v))
            break
EOF
	for cmd in '::kmastat' '::kmem_slabs -v' '::kmem_verify' \
	    '::walk kmem ! wc -l' '::walk freemem ! wc -l' "$buf::whatis" \
	    '::kmausers' '::walk vmem_seg ! wc -l'; do
		mdb -e "$cmd" "rnd.$i"
		[ $st -le 1 ] || fail "rnd.$i: $cmd: status $st: $(head -3 err)"
	done
	rm -f "rnd.$i"
done

# ---- big buffers (> 128 KiB under 0xf: a header, slack and pattern) ----
cd "$work" || exit 1
cat >big.c <<'EOF'
#include <stdlib.h>
#include <string.h>
static char *volatile a, *volatile c;
int main(void) {
	a = malloc(300000);
	c = malloc(200000);
	a[300000] = 'A';		/* the byte after it */
	free(c);
	c[64] = 'C';			/* after the free */
	abort();
}
EOF
cc -O1 -o big big.c || exit 1
mkdir d.big
(cd d.big && env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf timeout 60 ../big \
    >stdout 2>stderr </dev/null) 2>/dev/null
cd d.big || exit 1
mdb -e '::kmem_verify' 0
grep -q '^  big buffer [0-9a-f]* (allocated, 300000 bytes) has a corrupt redzone, at [0-9a-f]* (offset 300000): 0xbb replaced by 0x41$' out &&
    grep -q '^  big buffer [0-9a-f]* (free, 200000 bytes) has been modified after it was freed, at [0-9a-f]* (offset 64): 0xef replaced by 0x43$' out &&
    grep -q '^(firewall and big buffers) *- *corrupt buffers above$' out ||
    fail "big buffers: ::kmem_verify: $(cat out err)"
mdb -e '::kmem_verify -j' 0
json_ok "big buffers: ::kmem_verify -j"

[ $fails -eq 0 ] && echo "mdb_kmem: all checks passed"
[ $fails -eq 0 ]
