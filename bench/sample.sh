#!/usr/bin/env bash
#
# sample.sh: the sampled firewall's benchmark (`make bench` runs it; alone:
# bash bench/sample.sh).  Issue 14's target: under 3% CPU at the default
# rate, and how many of 100 runs of a use-after-free program are caught.
#
#  1. The catch rate.  bench/sample_uaf.c (200,000 allocations, one use
#     after free) runs SAMPLE_RUNS times (default 100) under
#     UMEM_DEBUG=firewall,sample at the default rate, and as many times
#     at one in 1000 and one in 100 for comparison; a run is caught when
#     it dies of SIGSEGV with a "read after free" report.  A record is
#     sampled with probability 1/N, so expect about RUNS/N catches.
#  2. The overhead.  Each program below runs SAMPLE_REPS times (default 5)
#     plainly under slabtrace and under UMEM_DEBUG=firewall,sample, back
#     to back; the table gives the median CPU seconds (user+sys) and the
#     ratio, and the number of sampled mallocs in one run (mprotect calls
#     that open a slot, counted with strace when it is installed).
#
# Environment: BUILD=build, SAMPLE_RUNS=100, SAMPLE_REPS=5.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SO=$BUILD/libslabtrace.so
RUNS=${SAMPLE_RUNS:-100}
REPS=${SAMPLE_REPS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slabtrace-samplebench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
[ -f "$SO" ] || { echo "sample.sh: no $SO (make first)" >&2; exit 1; }
unset KMEM_FLAGS UMEM_DEBUG UMEM_OPTIONS UMEM_LOGGING

cc -O2 -o uaf "$ROOT/bench/sample_uaf.c" || exit 1
for f in churn tight; do
	cc -O2 -Wall -I"$ROOT/bench" -o "$f" "$ROOT/bench/$f.c" -lpthread \
	    2>/dev/null || rm -f "$f"
done

echo "## The sampled firewall (UMEM_DEBUG=firewall,sample)"
echo
echo "Catch rate: $RUNS runs of bench/sample_uaf.c (one use after free)"
echo
echo "| rate | caught | expected (runs/N) |"
echo "|---|---:|---:|"
for rate in default 1000 100; do
	word=sample
	[ "$rate" != default ] && word=sample=$rate
	caught=0
	for ((i = 0; i < RUNS; i++)); do
		env LD_PRELOAD="$SO" UMEM_DEBUG=firewall,$word \
		    UMEM_OPTIONS=dump=off ./uaf >/dev/null 2>err
		st=$?
		if [ $st -eq 139 ] && grep -q "read after free" err; then
			caught=$((caught + 1))
		fi
	done
	n=$rate
	[ "$rate" = default ] && n=$(sed -n \
	    's/.*define ST_SAMPLE_DEFAULT[ \t]*\([0-9]*\).*/\1/p' \
	    "$ROOT/src/options.c")
	printf "| %s (1 in %s) | %d | %s |\n" "$rate" "$n" "$caught" \
	    "$(echo "scale=2; $RUNS / $n" | bc)"
done
echo

# "user+sys" CPU seconds of one run.
cpu() {
	/usr/bin/time -f "%U %S" -o t.out "$@" >/dev/null 2>/dev/null </dev/null
	awk '{ print $1 + $2 }' t.out
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

PROGS=("uaf-program ./uaf")
[ -x churn ] && PROGS+=("churn ./churn")
[ -x tight ] && PROGS+=("tight ./tight")
command -v python3 >/dev/null && PROGS+=("python-malloc env \
PYTHONMALLOC=malloc PYTHONHASHSEED=0 python3 -s $ROOT/bench/workload.py")
cat >q.sql <<'SQL'
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
    WHERE i < 200000) INSERT INTO t SELECT i, printf('%0*d', i % 200, i)
    FROM c;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(length(b)) FROM t WHERE b LIKE '%7%';
SQL
command -v sqlite3 >/dev/null && PROGS+=("sqlite sqlite3 :memory: .read\ q.sql")

echo "Overhead: median CPU seconds of $REPS runs each"
echo
echo "| program | slabtrace | sampled | ratio | samples/run |"
echo "|---|---:|---:|---:|---:|"
for p in "${PROGS[@]}"; do
	name=${p%% *}
	cmd=${p#* }
	a=() b=()
	for ((i = 0; i < REPS; i++)); do
		a+=("$(eval "cpu env LD_PRELOAD=$SO $cmd")")
		b+=("$(eval "cpu env LD_PRELOAD=$SO UMEM_DEBUG=firewall,sample \
		    $cmd")")
	done
	ma=$(printf '%s\n' "${a[@]}" | median)
	mb=$(printf '%s\n' "${b[@]}" | median)
	ns=-
	if command -v strace >/dev/null; then
		# mprotect(..., RW) calls, less those of a run without it.
		eval "strace -f -e trace=mprotect -o st0.out env \
		    LD_PRELOAD=$SO $cmd" >/dev/null 2>&1 </dev/null
		eval "strace -f -e trace=mprotect -o st1.out env \
		    LD_PRELOAD=$SO UMEM_DEBUG=firewall,sample $cmd" \
		    >/dev/null 2>&1 </dev/null
		ns=$(( $(grep -c 'PROT_READ|PROT_WRITE) = 0' st1.out) -
		    $(grep -c 'PROT_READ|PROT_WRITE) = 0' st0.out) ))
	fi
	printf "| %s | %.2f | %.2f | %s | %s |\n" "$name" "$ma" "$mb" \
	    "$(echo "scale=3; $mb / ($ma + 0.0001)" | bc)" "$ns"
done
