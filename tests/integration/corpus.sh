#!/usr/bin/env bash
#
# corpus: the seeded heap bugs of tests/corpus/ (in the spirit of NIST's
# Juliet suite), each a program that compiles two ways: with -DBAD it
# commits one heap bug, without it (the "good" variant) it does the same
# work correctly.  Every program is built good and bad, at -O0 and -O2,
# and each binary is run under LD_PRELOAD=libslabtrace.so in seven modes:
#
#   plain    no debugging variables
#   0xf      KMEM_FLAGS=0xf
#   default  UMEM_DEBUG=default
#   lite     UMEM_DEBUG=lite
#   fw       KMEM_FLAGS=0x4f (a firewall under every buffer)
#   fwbelow  the same with UMEM_OPTIONS=fwbelow (the guard page before
#            each buffer: reads before a buffer's start fault, reads
#            past its end within its last page do not)
#   leaks    UMEM_OPTIONS=leakcheck (the leak check at exit: status 23)
#
# always with UMEM_OPTIONS=dump=off, stdin from /dev/null, under
# `timeout 60`, in a scratch directory.  A bad run caught its bug when its
# stderr has a line starting with "slabtrace[PID]: " (or "slabtrace: ") and its exit status is not
# 0.  A good binary must exit 0 with no such line in every mode (a report
# is a false positive, always a failure), and exit 0 with an empty stderr
# on plain glibc (mode "glibc": a check of the corpus itself).
#
# Which modes must catch which category is the table below; a program may
# override its category's row with a line "modes: LIST" ("none" for no
# mode) in its source, with the reason next to it.
#
# Run by tests/run-tests.sh (which sets ST_SO, ST_CLI and ST_ROOT) from
# the repository root; by hand, `bash tests/integration/corpus.sh` works
# too.  Environment:
#   CORPUS_QUICK=1     -O2 builds only, and the modes plain 0xf lite fw
#   CORPUS_FILTER=RE   only the programs whose names match RE (grep -E)
#   CORPUS_JOBS=N      parallel builds and runs (at most 2, the default)
#   CORPUS_CC, CORPUS_CXX   the compilers (gcc, g++)
# Binaries and results go to build/corpus (rebuilt only when a source or
# this script changes); every failing run's stderr tail to
# build/corpus/logs.  Output: one line per (program, variant, -O level),
# the failing expectations, a table per category, and
# "corpus: N expectations met, M failed"; exit 1 if any failed.
#
# timeout: 900

set -u
unset LD_PRELOAD
ulimit -c 0 2>/dev/null

ROOT=${ST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SO=${ST_SO:-$ROOT/build/libslabtrace.so}
cd "$ROOT" || exit 2
SELF=$ROOT/tests/integration/corpus.sh
SRCDIR=$ROOT/tests/corpus
OUT=$ROOT/build/corpus
BIN=$OUT/bin
RES=$OUT/results
LOGS=$OUT/logs
SCRATCH=$OUT/scratch
CC=${CORPUS_CC:-gcc}
CXX=${CORPUS_CXX:-g++}
CFLAGS="-g -pthread"
CXXFLAGS="-std=c++17 -g -pthread"
RUN_TIMEOUT=60
TAIL_LINES=40
start_time=$SECONDS

# The expectations: category: the modes that must catch its bugs.
TABLE='
df: plain 0xf default lite fw fwbelow
uafw: 0xf default lite fw fwbelow
uafr: fw fwbelow
ovfw: 0xf default lite fw fwbelow
ovfr: fw
unfw: 0xf default lite fw fwbelow
unfr: fwbelow
fnh: plain 0xf default lite fw fwbelow
fns: plain 0xf default lite fw fwbelow
mis: 0xf default lite fw fwbelow
leak: leaks
'
# (ovfw: lite checks the first byte past the end of a buffer; the
# programs that overflow without touching that byte (into lite's longer
# tag, which keeps callers) say so with a "modes:" line.  ovfr: fwbelow catches a read past the end only past the
# buffer's last page.)

ALL_MODES=(plain 0xf default lite fw fwbelow leaks)
OPTS=(O0 O2)
MODES=("${ALL_MODES[@]}")
if [ "${CORPUS_QUICK:-0}" = 1 ]; then
	OPTS=(O2)
	MODES=(plain 0xf lite fw leaks)
fi
JOBS=${CORPUS_JOBS:-2}
ncpu=$(nproc 2>/dev/null || echo 2)
[ "$JOBS" -gt "$ncpu" ] 2>/dev/null && JOBS=$ncpu
[ "$JOBS" -gt 2 ] 2>/dev/null && JOBS=2
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1

# ---- set-up ----

if ! command -v "$CC" >/dev/null || ! command -v "$CXX" >/dev/null; then
	echo "skip: $CC or $CXX not installed"
	exit 77
fi
if [ ! -f "$SO" ]; then
	echo "corpus: $SO missing (run make first)"
	exit 2
fi

table_row() {	# category -> its modes ("none" for none); 1 if no row
	local row
	row=$(printf '%s\n' "$TABLE" | sed -n "s/^$1:[ ]*//p")
	[ -n "$row" ] || return 1
	echo "$row"
}

src_field() {	# file key -> the value of its first "key: value" line
	sed -n "s/^[ *#/]*$2:[ ]*\\(.*[^ ]\\)[ ]*\$/\\1/p" "$1" | head -n 1
}

contains() {	# word list...
	local w=$1 x
	shift
	for x in "$@"; do
		[ "$x" = "$w" ] && return 0
	done
	return 1
}

mkdir -p "$BIN" "$RES" "$SCRATCH" "$OUT/lib" || exit 2
rm -rf "$LOGS" "$RES" "$SCRATCH"
mkdir -p "$LOGS" "$RES" "$SCRATCH"
# Test a snapshot of the library, so that a rebuild during the run cannot
# change it under a program (or make it fail to preload).
if ! cp -fp "$SO" "$OUT/lib/libslabtrace.so.tmp.$$" ||
    ! mv -f "$OUT/lib/libslabtrace.so.tmp.$$" "$OUT/lib/libslabtrace.so"; then
	echo "corpus: cannot copy $SO to $OUT/lib"
	exit 2
fi
SO=$OUT/lib/libslabtrace.so

# The programs, their categories and expected modes.
NAMES=()
declare -A SRC=() CAT=() EXPECT=()
malformed=()
for f in "$SRCDIR"/*.c "$SRCDIR"/*.cc; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	name=${name%.*}
	if [ -n "${CORPUS_FILTER:-}" ] &&
	    ! printf '%s\n' "$name" | grep -Eq -e "$CORPUS_FILTER"; then
		continue
	fi
	cat=${name%%_*}
	if ! row=$(table_row "$cat"); then
		malformed+=("$name: no row for category '$cat' in the table")
		continue
	fi
	if [ "$(src_field "$f" category)" != "$cat" ]; then
		malformed+=("$name: no line 'category: $cat'")
	fi
	if [ -z "$(src_field "$f" bug)" ]; then
		malformed+=("$name: no line 'bug: ...'")
	fi
	ov=$(src_field "$f" modes)
	[ -n "$ov" ] && row=$ov
	[ "$row" = none ] && row=
	for m in $row; do
		contains "$m" "${ALL_MODES[@]}" ||
		    malformed+=("$name: unknown mode '$m'")
	done
	NAMES+=("$name")
	SRC[$name]=$f
	CAT[$name]=$cat
	EXPECT[$name]=$row
done
if [ ${#NAMES[@]} -eq 0 ]; then
	echo "corpus: no programs in tests/corpus${CORPUS_FILTER:+ match $CORPUS_FILTER}"
	exit 1
fi

# ---- building ----

# A change of compilers or flags (or of this script) rebuilds everything.
stamp="$CC $CXX $CFLAGS | $CXXFLAGS | $($CC --version | head -n 1) | $(cksum <"$SELF")"
if [ "$(cat "$BIN/.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$BIN"/*
	printf '%s\n' "$stamp" >"$BIN/.stamp"
fi

build_one() {	# name variant opt
	local src=${SRC[$1]} out=$BIN/$1.$2.$3 def=
	[ "$2" = bad ] && def=-DBAD
	rm -f "$out"
	case $src in
	*.cc)	# shellcheck disable=SC2086
		$CXX $CXXFLAGS -"$3" $def -o "$out" "$src" \
		    >"$out.build.log" 2>&1 </dev/null ;;
	*)	# shellcheck disable=SC2086
		$CC $CFLAGS -"$3" $def -o "$out" "$src" \
		    >"$out.build.log" 2>&1 </dev/null ;;
	esac
}

KEYS=()		# name.variant.opt, in order
running=0
for name in "${NAMES[@]}"; do
	for variant in good bad; do
		for opt in "${OPTS[@]}"; do
			key=$name.$variant.$opt
			KEYS+=("$key")
			if [ -x "$BIN/$key" ] &&
			    [ "$BIN/$key" -nt "${SRC[$name]}" ]; then
				continue
			fi
			build_one "$name" "$variant" "$opt" &
			running=$((running + 1))
			if [ "$running" -ge "$JOBS" ]; then
				wait -n
				running=$((running - 1))
			fi
		done
	done
done
wait
build_time=$((SECONDS - start_time))

# ---- running ----

# One run: the result line "mode status reported" goes to stdout; stderr
# is kept in $RES/key.mode.err.
run_mode() {	# key mode
	local key=$1 mode=$2 dir=$SCRATCH/$1.$2 err=$RES/$1.$2.err st rep=0
	local -a envs=(UMEM_OPTIONS=dump=off)
	local pre=$SO
	case $mode in
	glibc) pre='' envs=() ;;
	plain) ;;
	0xf) envs+=(KMEM_FLAGS=0xf) ;;
	default) envs+=(UMEM_DEBUG=default) ;;
	lite) envs+=(UMEM_DEBUG=lite) ;;
	fw) envs+=(KMEM_FLAGS=0x4f) ;;
	fwbelow) envs=(UMEM_OPTIONS=dump=off,fwbelow KMEM_FLAGS=0x4f) ;;
	leaks) envs=(UMEM_OPTIONS=dump=off,leakcheck) ;;
	esac
	rm -rf "$dir" && mkdir -p "$dir"
	# (bash's own "Segmentation fault" line about the subshell goes to
	# /dev/null, not into the program's stderr)
	(cd "$dir" && timeout -k 5 "$RUN_TIMEOUT" env -u KMEM_FLAGS \
	    -u UMEM_DEBUG -u UMEM_LOGGING -u UMEM_OPTIONS -u SLABTRACE_STATS \
	    ${pre:+LD_PRELOAD="$pre"} ${envs[@]+"${envs[@]}"} "$BIN/$key" \
	    >/dev/null 2>"$err" </dev/null) 2>/dev/null
	st=$?
	rm -rf "$dir"
	grep -q -E '^slabtrace(\[[0-9]+\])?: ' "$err" && rep=1
	grep -q 'cannot be preloaded' "$err" && rep=preload
	echo "$mode $st $rep"
}

run_key() {	# key -> $RES/key
	local key=$1 mode
	{
		case $key in
		*.good.*) run_mode "$key" glibc ;;
		esac
		for mode in "${MODES[@]}"; do
			run_mode "$key" "$mode"
		done
	} >"$RES/$key.tmp"
	mv -f "$RES/$key.tmp" "$RES/$key"
}

running=0
for key in "${KEYS[@]}"; do
	[ -x "$BIN/$key" ] || continue
	run_key "$key" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
rmdir "$SCRATCH" 2>/dev/null

# ---- judging ----

met=0 failed=0
FAILS=()
declare -A C_CAUGHT=() C_TOTAL=() C_FP=() C_FAIL=() C_FILES=() C_MISS=()

why() {	# status reported -> a short word for what happened
	local st=$1 rep=$2
	if [ "$rep" = preload ]; then
		echo "not-preloaded"
	elif [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
		echo "timeout"
	elif [ "$rep" = 1 ] && [ "$st" -eq 0 ]; then
		echo "report,exit0"
	elif [ "$st" -gt 128 ]; then
		echo "SIG$(kill -l $((st - 128)) 2>/dev/null || echo $((st - 128)))"
	elif [ "$st" -ne 0 ]; then
		echo "exit$st"
	else
		echo "exit0"
	fi
}

keep_log() {	# key mode status what
	local log=$LOGS/$1.$2.log err=$RES/$1.$2.err
	{
		echo "$1 [$2]: $4 (exit status $3)"
		echo "--- stderr (last $TAIL_LINES lines):"
		tail -n "$TAIL_LINES" "$err" 2>/dev/null
	} >"$log"
}

fail() {	# message
	FAILS+=("$1")
	failed=$((failed + 1))
}

for m in "${malformed[@]+"${malformed[@]}"}"; do
	fail "corpus: $m"
done

for name in "${NAMES[@]}"; do
	cat=${CAT[$name]}
	C_FILES[$cat]=$(( ${C_FILES[$cat]:-0} + 1 ))
	# shellcheck disable=SC2206
	expect=(${EXPECT[$name]})
	for variant in good bad; do
		for opt in "${OPTS[@]}"; do
			key=$name.$variant.$opt
			line=$(printf '%-26s %-4s -%s ' "$name" "$variant" "$opt")
			if [ ! -x "$BIN/$key" ]; then
				fail "$key: does not compile (see $BIN/$key.build.log)"
				printf '%s does not compile\n' "$line"
				continue
			fi
			if [ ! -f "$RES/$key" ]; then
				fail "$key: no result"
				printf '%s no result\n' "$line"
				continue
			fi
			while read -r mode st rep; do
				w=$(why "$st" "$rep")
				if [ "$variant" = good ]; then
					if [ "$mode" = glibc ]; then
						if [ "$st" -eq 0 ] &&
						    [ ! -s "$RES/$key.$mode.err" ]; then
							met=$((met + 1))
							continue
						fi
						keep_log "$key" "$mode" "$st" "$w"
						fail "$key [glibc]: the good variant fails without slabtrace: $w$( [ -s "$RES/$key.$mode.err" ] && echo ', stderr not empty')"
						line+=" glibc=FAIL($w)"
						C_FAIL[$cat]=$(( ${C_FAIL[$cat]:-0} + 1 ))
						continue
					fi
					if [ "$st" -eq 0 ] && [ "$rep" = 0 ]; then
						met=$((met + 1))
						line+=" $mode=ok"
						continue
					fi
					keep_log "$key" "$mode" "$st" "$w"
					if [ "$rep" = 1 ]; then
						C_FP[$cat]=$(( ${C_FP[$cat]:-0} + 1 ))
						fail "$key [$mode]: FALSE POSITIVE: $(grep -m 1 -E '^slabtrace(\[[0-9]+\])?: ' "$RES/$key.$mode.err")"
						line+=" $mode=FALSE+"
					else
						fail "$key [$mode]: the good variant fails: $w"
						line+=" $mode=FAIL($w)"
					fi
					C_FAIL[$cat]=$(( ${C_FAIL[$cat]:-0} + 1 ))
					continue
				fi
				# a bad run
				C_TOTAL[$cat.$mode]=$(( ${C_TOTAL[$cat.$mode]:-0} + 1 ))
				caught=0
				[ "$rep" = 1 ] && [ "$st" -ne 0 ] && caught=1
				[ $caught = 1 ] &&
				    C_CAUGHT[$cat.$mode]=$(( ${C_CAUGHT[$cat.$mode]:-0} + 1 ))
				if contains "$mode" "${expect[@]+"${expect[@]}"}"; then
					if [ $caught = 1 ]; then
						met=$((met + 1))
						line+=" $mode=caught"
					else
						keep_log "$key" "$mode" "$st" "missed: $w"
						fail "$key [$mode]: missed ($w)"
						C_FAIL[$cat]=$(( ${C_FAIL[$cat]:-0} + 1 ))
						C_MISS[$cat.$mode]=1
						line+=" $mode=MISSED($w)"
					fi
				elif [ $caught = 1 ]; then
					line+=" $mode=caught+"
				else
					line+=" $mode=-($w)"
				fi
			done <"$RES/$key"
			printf '%s\n' "$line"
		done
	done
done

# ---- summary ----

echo
if [ ${#FAILS[@]} -gt 0 ]; then
	echo "failed expectations (logs in ${LOGS#"$ROOT"/}):"
	printf '  %s\n' "${FAILS[@]}"
	echo
fi
echo "bad runs caught per mode (caught/runs; * = the category's row"
echo "expects it, ! = a catch expected of some program was missed):"
printf '%-6s %5s' category files
for mode in "${MODES[@]}"; do
	printf ' %9s' "$mode"
done
printf ' %6s %6s\n' false+ failed
for cat in $(printf '%s\n' "$TABLE" | sed -n 's/^\([a-z]*\):.*/\1/p'); do
	[ -n "${C_FILES[$cat]:-}" ] || continue
	printf '%-8s %3s' "$cat" "${C_FILES[$cat]}"
	row=$(table_row "$cat")
	for mode in "${MODES[@]}"; do
		mark=' '
		contains "$mode" $row && mark='*'
		[ -n "${C_MISS[$cat.$mode]:-}" ] && mark='!'
		printf ' %8s%s' \
		    "${C_CAUGHT[$cat.$mode]:-0}/${C_TOTAL[$cat.$mode]:-0}" "$mark"
	done
	printf ' %6s %6s\n' "${C_FP[$cat]:-0}" "${C_FAIL[$cat]:-0}"
done
echo "(library: ${ST_SO:-build/libslabtrace.so}, built $(date -r "$SO" '+%F %T'),"\
    "cksum $(cksum <"$SO" | cut -d' ' -f1))"
echo "(${#NAMES[@]} programs, ${#KEYS[@]} binaries, modes ${MODES[*]};" \
    "build ${build_time} s, total $((SECONDS - start_time)) s," \
    "$JOBS jobs$( [ "${CORPUS_QUICK:-0}" = 1 ] && echo ', CORPUS_QUICK=1'))"
echo "corpus: $met expectations met, $failed failed"
[ "$failed" -eq 0 ]
