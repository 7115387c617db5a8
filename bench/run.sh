#!/usr/bin/env bash
#
# run.sh: the slabtrace benchmark suite (`make bench`).
#
# Builds the benchmark programs in bench/ into build/bench/, runs every
# benchmark under every allocator configuration below, and prints markdown
# tables of wall time, CPU time and peak RSS as ratios to glibc, Larson's
# 2-thread/1-thread scaling and (for the single-threaded C benchmarks)
# callgrind instruction counts.  The tables also go to build/bench/results.md.
#
# Runs are interleaved: each repetition runs one benchmark under every
# configuration back to back (starting with a different one each time), so
# a burst of noise on the machine hits all allocators alike; the tables show
# medians.  The output of every run (less its ops/s figure) must match
# glibc's: a mismatch means an allocator handed out memory it should not
# have, and the cell says WRONG-OUTPUT.
#
# Environment:
#   BENCH_RUNS=5        repetitions (median is reported)
#   BENCH_CALLGRIND=1   0 skips the callgrind pass
#   BENCH_TIMEOUT=120   seconds before one run is killed (FAIL(timeout))
#   BENCH_ONLY="..."    only these CONFIGS rows (the baseline is always kept)
#   BENCH_SET="..."     only these benchmarks
#   BENCH_EXTRA="..."   more configurations, rows as in CONFIGS separated
#                       by ';', e.g. 'slabtrace-0xf build/libslabtrace.so
#                       KMEM_FLAGS=0xf; je-nodecay LIB MALLOC_CONF=...'
#   BENCH_WRITE=1       also regenerate BENCHMARKS.md (path: BENCH_MD)
#   CC=cc               compiler for the benchmark programs
#
# The other allocators come from Debian: apt-get install libjemalloc2
# libtcmalloc-minimal4 libmimalloc2.0 sqlite3 valgrind.  A configuration
# whose library is missing is skipped with a note.
#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=build/bench
# Runs use private copies of the programs and of any library built in this
# tree, in WORK: a `make clean` or a rebuild of libslabtrace.so during the
# suite then cannot break it or mix two versions into one table.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slabtrace-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
BIN=$WORK/bin
TMPD=$WORK/tmp
LIBDIR=${LIBDIR:-/usr/lib/x86_64-linux-gnu}

# Configurations: name, LD_PRELOAD library ("-" for none), then any
# VAR=VALUE settings for the run.  The first row is the baseline.
CONFIGS=(
	"glibc          -"
	"jemalloc       $LIBDIR/libjemalloc.so.2"
	"tcmalloc       $LIBDIR/libtcmalloc_minimal.so.4"
	"mimalloc       $LIBDIR/libmimalloc.so.2"
	"slabtrace      build/libslabtrace.so"
	# Debugging: kmem_flags 0xf (audit, deadbeef, redzone, contents);
	# libumem's lite mode; a firewall under every buffer of 16 KiB and more.
	"slabtrace-0xf  build/libslabtrace.so KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off"
	# The same without the sweep and the exit verify (verify.c): the
	# difference between the two rows is what they cost.
	"slabtrace-0xf-nosweep build/libslabtrace.so KMEM_FLAGS=0xf UMEM_OPTIONS=dump=off,sweep=0,noverify"
	"slabtrace-lite build/libslabtrace.so UMEM_DEBUG=lite UMEM_OPTIONS=dump=off"
	"slabtrace-fw   build/libslabtrace.so UMEM_DEBUG=default,firewall=16384 UMEM_OPTIONS=dump=off"
)

# Benchmarks: name, then the command line.  Leading VAR=VALUE words set
# the environment; a last word <FILE feeds FILE on stdin.  The C programs
# take their work as a last SCALE% argument, which the callgrind pass uses.
BENCHMARKS=(
	"larson-1       $BIN/larson 1"
	"larson-2       $BIN/larson 2"
	"xmalloc-2      $BIN/xmalloc 2"
	"threads-4      $BIN/threads 4"
	"scratch-2      $BIN/cache_scratch 2"
	"churn          $BIN/churn"
	"realloc        $BIN/realloc"
	"large          $BIN/large"
	"tight          $BIN/tight"
	"python         PYTHONHASHSEED=0 /usr/bin/python3 -s bench/workload.py"
	"python-malloc  PYTHONHASHSEED=0 PYTHONMALLOC=malloc /usr/bin/python3 -s bench/workload.py"
	"sqlite         /usr/bin/sqlite3 -batch -bail $TMPD/bench.db <$BIN/sqlite.sql"
)
# Single-threaded C benchmarks counted under callgrind, at this SCALE%.
CALLGRIND_BENCHES="larson-1 churn realloc tight"
CALLGRIND_SCALE=5
# The pair whose ops/s ratio is the scaling figure.
SCALE1=larson-1
SCALE2=larson-2

RUNS=${BENCH_RUNS:-5}
TIMEOUT=${BENCH_TIMEOUT:-120}
RUN_TIMEOUT=$TIMEOUT
MEASURE=$BIN/measure
RAW=$WORK/raw.tsv
NOTES=$WORK/notes.txt
SQLITE_DB=$TMPD/bench.db

log() { printf '%s\n' "$*" >&2; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }

build() {
	local cc=${CC:-cc} p
	mkdir -p "$OUT" "$BIN" "$TMPD" "$WORK/lib" "$WORK/logs"
	for p in measure larson xmalloc threads cache_scratch churn realloc \
	    large tight; do
		"$cc" -O2 -std=c11 -Wall -Wextra -pthread -o "$OUT/$p" \
		    "bench/$p.c"
		cp "$OUT/$p" "$BIN/$p"
	done
	awk -v rows=200000 -f bench/sqlite_gen.awk >"$OUT/sqlite.sql"
	cp "$OUT/sqlite.sql" "$BIN/sqlite.sql"
}

# Results stay in WORK until the end, then land in build/bench.
save_results() {
	mkdir -p "$OUT"
	cp "$RAW" "$NOTES" "$WORK/results.md" "$OUT/"
	rm -rf "$OUT/logs"
	cp -r "$WORK/logs" "$OUT/logs"
}

# The library to preload for configuration $1: a copy if it was built in
# this tree (it may be rebuilt while we run), else the system's own.
snapshot() {
	local path
	if [[ $2 == - ]]; then echo -; return 0; fi
	path=$(realpath "$2")
	if [[ $path == "$ROOT"/* ]]; then
		cp "$path" "$WORK/lib/$1.so"
		path=$WORK/lib/$1.so
	fi
	echo "$path"
}

# Fill the active configuration list, skipping missing libraries.
CFG_NAME=() CFG_LIB=() CFG_SHOW=() CFG_ENV=()
select_configs() {
	local rows=() row name lib env extra=()
	# BENCH_ONLY filters the table; BENCH_EXTRA rows are always wanted.
	for row in "${CONFIGS[@]}"; do
		read -r name lib env <<<"$row" || true
		if [[ $name == "${CONFIGS[0]%% *}" || -z ${BENCH_ONLY:-} ||
		    " $BENCH_ONLY " == *" $name "* ]]; then
			rows+=("$row")
		fi
	done
	if [[ -n ${BENCH_EXTRA:-} ]]; then
		IFS=';' read -ra extra <<<"$BENCH_EXTRA"
		rows+=("${extra[@]}")
	fi
	for row in "${rows[@]}"; do
		read -r name lib env <<<"$row" || true
		[[ -z $name ]] && continue
		if [[ $lib != - && ! -e $lib ]]; then
			note "skipped $name: $lib is missing"
			continue
		fi
		CFG_NAME+=("$name") CFG_SHOW+=("$lib") CFG_ENV+=("$env")
		CFG_LIB+=("$(snapshot "$name" "$lib")")
	done
}

BENCH_NAME=() BENCH_CMD=()
select_benches() {
	local row name cmd
	for row in "${BENCHMARKS[@]}"; do
		read -r name cmd <<<"$row"
		if [[ -n ${BENCH_SET:-} && " $BENCH_SET " != *" $name "* ]]; then
			continue
		fi
		BENCH_NAME+=("$name") BENCH_CMD+=("$cmd")
	done
}

# Split config $1 + command words $2 (+ extra args) into measure's
# arguments, in the global array ARGV; REPRO gets a shell command line
# that reproduces the run by hand.
build_argv() {
	local c=$1 words=$2 w input="" envs=() cmd=()
	shift 2
	for w in ${CFG_ENV[c]}; do envs+=("$w"); done
	for w in $words; do
		if [[ ${#cmd[@]} -eq 0 && $w == [A-Za-z_]*=* ]]; then
			envs+=("$w")
		elif [[ $w == \<* ]]; then
			input=${w#<}
		else
			cmd+=("$w")
		fi
	done
	cmd+=("$@")
	ARGV=(-t "$RUN_TIMEOUT")
	[[ -n $input ]] && ARGV+=(-i "$input")
	[[ ${CFG_LIB[c]} != - ]] && ARGV+=(-e "LD_PRELOAD=${CFG_LIB[c]}")
	for w in "${envs[@]}"; do ARGV+=(-e "$w"); done
	ARGV+=(-- "${cmd[@]}")
	# Shown with the paths that outlive the suite: build/bench, /tmp.
	REPRO="${envs[*]}"
	REPRO="${REPRO:+$REPRO }${cmd[*]}${input:+ <$input}"
	[[ ${CFG_LIB[c]} != - ]] && REPRO="LD_PRELOAD=${CFG_SHOW[c]} $REPRO"
	REPRO=${REPRO//$BIN/$OUT}
	REPRO=${REPRO//$TMPD/\/tmp}
}

# Values of "key=value" words in the measure line in $1.
field() { tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# One timed run: appends a "run" row to $RAW.
run_one() {
	local c=$1 b=$2 rep=$3 mfile=$TMPD/measure.txt err=$TMPD/stderr.txt
	local out status ops sum
	build_argv "$c" "${BENCH_CMD[b]}"
	rm -f "$SQLITE_DB" "$mfile"
	out=$("$MEASURE" -o "$mfile" "${ARGV[@]}" 2>"$err") || true
	status=$(field "$mfile" status)
	status=${status:-nomeasure}
	# ld.so only warns when a preload fails, then runs on glibc.
	if grep -q 'cannot be preloaded' "$err"; then status=nopreload; fi
	ops=$(grep -o 'ops/s=[0-9.]*' <<<"$out" | cut -d= -f2 | head -1) || true
	sum=$(sed 's|ops/s=[0-9.]*||' <<<"$out" | cksum | cut -d' ' -f1)
	if [[ $status != ok ]]; then
		local keep=logs/${CFG_NAME[c]}.${BENCH_NAME[b]}.$rep.stderr
		cp "$err" "$WORK/$keep"
		keep=$OUT/$keep
		note "${CFG_NAME[c]} ${BENCH_NAME[b]} run $rep: $status;" \
		    "reproduce: $REPRO (stderr in $keep)"
	fi
	printf 'run\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${CFG_NAME[c]}" \
	    "${BENCH_NAME[b]}" "$rep" "$(field "$mfile" wall)" \
	    "$(field "$mfile" cpu)" "$(field "$mfile" maxrss_kb)" \
	    "$status" "${ops:--}" "$sum" >>"$RAW"
	LAST_WALL=$(field "$mfile" wall)
}

# Busy CPU seconds of the whole machine since boot, from /proc/stat.
machine_busy() {
	awk -v hz="$(getconf CLK_TCK)" \
	    '/^cpu / { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' \
	    /proc/stat
}

# CPU seconds used by everything this script ran, from bash's `times`,
# which must run in this shell: a subshell would count only its own.
suite_cpu() {
	awk 'NR == 2 {
		for (i = 1; i <= 2; i++) {
			split($i, t, "m"); s += t[1] * 60 + t[2]
		}
		printf "%.2f\n", s
	}' "$WORK/times.txt"
}

# Other work on the machine skews every number: say so in the notes.
# $1 is machine_busy at the start, $2 the elapsed seconds.
busy_check() {
	local other
	times >"$WORK/times.txt"
	other=$(awk -v a="$1" -v b="$(machine_busy)" -v s="$(suite_cpu)" \
	    'BEGIN { printf "%.0f", b - a - s }')
	if ((other * 10 > $2)); then
		note "other processes used $other CPU-seconds during the" \
		    "$2 s suite: numbers may be skewed"
	fi
	return 0
}

timed_runs() {
	local rep b i c nc=${#CFG_NAME[@]} line
	for ((rep = 1; rep <= RUNS; rep++)); do
		for b in "${!BENCH_NAME[@]}"; do
			line="[run $rep/$RUNS] ${BENCH_NAME[b]}:"
			# Rotate the starting configuration every repetition.
			for ((i = 0; i < nc; i++)); do
				c=$(((i + rep - 1) % nc))
				run_one "$c" "$b" "$rep"
				line+=" ${CFG_NAME[c]} ${LAST_WALL}s"
			done
			log "$line"
		done
	done
}

bench_index() {
	local i
	for i in "${!BENCH_NAME[@]}"; do
		[[ ${BENCH_NAME[i]} == "$1" ]] && { echo "$i"; return 0; }
	done
	return 0
}

# One callgrind run per configuration and single-threaded benchmark.
callgrind_runs() {
	local name b c ir status vlog=$TMPD/callgrind.txt
	RUN_TIMEOUT=$((TIMEOUT * 5))	# valgrind is some 50x slower
	if ! command -v valgrind >/dev/null; then
		note "callgrind skipped: valgrind is not installed"
		return
	fi
	for name in $CALLGRIND_BENCHES; do
		b=$(bench_index "$name")
		[[ -z $b ]] && continue
		for c in "${!CFG_NAME[@]}"; do
			build_argv "$c" "valgrind --tool=callgrind \
			    --callgrind-out-file=/dev/null --log-file=$vlog \
			    ${BENCH_CMD[b]}" "$CALLGRIND_SCALE"
			rm -f "$vlog"
			"$MEASURE" -o "$TMPD/measure.txt" "${ARGV[@]}" \
			    >/dev/null 2>"$TMPD/stderr.txt" || true
			status=$(field "$TMPD/measure.txt" status)
			status=${status:-nomeasure}
			if grep -q 'cannot be preloaded' "$TMPD/stderr.txt"; then
				status=nopreload
			fi
			ir=$(grep -o 'Collected : [0-9]*' "$vlog" 2>/dev/null |
			    awk '{ print $3 }') || true
			if [[ $status == ok && -z $ir ]]; then status=noresult; fi
			[[ $status != ok ]] && note "callgrind ${CFG_NAME[c]}" \
			    "$name: $status; reproduce: $REPRO"
			printf 'cg\t%s\t%s\t%s\t%s\n' "${CFG_NAME[c]}" "$name" \
			    "${ir:--}" "$status" >>"$RAW"
			log "[callgrind] $name ${CFG_NAME[c]}: ${ir:-$status}"
		done
	done
}

report() {
	local cg="" name
	if [[ ${BENCH_CALLGRIND:-1} != 0 ]]; then
		for name in $CALLGRIND_BENCHES; do
			[[ -n $(bench_index "$name") ]] && cg+="$name "
		done
	fi
	echo "## Results ($RUNS runs each, medians; $(date -u '+%Y-%m-%d %H:%M UTC'))"
	awk -v configs="${CFG_NAME[*]}" -v benches="${BENCH_NAME[*]}" \
	    -v cgbenches="$cg" -v base="${CFG_NAME[0]}" \
	    -v scale1="$SCALE1" -v scale2="$SCALE2" -f bench/report.awk "$RAW"
	if [[ -s $NOTES ]]; then
		printf '\n### Notes\n\n'
		cat "$NOTES"
	fi
}

machine() {
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- cpu: $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' \
	    /proc/cpuinfo)"
	echo "- kernel: $(uname -r)"
	echo "- libc: $(getconf GNU_LIBC_VERSION 2>/dev/null || echo unknown)"
	echo "- compiler: $(${CC:-cc} --version | head -1)"
	echo "- packages: $(dpkg-query -W -f '${Package} ${Version}, ' \
	    libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 sqlite3 \
	    python3 valgrind 2>/dev/null | sed 's/, $//')"
	echo "- slabtrace: $(git rev-parse --short HEAD 2>/dev/null ||
	    echo 'no commit') $(git status --porcelain 2>/dev/null |
	    grep -q . && echo '(work tree modified)')"
}

describe() {
	cat <<'EOF'
## The benchmarks

Every program is ours (bench/), deterministic (fixed seeds), and built with
`cc -O2`.  Multi-threaded ones take a thread count; the number in the row
name is the count used.

- **larson-N**: a server simulation after Larson and Krishnan.  Each thread
  keeps 4000 objects of 8..1000 bytes and repeatedly frees a random one and
  allocates a replacement; one operation in 16 also swaps an object through
  a shared table, so some objects are freed by another thread.  Fixed work
  per thread; the scaling table divides 2-thread by 1-thread ops/s.
- **xmalloc-2**: producer/consumer after xmalloc-test.  One thread allocates
  objects of 8..256 bytes and passes them in batches through a bounded
  queue to another thread that frees them: every free is remote.
- **threads-4**: more threads than cores, after glibc's bench-malloc-thread.
  Each of 4 threads keeps 1024 blocks of 16..4096 bytes (small ones far
  more likely: density 1/size^2) and replaces a random one at each step;
  one step in 8 trades the new block through 64 shared slots.  Fixed work:
  8M steps in all.  Under debugging it shows what serialises threads.
- **scratch-2**: passive false sharing after Hoard's cache-scratch.  The main
  thread allocates one 8-byte object per worker back to back; each worker
  frees its object, then repeatedly allocates one of its own and writes to
  it hard.  An allocator that hands the freed neighbour back to the worker
  makes two cores write one cache line.
- **churn**: one thread, a live set of 20000 slots; each step frees a random
  full slot or fills an empty one with 8 B..64 KiB (mostly small, a tail
  to 64 KiB).  Measures a fragmenting heap's speed and footprint.
- **realloc**: 16 strings grown in turn by exact-size realloc, 1..128 bytes
  at a time, from 16 bytes to 1 MiB; then 2000 vectors grown by doubling.
- **large**: big buffers reused: a 4-24 MiB buffer allocated, filled and
  freed 300 times, then 600 steps that each replace one of 20 live 5-25
  MiB buffers with a new one, filled (mimalloc-bench's malloc-large).
  Giving freed pages back to the OS at once means faulting them in again.
- **tight**: malloc(n) and immediate free() in a tight loop for n = 16, 64,
  256, 1024, 4096: the fast path alone.
- **python**: /usr/bin/python3 building dicts, lists and strings, json
  dumps/loads, sorting and grouping (bench/workload.py); **python-malloc**
  is the same with PYTHONMALLOC=malloc, so every object, not only those
  pymalloc does not serve, goes to the allocator under test.
- **sqlite**: /usr/bin/sqlite3 on a file database: 200k INSERT statements in
  one transaction, two indexes, GROUP BY queries (script from
  bench/sqlite_gen.awk).

Wall and CPU time are measured by bench/measure.c (fork, exec, wait4
rusage, CLOCK_MONOTONIC), peak RSS is the child's ru_maxrss.  Instruction
counts come from `valgrind --tool=callgrind` at 5% of the normal work, so
they include start-up, which matters little at that size.

This machine is a small VM: the same run varies by 10-15% in wall time from
one repetition to the next, more for the 2-thread runs (larson-2 above
all).  The suite interleaves allocators and reports medians, but treat a
wall or CPU difference under ~10% as noise; the callgrind counts are exact
and repeatable.
EOF
}

write_md() {
	local md=${BENCH_MD:-$ROOT/BENCHMARKS.md} mach

	# Before the file is opened: git would see it modified.
	mach=$(machine)
	{
		echo "# slabtrace benchmarks"
		echo
		echo "Generated by \`BENCH_WRITE=1 make bench\` (bench/run.sh);" \
		    "do not edit by hand."
		echo
		echo "## Machine"
		echo
		echo "$mach"
		echo
		cat "$OUT/results.md"
		echo
		describe
	} >"$md"
	log "wrote $md"
}

main() {
	local t0=$SECONDS busy0
	build
	: >"$RAW"
	: >"$NOTES"
	select_configs
	select_benches
	log "configurations: ${CFG_NAME[*]}; benchmarks: ${BENCH_NAME[*]}"
	busy0=$(machine_busy)
	timed_runs
	[[ ${BENCH_CALLGRIND:-1} != 0 ]] && callgrind_runs
	log "suite took $((SECONDS - t0)) s"
	busy_check "$busy0" $((SECONDS - t0))
	report | tee "$WORK/results.md"
	save_results
	if [[ ${BENCH_WRITE:-0} == 1 ]]; then write_md; fi
}

main "$@"
