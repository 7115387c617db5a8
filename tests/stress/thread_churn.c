/*
 * thread_churn: 200 short-lived threads, eight at a time, each allocating
 * and freeing, handing some buffers to the main thread when it exits, and
 * allocating from a thread-specific-data destructor as it goes away (after
 * the allocator may have started tearing down its per-thread state).
 *
 * What a thread caches must go back when it exits: the resident size may
 * not grow with the number of threads that have come and gone.
 *
 * Then 256 threads at once, all alive together (more threads than any
 * fixed per-CPU or per-thread table is likely to have).
 *
 * modes: preload static lite 0xf
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define NTHREADS	200
#define WAVE		8
#define PER_THREAD	3000
#define HANDED_BACK	300

struct result {
	int r_n;
	unsigned char *r_buf[HANDED_BACK];
	size_t r_size[HANDED_BACK];
	unsigned char r_fill[HANDED_BACK];
};

static pthread_key_t key;

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*s = x);
}

static int
filled(const unsigned char *p, size_t n, unsigned char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return (0);
	return (1);
}

/* Runs at thread exit: frees the value and allocates some more. */
static void
tsd_destructor(void *v)
{
	unsigned char *p = v, *q;
	int i;

	CHECKF(filled(p, 500, 0x77), "TSD value %p corrupted", (void *)p);
	free(p);
	for (i = 0; i < 50; i++) {
		q = malloc(16 + (size_t)i * 40);
		REQUIRE(q != NULL);
		memset(q, 0x66, 16 + (size_t)i * 40);
		free(q);
	}
}

static void *
worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t s = 0x9e3779b9ULL * (id + 1);
	unsigned char *bufs[PER_THREAD];
	size_t sizes[PER_THREAD];
	struct result *res;
	unsigned char *tsd;
	int i;

	tsd = malloc(500);
	REQUIRE(tsd != NULL);
	memset(tsd, 0x77, 500);
	REQUIRE(pthread_setspecific(key, tsd) == 0);

	for (i = 0; i < PER_THREAD; i++) {
		sizes[i] = 8 + xorshift(&s) % (i % 10 == 0 ? 20000 : 1000);
		bufs[i] = malloc(sizes[i]);
		REQUIRE(bufs[i] != NULL);
		memset(bufs[i], (int)(id + (uintptr_t)i) & 0xff, sizes[i]);
	}
	res = malloc(sizeof (*res));
	REQUIRE(res != NULL);
	res->r_n = 0;
	for (i = 0; i < PER_THREAD; i++) {
		unsigned char c = (unsigned char)(id + (uintptr_t)i);

		CHECKF(filled(bufs[i], sizes[i], c), "thread %u: buffer %p "
		    "(size %zu) corrupted", (unsigned)id, (void *)bufs[i],
		    sizes[i]);
		if (i % (PER_THREAD / HANDED_BACK) == 0 &&
		    res->r_n < HANDED_BACK) {
			res->r_buf[res->r_n] = bufs[i];
			res->r_size[res->r_n] = sizes[i];
			res->r_fill[res->r_n++] = c;
		} else {
			free(bufs[i]);
		}
	}
	return (res);
}

#define CROWD		256

static pthread_barrier_t crowd_barrier;

static void *
crowd_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	unsigned char *v[200];
	size_t n[200];
	int i;

	for (i = 0; i < 200; i++) {
		n[i] = 16 + ((id * 7919 + (uintptr_t)i * 104729) % 3000);
		v[i] = malloc(n[i]);
		REQUIRE(v[i] != NULL);
		memset(v[i], (int)(id ^ (uintptr_t)i) & 0xff, n[i]);
	}
	(void) pthread_barrier_wait(&crowd_barrier);
	for (i = 0; i < 200; i++) {
		CHECKF(filled(v[i], n[i], (unsigned char)(id ^ (uintptr_t)i)),
		    "crowd thread %u: buffer %p (size %zu) corrupted",
		    (unsigned)id, (void *)v[i], n[i]);
		free(v[i]);
	}
	return (NULL);
}

static void
crowd(void)
{
	static pthread_t t[CROWD];
	pthread_attr_t attr;
	uintptr_t i;

	REQUIRE(pthread_attr_init(&attr) == 0);
	REQUIRE(pthread_attr_setstacksize(&attr, 256 * 1024) == 0);
	REQUIRE(pthread_barrier_init(&crowd_barrier, NULL, CROWD) == 0);
	for (i = 0; i < CROWD; i++)
		REQUIRE(pthread_create(&t[i], &attr, crowd_worker,
		    (void *)i) == 0);
	for (i = 0; i < CROWD; i++)
		REQUIRE(pthread_join(t[i], NULL) == 0);
	(void) pthread_barrier_destroy(&crowd_barrier);
	(void) pthread_attr_destroy(&attr);
}

int
main(void)
{
	pthread_t t[WAVE];
	long rss_first = 0, rss_last;
	int w, i, j, made = 0;

	check_allocator_is_slabtrace();
	REQUIRE(pthread_key_create(&key, tsd_destructor) == 0);
	for (w = 0; made < NTHREADS; w++) {
		int n = NTHREADS - made < WAVE ? NTHREADS - made : WAVE;

		for (i = 0; i < n; i++)
			REQUIRE(pthread_create(&t[i], NULL, worker,
			    (void *)(uintptr_t)(made + i)) == 0);
		for (i = 0; i < n; i++) {
			struct result *res;

			REQUIRE(pthread_join(t[i], (void **)&res) == 0);
			REQUIRE(res != NULL);
			/* Free, on this thread, what the dead thread left. */
			for (j = 0; j < res->r_n; j++) {
				CHECKF(filled(res->r_buf[j], res->r_size[j],
				    res->r_fill[j]), "buffer %p from an exited "
				    "thread corrupted", (void *)res->r_buf[j]);
				free(res->r_buf[j]);
			}
			free(res);
		}
		made += n;
		if (w == 1)
			rss_first = check_rss_kib();
	}
	rss_last = check_rss_kib();
	CHECKF(rss_last - rss_first < 96 * 1024, "resident size grew from %ld "
	    "KiB after 16 threads to %ld KiB after %d", rss_first, rss_last,
	    NTHREADS);
	check_say("rss after 16 threads %ld KiB, after %d %ld KiB\n",
	    rss_first, NTHREADS, rss_last);
	crowd();
	return (check_status());
}
