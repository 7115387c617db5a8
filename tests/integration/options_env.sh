#!/bin/bash
# options_env: a mistake in the debugging variables stops the program, and
# what the library or `slabtrace run` has to say at start-up is said once.
#
#  - under plain LD_PRELOAD, a bad KMEM_FLAGS, UMEM_DEBUG, UMEM_LOGGING,
#    UMEM_OPTIONS or SLABTRACE_STATS: exit status 1, exactly one line on
#    stderr naming the variable and the bad text, and the program (which
#    prints first thing in main) never runs; an empty variable is fine;
#  - `slabtrace run` with a bad -f/--debug/--logging/--options, or a bad
#    inherited variable: the same line, status 2, the program never runs;
#  - LITE with FIREWALL (KMEM_FLAGS=0x140, UMEM_DEBUG=lite,firewall=N): one
#    line saying what was dropped, and the program runs; a program that
#    forks and execs children (system(), fork+exec, each with the library)
#    gets the line once in all; SLABTRACE_NOTED=1 already set: no line;
#  - `slabtrace run` of a static program: one line saying nothing will be
#    checked, and it runs; of a dynamic one or a script: no such line;
#  - `slabtrace run python3` sets PYTHONMALLOC=malloc and says so, unless
#    it is set; python3 under LD_PRELOAD with debugging on gets a hint once
#    (python3 parts skipped if it is not installed).
# Run by tests/run-tests.sh with ST_SO, ST_CLI and ST_ROOT set.
# shellcheck disable=SC2015	# "A && B || fail": fail if either is false
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
CC=${CC:-cc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/options_env.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
unset KMEM_FLAGS UMEM_DEBUG UMEM_LOGGING UMEM_OPTIONS SLABTRACE_STATS \
    SLABTRACE_NOTED SLABTRACE_RUN PYTHONMALLOC

fails=0
fail() {
	echo "FAILED: $*"
	fails=$((fails + 1))
}

# ---- the programs ----
cat >prog.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int
main(void)
{
	printf("PROGRAM RAN\n");
	fflush(stdout);
	free(malloc(100));
	return (0);
}
EOF
cat >forker.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int
main(void)
{
	pid_t pid;
	int st;

	printf("FORKER RAN\n");
	fflush(stdout);
	if (system("true") != 0 || system("./prog") != 0)
		return (1);
	if ((pid = fork()) == 0) {
		execl("./prog", "prog", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
		return (2);
	if ((pid = fork()) == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
		return (3);
	return (0);
}
EOF
if ! $CC -o prog prog.c || ! $CC -o forker forker.c; then
	echo "cannot compile the test programs"
	exit 1
fi
printf '#!/bin/sh\necho SCRIPT RAN\n' >script.sh && chmod +x script.sh

# run CMD...: its status in $st, its stdout in out, its stderr in err.
run() {
	"$@" >out 2>err </dev/null
	st=$?
}
lines() { wc -l <"$1"; }

# ---- 1. bad values under LD_PRELOAD ----
# variable=value, then the text the line must quote
bad_values=(
	"KMEM_FLAGS=banana|'banana'"
	"KMEM_FLAGS=0x10000|'0x10000'"
	"UMEM_DEBUG=banana|'banana'"
	"UMEM_DEBUG=audit=zz|'audit=zz'"
	"UMEM_LOGGING=transaction=1Q|'transaction=1Q'"
	"UMEM_OPTIONS=sweep=99999999|'sweep=99999999'"
	"SLABTRACE_STATS=yes|'yes'"
	"UMEM_DEBUG=default,verbose,banana,apple|'banana'"
)
for bv in "${bad_values[@]}"; do
	e=${bv%%|*} text=${bv#*|} var=${e%%=*}
	run env LD_PRELOAD="$ST_SO" "$e" ./prog
	[ "$st" -eq 1 ] || fail "$e: exit status $st, expected 1"
	[ "$(lines err)" -eq 1 ] ||
	    fail "$e: $(lines err) lines on stderr, expected 1: $(cat err)"
	grep -q "^slabtrace: $var: .*$text.*not starting the program\$" err ||
	    fail "$e: the line does not name $var and $text: $(cat err)"
	[ -s out ] && fail "$e: the program ran: $(cat out)"
	# The same line from `slabtrace run`, status 2.
	cp err err.lib
	run env "$e" "$ST_CLI" run ./prog
	[ "$st" -eq 2 ] || fail "slabtrace run with $e: status $st, expected 2"
	cmp -s err err.lib ||
	    fail "slabtrace run with $e: not the library's line: $(cat err)"
	[ -s out ] && fail "slabtrace run with $e: the program ran"
done

# Empty variables are no mistake.
run env LD_PRELOAD="$ST_SO" KMEM_FLAGS= UMEM_DEBUG= UMEM_LOGGING= \
    UMEM_OPTIONS= SLABTRACE_STATS= ./prog
[ "$st" -eq 0 ] && [ ! -s err ] && grep -q "PROGRAM RAN" out ||
    fail "empty variables: status $st, stderr: $(cat err)"

# ---- 2. bad options of `slabtrace run` ----
for opts in "-f 0xzz|KMEM_FLAGS|'0xzz'" "-f0x10000|KMEM_FLAGS|'0x10000'" \
    "--debug=banana|UMEM_DEBUG|'banana'" \
    "--logging transaction=1Q|UMEM_LOGGING|'transaction=1Q'" \
    "--options=sweep=99999999|UMEM_OPTIONS|'sweep=99999999'"; do
	o=${opts%%|*} rest=${opts#*|}
	var=${rest%%|*} text=${rest#*|}
	# shellcheck disable=SC2086
	run "$ST_CLI" run $o -- ./prog
	[ "$st" -eq 2 ] || fail "slabtrace run $o: status $st, expected 2"
	[ "$(lines err)" -eq 1 ] ||
	    fail "slabtrace run $o: $(lines err) lines: $(cat err)"
	grep -q "^slabtrace: $var: .*$text.*not starting the program\$" err ||
	    fail "slabtrace run $o: the line: $(cat err)"
	[ -s out ] && fail "slabtrace run $o: the program ran"
done

# ---- 3. what LITE drops: one line, once per process tree ----
drop_re='^slabtrace: .*LITE excludes AUDIT, CONTENTS and FIREWALL: FIREWALL dropped$'
for e in KMEM_FLAGS=0x140 UMEM_DEBUG=lite,firewall=8; do
	run env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=dump=off "$e" ./prog
	[ "$st" -eq 0 ] || fail "$e: status $st"
	grep -q "PROGRAM RAN" out || fail "$e: the program did not run"
	[ "$(lines err)" -eq 1 ] && grep -q -E "$drop_re" err ||
	    fail "$e: expected the line once, got: $(cat err)"
	run env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=dump=off "$e" ./forker
	[ "$st" -eq 0 ] || fail "$e ./forker: status $st: $(cat err)"
	[ "$(grep -c "PROGRAM RAN" out)" -eq 2 ] ||
	    fail "$e ./forker: the children did not run: $(cat out)"
	n=$(grep -c -E "$drop_re" err)
	[ "$n" -eq 1 ] && [ "$(lines err)" -eq 1 ] ||
	    fail "$e ./forker: $n drop lines in all, expected 1: $(cat err)"
done
run env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0x140 ./prog
grep -q "^slabtrace: KMEM_FLAGS=0x140: LITE" err ||
    fail "KMEM_FLAGS=0x140: the line does not name it: $(cat err)"
run env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0x140 SLABTRACE_NOTED=1 ./prog
[ ! -s err ] || fail "SLABTRACE_NOTED=1: a line all the same: $(cat err)"
# Implications are silent.
for e in KMEM_FLAGS=0x2 KMEM_FLAGS=0x8 UMEM_DEBUG=lite KMEM_FLAGS=0x4f; do
	run env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=dump=off "$e" ./prog
	[ "$st" -eq 0 ] && [ ! -s err ] || fail "$e: status $st: $(cat err)"
done
# Through `slabtrace run`: said by it, once, for the whole tree.
run "$ST_CLI" run -f 0x140 --options=dump=off -- ./forker
[ "$st" -eq 0 ] || fail "slabtrace run -f 0x140 ./forker: status $st"
[ "$(lines err)" -eq 1 ] && grep -q -E "$drop_re" err ||
    fail "slabtrace run -f 0x140 ./forker: expected the line once: $(cat err)"

# ---- 4. a static program under `slabtrace run` ----
static_re="^slabtrace: .*prog.static is statically linked: LD_PRELOAD cannot"
static_re="$static_re replace its malloc, so nothing will be checked; .*"
if $CC -static -o prog.static prog.c 2>/dev/null; then
	run "$ST_CLI" run ./prog.static
	[ "$st" -eq 0 ] && grep -q "PROGRAM RAN" out ||
	    fail "static program: status $st, did not run"
	[ "$(lines err)" -eq 1 ] && grep -q -E "$static_re" err ||
	    fail "static program: expected the line, got: $(cat err)"
	# Found through PATH too, as execvp finds it.
	run env PATH="$TMP:$PATH" "$ST_CLI" run prog.static
	[ "$(lines err)" -eq 1 ] && grep -q -E "$static_re" err ||
	    fail "static program through PATH: got: $(cat err)"
else
	echo "note: $CC -static does not link (no libc.a?): static part skipped"
fi
for p in ./prog ./script.sh; do
	run "$ST_CLI" run "$p"
	[ "$st" -eq 0 ] && [ ! -s err ] ||
	    fail "slabtrace run $p: status $st, stderr: $(cat err)"
done

# ---- 5. python ----
if command -v python3 >/dev/null 2>&1; then
	pm='import os; print(os.environ.get("PYTHONMALLOC"))'
	run "$ST_CLI" run python3 -c "$pm"
	[ "$st" -eq 0 ] && [ "$(cat out)" = malloc ] ||
	    fail "slabtrace run python3: PYTHONMALLOC is '$(cat out)'"
	[ "$(lines err)" -eq 1 ] &&
	    grep -q "^slabtrace: python: PYTHONMALLOC=malloc set" err ||
	    fail "slabtrace run python3: expected one line: $(cat err)"
	run env PYTHONMALLOC=pymalloc "$ST_CLI" run python3 -c "$pm"
	[ "$(cat out)" = pymalloc ] && [ ! -s err ] ||
	    fail "PYTHONMALLOC=pymalloc was changed or talked about:" \
	    "$(cat out) $(cat err)"
	printf '#!/usr/bin/env python3\n%s\n' "$pm" >script.py
	chmod +x script.py
	run "$ST_CLI" run ./script.py
	[ "$(cat out)" = malloc ] ||
	    fail "slabtrace run ./script.py (#! python3): '$(cat out)'"
	# The library's hint, once for python3 and its python3 child.
	sub='import subprocess, sys; sys.exit(subprocess.call(["python3", "-c", "pass"]))'
	run env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off \
	    python3 -c "$sub"
	[ "$st" -eq 0 ] || fail "python3 under KMEM_FLAGS=0xf: status $st"
	[ "$(lines err)" -eq 1 ] &&
	    grep -q "^slabtrace: python: .*PYTHONMALLOC=malloc" err ||
	    fail "python3 under KMEM_FLAGS=0xf: expected one hint: $(cat err)"
	run env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf PYTHONMALLOC=malloc \
	    UMEM_OPTIONS=dump=off python3 -c "$sub"
	[ "$st" -eq 0 ] && [ ! -s err ] ||
	    fail "python3 with PYTHONMALLOC=malloc: a hint all the same:" \
	    "$(cat err)"
else
	echo "note: python3 is not installed: python part skipped"
fi

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
exit 0
