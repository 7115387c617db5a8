/*
 * aligned_modes: aligned allocations in every debugging mode.  Under
 * debugging the kmem_alloc_N caches up to 4 KiB are aligned to 16 only
 * (src/kmem.c, section 2: aligned as N, a tagged chunk took 2N), and a
 * request for more comes from the cache's twin aligned as N.
 *   - posix_memalign, aligned_alloc, memalign, valloc and C11's
 *     alignments 8 to 8192 for sizes 1 to 20,000: aligned, usable size
 *     at least the size, every byte writable and kept until free, with
 *     malloc'd buffers of the same sizes live alongside;
 *   - 2,000 live posix_memalign(64, 100): resident at most twice what
 *     2,000 malloc(100) take, and 1,000 KB (the twin of kmem_alloc_128
 *     serves them; without it, the next cache big enough and 64-aligned
 *     would be kmem_alloc_5120: 10 MB).
 *
 * modes: static preload 0xf lite default fw
 * timeout: 600
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum { NLIVE = 2000 };

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static size_t
unfilled(const unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return (i);
	return (n);
}

static void *
get(int how, size_t align, size_t size)
{
	void *p = NULL;

	switch (how) {
	case 0:
		if (posix_memalign(&p, align, size) != 0)
			p = NULL;
		return (p);
	case 1:
		return (aligned_alloc(align, (size + align - 1) & ~(align - 1)));
	default:
		return (memalign(align, size));
	}
}

int
main(void)
{
	static const size_t sizes[] = {
		1, 16, 24, 40, 64, 100, 128, 200, 256, 500, 512, 1000, 1024,
		2000, 2048, 3000, 4096, 5000, 8192, 20000,
	};
	static void *live[NLIVE];
	size_t align, i, at;
	long before, mid, after;
	int how;

	for (how = 0; how < 3; how++) {
		for (align = 8; align <= 8192; align *= 2) {
			for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]);
			    i++) {
				size_t size = sizes[i];
				unsigned char *p = get(how, align, size);
				unsigned char *q = malloc(size);

				REQUIRE(p != NULL && q != NULL);
				CHECKF(((uintptr_t)p & (align - 1)) == 0,
				    "way %d: %zu bytes aligned %zu: %p", how,
				    size, align, (void *)p);
				CHECKF(malloc_usable_size(p) >= size,
				    "way %d: %zu bytes aligned %zu: usable %zu",
				    how, size, align, malloc_usable_size(p));
				fill(p, size, (unsigned)(size + align));
				fill(q, size, (unsigned)size);
				at = unfilled(p, size, (unsigned)(size + align));
				CHECKF(at == size, "way %d: %zu bytes aligned "
				    "%zu: byte %zu changed", how, size, align,
				    at);
				free(q);
				free(p);
			}
		}
	}
	{
		void *p = valloc(100);

		REQUIRE(p != NULL);
		CHECK(((uintptr_t)p & 4095) == 0);
		fill(p, 100, 3);
		free(p);
	}

	/* The twin, not the next big cache, serves small aligned buffers. */
	for (i = 0; i < NLIVE; i++) {
		live[i] = malloc(100);
		REQUIRE(live[i] != NULL);
		fill(live[i], 100, 1);
	}
	for (i = 0; i < NLIVE; i++)
		free(live[i]);
	before = check_rss_kib();
	for (i = 0; i < NLIVE; i++) {
		live[i] = malloc(100);
		REQUIRE(live[i] != NULL);
		fill(live[i], 100, 1);
	}
	mid = check_rss_kib();
	for (i = 0; i < NLIVE; i++)
		free(live[i]);
	for (i = 0; i < NLIVE; i++) {
		REQUIRE(posix_memalign(&live[i], 64, 100) == 0);
		CHECK(((uintptr_t)live[i] & 63) == 0);
		fill(live[i], 100, 2);
	}
	after = check_rss_kib();
	CHECKF(after - before <= 2 * (mid - before) + 1000, "%d posix_memalign"
	    "(64, 100) live: %ld KB resident more; %d malloc(100): %ld KB",
	    NLIVE, after - before, NLIVE, mid - before);
	for (i = 0; i < NLIVE; i++) {
		CHECK(unfilled(live[i], 100, 2) == 100);
		free(live[i]);
	}
	return (check_status());
}
