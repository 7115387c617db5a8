#!/bin/bash
# mdb_live: `slabtrace mdb -p PID` on a live process (src/mdb/proc.c).
# A program of four threads allocates, frees, frees a buffer twice (a
# report, UMEM_DEBUG=noabort, so it goes on), prints "ready ADDR" and waits
# for its stdin to end; fifos give "ready" and hold stdin, so nothing here
# sleeps to synchronise.
#   - under LD_PRELOAD (KMEM_FLAGS=0xf) and linked with libslabtrace.a:
#     ::status says "debugging live process PID", no panic, the flags and
#     the threads; $c unwinds the main thread into main; ::threads lists
#     the four; ADDR::kmalog the free then the allocation; BUFCTL::bufctl
#     -h -a ADDR ! cut -d " " -f 7 | sort -u exactly the program's two
#     functions; ::msgbuf the duplicate free; ::status -j parses;
#   - a library the program loads while the debugger runs: its symbols;
#   - after each run of the debugger every thread is running (not 't' or
#     'T'), and at the end the program exits 0 with its own output whole;
#   - /proc/PID/mem instead of process_vm_readv (SLABTRACE_MDB_PROCMEM=1);
#   - -S and ::stop: the process is stopped ('t') while a command runs,
#     running again after; a SIGUSR1 sent while it is held stopped is
#     delivered after ::release; the debugger killed (SIGKILL, SIGTERM)
#     while it holds the process stopped leaves it running;
#   - another tracer: the register commands say so in one line, the
#     memory commands work;
#   - a pid that does not exist, a process not under slabtrace, a zombie,
#     a bad -p: one line, status 1 (2 for usage).
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 300
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
ST_A=${ST_A:-$(dirname "$ST_SO")/libslabtrace.a}

cat >live.c <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static char *volatile keep;
static volatile sig_atomic_t usr1;

__attribute__((noinline)) char *live_alloc(size_t n) { return malloc(n); }
__attribute__((noinline)) void live_free(char *p) { free(p); }
static void on_usr1(int sig) { (void) sig; usr1++; }

/* Until stdin ends (the test closes it): every thread waits here. */
__attribute__((noinline)) void
live_wait(void)
{
	char c;
	ssize_t n;

	while ((n = read(0, &c, 1)) != 0 && (n > 0 || errno == EINTR))
		continue;
}

static void *
worker(void *arg)
{
	(void) arg;
	live_wait();
	return (NULL);
}

/* "traced": a child of ours traces our main thread (another debugger). */
static void
traced(void)
{
	pid_t parent = getpid();
	int fds[2], st;
	char c;

	if (pipe(fds) != 0)
		exit(3);
	if (fork() == 0) {
		if (ptrace(PTRACE_SEIZE, parent, NULL, NULL) != 0)
			_exit(1);
		(void) write(fds[1], "x", 1);
		while (waitpid(parent, &st, __WALL) == parent &&
		    WIFSTOPPED(st))
			(void) ptrace(PTRACE_CONT, parent, NULL, (void *)(long)
			    ((st >> 16) != 0 ? 0 : WSTOPSIG(st)));
		_exit(0);
	}
	if (read(fds[0], &c, 1) != 1)
		exit(3);
}

int
main(int argc, char **argv)
{
	pthread_t th[3];
	char *p, *q;
	int i;

	/* A debugger that is not our parent may read us (yama scope 1). */
	(void) prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	(void) signal(SIGUSR1, on_usr1);
	if (argc > 1 && strcmp(argv[1], "traced") == 0)
		traced();
	if (argc > 1 && strcmp(argv[1], "zombie") == 0) {
		/* A child that has exited, left unwaited for: a zombie. */
		siginfo_t si;
		pid_t child = fork();

		if (child == 0)
			_exit(0);
		if (child < 0 || waitid(P_PID, (id_t)child, &si,
		    WEXITED | WNOWAIT) != 0)
			return (3);
		printf("ready 0x%x\n", (unsigned)child);
		(void) fflush(stdout);
		live_wait();
		printf("done usr1=0\n");
		return (0);
	}
	p = live_alloc(200);
	keep = p;
	live_free(p);
	q = live_alloc(5000);
	keep = q;
	live_free(q);
	live_free(keep);		/* a duplicate free: noabort goes on */
	for (i = 0; i < 3; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return (3);
	printf("ready %p\n", (void *)p);
	(void) fflush(stdout);
	live_wait();
	for (i = 0; i < 3; i++)
		(void) pthread_join(th[i], NULL);
	printf("done usr1=%d\n", (int)usr1);
	return (0);
}
EOF
cc -O1 -g -fno-omit-frame-pointer -fno-inline -o live live.c -pthread ||
    exit 1
static=
if [ ! -f "$ST_A" ]; then
	echo "note: no $ST_A: the static program is not tried"
elif cc -O1 -g -fno-omit-frame-pointer -fno-inline -o live_static live.c \
    "$ST_A" -pthread -ldl 2>cc.err; then
	static=./live_static
else
	fail "cannot link with $ST_A: $(head -2 cc.err)"
fi

# start NAME PROGRAM [ARGS]: run it under the environment set before,
# stdin and stdout on fifos; sets pid and buf (from "ready 0xADDR").
start() {
	local name=$1 line
	shift
	rm -f in out.fifo
	mkfifo in out.fifo || exit 1
	"$@" <in >out.fifo 2>"stderr.$name" &
	pid=$!
	exec 3>in 4<out.fifo
	if ! read -r -t 60 line <&4 || [ "${line#ready 0x}" = "$line" ]; then
		fail "$name: no \"ready\": '$line' $(head -3 "stderr.$name")"
		return 1
	fi
	buf=${line#ready 0x}
	return 0
}
# finish NAME: close its stdin; it must exit 0 with its own output.
finish() {
	local name=$1 rest status
	exec 3>&-
	rest=$(timeout 60 cat <&4)
	exec 4<&-
	wait "$pid"
	status=$?
	pid=
	[ $status -eq 0 ] || fail "$name: exit status $status"
	[ "$rest" = "done usr1=${2:-0}" ] ||
	    fail "$name: its output: '$rest' (expected 'done usr1=${2:-0}')"
}
# running NAME: no thread of $pid stopped ('t' traced, 'T' stopped).
running() {
	local f s bad=
	for f in /proc/"$pid"/task/*/stat; do
		s=$(sed 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f1)
		case $s in t | T) bad="$bad $(basename "$(dirname "$f")"):$s" ;;
		esac
	done
	[ -z "$bad" ] || fail "$1: threads left stopped:$bad"
}

# ---- the whole set of commands, preloaded and static ----
live_run() {
	local name=$1 bc
	shift
	start "$name" "$@" || return
	mdb -p "$pid" -e '::status'
	[ $st -eq 0 ] || fail "$name ::status: status $st: $(cat err)"
	running "$name ::status"
	grep -q "^debugging live process $pid (64-bit) on " out &&
	    grep -qx "panic message: none (a live process)" out &&
	    grep -qx "kmem_flags: 0xf (AUDIT|DEADBEEF|REDZONE|CONTENTS)" out &&
	    grep -qx "threads: 4" out &&
	    grep -qx "program: .*/live[_a-z]* (pid $pid)" out ||
	    fail "$name ::status: $(cat out)"
	mdb -p "$pid" -e '$c'
	[ $st -eq 0 ] && grep -q '^live_wait+[0-9a-fx]*()$' out &&
	    grep -q '^main+[0-9a-fx]*()$' out ||
	    fail "$name \$c: status $st: $(cat out err)"
	running "$name \$c"
	mdb -p "$pid" -e '::threads'
	[ $st -eq 0 ] && [ "$(grep -c '^[* ] [0-9]' out)" -eq 4 ] &&
	    grep -q "^\* $pid " out ||
	    fail "$name ::threads: status $st: $(cat out err)"
	running "$name ::threads"
	mdb -p "$pid" -e "$buf::kmalog"
	grep -o "^$(printf '\t') live_[a-z]*+" out | tr -d '\t +' >order.out
	printf '%s\n' live_free live_alloc >order.want
	[ $st -eq 0 ] && [ "$(grep -c "^T-[0-9]*\.[0-9]\{9\}  addr=$buf  kmem_alloc_[0-9]*\$" out)" -eq 2 ] &&
	    cmp -s order.want order.out ||
	    fail "$name $buf::kmalog: status $st: $(cat out err)"
	bc=$(timeout 60 "$ST_CLI" mdb -p "$pid" -e '::kmem_log' |
	    awk -v b="$buf" '$2 ~ b "$" { print $1; exit }')
	mdb -p "$pid" -e "$bc::bufctl -h -a $buf ! cut -d \" \" -f 7 | sort -u"
	sed 's/+.*//' out >callers.out
	printf '%s\n' live_alloc live_free >callers.want
	[ -n "$bc" ] && [ $st -eq 0 ] && cmp -s callers.want callers.out ||
	    fail "$name $bc::bufctl -h -a $buf: status $st: $(cat out err)"
	mdb -p "$pid" -e '::msgbuf'
	[ $st -eq 0 ] && grep -qx 'MESSAGE' out &&
	    grep -q 'duplicate free: buffer freed twice' out ||
	    fail "$name ::msgbuf: status $st: $(cat out err)"
	mdb -o json -p "$pid" -e '::status'
	python3 -c 'import json,sys; d=json.load(open("out"));
assert d["target"] == "proc" and d["pid"] == int(sys.argv[1]), d
assert d["panic"] is None and d["content"] == "live", d' "$pid" ||
	    fail "$name ::status -j: $(cat out err)"
	running "$name"
	finish "$name"
}
export KMEM_FLAGS=0xf UMEM_DEBUG=noabort
live_run preload env LD_PRELOAD="$ST_SO" ./live
[ -n "$static" ] && live_run static "$static"

# ---- /proc/PID/mem instead of process_vm_readv ----
start procmem env LD_PRELOAD="$ST_SO" ./live && {
	SLABTRACE_MDB_PROCMEM=1 mdb -p "$pid" -e "::status; $buf::kmalog; \$c"
	[ $st -eq 0 ] && grep -qx 'memory read with: /proc/PID/mem' out &&
	    [ "$(grep -c "addr=$buf" out)" -eq 2 ] &&
	    grep -q '^main+[0-9a-fx]*()$' out ||
	    fail "procmem: status $st: $(cat out err)"
	# Out of every mapping: one line.
	SLABTRACE_MDB_PROCMEM=1 mdb -p "$pid" -e '10/K'
	[ $st -eq 1 ] && grep -qx 'mdb: failed to read 8 bytes at 10: no mapping for address' err ||
	    fail "procmem 10/K: status $st: $(cat out err)"
	finish procmem
}

# ---- stopped: -S, ::stop / ::release, the debugger killed ----
start stop env LD_PRELOAD="$ST_SO" ./live && {
	state="sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f1"
	# 200 KB of output (80 KB of its stack) fill the pipe: the command is
	# still running (and the process stopped, with -S) when the shell looks.
	stk=$(awk '/\[stack\]$/ { sub(/-.*/, "", $1); print $1 }' \
	    "/proc/$pid/maps")
	big="$stk,0t10000/K ! { $state; cat >/dev/null; }"
	mdb -S -p "$pid" -e "$big
::status ! grep -x 'target content: .*'"
	[ $st -eq 0 ] && [ "$(sed -n 1p out)" = t ] &&
	    grep -qx 'target content: live process, read stopped for each command (-S)' out ||
	    fail "-S: status $st: $(cat out err)"
	running "-S"
	mdb -p "$pid" -e "$big"
	[ $st -eq 0 ] && [ "$(cat out)" != t ] && [ "$(cat out)" != T ] ||
	    fail "stopped without -S: status $st: '$(cat out err)'"
	# Stopped for $c only: running again at the next command.
	mdb -p "$pid" -e "\$c
! $state"
	[ $st -eq 0 ] && grep -q '^main+' out &&
	    [ "$(tail -1 out)" != t ] ||
	    fail "\$c then a shell: status $st: $(cat out err)"
	mdb -p "$pid" -e "::stop
! $state
! kill -USR1 $pid
::release
! $state"
	[ $st -eq 0 ] && [ "$(sed -n 2p out)" = t ] &&
	    [ "$(sed -n 1p out)" = "process $pid stopped" ] &&
	    [ "$(sed -n 3p out)" = "process $pid released" ] &&
	    [ "$(sed -n 4p out)" != t ] ||
	    fail "::stop, ::release: status $st: $(cat out err)"
	running "::release"
	# Killed while it holds the process: the kernel lets it go (SIGKILL),
	# or the debugger does (SIGTERM).  Not through `mdb`, which takes a
	# death by a signal for a crash.
	for sig in KILL TERM; do
		st=$( (timeout 60 "$ST_CLI" mdb -p "$pid" \
		    -e "::stop; ! kill -$sig \$PPID" >out 2>err </dev/null
		    echo $?) 2>/dev/null)
		[ $st -eq $((128 + $(kill -l $sig))) ] ||
		    fail "::stop; kill -$sig: status $st: $(cat err)"
		running "debugger killed (SIG$sig) after ::stop"
	done
	finish stop 1
}

# ---- a library loaded while the debugger runs: its symbols come ----
cat >dl.c <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
int
main(void)
{
	char line[64];

	printf("ready 0x0\n");
	(void) fflush(stdout);
	while (fgets(line, sizeof (line), stdin) != NULL) {
		if (strcmp(line, "load\n") == 0) {
			printf("%s\n", dlopen("libz.so.1", RTLD_NOW) != NULL ?
			    "loaded" : dlerror());
			(void) fflush(stdout);
		}
	}
	printf("done usr1=0\n");
	return (0);
}
EOF
if cc -o dl dl.c -ldl && start dlopen env LD_PRELOAD="$ST_SO" ./dl; then
	# The shell in the debugger tells the program (fd 3) and waits (fd 4).
	mdb -p "$pid" -e 'inflate=p
! echo load >&3; read -r x <&4; echo "$x"
inflate=p'
	[ "$(cat out)" = "$(printf 'loaded\ninflate')" ] &&
	    grep -qx 'mdb: unknown symbol: inflate' err ||
	    fail "dlopen: status $st: $(cat out err)"
	finish dlopen
fi

# ---- another tracer: no registers, memory still read ----
start traced env LD_PRELOAD="$ST_SO" ./live traced && {
	mdb -p "$pid" -e '$c'
	[ $st -eq 1 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] &&
	    grep -q "^mdb: cannot stop process $pid for its registers: it is traced by process [0-9]* already\$" err ||
	    fail "traced \$c: status $st: $(cat out err)"
	mdb -p "$pid" -e "::status; $buf::kmalog; ::msgbuf"
	[ $st -eq 0 ] && [ "$(grep -c "addr=$buf" out)" -eq 2 ] &&
	    grep -q 'duplicate free' out ||
	    fail "traced, memory commands: status $st: $(cat out err)"
	running traced
	finish traced
}

# ---- no process, not under slabtrace, a zombie, bad options ----
one_line() {	# WHAT STATUS REGEX
	[ $st -eq "$2" ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] &&
	    grep -q "$3" err || fail "$1: status $st: $(cat out err)"
}
mdb -p 999999999 -e '::status'
one_line "no such pid" 1 '^mdb: no process 999999999$'
sleep 300 </dev/null &
plain=$!
mdb -p "$plain" -e '::status'
one_line "not under slabtrace" 1 \
    "^mdb: process $plain (sleep) is not running under slabtrace"
kill "$plain"
wait "$plain" 2>/dev/null
start zombie ./live zombie && {
	zpid=$((16#$buf))
	mdb -p "$zpid" -e '::status'
	one_line "zombie" 1 "^mdb: process $zpid is a zombie"
	finish zombie
}
mdb -p 12x
one_line "-p 12x" 2 '^mdb: -p 12x: not a process id$'
mdb -p 1 vmcore.1
[ $st -eq 2 ] && grep -q '^usage:' err || fail "-p with a dump: $st"

[ $fails -eq 0 ] && echo "mdb_live: all checks passed"
[ $fails -eq 0 ]
