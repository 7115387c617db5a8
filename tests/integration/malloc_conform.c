/*
 * malloc_conform: the malloc family behaves as C, POSIX and glibc say.
 *
 * Run both linked with libslabtrace.a and preloaded with libslabtrace.so.
 * It passes under plain glibc too; the few behaviours that are slabtrace's
 * own choice (pvalloc(0), mallopt of an unknown parameter) are checked only
 * when ST_EXPECT_SLABTRACE=1, which the runner sets.
 *
 * modes: static preload
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

/* The test looks at blocks after a failed realloc, which is allowed. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

#define MiB	(1024UL * 1024)

/*
 * Fill a buffer with a pattern that depends on the seed and on the offset,
 * so that a block written over by a neighbour, or handed out twice, shows.
 */
static uint64_t
pattern_word(uint64_t seed, size_t w)
{
	return ((seed + 1) * 0x9E3779B97F4A7C15ULL ^ (w * 0xBF58476D1CE4E5B9ULL));
}

static void
fill(void *buf, size_t n, uint64_t seed)
{
	uint64_t *wp = buf, last;
	size_t w;

	for (w = 0; w < n / 8; w++)
		wp[w] = pattern_word(seed, w);
	if (n % 8 != 0) {
		last = pattern_word(seed, n / 8);
		memcpy((unsigned char *)buf + (n & ~(size_t)7), &last, n % 8);
	}
}

/* Returns the offset of the first wrong byte, or (size_t)-1. */
static size_t
verify(const void *buf, size_t n, uint64_t seed)
{
	const unsigned char *cp = buf;
	unsigned char wb[8];
	size_t w, i;

	for (w = 0; w * 8 < n; w++) {
		uint64_t want = pattern_word(seed, w);
		size_t len = n - w * 8 < 8 ? n - w * 8 : 8;

		memcpy(wb, &want, 8);
		if (memcmp(cp + w * 8, wb, len) == 0)
			continue;
		for (i = 0; i < len; i++)
			if (cp[w * 8 + i] != wb[i])
				return (w * 8 + i);
	}
	return ((size_t)-1);
}

static int
is_zero(const void *buf, size_t n)
{
	const unsigned char *cp = buf;
	size_t i;

	for (i = 0; i < n; i++)
		if (cp[i] != 0)
			return (0);
	return (1);
}

static int
aligned(const void *p, size_t align)
{
	return (((uintptr_t)p & (align - 1)) == 0);
}

static size_t
min_align(size_t size)
{
	return (size >= 16 ? 16 : 8);
}

struct block {
	unsigned char *b_addr;
	size_t b_size;		/* requested */
	size_t b_usable;
	uint64_t b_seed;
};

static int
block_cmp(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return (x->b_addr < y->b_addr ? -1 : x->b_addr > y->b_addr);
}

/* No two live blocks may overlap, usable sizes included. */
static void
check_no_overlap(struct block *bl, size_t n, const char *what)
{
	size_t i;

	qsort(bl, n, sizeof (*bl), block_cmp);
	for (i = 0; i + 1 < n; i++) {
		size_t extent = bl[i].b_usable > 0 ? bl[i].b_usable : 1;

		CHECKF(bl[i].b_addr + extent <= bl[i + 1].b_addr,
		    "%s: block %p (size %zu, usable %zu) overlaps %p (size %zu)",
		    what, (void *)bl[i].b_addr, bl[i].b_size, bl[i].b_usable,
		    (void *)bl[i + 1].b_addr, bl[i + 1].b_size);
	}
}

static void
check_block(const struct block *b, const char *what)
{
	size_t bad = verify(b->b_addr, b->b_usable, b->b_seed);

	CHECKF(bad == (size_t)-1,
	    "%s: block %p of size %zu (usable %zu) corrupted at offset %zu",
	    what, (void *)b->b_addr, b->b_size, b->b_usable, bad);
}

static int
new_block(struct block *b, size_t size, uint64_t seed, const char *what)
{
	b->b_addr = malloc(size);
	b->b_size = size;
	b->b_seed = seed;
	CHECKF(b->b_addr != NULL, "%s: malloc(%zu) returned NULL", what, size);
	if (b->b_addr == NULL)
		return (0);
	CHECKF(aligned(b->b_addr, min_align(size)),
	    "%s: malloc(%zu) = %p is not %zu-aligned", what, size,
	    (void *)b->b_addr, min_align(size));
	b->b_usable = malloc_usable_size(b->b_addr);
	CHECKF(b->b_usable >= size,
	    "%s: malloc_usable_size(malloc(%zu)) = %zu", what, size,
	    b->b_usable);
	if (b->b_usable < size)
		b->b_usable = size;
	fill(b->b_addr, b->b_usable, seed);
	return (1);
}

/* Every size 0..4096, all live at once, then half freed and refilled. */
static void
test_small_sizes(void)
{
	enum { N = 4097 };
	static struct block bl[N];
	size_t i, n = 0;

	for (i = 0; i < N; i++)
		if (new_block(&bl[n], i, i, "small"))
			n++;
	for (i = 0; i < n; i++)
		check_block(&bl[i], "small, all live");
	check_no_overlap(bl, n, "small");

	/* Free every other block and reuse the holes with other sizes. */
	for (i = 0; i < n; i += 2) {
		check_block(&bl[i], "small, before free");
		free(bl[i].b_addr);
	}
	for (i = 0; i < n; i += 2)
		if (!new_block(&bl[i], (i * 7919) % N, i + 100000, "small reuse"))
			bl[i] = bl[i + 1 < n ? i + 1 : i - 1];
	for (i = 0; i < n; i++)
		check_block(&bl[i], "small, after reuse");
	check_no_overlap(bl, n, "small reuse");
	for (i = 0; i < n; i++) {
		if (i > 0 && bl[i].b_addr == bl[i - 1].b_addr)
			continue;
		free(bl[i].b_addr);
	}
}

/* Powers of two and their neighbours, up to 64 MiB. */
static void
test_power_sizes(void)
{
	static struct block bl[3 * 27];
	size_t n = 0, i;
	int k, d;

	for (k = 0; k <= 26; k++) {
		for (d = -1; d <= 1; d++) {
			size_t size = ((size_t)1 << k) + d;

			if (size == 0 || (k == 1 && d == -1))
				continue;
			if (!new_block(&bl[n], size, n * 31 + 7, "power"))
				continue;
			n++;
			/*
			 * Above 1 MiB keep only the last three live, to
			 * bound the footprint; check them before letting go.
			 */
			if (size > MiB && n > 3) {
				check_block(&bl[n - 4], "power, before free");
				free(bl[n - 4].b_addr);
				bl[n - 4].b_addr = NULL;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (bl[i].b_addr != NULL)
			check_block(&bl[i], "power, all live");
	for (i = 0; i < n; i++)
		free(bl[i].b_addr);
}

static void
test_malloc_zero_and_null(void)
{
	enum { N = 1000 };
	static struct block bl[N];
	size_t i;

	for (i = 0; i < N; i++) {
		bl[i].b_addr = malloc(0);
		bl[i].b_size = 0;
		REQUIRE(bl[i].b_addr != NULL);
		bl[i].b_usable = malloc_usable_size(bl[i].b_addr);
		CHECK(aligned(bl[i].b_addr, 8));
	}
	check_no_overlap(bl, N, "malloc(0)");
	for (i = 0; i < N; i++)
		free(bl[i].b_addr);
	free(NULL);
	CHECK(malloc_usable_size(NULL) == 0);
}

static void
test_huge_malloc(void)
{
	volatile size_t sizes[] = {
		SIZE_MAX, SIZE_MAX - 4096, (size_t)PTRDIFF_MAX + 1,
		SIZE_MAX / 2 + 4096,
	};
	size_t i;

	for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
		void *p;

		errno = 0;
		p = malloc(sizes[i]);
		CHECKF(p == NULL, "malloc(%#zx) = %p", sizes[i], p);
		CHECKF(errno == ENOMEM, "malloc(%#zx): errno %d, not ENOMEM",
		    sizes[i], errno);
		free(p);
	}
}

static void
test_calloc(void)
{
	static const size_t sizes[] = {
		1, 7, 8, 16, 24, 31, 32, 48, 64, 100, 128, 200, 256, 257, 512,
		1000, 1024, 2000, 4096, 4097, 8192, 10000, 65536, 131072,
		131073, 200000, 1 << 20, 4 << 20, 16 << 20,
	};
	volatile size_t big = SIZE_MAX / 2, three = 3, max = SIZE_MAX;
	size_t i;
	int round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
			size_t n = sizes[i];
			unsigned char *d, *z;

			/* Dirty a block of the size, free it, then calloc. */
			d = malloc(n);
			REQUIRE(d != NULL);
			memset(d, 0xff, malloc_usable_size(d));
			free(d);
			z = calloc(1, n);
			REQUIRE(z != NULL);
			CHECKF(is_zero(z, n), "calloc(1, %zu) not zeroed "
			    "(round %d, dirty block was %p, now %p)", n, round,
			    (void *)d, (void *)z);
			CHECK(aligned(z, min_align(n)));
			CHECK(malloc_usable_size(z) >= n);
			memset(z, 0xff, n);
			free(z);

			/* Same total as nmemb * size. */
			if (n % 8 == 0) {
				z = calloc(n / 8, 8);
				REQUIRE(z != NULL);
				CHECKF(is_zero(z, n), "calloc(%zu, 8) not "
				    "zeroed", n / 8);
				memset(z, 0xee, n);
				free(z);
			}
		}
	}
	{
		void *p = calloc(0, 0), *q = calloc(0, 16);

		CHECK(p != NULL && q != NULL && p != q);
		free(p);
		free(q);
	}
	errno = 0;
	CHECK(calloc(big, three) == NULL);
	CHECKF(errno == ENOMEM, "calloc overflow: errno %d", errno);
	errno = 0;
	CHECK(calloc(three, big) == NULL);
	CHECK(errno == ENOMEM);
	errno = 0;
	CHECK(calloc(max, max) == NULL);
	CHECK(errno == ENOMEM);
	errno = 0;
	CHECK(calloc(1, max) == NULL);
	CHECK(errno == ENOMEM);
}

/* Pages of [p, p + n) resident (p starts a page). */
static size_t
resident_pages(const void *p, size_t n)
{
	size_t j, npages = (n + 4095) / 4096, resident = 0;
	unsigned char *vec = malloc(npages);

	REQUIRE(vec != NULL);
	REQUIRE(mincore((void *)p, n, vec) == 0);
	for (j = 0; j < npages; j++)
		resident += vec[j] & 1;
	free(vec);
	return (resident);
}

/*
 * A big calloc'd buffer reads as zeros, but only the part of it that may
 * hold a freed buffer's data is cleared: memory never written stays
 * uncommitted (malloc.c, section 7), as glibc's fresh mmap does.
 * slabtrace's choice.  Run first, while the big buffers' memory is fresh.
 */
static void
test_calloc_clean(void)
{
	static const size_t sizes[] = { 200000, 1 << 20, 3 << 20 };
	char *z[3], *d;
	size_t i, r;

	if (!check_expect_slabtrace())
		return;
	/* Fresh memory: nothing committed, all zeros. */
	for (i = 0; i < 3; i++) {
		z[i] = calloc(1, sizes[i]);
		REQUIRE(z[i] != NULL);
		r = resident_pages(z[i], sizes[i]);
		CHECKF(r == 0, "calloc(1, %zu): %zu pages committed before "
		    "any use", sizes[i], r);
		CHECKF(is_zero(z[i], sizes[i]), "calloc(1, %zu) not zeroed",
		    sizes[i]);
	}
	for (i = 0; i < 3; i++) {
		memset(z[i], 0xa5, sizes[i]);
		free(z[i]);
	}
	/*
	 * Freed dirty, then a bigger calloc over it and the fresh space
	 * after: zeros throughout, and no more committed than was dirty.
	 */
	d = malloc(1 << 20);
	REQUIRE(d != NULL);
	memset(d, 0x3c, 1 << 20);
	free(d);
	z[0] = calloc(1, 12 << 20);
	REQUIRE(z[0] != NULL);
	r = resident_pages(z[0], 12 << 20);
	CHECKF(r <= ((3 << 20) + 200000 + 8192) / 4096, "calloc(1, 12 MiB) "
	    "over 4.2 MiB of freed buffers: %zu pages committed", r);
	CHECKF(is_zero(z[0], 12 << 20), "calloc(1, 12 MiB) over freed "
	    "buffers not zeroed");
	free(z[0]);
}

/*
 * Locked pages cannot be decommitted (madvise fails): a freed buffer's
 * locked pages stay dirty through a purge (malloc_trim), and calloc over
 * them, small or big, still reads as zeros.
 */
static void
test_calloc_locked(void)
{
	size_t big = 6 << 20;
	char *keep, *p, *q;

	keep = malloc(1 << 20);         /* so that the span stays */
	p = malloc(big);
	REQUIRE(keep != NULL && p != NULL);
	memset(p, 0x77, big);
	if (mlock(p, big) != 0) {
		check_say("mlock: %s; locked pages not tested\n",
		    strerror(errno));
		free(p);
		free(keep);
		return;
	}
	free(p);
	(void) malloc_trim(0);
	q = calloc(1, 3 << 20);
	REQUIRE(q != NULL);
	CHECKF(is_zero(q, 3 << 20), "calloc(1, 3 MiB) over locked freed "
	    "pages not zeroed");
	free(q);
	q = calloc(1, big);
	REQUIRE(q != NULL);
	CHECKF(is_zero(q, big), "calloc(1, 6 MiB) over locked freed pages "
	    "not zeroed");
	free(q);
	(void) munlock(p, big);
	free(keep);
}

/*
 * Big buffers freed dirty next to clean space: every calloc, whatever
 * mix of freed and fresh memory it is carved from, reads as zeros.
 */
static void
test_calloc_mixed(void)
{
	enum { NLIVE = 8, NOPS = 600 };
	unsigned char *live[NLIVE] = { NULL };
	size_t size[NLIVE] = { 0 };
	uint64_t r = 88172645463325252ULL;
	int op, k;

	for (op = 0; op < NOPS; op++) {
		size_t n;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		k = (int)(r % NLIVE);
		if (live[k] != NULL) {
			memset(live[k], 0x5a, size[k]);
			free(live[k]);
			live[k] = NULL;
			continue;
		}
		/* 128 KiB .. 1.5 MiB; one in ten 4 .. 6 MiB (decommitted). */
		n = (r >> 8) % 10 == 0 ? (4 << 20) + (r >> 16) % (2 << 20) :
		    131073 + (r >> 16) % (1408 << 10);
		if ((r >> 40) & 1) {
			live[k] = calloc(1, n);
			REQUIRE(live[k] != NULL);
			CHECKF(is_zero(live[k], n), "op %d: calloc(1, %zu) "
			    "not zeroed", op, n);
		} else {
			live[k] = malloc(n);
			REQUIRE(live[k] != NULL);
		}
		memset(live[k], 0xc3, n);
		size[k] = n;
	}
	for (k = 0; k < NLIVE; k++)
		free(live[k]);
}

/* realloc from size a to size b keeps min(a, b) bytes. */
static unsigned char *
realloc_step(unsigned char *p, size_t oldsize, size_t newsize,
    uint64_t seed, uint64_t newseed)
{
	unsigned char *q = realloc(p, newsize);
	size_t keep = oldsize < newsize ? oldsize : newsize, bad;

	REQUIRE(q != NULL);
	CHECKF(aligned(q, min_align(newsize)), "realloc(%zu -> %zu) = %p",
	    oldsize, newsize, (void *)q);
	CHECKF(malloc_usable_size(q) >= newsize,
	    "realloc(%zu -> %zu): usable %zu", oldsize, newsize,
	    malloc_usable_size(q));
	bad = verify(q, keep, seed);
	CHECKF(bad == (size_t)-1, "realloc(%p, %zu -> %zu) = %p lost the "
	    "contents at offset %zu", (void *)p, oldsize, newsize, (void *)q,
	    bad);
	fill(q, newsize, newseed);
	return (q);
}

static void
test_realloc(void)
{
	static const size_t ladder[] = {
		1, 7, 8, 15, 16, 17, 33, 100, 255, 256, 257, 1000, 4095, 4096,
		4097, 10000, 65536, 131072, 131073, 300000, 1 << 20, 5 << 20,
		33 << 20,
	};
	const size_t nl = sizeof (ladder) / sizeof (ladder[0]);
	volatile size_t zero = 0;
	volatile size_t huge[] = {
		SIZE_MAX, (size_t)PTRDIFF_MAX + 1, SIZE_MAX / 2 + 4096,
		SIZE_MAX - 100,
	};
	unsigned char *p;
	uint64_t seed = 1, x = 88172645463325252ULL;
	size_t i, size;

	p = realloc(NULL, 100);
	REQUIRE(p != NULL);
	CHECK(malloc_usable_size(p) >= 100);
	fill(p, 100, seed);

	/* Up the ladder and down again. */
	size = 100;
	for (i = 0; i < nl; i++, seed++) {
		p = realloc_step(p, size, ladder[i], seed, seed + 1);
		size = ladder[i];
	}
	for (i = nl; i-- > 0; seed++) {
		p = realloc_step(p, size, ladder[i], seed, seed + 1);
		size = ladder[i];
	}

	/* A random walk over the size classes, fixed seed. */
	for (i = 0; i < 3000; i++, seed++) {
		size_t ns;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = (size_t)1 << (x % 18);
		ns += (x >> 20) % ns;
		p = realloc_step(p, size, ns, seed, seed + 1);
		size = ns;
	}

	/* A huge realloc fails and leaves the block alone. */
	for (i = 0; i < sizeof (huge) / sizeof (huge[0]); i++) {
		unsigned char *q;

		errno = 0;
		q = realloc(p, huge[i]);
		CHECKF(q == NULL, "realloc(p, %#zx) = %p", huge[i], (void *)q);
		CHECKF(errno == ENOMEM, "realloc(p, %#zx): errno %d", huge[i],
		    errno);
		CHECKF(verify(p, size, seed) == (size_t)-1,
		    "failed realloc(p, %#zx) changed the block", huge[i]);
		if (q != NULL)
			p = q;
	}

	/* glibc: realloc(p, 0) frees p and returns NULL. */
	p = realloc(p, zero);
	CHECKF(p == NULL, "realloc(p, 0) = %p, glibc returns NULL", (void *)p);
	free(p);

	/* In place many times: shrinking then growing within a block. */
	p = malloc(1000);
	REQUIRE(p != NULL);
	fill(p, 1000, 5);
	for (i = 1000; i > 1; i /= 2)
		p = realloc_step(p, i * 2 > 1000 ? 1000 : i * 2, i, 5, 5);
	free(p);
}

static void
test_reallocarray(void)
{
	volatile size_t big = SIZE_MAX / 4, eight = 8, three = 3;
	unsigned char *p, *q;

	errno = 0;
	p = reallocarray(NULL, SIZE_MAX / 2, three);
	CHECK(p == NULL);
	CHECK(errno == ENOMEM);

	p = reallocarray(NULL, 10, 10);
	REQUIRE(p != NULL);
	fill(p, 100, 77);
	errno = 0;
	q = reallocarray(p, big, eight);
	CHECK(q == NULL);
	CHECK(errno == ENOMEM);
	CHECK(verify(p, 100, 77) == (size_t)-1);
	q = reallocarray(p, 20, 20);
	REQUIRE(q != NULL);
	CHECK(malloc_usable_size(q) >= 400);
	CHECK(verify(q, 100, 77) == (size_t)-1);
	free(q);
}

static void
test_posix_memalign(void)
{
	static const size_t sizes[] = {
		1, 8, 17, 100, 1000, 4096, 4097, 65536, 200000,
	};
	enum { NS = sizeof (sizes) / sizeof (sizes[0]) };
	struct block bl[NS];
	size_t align, i;
	void *p;
	int err;

	for (align = 8; align <= ((size_t)1 << 22); align <<= 1) {
		for (i = 0; i < NS; i++) {
			p = (void *)0x1;
			err = posix_memalign(&p, align, sizes[i]);
			CHECKF(err == 0, "posix_memalign(%zu, %zu) = %d",
			    align, sizes[i], err);
			REQUIRE(err != 0 || p != NULL);
			if (err != 0) {
				bl[i].b_addr = NULL;
				continue;
			}
			CHECKF(aligned(p, align), "posix_memalign(%zu, %zu) "
			    "= %p", align, sizes[i], p);
			bl[i].b_addr = p;
			bl[i].b_size = sizes[i];
			bl[i].b_usable = malloc_usable_size(p);
			bl[i].b_seed = align + i;
			CHECKF(bl[i].b_usable >= sizes[i],
			    "posix_memalign(%zu, %zu): usable %zu", align,
			    sizes[i], bl[i].b_usable);
			if (bl[i].b_usable < sizes[i])
				bl[i].b_usable = sizes[i];
			fill(p, bl[i].b_usable, bl[i].b_seed);
		}
		for (i = 0; i < NS; i++)
			if (bl[i].b_addr != NULL)
				check_block(&bl[i], "posix_memalign");
		for (i = 0; i < NS; i++)
			free(bl[i].b_addr);
	}

	/* Bad alignments: EINVAL as the return value. */
	{
		const size_t bad[] = { 0, 3, 24, sizeof (void *) / 2, 1, 12,
		    4097 };
		volatile size_t huge = SIZE_MAX - 4096;

		for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
			p = NULL;
			err = posix_memalign(&p, bad[i], 64);
			CHECKF(err == EINVAL, "posix_memalign(%zu, 64) = %d, "
			    "not EINVAL", bad[i], err);
			if (err == 0)
				free(p);
		}
		p = NULL;
		err = posix_memalign(&p, 64, huge);
		CHECKF(err == ENOMEM, "posix_memalign(64, huge) = %d", err);
		if (err == 0)
			free(p);
	}
}

static void
test_aligned_alloc_memalign(void)
{
	static const size_t sizes[] = { 1, 100, 5000 };
	volatile size_t bad_align = 24;	/* hidden from the compiler's check */
	size_t align, i;
	void *p;

	for (align = 1; align <= ((size_t)1 << 20); align <<= 1) {
		for (i = 0; i < 5; i++) {
			size_t size = i < 3 ? sizes[i] :
			    i == 3 ? align : 3 * align;

			p = aligned_alloc(align, size);
			CHECKF(p != NULL, "aligned_alloc(%zu, %zu)", align,
			    size);
			if (p == NULL)
				continue;
			CHECKF(aligned(p, align), "aligned_alloc(%zu, %zu) "
			    "= %p", align, size, p);
			CHECK(malloc_usable_size(p) >= size);
			memset(p, 0xa5, size);
			free(p);

			p = memalign(align, size);
			REQUIRE(p != NULL);
			CHECKF(aligned(p, align), "memalign(%zu, %zu) = %p",
			    align, size, p);
			CHECK(malloc_usable_size(p) >= size);
			memset(p, 0x5a, size);
			free(p);
		}
	}

	/* Not a power of two: stay neutral, NULL or a good pointer. */
	errno = 0;
	p = aligned_alloc(bad_align, 100);
	if (p != NULL) {
		CHECKF(aligned(p, 8), "aligned_alloc(24, 100) = %p", p);
		CHECK(malloc_usable_size(p) >= 100);
		free(p);
	} else {
		CHECKF(errno == EINVAL, "aligned_alloc(24, 100): errno %d",
		    errno);
	}

	/* memalign rounds a bad alignment up to a power of two. */
	{
		static const size_t a[][2] = {
			{ 24, 32 }, { 48, 64 }, { 3000, 4096 }, { 5000, 8192 },
			{ 100000, 131072 },
		};

		for (i = 0; i < sizeof (a) / sizeof (a[0]); i++) {
			p = memalign(a[i][0], 100);
			REQUIRE(p != NULL);
			CHECKF(aligned(p, a[i][1]), "memalign(%zu, 100) = %p, "
			    "not %zu-aligned", a[i][0], p, a[i][1]);
			CHECK(malloc_usable_size(p) >= 100);
			free(p);
		}
	}
}

/* Blocks from the aligned allocators can be realloc'ed and keep their data. */
static void
test_realloc_aligned(void)
{
	size_t align;

	for (align = 32; align <= ((size_t)1 << 20); align <<= 1) {
		unsigned char *p = memalign(align, 100);

		REQUIRE(p != NULL);
		CHECK(aligned(p, align));
		fill(p, 100, align);
		p = realloc_step(p, 100, 5000, align, align + 1);
		p = realloc_step(p, 5000, 40, align + 1, align + 2);
		p = realloc_step(p, 40, 300000, align + 2, align + 3);
		free(p);

		CHECK(posix_memalign((void **)&p, align, align * 3) == 0);
		fill(p, align * 3, align);
		p = realloc_step(p, align * 3, align, align, align);
		free(p);
	}
}

static long
rss_mib(void)
{
	long kib = check_rss_kib();

	return (kib < 0 ? -1 : kib / 1024);
}

/* Big blocks freed go back: 40 x 64 MiB touched and freed stays small. */
static void
test_big_free_returns(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), i, j;
	long before = rss_mib(), after;

	for (i = 0; i < 40; i++) {
		size_t n = 64 * MiB + i * 4096 * 3;
		unsigned char *p = malloc(n);

		REQUIRE(p != NULL);
		for (j = 0; j < n; j += pg)
			p[j] = (unsigned char)i;
		free(p);
	}
	after = rss_mib();
	CHECKF(after - before < 512, "40 malloc/free of 64 MiB left the "
	    "resident size at %ld MiB (it was %ld MiB)", after, before);
}

/*
 * Small buffers filled and freed leave their pages in the heap's free
 * runs; a buffer that needs address space from the OS then gives back as
 * many bytes of those runs first: the footprint does not carry both.
 */
static void
test_freed_runs_before_import(void)
{
	enum { N = 400000, SIZE = 100 };
	void **p = mmap(NULL, N * sizeof (void *), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long before, full, after;
	char *volatile big;
	size_t i;

	REQUIRE(p != MAP_FAILED);
	before = rss_mib();
	for (i = 0; i < N; i++) {
		p[i] = malloc(SIZE);
		REQUIRE(p[i] != NULL);
		memset(p[i], 0x11, SIZE);
	}
	full = rss_mib();
	for (i = 0; i < N; i++)
		free(p[i]);
	big = malloc((size_t)600 * MiB);         /* more than any before */
	REQUIRE(big != NULL);
	memset(big, 0x22, MiB);
	after = rss_mib();
	CHECKF(full - before >= 30, "%d buffers of %d bytes: %ld MiB "
	    "resident, %ld before", N, SIZE, full, before);
	CHECKF(after - before < (full - before) / 2, "%d buffers of %d "
	    "bytes freed (%ld MiB resident), then malloc(600 MiB): %ld MiB "
	    "resident (%ld before them)", N, SIZE, full, after, before);
	free(big);
	(void) munmap(p, N * sizeof (void *));
}

static void
test_valloc_pvalloc(void)
{
	static const size_t sizes[] = { 1, 100, 4095, 4096, 5000, 1 << 20 };
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), i;
	void *p;

	for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
		size_t rounded = (sizes[i] + pg - 1) & ~(pg - 1);

		p = valloc(sizes[i]);
		REQUIRE(p != NULL);
		CHECKF(aligned(p, pg), "valloc(%zu) = %p", sizes[i], p);
		CHECK(malloc_usable_size(p) >= sizes[i]);
		memset(p, 1, sizes[i]);
		free(p);

		p = pvalloc(sizes[i]);
		REQUIRE(p != NULL);
		CHECKF(aligned(p, pg), "pvalloc(%zu) = %p", sizes[i], p);
		CHECKF(malloc_usable_size(p) >= rounded, "pvalloc(%zu): "
		    "usable %zu < %zu", sizes[i], malloc_usable_size(p),
		    rounded);
		memset(p, 1, rounded);
		free(p);
	}
	p = pvalloc(0);
	REQUIRE(p != NULL);
	CHECKF(aligned(p, pg), "pvalloc(0) = %p", p);
	/* glibc 2.36 gives 24 usable bytes here; slabtrace a page. */
	if (check_expect_slabtrace()) {
		CHECKF(malloc_usable_size(p) >= pg, "pvalloc(0): usable %zu",
		    malloc_usable_size(p));
		memset(p, 1, pg);
	}
	free(p);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void
test_mallinfo_mallopt_trim(void)
{
	enum { N = 10240, SZ = 1024 };
	static void *v[N];
	struct mallinfo2 before, after;
	struct mallinfo old;
	int r, i;

	old = mallinfo();
	(void) old;
	before = mallinfo2();
	for (i = 0; i < N; i++) {
		v[i] = malloc(SZ);
		REQUIRE(v[i] != NULL);
		memset(v[i], i, SZ);
	}
	after = mallinfo2();
	CHECKF(after.uordblks > 0, "mallinfo2().uordblks = %zu",
	    after.uordblks);
	CHECKF(after.uordblks >= before.uordblks + 8 * MiB,
	    "after allocating 10 MiB, mallinfo2().uordblks went from %zu "
	    "to %zu only", before.uordblks, after.uordblks);
	old = mallinfo();
	CHECKF(old.uordblks > 0, "mallinfo().uordblks = %d", old.uordblks);
	for (i = 0; i < N; i++)
		free(v[i]);

	r = malloc_trim(0);
	CHECKF(r == 0 || r == 1, "malloc_trim(0) = %d", r);
	r = malloc_trim(1 << 20);
	CHECKF(r == 0 || r == 1, "malloc_trim(1 MiB) = %d", r);

	r = mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	CHECKF(r == 1, "mallopt(M_MMAP_THRESHOLD) = %d", r);
	/* glibc returns 1 for anything; slabtrace refuses what it doesn't know. */
	if (check_expect_slabtrace()) {
		r = mallopt(12345, 1);
		CHECKF(r == 0, "mallopt(12345, 1) = %d", r);
	}

	/* Still works after all that. */
	v[0] = malloc(100);
	REQUIRE(v[0] != NULL);
	free(v[0]);
}
#pragma GCC diagnostic pop

int
main(void)
{
	check_allocator_is_slabtrace();
	test_calloc_clean();
	test_malloc_zero_and_null();
	test_small_sizes();
	test_power_sizes();
	test_huge_malloc();
	test_calloc();
	test_calloc_mixed();
	test_calloc_locked();
	test_realloc();
	test_reallocarray();
	test_posix_memalign();
	test_aligned_alloc_memalign();
	test_realloc_aligned();
	test_big_free_returns();
	test_freed_runs_before_import();
	test_valloc_pvalloc();
	test_mallinfo_mallopt_trim();
	return (check_status());
}
