#!/bin/bash
# mdb_lang: the language of `slabtrace mdb` beyond single commands (mdb.c,
# json.c), on the dump of a use-after-free under KMEM_FLAGS=0xf:
#   - pipes between commands: ::kmem_log | ::bufctl gives one row per log
#     record under one header; a three-stage pipe; a pipe into the shell;
#     an address typed before a piped-to command is an error;
#   - JSON: -j on each command that has it and -o json for the whole run
#     print one line that Python's json module reads, with the fields the
#     man page documents and the values the text output has; -j on a
#     command without JSON, and -o with another format, are one-line errors;
#   - $C (each frame's frame pointer); ADDR/a, /d and /E; <REG in an
#     expression (<rip/i, as the seed asks for the trapping instruction),
#     VALUE=s; writes (/W, /v) and :c refused in one line each, the dump
#     unchanged; progress lines on stderr only when asked
#     (SLABTRACE_MDB_PROGRESS=1 here; a terminal after a second).
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
static char *volatile keep, *volatile other;
__attribute__((noinline)) char *lang_alloc(size_t n) { return malloc(n); }
__attribute__((noinline)) void lang_free(char *p) { free(p); }
int main(void) {
	other = lang_alloc(40);
	lang_free(other);
	other = lang_alloc(40);
	keep = lang_alloc(200);
	lang_free(lang_alloc(200));
	lang_free(keep);
	memset(keep, 0x3f, 8);
	lang_free(keep);
	return 0;
}
EOF
cc -O1 -g -fno-omit-frame-pointer -fno-inline -o uaf uaf.c || exit 1
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf timeout 60 ./uaf >stdout 2>stderr \
    </dev/null
if [ ! -f vmcore.0 ]; then
	fail "no dump: $(tail -3 stderr)"
	exit 1
fi
json() {	# python3 code run on the parsed JSON line of ./out as `j`
	python3 -c "import json, sys
lines = open('out').read().splitlines()
assert len(lines) == 1, 'lines: %d' % len(lines)
j = json.loads(lines[0])
$1" 2>&1
}

# ---- pipes ----
mdb -e '::kmem_log' 0
nrec=$(($(wc -l <out) - 1))
[ "$nrec" -ge 5 ] || fail "::kmem_log: $nrec records: $(cat out)"
mdb -e '::kmem_log | ::bufctl' 0
[ $st -eq 0 ] || fail "::kmem_log | ::bufctl: status $st: $(cat err)"
same "$(grep -c '^ADDR ' out)" 1 || fail "pipe: not one header: $(head -3 out)"
same "$(grep -c '^[0-9a-f]\{16\} [0-9a-f]\{16\}   [0-9a-f]\{16\} [0-9]* ' out)" \
    "$nrec" || fail "::kmem_log | ::bufctl: $(cat out)"
grep -q ' lang_free+[0-9a-fx]*$' out && grep -q ' lang_alloc+[0-9a-fx]*$' out ||
    fail "::kmem_log | ::bufctl: callers: $(cat out)"
# The records' addresses, in the log's order, are the rows' first column.
mdb -e '::kmem_log' 0
awk 'NR > 1 { print $1 }' out >addrs.want
mdb -e '::kmem_log | ::bufctl | ::bufctl -H' 0
awk '{ print $1 }' out >addrs.out
same "$(cat addrs.out)" "$(cat addrs.want)" ||
    fail "three-stage pipe: the addresses differ"
mdb -e '::kmem_log | ::bufctl -c lang_alloc ! wc -l' 0
same "$(tr -d ' ' <out)" 4 ||
    fail "pipe into the shell: $(cat out) $(cat err)"
mdb -e '::kmem_log | 1234::bufctl' 0
[ $st -eq 1 ] && grep -q 'an address before a command that a pipe' err ||
    fail "address in a pipe: status $st: $(cat err)"

# ---- JSON ----
mdb -e '::status -j' 0
r=$(json "assert j['slabtrace'] is True
assert j['panic'] == 'heap corruption detected', j['panic']
assert j['program'].endswith('/uaf'), j['program']
assert j['kmem_flags'] == '0xf', j['kmem_flags']
assert j['signal'] is None and j['threads'] == 1
assert isinstance(j['pid'], int) and j['version'] == 2")
[ -z "$r" ] || fail "::status -j: $r: $(cat out)"
mdb -e '::threads -j' 0
r=$(json "assert len(j) == 1 and j[0]['panic'] is True
assert j[0]['pc'].startswith('0x')")
[ -z "$r" ] || fail "::threads -j: $r: $(cat out)"
mdb -e '$c -j' 0
r=$(json "fr = [f['function'] for f in j['frames']]
assert 'main' in fr and 'lang_free' in fr, fr
assert any(f['source'] and f['source'].endswith('uaf.c:5') for f in j['frames'])")
[ -z "$r" ] || fail "\$c -j: $r: $(cat out)"
mdb -e '::kmalog -j' 0
r=$(json "assert len(j) == $nrec, len(j)
assert all(r['time_ns'] <= 0 for r in j)
assert [r['timestamp'] for r in j] == sorted([r['timestamp'] for r in j], reverse=True)
assert {r['caller'].split('+')[0] for r in j} == {'lang_alloc', 'lang_free'}
assert all(r['cache_name'].startswith('kmem_alloc_') for r in j)")
[ -z "$r" ] || fail "::kmalog -j: $r: $(head -c 600 out)"
bc=$(sed -n 1p addrs.want)
mdb -e "$bc::bufctl -h -j" 0
r=$(json "assert int(j[0]['bufctl'], 16) == 0x$bc, j[0]
assert len(j) >= 2 and all(r['addr'] == j[0]['addr'] for r in j)")
[ -z "$r" ] || fail "::bufctl -h -j: $r: $(head -c 600 out)"
mdb -o json -e '::status; ::threads' 0
same "$(python3 -c "import json
print(sum(1 for l in open('out') if json.loads(l) is not None))")" 2 ||
    fail "-o json: $(cat out)"
mdb -e '::msgbuf -j' 0
[ $st -eq 1 ] && same "$(cat err)" "mdb: ::msgbuf has no JSON output" ||
    fail "-j without JSON: status $st"
mdb -o yaml 0
[ $st -eq 2 ] && grep -q 'the only output format is json' err ||
    fail "-o yaml: status $st: $(cat err)"

# ---- $C: each frame's frame pointer, then the frame of $c ----
# (what the pointers hold is checked in mdb.sh, on code with frame
# pointers; here, the libc frames may use %rbp for anything)
mdb -e '$c' 0
cp out c.out
mdb -e '$C' 0
same "$(sed 's/^[0-9a-f]\{16\} //' out)" "$(cat c.out)" || fail "\$C: $(cat out)"
awk '{ if ($1 !~ /^[0-9a-f]+$/ || length($1) != 16) bad = 1 }
	END { exit bad }' out || fail "\$C: not 16 hex digits a frame: $(cat out)"

# ---- formats ----
mdb -e 'main/a; main+4/a' 0
same "$(cat out)" "$(printf 'main:\nmain+4:')" || fail "/a: $(cat out)"
mdb -e 'main/d; main/E' 0
grep -q '^main: *-\{0,1\}[0-9]\{1,10\} ' out && grep -q '^main: *[0-9]\{1,20\} ' out ||
    fail "/d /E: $(cat out)"

# ---- registers in expressions, =s, and what is refused ----
mdb -e '$r' 0
rip=$(sed -n 's/^%rip = 0x\([0-9a-f]*\) .*/\1/p' out)
mdb -e '<rip=K; <rip+4=K' 0
same "$(cat out)" "$(printf '%x\n%x' $((0x$rip)) $((0x$rip + 4)))" ||
    fail "<rip: $(cat out) $(cat err)"
mdb -e '<rip/i' 0
grep -q '^[a-z_]*+[0-9a-fx]*: *[a-z]' out || fail "<rip/i: $(cat out) $(cat err)"
mdb -e '<nosuchreg=K' 0
[ $st -eq 1 ] && same "$(cat err)" "mdb: no register named nosuchreg" ||
    fail "<nosuchreg: status $st"
mdb -e '3f3f3f3f3f3f3f3f=s; 6c6c6568=s' 0
same "$(cat out)" "$(printf '????????\nhell')" || fail "=s: $(cat out)"
cp vmcore.0 before
mdb -e 'main/W 0x1f; main/v 1; :c; ::status' 0
[ $st -eq 1 ] && same "$(grep -c 'never writes to its target' err)" 2 &&
    grep -q '^mdb: :c: slabtrace mdb does not control' err &&
    grep -q '^panic message: ' out ||
    fail "writes and :c: status $st: $(cat err)"
cmp -s before vmcore.0 || fail "the dump changed"

# ---- progress: on stderr only when asked (or a terminal, after 1 s) ----
mdb -e '::kmem_verify' 0
[ ! -s err ] || fail "progress without a terminal: $(head -3 err)"
ncache=$(($(wc -l <out) - 1))
SLABTRACE_MDB_PROGRESS=1 mdb -e '::kmem_verify' 0
same "$(grep -c "^caches verified: [0-9]* of $ncache\$" err)" "$ncache" ||
    fail "progress: $(head -3 err)"
SLABTRACE_MDB_PROGRESS=1 mdb -e '::kmem_verify' 0 2>/dev/null
[ "$(grep -vc '^caches verified: ' err)" = 0 ] || fail "progress: $(cat err)"

[ $fails -eq 0 ] && echo "mdb_lang: all checks passed"
[ $fails -eq 0 ]
