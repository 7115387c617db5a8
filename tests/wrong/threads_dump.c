/*
 * threads_dump: the dump stops the world and has every thread's registers
 * (dump.c, section 6).  Five threads wait, each in a function of its own:
 * in read(2) on a pipe, in pthread_cond_wait, spinning, in nanosleep, and
 * one with every signal blocked, which cannot stop: the dump names it on
 * a line and goes on without its registers (gdb lists it, from the C
 * library's list of threads, with its registers unavailable).  Then
 * "df": the main thread frees a buffer twice; "segv": a sixth thread
 * dereferences NULL while the main thread waits in pthread_join, so the
 * panicking thread is not the main one.
 *
 * Each thread prints "threads_dump: NAME tid N" first, for
 * integration/dump_threads.sh, which runs gdb's `info threads` and
 * `thread apply all bt` on the dump: one thread per line printed but the
 * blocked one, the panicking thread first, each in its function.
 *
 * variants: df segv
 * signal-segv: SEGV
 * expect-df: slabtrace: duplicate free: buffer freed twice
 * expect-df: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-segv: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: segmentation violation on address 0x10
 * expect: slabtrace: thread [0-9]+ did not stop; dumped without its registers \(td_blocked: it blocks signal [0-9]+\)
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * gdb-df: main
 * gdb-segv: wrong_deref
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NWAITERS        5

static int pipe_fds[2];                 /* never written: readers wait */
static int blocked_fds[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static volatile int ready;
static volatile unsigned long spins;

static void
say(const char *name)
{
	char line[80];
	int n;

	(void) pthread_setname_np(pthread_self(), name);
	n = snprintf(line, sizeof (line), "threads_dump: %s tid %d\n", name,
	    gettid());
	(void) write(2, line, (size_t)n);
	__atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) static void
wait_in_read(int fd)
{
	char c;

	while (read(fd, &c, 1) != 0)
		continue;
	__asm__ volatile("" ::: "memory");      /* no tail call */
}

__attribute__((noinline)) static void
wait_in_cond(void)
{
	(void) pthread_mutex_lock(&lock);
	for (;;)
		(void) pthread_cond_wait(&cond, &lock);
}

__attribute__((noinline)) static void
wait_in_spin(void)
{
	for (;;)
		spins++;
}

__attribute__((noinline)) static void
wait_in_sleep(void)
{
	struct timespec ts = { 3600, 0 };

	for (;;)
		(void) nanosleep(&ts, NULL);
}

static void *
td_reader(void *arg)
{
	(void) arg;
	say("td_reader");
	wait_in_read(pipe_fds[0]);
	return (NULL);
}

static void *
td_cond(void *arg)
{
	(void) arg;
	say("td_cond");
	wait_in_cond();
	return (NULL);
}

static void *
td_spinner(void *arg)
{
	(void) arg;
	say("td_spinner");
	wait_in_spin();
	return (NULL);
}

static void *
td_sleeper(void *arg)
{
	(void) arg;
	say("td_sleeper");
	wait_in_sleep();
	return (NULL);
}

static void *
td_blocked(void *arg)
{
	sigset_t all;

	(void) arg;
	(void) sigfillset(&all);
	(void) pthread_sigmask(SIG_BLOCK, &all, NULL);
	say("td_blocked");
	wait_in_read(blocked_fds[0]);
	return (NULL);
}

struct s { long a, b, c; };

__attribute__((noinline)) static long
wrong_deref(struct s *volatile p)
{
	return (p->c);                  /* the bug */
}

static void *
td_crasher(void *arg)
{
	(void) arg;
	say("td_crasher");
	return ((void *)wrong_deref(NULL));
}

__attribute__((noinline)) static void
main_join(pthread_t t)
{
	(void) pthread_join(t, NULL);
	__asm__ volatile("" ::: "memory");
}

int
main(int argc, char **argv)
{
	static void *(*const fns[NWAITERS])(void *) = { td_reader, td_cond,
	    td_spinner, td_sleeper, td_blocked };
	pthread_t t;
	int i;

	if (pipe(pipe_fds) != 0 || pipe(blocked_fds) != 0)
		return (1);
	say("td_main");
	for (i = 0; i < NWAITERS; i++)
		if (pthread_create(&t, NULL, fns[i], NULL) != 0)
			return (1);
	while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < NWAITERS + 1)
		(void) usleep(1000);
	(void) usleep(20000);           /* into their system calls */
	if (argc > 1 && strcmp(argv[1], "segv") == 0) {
		if (pthread_create(&t, NULL, td_crasher, NULL) != 0)
			return (1);
		main_join(t);
	} else {
		char *volatile p = malloc(40);

		free(p);
		free(p);                /* the bug */
	}
	return (0);
}
