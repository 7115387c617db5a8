#!/bin/bash
# mdb_findleaks_snapshot: ::findleaks on a live process scans a snapshot
# (src/leakcheck.c and src/mdb/proc.c, sections 7; src/mdb/findleaks.c,
# section 4).  tests/leaks/snapshot.c keeps 100,000 buffers reachable,
# loses a list (1 direct + 9 indirect, 16 bytes each) and one 48-byte
# buffer, and runs on: three threads allocate and free without end, one
# forks and waits (waitpid(-1)) for its children, the main thread says how
# far the others got while each snapshot child lived.
#   - built -O0 and -O2, without debugging and with UMEM_DEBUG=default,
#     UMEM_OPTIONS=leaksignal=USR2: ::findleaks -v is exact (2 direct, 9
#     indirect; the callers lose_list and lose_one when audited), says it
#     scanned a snapshot and the program's pause; twice in a row; the
#     program made progress while the child lived; no snapshot child is
#     left (no zombie, none stopped) once the debugger is done;
#   - the debugger SIGKILLed while it scans: the child dies too; it held
#     none of the program's descriptors (its pidfd on the debugger only);
#   - no snapshot: a static program without leaksignal=, the same with
#     st_root's protocol word cleared (an older library: gdb writes it),
#     and -S (stopped already): one line says why (none for -S), and the
#     scan, of the stopped process, is exact; the static program with
#     leaksignal= takes snapshots;
#   - the program's fork child (one thread, the others' magazines
#     abandoned): its leaksignal thread runs again (kill -USR2: its report,
#     without tags, is exactly the two leaks) and takes snapshots (exact);
#   - at the end the program's own fork/wait never met a stranger, and it
#     got its SIGCHLDs.
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 600
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
unset SLABTRACE_SYMBOLIZER KMEM_FLAGS UMEM_DEBUG UMEM_OPTIONS UMEM_LOGGING
work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
ST_A=${ST_A:-$(dirname "$ST_SO")/libslabtrace.a}
SRC=$ST_ROOT/tests/leaks/snapshot.c

for o in O0 O2; do
	cc -g -"$o" -pthread -o "snap_$o" "$SRC" ||
	    { fail "snapshot.c does not compile (-$o)"; exit 1; }
done
static=
if [ -f "$ST_A" ] && cc -g -O2 -pthread -o snap_static "$SRC" "$ST_A" \
    -ldl 2>cc.err; then
	static=./snap_static
else
	echo "note: no $ST_A: the static program is not tried"
fi

# start NAME ENV... -- PROGRAM ARGS: in the background, stdout to
# NAME.out, stderr to NAME.err; sets pid once it said "ready".
start() {
	local name=$1
	shift
	env "$@" >"$name.out" 2>"$name.err" </dev/null &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 300); do
		grep -q '^ready' "$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name: no \"ready\": $(head -3 "$name.err")"
	return 1
}

# The snapshot children of $1 (the library names its thread, and so the
# child, slabtrace-leaks), as "PID STAT" lines.
snapkids() {
	ps --ppid "$1" -o pid=,stat=,comm= 2>/dev/null |
	    awk '$3 == "slabtrace-leaks" { print $1, $2 }'
}

# None left within 10 s (the library reaps the one the debugger killed).
no_snapkids() {
	for _ in $(seq 100); do
		[ -z "$(snapkids "$1")" ] && return 0
		sleep 0.1
	done
	echo "    left: $(snapkids "$1" | tr '\n' ' ')"
	return 1
}

# The exact leaks, in ./out: 2 direct, 9 indirect.
exact() {
	grep -qx 'findleaks: leaked => 2 direct, 9 indirect' out &&
	    [ "$(grep -c ' Total ' out)" = 2 ] &&
	    grep -q '^ *Total  *2 buffers, 64 bytes$' out &&
	    grep -q '^ *Total  *9 buffers, 144 bytes$' out
}

# scan WHAT [MDB OPTIONS]: ::findleaks -v on $pid, a snapshot, exact.
scan() {
	local what=$1 child
	shift
	mdb -p "$pid" "$@" -e '::findleaks -v'
	check "$what: exact" exact
	check "$what: a snapshot" grep -q \
	    '^findleaks: scanned a snapshot => child [0-9]' out
	check "$what: the pause reported" grep -Eq \
	    '^findleaks: the program paused => [0-9]+ us \(its threads stopped [0-9]+ us, fork [0-9]+ us, [0-9]+ stops?\)$' out
	check "$what: nothing on stderr" test ! -s err
	[ -s err ] && sed 's/^/    err: /' err | head -3
	check "$what: no snapshot child left" no_snapkids "$pid"
	child=$(sed -n 's/^findleaks: scanned a snapshot => child //p' out)
	[ -n "$child" ] && snapped+=("$child")
}

# The program's line for each child of snapped: progress > 0.
progressed() {	# name
	local c n
	for c in "${snapped[@]}"; do
		n=$(sed -n "s/^snapshot $c: progress //p" "$1.out")
		if [ -z "$n" ] || [ "$n" -le 0 ]; then
			echo "    child $c: progress '${n}'"
			return 1
		fi
	done
}

# stop NAME: SIGTERM; its fork/wait never met a stranger.
stop() {
	local name=$1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		grep -q '^forks ' "$name.out" && break
		sleep 0.1
	done
	check "$name: its waitpid(-1) met only its own children" \
	    grep -Eq '^forks [1-9][0-9]* bad 0 sigchld [1-9]' "$name.out"
	check "$name: no \"wait: BAD\"" test "$(grep -c BAD "$name.out")" = 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# --- -O0 and -O2, no debugging and audited
for o in O0 O2; do
	for mode in plain default; do
		name=$o.$mode
		denv=()
		[ $mode = default ] && denv=(UMEM_DEBUG=default)
		start "$name" LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leaksignal=USR2 \
		    "${denv[@]}" "./snap_$o" || continue
		snapped=()
		scan "$name"
		if [ $mode = default ]; then
			check "$name: the callers" grep -q \
			    '^[0-9a-f]\{16\}       1 [0-9a-f]\{16\} lose_one' out
			check "$name: the callers (list)" grep -q \
			    ' lose_list' out
		fi
		scan "$name, again"
		check "$name: it ran while the children lived" \
		    progressed "$name"
		stop "$name"
	done
done

# --- the debugger SIGKILLed while it scans: the child dies too
start big LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leaksignal=USR2 \
    ./snap_O2 400000 && {
	"$ST_CLI" mdb -p "$pid" -e '::findleaks' >/dev/null 2>&1 &
	mdbpid=$!
	kid=
	for _ in $(seq 300); do
		kid=$(snapkids "$pid" | awk '{ print $1; exit }')
		[ -n "$kid" ] && break
		sleep 0.05
	done
	nfd=$(find "/proc/$kid/fd" -mindepth 1 2>/dev/null | wc -l)
	kill -KILL "$mdbpid" 2>/dev/null
	wait "$mdbpid" 2>/dev/null
	check "killed mid-scan: a child was there" test -n "$kid"
	check "the child holds none of the program's descriptors ($nfd)" \
	    test "$nfd" -le 1
	check "killed mid-scan: the child died" no_snapkids "$pid"
	check "killed mid-scan: the program runs on" kill -0 "$pid"
	stop big
}

# --- no snapshot: the process is stopped for the scan instead
if [ -n "$static" ]; then
	start static "$static" || true
	mdb -p "$pid" -e '::findleaks -v'
	check "static, no leaksignal: exact" exact
	check "static, no leaksignal: one line says why" grep -qx \
	    "mdb: findleaks: no snapshot of process $pid (it takes them only with UMEM_OPTIONS=leaksignal=SIG): it is stopped for the scan" err
	check "static, no leaksignal: stopped" grep -q \
	    '^findleaks: scanned the process => stopped for ' out
	stop static
	start static_ls UMEM_OPTIONS=leaksignal=USR2 "$static" || true
	snapped=()
	scan "static, leaksignal"
	stop static_ls
fi
start older LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leaksignal=USR2 ./snap_O2 && {
	mdb -p "$pid" -S -e '::findleaks -v'
	check "-S: exact" exact
	check "-S: no note: $(head -c 300 err | tr "\n" " ")" test ! -s err
	check "-S: no snapshot" test "$(grep -c 'snapshot' out)" = 0
	if command -v gdb >/dev/null &&
	    timeout 60 gdb -p "$pid" -batch -ex \
	    'set var st_root.sr_leak_snapver = 0' >gdb.out 2>&1; then
		mdb -p "$pid" -e '::findleaks -v'
		check "an older library: exact" exact
		check "an older library: one line says why" grep -qx \
		    "mdb: findleaks: no snapshot of process $pid (its libslabtrace takes none (older than this debugger)): it is stopped for the scan" err
	else
		echo "note: no gdb (or it cannot attach): the older library is not tried"
	fi
	stop older
}

# --- the program's fork child: one thread, and ours again
start forked LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leaksignal=USR2 \
    SNAP_FORKCHILD=1 ./snap_O2 && {
	parent=$pid
	pid=$(sed -n 's/^child //p' forked.out)
	pids+=("$pid")
	check "fork child: it has our thread" test "$(ls /proc/"$pid"/task |
	    wc -l)" = 2
	kill -USR2 "$pid"
	for _ in $(seq 100); do
		grep -q 'leaked in' forked.err && break
		sleep 0.1
	done
	sed -E 's/^slabtrace\[[0-9]+\]: ?//' forked.err | grep -v '^$' >report
	check "fork child, kill -USR2: exactly the two leaks" same \
	    "$(grep -E 'leak of|leaked in' report)" \
	    "Direct leak of 48 byte(s) in 1 object(s) from kmem_alloc_48 (no stack: UMEM_DEBUG=default records them)
Direct leak of 16 byte(s) in 1 object(s) from kmem_alloc_16 (no stack: UMEM_DEBUG=default records them)
Indirect leak of 144 byte(s) in 9 object(s) from kmem_alloc_16 (no stack: UMEM_DEBUG=default records them)
208 byte(s) leaked in 11 allocation(s)."
	snapped=()
	scan "fork child"
	# The parent first: its forker's waitpid(-1) would reap this child
	# (its own) and say "wait: BAD" if it died first.
	child=$pid
	pid=$parent
	stop forked
	kill -TERM "$child"
}

[ $fails -eq 0 ] || exit 1
