/*
 * kmem.c: the general-purpose allocator over the kmem_alloc_N caches, and
 * the allocator's start-up, periodic work and fork handling.
 *
 * 1. Sizes.  kmem_alloc(size) takes a buffer from the smallest kmem_alloc_N
 *    cache that fits; N runs through the kernel's table (8 ... 4096 in
 *    steps that waste at most 1/8 on average, then 8192 ... 131072), with
 *    1 KiB steps added from 3 to 14 KiB: the kernel's jump from 4096 to
 *    8192 wasted 3.9 KiB of every 4.2 KiB buffer, sqlite's page cache's
 *    size.  Two byte-sized lookup tables give the cache index in one load:
 *    kmem_size_small[(size + 7) >> 3] up to 4096, kmem_size_big[(size - 1)
 *    >> KMEM_BIG_SHIFT] above.  malloc (malloc.c) uses its own small table that skips
 *    the 24, 40 and 56 byte caches, because glibc promises 16-byte
 *    alignment from malloc and those chunks are only 8-byte aligned, and
 *    the 8-byte one, so that every malloc buffer has the second word its
 *    free key needs (malloc.c, section 4; glibc's smallest is 24 bytes).
 *    malloc_cc_off gives, for the same index, the byte offset of the
 *    cache's kt_cc[] slot in the thread: the fast path's one table load.
 *
 * 2. Alignment.  A kmem_alloc_N cache is aligned to the largest power of two
 *    dividing N (at most a page), so that aligned requests (memalign) are
 *    served by walking up the table to the first cache that is both large
 *    and aligned enough (kmem_alloc_cache_for).
 *    Under debugging a chunk is N and a tag (24 bytes): aligned as N, it
 *    took 2N (kmem_alloc_64 a 128-byte chunk, kmem_alloc_640 768).  So a
 *    kmem_alloc_N cache of at most kmem_debug_align_maxbuf bytes is made
 *    KMC_TIGHT: debugging aligns its chunks to malloc's 16 with a gap of
 *    KMEM_GAP_MIN after the tag, where that is smaller (112 and 688
 *    bytes; debug.c, kmem_cache_debug_layout), and an aligned request
 *    that needs more gets the same size from the cache's twin, aligned as
 *    N, made on first use (kmem_alloc_twin[]: "kmem_alloc_N_aligned").
 *    The bigger caches keep their alignment: 16-byte chunks of 32 KiB and
 *    more made slabs of 8 chunks (the layout minimises waste per chunk),
 *    790 KiB for python3's one buffer of 96 KiB; and kmem_alloc_4096's
 *    4 KiB gaps catch writes 2000 bytes past a page-sized buffer
 *    (tests/wrong/gap_overrun's far, farunder), which tight chunks would
 *    put in the neighbour.  Under KMEM_FLAGS=0xf peak RSS fell by 9-13%
 *    on bench/larson, 10% on threads-4, 5% on python3 with
 *    PYTHONMALLOC=malloc, and did not rise elsewhere.
 *
 * 3. Oversize.  Requests above KMEM_MAXBUF go to kmem_oversize_arena; the
 *    page map records their size in the entry of their first page
 *    (PM_BIG), which is how free() and malloc_usable_size() find it.  Freed
 *    oversize memory stays committed, so that the next big buffer reuses
 *    its pages instead of faulting in fresh ones (a program that allocates,
 *    fills and frees 5-25 MiB buffers spent 93% of its time in page faults
 *    when every free gave its pages back: 97 s against glibc's 7 s).  How
 *    much stays is bounded: vmem counts the bytes of free segments that may
 *    hold pages (vm_dirty, vmem.c section 5), and past kmem_oversize_retain
 *    bytes or half the oversize memory in use, whichever is more, a free
 *    decommits the arena's dirty free segments at once; and before the
 *    heap takes more address space from the OS, as many bytes of them go
 *    back as it takes (kmem_os_alloc), so that a program done with its big
 *    buffers does not keep their pages while its small ones grow.  Allocations take
 *    the best fit, which is more often freed memory than fresh space.
 *    The periodic reap purges them too, so freed memory goes back to the
 *    OS within kmem_reap_interval_ns of a program going quiet.  The arena
 *    imports kmem_oversize_import bytes at a time and keeps its free spans
 *    (VMC_RETAIN) until a reap, so that neighbouring buffers' free space
 *    merges and a bigger buffer fits where two smaller ones were.  calloc
 *    clears a big buffer only if its pages may hold data, and decommits
 *    a huge one rather than clearing it (malloc.c, section 7).
 *
 * 4. Arenas.  heap_arena imports from the OS in chunks of at least
 *    kmem_heap_import bytes and retains entirely free spans until a reap
 *    (VMC_RETAIN) so that a program that frees and reallocates does not pay
 *    for mmap/munmap each time.  Its free runs keep their pages until then,
 *    unless it imports: an import that the runs could not satisfy first
 *    decommits as many of their bytes as it maps (kmem_os_alloc), so that
 *    the footprint does not grow by both (python3 under KMEM_FLAGS=0xf:
 *    up to 37 MB of such runs at a peak; peak RSS 186 -> 182.5 MB).
 *    kmem_default_arena (slabs of every cache,
 *    with quantum caches for slabs up to 8 pages), kmem_internal_arena
 *    (slabs of the allocator's own caches), kmem_cache_arena (cache
 *    structures, 64-byte quantum) and kmem_oversize_arena import from it.
 *
 * 5. Start-up.  The first allocation in the process (which may come before
 *    any constructor has run, from the dynamic linker or libc) calls
 *    kmem_init_slow(): arenas, the allocator's internal caches, the
 *    magazine caches, the kmem_alloc_N caches; then, marked ready, it
 *    registers the thread-exit key and the fork handlers (which may
 *    allocate; by then they can).  Nothing in the sequence calls malloc.
 *
 * 6. Periodic work.  There is no background thread: the depot calls
 *    kmem_periodic() every kmem_depot_window depot operations, and every
 *    kmem_reap_interval_ns it updates the working sets, reaps what they did
 *    not need, gives entirely free spans back to the OS and decommits the
 *    heap's free runs.  malloc_trim() and kmem_reap() reap everything at
 *    once, the calling thread's own magazines included (other threads'
 *    magazines are theirs alone).
 *
 * 7. fork.  The prepare handler takes every lock in the lock order (slab.c,
 *    section 7): the firewall's, the periodic lock, the cache list, the
 *    thread list, every
 *    cache's depot and slab locks, and every arena's lock; the
 *    parent releases them and the child re-initialises them, so the child
 *    can allocate whatever the other threads were doing.
 */
#include <string.h>

#include "slabtrace_impl.h"

/* Tunables. */
uint64_t kmem_debug_align_maxbuf = 2048; /* debugged caches this small:
                                            16-aligned (section 2) */
uint64_t kmem_reap_interval_ns = 5000000000ULL; /* between periodic reaps */
uint64_t kmem_heap_import = 4UL << 20;  /* smallest import from the OS */
uint64_t kmem_oversize_decommit = 4UL << 20; /* calloc: decommit, not clear */
uint64_t kmem_oversize_retain = 64UL << 20; /* freed big memory kept, at least */
uint64_t kmem_oversize_import = 256UL << 20; /* oversize arena's imports */
uint64_t kmem_oversize_retain_div = 2;  /* ... or in use / this, if more */
uint64_t kmem_reap_decommit = 64UL << 10; /* reaps decommit free runs this big */
uint32_t kmem_sleep_retries = 10;       /* KM_SLEEP: reap and retry */
uint64_t kmem_os_alloc_check = 1UL << 30; /* imports this big: fit? */

volatile int kmem_ready;
uint64_t kmem_free_key;                 /* malloc.c, section 4 */
st_root_t st_root;
kmem_cache_t *kmem_alloc_caches[KMEM_NCACHE_ALLOC];
static kmem_cache_t *kmem_alloc_twin[KMEM_NCACHE_ALLOC]; /* section 2 */

/* The kernel's kmem_alloc sizes (kmem_alloc_sizes, kmem_big_alloc_sizes). */
static const uint32_t kmem_alloc_sizes[] = {
	1 * 8,  2 * 8,  3 * 8,  4 * 8,  5 * 8,  6 * 8,  7 * 8,
	4 * 16, 5 * 16, 6 * 16, 7 * 16,
	4 * 32, 5 * 32, 6 * 32, 7 * 32,
	4 * 64, 5 * 64, 6 * 64, 7 * 64,
	4 * 128, 5 * 128, 6 * 128, 7 * 128,
	ST_P2ALIGN(8192 / 7, 64), ST_P2ALIGN(8192 / 6, 64),
	ST_P2ALIGN(8192 / 5, 64), ST_P2ALIGN(8192 / 4, 64),
	ST_P2ALIGN(8192 / 3, 64), 3 * 1024, ST_P2ALIGN(8192 / 2, 64),
	5 * 1024, 6 * 1024, 7 * 1024, 8 * 1024, 10 * 1024, 12 * 1024,
	14 * 1024, 2 * 8192, 3 * 8192, 4 * 8192, 5 * 8192, 6 * 8192, 7 * 8192,
	8 * 8192, 9 * 8192, 10 * 8192, 11 * 8192, 12 * 8192, 13 * 8192,
	14 * 8192, 15 * 8192, 16 * 8192,
};
#define KMEM_NALLOC     (sizeof (kmem_alloc_sizes) / sizeof (uint32_t))

uint8_t kmem_size_small[KMEM_SMALL_MAX / 8 + 1];
uint8_t kmem_size_big[KMEM_MAXBUF >> KMEM_BIG_SHIFT];
uint8_t malloc_size_small[KMEM_SMALL_MAX / 8 + 1];
uint16_t malloc_cc_off[KMEM_SMALL_MAX / 8 + 1];

static st_lock_t kmem_init_lock = ST_LOCK_INITIALIZER;
static st_lock_t kmem_periodic_lock = ST_LOCK_INITIALIZER;
static uint64_t kmem_periodic_last;

/* ------------------------------------------------------------------------
 * Start-up.
 */

static void *
kmem_os_alloc(vmem_t *source, size_t size, int vmflag)
{
	(void) source;
	(void) vmflag;
	/*
	 * More than memory and swap could ever hold fails, as glibc's
	 * mmap does under the kernel's overcommit heuristic: our mappings
	 * are MAP_NORESERVE, which the heuristic would let through, and a
	 * program's "p = realloc(p, huge)" must see its NULL.
	 */
	if (size > kmem_os_alloc_check && size > st_os_memory_total())
		return (NULL);
	/*
	 * The footprint grows: first as many bytes of freed big buffers'
	 * committed pages go back to the OS (section 3), then as many of
	 * the heap's own dirty free runs (section 4).  vm_lock is not held
	 * here (vmem drops it around an import).
	 */
	if (kmem_oversize_arena != NULL && __atomic_load_n(
	    &kmem_oversize_arena->vm_dirty, __ATOMIC_RELAXED) != 0)
		(void) vmem_decommit_free(kmem_oversize_arena, ST_PAGESIZE,
		    size);
	if (heap_arena != NULL && __atomic_load_n(&heap_arena->vm_dirty,
	    __ATOMIC_RELAXED) != 0)
		(void) vmem_decommit_free(heap_arena, kmem_reap_decommit,
		    size);
	return (st_os_map(size, 2UL << 20));
}

static void
kmem_os_free(vmem_t *source, void *addr, size_t size)
{
	(void) source;
	st_os_unmap(addr, size);
}

static vmem_t *
kmem_arena(const char *name, size_t quantum, vmem_t *source,
    size_t qcache_max, int vmflag)
{
	vmem_t *vmp;

	if (source == NULL)
		vmp = vmem_create(name, NULL, 0, quantum, kmem_os_alloc,
		    kmem_os_free, NULL, qcache_max, vmflag);
	else
		vmp = vmem_create(name, NULL, 0, quantum, vmem_alloc,
		    vmem_free, source, qcache_max, vmflag);
	if (vmp == NULL)
		st_panic("cannot create arena %s", name);
	return (vmp);
}

static void
kmem_arenas_create(void)
{
	vmem_init();
	heap_arena = kmem_arena("heap", ST_PAGESIZE, NULL, 0,
	    VM_SLEEP | VMC_RETAIN);
	heap_arena->vm_min_import = kmem_heap_import;
	kmem_internal_arena = kmem_arena("kmem_internal", ST_PAGESIZE,
	    heap_arena, 0, VM_SLEEP);
	/* Audit bufctls come and go by the page: import less often. */
	kmem_internal_arena->vm_min_import = 64 * 1024;
	kmem_cache_arena = kmem_arena("kmem_cache", 64, heap_arena, 0,
	    VM_SLEEP);
	kmem_cache_arena->vm_min_import = 64 * 1024;
	kmem_default_arena = kmem_arena("kmem_default", ST_PAGESIZE,
	    heap_arena, 8 * ST_PAGESIZE, VM_SLEEP);
	kmem_oversize_arena = kmem_arena("kmem_oversize", ST_PAGESIZE,
	    heap_arena, 0, VM_SLEEP | VMC_RETAIN);
	kmem_oversize_arena->vm_min_import = kmem_oversize_import;
}

/* Fill a size table: entry i serves sizes up to i << shift. */
static void
kmem_size_table(uint8_t *table, size_t n, unsigned shift, size_t first,
    int skip_unaligned)
{
	size_t i, c = 0;

	for (i = first; i < n; i++) {
		size_t size = ST_MAX(i << shift, 1);

		while (kmem_alloc_sizes[c] < size || (skip_unaligned &&
		    kmem_alloc_sizes[c] > 8 && kmem_alloc_sizes[c] % 16 != 0))
			c++;
		table[i] = (uint8_t)c;
	}
}

/* A kmem_alloc_N cache's own alignment (section 2). */
static size_t
kmem_alloc_align(uint32_t size)
{
	return (ST_MIN((size_t)(size & -size), ST_PAGESIZE));
}

static void
kmem_alloc_caches_create(void)
{
	size_t i;
	char name[KMEM_CACHE_NAMELEN];

	for (i = 0; i < KMEM_NALLOC; i++) {
		uint32_t size = kmem_alloc_sizes[i];

		st_snprintf(name, sizeof (name), "kmem_alloc_%u", size);
		kmem_alloc_caches[i] = kmem_cache_create_internal(name, size,
		    kmem_alloc_align(size), NULL, NULL, NULL, NULL,
		    kmem_default_arena, size <= kmem_debug_align_maxbuf ?
		    KMC_TIGHT : 0, (int)i);
		if (kmem_alloc_caches[i] == NULL)
			st_panic("cannot create %s", name);
	}
	kmem_size_table(kmem_size_small, KMEM_SMALL_MAX / 8 + 1, 3, 0, 0);
	kmem_size_table(malloc_size_small, KMEM_SMALL_MAX / 8 + 1, 3, 0, 1);
	/* malloc(0..8) takes 16 bytes: the free key's word (section 1). */
	malloc_size_small[0] = malloc_size_small[1] = malloc_size_small[2];
	for (i = 0; i < KMEM_SMALL_MAX / 8 + 1; i++)
		malloc_cc_off[i] = (uint16_t)(offsetof(kmem_thread_t, kt_cc) +
		    kmem_alloc_caches[malloc_size_small[i]]->cache_ccidx *
		    sizeof (kmem_cpu_cache_t));
	/* kmem_size_big[(size - 1) >> shift] serves sizes to (i + 1) << shift */
	for (i = 0; i < KMEM_MAXBUF >> KMEM_BIG_SHIFT; i++) {
		size_t c = 0;

		while (kmem_alloc_sizes[c] < (i + 1) << KMEM_BIG_SHIFT)
			c++;
		kmem_size_big[i] = (uint8_t)c;
	}
}

static void kmem_fork_prepare(void);
static void kmem_fork_parent(void);
static void kmem_fork_child(void);

void
kmem_init_slow(void)
{
	st_lock(&kmem_init_lock);
	if (kmem_ready) {
		st_unlock(&kmem_init_lock);
		return;
	}
	if (st_os_pagesize() != ST_PAGESIZE)
		st_panic("page size %zu is not supported", st_os_pagesize());
	kmem_debug_init();
	if (kmem_debugging)
		kmem_verify_early_init();
	/* Never a canonical address: bit 63 set, bit 62 clear. */
	kmem_free_key = (st_os_random() | 1ULL << 63) & ~(1ULL << 62);
	kmem_arenas_create();
	kmem_cache_init();
	kmem_magazine_init();
	vmem_qcache_create(kmem_default_arena);
	kmem_alloc_caches_create();
	memcpy(st_root.sr_magic, ST_ROOT_MAGIC, sizeof (st_root.sr_magic));
	st_root.sr_version = ST_VERSION_MAJOR << 16 | ST_VERSION_MINOR;
	st_root.sr_pagesize = ST_PAGESIZE;
	st_root.sr_cache_list = &kmem_null_cache;
	st_root.sr_vmem_list = vmem_list;
	st_root.sr_pagemap = pagemap_l1;
	st_root.sr_thread_list = &kmem_thread_list;
	st_root.sr_alloc_caches = kmem_alloc_caches;
	st_root.sr_nalloc_caches = KMEM_NALLOC;
	kmem_periodic_last = st_os_now_ns();
	__atomic_store_n(&kmem_ready, 1, __ATOMIC_RELEASE);
	st_root.sr_ready = 1;
	st_unlock(&kmem_init_lock);
	kmem_thread_init();
	(void) st_os_atfork(kmem_fork_prepare, kmem_fork_parent,
	    kmem_fork_child);
}

__attribute__((constructor)) static void
kmem_init_constructor(void)
{
	if (!kmem_ready)
		kmem_init_slow();
	kmem_verify_init();     /* the exit verify: from here (verify.c) */
}

/*
 * UMEM_OPTIONS=stats (or SLABTRACE_STATS=1) prints the ::kmastat-style
 * table to stderr when the program exits (options.c).
 */
__attribute__((destructor)) static void
kmem_stats_at_exit(void)
{
	if (kmem_ready && st_opts.so_stats)
		kmem_stats_print(2);
}

/* ------------------------------------------------------------------------
 * kmem_alloc and friends.
 */

/*
 * The twin of kmem_alloc_caches[i], aligned as its size (section 2),
 * made on first use; NULL if it cannot be.  Two threads may make one
 * each: the loser destroys its own, still empty.
 */
static kmem_cache_t *
kmem_alloc_twin_of(size_t i)
{
	kmem_cache_t *cp = __atomic_load_n(&kmem_alloc_twin[i],
	    __ATOMIC_ACQUIRE), *none = NULL;
	char name[KMEM_CACHE_NAMELEN];

	if (cp != NULL)
		return (cp);
	st_snprintf(name, sizeof (name), "kmem_alloc_%u_aligned",
	    kmem_alloc_sizes[i]);
	cp = kmem_cache_create_internal(name, kmem_alloc_sizes[i],
	    kmem_alloc_align(kmem_alloc_sizes[i]), NULL, NULL, NULL, NULL,
	    kmem_default_arena, 0, -2);
	if (cp == NULL || __atomic_compare_exchange_n(&kmem_alloc_twin[i],
	    &none, cp, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return (cp);
	kmem_cache_destroy(cp);
	return (none);
}

kmem_cache_t *
kmem_alloc_cache_for(size_t size, size_t align)
{
	kmem_cache_t *cp;
	size_t i;

	if (size > KMEM_MAXBUF)
		return (NULL);
	i = size <= KMEM_SMALL_MAX ? kmem_size_small[(size + 7) >> 3] :
	    kmem_size_big[(size - 1) >> KMEM_BIG_SHIFT];
	for (; i < KMEM_NALLOC; i++) {
		if (kmem_alloc_caches[i]->cache_align >= align)
			return (kmem_alloc_caches[i]);
		if (kmem_alloc_align(kmem_alloc_sizes[i]) >= align &&
		    (cp = kmem_alloc_twin_of(i)) != NULL)
			return (cp);
	}
	return (NULL);
}

/*
 * A big buffer (section 3).  dirty, if not NULL: the part of its pages
 * that may hold data; the rest was never written since the OS gave it
 * or took it back, and reads as zeros (vmem.c, section 5), so that
 * calloc need not clear it.
 */
void *
kmem_oversize_alloc_dirty(size_t size, size_t align, int kmflag,
    uintptr_t dirty[2])
{
	uintptr_t d[2];
	size_t npages;
	void *buf;

	if (size > (1UL << 46) || align > (1UL << 40))
		return (NULL);
	size = ST_P2ROUNDUP(size, ST_PAGESIZE);
	npages = size >> ST_PAGESHIFT;
	if (align <= ST_PAGESIZE) {
		buf = vmem_alloc_dirty(kmem_oversize_arena, size,
		    VM_NOSLEEP | VM_BESTFIT, d);
	} else {
		buf = vmem_xalloc(kmem_oversize_arena, size, align, 0, 0,
		    NULL, NULL, VM_NOSLEEP | VM_BESTFIT);
		d[0] = (uintptr_t)buf;
		d[1] = (uintptr_t)buf + size;
	}
	if (buf == NULL)
		return (kmflag & KM_NOSLEEP ? NULL : kmem_nomem(size, kmflag));
	if (pagemap_set((uintptr_t)buf, ST_PAGESIZE,
	    PM_BIG | npages << PM_SHIFT) != 0) {
		vmem_xfree(kmem_oversize_arena, buf, size);
		return (NULL);
	}
	if (dirty != NULL) {
		dirty[0] = d[0];
		dirty[1] = d[1];
	}
	st_wipe(d);
	return (buf);
}

void *
kmem_oversize_alloc(size_t size, size_t align, int kmflag)
{
	return (kmem_oversize_alloc_dirty(size, align, kmflag, NULL));
}

size_t
kmem_oversize_size(uintptr_t pm)
{
	return ((pm >> PM_SHIFT) << ST_PAGESHIFT);
}

/* Give the oversize arena's dirty free pages back to the OS (section 3). */
static void
kmem_oversize_purge(void)
{
	(void) vmem_decommit_free(kmem_oversize_arena, ST_PAGESIZE,
	    SIZE_MAX);
}

void
kmem_oversize_free(void *buf, uintptr_t pm)
{
	pagemap_clear((uintptr_t)buf, ST_PAGESIZE);
	kmem_oversize_release(buf, kmem_oversize_size(pm));
}

/* Pages of the oversize arena back to it, kept committed (section 3). */
void
kmem_oversize_release(void *buf, size_t size)
{
	vmem_t *vmp = kmem_oversize_arena;

	vmem_xfree(vmp, buf, size);
	/* Racy reads: a purge a free too early or too late is harmless. */
	if (__atomic_load_n(&vmp->vm_dirty, __ATOMIC_RELAXED) > ST_MAX(
	    kmem_oversize_retain, __atomic_load_n(&vmp->vm_kstat.vk_mem_inuse,
	    __ATOMIC_RELAXED) / kmem_oversize_retain_div))
		kmem_oversize_purge();
}

/*
 * An allocation that may not fail could not be satisfied: reap and retry
 * (the caller retries; we return NULL only for KM_NOSLEEP), and abort with
 * a clear line if memory does not come back.
 */
void *
kmem_nomem(size_t size, int kmflag)
{
	if (kmflag & KM_NOSLEEP)
		return (NULL);
	st_printf(2, "slabtrace: out of memory: cannot allocate %zu bytes "
	    "(KM_SLEEP)\n", size);
	st_os_abort();
}

static void *
kmem_alloc_flags_body(size_t size, int kmflag, st_kind_t kind)
{
	kmem_cache_t *cp;
	uint32_t tries;
	void *buf;

	if (ST_UNLIKELY(kmem_debugging) && size >= st_opts.so_firewall &&
	    (buf = st_firewall_alloc(size, 0, KMEM_ALIGN, kind)) != NULL)
		return (buf);
	for (tries = 0; ; tries++) {
		cp = kmem_alloc_cache_for(size, 0);
		buf = NULL;
		if (cp == NULL && kmem_debugging &&
		    (kmem_flags & (KMF_DEADBEEF | KMF_LITE)))
			buf = st_bigbuf_alloc(size, size, 0, kind);
		if (buf == NULL)
			buf = cp != NULL ? kmem_cache_alloc(cp, kmflag) :
			    kmem_oversize_alloc(size, 0, kmflag | KM_NOSLEEP);
		if (buf != NULL && cp != NULL && (cp->cache_flags & KMF_BUFTAG))
			kmem_debug_set_size(cp, buf, size, kind);
		if (buf != NULL || (kmflag & KM_NOSLEEP))
			return (buf);
		if (tries >= kmem_sleep_retries)
			return (kmem_nomem(size, kmflag));
		kmem_reap();
		st_os_sleep_ns(1000000ULL << ST_MIN(tries, 6));
	}
}

/* Debugging: the whole allocation is one operation (verify.c). */
static void *
kmem_alloc_flags(size_t size, int kmflag, st_kind_t kind)
{
	kmem_thread_t *kt;
	void *buf;

	if (!kmem_debugging)
		return (kmem_alloc_flags_body(size, kmflag, kind));
	kt = kmem_op_enter();
	buf = kmem_alloc_flags_body(size, kmflag, kind);
	kmem_op_exit(kt);
	KMEM_SWEEPER_POKE();
	return (buf);
}

void *
kmem_alloc_kind(size_t size, int kmflag, st_kind_t kind)
{
	if (size == 0)
		return (NULL);
	return (kmem_alloc_flags(size, kmflag, kind));
}

void *
kmem_alloc(size_t size, int kmflag)
{
	return (kmem_alloc_kind(size, kmflag, ST_KIND_KMEM));
}

void *
kmem_zalloc(size_t size, int kmflag)
{
	void *buf = kmem_alloc(size, kmflag);

	if (buf != NULL)
		memset(buf, 0, size);
	return (buf);
}

/*
 * kmem_free(buf, size): size must be what kmem_alloc was asked for.  The
 * size picks the cache, as in the kernel; when debugging, a size that
 * picks another cache is reported as a free to the wrong cache, and one
 * that picks the right cache but differs as a size mismatch.
 */
static void kmem_free_debugged(void *buf, size_t size, kmem_cache_t *cp,
    st_kind_t kind, const char *routine);

void
kmem_free_kind(void *buf, size_t size, st_kind_t kind, const char *routine)
{
	kmem_cache_t *cp;
	kmem_thread_t *kt;

	if (buf == NULL || size == 0)
		return;
	cp = kmem_alloc_cache_for(size, 0);
	if (cp != NULL && !kmem_debugging) {
		kmem_cache_free(cp, buf);
		return;
	}
	if (!kmem_debugging) {
		kmem_free_debugged(buf, size, cp, kind, routine);
		return;
	}
	kt = kmem_op_enter();
	kmem_free_debugged(buf, size, cp, kind, routine);
	kmem_op_exit(kt);
	kmem_sweep_tick(kt, (uintptr_t)__builtin_return_address(0));
}

/* The checks of kmem_free (and of an oversize free without debugging). */
static void
kmem_free_debugged(void *buf, size_t size, kmem_cache_t *cp,
    st_kind_t kind, const char *routine)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);

	if (pm & PM_FW) {
		st_firewall_free(buf, size, kind, routine);
		return;
	}
	if (cp != NULL) {
		kmem_slab_t *sp = (kmem_slab_t *)pm;

		if ((cp->cache_flags & KMF_BUFTAG) && pm != 0 &&
		    !(pm & PM_TAGS) && sp->slab_cache == cp &&
		    kmem_buf_is_base(cp, sp, (uintptr_t)buf)) {
			if (kmem_debug_check_free(cp, buf, size, kind,
			    routine) == 0)
				kmem_cache_free_known(cp, buf);
			return;
		}
		kmem_cache_free(cp, buf);   /* says what is wrong */
		return;
	}
	if (!(pm & PM_BIG)) {
		st_error(KMERR_BADADDR, NULL, buf, routine);
		return;
	}
	kmem_oversize_free(buf, pm);
}

void
kmem_free(void *buf, size_t size)
{
	kmem_free_kind(buf, size, ST_KIND_KMEM, "kmem_free");
}

/* ------------------------------------------------------------------------
 * Reaping.
 */

static void
kmem_reap_all(int all)
{
	kmem_cache_t *cp;

	st_lock(&kmem_cache_list_lock);
	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		/* A cache stays on the list while reaped: it can't go away. */
		st_unlock(&kmem_cache_list_lock);
		if (all && cp->cache_reclaim != NULL)
			cp->cache_reclaim(cp->cache_private);
		kmem_depot_reap(cp, all);
		st_lock(&kmem_cache_list_lock);
	}
	st_unlock(&kmem_cache_list_lock);
}

/* Reap everything now; returns the bytes given back to the OS. */
size_t
kmem_reap_now(void)
{
	size_t released;
	kmem_thread_t *kt;

	if (!kmem_ready)
		return (0);
	kt = kmem_op_enter();           /* moves free buffers (verify.c) */
	kmem_thread_flush_self();
	st_lock(&kmem_periodic_lock);
	kmem_reap_all(1);
	kmem_oversize_purge();
	(void) vmem_reap_spans(kmem_oversize_arena);
	released = vmem_reap_spans(heap_arena);
	released += vmem_decommit_free(heap_arena, kmem_reap_decommit,
	    SIZE_MAX);
	kmem_periodic_last = st_os_now_ns();
	st_unlock(&kmem_periodic_lock);
	kmem_op_exit(kt);
	return (released);
}

void
kmem_reap(void)
{
	(void) kmem_reap_now();
}

void
kmem_periodic(uint64_t now)
{
	if (now - kmem_periodic_last < kmem_reap_interval_ns ||
	    !st_trylock(&kmem_periodic_lock))
		return;
	if (now - kmem_periodic_last >= kmem_reap_interval_ns) {
		kmem_periodic_last = now;
		kmem_reap_all(0);
		kmem_oversize_purge();
		(void) vmem_reap_spans(kmem_oversize_arena);
		(void) vmem_reap_spans(heap_arena);
		(void) vmem_decommit_free(heap_arena, kmem_reap_decommit,
		    SIZE_MAX);
	}
	st_unlock(&kmem_periodic_lock);
}

/* ------------------------------------------------------------------------
 * Statistics.
 */

static void
kmem_cache_stat(kmem_cache_t *cp, kmem_cache_stat_t *ks)
{
	uint64_t alloc, free;

	memset(ks, 0, sizeof (*ks));
	st_snprintf(ks->kcs_name, sizeof (ks->kcs_name), "%s",
	    cp->cache_name);
	ks->kcs_bufsize = cp->cache_bufsize;
	kmem_cache_cc_totals(cp, &alloc, &free);
	st_lock(&cp->cache_depot_lock);
	ks->kcs_magsize = cp->cache_magtype != NULL ?
	    cp->cache_magtype->mt_magsize : 0;
	ks->kcs_depot_full = cp->cache_full.ml_total;
	ks->kcs_depot_empty = cp->cache_empty.ml_total;
	st_unlock(&cp->cache_depot_lock);
	st_lock(&cp->cache_lock);
	ks->kcs_buf_total = cp->cache_buftotal;
	ks->kcs_buf_inuse = cp->cache_buftotal - cp->cache_buftotal_free -
	    ks->kcs_depot_full * ks->kcs_magsize;
	ks->kcs_slab_bytes = (cp->cache_partial_count + cp->cache_empty_count +
	    cp->cache_complete_count) * cp->cache_slabsize;
	ks->kcs_alloc = alloc;
	ks->kcs_alloc_fail = cp->cache_alloc_fail;
	st_unlock(&cp->cache_lock);
	(void) free;
}

int
kmem_cache_walk(int (*fn)(const kmem_cache_stat_t *, void *), void *arg)
{
	kmem_cache_t *cp;
	kmem_cache_stat_t ks;
	int rc = 0;

	if (!kmem_ready)
		kmem_init_slow();
	st_lock(&kmem_cache_list_lock);
	for (cp = kmem_null_cache.cache_next; rc == 0 &&
	    cp != &kmem_null_cache; cp = cp->cache_next) {
		kmem_cache_stat(cp, &ks);
		st_unlock(&kmem_cache_list_lock);
		rc = fn(&ks, arg);
		st_lock(&kmem_cache_list_lock);
	}
	st_unlock(&kmem_cache_list_lock);
	return (rc);
}

static int
kmem_stat_line(const kmem_cache_stat_t *ks, void *arg)
{
	int fd = *(int *)arg;

	if (ks->kcs_buf_total == 0 && ks->kcs_alloc == 0)
		return (0);
	st_printf(fd, "%-25s %6lu %9lu %9lu %10lu %12lu %5lu\n",
	    ks->kcs_name, ks->kcs_bufsize, ks->kcs_buf_inuse,
	    ks->kcs_buf_total, ks->kcs_slab_bytes, ks->kcs_alloc,
	    ks->kcs_alloc_fail);
	return (0);
}

void
kmem_stats_print(int fd)
{
	vmem_t *vmp;

	st_printf(fd, "%-25s %6s %9s %9s %10s %12s %5s\n", "cache",
	    "buf", "buf", "buf", "memory", "alloc", "alloc");
	st_printf(fd, "%-25s %6s %9s %9s %10s %12s %5s\n", "name",
	    "size", "in use", "total", "in use", "succeed", "fail");
	st_printf(fd, "------------------------- ------ --------- --------- "
	    "---------- ------------ -----\n");
	(void) kmem_cache_walk(kmem_stat_line, &fd);
	st_printf(fd, "\n%-25s %12s %12s %12s\n", "vmem arena", "in use",
	    "total", "imported");
	for (vmp = vmem_list; vmp != NULL; vmp = vmp->vm_next)
		st_printf(fd, "%-25s %12lu %12lu %12lu\n", vmp->vm_name,
		    vmp->vm_kstat.vk_mem_inuse, vmp->vm_kstat.vk_mem_total,
		    vmp->vm_kstat.vk_mem_import);
}

/* ------------------------------------------------------------------------
 * fork.
 */

static void
kmem_fork_prepare(void)
{
	kmem_verify_fork_prepare();     /* first: before every lock */
	st_firewall_fork_prepare();
	st_lock(&kmem_periodic_lock);
	kmem_fork_prepare_caches();
	vmem_fork_prepare();
}

static void
kmem_fork_parent(void)
{
	vmem_fork_parent();
	kmem_fork_parent_caches();
	st_unlock(&kmem_periodic_lock);
	st_firewall_fork_parent();
	kmem_verify_fork_parent();
}

static void
kmem_fork_child(void)
{
	vmem_fork_child();
	kmem_fork_child_caches();
	st_lock_init(&kmem_periodic_lock);
	st_firewall_fork_child();
	kmem_verify_fork_child();
	kmem_report_fork_child();
}
