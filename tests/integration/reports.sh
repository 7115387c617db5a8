#!/bin/bash
# reports: where a report goes and how it reads.  Every line on stderr
# carries "slabtrace[PID]: "; logfile=PATH puts them in PATH.PID (or PATH
# with %p expanded) and says so on stderr; json adds one JSON object per
# report (checked with python3's parser when there is one), jsonfile=PATH
# writes it to PATH.PID; dumpdir takes %p; the last lines say where the
# dump went, how to read it, and how many errors there were; a C++ frame
# reads demangled with file:line.  Run by tests/run-tests.sh (ST_SO, ST_CLI).
: "${ST_CLI:?} ${ST_SO:?}"
# shellcheck source=tests/check.sh
. "${ST_ROOT:-$(dirname "$0")/../..}/tests/check.sh"
# The library must find `slabtrace symbolize` beside itself.
unset SLABTRACE_SYMBOLIZER
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat >uaf.c <<'EOF'
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
static long *volatile g;
int
main(void)
{
	printf("%d\n", (int)getpid());
	fflush(stdout);
	g = malloc(48);
	free(g);
	g[2] = 42;              /* line 12: the bug */
	return (0);
}
EOF
cat >twice.cc <<'EOF'
#include <string>
struct Registry {
	std::string r_name = std::string(40, 'r');
	~Registry() {}
};
static Registry *volatile reg;
int
main()
{
	reg = new Registry;
	delete reg;
	delete reg;             // line 12: the bug
	return 0;
}
EOF
cc -g -O0 -o uaf uaf.c || exit 1
c++ -g -O0 -o twice twice.cc || exit 1

# --- stderr: every line prefixed with the pid
pid=$(env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off ./uaf \
    2>err1)
check "the pid is printed" test -n "$pid"
check "every stderr line is 'slabtrace[$pid]: '" \
    test "$(grep -c -v "^slabtrace\[$pid\]: " err1)" -eq 0
check "the report says what happened" \
    grep -q "^slabtrace\[$pid\]: buffer modified after being freed$" err1
check "the free's stack has file:line" \
    grep -q -E "^slabtrace\[$pid\]:     main\+0x[0-9a-f]+  uaf\.c:11$" err1
check "the allocation's stack has file:line" \
    grep -q -E "^slabtrace\[$pid\]:     main\+0x[0-9a-f]+  uaf\.c:10$" err1
check "the stack starts at the program's call into the allocator" \
    grep -q -E "^slabtrace\[$pid\]:     free\+0x[0-9a-f]+  \(libslabtrace\.so\)$" err1
check "no allocator-internal frame is shown" \
    test "$(grep -c -E 'kmem_cache_free_debug|st_free_' err1)" -eq 0
check "the summary is the last line" \
    grep -q -E "^slabtrace\[$pid\]: 1 error detected \(1 buffer modified after being freed\)$" \
    <(tail -n 1 err1)

# --- verbose keeps the allocator's frames
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_DEBUG=verbose \
    UMEM_OPTIONS=dump=off ./uaf >/dev/null 2>err2
check "verbose shows kmem_cache_free_debug" \
    grep -q "kmem_cache_free_debug" err2

# --- nosymbolize: function+offset only
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off,nosymbolize \
    ./uaf >/dev/null 2>err3
check "nosymbolize: no file:line" \
    test "$(grep -c 'uaf\.c:' err3)" -eq 0
check "nosymbolize: still function+offset" \
    grep -q -E "^slabtrace\[[0-9]+\]:     main\+0x[0-9a-f]+  \(uaf\)$" err3

# --- a symbolizer that cannot be run: the same, and one line saying so
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off \
    SLABTRACE_SYMBOLIZER=/nonexistent ./uaf >/dev/null 2>err4
check "missing symbolizer: reported once" \
    test "$(grep -c 'no `slabtrace symbolize`' err4)" -eq 1
check "missing symbolizer: the report is still whole" \
    grep -q -E "main\+0x[0-9a-f]+  \(uaf\)$" err4

# --- C++: demangled names with file:line
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off ./twice \
    2>err5
check "C++: a demangled operator delete" \
    grep -q -E "^slabtrace\[[0-9]+\]:     operator delete\(void\*, unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)$" err5
check "C++: Registry::~Registry() with its file:line" \
    grep -q -E "Registry::~Registry\(\)(\+0x[0-9a-f]+)?  twice\.cc:[0-9]+$" err5
check "C++: main at the second delete" \
    grep -q -E "main\+0x[0-9a-f]+  twice\.cc:12$" err5

# --- logfile=PATH: PATH.PID, and one line on stderr
pid=$(env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
    UMEM_OPTIONS=dump=off,logfile="$work/log" ./uaf 2>err6)
check "logfile: the report is in log.$pid" \
    grep -q "buffer modified after being freed" "log.$pid"
check "logfile: its lines are prefixed too" \
    test "$(grep -c -v "^slabtrace\[$pid\]: " "log.$pid")" -eq 0
check "logfile: stderr says where, and only that" \
    test "$(cat err6)" = "slabtrace[$pid]: reports go to $work/log.$pid"
check "logfile: the file is 0600" test "$(stat -c %a "log.$pid")" = 600
pid=$(env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
    UMEM_OPTIONS=dump=off,logfile="$work/r-%p.txt" ./uaf 2>/dev/null)
check "logfile: %p is the pid" test -s "r-$pid.txt"
ln -s /etc/passwd "$work/evil.$$"
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
    UMEM_OPTIONS=dump=off,logfile="$work/evil" ./uaf >/dev/null 2>err7
check "logfile: a symbolic link is not followed" \
    test "$(readlink "$work/evil.$$")" = /etc/passwd

# --- json: one object per report, after the text, on stderr
env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off,json ./twice \
    2>err8
grep '^{"slabtrace":' err8 >json8
check "json: one object" test "$(wc -l <json8)" -eq 1
if command -v python3 >/dev/null; then
	check "json: it parses, and says what and where" python3 - json8 <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["error"] == "bad_address", r["error"]
assert r["kind"] == "invalid pointer, not from this allocator"
assert r["address"] == "0xdeadbeefdeadbeef"
titles = [s["title"] for s in r["stacks"]]
assert "previous transaction" in titles and "panic" in titles, titles
panic = [s for s in r["stacks"] if s["title"] == "panic"][0]
fr = [f for f in panic["frames"] if f.get("file") == "twice.cc"]
assert fr and fr[-1]["function"] == "main" and fr[-1]["line"] == 12, fr
assert "read from freed memory" in r["text"]
assert r["panic"] == "heap corruption detected"
EOF
fi

# --- jsonfile=PATH and dumpdir with %p
mkdir -p dumps
pid=$(env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
    UMEM_OPTIONS=jsonfile="$work/j",dumpdir="$work/dumps/%p" ./uaf \
    2>err9)
check "dumpdir %p: the dump is in dumps/$pid" \
    test -f "dumps/$pid/vmcore.0"
check "jsonfile: j.$pid holds one object" \
    test "$(grep -c '^{"slabtrace":1,' "j.$pid")" -eq 1
check "jsonfile: it names the dump" \
    grep -q "\"dump\":\"$work/dumps/$pid/vmcore.0\"" "j.$pid"
check "the dump line says how to read it" \
    grep -q "read it with: gdb $work/uaf $work/dumps/$pid/vmcore.0" err9
check "the summary names the dump" \
    grep -q "1 error detected (1 buffer modified after being freed); see $work/dumps/$pid/vmcore.0" err9

[ $fails -eq 0 ] || exit 1
exit 0
