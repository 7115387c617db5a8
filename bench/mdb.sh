#!/usr/bin/env bash
#
# mdb.sh: the debugger benchmark (`make bench` runs it after run.sh; alone:
# bash bench/mdb.sh).  A process holding 1,000,000 live buffers
# (bench/mdb_heap.c) dies on a SIGSEGV, once without debugging and once
# under KMEM_FLAGS=0xf, and `slabtrace mdb` runs each command below on its
# dump: the median wall time of MDB_RUNS runs (default 3) and the largest
# resident set, beside the dump's size.  The targets (issue 11):
# ::kmem_verify and ::findleaks under 3 s, ::kmastat under 0.5 s,
# ADDR::whatis under 50 ms, memory under the dump's size.  A command the
# debugger does not have prints "n/a".
#
# Environment: MDB_RUNS=3, MDB_BUFFERS=1000000, BUILD=build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RUNS=${MDB_RUNS:-3}
NBUF=${MDB_BUFFERS:-1000000}
CLI=$BUILD/slabtrace
SO=$BUILD/libslabtrace.so
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slabtrace-mdbbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cc -O2 -o "$WORK/mdb_heap" "$ROOT/bench/mdb_heap.c"

# seconds and peak KB of one `slabtrace mdb -e CMD` on dump $1; the output
# lines go to $WORK/out.
run1() {
	/usr/bin/time -f '%e %M' -o "$WORK/time" \
	    "$CLI" mdb -e "$2" "$1" >"$WORK/out" 2>"$WORK/err" || true
	tail -1 "$WORK/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '## The debugger on a dump of %s live buffers\n\n' "$NBUF"
printf 'Median of %s runs; RSS is the largest of them.\n\n' "$RUNS"
for mode in plain 0xf; do
	d=$WORK/$mode
	mkdir -p "$d"
	if [ $mode = 0xf ]; then env=(KMEM_FLAGS=0xf); else env=(UMEM_OPTIONS=signals); fi
	(cd "$d" && env "${env[@]}" LD_PRELOAD="$SO" \
	    ../mdb_heap "$NBUF" >/dev/null 2>&1) 2>/dev/null || true
	dump=$d/vmcore.0
	if [ ! -f "$dump" ]; then
		echo "$mode: no dump was written"
		continue
	fi
	disk=$(du -k "$dump" | cut -f1)
	# An allocated buffer for ::whatis: the last one the walk gives.
	whatis=$("$CLI" mdb -e '::walk kmem' "$dump" 2>/dev/null | tail -1 || true)
	printf '### %s (dump: %s KB on disk, %s MB apparent)\n\n' "$mode" \
	    "$disk" "$(( $(stat -c %s "$dump") / 1048576 ))"
	printf '| command | seconds | peak RSS (MB) | output lines |\n'
	printf '|---|--:|--:|--:|\n'
	for cmd in '::status' '::kmastat' '::kmem_cache' '::kmem_verify' \
	    '::walk kmem ! wc -l' "${whatis:-0}::whatis" '::findleaks' \
	    '::kmausers'; do
		name=${cmd%%::*}
		name=::${cmd#*::}
		"$CLI" mdb -e '::dcmds' "$dump" 2>/dev/null | grep -q "^  ${name%% *}" ||
		    { printf '| `%s` | n/a | | |\n' "$cmd"; continue; }
		: >"$WORK/times"
		rss=0
		for _ in $(seq "$RUNS"); do
			read -r s kb < <(run1 "$dump" "$cmd")
			echo "$s" >>"$WORK/times"
			[ "$kb" -gt "$rss" ] && rss=$kb
		done
		printf '| `%s` | %s | %s | %s |\n' "$cmd" \
		    "$(median <"$WORK/times")" "$((rss / 1024))" \
		    "$(wc -l <"$WORK/out")"
	done
	echo
done
