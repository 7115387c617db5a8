#!/usr/bin/env bash
#
# leaks.sh: the leak check's benchmark (`make bench` runs it after the
# others; alone: bash bench/leaks.sh).  bench/leaks_heap.c makes
# LEAKS_BUFFERS live buffers (default 1,000,000; 16 to 256 bytes, a list
# from a global) and loses one in 1000; then each leak checker runs on it:
#   slabtrace kmem_leakcheck()      the check on demand, no debugging (no
#                                   buffer tags), timed in the program
#   slabtrace leakcheck at exit     UMEM_OPTIONS=leakcheck (lite), its own
#                                   figures (UMEM_DEBUG=verbose's line)
#   ::findleaks                     on the dump of the same heap (no
#                                   debugging, and UMEM_DEBUG=default)
#   LeakSanitizer                   gcc -fsanitize=leak, its recoverable
#                                   check timed in the program
#   valgrind --leak-check=full      the run's time less --leak-check=no's
# Each row: the check's seconds, the process's peak RSS, the scanner's own
# memory per buffer where it says it, and the leaks found (of N/1000).
# The targets (issue 12): the scan at exit and ::findleaks under 3 s, the
# scan's memory under 64 bytes a buffer.
#
# Environment: LEAKS_BUFFERS=1000000, BUILD=build, LEAKS_VALGRIND=1 (0
# skips valgrind: minutes at a million buffers).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
N=${LEAKS_BUFFERS:-1000000}
SO=$BUILD/libslabtrace.so
CLI=$BUILD/slabtrace
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slabtrace-leakbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

cc -O2 -o heap "$ROOT/bench/leaks_heap.c" -ldl || exit 1
lsan=0
cc -O2 -fsanitize=leak -o heap_lsan "$ROOT/bench/leaks_heap.c" -ldl \
    2>/dev/null && lsan=1

# "seconds peakKB" of a command; its stdout in ./out, stderr in ./err.
timed() {
	/usr/bin/time -f '%e %M' -o time "$@" >out 2>err
	tail -1 time
}
field() { sed -n "s/^$1 //p" out | head -1; }

printf '## Leak checks on %s live buffers (%s lost)\n\n' "$N" "$((N / 1000))"
printf '| checker | check (s) | process peak RSS (MB) | scanner bytes/buffer | leaks found |\n'
printf '|---|--:|--:|--:|--:|\n'

read -r _ rss < <(timed env LEAKS_HOW=api LD_PRELOAD="$SO" \
    UMEM_OPTIONS=nosymbolize UMEM_DEBUG=verbose ./heap "$N")
line=$(grep -o 'leak check: .*' err | head -1)
mem=$(sed -n 's/.*buffers read, \([0-9]*\) KB of memory.*/\1/p' <<<"$line")
printf '| slabtrace kmem_leakcheck() (no tags) | %.2f | %d | %s | %s |\n' \
    "$(echo "$(field check_ms) / 1000" | bc -l)" "$((rss / 1024))" \
    "$(echo "scale=1; ${mem:-0} * 1024 / $N" | bc)" "$(field found)"

read -r _ rss < <(timed env LD_PRELOAD="$SO" \
    UMEM_OPTIONS=leakcheck=report,nosymbolize UMEM_DEBUG=verbose ./heap "$N")
line=$(grep -o 'leak check: .*' err | head -1)
ms=$(sed -n 's/.* \([0-9]*\) ms$/\1/p' <<<"$line")
mem=$(sed -n 's/.*buffers read, \([0-9]*\) KB of memory.*/\1/p' <<<"$line")
found=$(sed -n 's/.* leaked in \([0-9]*\) allocation(s)\./\1/p' err | head -1)
printf '| slabtrace leakcheck at exit (lite) | %.2f | %d | %s | %s |\n' \
    "$(echo "${ms:-0} / 1000" | bc -l)" "$((rss / 1024))" \
    "$(echo "scale=1; ${mem:-0} * 1024 / $N" | bc)" "${found:-?}"

for mode in plain default; do
	rm -rf d && mkdir d
	if [ $mode = plain ]; then e=UMEM_OPTIONS=signals,dump=all
	else e=UMEM_DEBUG=default; fi
	(cd d && env LEAKS_HOW=crash LD_PRELOAD="$SO" "$e" ../heap "$N" \
	    >/dev/null 2>&1) 2>/dev/null
	if [ ! -f d/vmcore.0 ]; then
		printf '| ::findleaks (%s dump) | no dump | | | |\n' "$mode"
		continue
	fi
	read -r s rss < <(timed "$CLI" mdb -e '::findleaks -v' d/vmcore.0)
	mem=$(sed -n 's/^findleaks: peak memory usage => \([0-9]*\) kB/\1/p' out)
	found=$(awk '/^ *Total/ { print $2; exit }' out)
	printf '| ::findleaks (%s dump) | %s | %d | %s | %s |\n' "$mode" "$s" \
	    "$((rss / 1024))" "$(echo "scale=1; ${mem:-0} * 1024 / $N" | bc)" \
	    "${found:-?}"
done

if [ $lsan = 1 ]; then
	read -r _ rss < <(timed env LEAKS_HOW=lsan LSAN_OPTIONS=exitcode=0 \
	    ./heap_lsan "$N")
	printf '| LeakSanitizer (gcc -fsanitize=leak) | %.2f | %d | | %s |\n' \
	    "$(echo "$(field check_ms) / 1000" | bc -l)" "$((rss / 1024))" \
	    "$(sed -n 's/.* leaked in \([0-9]*\) allocation(s)\./\1/p' err | head -1)"
else
	printf '| LeakSanitizer | not built (gcc -fsanitize=leak) | | | |\n'
fi

if [ "${LEAKS_VALGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
	read -r t0 _ < <(timed valgrind --leak-check=no ./heap "$N")
	read -r t1 rss < <(timed valgrind --leak-check=full ./heap "$N")
	found=$(sed -n 's/.*definitely lost: .* in \([0-9,]*\) blocks/\1/p' err |
	    tr -d ,)
	printf '| valgrind --leak-check=full | %.2f | %d | | %s |\n' \
	    "$(echo "$t1 - $t0" | bc -l)" "$((rss / 1024))" "${found:-?}"
fi
