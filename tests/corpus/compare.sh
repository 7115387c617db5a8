#!/usr/bin/env bash
#
# compare.sh: the corpus of seeded heap bugs (tests/corpus/*.c, *.cc) under
# valgrind memcheck, AddressSanitizer and slabtrace's modes, side by side.
# Not part of `make check` (tests/integration/corpus.sh is); run it by
# hand from anywhere:
#
#   bash tests/corpus/compare.sh >tests/corpus/RESULTS.md
#
# Every program's bad variant (-DBAD) is built at -O0 and -O2 (gcc, g++
# -std=c++17, -g -pthread) and run
#   - under `valgrind --error-exitcode=99 --leak-check=full
#     --errors-for-leak-kinds=definite -q`: caught when it exits non-zero
#     and printed a valgrind error (a "==PID== " line);
#   - rebuilt with -fsanitize=address (LeakSanitizer on, as by default):
#     caught when it exits non-zero with an "ERROR: AddressSanitizer" or
#     "ERROR: LeakSanitizer" line;
#   - with LD_PRELOAD=libslabtrace.so in the modes plain, 0xf
#     (KMEM_FLAGS=0xf), default (UMEM_DEBUG=default), lite
#     (UMEM_DEBUG=lite), fw (KMEM_FLAGS=0x4f), fwbelow (the same with
#     UMEM_OPTIONS=fwbelow) and leaks
#     (UMEM_OPTIONS=leakcheck: the leak check at exit, status 23),
#     UMEM_OPTIONS=dump=off:
#     caught when it exits non-zero with a line starting "slabtrace[PID]: " (or "slabtrace: ").
# The good variants run under valgrind and ASan too, as a check of the
# corpus itself: any report there is a bug in the corpus.
#
# Output (stdout, Markdown): the date, commit and tools, a table per
# category (caught/runs for each tool), and one line per program.  Progress
# goes to stderr.  Environment: ST_SO (default build/libslabtrace.so),
# CORPUS_FILTER (a grep -E pattern of program names), CORPUS_JOBS (at most
# 2, the default).  Work files: build/corpus/compare/.

set -u
unset LD_PRELOAD
ulimit -c 0 2>/dev/null

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
SO=${ST_SO:-$ROOT/build/libslabtrace.so}
SRCDIR=$ROOT/tests/corpus
OUT=$ROOT/build/corpus/compare
CC=${CORPUS_CC:-gcc}
CXX=${CORPUS_CXX:-g++}
RUN_TIMEOUT=60
OPTS=(O0 O2)
ST_MODES=(plain 0xf default lite fw fwbelow leaks)
TOOLS=(valgrind asan "${ST_MODES[@]}")
JOBS=${CORPUS_JOBS:-2}
[ "$JOBS" -gt 2 ] 2>/dev/null && JOBS=2
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1
start_time=$SECONDS

for t in "$CC" "$CXX" valgrind; do
	command -v "$t" >/dev/null || { echo "compare.sh: $t is not installed" >&2; exit 2; }
done
[ -f "$SO" ] || { echo "compare.sh: $SO missing (make first)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/res" "$OUT/run" "$OUT/lib" || exit 2
# a snapshot: a rebuild of the library during the run changes nothing
cp -fp "$SO" "$OUT/lib/libslabtrace.so" || exit 2
SO=$OUT/lib/libslabtrace.so

NAMES=()
declare -A SRC=()
for f in "$SRCDIR"/*.c "$SRCDIR"/*.cc; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	n=${n%.*}
	if [ -n "${CORPUS_FILTER:-}" ] &&
	    ! printf '%s\n' "$n" | grep -Eq -e "$CORPUS_FILTER"; then
		continue
	fi
	NAMES+=("$n")
	SRC[$n]=$f
done
[ ${#NAMES[@]} -gt 0 ] || { echo "compare.sh: no programs" >&2; exit 1; }

throttle() {	# after starting a background job
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
}

# ---- build: name.variant.opt and name.variant.opt.asan ----

build_one() {	# name variant opt asan(0|1)
	local src=${SRC[$1]} out=$OUT/bin/$1.$2.$3 def='' san='' cc
	[ "$2" = bad ] && def=-DBAD
	if [ "$4" = 1 ]; then
		san=-fsanitize=address
		out=$out.asan
	fi
	case $src in
	*.cc) cc="$CXX -std=c++17" ;;
	*) cc=$CC ;;
	esac
	# shellcheck disable=SC2086
	$cc -g -pthread -"$3" $def $san -o "$out" "$src" >"$out.log" 2>&1 \
	    </dev/null
}

echo "building ${#NAMES[@]} programs ..." >&2
running=0
for n in "${NAMES[@]}"; do
	for v in good bad; do
		for o in "${OPTS[@]}"; do
			for a in 0 1; do
				build_one "$n" "$v" "$o" "$a" &
				throttle
			done
		done
	done
done
wait

# ---- run ----

# One run; prints "tool status verdict" (verdict 1 when the tool reported).
run_tool() {	# key(name.variant.opt) tool
	local key=$1 tool=$2 dir=$OUT/run/$1.$2 err=$OUT/res/$1.$2.err st rep=0
	local -a cmd
	case $tool in
	valgrind)
		cmd=(valgrind --error-exitcode=99 --leak-check=full
		    --errors-for-leak-kinds=definite -q "$OUT/bin/$key") ;;
	asan)
		cmd=(env ASAN_OPTIONS=allocator_may_return_null=1
		    "$OUT/bin/$key.asan") ;;
	*)
		cmd=(env LD_PRELOAD="$SO" UMEM_OPTIONS=dump=off)
		case $tool in
		0xf) cmd+=(KMEM_FLAGS=0xf) ;;
		default) cmd+=(UMEM_DEBUG=default) ;;
		lite) cmd+=(UMEM_DEBUG=lite) ;;
		fw) cmd+=(KMEM_FLAGS=0x4f) ;;
		fwbelow) cmd=(env LD_PRELOAD="$SO" UMEM_OPTIONS=dump=off,fwbelow
		    KMEM_FLAGS=0x4f) ;;
		leaks) cmd=(env LD_PRELOAD="$SO" UMEM_OPTIONS=dump=off,leakcheck) ;;
		esac
		cmd+=("$OUT/bin/$key") ;;
	esac
	mkdir -p "$dir"
	(cd "$dir" && timeout -k 5 "$RUN_TIMEOUT" env -u KMEM_FLAGS \
	    -u UMEM_DEBUG -u UMEM_LOGGING -u UMEM_OPTIONS -u SLABTRACE_STATS \
	    -u ASAN_OPTIONS "${cmd[@]}" >/dev/null 2>"$err" </dev/null) \
	    2>/dev/null
	st=$?
	rm -rf "$dir"
	case $tool in
	valgrind) grep -Eq '^==[0-9]+== ' "$err" && rep=1 ;;
	asan) grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)' "$err" &&
	    rep=1 ;;
	*) grep -q -E '^slabtrace(\[[0-9]+\])?: ' "$err" && rep=1 ;;
	esac
	# caught: a report and a non-zero exit status
	[ "$st" -ne 0 ] || rep=0
	echo "$tool $st $rep"
}

run_key() {	# key tools...
	local key=$1 t
	shift
	for t in "$@"; do
		run_tool "$key" "$t"
	done >"$OUT/res/$key"
}

echo "running ..." >&2
running=0
for n in "${NAMES[@]}"; do
	for o in "${OPTS[@]}"; do
		if [ -x "$OUT/bin/$n.bad.$o" ] && [ -x "$OUT/bin/$n.bad.$o.asan" ]; then
			run_key "$n.bad.$o" "${TOOLS[@]}" &
			throttle
		fi
		if [ -x "$OUT/bin/$n.good.$o" ] && [ -x "$OUT/bin/$n.good.$o.asan" ]; then
			run_key "$n.good.$o" valgrind asan &
			throttle
		fi
	done
done
wait

# ---- report ----

declare -A CAUGHT=() RUNS=() FILES=()
CATS=()
detail=()
corpus_bugs=()
for n in "${NAMES[@]}"; do
	cat=${n%%_*}
	if [ -z "${FILES[$cat]:-}" ]; then
		CATS+=("$cat")
	fi
	FILES[$cat]=$(( ${FILES[$cat]:-0} + 1 ))
	row="| $n |"
	for o in "${OPTS[@]}"; do
		cell=
		if [ ! -f "$OUT/res/$n.bad.$o" ]; then
			row+=" (does not compile) |"
			continue
		fi
		while read -r tool st rep; do
			RUNS[$cat.$tool]=$(( ${RUNS[$cat.$tool]:-0} + 1 ))
			if [ "$rep" = 1 ]; then
				CAUGHT[$cat.$tool]=$(( ${CAUGHT[$cat.$tool]:-0} + 1 ))
				cell+=" $tool"
			fi
		done <"$OUT/res/$n.bad.$o"
		row+="${cell:- -} |"
		if [ -f "$OUT/res/$n.good.$o" ]; then
			while read -r tool st rep; do
				if [ "$rep" = 1 ] || [ "$st" -ne 0 ]; then
					corpus_bugs+=("$n good -$o under $tool: exit status $st, $(head -n 2 "$OUT/res/$n.good.$o.$tool.err" | tr '\n' ' ')")
				fi
			done <"$OUT/res/$n.good.$o"
		fi
	done
	detail+=("$row")
done

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$ROOT" status --porcelain -- src include 2>/dev/null | wc -l)
echo "# The heap-bug corpus: valgrind, ASan and slabtrace"
echo
echo "Produced by \`bash tests/corpus/compare.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'),"
if [ "$dirty" -gt 0 ]; then
	echo "at commit $commit with $dirty uncommitted changed files under src/ and include/"
else
	echo "at commit $commit"
fi
echo "with build/libslabtrace.so of $(date -r "$SO" '+%F %T') (cksum"
echo "$(cksum <"$SO" | cut -d' ' -f1))"
echo "($(uname -m), $(nproc) CPUs; $($CC --version | head -n 1);"
echo "$(valgrind --version); ASan from the same gcc)."
echo "${#NAMES[@]} programs; each bad variant built at -O0 and -O2, so a cell"
echo "is caught/runs over 2 runs per program.  slabtrace's modes: plain (no"
echo "variables), 0xf (KMEM_FLAGS=0xf), default (UMEM_DEBUG=default), lite"
echo "(UMEM_DEBUG=lite), fw (KMEM_FLAGS=0x4f), fwbelow (fw with"
echo "UMEM_OPTIONS=fwbelow: the guard page before each buffer), leaks"
echo "(UMEM_OPTIONS=leakcheck)."
echo "A run caught its bug when it"
echo "exited non-zero with the tool's report.  Time: $((SECONDS - start_time)) s."
echo
printf '| category | files |'
for t in "${TOOLS[@]}"; do printf ' %s |' "$t"; done
echo
printf '|---|--:|'
for t in "${TOOLS[@]}"; do printf -- '--:|'; done
echo
for cat in "${CATS[@]}"; do
	printf '| %s | %s |' "$cat" "${FILES[$cat]}"
	for t in "${TOOLS[@]}"; do
		printf ' %s/%s |' "${CAUGHT[$cat.$t]:-0}" "${RUNS[$cat.$t]:-0}"
	done
	echo
done
printf '| all | %s |' "${#NAMES[@]}"
for t in "${TOOLS[@]}"; do
	c=0 r=0
	for cat in "${CATS[@]}"; do
		c=$((c + ${CAUGHT[$cat.$t]:-0}))
		r=$((r + ${RUNS[$cat.$t]:-0}))
	done
	printf ' %s/%s |' "$c" "$r"
done
echo
echo
echo "Good variants reported or failing under valgrind or ASan (bugs in the"
echo "corpus itself): ${#corpus_bugs[@]}."
for b in "${corpus_bugs[@]+"${corpus_bugs[@]}"}"; do
	echo "- $b"
done
echo
echo "## Per program: what caught the bad variant"
echo
echo "| program | -O0 | -O2 |"
echo "|---|---|---|"
printf '%s\n' "${detail[@]}"
echo "compare.sh: done in $((SECONDS - start_time)) s" >&2
