/*
 * slab.c: object caches and the slab layer.
 *
 * 1. Object caches.  A cache hands out buffers of one size (cache_bufsize)
 *    and alignment, constructed by its constructor.  It has three layers:
 *    the per-thread magazines (magazine.c), the depot of magazines
 *    (magazine.c), and the slab layer here, which cuts arena memory into
 *    buffers.  Buffers in magazines stay constructed; buffers in slabs are
 *    not: a buffer is constructed when it leaves the slab layer and
 *    destructed when it goes back (kmem_buf_constructed_alloc(),
 *    kmem_buf_destruct_free()), so the costly part of object set-up is paid
 *    once per slab trip, not once per allocation.
 *
 * 2. Chunks.  Each buffer occupies a chunk: cache_bufsize rounded up to
 *    cache_align, plus, in a debugged cache, the buffer tag after the
 *    buffer (debug.c).  A slab is cache_chunks chunks, starting at the
 *    slab's colour offset.
 *
 * 3. Two layouts.
 *    - Small (chunks under 1/8 page, no KMC_NOTOUCH, not a quantum cache):
 *      a slab is one page and its kmem_slab_t sits at the end of that page.
 *      A free buffer's bufctl is just a link, stored inside the buffer at
 *      cache_bufctl; so the free list costs no memory, and the slab of a
 *      buffer is found by arithmetic.
 *      In a debugged cache the link is the tag's redzone word, so that
 *      the tag's bufctl and bxstat words survive in a free buffer.
 *    - Large (KMF_HASH): the slab size is the multiple of the page that
 *      wastes the least (at most 1/KMEM_VOID_FRACTION), the kmem_slab_t and
 *      one kmem_bufctl_t per buffer are allocated from kmem_slab_cache and
 *      kmem_bufctl_cache, and an allocated buffer's bufctl is found through
 *      the cache's hash of buffer addresses (cache_hash_table).  Audited
 *      caches always use it: their bufctls are kmem_bufctl_audit_t, from
 *      kmem_bufctl_audit_cache, and hold the last transaction.
 *
 * 4. Colouring.  Successive slabs start their first buffer at different
 *    offsets (cache_color, advancing by cache_align up to cache_maxcolor,
 *    the slab's leftover space), so that buffers at the same index in
 *    different slabs do not compete for the same cache lines.  In a
 *    redzoned cache the offset is never below kmem_min_color()
 *    (KMEM_LEAD_CHECK, 64 bytes, aligned): the slab's first buffer has a
 *    leading redzone as long as any other's, so that its underflow is
 *    found (debug.c, section 2); without it, a write before the first
 *    buffer of a slab whose offset was 0 went into whatever lay before
 *    the slab, unseen, and with 16 bytes a write 32 bytes before the
 *    first buffer did (a small program's first malloc of a size is a
 *    slab's first buffer).
 *
 * 5. Slab lists.  A cache keeps its slabs on two lists: cache_partial (some
 *    buffers free; allocation takes from the head, which keeps memory
 *    compact) and cache_complete (none free).  A slab whose last buffer
 *    comes back is destroyed at once, its memory going back to the arena;
 *    the magazine layer above absorbs the churn this would otherwise cause.
 *    In a cache that patterns freed buffers (KMF_DEADBEEF; not lite, which
 *    trades this for memory as it does the quarantine), an empty slab
 *    waits on the empty queue instead (cache_empty_slabs, oldest first,
 *    at most kmem_empty_keep of them and kmem_empty_keep_bytes), and new
 *    slabs come from its oldest before the arena: freed buffers stay
 *    buffers, whose pattern the verifier can check (verify.c), for a while
 *    longer; the oldest is verified once more and destroyed.
 *    A new slab's free list runs in address order and a freed buffer goes
 *    back to its head, so the chunks a slab has ever handed out are its
 *    first SLAB_HW(sp), a count kept above the flags in slab_flags
 *    (raised as a chunk past it leaves the free list).  Without debugging
 *    free() takes only those (malloc.c, kmem_buf_is_handed), for one
 *    shift more than its check of the chunk's start: free() of a chunk
 *    never handed out is a free of a free buffer, where it went into a
 *    magazine while the slab still had it, to be handed out twice (the
 *    free key, malloc.c section 4, caught only the next chunk to be
 *    handed out).
 *
 * 6. The page map.  Every page of a slab maps to its kmem_slab_t
 *    (pagemap.c), which is how free() finds a buffer's cache.
 *
 * 7. Locking.  cache_lock protects the slab lists, the hash and the slab
 *    statistics; arena calls (vmem) are made without it.  The allocator's
 *    one lock order (kmem.c's fork handlers take them all in it):
 *      fw_lock -> kmem_periodic_lock -> kmem_cache_list_lock ->
 *      kmem_thread_lock -> kt_lock -> cache_depot_lock -> cache_lock ->
 *      vm_lock.
 *
 * 8. Validation.  kmem_cache_verify() checks a whole cache (lists, counts,
 *    free lists, hash, page map); tests call it, and the debugger will.
 */
#include <string.h>

#include "slabtrace_impl.h"

kmem_cache_t kmem_null_cache = {
	.cache_name = "kmem_null_cache",
	.cache_next = &kmem_null_cache,
	.cache_prev = &kmem_null_cache,
	.cache_ccidx = -1,
};
st_lock_t kmem_cache_list_lock = ST_LOCK_INITIALIZER;

vmem_t *heap_arena;             /* the top: address space from the OS */
vmem_t *kmem_internal_arena;    /* slabs of the allocator's own caches */
vmem_t *kmem_cache_arena;       /* kmem_cache_t structures */
vmem_t *kmem_default_arena;     /* slabs of every other cache */
vmem_t *kmem_oversize_arena;    /* buffers larger than KMEM_MAXBUF */

static kmem_cache_t *kmem_slab_cache;   /* kmem_slab_t, large layout */
static kmem_cache_t *kmem_bufctl_cache; /* kmem_bufctl_t, large layout */

/* Where the bufctls of cp's large slabs come from. */
static inline kmem_cache_t *
kmem_bufctl_cache_of(const kmem_cache_t *cp)
{
	return ((cp->cache_flags & KMF_AUDIT) ? kmem_bufctl_audit_cache :
	    kmem_bufctl_cache);
}

/* Tunables. */
uint32_t kmem_empty_keep = 4;           /* empty slabs a debugged cache */
uint64_t kmem_empty_keep_bytes = 256UL << 10; /* keeps (at least one) */

/* Slab sizes prefer more chunks at equal waste, up to this size. */
#define KMEM_SLAB_PREFER_MAX    (64 * 1024)

static uint32_t
highbit64(uint64_t x)
{
	return (x == 0 ? 0 : 64 - (uint32_t)__builtin_clzll(x));
}

/* ------------------------------------------------------------------------
 * Creating and destroying caches.
 */

/* The least colour of cp's slabs (section 4). */
static uint64_t
kmem_min_color(const kmem_cache_t *cp)
{
	return ((cp->cache_flags & KMF_REDZONE) ?
	    ST_P2ROUNDUP(KMEM_LEAD_CHECK, cp->cache_align) : 0);
}

static void
kmem_cache_layout_small(kmem_cache_t *cp)
{
	uint64_t lead = kmem_min_color(cp);
	uint64_t usable = ST_PAGESIZE - sizeof (kmem_slab_t) - lead;

	cp->cache_slabsize = ST_PAGESIZE;
	cp->cache_chunks = (uint32_t)(usable / cp->cache_chunksize);
	cp->cache_maxcolor = lead + usable % cp->cache_chunksize;
	cp->cache_color = lead;
	cp->cache_bufctl = (cp->cache_flags & KMF_BUFTAG) ? cp->cache_buftag :
	    cp->cache_chunksize - sizeof (void *);
}

static void
kmem_cache_layout_large(kmem_cache_t *cp, vmem_t *vmp)
{
	uint64_t chunksize = cp->cache_chunksize, lead = kmem_min_color(cp);
	uint64_t quantum = vmp->vm_quantum, best = 0, minwaste = UINT64_MAX;
	uint64_t chunks;

	for (chunks = 1; chunks <= KMEM_VOID_FRACTION; chunks++) {
		uint64_t slabsize = ST_P2ROUNDUP(chunksize * chunks + lead,
		    quantum);
		uint64_t n = (slabsize - lead) / chunksize;
		uint64_t waste = ((slabsize - lead) % chunksize) / n;

		if (waste < minwaste || (waste == minwaste &&
		    slabsize <= KMEM_SLAB_PREFER_MAX)) {
			minwaste = waste;
			best = slabsize;
		}
	}
	if (cp->cache_cflags & KMC_QCACHE)      /* VMEM_QCACHE_SLABSIZE */
		best = ST_MAX(1UL << highbit64(3 * vmp->vm_qcache_max - 1),
		    64 * 1024);
	cp->cache_slabsize = best;
	cp->cache_chunks = (uint32_t)((best - lead) / chunksize);
	cp->cache_maxcolor = lead + (best - lead) % chunksize;
	cp->cache_color = lead;
	cp->cache_flags |= KMF_HASH;
	cp->cache_hash_table = cp->cache_hash0;
	cp->cache_hash_mask = KMEM_HASH_INITIAL - 1;
	cp->cache_hash_shift = highbit64(chunksize) - 1;
}

static void
kmem_cache_list_insert(kmem_cache_t *cp)
{
	st_lock(&kmem_cache_list_lock);
	cp->cache_next = &kmem_null_cache;
	cp->cache_prev = kmem_null_cache.cache_prev;
	cp->cache_prev->cache_next = cp;
	kmem_null_cache.cache_prev = cp;
	st_unlock(&kmem_cache_list_lock);
}

kmem_cache_t *
kmem_cache_create_internal(const char *name, size_t bufsize, size_t align,
    kmem_constructor_t *ctor, kmem_destructor_t *dtor,
    kmem_reclaim_t *reclaim, void *private, vmem_t *arena, int cflags,
    int ccidx)
{
	kmem_cache_t *cp;

	if (align == 0)
		align = KMEM_ALIGN;
	if (!ST_ISP2(align) || align > ST_PAGESIZE || bufsize == 0 ||
	    bufsize > (1UL << 40))
		return (NULL);
	cp = vmem_alloc(kmem_cache_arena, sizeof (*cp), VM_NOSLEEP);
	if (cp == NULL)
		return (NULL);
	memset(cp, 0, sizeof (*cp));
	st_snprintf(cp->cache_name, sizeof (cp->cache_name), "%s", name);
	if (ccidx == -1)
		cflags |= KMC_PRIVATE;  /* the allocator's own */
	cp->cache_cflags = (uint32_t)cflags;
	cp->cache_bufsize = bufsize;
	cp->cache_align = ST_MAX(align, KMEM_ALIGN);
	cp->cache_chunksize = ST_P2ROUNDUP(bufsize, cp->cache_align);
	cp->cache_chunkinv = UINT64_MAX / cp->cache_chunksize + 1;
	cp->cache_constructor = ctor;
	cp->cache_destructor = dtor;
	cp->cache_reclaim = reclaim;
	cp->cache_private = private;
	cp->cache_arena = arena != NULL ? arena : kmem_default_arena;
	cp->cache_ccidx = ccidx;
	st_lock_init(&cp->cache_lock);
	st_lock_init(&cp->cache_depot_lock);
	cp->cache_flags = kmem_cache_debug_flags((uint32_t)cflags);
	kmem_cache_debug_layout(cp);
	cp->cache_cflags &= ~(uint32_t)KMC_TIGHT;      /* used: not a property */
	if (cp->cache_chunksize < ST_PAGESIZE / KMEM_VOID_FRACTION &&
	    !(cflags & (KMC_NOTOUCH | KMC_QCACHE)) &&
	    !(cp->cache_flags & KMF_AUDIT))
		kmem_cache_layout_small(cp);
	else
		kmem_cache_layout_large(cp, cp->cache_arena);
	kmem_cache_magazine_enable(cp);
	/* For free()'s fast path (malloc.c, section 1): two loads, no math. */
	if (cp->cache_ccidx >= 0 && cp->cache_ccidx < KMEM_NCACHE_ALLOC)
		cp->cache_cc_off = (uint32_t)(offsetof(kmem_thread_t, kt_cc) +
		    (size_t)cp->cache_ccidx * sizeof (kmem_cpu_cache_t));
	cp->cache_keyoff = cp->cache_chunksize > 8 ? 8 : 0;
	kmem_cache_list_insert(cp);
	return (cp);
}

kmem_cache_t *
kmem_cache_create(const char *name, size_t bufsize, size_t align,
    kmem_constructor_t *constructor, kmem_destructor_t *destructor,
    kmem_reclaim_t *reclaim, void *private, vmem_t *arena, int cflags)
{
	if (!kmem_ready)
		kmem_init_slow();
	/*
	 * KMC_QCACHE and KMC_PRIVATE are ours; -2 asks magazine.c for a
	 * thread slot.
	 */
	return (kmem_cache_create_internal(name, bufsize, align, constructor,
	    destructor, reclaim, private, arena,
	    cflags & ~(KMC_QCACHE | KMC_PRIVATE), -2));
}

static void
kmem_slab_destroy(kmem_cache_t *cp, kmem_slab_t *sp);
static kmem_slab_t *slab_empty_dequeue(kmem_cache_t *cp);

void
kmem_cache_destroy(kmem_cache_t *cp)
{
	kmem_slab_t *sp;

	if (cp == NULL)
		return;
	st_lock(&kmem_cache_list_lock);
	cp->cache_prev->cache_next = cp->cache_next;
	cp->cache_next->cache_prev = cp->cache_prev;
	st_unlock(&kmem_cache_list_lock);

	kmem_cache_magazine_purge(cp);
	if (cp->cache_complete != NULL || cp->cache_slab_alloc !=
	    cp->cache_slab_free) {
		st_printf(2, "slabtrace: kmem_cache_destroy: '%s' (%p) "
		    "not empty: %lu buffers still allocated\n",
		    cp->cache_name, (void *)cp,
		    cp->cache_slab_alloc - cp->cache_slab_free);
	}
	/* Buffers still out are leaked with their slabs; free the rest. */
	while ((sp = cp->cache_partial) != NULL) {
		cp->cache_partial = sp->slab_next;
		if (sp->slab_refcnt == 0)
			kmem_slab_destroy(cp, sp);
	}
	while ((sp = slab_empty_dequeue(cp)) != NULL)
		kmem_slab_destroy(cp, sp);
	if (cp->cache_hash_table != cp->cache_hash0)
		st_os_unmap(cp->cache_hash_table, ST_P2ROUNDUP(
		    (cp->cache_hash_mask + 1) * sizeof (void *), ST_PAGESIZE));
	vmem_free(kmem_cache_arena, cp, sizeof (*cp));
}

size_t
kmem_cache_bufsize(const kmem_cache_t *cp)
{
	return (cp->cache_bufsize);
}

const char *
kmem_cache_name(const kmem_cache_t *cp)
{
	return (cp->cache_name);
}

/* ------------------------------------------------------------------------
 * Slab lists.
 */

static void
slab_list_remove(kmem_slab_t **head, kmem_slab_t *sp)
{
	if (sp->slab_prev != NULL)
		sp->slab_prev->slab_next = sp->slab_next;
	else
		*head = sp->slab_next;
	if (sp->slab_next != NULL)
		sp->slab_next->slab_prev = sp->slab_prev;
	sp->slab_next = sp->slab_prev = NULL;
}

static void
slab_list_push(kmem_slab_t **head, kmem_slab_t *sp)
{
	sp->slab_prev = NULL;
	sp->slab_next = *head;
	if (*head != NULL)
		(*head)->slab_prev = sp;
	*head = sp;
}

static void
slab_to_partial(kmem_cache_t *cp, kmem_slab_t *sp)
{
	slab_list_remove(&cp->cache_complete, sp);
	cp->cache_complete_count--;
	slab_list_push(&cp->cache_partial, sp);
	cp->cache_partial_count++;
	sp->slab_flags = (sp->slab_flags & ~SLAB_LISTS) | SLAB_PARTIAL;
}

static void
slab_to_complete(kmem_cache_t *cp, kmem_slab_t *sp)
{
	slab_list_remove(&cp->cache_partial, sp);
	cp->cache_partial_count--;
	slab_list_push(&cp->cache_complete, sp);
	cp->cache_complete_count++;
	if (sp->slab_flags & SLAB_DIRTY)        /* nothing free to verify */
		cp->cache_dirty--;
	sp->slab_flags = (SLAB_HW(sp) << SLAB_HW_SHIFT) | SLAB_COMPLETE;
}

/* The empty queue (section 5): in at the tail, out at the head. */
static void
slab_empty_enqueue(kmem_cache_t *cp, kmem_slab_t *sp)
{
	sp->slab_next = NULL;
	sp->slab_prev = cp->cache_empty_tail;
	if (cp->cache_empty_tail != NULL)
		cp->cache_empty_tail->slab_next = sp;
	else
		cp->cache_empty_slabs = sp;
	cp->cache_empty_tail = sp;
	cp->cache_empty_count++;
	sp->slab_flags = (sp->slab_flags & ~SLAB_LISTS) | SLAB_EMPTY;
}

static kmem_slab_t *
slab_empty_dequeue(kmem_cache_t *cp)
{
	kmem_slab_t *sp = cp->cache_empty_slabs;

	if (sp == NULL)
		return (NULL);
	cp->cache_empty_slabs = sp->slab_next;
	if (sp->slab_next != NULL)
		sp->slab_next->slab_prev = NULL;
	else
		cp->cache_empty_tail = NULL;
	cp->cache_empty_count--;
	sp->slab_next = sp->slab_prev = NULL;
	sp->slab_flags &= ~SLAB_LISTS;
	return (sp);
}

/* ------------------------------------------------------------------------
 * Creating and destroying slabs (called without cache_lock).
 */

static uint64_t
kmem_next_color(kmem_cache_t *cp)
{
	uint64_t color;

	st_lock(&cp->cache_lock);
	color = cp->cache_color + cp->cache_align;
	if (color > cp->cache_maxcolor)
		color = kmem_min_color(cp);
	cp->cache_color = color;
	st_unlock(&cp->cache_lock);
	return (color);
}

/*
 * Which chunks of cp's slabs carry malloc's free key (malloc.c, section 4)
 * while free: then a chunk never handed out looks freed, and free() of it
 * (a pointer one buffer too far) is reported, where it used to go into a
 * magazine while the slab still had it, to be handed out twice.  Only
 * kmem_alloc_N caches without debugging (which has its tags).
 *   KEY_ALL   every chunk, when the slab is made: slabs of two pages at
 *             most, whose pages the first buffers commit anyway, where
 *             the small layout's link leaves the word free;
 *   KEY_HEAD  bigger slabs: only the chunk at the free list's head, the
 *             next to be handed out, whose page is about to be committed
 *             anyway.  Chunks are first handed out in address order, so
 *             free() of the chunk after the last one handed out is caught.
 * malloc clears the word.
 */
#define KEY_NONE        0
#define KEY_ALL         1
#define KEY_HEAD        2

static int
kmem_slab_keying(const kmem_cache_t *cp)
{
	if (cp->cache_cc_off == 0 || (cp->cache_flags & KMF_BUFTAG))
		return (KEY_NONE);
	if (cp->cache_slabsize > 2 * ST_PAGESIZE)
		return ((cp->cache_flags & KMF_HASH) ? KEY_HEAD : KEY_NONE);
	return ((cp->cache_flags & KMF_HASH) || cp->cache_keyoff +
	    sizeof (uint64_t) <= cp->cache_bufctl ? KEY_ALL : KEY_NONE);
}

static void
kmem_chunk_key(const kmem_cache_t *cp, void *buf)
{
	*(uint64_t *)(void *)((char *)buf + cp->cache_keyoff) = kmem_free_key;
}

static kmem_slab_t *
kmem_slab_init_small(kmem_cache_t *cp, char *base, uint64_t color)
{
	kmem_slab_t *sp = (kmem_slab_t *)(base + ST_PAGESIZE -
	    sizeof (kmem_slab_t));
	kmem_bufctl_t *next = NULL;
	uint32_t i;
	int keyed = kmem_slab_keying(cp) == KEY_ALL;

	for (i = cp->cache_chunks; i-- > 0; ) {
		char *buf = base + color + i * cp->cache_chunksize;
		kmem_bufctl_t *bcp = (kmem_bufctl_t *)(buf + cp->cache_bufctl);

		if (keyed)
			kmem_chunk_key(cp, buf);
		bcp->bc_next = next;
		next = bcp;
	}
	sp->slab_head = next;
	return (sp);
}

static kmem_slab_t *
kmem_slab_init_large(kmem_cache_t *cp, char *base, uint64_t color,
    int kmflag)
{
	kmem_slab_t *sp = kmem_cache_alloc(kmem_slab_cache, kmflag);
	kmem_bufctl_t *next = NULL;
	uint32_t i;
	int keying = kmem_slab_keying(cp);

	if (sp == NULL)
		return (NULL);
	for (i = cp->cache_chunks; i-- > 0; ) {
		kmem_bufctl_t *bcp = kmem_cache_alloc(
		    kmem_bufctl_cache_of(cp), kmflag);

		if (bcp == NULL) {
			for (; next != NULL; next = bcp) {
				bcp = next->bc_next;
				kmem_cache_free(kmem_bufctl_cache_of(cp),
				    next);
			}
			kmem_cache_free(kmem_slab_cache, sp);
			return (NULL);
		}
		bcp->bc_addr = base + color + i * cp->cache_chunksize;
		if (keying == KEY_ALL)
			kmem_chunk_key(cp, bcp->bc_addr);
		bcp->bc_slab = sp;
		bcp->bc_next = next;
		next = bcp;
	}
	sp->slab_head = next;
	if (next != NULL && keying == KEY_HEAD)
		kmem_chunk_key(cp, next->bc_addr);
	return (sp);
}

static kmem_slab_t *
kmem_slab_create(kmem_cache_t *cp, int kmflag)
{
	uint64_t color = kmem_next_color(cp);
	char *base = vmem_alloc(cp->cache_arena, cp->cache_slabsize,
	    kmflag & KM_VMFLAGS);
	kmem_slab_t *sp;

	if (base == NULL)
		return (NULL);
	if (cp->cache_flags & KMF_HASH)
		sp = kmem_slab_init_large(cp, base, color, kmflag);
	else
		sp = kmem_slab_init_small(cp, base, color);
	if (sp == NULL) {
		vmem_free(cp->cache_arena, base, cp->cache_slabsize);
		return (NULL);
	}
	sp->slab_cache = cp;
	sp->slab_base = base;
	sp->slab_size = cp->cache_slabsize;
	sp->slab_refcnt = 0;
	sp->slab_chunks = cp->cache_chunks;
	sp->slab_color = (uint32_t)color;
	sp->slab_next = sp->slab_prev = NULL;
	if (pagemap_set((uintptr_t)base, cp->cache_slabsize,
	    (uintptr_t)sp) != 0) {
		kmem_slab_destroy(cp, sp);      /* gives base back too */
		return (NULL);
	}
	if (cp->cache_flags & KMF_BUFTAG)
		kmem_debug_slab_init(cp, sp);
	return (sp);
}

static void
kmem_slab_destroy(kmem_cache_t *cp, kmem_slab_t *sp)
{
	void *base = sp->slab_base;
	uint64_t size = cp->cache_slabsize;

	pagemap_clear((uintptr_t)base, size);
	if (cp->cache_flags & KMF_HASH) {
		kmem_bufctl_t *bcp, *next;

		for (bcp = sp->slab_head; bcp != NULL; bcp = next) {
			next = bcp->bc_next;
			kmem_cache_free(kmem_bufctl_cache_of(cp), bcp);
		}
		kmem_cache_free(kmem_slab_cache, sp);
	}
	vmem_free(cp->cache_arena, base, size);
}

/* ------------------------------------------------------------------------
 * The hash of allocated buffers (large layout).
 */

static inline kmem_bufctl_t **
kmem_hash(kmem_cache_t *cp, const void *buf)
{
	uintptr_t a = (uintptr_t)buf >> cp->cache_hash_shift;

	return (&cp->cache_hash_table[(a ^ (a >> 7)) & cp->cache_hash_mask]);
}

static void
kmem_hash_rescale(kmem_cache_t *cp)
{
	uint64_t nbuckets = (cp->cache_hash_mask + 1) * 4;
	size_t size = ST_P2ROUNDUP(nbuckets * sizeof (void *), ST_PAGESIZE);
	kmem_bufctl_t **new = st_os_map(size, 0), **old;
	uint64_t i, oldn;

	if (new == NULL)
		return;
	st_lock(&cp->cache_lock);
	old = cp->cache_hash_table;
	oldn = cp->cache_hash_mask + 1;
	if (nbuckets <= oldn) {         /* someone else rescaled */
		st_unlock(&cp->cache_lock);
		st_os_unmap(new, size);
		return;
	}
	cp->cache_hash_table = new;
	cp->cache_hash_mask = nbuckets - 1;
	for (i = 0; i < oldn; i++) {
		kmem_bufctl_t *bcp, *next;

		for (bcp = old[i]; bcp != NULL; bcp = next) {
			kmem_bufctl_t **bucket = kmem_hash(cp, bcp->bc_addr);

			next = bcp->bc_next;
			bcp->bc_next = *bucket;
			*bucket = bcp;
		}
	}
	cp->cache_rescale++;
	st_unlock(&cp->cache_lock);
	if (old != cp->cache_hash0)
		st_os_unmap(old, ST_P2ROUNDUP(oldn * sizeof (void *),
		    ST_PAGESIZE));
}

/* ------------------------------------------------------------------------
 * Allocating from and freeing to slabs.
 */

static void *
kmem_slab_alloc_locked(kmem_cache_t *cp, kmem_slab_t *sp)
{
	kmem_bufctl_t *bcp = sp->slab_head;
	void *buf;
	uint32_t i;

	sp->slab_head = bcp->bc_next;
	sp->slab_refcnt++;
	if (cp->cache_flags & KMF_HASH) {
		kmem_bufctl_t **bucket = kmem_hash(cp, bcp->bc_addr);

		bcp->bc_next = *bucket;
		*bucket = bcp;
		buf = bcp->bc_addr;
		if (sp->slab_head != NULL && kmem_slab_keying(cp) == KEY_HEAD)
			kmem_chunk_key(cp, sp->slab_head->bc_addr);
	} else {
		buf = (char *)bcp - cp->cache_bufctl;
	}
	/* Its index; past the high-water mark, the mark moves (section 5). */
	i = (uint32_t)(((unsigned __int128)((uintptr_t)buf -
	    (uintptr_t)sp->slab_base - sp->slab_color) *
	    cp->cache_chunkinv) >> 64);
	if (i >= SLAB_HW(sp))
		__atomic_store_n(&sp->slab_flags, (sp->slab_flags &
		    ((1U << SLAB_HW_SHIFT) - 1)) | (i + 1) << SLAB_HW_SHIFT,
		    __ATOMIC_RELAXED);
	if (sp->slab_head == NULL)
		slab_to_complete(cp, sp);
	cp->cache_slab_alloc++;
	cp->cache_buftotal_free--;
	return (buf);
}

void *
kmem_slab_alloc(kmem_cache_t *cp, int kmflag)
{
	kmem_slab_t *sp;
	void *buf;
	int rescale;

	st_lock(&cp->cache_lock);
	while ((sp = cp->cache_partial) == NULL) {
		if ((sp = slab_empty_dequeue(cp)) != NULL) {
			sp->slab_flags |= SLAB_PARTIAL;
			slab_list_push(&cp->cache_partial, sp);
			cp->cache_partial_count++;
			continue;
		}
		st_unlock(&cp->cache_lock);
		sp = kmem_slab_create(cp, kmflag);
		if (sp == NULL) {
			__atomic_add_fetch(&cp->cache_alloc_fail, 1,
			    __ATOMIC_RELAXED);
			return (NULL);
		}
		st_lock(&cp->cache_lock);
		sp->slab_flags = SLAB_PARTIAL;
		slab_list_push(&cp->cache_partial, sp);
		cp->cache_partial_count++;
		cp->cache_slab_create++;
		cp->cache_buftotal += sp->slab_chunks;
		cp->cache_buftotal_free += sp->slab_chunks;
		cp->cache_bufmax = ST_MAX(cp->cache_bufmax, cp->cache_buftotal);
	}
	buf = kmem_slab_alloc_locked(cp, sp);
	rescale = (cp->cache_flags & KMF_HASH) && cp->cache_slab_alloc -
	    cp->cache_slab_free > 2 * (cp->cache_hash_mask + 1);
	st_unlock(&cp->cache_lock);
	if (rescale)
		kmem_hash_rescale(cp);
	return (buf);
}

/* Find the slab and bufctl of buf; NULL if buf is not allocated here. */
static kmem_slab_t *
kmem_slab_of(kmem_cache_t *cp, void *buf, kmem_bufctl_t **bcpp)
{
	if (cp->cache_flags & KMF_HASH) {
		kmem_bufctl_t **prev = kmem_hash(cp, buf), *bcp;

		for (bcp = *prev; bcp != NULL; bcp = *prev) {
			if (bcp->bc_addr == buf) {
				*prev = bcp->bc_next;
				*bcpp = bcp;
				return (bcp->bc_slab);
			}
			prev = &bcp->bc_next;
		}
		return (NULL);
	}
	*bcpp = (kmem_bufctl_t *)((char *)buf + cp->cache_bufctl);
	return ((kmem_slab_t *)(ST_P2ALIGN((uintptr_t)buf, ST_PAGESIZE) +
	    ST_PAGESIZE - sizeof (kmem_slab_t)));
}

void
kmem_slab_free(kmem_cache_t *cp, void *buf)
{
	kmem_bufctl_t *bcp;
	kmem_slab_t *sp;

	st_lock(&cp->cache_lock);
	sp = kmem_slab_of(cp, buf, &bcp);
	if (sp == NULL || sp->slab_cache != cp || sp->slab_refcnt == 0) {
		st_unlock(&cp->cache_lock);
		st_error(KMERR_BADADDR, cp, buf, "kmem_cache_free");
		return;
	}
	if (sp->slab_head == NULL)
		slab_to_partial(cp, sp);
	bcp->bc_next = sp->slab_head;
	sp->slab_head = bcp;
	sp->slab_refcnt--;
	cp->cache_slab_free++;
	cp->cache_buftotal_free++;
	/* A free buffer for the sweep to verify (verify.c). */
	if ((cp->cache_flags & KMF_DEADBEEF) && !(sp->slab_flags & SLAB_DIRTY)) {
		sp->slab_flags |= SLAB_DIRTY;
		cp->cache_dirty++;
	}
	if (sp->slab_refcnt == 0 &&
	    (cp->cache_flags & (KMF_DEADBEEF | KMF_LITE)) == KMF_DEADBEEF) {
		slab_list_remove(&cp->cache_partial, sp);
		cp->cache_partial_count--;
		slab_empty_enqueue(cp, sp);
		if (cp->cache_empty_count <= kmem_empty_keep &&
		    (cp->cache_empty_count * cp->cache_slabsize <=
		    kmem_empty_keep_bytes || cp->cache_empty_count == 1)) {
			st_unlock(&cp->cache_lock);
			return;
		}
		sp = slab_empty_dequeue(cp);    /* the oldest goes back */
	} else if (sp->slab_refcnt == 0) {
		slab_list_remove(&cp->cache_partial, sp);
		cp->cache_partial_count--;
	}
	if (sp->slab_refcnt == 0) {
		if (sp->slab_flags & SLAB_DIRTY)
			cp->cache_dirty--;
		cp->cache_slab_destroy++;
		cp->cache_buftotal -= sp->slab_chunks;
		cp->cache_buftotal_free -= sp->slab_chunks;
		st_unlock(&cp->cache_lock);
		/* Its buffers are about to stop being buffers: a last look. */
		if (cp->cache_flags & KMF_DEADBEEF)
			kmem_debug_verify_slab(cp, sp);
		kmem_slab_destroy(cp, sp);
		return;
	}
	st_unlock(&cp->cache_lock);
}

/*
 * A buffer leaves the slab layer constructed, and is destructed on its way
 * back, except in DEADBEEF caches: the pattern destroys the constructed
 * state, so debug.c constructs on every allocation instead.
 */
int
kmem_buf_constructed_alloc(kmem_cache_t *cp, void *buf, int kmflag)
{
	if (cp->cache_constructor != NULL &&
	    !(cp->cache_flags & KMF_DEADBEEF) &&
	    cp->cache_constructor(buf, cp->cache_private, kmflag) != 0) {
		kmem_slab_free(cp, buf);
		return (-1);
	}
	return (0);
}

void
kmem_buf_destruct_free(kmem_cache_t *cp, void *buf)
{
	if (cp->cache_destructor != NULL && !(cp->cache_flags & KMF_DEADBEEF))
		cp->cache_destructor(buf, cp->cache_private);
	kmem_slab_free(cp, buf);
}

/* ------------------------------------------------------------------------
 * The internal caches, verification, fork.
 */

void
kmem_cache_init(void)
{
	int flags = KMC_NOMAGAZINE | KMC_NODEBUG;

	kmem_slab_cache = kmem_cache_create_internal("kmem_slab_cache",
	    sizeof (kmem_slab_t), 64, NULL, NULL, NULL, NULL,
	    kmem_internal_arena, flags, -1);
	kmem_bufctl_cache = kmem_cache_create_internal("kmem_bufctl_cache",
	    sizeof (kmem_bufctl_t), KMEM_ALIGN, NULL, NULL, NULL, NULL,
	    kmem_internal_arena, flags, -1);
	if (kmem_slab_cache == NULL || kmem_bufctl_cache == NULL)
		st_panic("cannot create the slab layer's caches");
	if (kmem_flags & KMF_AUDIT) {
		kmem_bufctl_audit_cache = kmem_cache_create_internal(
		    "kmem_bufctl_audit_cache",
		    sizeof (kmem_bufctl_audit_t), KMEM_ALIGN,
		    NULL, NULL, NULL, NULL, kmem_internal_arena, flags, -1);
		if (kmem_bufctl_audit_cache == NULL)
			st_panic("cannot create kmem_bufctl_audit_cache");
	}
}

/* Is buf, a chunk of one of cp's slabs, on its slab's free list? */
int
kmem_slab_buf_is_free(kmem_cache_t *cp, void *buf)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_slab_t *sp = (kmem_slab_t *)pm;
	kmem_bufctl_t *bcp;
	uint32_t n = 0;
	int found = 0;

	if (pm == 0 || (pm & PM_TAGS))
		return (0);
	st_lock(&cp->cache_lock);
	if (sp->slab_cache == cp) {
		for (bcp = sp->slab_head; bcp != NULL && !found &&
		    n++ <= sp->slab_chunks; bcp = bcp->bc_next)
			found = ((cp->cache_flags & KMF_HASH) ? bcp->bc_addr :
			    (void *)((char *)bcp - cp->cache_bufctl)) == buf;
	}
	st_unlock(&cp->cache_lock);
	return (found);
}

/*
 * verify.c's walk of cp's slabs: every chunk of every slab, or (dirty_only)
 * the free chunks of the slabs marked dirty since the last such walk,
 * clearing the marks.  The world is stopped; cache_lock keeps the lists
 * still.  0 if careful and the lock was busy.
 */
int
kmem_slab_visit(kmem_cache_t *cp, int dirty_only, kmem_buf_visit_t *fn,
    void *arg, int careful)
{
	kmem_slab_t *sp, *lists[3];
	kmem_bufctl_t *bcp;
	uint32_t i, l, n;

	if (!careful)
		st_lock(&cp->cache_lock);
	else if (!st_trylock(&cp->cache_lock))
		return (0);
	lists[0] = cp->cache_partial;
	lists[1] = cp->cache_empty_slabs;
	lists[2] = cp->cache_complete;  /* nothing free: all walks only */
	for (l = 0; l < (dirty_only ? 2U : 3U); l++) {
		for (sp = lists[l]; sp != NULL; sp = sp->slab_next) {
			if (!dirty_only) {
				for (i = 0; i < sp->slab_chunks; i++)
					fn(cp, (char *)sp->slab_base +
					    sp->slab_color + i *
					    cp->cache_chunksize, arg);
				continue;
			}
			if (!(sp->slab_flags & SLAB_DIRTY))
				continue;
			sp->slab_flags &= ~SLAB_DIRTY;
			cp->cache_dirty--;
			for (bcp = sp->slab_head, n = 0; bcp != NULL &&
			    n++ < sp->slab_chunks; bcp = bcp->bc_next)
				fn(cp, (cp->cache_flags & KMF_HASH) ?
				    bcp->bc_addr : (void *)((char *)bcp -
				    cp->cache_bufctl), arg);
		}
	}
	st_unlock(&cp->cache_lock);
	return (1);
}

#define VERIFY_FAIL(...) do {                                           \
	st_printf(2, "kmem_cache_verify(%s): ", cp->cache_name);        \
	st_printf(2, __VA_ARGS__);                                      \
	st_printf(2, "\n");                                             \
	return (-1);                                                    \
} while (0)

static int
kmem_slab_verify(kmem_cache_t *cp, kmem_slab_t *sp, uint64_t *nfree)
{
	uintptr_t lo = (uintptr_t)sp->slab_base;
	uintptr_t hi = lo + sp->slab_size;
	kmem_bufctl_t *bcp;
	uint64_t n = 0, pg;

	if (sp->slab_cache != cp)
		VERIFY_FAIL("slab %p has cache %p", (void *)sp,
		    (void *)sp->slab_cache);
	for (bcp = sp->slab_head; bcp != NULL; bcp = bcp->bc_next) {
		uintptr_t buf = (cp->cache_flags & KMF_HASH) ?
		    (uintptr_t)bcp->bc_addr :
		    (uintptr_t)bcp - cp->cache_bufctl;

		if (buf < lo || buf >= hi || !kmem_buf_is_base(cp, sp, buf))
			VERIFY_FAIL("slab %p: free buffer %lx is not a "
			    "chunk of the slab", (void *)sp, (uint64_t)buf);
		if (++n > sp->slab_chunks)
			VERIFY_FAIL("slab %p: free list loops", (void *)sp);
	}
	if (n + sp->slab_refcnt != sp->slab_chunks)
		VERIFY_FAIL("slab %p: %lu free + %u allocated != %u chunks",
		    (void *)sp, n, sp->slab_refcnt, sp->slab_chunks);
	for (pg = lo; pg < hi; pg += ST_PAGESIZE)
		if (pagemap_lookup(pg) != (uintptr_t)sp)
			VERIFY_FAIL("page %lx of slab %p not mapped to it",
			    (uint64_t)pg, (void *)sp);
	*nfree += n;
	return (0);
}

static int
kmem_slab_list_verify(kmem_cache_t *cp, kmem_slab_t *head, uint32_t flag,
    uint64_t count, uint64_t *nfree, uint64_t *nbufs)
{
	kmem_slab_t *sp, *prev = NULL;
	uint64_t n = 0;

	for (sp = head; sp != NULL; prev = sp, sp = sp->slab_next) {
		if (sp->slab_prev != prev ||
		    (sp->slab_flags & SLAB_LISTS) != flag)
			VERIFY_FAIL("slab %p badly linked", (void *)sp);
		if ((flag == SLAB_COMPLETE) != (sp->slab_head == NULL))
			VERIFY_FAIL("slab %p on the wrong list", (void *)sp);
		if (kmem_slab_verify(cp, sp, nfree) != 0)
			return (-1);
		*nbufs += sp->slab_chunks;
		n++;
	}
	if (n != count)
		VERIFY_FAIL("%lu slabs on a list that counts %lu", n, count);
	return (0);
}

int
kmem_cache_verify(kmem_cache_t *cp)
{
	uint64_t nfree = 0, nbufs = 0, hashed = 0, i;
	int rc;

	st_lock(&cp->cache_lock);
	rc = kmem_slab_list_verify(cp, cp->cache_partial, SLAB_PARTIAL,
	    cp->cache_partial_count, &nfree, &nbufs);
	if (rc == 0)
		rc = kmem_slab_list_verify(cp, cp->cache_complete,
		    SLAB_COMPLETE, cp->cache_complete_count, &nfree, &nbufs);
	if (rc == 0)
		rc = kmem_slab_list_verify(cp, cp->cache_empty_slabs,
		    SLAB_EMPTY, cp->cache_empty_count, &nfree, &nbufs);
	if (rc == 0 && (nbufs != cp->cache_buftotal ||
	    nfree != cp->cache_buftotal_free)) {
		st_printf(2, "kmem_cache_verify(%s): counted %lu buffers, "
		    "%lu free; cache says %lu, %lu\n", cp->cache_name, nbufs,
		    nfree, cp->cache_buftotal, cp->cache_buftotal_free);
		rc = -1;
	}
	for (i = 0; rc == 0 && (cp->cache_flags & KMF_HASH) &&
	    i <= cp->cache_hash_mask; i++) {
		kmem_bufctl_t *bcp;

		for (bcp = cp->cache_hash_table[i]; bcp != NULL;
		    bcp = bcp->bc_next)
			hashed++;
	}
	if (rc == 0 && (cp->cache_flags & KMF_HASH) &&
	    hashed != nbufs - nfree) {
		st_printf(2, "kmem_cache_verify(%s): %lu hashed buffers, "
		    "%lu allocated\n", cp->cache_name, hashed, nbufs - nfree);
		rc = -1;
	}
	st_unlock(&cp->cache_lock);
	return (rc);
}

/*
 * fork: the parent takes the cache list lock, the thread list lock and every
 * cache's depot and slab locks, in the lock order, so that the child
 * inherits consistent caches.
 */
void
kmem_fork_prepare_caches(void)
{
	kmem_cache_t *cp;

	st_lock(&kmem_cache_list_lock);
	kmem_thread_fork_prepare();
	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		st_lock(&cp->cache_depot_lock);
		st_lock(&cp->cache_lock);
	}
}

void
kmem_fork_parent_caches(void)
{
	kmem_cache_t *cp;

	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		st_unlock(&cp->cache_lock);
		st_unlock(&cp->cache_depot_lock);
	}
	kmem_thread_fork_parent();
	st_unlock(&kmem_cache_list_lock);
}

void
kmem_fork_child_caches(void)
{
	kmem_cache_t *cp;

	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		st_lock_init(&cp->cache_lock);
		st_lock_init(&cp->cache_depot_lock);
	}
	kmem_thread_fork_child();
	st_lock_init(&kmem_cache_list_lock);
}
