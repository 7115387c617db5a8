#!/bin/bash
# run.sh: one libFuzzer target, as the fuzz_*.sh integration tests run it:
# the saved corpus tests/fuzz/corpus/NAME and the old reproducers in
# tests/fuzz/crashes/NAME (fixed bugs stay fixed) run clean, then a fuzzing
# run of FUZZ_SECONDS (default 20) on one core into a temporary copy of the
# corpus.  Fails on any crash, leak, sanitizer report or invariant
# violation, naming the input.  Needs clang with the libFuzzer runtime
# (Debian: clang, libclang-rt-dev); without them it fails, it does not skip.
#   FZ_NAME    the target: build/fuzz/fuzz_NAME
#   FZ_SRCS    its sources, from the repository root
#   FZ_LIBS    libraries to link (optional)
#   FZ_MAXLEN  the longest input (default 4096)
# ST_ROOT is the repository root.
set -u
: "${ST_ROOT:?ST_ROOT must be the repository root}"
cd "$ST_ROOT" || exit 1

: "${FZ_NAME:?FZ_NAME must name the target}" "${FZ_SRCS:?FZ_SRCS must list its sources}"
N=fuzz_$FZ_NAME
CLANG=${CLANG_FUZZ:-clang}
SECONDS_FUZZ=${FUZZ_SECONDS:-20}
MAXLEN=${FZ_MAXLEN:-4096}
OUT=$ST_ROOT/build/fuzz
BIN=$OUT/$N
ART=$OUT/artifacts.$FZ_NAME
CORPUS=tests/fuzz/corpus/$FZ_NAME
CRASHES=tests/fuzz/crashes/$FZ_NAME
DICT=tests/fuzz/$FZ_NAME.dict
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
PKGS="clang and libclang-rt-dev (apt-get install clang libclang-rt-dev)"

mkdir -p "$OUT" || exit 1
rm -rf "$ART" && mkdir -p "$ART" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$N.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# ---- the toolchain ----
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "$N: '$CLANG' not found: install the Debian packages" \
	    "$PKGS"
	exit 1
fi
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$TMP/probe.c"
# shellcheck disable=SC2086
if ! "$CLANG" $SAN -o "$TMP/probe" "$TMP/probe.c" >"$TMP/probe.log" 2>&1
then
	echo "$N: '$CLANG -fsanitize=fuzzer,address,undefined'" \
	    "cannot link (no libFuzzer runtime?): install the Debian packages" \
	    "$PKGS"
	sed 's/^/    /' "$TMP/probe.log" | tail -n 5
	exit 1
fi

# ---- the harness ----
# Built into a temporary name and renamed, so a concurrent run keeps its
# binary; the sources are compiled as they are now (src/ may be changing).
# shellcheck disable=SC2086
if ! "$CLANG" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Isrc -Iinclude \
    $SAN -o "$BIN.tmp.$$" $FZ_SRCS ${FZ_LIBS:-} \
    >"$OUT/build.$FZ_NAME.log" 2>&1; then
	echo "$N: the harness does not build (build/fuzz/build.$FZ_NAME.log):"
	sed 's/^/    /' "$OUT/build.$FZ_NAME.log" | tail -n 25
	rm -f "$BIN.tmp.$$"
	exit 1
fi
mv -f "$BIN.tmp.$$" "$BIN" || exit 1
[ -s "$OUT/build.$FZ_NAME.log" ] && sed 's/^/build: /' "$OUT/build.$FZ_NAME.log" |
    head -n 20

fails=0
# The lines that say why a run failed.
WHY="invariant violated|^$N:   |ERROR: |runtime error:|SUMMARY: "
WHY="$WHY|Test unit written|^ +#[0-4] .* in (st_|kmem_)"
why() {	# log
	grep -E -m 12 -e "$WHY" "$1" | sed 's/^/    /'
}

# ---- 1. the saved corpus and the old crashes, each input once ----
# One process for all of them; after a failure, again from the next input.
inputs=()
for f in "$CORPUS"/* "$CRASHES"/*; do
	[ -f "$f" ] && inputs+=("$f")
done
if [ ${#inputs[@]} -eq 0 ]; then
	echo "$N: no inputs in $CORPUS"
	exit 1
fi
start=0 runs=0
while [ "$start" -lt ${#inputs[@]} ]; do
	runs=$((runs + 1))
	log=$TMP/replay.$runs.log
	"$BIN" -artifact_prefix="$ART/" -error_exitcode=1 \
	    "${inputs[@]:$start}" >"$log" 2>&1
	st=$?
	if [ $st -eq 0 ]; then
		break
	fi
	bad=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
	echo "FAILED: input $bad (exit status $st):"
	tac "$log" | sed '/^Running: /q' | tac >"$log.last"
	why "$log.last"
	echo "    reproduce: build/fuzz/$N $bad"
	cp "$log" "$OUT/replay.$runs.log"
	fails=$((fails + 1))
	# Go on after the failing input; stop if it cannot be told.
	next=-1
	for i in "${!inputs[@]}"; do
		[ "${inputs[$i]}" = "$bad" ] && next=$((i + 1))
	done
	[ $next -le "$start" ] && break
	start=$next
done
echo "$N: ${#inputs[@]} saved inputs run, $fails failed"

# ---- 2. a short new run, into a copy of the corpus ----
mkdir -p "$TMP/corpus" "$ART/run" && cp "$CORPUS"/* "$TMP/corpus/" || exit 1
dict=()
[ -f "$DICT" ] && dict=(-dict="$ST_ROOT/$DICT")
(cd "$TMP" && "$BIN" -jobs=1 -workers=1 -max_total_time="$SECONDS_FUZZ" \
    -max_len="$MAXLEN" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
    "${dict[@]}" -artifact_prefix="$ART/run/" "$TMP/corpus" \
    >"$TMP/parent.log" 2>&1)
st=$?
log=$TMP/fuzz-0.log
cp "$log" "$OUT/fuzz.$FZ_NAME.log" 2>/dev/null
new=$(find "$ART/run" -type f 2>/dev/null | sort)
if [ ! -f "$log" ]; then
	echo "FAILED: the fuzzer wrote no log (exit status $st):"
	sed 's/^/    /' "$TMP/parent.log" | tail -n 10
	fails=$((fails + 1))
elif [ $st -ne 0 ] || [ -n "$new" ] ||
    grep -q -E 'ERROR: |runtime error:|invariant violated|deadly signal' \
    "$log"; then
	echo "FAILED: fuzzing for ${SECONDS_FUZZ} s found a failure (exit" \
	    "status $st; log in build/fuzz/fuzz.$FZ_NAME.log):"
	why "$log"
	for f in $new; do
		echo "    reproduce: build/fuzz/$N ${f#"$ST_ROOT"/}"
	done
	fails=$((fails + 1))
else
	# "#N DONE cov: C ft: F corp: K/..." or the last status line.
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	echo "$N: fuzzed ${SECONDS_FUZZ} s, no failure: $last"
fi

[ $fails -eq 0 ] || exit 1
exit 0
