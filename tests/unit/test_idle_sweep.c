/*
 * test_idle_sweep.c: unit test of the idle sweep (magazine.c, section 9):
 * a thread's magazines of a cache it no longer uses give their rounds
 * back to the slabs as the thread goes on working elsewhere.
 *
 *   - 16 buffers of 32 KiB, freed, sit in the thread's two magazines (the
 *     program of bench/realloc.c's strings: sizes passed through once);
 *   - then 200 rounds of 2,000 small buffers allocated and freed (many
 *     depot visits), with one 1 KiB buffer allocated and freed in each;
 *   - the thread's 32 KiB magazines must be empty, and the cache must
 *     have every buffer back in its slabs but what its depot may keep
 *     (two magazines: the depot is the periodic reap's, section 4); the
 *     1 KiB cache, used all along, must still have its round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define IDLE_SIZE       (32 * 1024)
#define IDLE_N          16
#define BUSY_N          2000
#define ROUNDS          200

static uint64_t
handed_out(const kmem_cache_t *cp)
{
	return (cp->cache_buftotal - cp->cache_buftotal_free);
}

int
main(void)
{
	static void *busy[BUSY_N];
	void *idle[IDLE_N];
	kmem_cache_t *idle_cp, *kept_cp;
	const kmem_cpu_cache_t *idle_cc, *kept_cc;
	uint64_t before;
	int i, r;

	for (i = 0; i < IDLE_N; i++) {
		idle[i] = malloc(IDLE_SIZE);
		REQUIRE(idle[i] != NULL);
		memset(idle[i], 1, IDLE_SIZE);
	}
	for (i = 0; i < IDLE_N; i++)
		free(idle[i]);
	idle_cp = kmem_alloc_cache_for(IDLE_SIZE, 8);
	kept_cp = kmem_alloc_cache_for(1024, 8);
	REQUIRE(idle_cp != NULL && kept_cp != NULL);
	REQUIRE(idle_cp->cache_ccidx >= 0 && kept_cp->cache_ccidx >= 0);
	idle_cc = &kmem_thread_self->kt_cc[idle_cp->cache_ccidx];
	kept_cc = &kmem_thread_self->kt_cc[kept_cp->cache_ccidx];
	before = handed_out(idle_cp);
	printf("32 KiB cache: %llu buffers out of its slabs, none live\n",
	    (unsigned long long)before);
	/* The premise: the freed buffers wait in the thread's magazines. */
	REQUIRE(before > 0);
	for (r = 0; r < ROUNDS; r++) {
		volatile char *k = malloc(1000);

		REQUIRE(k != NULL);
		k[0] = 1;
		for (i = 0; i < BUSY_N; i++) {
			busy[i] = malloc(48 + (size_t)(i % 4) * 16);
			REQUIRE(busy[i] != NULL);
		}
		for (i = 0; i < BUSY_N; i++)
			free(busy[i]);
		free((void *)k);
	}
	printf("after the busy rounds: %llu out; rounds %d + %d; 1 KiB "
	    "cache's rounds %d + %d\n", (unsigned long long)handed_out(idle_cp),
	    idle_cc->cc_rounds, idle_cc->cc_prounds, kept_cc->cc_rounds,
	    kept_cc->cc_prounds);
	CHECK(idle_cc->cc_rounds <= 0 && idle_cc->cc_prounds <= 0);
	CHECK(handed_out(idle_cp) <= 2 * (uint64_t)idle_cc->cc_magsize);
	CHECK(kept_cc->cc_rounds > 0);
	/* The cache still works after its sweep. */
	idle[0] = malloc(IDLE_SIZE);
	REQUIRE(idle[0] != NULL);
	memset(idle[0], 2, IDLE_SIZE);
	free(idle[0]);
	return (check_status());
}
