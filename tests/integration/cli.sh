#!/bin/bash
# cli: `slabtrace run [--] PROG ARGS` runs PROG with libslabtrace.so
# preloaded, passes arguments, stdin and the exit status through; plain
# LD_PRELOAD of the library works too.  Run by tests/run-tests.sh, which
# sets ST_SO and ST_CLI.
: "${ST_CLI:?} ${ST_SO:?}"
# shellcheck source=tests/check.sh
. "${ST_ROOT:-$(dirname "$0")/../..}/tests/check.sh"
# shellcheck disable=SC2317	# called through check
maps_has_lib() { grep -q 'libslabtrace' <<<"$1"; }

check "LD_PRELOAD maps the library" \
    maps_has_lib "$(LD_PRELOAD=$ST_SO cat /proc/self/maps)"
check "'slabtrace run -- cat' maps the library" \
    maps_has_lib "$("$ST_CLI" run -- cat /proc/self/maps)"
check "'slabtrace run cat' (no --) maps the library" \
    maps_has_lib "$("$ST_CLI" run cat /proc/self/maps)"
check "children of the program inherit the library" \
    maps_has_lib "$("$ST_CLI" run -- sh -c 'cat /proc/self/maps')"

out=$("$ST_CLI" run -- printf '%s|' a 'b c' '' '-x' '--')
check "arguments passed unchanged (got '$out')" test "$out" = 'a|b c||-x|--|'

out=$(printf 'line one\nline two\n' | "$ST_CLI" run -- cat)
check "stdin passed through (got '$out')" \
    test "$out" = "$(printf 'line one\nline two')"

"$ST_CLI" run -- sh -c 'exit 3'
st=$?
check "exit status passed through (got $st, expected 3)" test $st -eq 3

"$ST_CLI" run -- sh -c 'kill -TERM $$'
st=$?
check "death by SIGTERM passed through (got $st, expected 143)" \
    test $st -eq 143

"$ST_CLI" run -- /nonexistent/program 2>/dev/null
st=$?
check "a missing program is an error (got $st)" test $st -ne 0

"$ST_CLI" run </dev/null >/dev/null 2>&1
st=$?
check "'slabtrace run' without a program is an error (got $st)" \
    test $st -ne 0

# The ::kmastat table at exit: UMEM_OPTIONS=stats, or SLABTRACE_STATS=1.
has_kmastat() { grep -q '^kmem_alloc_256 ' <<<"$1"; }
check "UMEM_OPTIONS=stats prints the cache table at exit" \
    has_kmastat "$(UMEM_OPTIONS=stats LD_PRELOAD=$ST_SO perl -e 1 2>&1)"
check "SLABTRACE_STATS=1 prints it too" \
    has_kmastat "$(SLABTRACE_STATS=1 "$ST_CLI" run -- perl -e 1 2>&1)"
out=$(SLABTRACE_STATS=0 LD_PRELOAD=$ST_SO perl -e 1 2>&1)
check "SLABTRACE_STATS=0 prints nothing (got '$out')" test -z "$out"
out=$(SLABTRACE_STATS=yes LD_PRELOAD=$ST_SO perl -e 'print "ran\n"' 2>&1)
st=$?
check "SLABTRACE_STATS=yes is named as unknown (got '$out')" \
    grep -q "unknown word 'yes'" <<<"$out"
check "SLABTRACE_STATS=yes stops the program (status $st, got '$out')" \
    test $st -eq 1 -a "${out#*ran}" = "$out"


if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi

exit 0
