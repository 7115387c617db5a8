#!/bin/bash
# mdb_stop_signals: a process stopped at a safe point while signals keep
# coming (src/mdb/proc.c, section 4: proc_settle, proc_unsafe_resume,
# proc_restop).  A program of two threads that allocate and free without
# end takes SIGUSR1 (a handler that counts) from a sender that sends one
# every 2 ms, and SIGUSR2 once; `mdb -S` stops it 30 times:
#   - ::findleaks exact each time (no leak), whether or not a scan says
#     a thread could not be stopped outside the allocator ("may look
#     torn": a traced thread stops for each signal before it runs an
#     instruction, so under a stream of signals some scans cannot settle;
#     how many is printed, not asserted; a debugger that let such threads
#     go and seized them again settled every scan but, once in a few
#     hundred, missed a thread's stack and called its TLS block a leak);
#   - the signals are not lost: the handler's count goes on growing
#     after the debugger is done, and SIGUSR2, sent while the debugger
#     holds the process stopped (::stop, then a pause), is delivered once
#     it lets go;
#   - -O0 and -O2, C; under LD_PRELOAD and UMEM_DEBUG=default.
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 600
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
unset SLABTRACE_SYMBOLIZER KMEM_FLAGS UMEM_DEBUG UMEM_OPTIONS UMEM_LOGGING
work=$(mktemp -d)
pid= sender=
cleanup() {
	[ -n "$sender" ] && kill -KILL "$sender" 2>/dev/null
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

cat >sig.c <<'C'
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, usr2;

static void on_usr1(int s) { (void) s; usr1++; }
static void on_usr2(int s) { (void) s; usr2 = 1; }

static void *
worker(void *arg)
{
	void *volatile keep = NULL;

	(void) arg;
	for (;;) {
		char *p = malloc(24 + (size_t)(rand() & 255));

		memset(p, 1, 24);
		free(keep);
		keep = p;
	}
	return (NULL);
}

int
main(void)
{
	struct sigaction sa;
	pthread_t t;
	char line[64];
	int i;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	for (i = 0; i < 2; i++)
		pthread_create(&t, NULL, worker, NULL);
	printf("ready\n");
	fflush(stdout);
	/* One line in, the counts out: the test asks on stdin. */
	while (fgets(line, sizeof (line), stdin) != NULL) {
		printf("usr1 %ld usr2 %d\n", (long)usr1, (int)usr2);
		fflush(stdout);
	}
	return (0);
}
C

cat >sender.c <<'C'
#include <signal.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char **argv)
{
	struct timespec ts = { 0, 2000000 };
	pid_t pid = argc > 1 ? atoi(argv[1]) : 0;

	while (pid > 0 && kill(pid, SIGUSR1) == 0)
		nanosleep(&ts, NULL);
	return (0);
}
C
cc -O2 -o sender sender.c || fail "sender.c does not compile"

# ask: the program's counts, "usr1 N usr2 M".
ask() {
	echo >&7
	read -r -t 60 reply <&8 || reply="no answer"
	echo "$reply"
}

for o in O0 O2; do
	cc -g -"$o" -pthread -o "sig_$o" sig.c ||
	    { fail "sig.c does not compile (-$o)"; continue; }
	for mode in plain default; do
		name=$o.$mode
		denv=()
		[ $mode = default ] && denv=(UMEM_DEBUG=default)
		rm -f in.fifo out.fifo
		mkfifo in.fifo out.fifo
		env LD_PRELOAD="$ST_SO" "${denv[@]}" "./sig_$o" \
		    <in.fifo >out.fifo 2>"$name.err" &
		pid=$!
		exec 7>in.fifo 8<out.fifo
		read -r -t 60 ready <&8
		check "$name: ready" same "$ready" ready
		# A signal every 2 ms (a flood instead stops a traced thread at
		# every resume: it never runs, whatever the debugger does).
		./sender "$pid" &
		sender=$!
		torn=0 inexact=0
		for _ in $(seq 30); do
			mdb -p "$pid" -S -e '::findleaks'
			grep -q 'inside the allocator' err && torn=$((torn + 1))
			grep -qx 'findleaks: no memory leaks detected' out ||
			    { inexact=$((inexact + 1)); sed 's/^/    /' out err | head -4; }
		done
		echo "    $name: $torn of 30 scans said they may look torn"
		check "$name: no leak found ($inexact of 30 not)" test $inexact = 0
		# Held stopped across a pause, SIGUSR2 sent meanwhile.
		mdb -p "$pid" -e "::stop
! kill -USR2 $pid; sleep 1
::release"
		check "$name: ::stop, ::release ($(cat out err | tr '\n' ' '))" \
		    grep -qx "process $pid released" out
		kill -KILL "$sender" 2>/dev/null
		wait "$sender" 2>/dev/null
		sender=
		a=$(ask)
		b=$(ask)
		for _ in $(seq 50); do
			case $b in *"usr2 1") break ;; esac
			sleep 0.1
			b=$(ask)
		done
		n1=$(echo "$a" | awk '{ print $2 }')
		check "$name: SIGUSR1s handled ($a)" test "${n1:-0}" -gt 0
		check "$name: SIGUSR2, sent while held stopped, delivered ($b)" \
		    test "$(echo "$b" | awk '{ print $4 }')" = 1
		check "$name: the program is alive" kill -0 "$pid"
		exec 7>&- 8<&-
		wait "$pid"
		check "$name: it exits 0 when its stdin ends" test $? = 0
		check "$name: nothing on its stderr" test ! -s "$name.err"
		pid=
	done
done
[ $fails -eq 0 ] || exit 1
