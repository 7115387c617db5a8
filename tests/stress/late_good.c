/*
 * late_good: the good twin of wrong/late.  Everything the sweep, the
 * thread-exit check and the exit verify look at, done right, in every
 * debugging mode: not one report may come of it.
 *
 *   - freed buffers of many sizes, user-cache buffers and big buffers sit
 *     in idle threads' quarantines and magazines across several sweeps;
 *   - threads that exit with full quarantines;
 *   - a big buffer grown by realloc in small steps and in big ones;
 *   - fork: children that allocate, free and exit (their own exit verify)
 *     while the parent's threads keep allocating;
 *   - kmem_verify() called by the program while threads allocate;
 *   - at exit, four threads are still allocating and freeing, an atexit
 *     handler and a destructor free buffers, and buffers are still live.
 *
 * modes: preload 0xf default lite nomag fw
 * timeout: 300
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NBUSY   4

static volatile int stop_idle;
static void *held_at_exit[64];
static void *freed_by_destructor;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void) nanosleep(&ts, NULL);
}

/* Frees a spread of sizes, then sleeps through several sweeps. */
static void *
idle_freer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	void *p[200];
	int i;

	for (i = 0; i < 200; i++) {
		size_t n = (size_t)(16 + (i * 37 + id * 11) % 5000);

		p[i] = malloc(n);
		REQUIRE(p[i] != NULL);
		memset(p[i], (int)i, n);
	}
	for (i = 0; i < 200; i++)
		free(p[i]);
	while (!stop_idle)
		sleep_ms(20);
	return (NULL);
}

/* Allocates and frees until the process is gone. */
static void *
busy(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ (uintptr_t)arg;
	void *held[32] = { NULL };

	for (;;) {
		int k = (int)(check_xorshift(&s) % 32);
		size_t n = (size_t)(check_xorshift(&s) % 3000) + 1;

		free(held[k]);
		held[k] = malloc(n);
		if (held[k] != NULL)
			memset(held[k], 7, n);
	}
	return (NULL);
}

static void *
short_lived(void *arg)
{
	int i;

	(void) arg;
	for (i = 0; i < 500; i++) {
		void *volatile p = malloc((size_t)(i % 300) + 1);

		free(p);
	}
	return (NULL);
}

static void
big_buffers(void)
{
	char *p = NULL, *q;
	size_t n;

	/* Grown in small steps, past the largest cache. */
	for (n = 100000; n <= 2000000; n += 4096) {
		q = realloc(p, n);
		REQUIRE(q != NULL);
		if (p == NULL)
			memset(q, 'b', n);
		else
			memset(q + n - 4096, 'b', 4096);
		p = q;
	}
	for (n = 0; n < 2000000; n += 100000)
		REQUIRE(p[n] == 'b');
	/* Shrunk, then grown in big ones. */
	p = realloc(p, 200000);
	REQUIRE(p != NULL && p[199999] == 'b');
	p = realloc(p, 5000000);
	REQUIRE(p != NULL && p[199999] == 'b');
	free(p);
	for (n = 0; n < 20; n++) {
		q = malloc(150000 + n * 10000);
		REQUIRE(q != NULL);
		memset(q, 'c', 150000 + n * 10000);
		free(q);
	}
	q = calloc(1, 400000);
	REQUIRE(q != NULL && q[399999] == 0);
	free(q);
}

static void
user_cache(void)
{
	void *(*create)(char *, size_t, size_t, void *, void *, void *,
	    void *, void *, int) = (void *(*)(char *, size_t, size_t, void *,
	    void *, void *, void *, void *, int))dlsym(RTLD_DEFAULT,
	    "umem_cache_create");
	void *(*alloc)(void *, int) = (void *(*)(void *, int))dlsym(
	    RTLD_DEFAULT, "umem_cache_alloc");
	void (*cfree)(void *, void *) = (void (*)(void *, void *))dlsym(
	    RTLD_DEFAULT, "umem_cache_free");
	void *cp, *b[100];
	int i;

	if (create == NULL || alloc == NULL || cfree == NULL)
		return;         /* not preloaded (plain glibc) */
	cp = create("late_good_cache", 72, 8, NULL, NULL, NULL, NULL, NULL, 0);
	REQUIRE(cp != NULL);
	for (i = 0; i < 100; i++) {
		b[i] = alloc(cp, 0);
		REQUIRE(b[i] != NULL);
		memset(b[i], 3, 72);
	}
	for (i = 0; i < 100; i++)
		cfree(cp, b[i]);
}

static void
forks(void)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < 8; i++) {
		pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			pthread_t t;

			short_lived(NULL);
			if (pthread_create(&t, NULL, short_lived, NULL) == 0)
				(void) pthread_join(t, NULL);
			exit(0);        /* the child's own exit verify */
		}
		REQUIRE(waitpid(pid, &status, 0) == pid);
		CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child %d: status 0x%x", i, status);
	}
}

static void
at_exit_frees(void)
{
	int i;

	for (i = 0; i < 32; i++)
		free(held_at_exit[i]);
}

__attribute__((destructor)) static void
destructor_frees(void)
{
	free(freed_by_destructor);
}

int
main(void)
{
	int (*verify)(void) = (int (*)(void))dlsym(RTLD_DEFAULT,
	    "kmem_verify");
	pthread_t idle[3], t;
	uintptr_t i;

	for (i = 0; i < 3; i++)
		REQUIRE(pthread_create(&idle[i], NULL, idle_freer,
		    (void *)i) == 0);
	for (i = 0; i < 4; i++) {
		REQUIRE(pthread_create(&t, NULL, short_lived, NULL) == 0);
		REQUIRE(pthread_join(t, NULL) == 0);
	}
	big_buffers();
	user_cache();
	sleep_ms(1300);                 /* a few sweeps over idle threads */
	forks();
	for (i = 0; i < NBUSY; i++) {
		REQUIRE(pthread_create(&t, NULL, busy, (void *)i) == 0);
		REQUIRE(pthread_detach(t) == 0);
	}
	if (verify != NULL)
		CHECKF(verify() == 0, "kmem_verify() found problems");
	sleep_ms(700);
	stop_idle = 1;
	for (i = 0; i < 3; i++)
		REQUIRE(pthread_join(idle[i], NULL) == 0);
	for (i = 0; i < 64; i++) {
		held_at_exit[i] = malloc(i * 40 + 1);
		REQUIRE(held_at_exit[i] != NULL);
	}
	freed_by_destructor = malloc(777);
	atexit(at_exit_frees);
	return (check_status());        /* the busy threads still run */
}
