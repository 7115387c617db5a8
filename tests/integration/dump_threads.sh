#!/bin/bash
# dump_threads: a dump has every thread's registers (dump.c, section 6).
# tests/wrong/threads_dump.c starts five threads that wait, each in a
# function of its own, one of them with every signal blocked; then the
# main thread frees a buffer twice ("df"), or a sixth thread dereferences
# NULL ("segv").  On the dump, gdb's `info threads` and `thread apply all
# bt` must show:
#   - the panicking thread first (thread 1 is the panic line's thread=T);
#   - every thread that could stop (all but the blocked one) with its
#     registers, in the function it waits in (main's is main, or main_join
#     for "segv");
#   - the blocked thread, named by the "did not stop" line, without
#     registers: gdb may still list it (libthread_db finds it in the C
#     library's list of threads), with its registers <unavailable>;
# and the dump has one NT_PRSTATUS per thread with registers, the blocked
# thread cost no wait (stopping took under the 500 ms a late thread gets),
# and the threads that park are let go when the dump returns (the unit
# test, unit/test_dump, checks that).  Run by tests/run-tests.sh (ST_SO,
# ST_ROOT).
: "${ST_SO:?} ${ST_ROOT:?}"
if ! command -v gdb >/dev/null; then
	echo "gdb is not installed"
	exit 77
fi
fails=0
fail() {
	echo "FAILED ($variant): $*"
	fails=$((fails + 1))
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -g -Wall -Wextra -pthread -o "$work/td" \
    "$ST_ROOT/tests/wrong/threads_dump.c" || exit 1

# The function each thread waits in, by the name it gives itself.
declare -A want=([td_reader]=wait_in_read [td_cond]=wait_in_cond
    [td_spinner]=wait_in_spin [td_sleeper]=wait_in_sleep)

# The text of thread LWP's backtrace in gdb's `thread apply all bt`.
bt_of() {	# lwp
	awk -v lwp="$1" '
	    /^Thread [0-9]+ \(/ { on = index($0, "(LWP " lwp ")") > 0; next }
	    /^$/ { on = 0 }
	    on { print }' "$dir/gdb.out"
}

for variant in df segv; do
	dir=$work/$variant
	before=$fails
	mkdir -p "$dir"
	(cd "$dir" && env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
	    UMEM_DEBUG=verbose "$work/td" "$variant" >stdout 2>stderr \
	    </dev/null) 2>/dev/null
	st=$?
	case $variant in
	df) [ $st -eq 134 ] || fail "exit status $st, expected 134" ;;
	segv) [ $st -eq 139 ] || fail "exit status $st, expected 139" ;;
	esac
	if [ ! -f "$dir/vmcore.0" ]; then
		fail "no dump"
		sed 's/^/    /' "$dir/stderr" | tail -n 20
		continue
	fi
	timeout 120 gdb -batch -nx -ex 'info threads' \
	    -ex 'thread apply all bt' "$work/td" "$dir/vmcore.0" \
	    >"$dir/gdb.out" 2>&1 </dev/null

	panic=$(sed -n 's/.*panic\[cpu[0-9]*\]\/thread=\([0-9]*\):.*/\1/p' \
	    "$dir/stderr" | head -n 1)
	declare -A tid=()
	while read -r name t; do
		tid[$name]=$t
	done < <(sed -n 's/^threads_dump: \([a-z_]*\) tid \([0-9]*\)$/\1 \2/p' \
	    "$dir/stderr")
	[ -n "$panic" ] || fail "no panic line"
	case $variant in
	df)
		[ "$panic" = "${tid[td_main]}" ] ||
		    fail "panic in thread $panic, not main's ${tid[td_main]}"
		want[td_main]=main
		unset 'want[td_crasher]'
		nregs=5 ;;
	segv)
		[ "$panic" = "${tid[td_crasher]}" ] ||
		    fail "panic in thread $panic, not td_crasher's"
		want[td_main]=main_join
		want[td_crasher]=wrong_deref
		nregs=6 ;;
	esac

	# The panicking thread is thread 1, the current one.
	grep -Eq "^\* 1 +Thread 0x[0-9a-f]+ \(LWP $panic\) " "$dir/gdb.out" ||
	    fail "thread 1 is not the panicking thread $panic"
	# Each thread that stopped: listed, in its function.
	for name in "${!want[@]}"; do
		t=${tid[$name]:-}
		if [ -z "$t" ]; then
			fail "$name printed no tid"
			continue
		fi
		grep -Eq "^[* ] +[0-9]+ +Thread 0x[0-9a-f]+ \(LWP $t\) " \
		    "$dir/gdb.out" || fail "$name (LWP $t) not in info threads"
		bt_of "$t" | grep -qw -e "${want[$name]}" ||
		    fail "$name's backtrace lacks ${want[$name]}"
		bt_of "$t" | grep -q "<unavailable>" &&
		    fail "$name has no registers"
	done
	# The blocked thread: named by the line; no registers (if listed).
	t=${tid[td_blocked]:-}
	grep -q "thread $t did not stop; dumped without its registers" \
	    "$dir/stderr" || fail "no \"did not stop\" line for td_blocked ($t)"
	if bt_of "$t" | grep -q .; then
		bt_of "$t" | grep -q "<unavailable>" ||
		    fail "td_blocked is listed with registers"
	fi
	n=$(grep -cE "^[* ] +[0-9]+ +Thread 0x" "$dir/gdb.out")
	[ "$n" -ge "$nregs" ] && [ "$n" -le $((nregs + 1)) ] ||
	    fail "info threads lists $n threads, expected $nregs (+1 blocked)"
	if command -v readelf >/dev/null; then
		n=$(readelf -n "$dir/vmcore.0" | grep -c NT_PRSTATUS)
		[ "$n" -eq "$nregs" ] ||
		    fail "$n NT_PRSTATUS notes, expected $nregs"
	fi
	# The blocked thread was seen to block the signal: no 500 ms wait.
	us=$(sed -n 's/.*stopped [0-9]* of [0-9]* other threads in //p' \
	    "$dir/stderr" | sed -n 's/^\([0-9]*\) us$/\1/p')
	if [ -z "$us" ]; then
		fail "no \"stopped N of M other threads\" line"
	elif [ "$us" -ge 450000 ]; then
		fail "stopping the threads took $us us"
	fi
	if [ $fails -ne "$before" ]; then
		echo "--- stderr ($variant):"
		tail -n 15 "$dir/stderr"
		echo "--- gdb ($variant):"
		cat "$dir/gdb.out"
	fi
done
if [ $fails -ne 0 ]; then
	echo "$fails checks failed"
	exit 1
fi
echo "all checks passed"
