/*
 * test_depot.c: unit test of the stack depot (depot.c).
 *
 * Checked here:
 *   - a stack put twice gets the same id, and st_depot_get gives back its
 *     frames and depth; different stacks (one frame apart, a prefix of
 *     another, the same frames in another order) get different ids;
 *   - ids that are not entries (0, inside the bucket table, past the
 *     reservation) give no frames rather than garbage;
 *   - depth 0 and depths past KMEM_STACK_MAX are not kept;
 *   - 4 threads putting the same 2,000 stacks at once, in different
 *     orders, agree on every stack's frames, and a stack put again later
 *     gets an id with the same frames (a race may leave two entries for
 *     one stack; the frames must be right whichever id is found);
 *   - the debugger's view: st_depot's header covers every id handed out.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define NTHREADS        4
#define NSTACKS         2000

static uint32_t ids[NTHREADS][NSTACKS];

static void
make_stack(uint32_t k, uintptr_t *pcs, uint32_t *depth)
{
	*depth = 1 + k % 15;
	for (uint32_t i = 0; i < *depth; i++)
		pcs[i] = 0x400000 + (uintptr_t)k * 4096 + i * 16;
}

static int
frames_are(uint32_t id, const uintptr_t *pcs, uint32_t depth)
{
	uint32_t n;
	const uintptr_t *got = st_depot_get(id, &n);

	return (got != NULL && n == depth &&
	    memcmp(got, pcs, depth * sizeof (uintptr_t)) == 0);
}

static void *
putter(void *arg)
{
	uint32_t t = (uint32_t)(uintptr_t)arg;

	/* Each thread in its own order: steps prime to NSTACKS. */
	static const uint32_t step[NTHREADS] = { 1, 3, 7, 11 };

	for (uint32_t j = 0; j < NSTACKS; j++) {
		uint32_t k = (j * step[t] + t * 7) % NSTACKS;
		uintptr_t pcs[KMEM_STACK_MAX];
		uint32_t depth;

		make_stack(k, pcs, &depth);
		ids[t][k] = st_depot_put(pcs, depth);
	}
	return (NULL);
}

int
main(void)
{
	uintptr_t a[KMEM_STACK_MAX], b[KMEM_STACK_MAX];
	pthread_t th[NTHREADS];
	uint32_t ida, idb, n, bad = 0;

	for (uint32_t i = 0; i < 10; i++)
		a[i] = b[i] = 0x1000 + i * 8;
	ida = st_depot_put(a, 10);
	CHECK(ida != 0);
	CHECK(st_depot_put(a, 10) == ida);
	CHECK(frames_are(ida, a, 10));
	b[9]++;
	idb = st_depot_put(b, 10);
	CHECK(idb != 0 && idb != ida);
	CHECK(frames_are(idb, b, 10));
	CHECK(st_depot_put(a, 9) != ida);               /* a prefix */
	CHECK(frames_are(st_depot_put(a, 9), a, 9));
	b[0] = a[1];
	b[1] = a[0];
	for (uint32_t i = 2; i < 10; i++)
		b[i] = a[i];
	CHECK(st_depot_put(b, 10) != ida);              /* reordered */

	CHECK(st_depot_put(a, 0) == 0);
	CHECK(st_depot_put(a, KMEM_STACK_MAX + 1) == 0);
	CHECK(st_depot_get(0, &n) == NULL && n == 0);
	CHECK(st_depot_get(1, &n) == NULL && n == 0);   /* the table */
	CHECK(st_depot_get(UINT32_MAX, &n) == NULL && n == 0);

	for (uint32_t t = 0; t < NTHREADS; t++)
		REQUIRE(pthread_create(&th[t], NULL, putter,
		    (void *)(uintptr_t)t) == 0);
	for (uint32_t t = 0; t < NTHREADS; t++)
		REQUIRE(pthread_join(th[t], NULL) == 0);
	for (uint32_t k = 0; k < NSTACKS; k++) {
		uintptr_t pcs[KMEM_STACK_MAX];
		uint32_t depth;

		make_stack(k, pcs, &depth);
		for (uint32_t t = 0; t < NTHREADS; t++)
			bad += !frames_are(ids[t][k], pcs, depth);
		bad += !frames_are(st_depot_put(pcs, depth), pcs, depth);
		/* The debugger's bounds: every entry below sd_used. */
		bad += (uint64_t)ids[0][k] * 8 + 16 + depth * 8 >
		    st_depot.sd_used;
	}
	CHECKF(bad == 0, "%u stacks came back wrong after the race", bad);
	CHECK(st_depot.sd_full == 0);
	CHECK(st_depot.sd_nbuckets != 0 && st_depot.sd_used <=
	    st_depot.sd_size);
	return (check_status());
}
