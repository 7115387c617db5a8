/*
 * threads.c: many threads each replacing random blocks of a working set,
 * in the spirit of glibc's bench-malloc-thread and of Larson: every step
 * frees one of the thread's WSET blocks and allocates another of a random
 * size (small sizes far more likely than big ones, as in glibc's test),
 * and one step in EXCHANGE_EVERY trades the new block with a slot shared
 * by all threads, so that blocks are also freed by threads other than the
 * one that allocated them.  The work is a fixed number of steps (not a
 * fixed time), so CPU time compares allocators; under debugging (KMEM_FLAGS
 * =0xf) it shows what serialises the threads: each step is one malloc and
 * one free that are audited, patterned and logged.
 *
 * usage: threads THREADS [SCALE%]
 */
#include "bench.h"

#include <pthread.h>

#define WSET            1024            /* blocks held per thread */
#define STEPS_TOTAL     8000000L        /* steps at 100%, over all threads */
#define MIN_SIZE        16
#define MAX_SIZE        4096
#define EXCHANGE_EVERY  8               /* steps per trade with the pool */
#define POOL            64              /* shared slots */

static void *pool[POOL];                /* traded with atomic exchanges */
static long steps_per_thread;

/* 16..4096 bytes, density falling as 1/size^2 (glibc's test does so). */
static size_t
block_size(bench_rng_t *r)
{
	double u = (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
	size_t s = (size_t)(MIN_SIZE / (1.0 - u * (1.0 - (double)MIN_SIZE /
	    MAX_SIZE)));

	return (s < MIN_SIZE ? MIN_SIZE : s > MAX_SIZE ? MAX_SIZE : s);
}

/* A block holds its size in its first word, and a byte of it at its end. */
static void *
block_new(bench_rng_t *r)
{
	size_t size = block_size(r);
	unsigned char *p = xmalloc_or_die(size);

	*(size_t *)(void *)p = size;
	p[size - 1] = (unsigned char)size;
	bench_escape(p);
	return (p);
}

static uint64_t
block_free(void *b)
{
	unsigned char *p = b;
	size_t size;

	if (p == NULL)
		return (0);
	size = *(size_t *)(void *)p;
	if (p[size - 1] != (unsigned char)size)
		abort();
	free(p);
	return (size);
}

static void *
worker(void *arg)
{
	bench_rng_t r = { 1000 + (uint64_t)(uintptr_t)arg };
	void **ws = xmalloc_or_die(WSET * sizeof (void *));
	uint64_t sum = 0;

	for (int i = 0; i < WSET; i++)
		ws[i] = block_new(&r);
	for (long n = 0; n < steps_per_thread; n++) {
		size_t i = (size_t)(rng_next(&r) % WSET);
		void *b = block_new(&r);

		if (n % EXCHANGE_EVERY == 0)
			b = __atomic_exchange_n(&pool[rng_next(&r) % POOL], b,
			    __ATOMIC_ACQ_REL);
		sum += block_free(ws[i]);
		ws[i] = b;
	}
	for (int i = 0; i < WSET; i++)
		sum += block_free(ws[i]);
	free(ws);
	return ((void *)(uintptr_t)sum);
}

int
main(int argc, char **argv)
{
	int nthreads = (int)bench_arg(argc, argv, 1, 4);
	long scale = bench_arg(argc, argv, 2, 100);
	pthread_t *t = xmalloc_or_die(nthreads * sizeof (pthread_t));
	uint64_t sum = 0;
	double t0, t1;
	void *ret;

	bench_rng_t r = { 7 };

	steps_per_thread = STEPS_TOTAL / 100 * scale / nthreads;
	for (int i = 0; i < POOL; i++)          /* never empty: a trade */
		pool[i] = block_new(&r);        /* always returns a block */
	t0 = now_sec();
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i))
			abort();
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i], &ret);
		sum += (uint64_t)(uintptr_t)ret;
	}
	t1 = now_sec();
	for (int i = 0; i < POOL; i++)
		sum += block_free(pool[i]);
	printf("threads: threads=%d steps=%ld sum=%llu ops/s=%.0f\n", nthreads,
	    steps_per_thread * nthreads, (unsigned long long)sum,
	    (double)(steps_per_thread * nthreads) / (t1 - t0));
	free(t);
	return (0);
}
