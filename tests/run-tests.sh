#!/usr/bin/env bash
#
# run-tests.sh: slabtrace's test suite, as `make check` runs it.
#
#   tests/run-tests.sh [-l] [PATTERN...]
#
# Run from anywhere; it works from the repository root.  With PATTERNs
# (extended regular expressions, or plain strings), only the tests whose
# names match one of them are built and run; -l lists the names instead.
#
# Needs build/libslabtrace.so, build/libslabtrace.a and build/slabtrace
# (`make`).  SLABTRACE_SO, SLABTRACE_A and SLABTRACE_CLI point elsewhere;
# ST_OUT moves the build and logs (default build/tests).
#
# The tiers, one directory each:
#   tests/unit/*.c          may see internals (-Isrc); linked with the .a
#   tests/integration/*.c   public interfaces only
#   tests/integration/*.cc  the same, in C++
#   tests/integration/*.sh  scripts (the CLI); get ST_SO, ST_CLI, ST_ROOT
#   tests/stress/*.c        fixed-seed multi-threaded workloads
#   tests/programs/*.sh     real programs: stdout and exit status must be the
#                           same without slabtrace, under LD_PRELOAD, under
#                           `slabtrace run --`, with KMEM_FLAGS=0xf, with
#                           UMEM_DEBUG=lite and with a firewall on every
#                           buffer (and these three may print no report);
#                           exit 77 means "skip"
#   tests/wrong/*.c, *.cc   programs that misuse the heap on purpose and must
#                           die with the expected report and dump (below)
#
# A C or C++ test passes when it exits 0 within its time limit.  A line
# "modes: static preload" in its source says how it runs: "static" links it
# with libslabtrace.a, "preload" builds it plainly and runs it with
# LD_PRELOAD=libslabtrace.so, "lite", "0xf", "default" and "fw" run it so with
# UMEM_DEBUG=lite, KMEM_FLAGS=0xf, UMEM_DEBUG=default, KMEM_FLAGS=0x4f (a
# firewall under every buffer) or "nomag" KMEM_FLAGS=0x2f; a report (a line
# "slabtrace[PID]: ..." or "slabtrace: ...") then fails it.  Each mode is a test of its own, named
# tier/name[mode].  Defaults: unit "static", integration "static preload",
# stress "preload".  A line "env: VAR=value ..." sets its environment.
# A line "timeout: N" sets the limit in seconds (default
# 120; for a real program, 720 shared by its six runs: a sixth each, twice
# that under 0xf and four times under the firewall).
#
# A wrong program says what must happen in lines of its source:
#   env: VAR=value ...      its environment (default KMEM_FLAGS=0xf)
#   cflags: ...             extra compiler flags (e.g. -fomit-frame-pointer)
#   signal: ABRT            it must die by this signal (default ABRT);
#                           "none" with "status: N" for an exit status
#   expect: REGEX           a line of its stderr must match (extended regular
#                           expression, whole line, without the reports'
#                           "slabtrace[PID]: " prefix, which a leading
#                           "slabtrace: " in REGEX stands for); several expect lines
#                           must match in their order
#   dump: no                no dump may be written (default: exactly one
#                           vmcore.N, mode 0600, in its working directory)
#   gdb: FUNCTION           `gdb -batch -ex bt PROGRAM vmcore.N` must show it
#   gdb-top: TEXT           ... in frames #0-#3 (the dump's registers are
#                           the allocator's entry point's: the program's
#                           frame comes next, after gdb's inlined ones)
#   modes: static           link with libslabtrace.a (for the kmem API)
#                           instead of running under LD_PRELOAD
#   variants: a b ...       run once per word, with it as argv[1]: a test
#                           each, named wrong/name[a]
#   flags: 0xf lite ...     run once per debugging mode (plain: none; 0xf;
#                           default; lite; nomag: 0x2f; fw: 0x4f), before
#                           env: a test each, wrong/name[a/0xf]
#   KEY-WORD: ...           for a variant or flag WORD: signal-, status-,
#                           env-, dump- and gdb- lines replace the plain
#                           ones; expect- lines must each match some line
#                           of stderr, after the plain expect lines did
# It runs in a directory of its own, which is kept when it fails.
#
# Every test runs with ST_EXPECT_SLABTRACE=1 in its environment (tests/check.h
# reads it), so a test can also be run by hand against plain glibc.
#
# Output: one line per test, "PASS name", "FAIL name: reason" followed by
# the tail of its output, or "SKIP name: reason"; then the summary line
# "N passed, N failed" (", N skipped" when some were).  Logs are kept in
# build/tests/logs/.  Exit status 1 if anything failed.

set -u
unset LD_PRELOAD

cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
SO=${SLABTRACE_SO:-$ROOT/build/libslabtrace.so}
AR=${SLABTRACE_A:-$ROOT/build/libslabtrace.a}
CLI=${SLABTRACE_CLI:-$ROOT/build/slabtrace}
# Reports find `slabtrace symbolize` beside the library; a program linked
# with the archive, or a library copied elsewhere, is told where it is.
export SLABTRACE_SYMBOLIZER=${SLABTRACE_SYMBOLIZER:-$CLI}
OUT=${ST_OUT:-$ROOT/build/tests}
LOGS=$OUT/logs
CC=${CC:-cc}
CXX=${CXX:-g++}
CFLAGS="-O2 -g -Wall -Wextra -Iinclude -Isrc -Itests -pthread"
CXXFLAGS="-O2 -g -Wall -Wextra -std=c++17 -fsized-deallocation -Iinclude -Isrc -Itests -pthread"
LIBS="-pthread -lm"
JOBS=$(nproc 2>/dev/null || echo 2)
TAIL_LINES=25

TIMEOUT=120		# seconds, per test
TIMEOUT_PROGRAMS=720	# for the six runs of a program together

list_only=0
if [ "${1:-}" = "-l" ]; then
	list_only=1
	shift
fi
patterns=("$@")

passed=0 failed=0 skipped=0
start_time=$SECONDS

# ---- the list of tests ----

# Parallel arrays: name, kind (cbin, script, program), source, mode, timeout,
# and for wrong programs the variant (argv[1]) and the debugging flags.
T_NAME=() T_KIND=() T_SRC=() T_MODE=() T_TIMEOUT=() T_VARIANT=() T_FLAG=()

selected() {
	local p
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		printf '%s\n' "$1" | grep -Eq -e "$p" 2>/dev/null && return 0
		printf '%s\n' "$1" | grep -Fq -e "$p" && return 0
	done
	return 1
}

# The value of a "key: value" line in a test's source, if any.
src_field() {
	src_fields "$1" "$2" | head -n 1
}

# Every value of "key: value" lines, in order.
src_fields() {
	sed -n "s/^[ *#/]*$2:[ ]*\\(.*[^ ]\\)[ ]*\$/\\1/p" "$1"
}

add_test() {	# name kind src mode timeout [variant flag]
	selected "$1" || return 0
	T_NAME+=("$1") T_KIND+=("$2") T_SRC+=("$3") T_MODE+=("$4")
	T_TIMEOUT+=("$5") T_VARIANT+=("${6:--}") T_FLAG+=("${7:--}")
}

# The environment of a debugging mode's name (the wrong tier's "flags:").
flag_env() {
	case $1 in
	plain) echo "ST_MODE=plain" ;;
	0xf) echo "KMEM_FLAGS=0xf" ;;
	default) echo "UMEM_DEBUG=default" ;;
	lite) echo "UMEM_DEBUG=lite" ;;
	nomag) echo "KMEM_FLAGS=0x2f" ;;
	fw) echo "KMEM_FLAGS=0x4f" ;;
	*) echo "ST_MODE=$1" ;;
	esac
}

# A wrong program's field for one variant and flag: "key-VARIANT:" or
# "key-FLAG:" lines win over "key:" lines.
wrong_field() {	# src key variant flag
	local v
	v=$(src_field "$1" "$2-$3")
	[ -z "$v" ] && v=$(src_field "$1" "$2-$4")
	[ -z "$v" ] && v=$(src_field "$1" "$2")
	printf '%s\n' "$v"
}

# A line of a report (or any message of the library's) on stderr.
REPORT_RE='^slabtrace(\[[0-9]+\])?: '

collect() {
	local tier f base modes mode t
	for tier in unit integration stress; do
		for f in "tests/$tier"/*.c "tests/$tier"/*.cc; do
			[ -f "$f" ] || continue
			base=$(basename "$f"); base=${base%.*}
			modes=$(src_field "$f" modes)
			if [ "$tier" = unit ]; then
				modes=static	# internals: always the archive
			elif [ -z "$modes" ]; then
				case $tier in
				integration) modes="static preload" ;;
				stress) modes="preload" ;;
				esac
			fi
			t=$(src_field "$f" timeout)
			t=${t:-$TIMEOUT}
			if [ "$tier" = unit ]; then
				add_test "unit/$base" cbin "$f" static "$t"
				continue
			fi
			for mode in $modes; do
				add_test "$tier/${base}[$mode]" cbin "$f" "$mode" "$t"
			done
		done
		[ "$tier" = integration ] || continue
		for f in tests/integration/*.sh; do
			[ -f "$f" ] || continue
			base=$(basename "$f" .sh)
			t=$(src_field "$f" timeout)
			add_test "integration/$base" script "$f" - "${t:-$TIMEOUT}"
		done
	done
	for f in tests/wrong/*.c tests/wrong/*.cc; do
		[ -f "$f" ] || continue
		base=$(basename "$f"); base=${base%.*}
		t=$(src_field "$f" timeout)
		modes=$(src_field "$f" modes)
		variants=$(src_field "$f" variants)
		flags=$(src_field "$f" flags)
		for v in ${variants:--}; do
			for fl in ${flags:--}; do
				n=$v
				[ "$fl" != - ] && n=${n#-}${n:+/}$fl
				n=${n#-/}
				[ "$n" = - ] && n= || n="[$n]"
				add_test "wrong/$base$n" wrong "$f" \
				    "${modes:-preload}" "${t:-$TIMEOUT}" "$v" "$fl"
			done
		done
	done
	for f in tests/programs/*.sh; do
		[ -f "$f" ] || continue
		base=$(basename "$f" .sh)
		t=$(src_field "$f" timeout)
		add_test "programs/$base" program "$f" - \
		    "${t:-$TIMEOUT_PROGRAMS}"
	done
}

# ---- reporting ----

show_tail() {	# file
	[ -s "$1" ] || return 0
	tail -n "$TAIL_LINES" "$1" | sed 's/^/    /'
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
fail() {	# name reason [log]
	echo "FAIL $1: $2"
	[ $# -ge 3 ] && show_tail "$3"
	failed=$((failed + 1))
}

# Why a command ended the way it did, from its status under timeout(1).
status_reason() {	# status timeout
	local st=$1
	if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
		echo "timed out after $2 s"
	elif [ "$st" -gt 128 ]; then
		local sig
		sig=$(kill -l $((st - 128)) 2>/dev/null || echo $((st - 128)))
		echo "killed by SIG$sig"
	else
		echo "exit status $st"
	fi
}

# ---- building ----

bin_path() {	# src mode
	local rel=${1#tests/}
	rel=${rel%.*}
	if [ "$2" = static ]; then
		echo "$OUT/$rel.static"
	else
		echo "$OUT/$rel"
	fi
}

build_one() {	# src mode -> status; log next to the binary
	local src=$1 mode=$2 bin log cc flags
	bin=$(bin_path "$src" "$mode")
	log=$bin.build.log
	mkdir -p "$(dirname "$bin")"
	case $src in
	*.cc) cc=$CXX flags=$CXXFLAGS ;;
	*) cc=$CC flags=$CFLAGS ;;
	esac
	flags="$flags $(src_field "$src" cflags)"
	if [ "$mode" = static ]; then
		# shellcheck disable=SC2086
		$cc $flags -o "$bin" "$src" "$AR" $LIBS >"$log" 2>&1
	else
		# shellcheck disable=SC2086
		$cc $flags -o "$bin" "$src" $LIBS >"$log" 2>&1
	fi
}

build_all() {
	local i key running=0
	declare -A seen=()
	for i in "${!T_NAME[@]}"; do
		[ "${T_KIND[$i]}" = cbin ] || [ "${T_KIND[$i]}" = wrong ] ||
		    continue
		key=$(bin_path "${T_SRC[$i]}" "${T_MODE[$i]}")
		[ -n "${seen[$key]:-}" ] && continue
		seen[$key]=1
		rm -f "$key"
		build_one "${T_SRC[$i]}" "${T_MODE[$i]}" &
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait -n 2>/dev/null || true
			running=$((running - 1))
		fi
	done
	wait
}

# ---- running ----

run_cbin() {	# index
	local name=${T_NAME[$1]} src=${T_SRC[$1]} mode=${T_MODE[$1]}
	local t=${T_TIMEOUT[$1]} bin log st
	bin=$(bin_path "$src" "$mode")
	log=$LOGS/$(echo "$name" | sed 's|/|_|; s|\[|.|; s|\]||').log
	if [ ! -x "$bin" ]; then
		fail "$name" "does not compile" "$bin.build.log"
		return
	fi
	local -a envs=()
	read -r -a envs <<<"$(src_field "$src" env)"
	case $mode in
	lite) envs=(UMEM_DEBUG=lite UMEM_OPTIONS=dump=off "${envs[@]}") ;;
	0xf) envs=(KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off "${envs[@]}") ;;
	fw) envs=(KMEM_FLAGS=0x4f UMEM_OPTIONS=dump=off "${envs[@]}") ;;
	default) envs=(UMEM_DEBUG=default UMEM_OPTIONS=dump=off "${envs[@]}") ;;
	nomag) envs=(KMEM_FLAGS=0x2f UMEM_OPTIONS=dump=off "${envs[@]}") ;;
	esac
	if [ "$mode" != static ]; then
		ST_EXPECT_SLABTRACE=1 timeout -k 5 "$t" \
		    env LD_PRELOAD="$SO" "${envs[@]}" "$bin" >"$log" 2>&1 \
		    </dev/null
	else
		ST_EXPECT_SLABTRACE=1 timeout -k 5 "$t" \
		    env "${envs[@]}" "$bin" >"$log" 2>&1 </dev/null
	fi
	st=$?
	if [ $st -ne 0 ]; then
		fail "$name" "$(status_reason $st "$t")" "$log"
	elif grep -q "cannot be preloaded" "$log"; then
		fail "$name" "the library was not preloaded" "$log"
	elif [ "$mode" != static ] && [ "$mode" != preload ] &&
	    grep -q -E "$REPORT_RE" "$log"; then
		fail "$name" "slabtrace reported something under $mode" "$log"
	else
		pass "$name"
	fi
}

run_script() {	# index
	local name=${T_NAME[$1]} src=${T_SRC[$1]} t=${T_TIMEOUT[$1]} log st
	log=$LOGS/$(echo "$name" | tr '/' '_').log
	ST_EXPECT_SLABTRACE=1 ST_SO=$SO ST_CLI=$CLI ST_ROOT=$ROOT \
	    timeout -k 5 "$t" bash "$src" >"$log" 2>&1 </dev/null
	st=$?
	if [ $st -eq 77 ]; then
		skip "$name" "$(head -n 1 "$log")"
	elif [ $st -ne 0 ]; then
		fail "$name" "$(status_reason $st "$t")" "$log"
	else
		pass "$name"
	fi
}

# A real program: the same stdout and exit status three ways.
run_program() {	# index
	local name=${T_NAME[$1]} src=${T_SRC[$1]} t=${T_TIMEOUT[$1]}
	local base st_ref st how st f tb
	base=$LOGS/$(echo "$name" | tr '/' '_')
	tb=$((t / 6))
	t=$tb

	timeout -k 5 "$t" bash "$src" >"$base.ref.out" 2>"$base.ref.err" \
	    </dev/null
	st_ref=$?
	if [ $st_ref -eq 77 ]; then
		skip "$name" "$(head -n 1 "$base.ref.out")"
		return
	fi
	if [ $st_ref -ne 0 ]; then
		cat "$base.ref.out" "$base.ref.err" >"$base.log"
		fail "$name" "fails even without slabtrace: $(status_reason \
		    $st_ref "$t")" "$base.log"
		return
	fi
	for how in preload cli 0xf lite firewall; do
		# The slowest modes get longer: a firewall under every buffer
		# costs real programs 20-100 times their CPU time.
		case $how in
		0xf) t=$((tb * 2)) ;;
		firewall) t=$((tb * 4)) ;;
		*) t=$tb ;;
		esac
		case $how in
		preload)
			timeout -k 5 "$t" env LD_PRELOAD="$SO" bash "$src" \
			    >"$base.$how.out" 2>"$base.$how.err" </dev/null ;;
		cli)
			timeout -k 5 "$t" "$CLI" run -- bash "$src" \
			    >"$base.$how.out" 2>"$base.$how.err" </dev/null ;;
		0xf)
			timeout -k 5 "$t" env LD_PRELOAD="$SO" KMEM_FLAGS=0xf \
			    UMEM_OPTIONS=dump=off bash "$src" \
			    >"$base.$how.out" 2>"$base.$how.err" </dev/null ;;
		lite)
			timeout -k 5 "$t" env LD_PRELOAD="$SO" UMEM_DEBUG=lite \
			    UMEM_OPTIONS=dump=off bash "$src" \
			    >"$base.$how.out" 2>"$base.$how.err" </dev/null ;;
		firewall)
			timeout -k 5 "$t" env LD_PRELOAD="$SO" \
			    UMEM_DEBUG=default,firewall=1 UMEM_OPTIONS=dump=off \
			    bash "$src" >"$base.$how.out" 2>"$base.$how.err" \
			    </dev/null ;;
		esac
		st=$?
		f=$base.$how.log
		{
			echo "--- diff of stdout, without slabtrace vs $how:"
			diff "$base.ref.out" "$base.$how.out" | head -n 40
			echo "--- stderr ($how):"
			tail -n 15 "$base.$how.err"
		} >"$f"
		if [ $st -ne $st_ref ]; then
			fail "$name" "under $how: $(status_reason $st "$t"), \
without slabtrace: exit status $st_ref" "$f"
			return
		fi
		if ! cmp -s "$base.ref.out" "$base.$how.out"; then
			fail "$name" "stdout differs under $how" "$f"
			return
		fi
		if grep -q "cannot be preloaded" "$base.$how.err"; then
			fail "$name" "the library was not preloaded ($how)" "$f"
			return
		fi
		if grep -q -E "$REPORT_RE" "$base.$how.err"; then
			fail "$name" "slabtrace reported something ($how)" "$f"
			return
		fi
	done
	pass "$name"
}

# A wrong program: dies as it says, with the report and the dump it says.
run_wrong() {	# index
	local name=${T_NAME[$1]} src=${T_SRC[$1]} t=${T_TIMEOUT[$1]}
	local mode=${T_MODE[$1]} pre=$SO v=${T_VARIANT[$1]} fl=${T_FLAG[$1]}
	local bin dir log st want sig status re line n=0 dumps d fn top
	bin=$(bin_path "$src" "$mode")
	[ "$mode" = static ] && pre=
	dir=$OUT/wrong/$(basename "$bin").run
	log=$LOGS/$(echo "$name" | tr '/' '_').log
	if [ ! -x "$bin" ]; then
		fail "$name" "does not compile" "$bin.build.log"
		return
	fi
	rm -rf "$dir" && mkdir -p "$dir"
	local -a envs=() args=() e2=()
	[ "$fl" != - ] && envs=("$(flag_env "$fl")")
	read -r -a e2 <<<"$(wrong_field "$src" env "$v" "$fl")"
	envs+=("${e2[@]}")
	[ ${#envs[@]} -eq 0 ] && envs=(KMEM_FLAGS=0xf)
	[ "$v" != - ] && args=("$v")
	# (bash's own "Aborted" line about the subshell goes to /dev/null)
	(cd "$dir" && ST_EXPECT_SLABTRACE=1 timeout -k 5 "$t" \
	    env LD_PRELOAD="$pre" "${envs[@]}" "$bin" "${args[@]}" \
	    >"$dir/stdout" 2>"$dir/stderr" </dev/null) 2>/dev/null
	st=$?
	cp "$dir/stderr" "$log"
	sig=$(wrong_field "$src" signal "$v" "$fl")
	sig=${sig:-ABRT}
	if [ "$sig" = none ]; then
		want=$(wrong_field "$src" status "$v" "$fl")
		want=${want:-0}
	else
		want=$((128 + $(kill -l "$sig")))
	fi
	if [ "$st" -ne "$want" ]; then
		fail "$name" "$(status_reason "$st" "$t"), expected \
$(status_reason "$want" "$t")" "$log"
		return
	fi
	# The expected lines, in order, matched without the reports'
	# "slabtrace[PID]: " prefix (an expect line's "slabtrace: " is it).
	sed -E "s/^slabtrace\[[0-9]+\]: //" "$dir/stderr" >"$dir/stderr.n"
	status=0
	while IFS= read -r re; do
		re=${re#slabtrace: }
		line=$(tail -n +$((n + 1)) "$dir/stderr.n" | grep -n -E -m 1 \
		    -e "^($re)\$" | cut -d: -f1)
		if [ -z "$line" ]; then
			echo "--- no line (after line $n) matches: $re" >>"$log"
			status=1
			break
		fi
		n=$((n + line))
	done < <(src_fields "$src" expect)
	# A variant's or a flag's own lines, each anywhere.
	while IFS= read -r re; do
		[ $status -eq 0 ] || break
		re=${re#slabtrace: }
		if ! grep -q -E -e "^($re)\$" "$dir/stderr.n"; then
			echo "--- no line matches: $re" >>"$log"
			status=1
		fi
	done < <(src_fields "$src" "expect-$v"; [ "$fl" != - ] &&
	    src_fields "$src" "expect-$fl")
	if [ $status -ne 0 ]; then
		fail "$name" "report differs" "$log"
		return
	fi
	dumps=$(cd "$dir" && ls vmcore.* 2>/dev/null | wc -l)
	if [ "$(wrong_field "$src" dump "$v" "$fl")" = no ]; then
		if [ "$dumps" -ne 0 ]; then
			fail "$name" "a dump was written" "$log"
			return
		fi
		pass "$name"
		rm -rf "$dir"
		return
	fi
	d=$dir/vmcore.0
	if [ "$dumps" -ne 1 ] || [ ! -f "$d" ]; then
		fail "$name" "$dumps dumps written, expected vmcore.0" "$log"
		return
	fi
	if [ "$(stat -c %a "$d")" != 600 ]; then
		fail "$name" "dump mode $(stat -c %a "$d"), expected 600" "$log"
		return
	fi
	fn=$(wrong_field "$src" gdb "$v" "$fl")
	top=$(wrong_field "$src" gdb-top "$v" "$fl")
	if [ -n "$fn$top" ]; then
		if ! command -v gdb >/dev/null; then
			fail "$name" "gdb is not installed" "$log"
			return
		fi
		timeout 120 gdb -batch -nx -ex bt "$bin" "$d" >"$dir/gdb.out" \
		    2>&1 </dev/null
		cat "$dir/gdb.out" >>"$log"
		if [ -n "$fn" ] && ! grep -q -w -e "$fn" "$dir/gdb.out"; then
			fail "$name" "gdb's bt of the dump lacks $fn" "$log"
			return
		fi
		if [ -n "$top" ] && ! grep -E '^#[0-3] ' "$dir/gdb.out" |
		    grep -q -F -e "$top"; then
			fail "$name" "gdb's bt of the dump lacks $top in frames 0-3" \
			    "$log"
			return
		fi
	fi
	pass "$name"
	rm -rf "$dir"
}

# ---- main ----

collect

if [ $list_only -eq 1 ]; then
	printf '%s\n' "${T_NAME[@]}"
	exit 0
fi

missing=
for f in "$SO" "$AR" "$CLI"; do
	[ -e "$f" ] || missing="$missing ${f#"$ROOT"/}"
done
if [ -n "$missing" ]; then
	echo "FAIL setup: missing$missing (run make first)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ${#T_NAME[@]} -eq 0 ]; then
	echo "no test matches: ${patterns[*]}"
	echo "0 passed, 0 failed"
	exit 1
fi

# Test a snapshot, so that a rebuild while the suite runs can't change the
# library under a test.  The CLI looks for libslabtrace.so beside itself.
# Copies are renamed into place: a run still using the old files keeps them.
snapshot() {	# from to
	cp -f "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}
mkdir -p "$LOGS" "$OUT/lib"
if ! snapshot "$SO" "$OUT/lib/libslabtrace.so" ||
    ! snapshot "$AR" "$OUT/lib/libslabtrace.a" ||
    ! snapshot "$CLI" "$OUT/lib/slabtrace"; then
	echo "FAIL setup: cannot copy the library to $OUT/lib"
	echo "0 passed, 1 failed"
	exit 1
fi
SO=$OUT/lib/libslabtrace.so AR=$OUT/lib/libslabtrace.a CLI=$OUT/lib/slabtrace
build_all
for i in "${!T_NAME[@]}"; do
	case ${T_KIND[$i]} in
	cbin) run_cbin "$i" ;;
	script) run_script "$i" ;;
	program) run_program "$i" ;;
	wrong) run_wrong "$i" ;;
	esac
done

echo "($((SECONDS - start_time)) s)"
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
