/*
 * vmem.c: arenas of address space, the kernel's vmem in user space.
 *
 * Big theory statement.  (The design is Bonwick and Adams, "Magazines and
 * Vmem", USENIX 2001; this file is a fresh implementation of it.)
 *
 * 1. Arenas.  An arena (vmem_t) hands out ranges of an integer space: here
 *    always address space, but vmem never reads or writes the memory it
 *    manages, only its own bookkeeping, so any integer range works (the
 *    unit test uses made-up ranges).  Every range is a multiple of the
 *    arena's quantum and starts on a quantum boundary.  Arenas stack: the
 *    top arena (heap) gets address space from the OS through its import
 *    function; the arenas below import from heap with vmem_alloc() and give
 *    it back with vmem_free().  All arenas are on vmem_list (vm_next).
 *
 * 2. Spans and segments.  The ranges an arena owns are its spans: given
 *    with vmem_add() (vmem_create's base and size do that) or imported from
 *    its source.  A span is cut into segments, each allocated or free, so
 *    that the segments of a span tile it exactly.  Every span and segment
 *    is described by a vmem_seg_t; the arena list (vs_anext/vs_aprev,
 *    circular through the anchor vm_seg0) holds, in address order, each
 *    span's segment (type VMEM_SPAN) followed by the segments that tile
 *    it.  Spans are also on the span list (vs_knext/vs_kprev through
 *    vm_seg0), sorted by address, so span-level walks skip the segments,
 *    and in a search tree (vm_span_tree, vs_tleft/vs_tright), so that the
 *    place of a new span and the span holding an address are found in
 *    O(log spans): an arena of 20,000 imported spans (malloc's oversize
 *    buffers) must not cost a list walk per import.  The tree is a treap
 *    whose priority is a hash of the span's address, so it needs no
 *    stored priority and no random numbers.
 *    Two free segments are never adjacent within a span: a free coalesces
 *    with its free neighbours at once.  Segments never coalesce across
 *    spans, even contiguous ones, so that a span can go back to its source
 *    whole.
 *
 * 3. The freelists: instant fit, best fit, first fit, next fit.  A free
 *    segment of size s is on freelist highbit(s) - 1, so list i holds sizes
 *    [2^i, 2^(i+1)); bit i of vm_freemap says whether list i is non-empty.
 *    The lists are NULL-terminated doubly-linked (vs_knext/vs_kprev); the
 *    list head's vs_knext is the first segment and vs_kprev the last.
 *      - The default is best fit among the first VMEM_FIT_SCAN segments
 *        of the lists (see best fit below), then instant fit, then first
 *        fit.  Instant fit alone never looks at list highbit(s) - 1
 *        while a higher list has a segment, so a freed slab of exactly
 *        the size asked stayed free while a fresh import's remainder was
 *        carved, and the freed one's pages stayed committed beside the
 *        new ones: bench/churn's peak RSS was 14.5 MB, 12.9 MB with the
 *        bounded best fit, at the same instruction count.  The bound
 *        keeps the search O(1) in an arena of many small free segments.
 *      - Instant fit wants O(1): every segment on list
 *        highbit(s) (highbit(s) - 1 if s is a power of two) and above is
 *        at least s bytes, so the first segment of the lowest such
 *        non-empty list fits, and that list is one find-first-set on
 *        vm_freemap.  Only if all of those lists are empty do we search
 *        list highbit(s) - 1, whose segments may or may not fit.
 *      - Best fit (VM_BESTFIT) looks at every segment of the lowest list
 *        that could hold a fit and takes the smallest that fits; only if
 *        none fits does it move to the next list.
 *      - First fit (VM_FIRSTFIT) takes the first fitting segment in that
 *        same order (lists upward, each list in its order).
 *      - Next fit (VM_NEXTFIT) walks the arena list in address order from
 *        the rotor (vm_rotor, a pseudo-segment of type VMEM_ROTOR on the
 *        arena list, whose vs_start is the address where the last next-fit
 *        allocation ended) and takes the first fit at or after that
 *        address, wrapping around at the end of the arena; the rotor then
 *        moves to just after the new allocation.  So addresses are handed
 *        out cyclically and a freed range is not reused until the rotor
 *        comes around again.  The rotor never keeps two free segments
 *        apart: a free next to it coalesces across it and puts it back
 *        before the merged segment (whose search then starts at the
 *        rotor's address, inside it) or after it.  The rotor is never
 *        directly after a span segment, so the segment after a span is
 *        always the span's first segment.
 *    A constrained request (vmem_xalloc: alignment, phase, a boundary not
 *    to cross, an address window) uses the same searches, with the fit
 *    test (vmem_seg_fit) finding the lowest acceptable address inside each
 *    candidate.  Instant fit then looks for a segment at least
 *    size + align - quantum long, which is guaranteed to hold an aligned
 *    address however its start falls.
 *
 * 4. The allocated-segment hash.  vmem_free() gets only an address and a
 *    size, so allocated segments are hashed by start address (chained on
 *    vs_knext).  The table starts as vm_hash0 (VMEM_HASH_INITIAL buckets,
 *    inside the arena) and grows when the arena holds more than two
 *    segments per bucket, to twice the buckets or one page's worth,
 *    whichever is more.  New tables come from st_os_map(); tables other
 *    than vm_hash0 are unmapped when replaced.  The bucket of an address
 *    is a multiplicative mix of (addr >> vm_hash_shift), taking the top
 *    bits, so that neighbouring quanta land far apart.  A free whose
 *    address is not in the hash, or whose size is not the segment's, is a
 *    bug in the layer above: st_panic().
 *
 * 5. Importing from a source, and giving back.  When no free segment fits
 *    and the arena has an import function, it asks its source for a new
 *    span of max(size + align - quantum, vm_min_import) bytes rounded up
 *    to the quantum (vm_min_import is 0 unless the creator sets it after
 *    vmem_create and before first use).  vm_lock is dropped around the
 *    call, which may take the source's lock or call the OS.  When a free
 *    leaves an imported span entirely free, the span goes back to the
 *    source at once (again without vm_lock), unless the arena was created
 *    with VMC_RETAIN: then it stays until vmem_reap_spans() gives back
 *    every entirely free imported span.  vmem_add()ed spans never go back.
 *    A free segment is dirty (vs_dirty) when some of its pages may still be
 *    committed: it or a part of it was freed (VS_FREED), or its span came
 *    from another arena (VS_IMPORTED), since vmem_decommit_free() last
 *    gave its pages back; merging and splitting carry the flags.  So a
 *    purge makes a system call only for the free space that may hold
 *    memory, not for all of it.  vm_dirty estimates the bytes that do:
 *    what was freed since the last purge, less what was allocated from
 *    freed segments since (a segment is carved from its start, where a
 *    freed buffer merged with the clean space after it lies).  It decides
 *    when to purge (kmem.c, section 3), and the periodic reap purges
 *    whatever it missed.  A purge of a given number of bytes counts only
 *    VS_FREED segments: an imported span is most often fresh address
 *    space (the oversize arena takes 256 MiB at a time), and counting it
 *    let a purge that met one first stop there, with every freed page
 *    still committed.
 *    Where: the flags are coarse (a segment carved from a flagged one is
 *    flagged, which is what vm_dirty's estimate, and so the purges'
 *    timing, is tuned to: counted more exactly, bench/large faulted its
 *    pages in twice as often), so a free segment also keeps the range
 *    its dirt lies in, [vs_dlo, vs_dhi) (0, 0: none), the hull of the
 *    dirty parts merged into it (a freed buffer merged with the fresh
 *    space after it is dirty at its start only), cut down with it when
 *    it is carved or shrunk.  A span imported from the OS has none, and
 *    one imported from a source arena only where the source's segment
 *    had.  So vmem_alloc_dirty can say which part of a new segment may
 *    hold data: calloc clears that part only (malloc.c, section 7).  A
 *    purge empties the range with the flags, unless some dirt lies in a
 *    page the segment shares.  The two words are the span tree's links
 *    (section 2), which a free segment does not use.
 *
 * 6. Quantum caches.  Small allocations (up to vm_qcache_max, at most
 *    VMEM_NQCACHE_MAX quanta) are served by kmem caches of 1, 2, ...
 *    quanta whose slabs come from this arena: the slab layer cuts big
 *    segments into small ones faster than the segment layer can, and the
 *    arena sees few, large segments.  kmem is not running when the first
 *    arenas are made, so vmem_create() only records the limit, and kmem
 *    calls vmem_qcache_create() once it can make caches.  Until then (and
 *    for arenas that never get them) vm_qcache[] is NULL and small
 *    requests take the ordinary path.  vmem_xalloc/vmem_xfree never use
 *    the quantum caches, so what one gave must go back through the other.
 *    Caches must exist before the arena hands out any small allocation, or
 *    a vmem_free() would send a segment to a cache that never allocated
 *    it.
 *
 * 7. Where the segment structures come from.  vmem sits under malloc, so
 *    it may not call malloc.  vmem_seg_t's come from one global pool (its
 *    own lock, vmem_segpool_lock), mapped VMEM_SEG_CHUNK bytes at a time
 *    by st_os_map(), carved into it a page at a time (vmem_seg_refill:
 *    pages not yet needed stay untouched) and never returned to the OS.
 *    An operation that may create segments first reserves the most it
 *    could need (VMEM_SEGS_PER_OP: two for an imported span, two for the
 *    pieces left either side of an allocation) into a private list on its
 *    stack, before
 *    it takes vm_lock; it uses them under vm_lock without fear of running
 *    out halfway, and gives back what it did not use (and the segments
 *    that coalescing freed) after dropping vm_lock.  This is the kernel's
 *    vmem_populate() idea without per-CPU reserves.  Arena structures come
 *    from a static array of VMEM_ARENAS_STATIC, then from mapped chunks;
 *    destroyed arenas are kept on a free list for reuse.
 *
 * 8. Locking.  vm_lock protects everything in an arena.  The lock order
 *    is vmem_list_lock, then vm_lock, then vmem_segpool_lock; no path holds
 *    two arenas' vm_lock (import and release drop vm_lock before calling
 *    the source), nor calls kmem with vm_lock held.  vmem_segpool_lock is only
 *    taken with no vm_lock held, except by vmem_fork_prepare.  The kmem
 *    layer calls into vmem, never the reverse under a lock, so kmem's
 *    locks come before all of these.  vm_qcache[] is written once per slot
 *    (release) and read without a lock (acquire).
 *
 * 9. fork.  vmem_fork_prepare() takes vmem_list_lock, every arena's
 *    vm_lock in list order, then vmem_segpool_lock, so that the child gets
 *    consistent arenas; vmem_fork_parent() drops them; vmem_fork_child()
 *    initialises them afresh (the threads that could own them are gone).
 *    kmem's fork handlers call these after locking kmem's own state.
 *
 * 10. Statistics and checking.  vm_kstat counts bytes in use, in spans and
 *    imported, and allocations, frees and failures, all under vm_lock.
 *    vmem_verify() checks the whole arena against the rules above and
 *    prints the first broken one.
 *
 * VM_SLEEP and VM_NOSLEEP behave alike here: on failure vmem returns NULL,
 * and kmem (which knows whether the caller may wait) decides what to do.
 */
#include <string.h>

#include "slabtrace_impl.h"

/* Tunables. */
#define VMEM_SEG_CHUNK          (64 * 1024)  /* seg pool refill, bytes */
#define VMEM_SEGS_PER_OP        4       /* most segs one alloc can create */
#define VMEM_ARENAS_STATIC      32      /* arenas before mapping more */
#define VMEM_ARENA_CHUNK        (16 * ST_PAGESIZE)  /* arenas mapped after */
#define VMEM_HASH_MULT          0x9e3779b97f4a7c15ULL  /* 2^64 / phi */

#define VMC_MASK        (VMC_POPULATOR | VMC_NO_QCACHE | VMC_RETAIN)
#define VMEM_POLICY     (VM_BESTFIT | VM_FIRSTFIT | VM_NEXTFIT)
#define VMEM_FIT_SCAN   16      /* the default policy's best fit looks at */
#define VS_SIZE(vsp)    ((vsp)->vs_end - (vsp)->vs_start)

/* One allocation request, normalised (vmem_req_init, vmem_xalloc). */
typedef struct vmem_req {
	size_t vr_size;                 /* bytes, a multiple of the quantum */
	size_t vr_align;                /* power of two >= quantum */
	size_t vr_phase;                /* addr % align == phase */
	size_t vr_nocross;              /* 0, or boundary not to cross */
	uintptr_t vr_minaddr;           /* lowest acceptable address */
	uintptr_t vr_maxaddr;           /* end must be <= this */
	int vr_vmflag;
	uintptr_t *vr_dirty;            /* out: its part that may hold data */
} vmem_req_t;

/* Segments reserved for one operation (section 7). */
typedef struct vmem_segres {
	vmem_seg_t *vsr_head;           /* chained on vs_knext */
	int vsr_count;
} vmem_segres_t;

/* A span to give back to the source once vm_lock is dropped. */
typedef struct vmem_release {
	uintptr_t vrl_addr;
	size_t vrl_size;                /* 0: nothing to give back */
} vmem_release_t;

vmem_t *vmem_list;
static st_lock_t vmem_list_lock = ST_LOCK_INITIALIZER;
static uint32_t vmem_next_id;
static vmem_t vmem_arena0[VMEM_ARENAS_STATIC];
static uint32_t vmem_arena0_used;
static vmem_t *vmem_arena_free;         /* destroyed arenas, on vm_next */

static st_lock_t vmem_segpool_lock = ST_LOCK_INITIALIZER;
static vmem_seg_t *vmem_segpool;       /* the pool, on vs_knext */
static uint64_t vmem_segpool_nfree;
static uint64_t vmem_segpool_total;         /* ever carved */
static vmem_seg_t *vmem_segpool_fresh;  /* the newest chunk's uncarved */
static vmem_seg_t *vmem_segpool_end;    /* ... segments, up to here */

static inline int
vmem_highbit(uint64_t x)
{
	return (x == 0 ? 0 : 64 - __builtin_clzll(x));
}

/* ------------------------------------------------------------------------
 * The segment pool (section 7).
 */

/*
 * Carve a page's worth of segments into the pool from the newest chunk,
 * mapping a new chunk when it is used up, so that the chunk's pages are
 * touched only as the pool needs them (a small program uses a few dozen
 * segments: linking the whole chunk cost 64 KB of RSS); vmem_segpool_lock
 * held.
 */
static int
vmem_seg_refill(void)
{
	size_t i, n = ST_PAGESIZE / sizeof (vmem_seg_t);

	if (vmem_segpool_fresh == vmem_segpool_end) {
		vmem_seg_t *chunk = st_os_map(VMEM_SEG_CHUNK, ST_PAGESIZE);

		if (chunk == NULL)
			return (0);
		vmem_segpool_fresh = chunk;
		vmem_segpool_end = chunk + VMEM_SEG_CHUNK / sizeof (vmem_seg_t);
	}
	n = ST_MAX(ST_MIN(n, (size_t)(vmem_segpool_end - vmem_segpool_fresh)),
	    (size_t)1);
	for (i = 0; i < n; i++) {
		vmem_segpool_fresh[i].vs_knext = vmem_segpool;
		vmem_segpool = &vmem_segpool_fresh[i];
	}
	vmem_segpool_fresh += n;
	vmem_segpool_nfree += n;
	vmem_segpool_total += n;
	return (1);
}

/* Move segments from the pool to res until it holds n; 1 if it does. */
static int
vmem_seg_reserve(vmem_segres_t *res, int n)
{
	st_lock(&vmem_segpool_lock);
	while (res->vsr_count < n &&
	    (vmem_segpool != NULL || vmem_seg_refill())) {
		vmem_seg_t *vsp = vmem_segpool;

		vmem_segpool = vsp->vs_knext;
		vmem_segpool_nfree--;
		vsp->vs_knext = res->vsr_head;
		res->vsr_head = vsp;
		res->vsr_count++;
	}
	st_unlock(&vmem_segpool_lock);
	return (res->vsr_count >= n);
}

/* Give every segment left in res back to the pool. */
static void
vmem_seg_unreserve(vmem_segres_t *res)
{
	vmem_seg_t *tail = res->vsr_head;

	if (tail == NULL)
		return;
	while (tail->vs_knext != NULL)
		tail = tail->vs_knext;
	st_lock(&vmem_segpool_lock);
	tail->vs_knext = vmem_segpool;
	vmem_segpool = res->vsr_head;
	vmem_segpool_nfree += (uint64_t)res->vsr_count;
	st_unlock(&vmem_segpool_lock);
	res->vsr_head = NULL;
	res->vsr_count = 0;
}

static vmem_seg_t *
vmem_seg_take(vmem_segres_t *res)
{
	vmem_seg_t *vsp = res->vsr_head;

	ST_ASSERT(vsp != NULL);
	res->vsr_head = vsp->vs_knext;
	res->vsr_count--;
	memset(vsp, 0, sizeof (*vsp));
	return (vsp);
}

static void
vmem_seg_give(vmem_segres_t *res, vmem_seg_t *vsp)
{
	vsp->vs_type = 0;       /* a stale pointer to it now fails checks */
	vsp->vs_anext = vsp->vs_aprev = vsp->vs_kprev = NULL;
	vsp->vs_knext = res->vsr_head;
	res->vsr_head = vsp;
	res->vsr_count++;
}

/* ------------------------------------------------------------------------
 * The arena list and the span list (section 2).
 */

static void
vmem_alist_insert_after(vmem_seg_t *prev, vmem_seg_t *vsp)
{
	vsp->vs_aprev = prev;
	vsp->vs_anext = prev->vs_anext;
	prev->vs_anext->vs_aprev = vsp;
	prev->vs_anext = vsp;
}

static void
vmem_alist_remove(vmem_seg_t *vsp)
{
	vsp->vs_aprev->vs_anext = vsp->vs_anext;
	vsp->vs_anext->vs_aprev = vsp->vs_aprev;
	vsp->vs_anext = vsp->vs_aprev = NULL;
}

static void
vmem_slist_insert_before(vmem_seg_t *next, vmem_seg_t *span)
{
	span->vs_knext = next;
	span->vs_kprev = next->vs_kprev;
	next->vs_kprev->vs_knext = span;
	next->vs_kprev = span;
}

static void
vmem_slist_remove(vmem_seg_t *span)
{
	span->vs_kprev->vs_knext = span->vs_knext;
	span->vs_knext->vs_kprev = span->vs_kprev;
	span->vs_knext = span->vs_kprev = NULL;
}

/* The span tree (section 2).  Its depth is O(log n) in expectation. */
static inline uint64_t
vmem_span_prio(const vmem_seg_t *span)
{
	uint64_t x = span->vs_start;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31));
}

static vmem_seg_t *
vmem_span_tree_insert(vmem_seg_t *root, vmem_seg_t *span)
{
	vmem_seg_t *child;

	if (root == NULL) {
		span->vs_tleft = span->vs_tright = NULL;
		return (span);
	}
	if (span->vs_start < root->vs_start) {
		child = root->vs_tleft = vmem_span_tree_insert(root->vs_tleft,
		    span);
		if (vmem_span_prio(child) > vmem_span_prio(root)) {
			root->vs_tleft = child->vs_tright;
			child->vs_tright = root;
			return (child);
		}
	} else {
		child = root->vs_tright = vmem_span_tree_insert(
		    root->vs_tright, span);
		if (vmem_span_prio(child) > vmem_span_prio(root)) {
			root->vs_tright = child->vs_tleft;
			child->vs_tleft = root;
			return (child);
		}
	}
	return (root);
}

/* Join two trees, every span of lo being below every span of hi. */
static vmem_seg_t *
vmem_span_tree_join(vmem_seg_t *lo, vmem_seg_t *hi)
{
	if (lo == NULL)
		return (hi);
	if (hi == NULL)
		return (lo);
	if (vmem_span_prio(lo) > vmem_span_prio(hi)) {
		lo->vs_tright = vmem_span_tree_join(lo->vs_tright, hi);
		return (lo);
	}
	hi->vs_tleft = vmem_span_tree_join(lo, hi->vs_tleft);
	return (hi);
}

static vmem_seg_t *
vmem_span_tree_remove(vmem_seg_t *root, vmem_seg_t *span)
{
	if (root == span)
		return (vmem_span_tree_join(span->vs_tleft, span->vs_tright));
	if (span->vs_start < root->vs_start)
		root->vs_tleft = vmem_span_tree_remove(root->vs_tleft, span);
	else
		root->vs_tright = vmem_span_tree_remove(root->vs_tright, span);
	return (root);
}

/* The last span starting at or below addr; NULL if none. */
static vmem_seg_t *
vmem_span_below(const vmem_t *vmp, uintptr_t addr)
{
	vmem_seg_t *t = vmp->vm_span_tree, *best = NULL;

	while (t != NULL) {
		if (t->vs_start <= addr) {
			best = t;
			t = t->vs_tright;
		} else {
			t = t->vs_tleft;
		}
	}
	return (best);
}

/*
 * The rotor (section 3) has an address, vs_start: where the next next-fit
 * search begins.  It sits on the arena list before the first segment that
 * ends after that address, and never directly after a span segment.
 */

/* After a next-fit allocation vsp: the rotor goes just past it. */
static void
vmem_rotor_place(vmem_t *vmp, vmem_seg_t *vsp)
{
	vmem_seg_t *rotor = &vmp->vm_rotor;

	ST_ASSERT(vsp->vs_type != VMEM_SPAN);
	vmem_alist_remove(rotor);
	vmem_alist_insert_after(vsp, rotor);
	rotor->vs_start = rotor->vs_end = vsp->vs_end;
}

/*
 * Put the (unlinked) rotor back next to free segment vsp, which a free has
 * just merged across the rotor's place: before vsp if its address is
 * inside it (the search then starts there, at the address), else after.
 */
static void
vmem_rotor_replace(vmem_t *vmp, vmem_seg_t *vsp)
{
	vmem_seg_t *rotor = &vmp->vm_rotor, *prev = vsp->vs_aprev;

	if (rotor->vs_start >= vsp->vs_end) {
		vmem_alist_insert_after(vsp, rotor);
		return;
	}
	if (prev->vs_type == VMEM_SPAN)
		prev = prev->vs_aprev;
	vmem_alist_insert_after(prev, rotor);
}

/* ------------------------------------------------------------------------
 * The freelists (section 3).
 */

static inline int
vmem_freelist_index(uint64_t size)
{
	return (vmem_highbit(size) - 1);
}

/* The first segment of the lowest non-empty list in map. */
static inline vmem_seg_t *
vmem_freelist_first(vmem_t *vmp, uint64_t map)
{
	return (vmp->vm_freelist[__builtin_ctzll(map)].vs_knext);
}

static void
vmem_freelist_insert(vmem_t *vmp, vmem_seg_t *vsp)
{
	int i = vmem_freelist_index(VS_SIZE(vsp));
	vmem_freelist_t *fl = &vmp->vm_freelist[i];

	vsp->vs_type = VMEM_FREE_SEG;
	vsp->vs_kprev = NULL;
	vsp->vs_knext = fl->vs_knext;
	if (fl->vs_knext != NULL)
		fl->vs_knext->vs_kprev = vsp;
	else
		fl->vs_kprev = vsp;
	fl->vs_knext = vsp;
	vmp->vm_freemap |= 1ULL << i;
}

/* Take vsp off its freelist; call before its size changes. */
static void
vmem_freelist_delete(vmem_t *vmp, vmem_seg_t *vsp)
{
	int i = vmem_freelist_index(VS_SIZE(vsp));
	vmem_freelist_t *fl = &vmp->vm_freelist[i];

	ST_ASSERT(vsp->vs_type == VMEM_FREE_SEG);
	if (vsp->vs_kprev != NULL)
		vsp->vs_kprev->vs_knext = vsp->vs_knext;
	else
		fl->vs_knext = vsp->vs_knext;
	if (vsp->vs_knext != NULL)
		vsp->vs_knext->vs_kprev = vsp->vs_kprev;
	else
		fl->vs_kprev = vsp->vs_kprev;
	if (fl->vs_knext == NULL)
		vmp->vm_freemap &= ~(1ULL << i);
	vsp->vs_knext = vsp->vs_kprev = NULL;
}

/* ------------------------------------------------------------------------
 * The allocated-segment hash (section 4).
 */

static inline vmem_seg_t **
vmem_hash_bucket(const vmem_t *vmp, uintptr_t addr)
{
	uint64_t h = (uint64_t)(addr >> vmp->vm_hash_shift) * VMEM_HASH_MULT;
	int bits = vmem_highbit(vmp->vm_hash_mask);

	return (&vmp->vm_hash_table[h >> (64 - bits)]);
}

static size_t
vmem_hash_bytes(uint64_t nbuckets)
{
	return (ST_P2ROUNDUP(nbuckets * sizeof (vmem_seg_t *), ST_PAGESIZE));
}

/* Grow the table; on failure to map, keep the old one (just slower). */
static void
vmem_hash_rescale(vmem_t *vmp)
{
	uint64_t oldn = vmp->vm_hash_mask + 1, i;
	uint64_t newn = ST_MAX(oldn * 2, ST_PAGESIZE / sizeof (vmem_seg_t *));
	vmem_seg_t **old = vmp->vm_hash_table;
	vmem_seg_t **table = st_os_map(vmem_hash_bytes(newn), ST_PAGESIZE);

	if (table == NULL)
		return;
	vmp->vm_hash_table = table;
	vmp->vm_hash_mask = newn - 1;
	for (i = 0; i < oldn; i++) {
		vmem_seg_t *vsp, *next;

		for (vsp = old[i]; vsp != NULL; vsp = next) {
			vmem_seg_t **bucket = vmem_hash_bucket(vmp,
			    vsp->vs_start);

			next = vsp->vs_knext;
			vsp->vs_knext = *bucket;
			*bucket = vsp;
		}
	}
	if (old != vmp->vm_hash0)
		st_os_unmap(old, vmem_hash_bytes(oldn));
}

static void
vmem_hash_insert(vmem_t *vmp, vmem_seg_t *vsp)
{
	vmem_seg_t **bucket = vmem_hash_bucket(vmp, vsp->vs_start);

	vsp->vs_type = VMEM_ALLOC_SEG;
	vsp->vs_kprev = NULL;
	vsp->vs_knext = *bucket;
	*bucket = vsp;
	if (++vmp->vm_hash_count > 2 * (vmp->vm_hash_mask + 1))
		vmem_hash_rescale(vmp);
}

/* The link that points at the allocated segment starting at addr. */
static vmem_seg_t **
vmem_hash_find(vmem_t *vmp, uintptr_t addr)
{
	vmem_seg_t **link = vmem_hash_bucket(vmp, addr);

	while (*link != NULL && (*link)->vs_start != addr)
		link = &(*link)->vs_knext;
	return (link);
}

/* ------------------------------------------------------------------------
 * Spans (sections 2 and 5).
 */

/* Create a span [start, start + size) and its one free segment. */
static vmem_seg_t *
vmem_span_create(vmem_t *vmp, uintptr_t start, size_t size, int import,
    vmem_segres_t *res)
{
	vmem_seg_t *prev = vmem_span_below(vmp, start), *span, *vsp;
	vmem_seg_t *next = prev != NULL ? prev->vs_knext :
	    vmp->vm_seg0.vs_knext;

	if (prev != NULL && prev->vs_start == start)
		next = prev;            /* an overlap, said below */
	if ((next != &vmp->vm_seg0 && next->vs_start < start + size) ||
	    (next->vs_kprev != &vmp->vm_seg0 &&
	    next->vs_kprev->vs_end > start)) {
		st_unlock(&vmp->vm_lock);
		st_panic("vmem_add(%s, %p, %zu): overlaps another span",
		    vmp->vm_name, (void *)start, size);
	}
	span = vmem_seg_take(res);
	vsp = vmem_seg_take(res);
	span->vs_start = vsp->vs_start = start;
	span->vs_end = vsp->vs_end = start + size;
	span->vs_type = VMEM_SPAN;
	span->vs_import = (uint8_t)import;
	vmem_slist_insert_before(next, span);
	vmp->vm_span_tree = vmem_span_tree_insert(vmp->vm_span_tree, span);
	vmem_alist_insert_after(next->vs_aprev, span);
	vmem_alist_insert_after(span, vsp);
	vmem_freelist_insert(vmp, vsp);
	vmp->vm_kstat.vk_mem_total += size;
	if (import)
		vmp->vm_kstat.vk_mem_import += size;
	return (vsp);
}

/* vsp is free and covers its whole span: unlink both; returns the span. */
static vmem_seg_t *
vmem_span_destroy(vmem_t *vmp, vmem_seg_t *vsp, vmem_segres_t *res)
{
	vmem_seg_t *span = vsp->vs_aprev;

	ST_ASSERT(span->vs_type == VMEM_SPAN);
	vmem_freelist_delete(vmp, vsp);
	vmem_alist_remove(vsp);
	vmem_seg_give(res, vsp);
	vmem_alist_remove(span);
	vmp->vm_span_tree = vmem_span_tree_remove(vmp->vm_span_tree, span);
	vmem_slist_remove(span);
	vmp->vm_kstat.vk_mem_total -= VS_SIZE(span);
	if (span->vs_import)
		vmp->vm_kstat.vk_mem_import -= VS_SIZE(span);
	return (span);
}

/* True if free segment vsp is a whole imported span we may give back. */
static int
vmem_span_releasable(const vmem_t *vmp, const vmem_seg_t *vsp, int reaping)
{
	const vmem_seg_t *span = vsp->vs_aprev;

	if (vmp->vm_source_free == NULL ||
	    (!reaping && (vmp->vm_cflags & VMC_RETAIN)))
		return (0);
	return (vsp->vs_type == VMEM_FREE_SEG && span->vs_type == VMEM_SPAN &&
	    span->vs_import && span->vs_start == vsp->vs_start &&
	    span->vs_end == vsp->vs_end);
}

/* If vsp is a releasable whole span, take it out and note it in rel. */
static void
vmem_span_release_check(vmem_t *vmp, vmem_seg_t *vsp, vmem_segres_t *res,
    vmem_release_t *rel)
{
	vmem_seg_t *span;

	if (!vmem_span_releasable(vmp, vsp, 0))
		return;
	span = vmem_span_destroy(vmp, vsp, res);
	rel->vrl_addr = span->vs_start;
	rel->vrl_size = VS_SIZE(span);
	vmem_seg_give(res, span);
}

/* Give a span back to the source; vm_lock not held. */
static void
vmem_release(vmem_t *vmp, const vmem_release_t *rel)
{
	if (rel->vrl_size != 0)
		vmp->vm_source_free(vmp->vm_source, (void *)rel->vrl_addr,
		    rel->vrl_size);
}

/* ------------------------------------------------------------------------
 * Finding a segment (section 3).
 */

/* The lowest address >= x that is phase mod align (power of two). */
static inline uintptr_t
vmem_phaseup(uintptr_t x, size_t align, size_t phase)
{
	return (phase - ((phase - x) & -(uintptr_t)align));
}

static inline int
vmem_crosses(uintptr_t addr, size_t size, size_t nocross)
{
	return (((addr ^ (addr + size - 1)) & -(uintptr_t)nocross) != 0);
}

/* Does the request fit in free segment vsp?  If so, where: *addrp. */
static int
vmem_seg_fit(const vmem_seg_t *vsp, const vmem_req_t *rq, uintptr_t *addrp)
{
	uintptr_t start = ST_MAX(vsp->vs_start, rq->vr_minaddr);
	uintptr_t end = ST_MIN(vsp->vs_end, rq->vr_maxaddr);
	uintptr_t addr;

	if (start >= end || end - start < rq->vr_size)
		return (0);
	addr = vmem_phaseup(start, rq->vr_align, rq->vr_phase);
	if (addr < start)
		return (0);
	if (rq->vr_nocross != 0 &&
	    vmem_crosses(addr, rq->vr_size, rq->vr_nocross)) {
		addr = vmem_phaseup(ST_P2ROUNDUP(addr, rq->vr_nocross),
		    rq->vr_align, rq->vr_phase);
		if (addr < start ||
		    vmem_crosses(addr, rq->vr_size, rq->vr_nocross))
			return (0);
	}
	if (addr > end || end - addr < rq->vr_size)
		return (0);
	*addrp = addr;
	return (1);
}

/* Instant fit: the head of the lowest list whose segments all fit. */
static vmem_seg_t *
vmem_search_instant(vmem_t *vmp, const vmem_req_t *rq, uintptr_t *addrp)
{
	size_t esize = rq->vr_size + (rq->vr_align - vmp->vm_quantum);
	int i = vmem_highbit(esize) - (ST_ISP2(esize) ? 1 : 0);
	uint64_t map;

	if (esize < rq->vr_size || i >= VMEM_FREELISTS)
		return (NULL);
	for (map = vmp->vm_freemap & (~0ULL << i); map != 0; map &= map - 1) {
		vmem_seg_t *vsp = vmem_freelist_first(vmp, map);

		if (vmem_seg_fit(vsp, rq, addrp))
			return (vsp);
	}
	return (NULL);
}

/*
 * First fit (best == 0) or best fit through the lists, lowest first,
 * looking at no more than `scan` segments (SIZE_MAX: all of them).
 */
static vmem_seg_t *
vmem_search_lists(vmem_t *vmp, const vmem_req_t *rq, uintptr_t *addrp,
    int best, size_t scan)
{
	int first = vmem_freelist_index(rq->vr_size);
	uint64_t map;

	for (map = vmp->vm_freemap & (~0ULL << first); map != 0;
	    map &= map - 1) {
		vmem_seg_t *vsp = vmem_freelist_first(vmp, map);
		vmem_seg_t *found = NULL;
		uintptr_t addr, found_addr = 0;

		for (; vsp != NULL && scan != 0; vsp = vsp->vs_knext, scan--) {
			if (!vmem_seg_fit(vsp, rq, &addr))
				continue;
			if (!best) {
				*addrp = addr;
				return (vsp);
			}
			if (found == NULL || VS_SIZE(vsp) < VS_SIZE(found)) {
				found = vsp;
				found_addr = addr;
			}
		}
		if (found != NULL) {
			*addrp = found_addr;
			return (found);
		}
	}
	return (NULL);
}

/* Fit in the part of vsp at or after address from. */
static int
vmem_seg_fit_from(const vmem_seg_t *vsp, const vmem_req_t *rq,
    uintptr_t from, uintptr_t *addrp)
{
	vmem_req_t after = *rq;

	after.vr_minaddr = ST_MAX(rq->vr_minaddr, from);
	return (vmem_seg_fit(vsp, &after, addrp));
}

/*
 * Next fit: the first fit at or after the rotor's address, in address
 * order, wrapping around; last, the part of the free segment that holds
 * the rotor's address below it.
 */
static vmem_seg_t *
vmem_search_rotor(vmem_t *vmp, const vmem_req_t *rq, uintptr_t *addrp)
{
	vmem_seg_t *rotor = &vmp->vm_rotor, *vsp, *split = NULL;
	uintptr_t raddr = rotor->vs_start;

	for (vsp = rotor->vs_anext; vsp != rotor; vsp = vsp->vs_anext) {
		if (vsp->vs_type != VMEM_FREE_SEG)
			continue;
		if (raddr > vsp->vs_start && raddr < vsp->vs_end) {
			split = vsp;
			if (vmem_seg_fit_from(vsp, rq, raddr, addrp))
				return (vsp);
		} else if (vmem_seg_fit(vsp, rq, addrp)) {
			return (vsp);
		}
	}
	if (split != NULL && vmem_seg_fit(split, rq, addrp))
		return (split);
	return (NULL);
}

static vmem_seg_t *
vmem_search(vmem_t *vmp, const vmem_req_t *rq, uintptr_t *addrp)
{
	int policy = rq->vr_vmflag & VMEM_POLICY;
	vmem_seg_t *vsp;

	vmp->vm_kstat.vk_search++;
	if (policy & VM_NEXTFIT)
		return (vmem_search_rotor(vmp, rq, addrp));
	if (policy & VM_BESTFIT)
		return (vmem_search_lists(vmp, rq, addrp, 1, SIZE_MAX));
	if (!(policy & VM_FIRSTFIT) && ((vsp = vmem_search_lists(vmp, rq,
	    addrp, 1, VMEM_FIT_SCAN)) != NULL ||
	    (vsp = vmem_search_instant(vmp, rq, addrp)) != NULL))
		return (vsp);
	return (vmem_search_lists(vmp, rq, addrp, 0, SIZE_MAX));
}

/* ------------------------------------------------------------------------
 * Allocating and freeing segments, vm_lock held.
 */

/*
 * Section 5.  vs_dirty's flags feed vm_dirty's estimate, as they always
 * have; [vs_dlo, vs_dhi) says where the dirt is (0, 0: nowhere).
 */

/* Free segment vsp was just freed or imported (flags): dirty all over. */
static inline void
vmem_dirty_all(vmem_seg_t *vsp, uint8_t flags)
{
	vsp->vs_dirty = flags;
	vsp->vs_dlo = vsp->vs_start;
	vsp->vs_dhi = vsp->vs_end;
}

/* vsp, cut from a free segment whose dirt was copied in, keeps its own. */
static inline void
vmem_dirty_clip(vmem_seg_t *vsp)
{
	if (vsp->vs_dlo >= vsp->vs_dhi)
		return;
	vsp->vs_dlo = ST_MAX(vsp->vs_dlo, vsp->vs_start);
	vsp->vs_dhi = ST_MIN(vsp->vs_dhi, vsp->vs_end);
	if (vsp->vs_dlo >= vsp->vs_dhi)
		vsp->vs_dlo = vsp->vs_dhi = 0;
}

/* Free segment vsp takes in the dirt of its free neighbour from. */
static inline void
vmem_dirty_merge(vmem_seg_t *vsp, const vmem_seg_t *from)
{
	vsp->vs_dirty |= from->vs_dirty;
	if (from->vs_dlo >= from->vs_dhi)
		return;
	if (vsp->vs_dlo >= vsp->vs_dhi) {
		vsp->vs_dlo = from->vs_dlo;
		vsp->vs_dhi = from->vs_dhi;
	} else {
		vsp->vs_dlo = ST_MIN(vsp->vs_dlo, from->vs_dlo);
		vsp->vs_dhi = ST_MAX(vsp->vs_dhi, from->vs_dhi);
	}
}

/* The part of [addr, addr + size), in free segment vsp, that is dirty. */
static void
vmem_dirty_of(const vmem_seg_t *vsp, uintptr_t addr, size_t size,
    uintptr_t dirty[2])
{
	dirty[0] = dirty[1] = 0;
	if (vsp->vs_dlo < addr + size && addr < vsp->vs_dhi) {
		dirty[0] = ST_MAX(vsp->vs_dlo, addr);
		dirty[1] = ST_MIN(vsp->vs_dhi, addr + size);
	}
}

/* Carve [addr, addr + size) out of free segment vsp, which becomes it. */
static void
vmem_seg_alloc(vmem_t *vmp, vmem_seg_t *vsp, uintptr_t addr, size_t size,
    vmem_segres_t *res)
{
	vmem_freelist_delete(vmp, vsp);
	if (vsp->vs_dirty & VS_FREED) /* most likely its freed part (5.) */
		vmp->vm_dirty -= ST_MIN(vmp->vm_dirty, size);
	if (addr > vsp->vs_start) {
		vmem_seg_t *front = vmem_seg_take(res);

		front->vs_start = vsp->vs_start;
		front->vs_end = addr;
		front->vs_dirty = vsp->vs_dirty;
		front->vs_dlo = vsp->vs_dlo;
		front->vs_dhi = vsp->vs_dhi;
		vmem_dirty_clip(front);
		vsp->vs_start = addr;
		vmem_alist_insert_after(vsp->vs_aprev, front);
		vmem_freelist_insert(vmp, front);
	}
	if (addr + size < vsp->vs_end) {
		vmem_seg_t *back = vmem_seg_take(res);

		back->vs_start = addr + size;
		back->vs_end = vsp->vs_end;
		back->vs_dirty = vsp->vs_dirty;
		back->vs_dlo = vsp->vs_dlo;
		back->vs_dhi = vsp->vs_dhi;
		vmem_dirty_clip(back);
		vsp->vs_end = addr + size;
		vmem_alist_insert_after(vsp, back);
		vmem_freelist_insert(vmp, back);
	}
	vmem_hash_insert(vmp, vsp);
	vmp->vm_kstat.vk_alloc++;
	vmp->vm_kstat.vk_mem_inuse += size;
}

/* Absorb vsp's free neighbours into it (or it into its free prev). */
static vmem_seg_t *
vmem_seg_coalesce(vmem_t *vmp, vmem_seg_t *vsp, vmem_segres_t *res)
{
	vmem_seg_t *next = vsp->vs_anext, *prev = vsp->vs_aprev;

	if (next->vs_type == VMEM_FREE_SEG) {
		vmem_freelist_delete(vmp, next);
		vsp->vs_end = next->vs_end;
		vmem_dirty_merge(vsp, next);
		vmem_alist_remove(next);
		vmem_seg_give(res, next);
	}
	if (prev->vs_type == VMEM_FREE_SEG) {
		vmem_freelist_delete(vmp, prev);
		prev->vs_end = vsp->vs_end;
		vmem_dirty_merge(prev, vsp);
		vmem_alist_remove(vsp);
		vmem_seg_give(res, vsp);
		vsp = prev;
	}
	return (vsp);
}

/* Free allocated segment vsp (already out of the hash). */
static void
vmem_seg_free(vmem_t *vmp, vmem_seg_t *vsp, vmem_segres_t *res,
    vmem_release_t *rel)
{
	vmem_seg_t *rotor = &vmp->vm_rotor;
	int rotor_near = (vsp->vs_anext == rotor || vsp->vs_aprev == rotor);

	vmp->vm_kstat.vk_free++;
	vmp->vm_kstat.vk_mem_inuse -= VS_SIZE(vsp);
	vsp->vs_type = VMEM_FREE_SEG;
	vmem_dirty_all(vsp, VS_FREED); /* its pages may be committed (5.) */
	vmp->vm_dirty += VS_SIZE(vsp);
	/* The rotor must not sit between vsp and a neighbour it merges with. */
	if (rotor_near)
		vmem_alist_remove(rotor);
	vsp = vmem_seg_coalesce(vmp, vsp, res);
	if (rotor_near)
		vmem_rotor_replace(vmp, vsp);
	vmem_freelist_insert(vmp, vsp);
	vmem_span_release_check(vmp, vsp, res, rel);
}

/* ------------------------------------------------------------------------
 * Importing (section 5), vm_lock held on entry and return.
 */

static vmem_seg_t *
vmem_import(vmem_t *vmp, const vmem_req_t *rq, vmem_segres_t *res,
    uintptr_t *addrp, vmem_release_t *rel)
{
	size_t q = vmp->vm_quantum;
	size_t size = rq->vr_size + (rq->vr_align - q);
	vmem_seg_t *vsp;
	uintptr_t dirty[2] = { 0, 0 };
	int known = 0;
	void *va;

	if (size < rq->vr_size)
		return (NULL);
	size = ST_P2ROUNDUP(ST_MAX(size, vmp->vm_min_import), q);
	if (size == 0)
		return (NULL);
	st_unlock(&vmp->vm_lock);
	if (vmp->vm_source == NULL) {           /* the OS's: clean */
		va = vmp->vm_source_alloc(NULL, size,
		    rq->vr_vmflag & KM_VMFLAGS);
		known = 1;
	} else if (vmp->vm_source_alloc == vmem_alloc) {
		va = vmem_alloc_dirty(vmp->vm_source, size,
		    rq->vr_vmflag & KM_VMFLAGS, dirty);
		known = 1;
	} else {
		va = vmp->vm_source_alloc(vmp->vm_source, size,
		    rq->vr_vmflag & KM_VMFLAGS);
	}
	st_lock(&vmp->vm_lock);
	if (va == NULL)
		return (NULL);
	if (((uintptr_t)va & (q - 1)) != 0) {
		st_unlock(&vmp->vm_lock);
		st_panic("vmem_import(%s): source returned %p, not aligned "
		    "to quantum %zu", vmp->vm_name, va, q);
	}
	vsp = vmem_span_create(vmp, (uintptr_t)va, size, 1, res);
	/*
	 * From another arena, its pages may be committed; the OS's are not.
	 * Where: those the source knew may be, or any from elsewhere.
	 */
	vsp->vs_dirty = vmp->vm_source != NULL ? VS_IMPORTED : 0;
	if (!known) {
		vmem_dirty_all(vsp, VS_IMPORTED);
	} else if (dirty[0] < dirty[1]) {
		vsp->vs_dlo = dirty[0];
		vsp->vs_dhi = dirty[1];
	}
	st_wipe(dirty);
	if (vmem_seg_fit(vsp, rq, addrp))
		return (vsp);
	/* Constraints the new span cannot meet (e.g. nocross, a window). */
	vmem_span_release_check(vmp, vsp, res, rel);
	return (vmem_search(vmp, rq, addrp));
}

/* The whole allocator under vmem_alloc and vmem_xalloc. */
static void *
vmem_xalloc_impl(vmem_t *vmp, const vmem_req_t *rq)
{
	vmem_segres_t res = { NULL, 0 };
	vmem_release_t rel = { 0, 0 };
	int have_segs = vmem_seg_reserve(&res, VMEM_SEGS_PER_OP);
	vmem_seg_t *vsp = NULL;
	uintptr_t addr = 0;

	st_lock(&vmp->vm_lock);
	if (have_segs) {
		vsp = vmem_search(vmp, rq, &addr);
		if (vsp == NULL && vmp->vm_source_alloc != NULL)
			vsp = vmem_import(vmp, rq, &res, &addr, &rel);
	} else {
		vmp->vm_kstat.vk_populate_fail++;
	}
	if (vsp != NULL) {
		if (rq->vr_dirty != NULL)       /* before the carve: its dirt */
			vmem_dirty_of(vsp, addr, rq->vr_size, rq->vr_dirty);
		vmem_seg_alloc(vmp, vsp, addr, rq->vr_size, &res);
		if (rq->vr_vmflag & VM_NEXTFIT)
			vmem_rotor_place(vmp, vsp);
	} else {
		vmp->vm_kstat.vk_fail++;
	}
	st_unlock(&vmp->vm_lock);
	vmem_seg_unreserve(&res);
	vmem_release(vmp, &rel);
	return (vsp == NULL ? NULL : (void *)addr);
}

static void
vmem_fail(vmem_t *vmp)
{
	st_lock(&vmp->vm_lock);
	vmp->vm_kstat.vk_fail++;
	st_unlock(&vmp->vm_lock);
}

/* A plain request of size bytes; 0 if it cannot be satisfied at all. */
static int
vmem_req_init(const vmem_t *vmp, vmem_req_t *rq, size_t size, int vmflag)
{
	rq->vr_size = ST_P2ROUNDUP(size, (size_t)vmp->vm_quantum);
	rq->vr_align = vmp->vm_quantum;
	rq->vr_phase = 0;
	rq->vr_nocross = 0;
	rq->vr_minaddr = 0;
	rq->vr_maxaddr = UINTPTR_MAX;
	rq->vr_vmflag = vmflag;
	rq->vr_dirty = NULL;
	return (size != 0 && rq->vr_size >= size);
}

/* ------------------------------------------------------------------------
 * The public allocation interface.
 */

static inline kmem_cache_t *
vmem_qcache_get(vmem_t *vmp, size_t size)
{
	if (size - 1 >= vmp->vm_qcache_max)     /* also catches size 0 */
		return (NULL);
	return (__atomic_load_n(&vmp->vm_qcache[(size - 1) >> vmp->vm_qshift],
	    __ATOMIC_ACQUIRE));
}

void *
vmem_alloc(vmem_t *vmp, size_t size, int vmflag)
{
	kmem_cache_t *cp = vmem_qcache_get(vmp, size);
	vmem_req_t rq;

	if (cp != NULL)
		return (kmem_cache_alloc(cp, vmflag & KM_VMFLAGS));
	if (!vmem_req_init(vmp, &rq, size, vmflag)) {
		vmem_fail(vmp);
		return (NULL);
	}
	return (vmem_xalloc_impl(vmp, &rq));
}

void
vmem_free(vmem_t *vmp, void *addr, size_t size)
{
	kmem_cache_t *cp = vmem_qcache_get(vmp, size);

	if (cp != NULL)
		kmem_cache_free(cp, addr);
	else if (size != 0)
		vmem_xfree(vmp, addr, size);
}

/* Normalise and check vmem_xalloc's constraints; 0 if they are bad. */
static int
vmem_xreq_init(const vmem_t *vmp, vmem_req_t *rq, size_t align,
    size_t phase, size_t nocross, void *minaddr, void *maxaddr)
{
	size_t q = vmp->vm_quantum;

	rq->vr_align = ST_MAX(align, q);
	rq->vr_phase = phase;
	rq->vr_nocross = nocross;
	rq->vr_minaddr = ST_P2ROUNDUP((uintptr_t)minaddr, (uintptr_t)q);
	rq->vr_maxaddr = maxaddr == NULL ? UINTPTR_MAX :
	    ST_P2ALIGN((uintptr_t)maxaddr, (uintptr_t)q);
	if (!ST_ISP2(rq->vr_align) || (phase & (q - 1)) != 0 ||
	    phase >= rq->vr_align)
		return (0);
	if (nocross != 0 && (!ST_ISP2(nocross) || rq->vr_align > nocross ||
	    rq->vr_size > nocross - phase))
		return (0);
	return (maxaddr == NULL || (uintptr_t)minaddr < (uintptr_t)maxaddr);
}

void *
vmem_xalloc(vmem_t *vmp, size_t size, size_t align, size_t phase,
    size_t nocross, void *minaddr, void *maxaddr, int vmflag)
{
	vmem_req_t rq;

	if (!vmem_req_init(vmp, &rq, size, vmflag)) {
		vmem_fail(vmp);
		return (NULL);
	}
	if (!vmem_xreq_init(vmp, &rq, align, phase, nocross, minaddr,
	    maxaddr))
		st_panic("vmem_xalloc(%s, %zu, align %zu, phase %zu, nocross "
		    "%zu, %p, %p): bad parameters", vmp->vm_name, size, align,
		    phase, nocross, minaddr, maxaddr);
	return (vmem_xalloc_impl(vmp, &rq));
}

/*
 * vmem_alloc, leaving in dirty[0..1] the part of the segment that may
 * hold data (section 5; empty: dirty[0] == dirty[1]): the rest was never
 * written since the OS gave it or took it back, and reads as zeros
 * (calloc).  A size the quantum caches serve is all dirty.
 */
void *
vmem_alloc_dirty(vmem_t *vmp, size_t size, int vmflag, uintptr_t dirty[2])
{
	vmem_req_t rq;
	void *va;

	if (vmem_qcache_get(vmp, size) != NULL) {  /* freed through it */
		va = vmem_alloc(vmp, size, vmflag);
		dirty[0] = (uintptr_t)va;
		dirty[1] = (uintptr_t)va + (va != NULL ? size : 0);
		return (va);
	}
	dirty[0] = dirty[1] = 0;
	if (!vmem_req_init(vmp, &rq, size, vmflag)) {
		vmem_fail(vmp);
		return (NULL);
	}
	rq.vr_dirty = dirty;
	return (vmem_xalloc_impl(vmp, &rq));
}

void
vmem_xfree(vmem_t *vmp, void *vaddr, size_t size)
{
	vmem_segres_t res = { NULL, 0 };
	vmem_release_t rel = { 0, 0 };
	size_t rsize = ST_P2ROUNDUP(size, (size_t)vmp->vm_quantum);
	vmem_seg_t **link, *vsp;

	st_lock(&vmp->vm_lock);
	vmp->vm_kstat.vk_lookup++;
	link = vmem_hash_find(vmp, (uintptr_t)vaddr);
	vsp = *link;
	if (vsp == NULL || VS_SIZE(vsp) != rsize || rsize < size) {
		st_unlock(&vmp->vm_lock);
		st_panic("vmem_xfree(%s, %p, %zu): bad free", vmp->vm_name,
		    vaddr, size);
	}
	*link = vsp->vs_knext;
	vmp->vm_hash_count--;
	vmem_seg_free(vmp, vsp, &res, &rel);
	st_unlock(&vmp->vm_lock);
	vmem_seg_unreserve(&res);
	vmem_release(vmp, &rel);
}

void *
vmem_add(vmem_t *vmp, void *vaddr, size_t size, int vmflag)
{
	vmem_segres_t res = { NULL, 0 };
	uintptr_t addr = (uintptr_t)vaddr, q = vmp->vm_quantum;

	(void) vmflag;
	if (size == 0 || ((addr | size) & (q - 1)) != 0 || addr + size < addr)
		st_panic("vmem_add(%s, %p, %zu): bad span", vmp->vm_name,
		    vaddr, size);
	if (!vmem_seg_reserve(&res, 2)) {
		vmem_seg_unreserve(&res);
		st_lock(&vmp->vm_lock);
		vmp->vm_kstat.vk_populate_fail++;
		st_unlock(&vmp->vm_lock);
		return (NULL);
	}
	st_lock(&vmp->vm_lock);
	(void) vmem_span_create(vmp, addr, size, 0, &res);
	st_unlock(&vmp->vm_lock);
	vmem_seg_unreserve(&res);
	return (vaddr);
}

/* The next segment after vsp on the arena list, stepping over the rotor. */
static vmem_seg_t *
vmem_seg_next(vmem_t *vmp, vmem_seg_t *vsp)
{
	vmem_seg_t *next = vsp->vs_anext;

	return (next == &vmp->vm_rotor ? next->vs_anext : next);
}

/* Grow allocated vsp by delta bytes taken from free segment next. */
static void
vmem_seg_grow(vmem_t *vmp, vmem_seg_t *vsp, vmem_seg_t *next, size_t delta,
    vmem_segres_t *res)
{
	vmem_freelist_delete(vmp, next);
	vsp->vs_end += delta;
	next->vs_start += delta;
	vmem_dirty_clip(next);
	if (next->vs_start == next->vs_end) {
		vmem_alist_remove(next);
		vmem_seg_give(res, next);
	} else {
		vmem_freelist_insert(vmp, next);
	}
	vmp->vm_kstat.vk_mem_inuse += delta;
}

void *
vmem_extend_try(vmem_t *vmp, void *addr, size_t oldsize, size_t newsize)
{
	vmem_segres_t res = { NULL, 0 };
	size_t q = vmp->vm_quantum;
	size_t oldr = ST_P2ROUNDUP(oldsize, q), newr = ST_P2ROUNDUP(newsize, q);
	vmem_seg_t *vsp, *next;
	void *ret = NULL;

	if (newr < newsize || newr < oldr || oldr == 0)
		return (NULL);
	st_lock(&vmp->vm_lock);
	vmp->vm_kstat.vk_lookup++;
	vsp = *vmem_hash_find(vmp, (uintptr_t)addr);
	if (vsp != NULL && VS_SIZE(vsp) == oldr) {
		next = vmem_seg_next(vmp, vsp);
		if (newr == oldr) {
			ret = addr;
		} else if (next->vs_type == VMEM_FREE_SEG &&
		    VS_SIZE(next) >= newr - oldr) {
			vmem_seg_grow(vmp, vsp, next, newr - oldr, &res);
			ret = addr;
		}
	}
	st_unlock(&vmp->vm_lock);
	vmem_seg_unreserve(&res);
	return (ret);
}

size_t
vmem_size(vmem_t *vmp, int typemask)
{
	uint64_t inuse, total, size = 0;

	st_lock(&vmp->vm_lock);
	inuse = vmp->vm_kstat.vk_mem_inuse;
	total = vmp->vm_kstat.vk_mem_total;
	st_unlock(&vmp->vm_lock);
	if (typemask & VMEM_ALLOC)
		size += inuse;
	if (typemask & VMEM_FREE)
		size += total - inuse;
	return ((size_t)size);
}

int
vmem_contains(vmem_t *vmp, void *vaddr, size_t size)
{
	uintptr_t addr = (uintptr_t)vaddr;
	vmem_seg_t *span;
	int found = 0;

	st_lock(&vmp->vm_lock);
	vmp->vm_kstat.vk_contains++;
	vmp->vm_kstat.vk_contains_search++;
	span = vmem_span_below(vmp, addr);
	found = span != NULL && addr < span->vs_end &&
	    size <= span->vs_end - addr;
	st_unlock(&vmp->vm_lock);
	return (found);
}

/*
 * The leak check's walk (leakcheck.c): fn for every allocated segment, in
 * address order, with only a try of vm_lock (the other threads are
 * stopped, one perhaps holding it).  0 if the lock was busy.
 */
int
vmem_walk_alloc(vmem_t *vmp, void (*fn)(uintptr_t, uintptr_t, void *),
    void *arg)
{
	vmem_seg_t *vsp;

	if (!st_trylock(&vmp->vm_lock))
		return (0);
	for (vsp = vmp->vm_seg0.vs_anext; vsp != &vmp->vm_seg0;
	    vsp = vsp->vs_anext)
		if (vsp->vs_type == VMEM_ALLOC_SEG)
			fn(vsp->vs_start, vsp->vs_end, arg);
	st_unlock(&vmp->vm_lock);
	return (1);
}

size_t
vmem_reap_spans(vmem_t *vmp)
{
	vmem_segres_t res = { NULL, 0 };
	vmem_seg_t *span, *next, *reaped = NULL;
	size_t total = 0;

	st_lock(&vmp->vm_lock);
	for (span = vmp->vm_seg0.vs_knext; span != &vmp->vm_seg0;
	    span = next) {
		next = span->vs_knext;
		if (!vmem_span_releasable(vmp, span->vs_anext, 1))
			continue;
		span = vmem_span_destroy(vmp, span->vs_anext, &res);
		span->vs_knext = reaped;
		reaped = span;
	}
	st_unlock(&vmp->vm_lock);
	for (span = reaped; span != NULL; span = next) {
		next = span->vs_knext;
		vmp->vm_source_free(vmp->vm_source, (void *)span->vs_start,
		    VS_SIZE(span));
		total += VS_SIZE(span);
		vmem_seg_give(&res, span);
	}
	vmem_seg_unreserve(&res);
	return (total);
}

/* ------------------------------------------------------------------------
 * Quantum caches (section 6).
 */

/*
 * Give the pages of every dirty free segment of at least minsize bytes
 * back to the OS, keeping the addresses (the arena's free space stays
 * mapped but costs no memory; it reads as zeros when reused), in address
 * order until maxbytes of freed ones (VS_FREED, section 5) are gone
 * (SIZE_MAX: all).  It makes a system call per such segment, under
 * vm_lock: for reaps, and for the oversize arena's purges (kmem.c,
 * section 3).  Returns the freed segments' bytes decommitted.
 */
size_t
vmem_decommit_free(vmem_t *vmp, size_t minsize, size_t maxbytes)
{
	vmem_seg_t *vsp;
	size_t total = 0;

	st_lock(&vmp->vm_lock);
	for (vsp = vmp->vm_seg0.vs_anext; vsp != &vmp->vm_seg0 &&
	    total < maxbytes; vsp = vsp->vs_anext) {
		uintptr_t start = ST_P2ROUNDUP(vsp->vs_start, ST_PAGESIZE);
		uintptr_t end = ST_P2ALIGN(vsp->vs_end, ST_PAGESIZE);

		if (vsp->vs_type != VMEM_FREE_SEG || !vsp->vs_dirty ||
		    end <= start || end - start < minsize)
			continue;
		if (st_os_decommit((void *)start, end - start) != 0)
			continue;       /* locked pages: still dirty */
		if (vsp->vs_dirty & VS_FREED)
			total += end - start;
		vsp->vs_dirty = 0;
		/* Clean, unless dirt lies in pages it shares. */
		if (start <= vsp->vs_dlo && vsp->vs_dhi <= end)
			vsp->vs_dlo = vsp->vs_dhi = 0;
	}
	vmp->vm_dirty = vsp == &vmp->vm_seg0 ? 0 :
	    vmp->vm_dirty - ST_MIN(vmp->vm_dirty, total);
	st_unlock(&vmp->vm_lock);
	return (total);
}

static uint64_t
vmem_qcache_limit(size_t quantum, size_t qcache_max, int vmflag)
{
	if (vmflag & VMC_NO_QCACHE)
		return (0);
	return (ST_MIN(ST_P2ALIGN(qcache_max, quantum),
	    VMEM_NQCACHE_MAX * quantum));
}

void
vmem_qcache_create(vmem_t *vmp)
{
	uint64_t i, n = vmp->vm_qcache_max >> vmp->vm_qshift;
	char name[KMEM_CACHE_NAMELEN];

	for (i = 0; i < n; i++) {
		size_t size = (size_t)((i + 1) * vmp->vm_quantum);
		kmem_cache_t *cp;

		if (vmp->vm_qcache[i] != NULL)
			continue;
		(void) st_snprintf(name, sizeof (name), "%s_%zu",
		    vmp->vm_name, size);
		cp = kmem_cache_create_internal(name, size,
		    (size_t)vmp->vm_quantum, NULL, NULL, NULL, NULL, vmp,
		    KMC_QCACHE | KMC_NOTOUCH, -1);
		__atomic_store_n(&vmp->vm_qcache[i], (void *)cp,
		    __ATOMIC_RELEASE);
	}
}

static void
vmem_qcache_destroy(vmem_t *vmp)
{
	size_t i;

	for (i = 0; i < VMEM_NQCACHE_MAX; i++) {
		void *cp = __atomic_exchange_n(&vmp->vm_qcache[i], NULL,
		    __ATOMIC_ACQ_REL);

		if (cp != NULL)
			kmem_cache_destroy(cp);
	}
}

/* ------------------------------------------------------------------------
 * Creating and destroying arenas.
 */

/* A zeroed arena structure, or NULL; vmem_list_lock held. */
static vmem_t *
vmem_arena_get(void)
{
	vmem_t *vmp;

	if (vmem_arena_free == NULL && vmem_arena0_used < VMEM_ARENAS_STATIC)
		return (&vmem_arena0[vmem_arena0_used++]);
	if (vmem_arena_free == NULL) {
		vmem_t *chunk = st_os_map(VMEM_ARENA_CHUNK, ST_PAGESIZE);
		size_t i;

		if (chunk == NULL)
			return (NULL);
		for (i = 0; i < VMEM_ARENA_CHUNK / sizeof (vmem_t); i++) {
			chunk[i].vm_next = vmem_arena_free;
			vmem_arena_free = &chunk[i];
		}
	}
	vmp = vmem_arena_free;
	vmem_arena_free = vmp->vm_next;
	memset(vmp, 0, sizeof (*vmp));
	return (vmp);
}

static void
vmem_name_copy(char *dst, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i < VMEM_NAMELEN - 1; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static void
vmem_arena_init(vmem_t *vmp, const char *name, size_t quantum,
    size_t qcache_max, int vmflag)
{
	int i;

	vmem_name_copy(vmp->vm_name, name);
	st_lock_init(&vmp->vm_lock);
	vmp->vm_cflags = (uint32_t)vmflag & VMC_MASK;
	vmp->vm_quantum = quantum;
	vmp->vm_qshift = vmem_highbit(quantum) - 1;
	vmp->vm_qcache_max = vmem_qcache_limit(quantum, qcache_max, vmflag);
	vmp->vm_hash_table = vmp->vm_hash0;
	vmp->vm_hash_mask = VMEM_HASH_INITIAL - 1;
	vmp->vm_hash_shift = (uint64_t)vmp->vm_qshift;
	for (i = 0; i < VMEM_FREELISTS; i++)
		vmp->vm_freelist[i].vs_end = 1ULL << i;
	vmp->vm_seg0.vs_anext = vmp->vm_seg0.vs_aprev = &vmp->vm_seg0;
	vmp->vm_seg0.vs_knext = vmp->vm_seg0.vs_kprev = &vmp->vm_seg0;
	vmp->vm_span_tree = NULL;
	vmp->vm_rotor.vs_type = VMEM_ROTOR;
	vmem_alist_insert_after(&vmp->vm_seg0, &vmp->vm_rotor);
}

vmem_t *
vmem_create(const char *name, void *base, size_t size, size_t quantum,
    vmem_alloc_t *afunc, vmem_free_t *ffunc, vmem_t *source,
    size_t qcache_max, int vmflag)
{
	vmem_t *vmp, **pp;

	if (quantum == 0 || !ST_ISP2(quantum))
		st_panic("vmem_create(%s): bad quantum %zu",
		    name != NULL ? name : "", quantum);
	st_lock(&vmem_list_lock);
	vmp = vmem_arena_get();
	if (vmp != NULL) {
		vmem_arena_init(vmp, name, quantum, qcache_max, vmflag);
		vmp->vm_source_alloc = afunc;
		vmp->vm_source_free = ffunc;
		vmp->vm_source = source;
		vmp->vm_id = ++vmem_next_id;
		for (pp = &vmem_list; *pp != NULL; pp = &(*pp)->vm_next)
			continue;
		*pp = vmp;
	}
	st_unlock(&vmem_list_lock);
	if (vmp != NULL && size != 0 &&
	    vmem_add(vmp, base, size, vmflag) == NULL) {
		vmem_destroy(vmp);
		vmp = NULL;
	}
	return (vmp);
}

/* Give every imported span back and every segment to the pool. */
static void
vmem_arena_empty(vmem_t *vmp)
{
	vmem_segres_t res = { NULL, 0 };
	vmem_seg_t *vsp, *next;

	for (vsp = vmp->vm_seg0.vs_anext; vsp != &vmp->vm_seg0; vsp = next) {
		next = vsp->vs_anext;
		if (vsp == &vmp->vm_rotor)
			continue;
		if (vsp->vs_type == VMEM_SPAN && vsp->vs_import &&
		    vmp->vm_source_free != NULL)
			vmp->vm_source_free(vmp->vm_source,
			    (void *)vsp->vs_start, VS_SIZE(vsp));
		vmem_seg_give(&res, vsp);
	}
	vmem_seg_unreserve(&res);
	if (vmp->vm_hash_table != vmp->vm_hash0)
		st_os_unmap(vmp->vm_hash_table,
		    vmem_hash_bytes(vmp->vm_hash_mask + 1));
}

void
vmem_destroy(vmem_t *vmp)
{
	vmem_t **pp;

	st_lock(&vmem_list_lock);
	for (pp = &vmem_list; *pp != NULL && *pp != vmp; pp = &(*pp)->vm_next)
		continue;
	if (*pp != NULL)
		*pp = vmp->vm_next;
	st_unlock(&vmem_list_lock);
	vmem_qcache_destroy(vmp);
	if (vmp->vm_kstat.vk_mem_inuse != 0)
		st_printf(2, "vmem_destroy(%s): leaked %zu bytes\n",
		    vmp->vm_name, (size_t)vmp->vm_kstat.vk_mem_inuse);
	vmem_arena_empty(vmp);
	vmp->vm_name[0] = '\0';
	st_lock(&vmem_list_lock);
	vmp->vm_next = vmem_arena_free;
	vmem_arena_free = vmp;
	st_unlock(&vmem_list_lock);
}

void
vmem_init(void)
{
	/* Everything global is statically initialised. */
}

/* ------------------------------------------------------------------------
 * fork (section 9).
 */

void
vmem_fork_prepare(void)
{
	vmem_t *vmp;

	st_lock(&vmem_list_lock);
	for (vmp = vmem_list; vmp != NULL; vmp = vmp->vm_next)
		st_lock(&vmp->vm_lock);
	st_lock(&vmem_segpool_lock);
}

void
vmem_fork_parent(void)
{
	vmem_t *vmp;

	st_unlock(&vmem_segpool_lock);
	for (vmp = vmem_list; vmp != NULL; vmp = vmp->vm_next)
		st_unlock(&vmp->vm_lock);
	st_unlock(&vmem_list_lock);
}

void
vmem_fork_child(void)
{
	vmem_t *vmp;

	st_lock_init(&vmem_segpool_lock);
	for (vmp = vmem_list; vmp != NULL; vmp = vmp->vm_next)
		st_lock_init(&vmp->vm_lock);
	st_lock_init(&vmem_list_lock);
}

/* ------------------------------------------------------------------------
 * vmem_verify (section 10): the whole arena against the rules.
 */

typedef struct vmem_vstate {
	uint64_t vv_limit;              /* more segments than this: a cycle */
	uint64_t vv_alloc;              /* allocated segments */
	uint64_t vv_free;               /* free segments */
	uint64_t vv_listed;             /* segments on the freelists */
	uint64_t vv_inuse;              /* bytes allocated */
	uint64_t vv_total;              /* bytes in spans */
	uint64_t vv_import;             /* bytes in imported spans */
	uint64_t vv_rotors;
	vmem_seg_t *vv_span;            /* the span being walked */
	uintptr_t vv_cursor;            /* where the next segment must start */
	int vv_prevtype;                /* type of the previous segment */
} vmem_vstate_t;

static int
vmem_bad(const vmem_t *vmp, const char *what, const vmem_seg_t *vsp)
{
	if (vsp == NULL)
		st_printf(2, "vmem_verify(%s): %s\n", vmp->vm_name, what);
	else
		st_printf(2, "vmem_verify(%s): %s: seg %p [%p, %p) type 0x%x\n",
		    vmp->vm_name, what, (const void *)vsp,
		    (void *)vsp->vs_start, (void *)vsp->vs_end,
		    (unsigned)vsp->vs_type);
	return (-1);
}

static int
vmem_verify_freelists(vmem_t *vmp, vmem_vstate_t *vv)
{
	int i;

	for (i = 0; i <= VMEM_FREELISTS; i++) {
		vmem_freelist_t *fl = &vmp->vm_freelist[i];
		vmem_seg_t *vsp, *prev = NULL;
		uint64_t n = 0;

		for (vsp = fl->vs_knext; vsp != NULL; vsp = vsp->vs_knext) {
			if (++n > vv->vv_limit)
				return (vmem_bad(vmp, "freelist cycle", NULL));
			if (vsp->vs_type != VMEM_FREE_SEG)
				return (vmem_bad(vmp, "non-free segment on a "
				    "freelist", vsp));
			if (vmem_freelist_index(VS_SIZE(vsp)) != i)
				return (vmem_bad(vmp, "segment on the wrong "
				    "freelist", vsp));
			if (vsp->vs_kprev != prev)
				return (vmem_bad(vmp, "freelist back link "
				    "broken", vsp));
			if (vsp->vs_dlo < vsp->vs_dhi ? vsp->vs_dlo <
			    vsp->vs_start || vsp->vs_dhi > vsp->vs_end :
			    vsp->vs_dlo != 0 || vsp->vs_dhi != 0)
				return (vmem_bad(vmp, "dirty range outside "
				    "its free segment", vsp));
			prev = vsp;
		}
		if (fl->vs_kprev != prev)
			return (vmem_bad(vmp, "freelist tail wrong", prev));
		if (i < VMEM_FREELISTS && ((vmp->vm_freemap >> i) & 1) !=
		    (uint64_t)(n != 0))
			return (vmem_bad(vmp, "vm_freemap disagrees with the "
			    "freelists", prev));
		vv->vv_listed += n;
	}
	return (0);
}

static int
vmem_verify_hash(vmem_t *vmp, vmem_vstate_t *vv)
{
	uint64_t b, n = 0;

	for (b = 0; b <= vmp->vm_hash_mask; b++) {
		vmem_seg_t *vsp;

		for (vsp = vmp->vm_hash_table[b]; vsp != NULL;
		    vsp = vsp->vs_knext) {
			if (++n > vv->vv_limit)
				return (vmem_bad(vmp, "hash chain cycle",
				    NULL));
			if (vsp->vs_type != VMEM_ALLOC_SEG)
				return (vmem_bad(vmp, "non-allocated segment "
				    "in the hash", vsp));
			if (vmem_hash_bucket(vmp, vsp->vs_start) !=
			    &vmp->vm_hash_table[b])
				return (vmem_bad(vmp, "segment in the wrong "
				    "hash bucket", vsp));
		}
	}
	if (n != vmp->vm_hash_count)
		return (vmem_bad(vmp, "vm_hash_count is not the number of "
		    "hashed segments", NULL));
	return (0);
}

/* Finish the span being walked: its segments must reach its end. */
static int
vmem_verify_span_end(vmem_t *vmp, vmem_vstate_t *vv)
{
	if (vv->vv_span != NULL && vv->vv_cursor != vv->vv_span->vs_end)
		return (vmem_bad(vmp, "segments do not cover their span",
		    vv->vv_span));
	return (0);
}

static int
vmem_verify_span(vmem_t *vmp, vmem_vstate_t *vv, vmem_seg_t *span)
{
	uintptr_t q = vmp->vm_quantum;

	if (vmem_verify_span_end(vmp, vv) != 0)
		return (-1);
	if (span->vs_start >= span->vs_end ||
	    ((span->vs_start | span->vs_end) & (q - 1)) != 0)
		return (vmem_bad(vmp, "empty or misaligned span", span));
	if (vv->vv_span != NULL && span->vs_start < vv->vv_span->vs_end)
		return (vmem_bad(vmp, "spans out of order or overlapping",
		    span));
	if (span->vs_knext->vs_kprev != span)
		return (vmem_bad(vmp, "span list links broken", span));
	if (vmem_span_below(vmp, span->vs_start) != span)
		return (vmem_bad(vmp, "span missing from the span tree", span));
	vv->vv_total += VS_SIZE(span);
	if (span->vs_import)
		vv->vv_import += VS_SIZE(span);
	vv->vv_span = span;
	vv->vv_cursor = span->vs_start;
	vv->vv_prevtype = VMEM_SPAN;
	return (0);
}

static int
vmem_verify_seg(vmem_t *vmp, vmem_vstate_t *vv, vmem_seg_t *vsp)
{
	uintptr_t q = vmp->vm_quantum;

	if (vv->vv_span == NULL)
		return (vmem_bad(vmp, "segment before any span", vsp));
	if (vsp->vs_start != vv->vv_cursor)
		return (vmem_bad(vmp, "segment does not start where the "
		    "previous one ends", vsp));
	if (vsp->vs_end <= vsp->vs_start || vsp->vs_end > vv->vv_span->vs_end ||
	    ((vsp->vs_start | vsp->vs_end) & (q - 1)) != 0)
		return (vmem_bad(vmp, "empty, misaligned or overlong segment",
		    vsp));
	if (vsp->vs_type == VMEM_FREE_SEG && vv->vv_prevtype == VMEM_FREE_SEG)
		return (vmem_bad(vmp, "two adjacent free segments", vsp));
	if (vsp->vs_type == VMEM_ALLOC_SEG) {
		if (*vmem_hash_find(vmp, vsp->vs_start) != vsp)
			return (vmem_bad(vmp, "allocated segment not in the "
			    "hash", vsp));
		vv->vv_alloc++;
		vv->vv_inuse += VS_SIZE(vsp);
	}
	vv->vv_cursor = vsp->vs_end;
	vv->vv_prevtype = vsp->vs_type;
	return (0);
}

static int
vmem_verify_one(vmem_t *vmp, vmem_vstate_t *vv, vmem_seg_t *vsp)
{
	if (vsp->vs_anext->vs_aprev != vsp)
		return (vmem_bad(vmp, "arena list links broken", vsp));
	switch (vsp->vs_type) {
	case VMEM_ROTOR:
		vv->vv_rotors++;
		if (vsp != &vmp->vm_rotor || vv->vv_prevtype == VMEM_SPAN)
			return (vmem_bad(vmp, "rotor misplaced", vsp));
		return (0);
	case VMEM_SPAN:
		return (vmem_verify_span(vmp, vv, vsp));
	case VMEM_ALLOC_SEG:
	case VMEM_FREE_SEG:
		return (vmem_verify_seg(vmp, vv, vsp));
	default:
		return (vmem_bad(vmp, "unknown segment type", vsp));
	}
}

static int
vmem_verify_arena(vmem_t *vmp, vmem_vstate_t *vv)
{
	vmem_seg_t *anchor = &vmp->vm_seg0, *vsp, *span = anchor->vs_knext;
	uint64_t n = 0;

	for (vsp = anchor->vs_anext; vsp != anchor; vsp = vsp->vs_anext) {
		if (++n > vv->vv_limit)
			return (vmem_bad(vmp, "arena list cycle", NULL));
		if (vsp->vs_type == VMEM_SPAN && vsp != span)
			return (vmem_bad(vmp, "span list and arena list "
			    "disagree", vsp));
		if (vsp->vs_type == VMEM_SPAN)
			span = span->vs_knext;
		if (vsp->vs_type == VMEM_FREE_SEG)
			vv->vv_free++;
		if (vmem_verify_one(vmp, vv, vsp) != 0)
			return (-1);
	}
	if (vmem_verify_span_end(vmp, vv) != 0)
		return (-1);
	if (span != anchor)
		return (vmem_bad(vmp, "span on the span list but not on the "
		    "arena list", span));
	if (vv->vv_rotors != 1)
		return (vmem_bad(vmp, "rotor missing from the arena list",
		    NULL));
	if (vv->vv_free != vv->vv_listed)
		return (vmem_bad(vmp, "free segments and freelists disagree",
		    NULL));
	return (0);
}

static int
vmem_verify_kstat(vmem_t *vmp, const vmem_vstate_t *vv)
{
	const vmem_kstat_t *vk = &vmp->vm_kstat;

	if (vv->vv_alloc != vmp->vm_hash_count)
		return (vmem_bad(vmp, "allocated segments and hash disagree",
		    NULL));
	if (vk->vk_mem_inuse != vv->vv_inuse || vk->vk_mem_total !=
	    vv->vv_total || vk->vk_mem_import != vv->vv_import) {
		st_printf(2, "vmem_verify(%s): kstat inuse %zu total %zu "
		    "import %zu, segments say %zu %zu %zu\n", vmp->vm_name,
		    (size_t)vk->vk_mem_inuse, (size_t)vk->vk_mem_total,
		    (size_t)vk->vk_mem_import, (size_t)vv->vv_inuse,
		    (size_t)vv->vv_total, (size_t)vv->vv_import);
		return (-1);
	}
	return (0);
}

int
vmem_verify(vmem_t *vmp)
{
	vmem_vstate_t vv;
	int err;

	memset(&vv, 0, sizeof (vv));
	st_lock(&vmem_segpool_lock);
	vv.vv_limit = vmem_segpool_total + 2;
	st_unlock(&vmem_segpool_lock);
	st_lock(&vmp->vm_lock);
	err = vmem_verify_freelists(vmp, &vv);
	if (err == 0)
		err = vmem_verify_hash(vmp, &vv);
	if (err == 0)
		err = vmem_verify_arena(vmp, &vv);
	if (err == 0)
		err = vmem_verify_kstat(vmp, &vv);
	st_unlock(&vmp->vm_lock);
	return (err);
}
