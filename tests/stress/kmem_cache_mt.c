/*
 * kmem_cache_mt: threads share one object cache with a constructor and a
 * destructor, allocate and free heavily (passing objects between threads
 * through shared slots) while another thread reaps now and then; then the
 * cache is destroyed and every constructed object must have been
 * destroyed exactly once.
 *
 * modes: static
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slabtrace.h"
#include "check.h"

#define NTHREADS	4
#define OPS		300000
#define NSLOTS		1024
#define HOLD		128
#define BUFSIZE		96

#define CTOR_MAGIC	0xC0FFEE00C0FFEE00ULL

enum { ST_CONSTRUCTED = 0x11, ST_INUSE = 0x22, ST_DEAD = 0x33 };

struct obj {
	uint64_t o_magic;
	uint32_t o_state;
	uint32_t o_owner;
	uint64_t o_serial;
	uint64_t o_check;
	unsigned char o_payload[BUFSIZE - 32];
};

static long n_ctor, n_dtor, n_bad_dtor;
static kmem_cache_t *cache;
static struct obj *slots[NSLOTS];
static volatile int reaping = 1;

static int
ctor(void *buf, void *private, int kmflag)
{
	struct obj *o = buf;

	(void) kmflag;
	CHECK(private == &n_ctor);
	o->o_magic = CTOR_MAGIC;
	o->o_state = ST_CONSTRUCTED;
	__atomic_add_fetch(&n_ctor, 1, __ATOMIC_RELAXED);
	return (0);
}

static void
dtor(void *buf, void *private)
{
	struct obj *o = buf;

	(void) private;
	if (o->o_magic != CTOR_MAGIC || o->o_state != ST_CONSTRUCTED)
		__atomic_add_fetch(&n_bad_dtor, 1, __ATOMIC_RELAXED);
	o->o_state = ST_DEAD;
	__atomic_add_fetch(&n_dtor, 1, __ATOMIC_RELAXED);
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*s = x);
}

static struct obj *
get(uint32_t owner, uint64_t serial, int kmflag)
{
	struct obj *o = kmem_cache_alloc(cache, kmflag);

	REQUIRE(o != NULL);
	CHECKF(o->o_magic == CTOR_MAGIC && o->o_state == ST_CONSTRUCTED,
	    "object %p not constructed (magic %#llx state %#x owner %u): "
	    "handed out twice?", (void *)o, (unsigned long long)o->o_magic,
	    o->o_state, o->o_owner);
	o->o_state = ST_INUSE;
	o->o_owner = owner;
	o->o_serial = serial;
	o->o_check = serial * 31 + owner;
	memset(o->o_payload, (int)(serial & 0xff), sizeof (o->o_payload));
	return (o);
}

static void
put(struct obj *o)
{
	size_t i;

	CHECKF(o->o_state == ST_INUSE && o->o_check == o->o_serial * 31 +
	    o->o_owner, "object %p corrupted (state %#x owner %u)", (void *)o,
	    o->o_state, o->o_owner);
	for (i = 0; i < sizeof (o->o_payload); i++)
		if (o->o_payload[i] != (unsigned char)(o->o_serial & 0xff))
			break;
	CHECKF(i == sizeof (o->o_payload), "object %p payload corrupted at "
	    "%zu", (void *)o, i);
	o->o_state = ST_CONSTRUCTED;
	kmem_cache_free(cache, o);
}

static void *
worker(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	uint64_t s = 0x5bd1e995ULL * (id + 1);
	struct obj *held[HOLD] = { NULL };
	uint64_t i;
	int k;

	for (i = 0; i < OPS; i++) {
		uint64_t r = xorshift(&s);

		if (r % 3 == 0) {
			/* Swap through a shared slot: a cross-thread free. */
			struct obj *o = get(id, i, KM_SLEEP), *old;

			old = __atomic_exchange_n(&slots[(r >> 8) % NSLOTS], o,
			    __ATOMIC_ACQ_REL);
			if (old != NULL)
				put(old);
		} else {
			k = (int)((r >> 8) % HOLD);
			if (held[k] != NULL) {
				put(held[k]);
				held[k] = NULL;
			} else {
				held[k] = get(id, i, (r >> 20) % 2 ?
				    KM_NOSLEEP : KM_SLEEP);
			}
		}
		/* Now and then, a burst bigger than any magazine. */
		if (i % 50000 == 0) {
			struct obj *burst[1000];

			for (k = 0; k < 1000; k++)
				burst[k] = get(id, i + (uint64_t)k, KM_SLEEP);
			for (k = 0; k < 1000; k++)
				put(burst[k]);
		}
	}
	for (k = 0; k < HOLD; k++)
		if (held[k] != NULL)
			put(held[k]);
	return (NULL);
}

static void *
reaper(void *arg)
{
	struct timespec ts = { 0, 20 * 1000000 };

	(void) arg;
	while (reaping) {
		kmem_reap();
		(void) nanosleep(&ts, NULL);
	}
	return (NULL);
}

struct find {
	kmem_cache_stat_t f_stat;
	int f_found;
};

static int
find_cb(const kmem_cache_stat_t *ks, void *arg)
{
	struct find *f = arg;

	if (strcmp(ks->kcs_name, "st_mt_cache") == 0) {
		f->f_stat = *ks;
		f->f_found++;
	}
	return (0);
}

int
main(void)
{
	pthread_t t[NTHREADS], rt;
	struct find f = { .f_found = 0 };
	uintptr_t i;

	check_allocator_is_slabtrace();
	cache = kmem_cache_create("st_mt_cache", BUFSIZE, 16, ctor, dtor,
	    NULL, &n_ctor, NULL, 0);
	REQUIRE(cache != NULL);
	REQUIRE(pthread_create(&rt, NULL, reaper, NULL) == 0);
	for (i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_join(t[i], NULL) == 0);
	reaping = 0;
	REQUIRE(pthread_join(rt, NULL) == 0);
	for (i = 0; i < NSLOTS; i++)
		if (slots[i] != NULL)
			put(slots[i]);

	kmem_cache_walk(find_cb, &f);
	CHECKF(f.f_found == 1, "st_mt_cache walked %d times", f.f_found);
	if (f.f_found == 1) {
		CHECKF(f.f_stat.kcs_alloc >= (uint64_t)NTHREADS * OPS / 3,
		    "kcs_alloc %llu", (unsigned long long)f.f_stat.kcs_alloc);
		CHECKF(n_ctor - n_dtor <= (long)f.f_stat.kcs_buf_total,
		    "%ld objects constructed and not destroyed, %llu buffers",
		    n_ctor - n_dtor,
		    (unsigned long long)f.f_stat.kcs_buf_total);
	}
	kmem_cache_destroy(cache);
	CHECKF(n_ctor == n_dtor, "after kmem_cache_destroy: %ld constructor "
	    "calls, %ld destructor calls", n_ctor, n_dtor);
	CHECKF(n_bad_dtor == 0, "the destructor saw %ld objects not in "
	    "constructed state", n_bad_dtor);
	check_say("%ld objects constructed\n", n_ctor);
	return (check_status());
}
