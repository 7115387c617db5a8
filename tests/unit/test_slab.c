/*
 * test_slab.c: unit test of the slab and magazine layers (may see internals).
 * Small and large slab layouts, colouring, the bufctl hash and its rescale,
 * constructed objects staying constructed in magazines, the page map, depot
 * exchange between threads, and kmem_cache_verify() after every phase.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slabtrace_impl.h"

static int failures;
#define CHECK(e) do {                                                   \
	if (!(e)) {                                                     \
		if (failures < 20) fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
		    __LINE__, #e);                                      \
		failures++;                                             \
	}                                                               \
} while (0)

static int nctor, ndtor;

static int
ctor(void *buf, void *priv, int flags)
{
	(void) flags;
	memcpy(buf, &priv, sizeof (priv));
	__atomic_add_fetch(&nctor, 1, __ATOMIC_RELAXED);
	return (0);
}

static void
dtor(void *buf, void *priv)
{
	void *p;

	memcpy(&p, buf, sizeof (p));
	if (p != priv)
		fprintf(stderr, "dtor: object lost its constructed state\n");
	__atomic_add_fetch(&ndtor, 1, __ATOMIC_RELAXED);
}

static uint64_t seed = 42;
static uint64_t
rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (seed >> 33);
}

/* Allocate n buffers, check placement and the page map, free in random order. */
static void
exercise(size_t size, size_t align, int cflags, size_t n)
{
	kmem_cache_t *cp = kmem_cache_create("test_cache", size, align, NULL,
	    NULL, NULL, NULL, NULL, cflags);
	void **v = calloc(n, sizeof (void *));
	size_t i;

	CHECK(cp != NULL);
	if (cp == NULL)
		return;
	for (i = 0; i < n; i++) {
		uintptr_t pm;

		v[i] = kmem_cache_alloc(cp, KM_SLEEP);
		CHECK(v[i] != NULL && ((uintptr_t)v[i] & (cp->cache_align - 1))
		    == 0);
		memset(v[i], 0xa5, size);
		pm = pagemap_lookup((uintptr_t)v[i]);
		CHECK(pm != 0 && !(pm & PM_BIG) &&
		    ((kmem_slab_t *)pm)->slab_cache == cp);
		CHECK(kmem_buf_is_base(cp, (kmem_slab_t *)pm, (uintptr_t)v[i]));
		CHECK(!kmem_buf_is_base(cp, (kmem_slab_t *)pm,
		    (uintptr_t)v[i] + 1));
	}
	CHECK(kmem_cache_verify(cp) == 0);
	CHECK(((cp->cache_flags & KMF_HASH) != 0) ==
	    (size >= ST_PAGESIZE / 8 || (cflags & KMC_NOTOUCH)));
	for (i = n; i > 1; i--) {
		size_t j = rnd() % i;
		void *t = v[j];

		v[j] = v[i - 1];
		v[i - 1] = t;
	}
	for (i = 0; i < n; i++)
		kmem_cache_free(cp, v[i]);
	CHECK(kmem_cache_verify(cp) == 0);
	kmem_cache_destroy(cp);
	free(v);
}

/* Colours differ between consecutive slabs of a small-slab cache. */
static void
test_colour(void)
{
	kmem_cache_t *cp = kmem_cache_create("colour", 200, 8, NULL, NULL,
	    NULL, NULL, NULL, KMC_NOMAGAZINE);
	uint32_t colours = 0;
	void *v[200];
	int i;

	for (i = 0; i < 200; i++) {
		kmem_slab_t *sp;

		v[i] = kmem_cache_alloc(cp, KM_SLEEP);
		sp = (kmem_slab_t *)pagemap_lookup((uintptr_t)v[i]);
		colours |= 1U << (sp->slab_color / 8 % 32);
	}
	CHECK(__builtin_popcount(colours) > 1);
	CHECK(cp->cache_slab_create > 1);
	for (i = 0; i < 200; i++)
		kmem_cache_free(cp, v[i]);
	CHECK(cp->cache_slab_alloc == cp->cache_slab_free);
	kmem_cache_destroy(cp);
}

static kmem_cache_t *shared;

static void *
worker(void *arg)
{
	void *v[512];
	int i, r;

	(void) arg;
	for (r = 0; r < 200; r++) {
		for (i = 0; i < 512; i++)
			v[i] = kmem_cache_alloc(shared, KM_SLEEP);
		for (i = 0; i < 512; i++)
			kmem_cache_free(shared, v[i]);
	}
	return (NULL);
}

/* Constructed objects survive magazine and depot trips; dtor == ctor. */
static void
test_constructed_mt(void)
{
	pthread_t t[4];
	int i;

	nctor = ndtor = 0;
	shared = kmem_cache_create("ctor_mt", 96, 0, ctor, dtor, NULL,
	    (void *)0x5eed, NULL, 0);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* 4 x 512 live at most: far fewer constructions than allocations. */
	CHECK(nctor <= 4 * 512 + 4 * 2 * 255);
	CHECK(shared->cache_full.ml_total > 0);
	CHECK(kmem_cache_verify(shared) == 0);
	kmem_cache_destroy(shared);
	CHECK(nctor == ndtor);
}

/*
 * A thread whose first allocation or free takes a slow path must get its
 * own per-thread state: the sentinel kmem_thread_dead's caches must stay
 * disabled, or every thread without state would share them unlocked.
 */
static void *
first_ops(void *arg)
{
	void *p;

	if (arg != NULL) {
		free(arg);              /* first operation: a free */
		return (NULL);
	}
	p = malloc(40000);              /* first operation: a slow alloc */
	free(p);
	return (NULL);
}

static void
test_dead_thread_sentinel(void)
{
	pthread_t t;
	int i;

	CHECK(pthread_create(&t, NULL, first_ops, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(pthread_create(&t, NULL, first_ops, malloc(700)) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	for (i = 0; i < KMEM_CC_MAX; i++) {
		CHECK(kmem_thread_dead.kt_cc[i].cc_magsize == 0);
		CHECK(kmem_thread_dead.kt_cc[i].cc_loaded == NULL);
	}
}

int
main(void)
{
	test_dead_thread_sentinel();
	exercise(8, 0, 0, 10000);
	exercise(100, 16, 0, 5000);
	exercise(500, 0, 0, 3000);             /* small layout, 1/8 page */
	exercise(600, 64, 0, 3000);            /* large layout */
	exercise(100, 0, KMC_NOTOUCH, 3000);   /* hash though small */
	exercise(4096, 4096, 0, 2000);         /* hash rescale */
	exercise(40000, 0, KMC_NOMAGAZINE, 300);
	test_colour();
	test_constructed_mt();
	CHECK(kmem_cache_verify(kmem_alloc_caches[0]) == 0);
	CHECK(vmem_verify(kmem_default_arena) == 0);
	CHECK(vmem_verify(heap_arena) == 0);
	if (failures == 0)
		printf("test_slab: ok\n");
	return (failures != 0);
}
