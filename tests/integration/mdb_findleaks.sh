#!/bin/bash
# mdb_findleaks: ::findleaks on dumps (src/mdb/findleaks.c over the
# library's scanner, src/leaky.c).  tests/leaks/leaky.c's variants (see
# there) die with LEAKY_CRASH=1 after leaking, or after keeping their
# buffers reachable, in five modes: plain (no debugging; UMEM_OPTIONS=
# signals,dump=all), lite, default (audited: bufctls and stacks), fw
# (KMEM_FLAGS=0x4f) and fwbelow (the same with the guard pages before the
# buffers: the same table as fw); ::findleaks's table, normalized (addresses "ADDR",
# callers without offsets or gcc's clone suffixes), must be the section
# "== VARIANT MODE" of tests/leaks/expected_mdb.txt, or "findleaks: no
# memory leaks detected" when there is none.  Then -d, -v, -f, -j,
# ADDR::findleaks, the leak and leakbuf walkers, a pipe, a C++ dump, a
# live process (-p), and a damaged dump.  MDB_REGEN=1 prints the sections instead.
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 600
: "${ST_CLI:?} ${ST_SO:?}"
ROOT=${ST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/check.sh
. "$ROOT/tests/check.sh"
unset SLABTRACE_SYMBOLIZER KMEM_FLAGS UMEM_DEBUG UMEM_OPTIONS UMEM_LOGGING
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
SRC=$ROOT/tests/leaks
EXPECTED=$SRC/expected_mdb.txt

cc -g -O2 -pthread -o leaky "$SRC/leaky.c" -ldl ||
    { fail "leaky.c does not compile"; exit 1; }
c++ -std=c++17 -g -O2 -o leaky_cxx "$SRC/leaky_cxx.cc" ||
    { fail "leaky_cxx.cc does not compile"; exit 1; }

norm() {
	sed -E -e 's/\b[0-9a-f]{16}\b/ADDR/g' \
	    -e 's/\.(isra|constprop|part|cold)\.[0-9]+//g' \
	    -e 's/\+0x[0-9a-f]+$//'
}

section() {
	awk -v key="== $1" '
	$0 == key { on = 1; next }
	/^== / { on = 0 }
	on { print }' "$EXPECTED"
}

mode_env() {
	case $1 in
	plain) echo "UMEM_OPTIONS=signals,dump=all" ;;
	lite) echo "UMEM_DEBUG=lite" ;;
	default) echo "UMEM_DEBUG=default" ;;
	fw) echo "KMEM_FLAGS=0x4f" ;;
	fwbelow) echo "KMEM_FLAGS=0x4f UMEM_OPTIONS=fwbelow" ;;
	esac
}

# A dump of PROGRAM VARIANT in MODE, in directory DIR: 0, or fail.
mkdump() {	# dir program variant mode [more env]
	local dir=$1 prog=$2 v=$3 mode=$4
	shift 4
	rm -rf "$dir" && mkdir -p "$dir"
	# shellcheck disable=SC2046
	(cd "$dir" && timeout -k 5 60 env LEAKY_CRASH=1 \
	    LD_PRELOAD="$ST_SO" $(mode_env "$mode") "$@" "../$prog" "$v" \
	    >/dev/null 2>stderr </dev/null) 2>/dev/null
	[ -f "$dir/vmcore.0" ] && return 0
	fail "$prog $v ($mode): no dump"
	return 1
}

VARIANTS="lost_local overwritten list cycle thread realloc freed_parent big
    global tls tls_thread stack_thread sigblock stack_lost register
    register_lost interior mmap mmap_lost filemap"
for v in $VARIANTS; do
	for mode in plain lite default fw fwbelow; do
		mkdump d leaky "$v" "$mode" || continue
		mdb -e '::findleaks' d/vmcore.0
		got=$(norm <out)
		if [ -n "${MDB_REGEN:-}" ]; then
			[ "$got" != "findleaks: no memory leaks detected" ] &&
			    printf '== %s %s\n%s\n' "$v" "$mode" "$got"
			continue
		fi
		want=$(section "$v ${mode%below}")	# fwbelow: as fw
		[ -z "$want" ] && want="findleaks: no memory leaks detected"
		if [ "$got" != "$want" ] || [ -s err ]; then
			fail "::findleaks on $v ($mode) differs"
			diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") |
			    head -20 | sed 's/^/    /'
			sed 's/^/    err: /' err | head -5
		fi
	done
done
[ -n "${MDB_REGEN:-}" ] && exit 0

# --- one audited dump of a lost list, every way of asking
mkdump l leaky list default || exit 1
D=l/vmcore.0
mdb -e '::findleaks -d' $D
check "-d: what the direct row is" grep -qx \
    'kmem_alloc_16 leak: 1 buffer, 16 bytes each, 16 bytes total' out
check "-d: the indirect row" grep -qx \
    'kmem_alloc_16 leak: 9 buffers, 16 bytes each, 144 bytes total' out
check "-d: the representative's stack" grep -q '^ *list[.a-z0-9]*+0x' out
mdb -e '::findleaks -v' $D
check "-v: the table's size" grep -q '^findleaks:  actual buffers => [0-9]' out
check "-v: direct and indirect" grep -qx \
    'findleaks: leaked => 1 direct, 9 indirect' out
check "-v: potential pointers" grep -q '^findleaks: potential pointers => ' out
mdb -e '::findleaks; ::findleaks -f' $D
check "-f: the same again" test "$(grep -c 'Total' out)" -eq 4
mdb -e '::findleaks -j' $D
check "-j: one JSON value" test "$(wc -l <out)" -eq 1
if command -v python3 >/dev/null; then
	check "-j: what it says" python3 -c '
import json, sys
d = json.load(open("out"))
assert d["total_buffers"] == 10 and d["total_bytes"] == 160, d
assert [r["leaked"] for r in d["direct"]] == [1], d
assert [r["leaked"] for r in d["indirect"]] == [9], d
assert d["direct"][0]["cache_name"] == "kmem_alloc_16", d
assert d["direct"][0]["caller"].startswith("list"), d
assert d["direct"][0]["bufctl"].startswith("0x"), d
'
fi
mdb -e '::walk leakbuf' $D
check "leakbuf: every leaked buffer" test "$(wc -l <out)" -eq 10
mdb -e '::walk leak' $D
check "leak: every bufctl" test "$(wc -l <out)" -eq 10
mdb -e '::findleaks' $D
ind=$(awk '/^indirect/ { on = 1 } on && /^[0-9a-f]+ / && $2 == 9 { print $3 }' \
    out)
mdb -e "$ind::walk leakbuf" $D
check "ADDR::walk leakbuf: one row's buffers" test "$(wc -l <out)" -eq 9
mdb -e "1234::walk leakbuf" $D
check "ADDR::walk leakbuf, not a row: one line" grep -q \
    '^mdb: 1234 is not a leak' err
mdb -e '::findleaks | ::bufctl' $D
check "a pipe: each row's bufctl" test "$(grep -c 'list' out)" -eq 2
mdb -e 'run::findleaks' $D
check "FUNCTION::findleaks: its rows" test "$(grep -c 'Total' out)" -eq 2
mdb -e 'scrub::findleaks' $D
check "FUNCTION::findleaks, none: one line" grep -q \
    '^findleaks: no memory leaks matching scrub found$' out

# --- C++: the object, its string's and its vector's buffers
mkdump c leaky_cxx object default || exit 1
mdb -e '::findleaks' c/vmcore.0
check "C++: the object, direct" grep -q \
    '^[0-9a-f]\{16\}       1 [0-9a-f]\{16\} object()+0x' out
check "C++: 2 buffers, indirect" test "$(awk '/^indirect/ { on = 1 }
    on && /^ *Total/ { print $2 }' out)" = 2

# --- what the dump lacks (untouched pages of stacks) is counted by -v
mdb -e '::findleaks -v' $D
check "-v: bytes not in the dump are counted" grep -Eq \
    '^findleaks: roots read => [0-9]+ kB \([1-9][0-9]* kB not in the dump\)$' out

# --- a live process
env LEAKY_WAIT=1 LD_PRELOAD="$ST_SO" UMEM_DEBUG=default ./leaky list \
    >ready 2>/dev/null </dev/null &
pid=$!
for _ in $(seq 100); do
	grep -q ready ready 2>/dev/null && break
	sleep 0.1
done
mdb -p "$pid" -e '::findleaks'
check "-p: the leaks of a live process" test "$(norm <out)" = \
    "$(section 'list default')"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=

# --- a damaged dump: the allocator's cache list cut; one line, no crash
cp $D bad
off=$(python3 - "$D" <<'EOF' 2>/dev/null
import struct, sys
# Zero every 16-byte run equal to the root's magic: the model cannot start.
data = open(sys.argv[1], "rb").read()
i = data.find(b"slabtrace-root:1")
print(i)
EOF
)
if [ -n "$off" ] && [ "$off" -gt 0 ]; then
	printf 'xxxxxxxxxxxxxxxx' | dd of=bad bs=1 seek="$off" conv=notrunc \
	    2>/dev/null
	mdb -e '::findleaks' bad
	st=$?
	check "a damaged root: ::findleaks fails (status $st)" test $st -eq 1
	check "a damaged root: one line" test "$(grep -c '^mdb: ' err)" -ge 1
fi

[ $fails -eq 0 ] || exit 1
