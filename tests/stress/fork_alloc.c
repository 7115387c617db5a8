/*
 * fork_alloc: fork while other threads allocate.  The allocator's locks
 * must be in a usable state in the child whatever the other threads were
 * doing at the moment of fork (pthread_atfork or equivalent).
 *
 * Four threads allocate and free in a loop; the main thread forks 50
 * times, and one of the workers forks 10 times.  Each child checks and
 * frees buffers it inherited, allocates and frees the sizes the workers
 * use, starts a thread that allocates too, and exits 0.  A child that has
 * not exited after 20 seconds is deadlocked: it is killed and reported.
 *
 * modes: preload static lite 0xf default fw
 * timeout: 600
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NWORKERS	4
#define MAIN_FORKS	50
#define WORKER_FORKS	10
#define NINHERIT	16

static const size_t worker_sizes[] = { 24, 256, 4000, 100000, 48, 1024 };
#define NSIZES	(sizeof (worker_sizes) / sizeof (worker_sizes[0]))

static volatile int stop;
static int worker_forks;
static unsigned char *inherited[NINHERIT];

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*s = x);
}

static size_t
inherit_size(int i)
{
	return (worker_sizes[i % NSIZES] + (size_t)i);
}

static void *
child_thread(void *arg)
{
	int i;

	for (i = 0; i < 2000; i++) {
		void *p = malloc(worker_sizes[i % NSIZES]);

		if (p == NULL)
			return (arg);
		memset(p, 3, worker_sizes[i % NSIZES]);
		free(p);
	}
	return (NULL);
}

/* What a child does; its exit status says what went wrong. */
static void
child_body(void)
{
	void *held[64];
	pthread_t t;
	void *tr;
	int i, j;

	for (i = 0; i < NINHERIT; i++) {
		size_t n = inherit_size(i);

		for (j = 0; j < (int)n; j++)
			if (inherited[i][j] != (unsigned char)i)
				_exit(10);
		free(inherited[i]);
	}
	for (i = 0; i < 3000; i++) {
		size_t n = worker_sizes[i % NSIZES] + (size_t)(i % 7);

		held[i % 64] = malloc(n);
		if (held[i % 64] == NULL)
			_exit(11);
		memset(held[i % 64], 5, n);
		if (i % 64 == 63)
			for (j = 0; j < 64; j++)
				free(held[j]);
	}
	for (j = 0; j < 64 && i % 64 != 0; j++)
		if (j < i % 64)
			free(held[j]);
	held[0] = calloc(100, 100);
	held[1] = realloc(NULL, 5000);
	if (held[0] == NULL || held[1] == NULL)
		_exit(12);
	free(held[1]);
	free(held[0]);
	if (pthread_create(&t, NULL, child_thread, NULL) != 0)
		_exit(13);
	if (pthread_join(t, &tr) != 0 || tr != NULL)
		_exit(14);
	_exit(0);
}

/* Fork once and wait for the child; returns 0 if all went well. */
static int
fork_and_wait(const char *who, int n)
{
	struct timespec ts = { 0, 1000000 };
	int status, waited_ms = 0;
	pid_t pid, r;

	pid = fork();
	if (pid < 0) {
		CHECKF(pid >= 0, "%s: fork %d: %s", who, n, strerror(errno));
		return (-1);
	}
	if (pid == 0)
		child_body();
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (waited_ms++ > 20000) {
			(void) kill(pid, SIGKILL);
			(void) waitpid(pid, &status, 0);
			CHECKF(0, "%s: child %d (pid %d) still running after "
			    "20 s: deadlocked after fork", who, n, (int)pid);
			return (-1);
		}
		(void) nanosleep(&ts, NULL);
	}
	REQUIRE(r == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: child %d %s %d", who, n, WIFEXITED(status) ?
	    "exited with status" : "was killed by signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return (0);
}

static void *
worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t s = 0xabcdefULL + id * 7919;
	void *held[64] = { NULL };
	long ops = 0;
	int forks = 0, i;

	while (!stop) {
		int k = (int)(xorshift(&s) % 64);
		size_t n = worker_sizes[xorshift(&s) % NSIZES];

		free(held[k]);
		held[k] = malloc(n);
		REQUIRE(held[k] != NULL);
		memset(held[k], (int)id, n < 512 ? n : 512);
		if (++ops % 20000 == 0 && id == 0 && forks < WORKER_FORKS) {
			(void) fork_and_wait("worker 0", forks++);
			__atomic_store_n(&worker_forks, forks,
			    __ATOMIC_RELAXED);
		}
	}
	for (i = 0; i < 64; i++)
		free(held[i]);
	CHECKF(id != 0 || forks == WORKER_FORKS, "worker 0 forked only %d "
	    "times (%ld operations)", forks, ops);
	return (NULL);
}

int
main(void)
{
	struct rlimit rl = { 0, 0 };
	pthread_t t[NWORKERS];
	uint64_t s = 42;
	uintptr_t i;
	int n;

	check_allocator_is_slabtrace();
	(void) setrlimit(RLIMIT_CORE, &rl);
	for (i = 0; i < NINHERIT; i++) {
		inherited[i] = malloc(inherit_size((int)i));
		REQUIRE(inherited[i] != NULL);
		memset(inherited[i], (int)i, inherit_size((int)i));
	}
	for (i = 0; i < NWORKERS; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (n = 0; n < MAIN_FORKS; n++) {
		struct timespec ts = { 0, (long)(xorshift(&s) % 20) * 1000000 };

		(void) nanosleep(&ts, NULL);
		if (fork_and_wait("main", n) != 0)
			break;
	}
	/*
	 * Let worker 0 finish its forks (one every 20000 operations), however
	 * long the slowest mode takes: a hang is the test's time limit's.
	 */
	while (__atomic_load_n(&worker_forks, __ATOMIC_RELAXED) <
	    WORKER_FORKS) {
		struct timespec ts = { 0, 1000000 };

		(void) nanosleep(&ts, NULL);
	}
	stop = 1;
	for (i = 0; i < NWORKERS; i++)
		REQUIRE(pthread_join(t[i], NULL) == 0);
	for (i = 0; i < NINHERIT; i++)
		free(inherited[i]);
	return (check_status());
}
