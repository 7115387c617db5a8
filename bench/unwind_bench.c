/*
 * unwind_bench.c: the cost of st_stack_capture (unwind.c) against glibc's
 * backtrace(), through frames built without frame pointers.
 *
 *   cc -O2 -Isrc -Iinclude bench/unwind_bench.c build/libslabtrace.a \
 *       -pthread -o /tmp/ub && /tmp/ub [depth [batches]]
 *
 * A chain of `depth` (default 15) noinline, -fomit-frame-pointer frames
 * calls the capture; each batch times 1000 captures, and the median and
 * the 10th/90th percentiles of the per-capture time over the batches are
 * printed, with the number of frames captured.  The first (cold) capture,
 * which reads /proc/self/maps for the stack's bounds and the .eh_frame of
 * every frame, is timed on its own.  Then the same with 4 threads at once.
 * Last, one capture per walk down the chain: down the same chain every
 * time, then down two chains in turn (each frame's PC differs from the
 * previous capture's at the same depth, the worst case for unwind.c's
 * per-thread memo); both times include the calls down the chain.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "slabtrace_impl.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NOFP __attribute__((noinline, noclone, optimize("omit-frame-pointer")))
#else
#define NOFP __attribute__((noinline))
#endif

#define BATCH		1000
#define MAXDEPTH	256
#define NTHREADS	4

static volatile uint32_t sink;
static int depth = 15, batches = 2000;

enum { USE_ST, USE_BT, USE_ST_ONE, USE_ST_ALT };

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* Capture BATCH times at the bottom of d frames; returns frames seen. */
NOFP static uint32_t
leaf(int how, uint32_t reps)
{
	uintptr_t pcs[64];
	void *bt[64];
	uint32_t i, n = 0;

	for (i = 0; i < reps; i++) {
		if (how == USE_ST)
			n = st_stack_capture(pcs, 64, 0);
		else
			n = (uint32_t)backtrace(bt, 64);
	}
	sink += n;
	return (n);
}

NOFP static uint32_t
chain(int d, int how, uint32_t reps)
{
	uint32_t r;

	if (d <= 1)
		r = leaf(how, reps);
	else
		r = chain(d - 1, how, reps);
	sink += r;
	return (r);
}

/* The same as chain, with other return addresses. */
NOFP static uint32_t
chain_b(int d, int how, uint32_t reps)
{
	uint32_t r;

	if (d <= 1)
		r = leaf(how, reps);
	else
		r = chain_b(d - 1, how, reps);
	sink += r * 3;
	return (r);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return ((x > y) - (x < y));
}

typedef struct {
	int how;
	uint64_t *ns;		/* per batch, ns per capture * 100 */
	uint32_t frames;
} run_t;

static void *
run(void *arg)
{
	run_t *r = arg;
	int b;

	for (b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();
		uint32_t i;

		if (r->how == USE_ST || r->how == USE_BT) {
			r->frames = chain(depth, r->how, BATCH);
		} else {
			for (i = 0; i < BATCH; i += 2) {
				r->frames = chain(depth, USE_ST, 1);
				if (r->how == USE_ST_ONE)
					r->frames = chain(depth, USE_ST, 1);
				else
					r->frames = chain_b(depth, USE_ST, 1);
			}
		}
		r->ns[b] = (now_ns() - t0) * 100 / BATCH;
	}
	return (NULL);
}

static void
report(const char *name, uint64_t *ns, int n, uint32_t frames)
{
	qsort(ns, (size_t)n, sizeof (uint64_t), cmp_u64);
	printf("%-28s %3u frames  median %7.1f ns  p10 %7.1f  p90 %7.1f"
	    "  (%.1f ns/frame)\n", name, frames, ns[n / 2] / 100.0,
	    ns[n / 10] / 100.0, ns[n * 9 / 10] / 100.0,
	    ns[n / 2] / 100.0 / (frames ? frames : 1));
}

static void
bench(const char *name, int how, int nthreads)
{
	pthread_t t[NTHREADS];
	run_t r[NTHREADS];
	uint64_t *all = calloc((size_t)batches * NTHREADS, sizeof (uint64_t));
	int i;

	if (all == NULL)
		abort();
	for (i = 0; i < nthreads; i++) {
		r[i].how = how;
		r[i].ns = all + (size_t)i * (size_t)batches;
		r[i].frames = 0;
		if (nthreads == 1)
			run(&r[i]);
		else if (pthread_create(&t[i], NULL, run, &r[i]) != 0)
			abort();
	}
	if (nthreads > 1)
		for (i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
	report(name, all, batches * nthreads, r[0].frames);
	free(all);
}

int
main(int argc, char **argv)
{
	uint64_t t0;
	uint32_t n;

	if (argc > 1)
		depth = atoi(argv[1]);
	if (argc > 2)
		batches = atoi(argv[2]);
	if (depth < 1 || depth > MAXDEPTH || batches < 10) {
		fprintf(stderr, "usage: unwind_bench [depth 1-%d [batches]]\n",
		    MAXDEPTH);
		return (2);
	}

	t0 = now_ns();
	n = chain(depth, USE_ST, 1);
	printf("%-28s %3u frames  %7.1f us (stack bounds, .eh_frame)\n",
	    "st_stack_capture, cold", n, (now_ns() - t0) / 1000.0);
	t0 = now_ns();
	n = chain(depth, USE_ST, 1);
	printf("%-28s %3u frames  %7.1f ns\n", "st_stack_capture, 2nd", n,
	    (double)(now_ns() - t0));
	(void) chain(depth, USE_BT, 1);	/* loads libgcc_s */

	bench("st_stack_capture", USE_ST, 1);
	bench("glibc backtrace()", USE_BT, 1);
	bench("st_stack_capture, 4 threads", USE_ST, NTHREADS);
	bench("glibc backtrace(), 4 threads", USE_BT, NTHREADS);
	bench("st_stack_capture, 1 chain", USE_ST_ONE, 1);
	bench("st_stack_capture, 2 chains", USE_ST_ALT, 1);
	return (0);
}
