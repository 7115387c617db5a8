/*
 * test_depot_share.c: unit test of the depot's limit (magazine.c, section
 * 4): a depot keeps at most a share of its cache's live buffers.
 *
 * The program of bench/realloc.c's second half: 2,000 vectors doubled from
 * 8 KiB to 16 KiB, each freed as it moves.  Checked here:
 *   - once every vector has moved, the 8 KiB cache has handed out no more
 *     than the thread's two magazines and the depot's two (it kept 1 MiB,
 *     128 buffers, whatever its live count); the rest went back to the
 *     slabs, and the slabs to the arena;
 *   - so the 16 KiB vectors reuse those pages: the heap grows by less than
 *     the 8 KiB buffers' 16 MiB on top of the vectors' 32 MiB;
 *   - a cache in steady use keeps its depot: 64 KiB-buffers freed while
 *     2,000 of them stay live still leave full magazines in the depot
 *     (the share of a live cache is not zero).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define VECTORS         2000
#define SMALL           8192
#define BIG             16384

static uint64_t
handed_out(const kmem_cache_t *cp)
{
	return (cp->cache_buftotal - cp->cache_buftotal_free);
}

int
main(void)
{
	static char *v[VECTORS];
	kmem_cache_t *small, *big;
	uint64_t heap0, heap1, out, magsize;
	size_t i;

	for (i = 0; i < VECTORS; i++) {
		v[i] = malloc(SMALL);
		REQUIRE(v[i] != NULL);
		memset(v[i], 1, SMALL);
	}
	small = kmem_alloc_cache_for(SMALL, 8);
	big = kmem_alloc_cache_for(BIG, 8);
	REQUIRE(small != NULL && big != NULL && small != big);
	REQUIRE(small->cache_magtype != NULL);
	heap0 = heap_arena->vm_kstat.vk_mem_inuse;
	for (i = 0; i < VECTORS; i++) {
		char *n = realloc(v[i], BIG);

		REQUIRE(n != NULL);
		memset(n + SMALL, 2, BIG - SMALL);
		v[i] = n;
	}
	heap1 = heap_arena->vm_kstat.vk_mem_inuse;
	magsize = small->cache_magtype->mt_magsize;
	out = handed_out(small);
	CHECKF(out <= 4 * magsize, "the %u-byte cache still has %lu buffers "
	    "out of its slabs with none live (magazines of %lu)", SMALL,
	    (unsigned long)out, (unsigned long)magsize);
	CHECKF(heap1 - heap0 < (uint64_t)VECTORS * BIG + VECTORS * SMALL / 2,
	    "the heap grew by %lu bytes for %u bytes of vectors",
	    (unsigned long)(heap1 - heap0), VECTORS * BIG);

	/* A live cache: 2,000 big buffers live, 1,000 more come and go. */
	{
		static char *w[VECTORS / 2];

		for (i = 0; i < VECTORS / 2; i++)
			REQUIRE((w[i] = malloc(BIG)) != NULL);
		for (i = 0; i < VECTORS / 2; i++)
			free(w[i]);
		CHECKF(big->cache_full.ml_total > 0, "the depot of a cache "
		    "with %u live buffers kept no full magazine", VECTORS);
	}
	for (i = 0; i < VECTORS; i++)
		free(v[i]);
	return (check_status());
}
