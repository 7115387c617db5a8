/*
 * test_idle_nested.c: unit test of the idle sweep (magazine.c, section 9)
 * at its most frequent, a sweep due at every depot visit
 * (kmem_idle_sweep_visits = 1), with slow paths nested in others.
 *
 * The sweep runs only from a slow path that no other cc operation of the
 * thread encloses, since a magazine being destroyed under one is still
 * its cc's.  Today the nesting comes from user code: a cache's
 * constructor and destructor that call malloc and free run inside its
 * slow paths, its flushes (kmem_cache_destroy, thread exit) and its
 * magazines' destruction.  Here threads fill and empty the kmem_alloc_N
 * caches and such a cache, and exit; then every buffer live at once must
 * be distinct, the constructor and destructor calls must balance, and
 * every cache must verify.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define NBUF            3000
#define NTHREADS        40
#define NLIVE           20000

extern uint32_t kmem_idle_sweep_visits;

static kmem_cache_t *objs;
static unsigned long nctor, ndtor;

typedef struct obj {
	char *o_name;                   /* malloc'd by the constructor */
	uint64_t o_pad[6];
} obj_t;

static int
obj_ctor(void *buf, void *arg, int kmflag)
{
	obj_t *o = buf;

	(void) arg;
	(void) kmflag;
	if ((o->o_name = malloc(24 + (size_t)(nctor % 5) * 40)) == NULL)
		return (-1);
	strcpy(o->o_name, "object");
	__atomic_add_fetch(&nctor, 1, __ATOMIC_RELAXED);
	return (0);
}

static void
obj_dtor(void *buf, void *arg)
{
	obj_t *o = buf;

	(void) arg;
	free(o->o_name);                /* a free inside the allocator */
	__atomic_add_fetch(&ndtor, 1, __ATOMIC_RELAXED);
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return (x < y ? -1 : x > y);
}

static void *
worker(void *arg)
{
	void *p[NBUF];
	obj_t *o[NBUF / 4];
	int k = (int)(long)arg, i;

	for (i = 0; i < NBUF; i++) {
		p[i] = malloc(16 + (size_t)((i + k) % 40) * 24);
		if (p[i] != NULL)
			memset(p[i], 1, 16);
		if (i % 4 == 0)
			o[i / 4] = kmem_cache_alloc(objs, KM_SLEEP);
	}
	for (i = 0; i < NBUF; i += 2)
		free(p[i]);
	for (i = 0; i < NBUF / 4; i++)
		kmem_cache_free(objs, o[i]);
	for (i = 1; i < NBUF; i += 2)
		free(p[i]);
	return (NULL);
}

int
main(void)
{
	static void *live[NLIVE];
	static uintptr_t sorted[NLIVE];
	unsigned long dups = 0;
	int t, i;

	kmem_idle_sweep_visits = 1;
	objs = kmem_cache_create("idle_objs", sizeof (obj_t), 0, obj_ctor,
	    obj_dtor, NULL, NULL, NULL, 0);
	REQUIRE(objs != NULL);
	for (t = 0; t < NTHREADS; t++) {
		pthread_t th;

		REQUIRE(pthread_create(&th, NULL, worker, (void *)(long)t) == 0);
		REQUIRE(pthread_join(th, NULL) == 0);
	}
	kmem_cache_destroy(objs);       /* the rest of the destructors */
	for (i = 0; i < NLIVE; i++) {
		live[i] = malloc(16 + (size_t)(i % 40) * 24);
		REQUIRE(live[i] != NULL);
		sorted[i] = (uintptr_t)live[i];
	}
	qsort(sorted, NLIVE, sizeof (sorted[0]), cmp_ptr);
	for (i = 1; i < NLIVE; i++)
		if (sorted[i] == sorted[i - 1])
			dups++;
	printf("%lu buffers handed out twice; %lu constructions, %lu "
	    "destructions\n", dups, nctor, ndtor);
	CHECK(dups == 0);
	CHECK(nctor == ndtor);
	for (i = 0; i < KMEM_NCACHE_ALLOC && kmem_alloc_caches[i] != NULL; i++)
		CHECKF(kmem_cache_verify(kmem_alloc_caches[i]) == 0, "%s",
		    kmem_alloc_caches[i]->cache_name);
	for (i = 0; i < NLIVE; i++)
		free(live[i]);
	return (check_status());
}
