#!/bin/bash
# mdb_kmlog: `slabtrace mdb`'s kmem log commands (src/mdb/kmlog.c) on the
# dump of a use-after-free under KMEM_FLAGS=0xf:
#   - ADDR::kmalog: the free, then the allocation, newest first, in mdb's
#     format ("T-SEC.NSEC  addr=BUF  CACHE", frames "\t func+0xoff"), for
#     the buffer's address and an address inside it;
#   - BUFCTL::bufctl -h -a ADDR ! cut -d " " -f 7 | sort -u: exactly the
#     program's allocating and freeing functions (the seed's pipeline);
#   - ::bufctl's short form, -v, -H and the -c -t -e -l filters; ::kmem_log;
#     THREAD::allocdby and ::freedby;
#   - a dump without auditing: ::kmalog says there is no log; a bad
#     address: one line; a corrupt log header, a torn record and a cyclic
#     bc_lastlog chain (the dump patched): one line or fewer records, never
#     a hang (every run is under `timeout`); -h then ends with the
#     allocation the bufctl kept (bc_astackid), at timestamp 0;
#   - an allocation 200,000 transactions before its free (the log lost
#     its record): the report, ::bufctl -h and ::explain name it from the
#     bufctl, and the seed's pipeline names both functions.
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 180
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1


cat >uaf.c <<'EOF'
#include <stdlib.h>
#include <string.h>
static char *volatile keep;
__attribute__((noinline)) char *uaf_alloc(void) { return malloc(200); }
__attribute__((noinline)) void uaf_free(char *p) { free(p); }
__attribute__((noinline)) void uaf_write(char *p) { memset(p, 0x3f, 8); }
int main(void) {
	char *p = uaf_alloc();
	keep = p;
	uaf_free(p);
	uaf_write(p);
	return 0;
}
EOF
cc -O1 -g -fno-omit-frame-pointer -fno-inline -o uaf uaf.c || exit 1
for f in 0xf 0x2; do
	mkdir "d.$f"
	(cd "d.$f" && env LD_PRELOAD="$ST_SO" KMEM_FLAGS=$f \
	    timeout 60 ../uaf >stdout 2>stderr </dev/null) 2>/dev/null
	if [ ! -f "d.$f/vmcore.0" ]; then
		fail "uaf under KMEM_FLAGS=$f: no dump"
		tail -5 "d.$f/stderr" | sed 's/^/    /'
	fi
done
[ $fails -eq 0 ] || exit 1

cd "$work/d.0xf" || exit 1
mdb -e '::msgbuf' 0
buf=$(sed -n 's/^buffer=\([0-9a-f]*\)  bufctl=.*/\1/p' out | head -1)
bc=$(sed -n 's/^buffer=[0-9a-f]*  bufctl=\([0-9a-f]*\) .*/\1/p' out | head -1)
cache=$(sed -n 's/^buffer=.*  cache: \(kmem_alloc_[0-9]*\)$/\1/p' out | head -1)
tid=$(sed -n 's/^thread=\([0-9]*\) .*/\1/p' out | head -1)
if [ -z "$buf" ] || [ -z "$bc" ] || [ -z "$cache" ] || [ -z "$tid" ]; then
	fail "::msgbuf: no buffer=, bufctl=, cache or thread: $(head -8 out)"
	exit 1
fi

# ---- ADDR::kmalog ----
for a in "$buf" "$buf+10"; do
	mdb -e "$a::kmalog" 0 || fail "$a::kmalog: status $st: $(cat err)"
	[ "$(grep -c '^T-' out)" -eq 2 ] ||
	    fail "$a::kmalog: not 2 records: $(cat out)"
	grep -v '^T-' out | grep -v '^$' | grep -qv "$(printf '^\t ')" &&
	    fail "$a::kmalog: a frame not indented \"\\t \": $(cat out)"
	grep -q "^T-[0-9]*\.[0-9]\{9\}  addr=$buf  $cache\$" out ||
	    fail "$a::kmalog: header line: $(head -3 out)"
	# Newest first: the free's record, then the allocation's.
	grep -o "^$(printf '\t') uaf_[a-z]*+" out | tr -d '\t +' >order.out
	printf '%s\n' uaf_free uaf_alloc >order.want
	diff -u order.want order.out >/dev/null ||
	    fail "$a::kmalog: order: $(tr '\n' ' ' <order.out)"
	[ "$(sed -n 1p out)" = "" ] || fail "$a::kmalog: no blank line first"
done

# ---- the seed's pipeline ----
mdb -e "$bc::bufctl -h -a $buf ! cut -d \" \" -f 7 | sort -u" 0 ||
    fail "bufctl pipeline: status $st: $(cat err)"
sed 's/+.*//' out >callers.out
printf '%s\n' uaf_alloc uaf_free >callers.want
diff -u callers.want callers.out >/dev/null ||
    fail "::bufctl -h -a ! cut -f 7 | sort -u: '$(cat out)'"
grep -qv '^uaf_[a-z]*+[0-9a-fx]*$' out && fail "callers' form: $(cat out)"

# ---- ::bufctl's forms and filters ----
mdb -e "$bc::bufctl" 0
[ "$(sed -n 1p out)" = \
    "ADDR             BUFADDR            TIMESTAMP        THREAD CALLER" ] ||
    fail "::bufctl header: '$(sed -n 1p out)'"
grep -q "^0*$bc 0*$buf   [0-9a-f]\{16\} $tid uaf_free+[0-9a-fx]*\$" out ||
    fail "::bufctl row: $(cat out)"
[ "$(wc -l <out)" -eq 2 ] || fail "::bufctl: $(cat out)"
mdb -e "$bc::bufctl -h -H" 0
[ "$(wc -l <out)" -eq 2 ] && ! grep -q ADDR out ||
    fail "::bufctl -h -H: $(cat out)"
mdb -e "$bc::bufctl -v" 0
grep -q '^ *ADDR  *BUFADDR  *TIMESTAMP  *THREAD$' out ||
    fail "::bufctl -v header: $(head -2 out)"
grep -q "^ \{17\}uaf_free+[0-9a-fx]*\$" out &&
    grep -q "^ \{17\}main+[0-9a-fx]*\$" out ||
    fail "::bufctl -v: no stack: $(cat out)"
mdb -e "$bc::bufctl -h -c uaf_alloc -H" 0
grep -q ' uaf_alloc+' out && [ "$(wc -l <out)" -eq 1 ] ||
    fail "::bufctl -c uaf_alloc: $(cat out)"
mdb -e "$bc::bufctl -h -t 0t$tid -H; $bc::bufctl -h -t $tid -H" 0
[ "$(wc -l <out)" -eq 4 ] || fail "::bufctl -t $tid: $(cat out)"
mdb -e "$bc::bufctl -h -t 1 -H" 0
[ ! -s out ] || fail "::bufctl -t 1: $(cat out)"
ts=$(awk '$NF ~ /^uaf_alloc/ { print $3 }' < <(timeout 60 "$ST_CLI" mdb \
    -e "$bc::bufctl -h -H" 0))
mdb -e "$bc::bufctl -h -H -l $ts" 0
grep -q uaf_alloc out && [ "$(wc -l <out)" -eq 1 ] ||
    fail "::bufctl -l $ts: $(cat out)"
mdb -e "$bc::bufctl -h -H -e $ts+1" 0
grep -q uaf_free out && [ "$(wc -l <out)" -eq 1 ] ||
    fail "::bufctl -e $ts+1: $(cat out)"

# ---- ::kmem_log, ::allocdby, ::freedby ----
mdb -e '::kmem_log' 0
[ "$(sed -n 1p out)" = \
    "ADDR             BUFADDR                 TIMESTAMP THREAD" ] ||
    fail "::kmem_log header: $(sed -n 1p out)"
[ "$(grep -c " 0*$buf  *[0-9a-f]* $tid\$" out)" -eq 2 ] ||
    fail "::kmem_log: not 2 records of $buf"
mdb -e "0t$tid::allocdby" 0
grep -q '^[0-9a-f]\{16\}  *[0-9a-f]* uaf_alloc+' out ||
    fail "::allocdby: $(cat out)"
grep -q uaf_free out && fail "::allocdby lists a free: $(cat out)"
mdb -e "$tid::freedby" 0
grep -q ' uaf_free+' out || fail "::freedby: $(cat out)"

# ---- errors: one line ----
mdb -e '10::bufctl' 0
[ $st -eq 1 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] ||
    fail "10::bufctl: status $st: $(cat out err)"
mdb -e 'main::bufctl' 0
[ $st -eq 1 ] && grep -q 'does not look like an audit bufctl' err ||
    fail "main::bufctl: status $st: $(cat out err)"
mdb -e '::kmalog bogus' 0
[ $st -eq 1 ] && grep -q 'usage' err || fail "::kmalog bogus: $(cat err)"
cd "$work/d.0x2" || exit 1
mdb -e '::kmalog' 0
[ $st -eq 1 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] &&
    grep -q '^mdb: no transaction log' err ||
    fail "::kmalog without auditing: status $st: $(cat out err)"

# ---- a damaged dump: patched copies ----
cd "$work/d.0xf" || exit 1
recs=$(timeout 60 "$ST_CLI" mdb -e '::kmem_log' 0 |
    awk -v b="$buf" '$2 ~ b "$" { print $1 }')
new=$(echo "$recs" | sed -n 1p)
old=$(echo "$recs" | sed -n 2p)
log=$(timeout 60 "$ST_CLI" mdb -e 'kmem_transaction_log=K' 0)
if [ -z "$new" ] || [ -z "$old" ] || [ -z "$log" ] ||
    ! command -v python3 >/dev/null; then
	fail "damaged dumps: no records ($new $old), log ($log) or python3"
else
	# The older record's bc_lastlog (offset 48) back to the newer: a cycle.
	cp vmcore.0 cycle
	dump_patch cycle "$(printf %x $((0x$old + 48)))" "$(le64 "$new")" ||
	    fail "cannot patch cycle"
	mdb -e "$bc::bufctl -h -H" cycle
	[ $st -eq 0 ] && [ "$(wc -l <out)" -eq 2 ] ||
	    fail "cyclic chain: status $st: $(cat out err)"
	# ... and to itself.
	cp vmcore.0 self
	dump_patch self "$(printf %x $((0x$old + 48)))" "$(le64 "$old")"
	mdb -e "$new::bufctl -h -H" self
	[ $st -eq 0 ] && [ "$(wc -l <out)" -eq 2 ] ||
	    fail "self-loop: status $st: $(cat out err)"
	# A torn record: stack depth (offset 64) 0xffff.
	cp vmcore.0 torn
	dump_patch torn "$(printf %x $((0x$old + 64)))" ffff0000
	mdb -e "$buf::kmalog" torn
	[ $st -eq 0 ] && [ "$(grep -c '^T-' out)" -eq 1 ] ||
	    fail "torn record: status $st: $(cat out err)"
	# -h: the free, then (its record torn) the allocation the bufctl kept.
	mdb -e "$bc::bufctl -h -H" torn
	[ $st -eq 0 ] && [ "$(wc -l <out)" -eq 2 ] &&
	    grep -q ' 0000000000000000 [0-9]* uaf_alloc+' out ||
	    fail "torn record, -h: status $st: $(cat out err)"
	# The log header's lh_recsize (offset 40): absurd.
	cp vmcore.0 badlog
	dump_patch badlog "$(printf %x $((0x$log + 40)))" "$(le64 ffffffff)"
	mdb -e '::kmalog' badlog
	[ $st -eq 1 ] && [ ! -s out ] && grep -q 'corrupt' err ||
	    fail "corrupt log header: status $st: $(cat out err)"
	# -h: the bufctl, then (the log unread) the allocation it kept.
	mdb -e "$bc::bufctl -h -H" badlog
	[ $st -eq 0 ] && [ "$(wc -l <out)" -eq 2 ] &&
	    grep -q ' 0000000000000000 [0-9]* uaf_alloc+' out ||
	    fail "corrupt log header, -h: status $st: $(cat out err)"
fi

# ---- the allocation long before the free: the bufctl kept its stack ----
# 200,000 allocations and frees of another size in between: the log no
# longer holds the allocation's record; ::bufctl -h ends with the stack
# the bufctl kept, at timestamp 0, and the seed's pipeline names both.
cd "$work" || exit 1
sed 's/^\tuaf_free(p);/\tfor (int i = 0; i < 200000; i++) { void *volatile q = malloc(24); free(q); }\n\tuaf_free(p);/' \
    uaf.c >uaf_long.c
cc -O1 -g -fno-omit-frame-pointer -fno-inline -o uaf_long uaf_long.c ||
    fail "uaf_long.c does not compile"
mkdir d.long
(cd d.long && env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf timeout 120 \
    ../uaf_long >stdout 2>stderr </dev/null) 2>/dev/null
cd "$work/d.long" || exit 1
mdb -e '::msgbuf' ../uaf_long 0
lbuf=$(sed -n 's/^buffer=\([0-9a-f]*\)  bufctl=.*/\1/p' out | head -1)
lbc=$(sed -n 's/^buffer=[0-9a-f]*  bufctl=\([0-9a-f]*\) .*/\1/p' out | head -1)
# The log lost the allocation: the report prints it from the bufctl
# (its stack, thread and time), as the log's record would have been.
grep -A 8 '^transaction before that on buffer' out >before
check "uaf_long: the report's allocation from the bufctl" grep -q \
    "^transaction before that on buffer $lbuf:" before
check "uaf_long: ... with its time" grep -q \
    '^thread=[0-9]*  time=T-[0-9]*\.[0-9]\{9\}  slab=' before
check "uaf_long: ... and its stack" grep -q 'uaf_alloc+' before
mdb -e "$lbuf::kmalog" ../uaf_long 0
check "uaf_long: ::kmalog has the free only ($(grep -c '^T-' out))" \
    test "$(grep -c '^T-' out)" = 1
mdb -e "$lbc::bufctl -h" ../uaf_long 0
check "uaf_long: ::bufctl -h ends with the kept allocation, time 0" grep -q \
    "^0*$lbc 0*$lbuf   0000000000000000 [0-9]* uaf_alloc+[0-9a-fx]*\$" out
mdb -e "$lbuf::explain" ../uaf_long 0
sed -n '/^history/,/^neighbours/p' out >hist
check "uaf_long: ::explain's history ends with the kept allocation" grep -q \
    "^T-?  addr=0*$lbuf  (its allocation: the log no longer holds it" hist
check "uaf_long: ... and its stack" grep -q "$(printf '^\t') uaf_alloc+" hist
check "uaf_long: ::explain says nothing on stderr" test ! -s err
mdb -e "$lbc::bufctl -h -a $lbuf ! cut -d \" \" -f 7 | sort -u" ../uaf_long 0
sed 's/+.*//' out >callers.out
check "uaf_long: the seed's pipeline names both ($(tr '\n' ' ' <out))" \
    diff -u "$work/d.0xf/callers.want" callers.out

[ $fails -eq 0 ] && echo "mdb_kmlog: all checks passed"
[ $fails -eq 0 ]
