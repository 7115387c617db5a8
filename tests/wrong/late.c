/*
 * late: a write to a freed buffer that nothing in the program would ever
 * notice, because nothing allocates the buffer again.  It must be found
 * anyway: by the sweep while the process runs, when the freeing thread
 * exits, or by the exit verify; in every debugging mode that patterns
 * freed buffers.  The write fills the buffer's first 8 bytes with '?'
 * (lite checks only the first word), as the seed's timer does.
 *
 *   exit     free a 128-byte struct, scribble one field, return from main
 *   seed     the seed's kbad_bad, deterministic: free 256 bytes, fill with
 *            '?', then 64 more 256-byte buffers come and go; exit
 *   last     the scribble comes after the program's last allocation, and
 *            the program ends by exit() from a nested function
 *   thread   another thread scribbles; main goes on with other sizes
 *   idle     after a while, a thread frees 100 buffers and goes idle;
 *            another thread scribbles on one; the process sleeps: the
 *            sweep must find it, not the exit
 *   seedmt   the seed's threaded bug: workers allocate and free 256-byte
 *            buffers for 1.5 s while a timer fills the buffer main freed
 *            50 ms earlier; main only waits
 *   tdexit   the freeing thread scribbles, then exits
 *   atexit   the scribble happens in an atexit handler
 *   ucache   a buffer of a cache made with umem_cache_create
 *   big      a 200,000-byte buffer (above the largest kmem_alloc cache)
 *   early    at once, a thread frees a buffer, scribbles on it and then
 *            waits for good; main waits for it: no allocation ever again,
 *            so the sweep thread must start at that free (the process
 *            has threads), not wait for a free due a period later
 *
 * variants: exit seed last thread idle seedmt tdexit atexit ucache big early
 * flags: 0xf default lite nomag
 * timeout: 60
 * expect: slabtrace: buffer modified after being freed
 * expect: modification occurred at offset 0x0 \(0xdeadbeefdeadbeef replaced by 0x3f3f3f3f3f3f3f3f\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: [a-z_0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * expect-exit: found by the exit verify \(the whole heap, at exit\)
 * expect-last: found by the exit verify \(the whole heap, at exit\)
 * expect-atexit: found by the exit verify \(the whole heap, at exit\)
 * expect-idle: found by the sweep \(freed buffers are verified every 500 ms\)
 * expect-early: found by the sweep \(freed buffers are verified every 500 ms\)
 * expect-tdexit: found when the freeing thread exited
 * expect-ucache: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: late_cache
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rec {
	long r_a, r_b, r_c;
	char r_pad[104];
};

static void *volatile target;
static volatile int stop;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void) nanosleep(&ts, NULL);
}

/* The bug: the first word (and a field) of a freed buffer. */
__attribute__((noinline)) static void
scribble(void *p)
{
	memset((void *)p, '?', 8);
	((volatile char *)p)[40] = 1;
}

static void *
scribbler(void *arg)
{
	(void) arg;
	while (target == NULL)
		sleep_ms(1);
	sleep_ms(50);
	scribble(target);
	return (NULL);
}

static void *
churn(void *arg)
{
	(void) arg;
	while (!stop) {
		void *volatile q = malloc(256);

		memset(q, 1, 256);
		free(q);
	}
	return (NULL);
}

static void *
free_scribble_wait(void *arg)
{
	char *volatile p = malloc(96);
	int fds[2];
	char c;

	(void) arg;
	free(p);
	scribble(p);
	if (pipe(fds) == 0)
		(void) read(fds[0], &c, 1);     /* for good */
	return (NULL);
}

static void *
free_then_scribble_then_exit(void *arg)
{
	char *volatile p = malloc(96);

	(void) arg;
	free(p);
	scribble(p);
	return (NULL);
}

__attribute__((noinline)) static void
finish(void)
{
	exit(0);
}

static void
scribble_at_exit(void)
{
	scribble(target);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "exit";
	pthread_t t[3];
	int i;

	if (strcmp(v, "exit") == 0) {
		struct rec *volatile r = malloc(sizeof (*r));

		r->r_b = 1;
		free(r);
		scribble(r);
		return (0);
	}
	if (strcmp(v, "seed") == 0) {
		char *volatile p = malloc(256);

		snprintf(p, 256, "kbad request");
		free(p);
		memset(p, '?', 256);
		for (i = 0; i < 64; i++) {
			char *volatile q = malloc(256);

			memset(q, 'z', 256);
			free(q);
		}
		return (0);
	}
	if (strcmp(v, "last") == 0) {
		char *volatile p = malloc(200), *volatile q = malloc(300);

		free(q);
		free(p);
		scribble(p);
		finish();
	}
	if (strcmp(v, "thread") == 0) {
		target = malloc(128);
		free(target);
		pthread_create(&t[0], NULL, scribbler, NULL);
		pthread_join(t[0], NULL);
		for (i = 0; i < 1000; i++) {
			void *volatile q = malloc(i % 2 ? 40 : 3000);

			free(q);
		}
		return (0);
	}
	if (strcmp(v, "idle") == 0) {
		void *volatile p[100];

		sleep_ms(600);          /* a process that has run a while */
		for (i = 0; i < 100; i++)
			p[i] = malloc(128 + i * 8);
		pthread_create(&t[0], NULL, scribbler, NULL);
		for (i = 0; i < 100; i++)
			free(p[i]);
		target = p[50];
		pthread_join(t[0], NULL);
		sleep_ms(5000);         /* the sweep, not the exit, finds it */
		return (0);
	}
	if (strcmp(v, "early") == 0) {
		pthread_create(&t[0], NULL, free_scribble_wait, NULL);
		pthread_join(t[0], NULL);
		return (0);
	}
	if (strcmp(v, "seedmt") == 0) {
		char *volatile p;

		for (i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, churn, NULL);
		pthread_create(&t[2], NULL, scribbler, NULL);
		p = malloc(256);
		free(p);
		target = p;
		sleep_ms(1500);
		stop = 1;
		for (i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		sleep_ms(1000);
		return (0);
	}
	if (strcmp(v, "tdexit") == 0) {
		pthread_create(&t[0], NULL, free_then_scribble_then_exit, NULL);
		pthread_join(t[0], NULL);
		sleep_ms(100);
		return (0);
	}
	if (strcmp(v, "atexit") == 0) {
		target = malloc(64);
		free(target);
		atexit(scribble_at_exit);
		return (0);
	}
	if (strcmp(v, "ucache") == 0) {
		/* libumem's API, found at run time: the library is preloaded. */
		void *(*create)(char *, size_t, size_t, void *, void *, void *,
		    void *, void *, int) = (void *(*)(char *, size_t, size_t,
		    void *, void *, void *, void *, void *, int))dlsym(
		    RTLD_DEFAULT, "umem_cache_create");
		void *(*alloc)(void *, int) = (void *(*)(void *, int))dlsym(
		    RTLD_DEFAULT, "umem_cache_alloc");
		void (*cfree)(void *, void *) = (void (*)(void *, void *))dlsym(
		    RTLD_DEFAULT, "umem_cache_free");
		void *cp, *volatile p;

		if (create == NULL || alloc == NULL || cfree == NULL)
			return (2);
		cp = create("late_cache", 72, 8, NULL, NULL, NULL, NULL, NULL,
		    0);
		p = alloc(cp, 0);
		cfree(cp, p);
		scribble(p);
		return (0);
	}
	if (strcmp(v, "big") == 0) {
		char *volatile p = malloc(200000);

		memset(p, 1, 200000);
		free(p);
		scribble(p);
		return (0);
	}
	return (2);
}
