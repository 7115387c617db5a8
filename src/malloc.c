/*
 * malloc.c: the malloc family over kmem, with glibc's semantics.
 *
 * 1. Fast paths.  malloc(n) for n <= KMEM_SMALL_MAX is a table load (the
 *    cache index), a TLS load (the thread), and a pop from the thread's
 *    loaded magazine of that cache.  free(p) is two page-map loads (p's
 *    slab), the slab's cache, a divisibility check that p is a buffer's
 *    start, and a push.  Everything else goes to the *_slow functions, and
 *    from there to the magazine layer's slow paths (magazine.c).
 *
 * 2. No header.  Nothing is stored before a buffer; free() finds the cache
 *    through the page map.  So malloc(256) is a kmem_alloc_256 buffer, as
 *    in the seed's story, and aligned allocations are simply buffers of a
 *    cache whose alignment is large enough (kmem.c, section 2).
 *
 * 3. glibc's edge cases.  malloc(0) returns a unique (16-byte) buffer;
 *    realloc(p, 0) frees p and returns NULL; realloc(NULL, n) is malloc(n);
 *    sizes above PTRDIFF_MAX and overflowing calloc/reallocarray fail with
 *    ENOMEM; posix_memalign returns EINVAL for an alignment that is not a
 *    power of two multiple of sizeof (void *); memalign rounds a
 *    non-power-of-two alignment up; aligned_alloc refuses one with EINVAL
 *    (glibc 2.38's rule).  malloc returns 16-byte aligned memory for
 *    sizes of 16 and more, 8-byte aligned below.
 *
 * 4. Invalid frees.  A pointer that the page map does not know, or that is
 *    inside a buffer rather than at its start, is reported on one line and
 *    the process aborts, debugging or not (st_error).  Double frees are
 *    caught without debugging too, glibc's tcache way: free() leaves a
 *    per-process random key (kmem_free_key, a non-canonical address, so no
 *    pointer) in a kmem_alloc_N buffer's second word (the first of an
 *    8-byte one, which only kmem_alloc hands out: malloc's smallest is 16
 *    bytes, so its fast path clears the second word unconditionally; the
 *    second is also less often written just before the free, where the
 *    load would wait for the store, and the slab layer's free-list link
 *    in the first word does not erase it) and malloc() clears it.
 *    A free() that finds the key already there looks for the buffer among
 *    the free ones (kmem_buf_is_free: magazines, depot, slab) and reports
 *    a double free if it is one; otherwise the program happened to store
 *    the key and the free goes on.  New slabs of up to two pages put the
 *    key in every chunk (slab.c, kmem_slab_keying: KEY_ALL), bigger ones
 *    in the chunk at their free list's head (KEY_HEAD), so that
 *    free() of a chunk never handed out (a pointer one buffer too far) is
 *    caught the same way instead of making the slab's free buffer a
 *    magazine's too.  A chunk further on, which no key marks, is past
 *    its slab's high-water mark (slab.c, section 5): free() checks that
 *    bound where it checks that buf starts a chunk, for one shift more.
 *    Cost: a load and a store per free and a store per malloc, on a line
 *    the program has usually just touched.
 *
 * 5. Debugging.  With kmem_flags or a firewall in force (kmem_debugging),
 *    the fast paths always fail (they use kmem_thread_fast, which is then
 *    the sentinel) and st_debug_alloc / st_debug_free do the work: the
 *    requested size and the allocating routine are recorded in the buffer
 *    tag (debug.c), and checked on free against the freeing routine, a
 *    sized free's size, and the bytes past the requested size.  realloc
 *    always moves the buffer (but in lite mode), so that a stale pointer
 *    to the old one is caught like any use after free.  In lite mode the
 *    exported functions leave their caller in kmem_caller and
 *    st_debug_alloc_fast / st_debug_free_fast first try debug.c's fused
 *    paths (its section 6), which cost a few dozen instructions more
 *    than the plain fast paths.
 *
 * 6. Sampling (UMEM_DEBUG=firewall,sample=N: firewall.c, section 9) is
 *    not debugging: kmem_debugging stays 0.  malloc's fast path counts
 *    down the thread's kt_sample_left (one decrement and a branch, after
 *    the magazine test, so that the shared sentinel is never written) and
 *    takes the slow path at 0, where st_sample_alloc decides, counts the
 *    slow path's own mallocs, and refills it (sampling off: it starts at
 *    0 and wraps to 2^64 - 1, so the slow path never sees it come due).
 *    A sampled buffer's pages are PM_FW in the page map, so free() finds
 *    it on its slow branch (st_free_other), malloc_usable_size reads its
 *    header, and realloc always moves it.
 *
 * 7. calloc.  A big buffer (above KMEM_MAXBUF) is cleared only where
 *    its pages may hold data: vmem knows which of a free segment's pages
 *    were never written since the OS mapped them or since a purge gave
 *    them back (vmem.c, section 5), and those read as zeros already, as
 *    glibc relies on for a fresh mmap.  Clearing them would commit every
 *    page: a Python interpreter callocs 256 KiB at start-up and touches
 *    little of it.  The part that may hold data (a freed buffer's, most
 *    often at the start of the segment, where best fit carves) is
 *    cleared, or decommitted from kmem_oversize_decommit bytes up (one
 *    system call; its pages fault in as zeros when touched: st_zero).
 *    Under debugging a big buffer has a header and patterns (firewall.c,
 *    section 6) and is cleared whole the same way; it does not start a
 *    page, so only the pages wholly inside it are decommitted, and the
 *    partial ones at its ends cleared.  A decommit that fails (locked
 *    pages) leaves them to be cleared, and vmem's segment dirty.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "slabtrace_impl.h"

#define ST_EXPORT       __attribute__((visibility("default")))
/* The word of buf that holds the free key (section 4); big: 16 bytes+ */
#define ST_FREE_KEY(buf, big)   (((uint64_t *)(buf))[(big) ? 1 : 0])
#define MALLOC_ALIGN    16

/* ------------------------------------------------------------------------
 * Internal entry points: allocate and free without errno or C semantics.
 */

/* The cache that serves malloc(size) at align; NULL: oversize. */
static inline kmem_cache_t *
st_malloc_cache(size_t size, size_t align)
{
	if (align <= MALLOC_ALIGN && size <= KMEM_SMALL_MAX)
		return (kmem_alloc_caches[malloc_size_small[(size + 7) >> 3]]);
	return (kmem_alloc_cache_for(ST_MAX(size, 1), align));
}

/*
 * Debugging, above the largest cache: a big buffer with a header and a
 * pattern (firewall.c, section 6) when freed buffers are patterned.
 * Without one (no patterns, or the firewall's address space could not be
 * reserved: under Valgrind, or a ulimit -v), a plain oversize buffer,
 * which keeps the room too, so that realloc by small steps still copies
 * a geometric series.
 */
static void *
st_debug_big(size_t size, size_t room, size_t align, st_kind_t kind)
{
	void *buf;

	if ((kmem_flags & (KMF_DEADBEEF | KMF_LITE)) &&
	    (buf = st_bigbuf_alloc(size, room, align, kind)) != NULL)
		return (buf);
	return (kmem_oversize_alloc(ST_MAX(size, room), align, KM_NOSLEEP));
}

/* Debugging: size and kind recorded; align 0 means malloc's alignment. */
static void *
st_debug_alloc(size_t size, size_t align, st_kind_t kind)
{
	kmem_cache_t *cp;
	void *buf;

	if (size > PTRDIFF_MAX)
		return (NULL);
	/* align 0: malloc's, which the firewall may relax (fwalign=). */
	if (size >= st_opts.so_firewall && (buf = st_firewall_alloc(size,
	    0, align, kind)) != NULL)
		return (buf);
	if (align == 0)
		align = size >= MALLOC_ALIGN ? MALLOC_ALIGN : KMEM_ALIGN;
	cp = st_malloc_cache(size, align);
	if (cp == NULL)
		return (st_debug_big(size, size, align, kind));
	buf = kmem_cache_alloc(cp, KM_NOSLEEP);
	if (buf != NULL)
		kmem_debug_set_size(cp, buf, size, kind);
	return (buf);
}

/*
 * Debugging: the cache and the buffer buf lies in, checked.  NULL (after
 * a report, with noabort) if buf cannot be freed or sized.
 */
static kmem_cache_t *
st_debug_cache_of(void *buf, uintptr_t pm, const char *routine)
{
	kmem_slab_t *sp = (kmem_slab_t *)pm;
	kmem_errinfo_t ei;

	if (pm == 0 && st_firewall_free_inside(buf, 0, ST_KIND_NONE, routine))
		return (NULL);  /* inside a big buffer: reported */
	if (pm != 0 && !(pm & PM_TAGS) &&
	    (sp->slab_cache->cache_cflags & KMC_PRIVATE))
		pm = 0;         /* the allocator's own memory: not a buffer */
	if (pm != 0 && !(pm & PM_TAGS) && kmem_buf_is_base(sp->slab_cache, sp,
	    (uintptr_t)buf))
		return (sp->slab_cache);
	(void) kmem_errinfo_init(&ei, KMERR_BADADDR, NULL, buf);
	ei.ei_routine = routine;
	if (pm != 0 && !(pm & PM_TAGS)) {       /* inside a buffer */
		ei.ei_error = KMERR_BADBASE;
		ei.ei_cache = ei.ei_realcache = sp->slab_cache;
		ei.ei_base = kmem_buf_base(sp->slab_cache, sp, buf);
	}
	kmem_error(&ei);
	return (NULL);
}

/*
 * Debugging: free buf, allocated by kind; size 0 if the caller did not
 * say.  The routine and size checks come first, then the cache's.
 */
static void
st_debug_free_pm(void *buf, uintptr_t pm, size_t size, st_kind_t kind,
    const char *routine)
{
	kmem_cache_t *cp;

	if (pm & PM_FW) {
		st_firewall_free(buf, size, kind, routine);
		return;
	}
	if ((pm & PM_BIG) && ((uintptr_t)buf & (ST_PAGESIZE - 1)) == 0) {
		kmem_oversize_free(buf, pm);
		return;
	}
	cp = st_debug_cache_of(buf, pm, routine);
	if (cp == NULL || ((cp->cache_flags & KMF_BUFTAG) &&
	    kmem_debug_check_free(cp, buf, size, kind, routine) != 0))
		return;
	kmem_cache_free_known(cp, buf);
}

/*
 * The debug paths, first trying lite's fused ones (debug.c, section 6),
 * which need the program's caller in kmem_caller.
 */
/* Each is one debugged operation (verify.c, section 2). */
static inline void *
st_debug_alloc_fast(size_t size, size_t align, st_kind_t kind)
{
	kmem_thread_t *kt = kmem_op_enter();
	void *buf;

	if (kmem_lite_fast && align == 0 && size <= KMEM_SMALL_MAX &&
	    kmem_caller != 0 &&
	    (buf = kmem_lite_malloc(size, kind, kmem_caller)) != NULL)
		kmem_caller = 0;
	else
		buf = st_debug_alloc(size, align, kind);
	kmem_op_exit(kt);
	KMEM_SWEEPER_POKE();
	return (buf);
}

static inline void
st_debug_free_fast(void *buf, uintptr_t pm, size_t size, st_kind_t kind,
    const char *routine)
{
	uintptr_t caller = kmem_caller;
	kmem_thread_t *kt = kmem_op_enter();

	if (kmem_lite_fast && pm != 0 && !(pm & PM_TAGS) && kmem_caller != 0 &&
	    kmem_lite_free((kmem_slab_t *)pm, buf, size, kind,
	    kmem_caller) == 0)
		kmem_caller = 0;
	else
		st_debug_free_pm(buf, pm, size, kind, routine);
	kmem_op_exit(kt);
	kmem_sweep_tick(kt, caller);
}

static void
st_debug_free(void *buf, size_t size, st_kind_t kind, const char *routine)
{
	if (buf != NULL)
		st_debug_free_fast(buf, pagemap_lookup((uintptr_t)buf), size,
		    kind, routine);
}

/* Debugging: the size buf was asked for; -1 (reported) if invalid. */
static size_t
st_debug_usable(void *buf, const char *routine)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_cache_t *cp;

	if (pm & PM_FW)
		return (st_firewall_size(buf));
	if ((pm & PM_BIG) && ((uintptr_t)buf & (ST_PAGESIZE - 1)) == 0)
		return (kmem_oversize_size(pm));
	cp = st_debug_cache_of(buf, pm, routine);
	return (cp != NULL ? kmem_debug_size(cp, buf) : (size_t)-1);
}

static void *
st_alloc_slow(size_t size, size_t align)
{
	kmem_cache_t *cp;
	void *buf;

	if (!kmem_ready)
		kmem_init_slow();
	if (ST_UNLIKELY(kmem_debugging))
		return (st_debug_alloc_fast(size, align, ST_KIND_MALLOC));
	if (ST_UNLIKELY(st_opts.so_sample != 0) &&
	    (buf = st_sample_alloc(size, align)) != NULL)
		return (buf);           /* sampled (section 6) */
	cp = st_malloc_cache(size, align);
	if (cp == NULL)
		return (kmem_oversize_alloc(size, align, KM_NOSLEEP));
	buf = kmem_cache_alloc_slow(cp, KM_NOSLEEP);
	if (buf != NULL)
		ST_FREE_KEY(buf, cp->cache_chunksize > 8) = 0;
	return (buf);
}

/*
 * The fast path (section 1) as a statement: returns from the function it
 * is written in when the thread's magazine has a round.  A macro, not a
 * function returning NULL for "go slow", so that the compiler does not
 * test a buffer it cannot know is non-NULL: malloc is this and one tail
 * call.  malloc never uses kmem_alloc_8 (kmem.c, section 1), so the free
 * key is always the second word.
 */
#define ST_ALLOC_FAST(size) do {					\
	if (ST_LIKELY((size) <= KMEM_SMALL_MAX)) {			\
		kmem_thread_t *kt_ = kmem_thread_fast;			\
		kmem_cpu_cache_t *cc_ = (kmem_cpu_cache_t *)(void *)(	\
		    (char *)kt_ + malloc_cc_off[((size) + 7) >> 3]);	\
									\
		/* Then the countdown to a sampled malloc (section 6). */ \
		if (ST_LIKELY(cc_->cc_rounds > 0) &&			\
		    ST_LIKELY(--kt_->kt_sample_left != 0)) {		\
			void *buf_ = kmem_round_pop(cc_->cc_loaded,	\
			    &cc_->cc_rounds);				\
									\
			cc_->cc_alloc++;				\
			ST_FREE_KEY(buf_, 1) = 0;  /* section 4 */	\
			return (buf_);					\
		}							\
	}								\
} while (0)

/* The rest of malloc: errno, and its caller for lite mode. */
static __attribute__((noinline)) void *
st_alloc_slow_errno(size_t size, uintptr_t caller)
{
	void *buf = NULL;

	kmem_caller = caller;
	if (ST_LIKELY(size <= PTRDIFF_MAX))
		buf = st_alloc_slow(size, 0);
	if (ST_UNLIKELY(buf == NULL))
		errno = ENOMEM;
	return (buf);
}

static inline __attribute__((always_inline)) void *
st_alloc(size_t size)
{
	ST_ALLOC_FAST(size);
	/* Inlined into the exported function: its caller, for lite mode. */
	kmem_caller = (uintptr_t)__builtin_return_address(0);
	return (st_alloc_slow(size, 0));
}

static inline __attribute__((always_inline)) void *
st_alloc_errno(size_t size)
{
	ST_ALLOC_FAST(size);
	return (st_alloc_slow_errno(size,
	    (uintptr_t)__builtin_return_address(0)));
}

/* free() of a free buffer: reported on one line. */
static void
st_free_dup(kmem_cache_t *cp, void *buf, const char *routine)
{
	kmem_errinfo_t ei;

	(void) kmem_errinfo_init(&ei, KMERR_DUPFREE, cp, buf);
	ei.ei_routine = routine;
	ei.ei_oneline = 1;
	kmem_error(&ei);
}

/*
 * free(buf) found the free key in buf (section 4): a double free if buf is
 * among the free buffers, else the program's own data; then free it.
 */
static __attribute__((noinline)) void
st_free_keyed(kmem_cache_t *cp, void *buf, const char *routine)
{
	if (kmem_buf_is_free(cp, buf))
		st_free_dup(cp, buf, routine);  /* noabort: free already */
	else
		kmem_cache_free_slow(cp, buf);
}

/* free() of a pointer inside a buffer, or inside our own memory. */
static __attribute__((noinline)) void
st_free_interior(kmem_cache_t *cp, kmem_slab_t *sp, void *buf,
    const char *routine)
{
	kmem_errinfo_t ei;

	(void) kmem_errinfo_init(&ei, KMERR_BADADDR, NULL, buf);
	ei.ei_routine = routine;
	if (!(cp->cache_cflags & KMC_PRIVATE) &&
	    (ei.ei_base = kmem_buf_base(cp, sp, buf)) != NULL) {
		ei.ei_error = KMERR_BADBASE;
		ei.ei_cache = ei.ei_realcache = cp;
		ei.ei_oneline = 1;
	} else {
		ei.ei_base = buf;
	}
	kmem_error(&ei);
}

/*
 * free() of what is not one of sp's chunks ever handed out: inside one, or
 * a chunk never handed out (slab.c, section 5), which is free: reported as
 * a free of a free buffer, as the kernel's bufctl would say.
 */
static __attribute__((noinline)) void
st_free_unhanded(kmem_cache_t *cp, kmem_slab_t *sp, void *buf,
    const char *routine)
{
	if (!kmem_buf_is_base(cp, sp, (uintptr_t)buf))
		st_free_interior(cp, sp, buf, routine);
	else if (cp->cache_cflags & KMC_PRIVATE)        /* not a buffer */
		st_error(KMERR_BADADDR, NULL, buf, routine);
	else
		st_free_dup(cp, buf, routine);
}

/* free() of a buffer of a cache other than kmem_alloc_N's. */
static __attribute__((noinline)) void
st_free_nonalloc(kmem_cache_t *cp, void *buf, const char *routine)
{
	if (cp->cache_cflags & KMC_PRIVATE)     /* not a buffer */
		st_error(KMERR_BADADDR, NULL, buf, routine);
	else
		kmem_cache_free(cp, buf);       /* a user cache's */
}

/* The free of something the page map maps to no slab. */
static __attribute__((noinline)) void
st_free_other(void *buf, uintptr_t pm, const char *routine, uintptr_t caller)
{
	kmem_caller = caller;           /* for lite mode */
	if (buf == NULL)
		return;
	if (kmem_debugging) {
		st_debug_free_fast(buf, pm, 0, ST_KIND_MALLOC, routine);
		return;
	}
	if (pm & PM_FW) {               /* a sampled buffer (section 6) */
		st_firewall_free(buf, 0, ST_KIND_MALLOC, routine);
		return;
	}
	if ((pm & PM_BIG) && ((uintptr_t)buf & (ST_PAGESIZE - 1)) == 0) {
		kmem_oversize_free(buf, pm);
		return;
	}
	st_error(KMERR_BADADDR, NULL, buf, routine);
}

static inline __attribute__((always_inline)) void
st_free(void *buf, const char *routine)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_slab_t *sp = (kmem_slab_t *)pm;
	kmem_cache_t *cp;
	kmem_cpu_cache_t *cc;
	uint64_t *key;

	/* The calls below are the cold paths, out of line (calls, not jumps:
	   the build keeps each entry point's frame for the stacks). */
	if (ST_UNLIKELY(pm == 0 || (pm & PM_TAGS) || kmem_debugging)) {
		st_free_other(buf, pm, routine,
		    (uintptr_t)__builtin_return_address(0));
		return;
	}
	cp = sp->slab_cache;
	if (ST_UNLIKELY(!kmem_buf_is_handed(cp, sp, (uintptr_t)buf))) {
		st_free_unhanded(cp, sp, buf, routine);
		return;
	}
	if (ST_UNLIKELY(cp->cache_cc_off == 0)) {   /* not kmem_alloc_N */
		st_free_nonalloc(cp, buf, routine);
		return;
	}
	cc = (kmem_cpu_cache_t *)(void *)((char *)kmem_thread_fast +
	    cp->cache_cc_off);
	key = (uint64_t *)(void *)((char *)buf + cp->cache_keyoff);
	if (ST_UNLIKELY(*key == kmem_free_key)) {
		st_free_keyed(cp, buf, routine);
		return;
	}
	*key = kmem_free_key;
	if (ST_LIKELY((uint32_t)cc->cc_rounds < (uint32_t)cc->cc_magsize)) {
		cc->cc_free++;
		kmem_round_push(cc->cc_loaded, &cc->cc_rounds, buf);
		return;
	}
	kmem_cache_free_slow(cp, buf);
}

/* Usable size of a buffer; 0 for NULL; invalid pointers are fatal. */
static size_t
st_usable(void *buf, const char *routine)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_slab_t *sp = (kmem_slab_t *)pm;

	if (buf == NULL)
		return (0);
	if (kmem_debugging) {
		size_t n = st_debug_usable(buf, routine);

		return (n == (size_t)-1 ? 0 : n);
	}
	if (pm & PM_FW) {               /* a sampled buffer (section 6) */
		size_t n = st_firewall_size(buf);

		return (n == (size_t)-1 ? 0 : n);
	}
	if (pm & PM_BIG) {
		if (((uintptr_t)buf & (ST_PAGESIZE - 1)) == 0)
			return (kmem_oversize_size(pm));
	} else if (pm != 0) {
		kmem_cache_t *cp = sp->slab_cache;

		if (kmem_buf_is_base(cp, sp, (uintptr_t)buf) &&
		    !(cp->cache_cflags & KMC_PRIVATE))
			return (cp->cache_bufsize);
		st_free_interior(cp, sp, buf, routine);	/* as free() says */
		return (0);
	}
	st_error(KMERR_BADADDR, NULL, buf, routine);
	return (0);
}

static void *
st_memalign(size_t align, size_t size)
{
	void *buf;

	/* Sizes of 16 and more are 16-aligned already. */
	if (align <= MALLOC_ALIGN)
		return (st_alloc_errno(ST_MAX(size, align)));
	if (size > PTRDIFF_MAX || align > (1UL << 40)) {
		errno = ENOMEM;
		return (NULL);
	}
	/* A cache aligned to align has chunks that are multiples of it. */
	if (kmem_debugging)
		buf = st_debug_alloc_fast(size, align, ST_KIND_MALLOC);
	else
		buf = st_alloc_slow(ST_P2ROUNDUP(ST_MAX(size, 1), align),
		    align);
	if (buf == NULL)
		errno = ENOMEM;
	return (buf);
}

/* ------------------------------------------------------------------------
 * The C interface.
 */

ST_EXPORT void *
malloc(size_t size)
{
	return (st_alloc_errno(size));
}

ST_EXPORT void
free(void *buf)
{
	st_free(buf, "free");
}

/*
 * Zero [p, p + n) for calloc (section 7): from kmem_oversize_decommit
 * bytes up, the pages wholly inside it are decommitted and only the
 * partial pages at its ends cleared (a debugged or firewall buffer does
 * not start a page; decommitting from an unaligned address failed, and
 * calloc returned the uninitialised pattern); a failed decommit (locked
 * pages) clears them too.
 */
static void
st_zero(char *p, size_t n)
{
	char *lo = (char *)ST_P2ROUNDUP((uintptr_t)p, ST_PAGESIZE);
	char *hi = (char *)ST_P2ALIGN((uintptr_t)p + n, ST_PAGESIZE);

	if (n < kmem_oversize_decommit || hi <= lo ||
	    st_os_decommit(lo, (size_t)(hi - lo)) != 0) {
		memset(p, 0, n);
		return;
	}
	memset(p, 0, (size_t)(lo - p));
	memset(hi, 0, (size_t)(p + n - hi));
}

ST_EXPORT void *
calloc(size_t nmemb, size_t size)
{
	uintptr_t dirty[2];
	size_t total;
	char *buf;

	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return (NULL);
	}
	if (total <= KMEM_MAXBUF || total > PTRDIFF_MAX || !kmem_ready ||
	    kmem_debugging) {
		buf = st_alloc_errno(total);
		if (buf != NULL)
			st_zero(buf, total);
		return (buf);
	}
	/* Only its pages that may hold data are cleared (7.). */
	buf = kmem_oversize_alloc_dirty(total, 0, KM_NOSLEEP, dirty);
	if (buf == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	dirty[1] = ST_MIN(dirty[1], (uintptr_t)buf + total);
	if (dirty[0] < dirty[1])
		st_zero((char *)dirty[0], dirty[1] - dirty[0]);
	st_wipe(dirty);
	return (buf);
}

/* Can a buffer of usable size `have` serve `size` without moving? */
static int
st_realloc_fits(size_t have, size_t size)
{
	return (size <= have && (size > have / 2 || have <= 64));
}

/*
 * An oversize (page-level) buffer of usable size `have`: kept if `size`
 * fits, else extended in place when the pages after it are free.  NULL if
 * it must move.
 */
static void *
st_realloc_big(void *buf, size_t have, size_t size)
{
	if (st_realloc_fits(have, size))
		return (buf);
	if (have > KMEM_MAXBUF && size > have && size <= PTRDIFF_MAX &&
	    vmem_extend_try(kmem_oversize_arena, buf, have,
	    ST_P2ROUNDUP(size, ST_PAGESIZE)) != NULL) {
		(void) pagemap_set((uintptr_t)buf, ST_PAGESIZE, PM_BIG |
		    (ST_P2ROUNDUP(size, ST_PAGESIZE) >> ST_PAGESHIFT) <<
		    PM_SHIFT);
		return (buf);
	}
	return (NULL);
}

/*
 * Debugging.  A debugged buffer always moves (as in libumem, Valgrind and
 * ASan), so that a stale pointer to the old one finds freed, patterned
 * memory -- except in lite mode, whose point is speed: there a buffer
 * that still fits its chunk is resized in place (the slack past the old
 * size is checked, the new size encoded).  Oversize buffers carry no tag
 * and are resized as without debugging, or growth by small steps would
 * copy quadratically; for the same reason a guarded buffer that has
 * moved once grows into the room left after it (firewall.c, section 2).
 */
static void *
st_debug_realloc_op(void *buf, size_t size)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_slab_t *sp = (kmem_slab_t *)pm;
	kmem_cache_t *cp;
	uintptr_t caller = kmem_caller;    /* realloc's, for lite */
	size_t have;
	void *nbuf;

	kmem_caller = 0;

	if ((pm & PM_BIG) && ((uintptr_t)buf & (ST_PAGESIZE - 1)) == 0 &&
	    !(pm & PM_FW) && (nbuf = st_realloc_big(buf,
	    kmem_oversize_size(pm), size)) != NULL)
		return (nbuf);
	if ((pm & PM_FW) && (nbuf = st_firewall_resize(buf, size)) != NULL)
		return (nbuf);
	if (pm != 0 && !(pm & PM_TAGS) &&
	    ((cp = sp->slab_cache)->cache_flags & KMF_LITE) &&
	    kmem_buf_is_base(cp, sp, (uintptr_t)buf) &&
	    st_realloc_fits(cp->cache_bufsize, size) &&
	    kmem_debug_check_free(cp, buf, 0, ST_KIND_MALLOC, "realloc") == 0) {
		kmem_debug_unclaim(cp, buf);    /* resized, not freed */
		kmem_debug_set_size(cp, buf, size, ST_KIND_MALLOC);
		return (buf);
	}
	have = st_debug_usable(buf, "realloc");
	if (have == (size_t)-1)
		return (NULL);
	kmem_caller = caller;
	/*
	 * A big one moves with room to grow in place, a guarded one with
	 * room after its guard (firewall.c, sections 6 and 2).
	 */
	nbuf = NULL;
	if (size > KMEM_MAXBUF && size < st_opts.so_firewall &&
	    size <= PTRDIFF_MAX)
		nbuf = st_debug_big(size, size + size / 4, 0, ST_KIND_MALLOC);
	else if (size >= st_opts.so_firewall && size <= PTRDIFF_MAX)
		nbuf = st_firewall_alloc(size, size / 4, 0, ST_KIND_MALLOC);
	if (nbuf == NULL)
		nbuf = st_debug_alloc_fast(size, 0, ST_KIND_MALLOC);
	if (nbuf == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	memcpy(nbuf, buf, ST_MIN(have, size));
	kmem_caller = caller;
	st_debug_free(buf, 0, ST_KIND_MALLOC, "realloc");
	return (nbuf);
}

/* One operation: the old buffer's checks, the new one, the copy. */
static void *
st_debug_realloc(void *buf, size_t size)
{
	kmem_thread_t *kt = kmem_op_enter();
	void *nbuf = st_debug_realloc_op(buf, size);

	kmem_op_exit(kt);
	return (nbuf);
}

ST_EXPORT void *
realloc(void *buf, size_t size)
{
	size_t have;
	void *nbuf;

	if (buf == NULL)
		return (st_alloc_errno(size));
	if (size == 0) {
		st_free(buf, "realloc");
		return (NULL);
	}
	if (kmem_debugging) {
		kmem_caller = (uintptr_t)__builtin_return_address(0);
		return (st_debug_realloc(buf, size));
	}
	have = st_usable(buf, "realloc");
	if (have > KMEM_MAXBUF && (nbuf = st_realloc_big(buf, have,
	    size)) != NULL)
		return (nbuf);
	/* A sampled buffer moves, so that the old pointer faults. */
	if (st_realloc_fits(have, size) && !(ST_UNLIKELY(st_opts.so_sample !=
	    0) && (pagemap_lookup((uintptr_t)buf) & PM_FW)))
		return (buf);
	/*
	 * A big buffer that moves takes a quarter more pages than asked, so
	 * that growth by small steps copies a geometric series, not once a
	 * page (as debugging does, st_debug_realloc_op).  The room is
	 * address space until the program writes to it; without it, the
	 * size asked (a huge request may fit where a quarter more does not).
	 */
	nbuf = NULL;
	if (size > KMEM_MAXBUF && size > have && size <= (SIZE_MAX >> 1))
		nbuf = st_alloc_errno(size + size / 4);
	if (nbuf == NULL)
		nbuf = st_alloc_errno(size);
	if (nbuf == NULL)
		return (NULL);
	memcpy(nbuf, buf, ST_MIN(have, size));
	st_free(buf, "realloc");
	return (nbuf);
}

ST_EXPORT void *
reallocarray(void *buf, size_t nmemb, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return (NULL);
	}
	return (realloc(buf, total));
}

ST_EXPORT void *
memalign(size_t align, size_t size)
{
	if (align > (SIZE_MAX >> 1) + 1) {
		errno = EINVAL;
		return (NULL);
	}
	if (!ST_ISP2(align)) {          /* glibc rounds up */
		size_t a = MALLOC_ALIGN * 2;

		while (a < align)
			a <<= 1;
		align = a;
	}
	return (st_memalign(align, size));
}

ST_EXPORT int
posix_memalign(void **bufp, size_t align, size_t size)
{
	void *buf;
	int saved = errno;

	if (align < sizeof (void *) || !ST_ISP2(align))
		return (EINVAL);
	buf = st_memalign(align, size);
	if (buf == NULL) {
		errno = saved;
		return (ENOMEM);
	}
	*bufp = buf;
	return (0);
}

ST_EXPORT void *
aligned_alloc(size_t align, size_t size)
{
	if (align == 0 || !ST_ISP2(align)) {
		errno = EINVAL;
		return (NULL);
	}
	return (st_memalign(align, size));
}

ST_EXPORT void *
valloc(size_t size)
{
	return (st_memalign(ST_PAGESIZE, size));
}

ST_EXPORT void *
pvalloc(size_t size)
{
	if (size > PTRDIFF_MAX) {
		errno = ENOMEM;
		return (NULL);
	}
	return (st_memalign(ST_PAGESIZE, ST_P2ROUNDUP(ST_MAX(size, 1),
	    ST_PAGESIZE)));
}

ST_EXPORT size_t
malloc_usable_size(void *buf)
{
	return (st_usable(buf, "malloc_usable_size"));
}

ST_EXPORT void
free_sized(void *buf, size_t size)
{
	if (kmem_debugging)
		st_debug_free(buf, size != 0 ? size : 1, ST_KIND_MALLOC,
		    "free_sized");
	else
		st_free(buf, "free_sized");
}

ST_EXPORT void
free_aligned_sized(void *buf, size_t align, size_t size)
{
	(void) align;
	if (kmem_debugging)
		st_debug_free(buf, size != 0 ? size : 1, ST_KIND_MALLOC,
		    "free_aligned_sized");
	else
		st_free(buf, "free_aligned_sized");
}

ST_EXPORT void
cfree(void *buf)
{
	st_free(buf, "cfree");
}

/* ------------------------------------------------------------------------
 * glibc's introspection and tuning calls.
 */

ST_EXPORT int
malloc_trim(size_t pad)
{
	(void) pad;
	return (kmem_reap_now() != 0);
}

typedef struct st_meminfo {
	uint64_t mi_system;     /* bytes obtained from the OS */
	uint64_t mi_inuse;      /* bytes in allocated buffers */
	uint64_t mi_oversize;   /* bytes in oversize allocations */
	uint64_t mi_oversize_n; /* oversize allocations */
} st_meminfo_t;

static int
st_meminfo_add(const kmem_cache_stat_t *ks, void *arg)
{
	st_meminfo_t *mi = arg;

	mi->mi_inuse += ks->kcs_buf_inuse * ks->kcs_bufsize;
	return (0);
}

static void
st_meminfo(st_meminfo_t *mi)
{
	memset(mi, 0, sizeof (*mi));
	if (!kmem_ready)
		return;
	(void) kmem_cache_walk(st_meminfo_add, mi);
	mi->mi_system = heap_arena->vm_kstat.vk_mem_total;
	mi->mi_oversize = kmem_oversize_arena->vm_kstat.vk_mem_inuse;
	mi->mi_oversize_n = kmem_oversize_arena->vm_kstat.vk_alloc -
	    kmem_oversize_arena->vm_kstat.vk_free;
	mi->mi_inuse += mi->mi_oversize;
}

ST_EXPORT struct mallinfo2
mallinfo2(void)
{
	struct mallinfo2 m;
	st_meminfo_t mi;

	st_meminfo(&mi);
	memset(&m, 0, sizeof (m));
	m.arena = mi.mi_system - mi.mi_oversize;
	m.hblks = mi.mi_oversize_n;
	m.hblkhd = mi.mi_oversize;
	m.uordblks = mi.mi_inuse - mi.mi_oversize;
	m.fordblks = mi.mi_system > mi.mi_inuse ? mi.mi_system - mi.mi_inuse :
	    0;
	return (m);
}

ST_EXPORT struct mallinfo
mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo m;

	memset(&m, 0, sizeof (m));
	m.arena = (int)m2.arena;
	m.hblks = (int)m2.hblks;
	m.hblkhd = (int)m2.hblkhd;
	m.uordblks = (int)m2.uordblks;
	m.fordblks = (int)m2.fordblks;
	return (m);
}

ST_EXPORT int
mallopt(int param, int value)
{
	(void) value;
	/* glibc's parameters are accepted; none applies to a slab allocator */
	switch (param) {
	case M_MXFAST: case M_TRIM_THRESHOLD: case M_TOP_PAD:
	case M_MMAP_THRESHOLD: case M_MMAP_MAX: case M_CHECK_ACTION:
	case M_PERTURB: case M_ARENA_TEST: case M_ARENA_MAX:
		return (1);
	default:
		return (0);
	}
}

ST_EXPORT void
malloc_stats(void)
{
	st_meminfo_t mi;

	st_meminfo(&mi);
	st_printf(2, "Arena 0:\nsystem bytes     = %10lu\n"
	    "in use bytes     = %10lu\nTotal (incl. mmap):\n"
	    "system bytes     = %10lu\nin use bytes     = %10lu\n"
	    "max mmap regions = %10lu\nmax mmap bytes   = %10lu\n",
	    mi.mi_system - mi.mi_oversize, mi.mi_inuse - mi.mi_oversize,
	    mi.mi_system, mi.mi_inuse, mi.mi_oversize_n, mi.mi_oversize);
}

static int
st_info_cache(const kmem_cache_stat_t *ks, void *arg)
{
	FILE *fp = arg;

	if (ks->kcs_buf_total != 0)
		fprintf(fp, "<cache name=\"%s\" size=\"%lu\" inuse=\"%lu\" "
		    "total=\"%lu\" alloc=\"%lu\"/>\n", ks->kcs_name,
		    (unsigned long)ks->kcs_bufsize,
		    (unsigned long)ks->kcs_buf_inuse,
		    (unsigned long)ks->kcs_buf_total,
		    (unsigned long)ks->kcs_alloc);
	return (0);
}

/* Called by the program, outside the allocator: stdio may allocate here. */
ST_EXPORT int
malloc_info(int options, FILE *fp)
{
	st_meminfo_t mi;

	if (options != 0) {
		errno = EINVAL;
		return (-1);
	}
	st_meminfo(&mi);
	fprintf(fp, "<malloc version=\"slabtrace-%d.%d\">\n",
	    ST_VERSION_MAJOR, ST_VERSION_MINOR);
	(void) kmem_cache_walk(st_info_cache, fp);
	fprintf(fp, "<system type=\"current\" size=\"%lu\"/>\n"
	    "<inuse size=\"%lu\"/>\n</malloc>\n", (unsigned long)mi.mi_system,
	    (unsigned long)mi.mi_inuse);
	return (0);
}

/* glibc's internal names, for programs that call them directly. */
ST_EXPORT void *__libc_malloc(size_t size);
ST_EXPORT void __libc_free(void *buf);
ST_EXPORT void *__libc_calloc(size_t nmemb, size_t size);
ST_EXPORT void *__libc_realloc(void *buf, size_t size);
ST_EXPORT void *__libc_memalign(size_t align, size_t size);
ST_EXPORT void *__libc_valloc(size_t size);
ST_EXPORT void *__libc_pvalloc(size_t size);

void *__libc_malloc(size_t size) { return (malloc(size)); }
void __libc_free(void *buf) { free(buf); }
void *__libc_calloc(size_t n, size_t size) { return (calloc(n, size)); }
void *__libc_realloc(void *buf, size_t size) { return (realloc(buf, size)); }
void *__libc_memalign(size_t a, size_t size) { return (memalign(a, size)); }
void *__libc_valloc(size_t size) { return (valloc(size)); }
void *__libc_pvalloc(size_t size) { return (pvalloc(size)); }

/* ------------------------------------------------------------------------
 * For new.c: the same paths with C++'s needs.
 */

void *
st_malloc_internal(size_t size, size_t align, st_kind_t kind)
{
	if (ST_UNLIKELY(kmem_debugging)) {
		if (!kmem_ready)
			kmem_init_slow();
		return (st_debug_alloc_fast(size, align, kind));
	}
	if (align == 0)
		return (size <= PTRDIFF_MAX ? st_alloc(size) : NULL);
	return (st_memalign(align, size));
}

/* size 0: not given (delete without size). */
void
st_free_internal(void *buf, size_t size, st_kind_t kind, const char *routine)
{
	if (ST_UNLIKELY(kmem_debugging))
		st_debug_free(buf, size, kind, routine);
	else
		st_free(buf, routine);
}
