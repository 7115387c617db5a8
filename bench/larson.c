/*
 * larson.c: a server simulation in the spirit of Larson and Krishnan's
 * benchmark.  Each thread owns a slot array of random-size objects and, over
 * and over, frees a random slot and allocates a replacement.  One operation
 * in XCHG_EVERY also swaps the new object through a shared exchange table,
 * so the thread frees an object that another thread allocated: the remote
 * free path is exercised the way a server's hand-offs exercise it.
 *
 * Work per thread is fixed, so two threads do twice the work of one; the
 * ops/s line is what run.sh turns into the 2-thread/1-thread scaling figure.
 *
 * usage: larson THREADS [SCALE%]
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>

#define SLOTS        4000      /* live objects per thread */
#define MIN_SIZE     8
#define MAX_SIZE     1000
#define OPS_PER_THR 12000000L  /* free+malloc pairs per thread at 100% */
#define XCHG_SLOTS   1024      /* shared table for cross-thread frees */
#define XCHG_EVERY   16

static _Atomic(void *) xchg[XCHG_SLOTS];
static long ops_per_thread;

typedef struct worker {
	pthread_t  w_thread;
	uint64_t   w_seed;
	uint64_t   w_sum;       /* keeps the object writes observable */
} worker_t;

static void *
new_object(bench_rng_t *r)
{
	size_t size = rng_range(r, MIN_SIZE, MAX_SIZE);
	void *p = xmalloc_or_die(size);

	bench_touch(p, size);
	return (p);
}

/* Park p in a random exchange slot; free whatever was parked there. */
static void
exchange(bench_rng_t *r, void *p)
{
	void *old = atomic_exchange_explicit(&xchg[rng_next(r) % XCHG_SLOTS],
	    p, memory_order_acq_rel);

	free(old);
}

static void *
worker_main(void *arg)
{
	worker_t *w = arg;
	bench_rng_t r = { w->w_seed };
	void **slot = xmalloc_or_die(SLOTS * sizeof (void *));
	uint64_t sum = 0;	/* local: w_sum shares a line with a neighbour */

	for (int i = 0; i < SLOTS; i++)
		slot[i] = new_object(&r);
	for (long n = 0; n < ops_per_thread; n++) {
		size_t i = rng_next(&r) % SLOTS;

		sum += *(unsigned char *)slot[i];
		free(slot[i]);
		slot[i] = new_object(&r);
		if (n % XCHG_EVERY == 0)
			exchange(&r, new_object(&r));
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	free(slot);
	w->w_sum = sum;
	return (NULL);
}

int
main(int argc, char **argv)
{
	int nthreads = (int)bench_arg(argc, argv, 1, 1);
	long scale = bench_arg(argc, argv, 2, 100);
	worker_t *w = xmalloc_or_die(nthreads * sizeof (worker_t));
	uint64_t sum = 0;
	double t0, t1;

	ops_per_thread = OPS_PER_THR / 100 * scale;
	t0 = now_sec();
	for (int i = 0; i < nthreads; i++) {
		w[i].w_seed = 1000 + (uint64_t)i;
		w[i].w_sum = 0;
		if (pthread_create(&w[i].w_thread, NULL, worker_main, &w[i]))
			abort();
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].w_thread, NULL);
		sum += w[i].w_sum;
	}
	t1 = now_sec();
	for (int i = 0; i < XCHG_SLOTS; i++)
		free(atomic_load(&xchg[i]));
	free(w);
	printf("larson: threads=%d ops=%ld sum=%llu ops/s=%.0f\n", nthreads,
	    ops_per_thread * nthreads, (unsigned long long)sum,
	    (double)(ops_per_thread * nthreads) / (t1 - t0));
	return (0);
}
