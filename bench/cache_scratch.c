/*
 * cache_scratch.c: passive false sharing, in the spirit of the Hoard
 * project's cache-scratch.  The main thread allocates one small object per
 * worker back to back, so neighbours likely share a cache line, and hands
 * each worker its object.  The worker frees it and then, many times,
 * allocates an object of the same size and writes to it hard.  An allocator
 * that gives the freed object (or its cache line) back to the freeing
 * thread makes the workers write into one line from two cores, and the line
 * bounces between them; one that keeps per-thread memory apart does not.
 *
 * usage: cache_scratch THREADS [SCALE%]
 */
#include "bench.h"

#include <pthread.h>

#define OBJ_SIZE     8
#define ITERATIONS   2000      /* malloc/write/free rounds per thread */
#define WRITES       40000L    /* passes over the object per round, at 100% */

static long writes_per_round;

typedef struct worker {
	pthread_t  w_thread;
	void      *w_obj;       /* handed over by main, freed by the worker */
} worker_t;

static void
hammer(volatile unsigned char *v)
{
	for (long r = 0; r < writes_per_round; r++)
		for (int j = 0; j < OBJ_SIZE; j++)
			v[j]++;
}

static void *
worker_main(void *arg)
{
	worker_t *w = arg;

	free(w->w_obj);
	for (int i = 0; i < ITERATIONS; i++) {
		unsigned char *p = xmalloc_or_die(OBJ_SIZE);

		hammer(p);
		free(p);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	int nthreads = (int)bench_arg(argc, argv, 1, 2);
	long scale = bench_arg(argc, argv, 2, 100);
	worker_t *w = xmalloc_or_die(nthreads * sizeof (worker_t));
	double t0, t1;

	writes_per_round = WRITES * scale / 100;
	if (writes_per_round == 0)
		writes_per_round = 1;
	for (int i = 0; i < nthreads; i++)
		w[i].w_obj = xmalloc_or_die(OBJ_SIZE);
	t0 = now_sec();
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].w_thread, NULL, worker_main, &w[i]))
			abort();
	for (int i = 0; i < nthreads; i++)
		pthread_join(w[i].w_thread, NULL);
	t1 = now_sec();
	printf("cache-scratch: threads=%d rounds=%d writes=%ld ops/s=%.0f\n",
	    nthreads, ITERATIONS * nthreads, writes_per_round,
	    (double)ITERATIONS * nthreads / (t1 - t0));
	free(w);
	return (0);
}
