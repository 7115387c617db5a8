#!/bin/bash
# demo: `make demo` (demo/run.sh), the seed's walkthrough, runs to the end
# and says what the seed says: kbad dies on a general protection fault at
# 0x3f3f3f3f3f3f3f3f in list_remove, leaving vmcore.1, whose ::status and
# $c say so; with KMEM_FLAGS=0xf it stops with "buffer modified after being
# freed" leaving vmcore.2, whose ::kmalog of the buffer and ::bufctl -h -a
# ... ! cut -d " " -f 7 | sort -u point at kbad_bad and only at it.
# Run by tests/run-tests.sh (ST_CLI, ST_ROOT); it runs the demo in a
# directory of its own, with this build's slabtrace.
# timeout: 600
: "${ST_CLI:?} ${ST_ROOT:?}"
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$(readlink -f "$ST_CLI")" "$work/slabtrace" || exit 1
BUILD=$work bash "$ST_ROOT/demo/run.sh" >"$work/out" 2>&1 </dev/null
st=$?
sed 's/\x1b\[[0-9;]*m//g' "$work/out" >"$work/demo.txt"
out=$work/demo.txt
check "the demo ends well (status $st)" test $st -eq 0
check "vmcore.1: the panic is the fault on the question marks" \
    grep -q "panic message: SIGSEGV: general protection fault on address 0x3f3f3f3f3f3f3f3f, pc=list_remove+0xb" "$out"
check "vmcore.1: \$c starts in list_remove, called from zil_itxg_clean" \
    grep -A 2 -F '> $c' "$out" | grep -q -E 'zil_itxg_clean\+0x[0-9a-f]+\(\)'
check "0xf: the report" grep -q "buffer modified after being freed" "$out"
check "vmcore.2: ::status says heap corruption" \
    grep -q "panic message: heap corruption detected" "$out"
# The lines the seed's pipeline prints: kbad_bad's, and nothing else.
callers=$(sed -n '/::bufctl -h -a .* ! cut -d " " -f 7 | sort -u/,/^$/p' \
    "$out" | sed '1d;/^$/d;/^    total/,$d' | sed 's/^ *//')
check "the callers are kbad_bad's (got: $callers)" \
    test -n "$callers" -a "$(grep -c -v '^kbad_bad+0x[0-9a-f]*$' <<<"$callers")" -eq 0
check "::kmalog shows the free in kbad_bad" \
    grep -q -E '^ +	? ?kbad_bad\+0x[0-9a-f]+$' "$out"
check "the dumps are vmcore.1 and vmcore.2" \
    test -s "$work/demo/dumps/vmcore.1" -a -s "$work/demo/dumps/vmcore.2"
[ $fails -eq 0 ] || { sed 's/^/    /' "$out" | tail -40; exit 1; }
exit 0
