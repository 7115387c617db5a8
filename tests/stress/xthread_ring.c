/*
 * xthread_ring: threads allocate random sizes and pass the buffers to one
 * another, so that most frees happen on a thread other than the one that
 * allocated.  Every buffer carries a signature written at allocation and
 * checked at free: a buffer handed out twice, or written over by a
 * neighbour, shows as a bad signature.
 *
 * Four "swap" threads exchange buffers through a table of shared slots;
 * one producer thread allocates and one consumer thread frees through a
 * bounded ring, so magazines have to travel from one thread to the other.
 * Fixed seeds; a fixed amount of work.
 *
 * modes: preload lite 0xf
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define NSWAP		4
#define SWAP_OPS	300000
#define NSLOTS		4096
#define RING_SIZE	1024
#define PRODUCED	300000

struct hdr {
	uint32_t h_size;
	uint32_t h_serial;
	uint64_t h_check;
};

static void *slots[NSLOTS];

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*s = x);
}

static uint64_t
mix(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ b;

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ULL;
	return (x ^ (x >> 29));
}

/* Mostly small, sometimes large: the shape of a real program. */
static size_t
random_size(uint64_t *s)
{
	uint64_t r = xorshift(s);
	unsigned pct = r % 100;

	r >>= 8;
	if (pct < 60)
		return (16 + r % 113);
	if (pct < 85)
		return (129 + r % 1920);
	if (pct < 95)
		return (2049 + r % 30720);
	if (pct < 99)
		return (32769 + r % 229376);
	return (262145 + r % (2 << 20));
}

/* Bytes the signature covers: all of a small buffer, a sample of a big. */
static size_t
step_for(size_t size)
{
	return (size <= 4096 ? 1 : 61);
}

static unsigned char
byte_at(uint32_t serial, size_t i)
{
	return ((unsigned char)(serial * 7 + i * 13 + (i >> 8)));
}

static void
sign(void *buf, size_t size, uint32_t serial)
{
	struct hdr *h = buf;
	unsigned char *p = buf;
	size_t i, step = step_for(size);

	h->h_size = (uint32_t)size;
	h->h_serial = serial;
	h->h_check = mix(size, serial);
	for (i = sizeof (*h); i < size; i += step)
		p[i] = byte_at(serial, i);
	if (size > sizeof (*h))
		p[size - 1] = byte_at(serial, size - 1);
}

static void
verify_and_free(void *buf, const char *who)
{
	struct hdr *h = buf;
	unsigned char *p = buf;
	size_t size = h->h_size, i, step;

	if (h->h_check != mix(h->h_size, h->h_serial)) {
		CHECKF(0, "%s: buffer %p has a bad signature (size %u serial "
		    "%u check %#llx): handed out twice or overwritten", who,
		    buf, h->h_size, h->h_serial,
		    (unsigned long long)h->h_check);
		return;	/* don't free what we can't trust */
	}
	step = step_for(size);
	for (i = sizeof (*h); i < size; i += step)
		if (p[i] != byte_at(h->h_serial, i))
			break;
	CHECKF(i >= size && (size <= sizeof (*h) ||
	    p[size - 1] == byte_at(h->h_serial, size - 1)),
	    "%s: buffer %p (size %zu, serial %u) corrupted at offset %zu",
	    who, buf, size, h->h_serial, i);
	CHECKF(malloc_usable_size(buf) >= size, "%s: usable size of %p is "
	    "%zu < %zu", who, buf, malloc_usable_size(buf), size);
	h->h_check = 0;		/* a second free of it would show */
	free(buf);
}

static void *
new_buffer(uint64_t *s, uint32_t serial)
{
	size_t size = random_size(s);
	unsigned r = (unsigned)(xorshift(s) % 16);
	unsigned char *p;

	if (r == 0) {
		size_t i;

		p = calloc(1, size);
		REQUIRE(p != NULL);
		for (i = 0; i < size; i += step_for(size))
			if (p[i] != 0)
				break;
		CHECKF(i >= size, "calloc(1, %zu) = %p not zeroed at %zu",
		    size, (void *)p, i);
	} else if (r == 1) {
		/* Grow or shrink a fresh buffer before use. */
		size_t first = random_size(s);

		p = malloc(first);
		REQUIRE(p != NULL);
		sign(p, first, serial);
		p = realloc(p, size);
		REQUIRE(p != NULL);
		CHECKF(((struct hdr *)p)->h_serial == serial,
		    "realloc(%zu -> %zu) lost the contents", first, size);
	} else if (r == 2) {
		p = aligned_alloc(64, size);
		REQUIRE(p != NULL);
		CHECKF(((uintptr_t)p & 63) == 0, "aligned_alloc(64) = %p",
		    (void *)p);
	} else {
		p = malloc(size);
		REQUIRE(p != NULL);
	}
	CHECKF(((uintptr_t)p & 15) == 0, "buffer %p of size %zu not "
	    "16-aligned", (void *)p, size);
	sign(p, size, serial);
	return (p);
}

static void *
swap_thread(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t s = 0x1234567ULL + id * 0x1000193ULL;
	char who[32];
	int i;

	(void) snprintf(who, sizeof (who), "swap thread %u", (unsigned)id);
	for (i = 0; i < SWAP_OPS; i++) {
		uint32_t serial = (uint32_t)(id << 24 | (uint32_t)i);
		void *buf = NULL, *old;
		size_t slot = xorshift(&s) % NSLOTS;

		/* One time in four, take a buffer out without putting one. */
		if (xorshift(&s) % 4 != 0)
			buf = new_buffer(&s, serial);
		old = __atomic_exchange_n(&slots[slot], buf, __ATOMIC_ACQ_REL);
		if (old != NULL)
			verify_and_free(old, who);
	}
	return (NULL);
}

/* The producer/consumer ring. */
static struct {
	pthread_mutex_t r_lock;
	pthread_cond_t r_nonempty;
	pthread_cond_t r_nonfull;
	void *r_buf[RING_SIZE];
	unsigned r_head, r_tail;
	int r_done;
} ring = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, { NULL }, 0, 0, 0,
};

static void *
producer(void *arg)
{
	uint64_t s = 0xfeedfaceULL;
	int i, batch = 0;
	void *local[32];

	(void) arg;
	for (i = 0; i < PRODUCED; i++) {
		local[batch++] = new_buffer(&s, (uint32_t)(0x80000000u | i));
		if (batch < 32 && i != PRODUCED - 1)
			continue;
		pthread_mutex_lock(&ring.r_lock);
		while (batch > 0) {
			while (ring.r_tail - ring.r_head == RING_SIZE)
				pthread_cond_wait(&ring.r_nonfull,
				    &ring.r_lock);
			ring.r_buf[ring.r_tail++ % RING_SIZE] =
			    local[--batch];
		}
		pthread_cond_signal(&ring.r_nonempty);
		pthread_mutex_unlock(&ring.r_lock);
	}
	pthread_mutex_lock(&ring.r_lock);
	ring.r_done = 1;
	pthread_cond_signal(&ring.r_nonempty);
	pthread_mutex_unlock(&ring.r_lock);
	return (NULL);
}

static void *
consumer(void *arg)
{
	long freed = 0;

	(void) arg;
	for (;;) {
		void *local[64];
		int n = 0;

		pthread_mutex_lock(&ring.r_lock);
		while (ring.r_head == ring.r_tail && !ring.r_done)
			pthread_cond_wait(&ring.r_nonempty, &ring.r_lock);
		if (ring.r_head == ring.r_tail) {
			pthread_mutex_unlock(&ring.r_lock);
			break;
		}
		while (ring.r_head != ring.r_tail && n < 64)
			local[n++] = ring.r_buf[ring.r_head++ % RING_SIZE];
		pthread_cond_signal(&ring.r_nonfull);
		pthread_mutex_unlock(&ring.r_lock);
		while (n > 0) {
			verify_and_free(local[--n], "consumer");
			freed++;
		}
	}
	CHECKF(freed == PRODUCED, "consumer freed %ld of %d", freed,
	    PRODUCED);
	return (NULL);
}

int
main(void)
{
	pthread_t t[NSWAP + 2];
	uintptr_t i;

	check_allocator_is_slabtrace();
	for (i = 0; i < NSWAP; i++)
		REQUIRE(pthread_create(&t[i], NULL, swap_thread, (void *)i) ==
		    0);
	REQUIRE(pthread_create(&t[NSWAP], NULL, producer, NULL) == 0);
	REQUIRE(pthread_create(&t[NSWAP + 1], NULL, consumer, NULL) == 0);
	for (i = 0; i < NSWAP + 2; i++)
		REQUIRE(pthread_join(t[i], NULL) == 0);
	for (i = 0; i < NSLOTS; i++)
		if (slots[i] != NULL)
			verify_and_free(slots[i], "main");
	return (check_status());
}
