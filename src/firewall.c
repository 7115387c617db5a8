/*
 * firewall.c: buffers that end against an inaccessible page, and a
 * quarantine of inaccessible freed buffers (UMEM_DEBUG=firewall=N,
 * KMEM_FLAGS bit 0x40 for every size).
 *
 * 1. Why.  Deadbeef checking finds a write to a freed buffer when the
 *    buffer is next allocated, and the redzone a write past the end when
 *    the buffer is freed: both after the fact, and neither sees a read.
 *    A firewall buffer faults at the guilty instruction instead: it is
 *    placed at the end of its pages, with an inaccessible guard page right
 *    after it, and when freed its pages are made inaccessible too and kept
 *    so for a while (the quarantine) before the address is reused.  The
 *    fault becomes a report (st_firewall_fault, called by fault.c) naming
 *    the buffer, the offset, whether it was a read or a write, after free
 *    or past the end, with the faulting stack and the buffer's history.
 *
 * 2. Address space.  One large reservation (st_os_reserve: no access, no
 *    memory) managed by a vmem arena, fw_arena.  A buffer of size S and
 *    alignment A takes n = ceil((S + A - 1) / page) data pages plus one
 *    guard page; its start is the highest A-aligned address at which it
 *    still fits, so the bytes between its end and the guard page (fewer
 *    than A: malloc's 16, or what UMEM_OPTIONS=fwalign= asks) are slack,
 *    filled with KMEM_REDZONE_BYTE and checked on free;
 *    so are the bytes of its first page before it, its lead, where a write
 *    before its start lands (no guard there: a read is not caught; nor
 *    is a read of the slack, as malloc's alignment must be kept).
 *    UMEM_OPTIONS=fwbelow turns that round, as Electric Fence's
 *    EF_PROTECT_BELOW does: the guard page comes first and the buffer
 *    starts the data pages after it (FW_BELOW; fw_base is still the first
 *    data page, the arena's segment starts a page before), so that a read
 *    or write before its start faults at once; the bytes after its end to
 *    the end of its last page are slack, checked on free, and past them
 *    lies an inaccessible page all the same (its room, free space of the
 *    arena, or the next buffer's guard).  The sampled pool's buffers go
 *    to the start of their slots the same way (section 9).
 *    realloc.  A guarded buffer that grows by realloc moves (a stale
 *    pointer to the old one then faults), to a new one placed as above
 *    with room after its guard page: a quarter of its size in reserved,
 *    inaccessible pages (fw_room; address space, no memory).  Resized
 *    again, it stays where it is while its new end fits its data pages
 *    and that room (st_firewall_resize): the pages it grows into are made
 *    accessible, one mprotect, and the next stays the guard; a shrink
 *    gives whole pages back the same way.  Its end may then lie up to a
 *    page before the guard: that slack is KMEM_REDZONE_BYTE, checked at
 *    every realloc and free, so an overrun into it is found then, not at
 *    the faulting instruction.  Without the room every realloc of a
 *    string grown a few bytes at a time moved it: a copy, fresh pages
 *    faulted in and the old ones decommitted, quadratic in its length (a
 *    1 MiB string: minutes).  A new buffer has no room, so the first
 *    realloc that grows a buffer always moves it (below, FW_MOVED says
 *    which buffers a realloc made: a new one would otherwise grow into
 *    its last page's slack).
 *
 * 3. Headers.  Nothing is written in the protected pages but the buffer:
 *    each buffer's header (st_fwhdr_t: size, kind, state and the last
 *    allocation's and free's thread, time and stack) comes from a cache of
 *    its own, and every page of the buffer, guard page included, maps to
 *    the header in the page map (PM_FW | header), so that a fault address
 *    or a pointer passed to free() leads to it.
 *
 * 4. Protection, and the map limit.  Where the kernel has guard regions
 *    (Linux 6.13: madvise MADV_GUARD_INSTALL / MADV_GUARD_REMOVE,
 *    st_os_guard), the reservation is made readable and writable a 2 MiB
 *    chunk at a time as buffers reach it, every page of the chunk guarded
 *    first (fw_activate_locked); a buffer's data pages are unguarded when
 *    it is allocated and guarded again when it is freed, which also drops
 *    their contents: one system call each (fw_protect), and the mapping is
 *    never split, so live buffers cost no mappings and are limited by
 *    memory only (fw_live_max: a page each, an eighth of memory).  Page
 *    protection did the same with an mprotect to allocate and a madvise
 *    and an mprotect to free, each splitting or merging mappings (under
 *    the process's mapping lock, taken for writing): 1.8 times the time.
 *    It is kept for older kernels, and UMEM_OPTIONS=mprotect asks for it
 *    (the tests run both): the kernel allows
 *    vm.max_map_count mappings (65530 by default), and a live buffer
 *    splits the reservation into a read-write mapping and the
 *    inaccessible rest, about two mappings each.  So live firewall
 *    buffers are then limited to fw_live_max from max_map_count, leaving
 *    room for the program's own mappings.  Past it, and if a protection
 *    change ever fails, allocations fall back to the ordinary debugged
 *    caches rather than failing (Electric Fence dies there).  The
 *    quarantine is bounded by count and by address space
 *    (fw_quarantine_max, fw_quarantine_bytes) and recycled oldest first,
 *    also whenever the arena runs out.
 *
 * 5. Coverage.  malloc and its family, operator new, kmem_alloc and
 *    umem_alloc use the firewall; buffers of caches made with
 *    kmem_cache_create / umem_cache_create do not (they keep the buffer
 *    tag's checks).
 *
 * 6. Big buffers (unguarded).  Above the largest kmem_alloc cache a buffer
 *    has no tag; when freed buffers are patterned (DEADBEEF, LITE) and the
 *    firewall does not take it, it gets a header here all the same
 *    (st_bigbuf_alloc): its pages come from kmem_oversize_arena, the
 *    buffer starts at the first, and up to FW_SLACK_MAX bytes after its
 *    end are slack, filled with KMEM_REDZONE_BYTE and checked on free.
 *    Freed, the bytes of its first page are filled with 0xdeadbeef and
 *    its other pages made inaccessible (FW_PROTECTED): a write there, or
 *    a read, faults at once and is reported as a firewall buffer's is
 *    (st_firewall_fault finds it in the quarantine, fw_big_containing: the page map leads
 *    only its first page to the header).  Patterning all of a buffer of
 *    megabytes, and verifying it again, cost three passes over its
 *    memory at every reuse (bench `large`: 2.95x glibc's time against
 *    1.3x); one mprotect costs microseconds.  If mprotect fails (the map
 *    limit), or in lite mode (a word), or with maxverify= below its size,
 *    it is patterned as far as maxverify instead.  The pages are
 *    decommitted as well if it is huge (fw_big_decommit, 64 MiB: smaller
 *    ones keep their pages, so that reusing them faults nothing).  It
 *    waits in the quarantine (at most fw_big_quarantine_bytes of them,
 *    lite an eighth), where the sweep and the exit verify check its
 *    pattern (st_firewall_visit), and it is checked once more as it
 *    leaves, when its pages are made accessible again.  realloc resizes one in place while
 *    it fits its pages, and gives a moved one a quarter more pages, so
 *    that a buffer grown by small steps is copied O(n), not O(n^2), times.
 *
 * 7. Live buffers are on a list (fw_live_head), so that the exit verify
 *    can check every live buffer's slack.
 *
 * 8. Locking.  fw_lock protects the arena calls, the quarantine, the live
 *    list and the counters; page protection changes, and the release of a
 *    buffer out of the quarantine, are made outside it, on pages that
 *    only the caller owns.  It comes first in the lock order (slab.c,
 *    section 7): under it the firewall calls vmem and its header cache,
 *    never the reverse.  kmem's fork handlers take it first and the child
 *    re-initialises it (st_firewall_fork_*).
 *
 * 9. Sampling, for production (UMEM_DEBUG=firewall,sample[=N]), as
 *    GWP-ASan and KFENCE do: one malloc in N, at random, gets a guarded
 *    slot; every other takes the fast path untouched.
 *    - Not debugging.  kmem_debugging stays 0 (options.c, section 8), so
 *      malloc keeps its fast path; the only cost is malloc.c's countdown
 *      (its section 6): the thread's kt_sample_left, decremented on the
 *      fast path, at 0 sends the call to the slow path, where
 *      st_sample_alloc decides.  It refills the countdown with a
 *      uniform draw from [1, 2N - 1] (mean N) from the thread's own
 *      xorshift generator (kt_sample_rng, seeded from getrandom on the
 *      thread's first malloc, which counts as the first of its first
 *      interval, and again in a fork child, which would otherwise repeat
 *      its parent's draws).
 *      A due malloc that cannot be sampled (size 0, over a page, aligned
 *      above a page) leaves the next one due.  Only malloc and its family
 *      (calloc, realloc, memalign & co., operator new) are sampled.
 *    - The cost's bound.  A sampled malloc and its free cost two
 *      mprotect calls, the second a TLB flush: a few us where page
 *      tables are cheap to change, 40 us measured in a VM with
 *      paravirtual page tables, and 300 us there when the machine is
 *      loaded (bench/sample.sh); malloc-bound programs (60 million
 *      mallocs a second) would pay 5-50% at one in 5,000-100,000.  So
 *      the cost is measured: sp_cost_ns, a running average of the time
 *      a slot's mprotect takes (two clock reads around each, the first
 *      touch of the page included; a sample has two), and a thread
 *      samples again only sp_budget (100) times that after
 *      its last sample, so that sampling takes at most about 1% of a
 *      thread's time (4 ms apart at 40 us a sample): a draw that comes
 *      due sooner is skipped, and the next one drawn.  The clock is read
 *      only when a draw comes due.  Programs that malloc less than N
 *      times in that interval (most real ones) get one in N; faster ones
 *      one per interval.  sample=1 (every malloc, for tests) has no
 *      bound.
 *    - A bounded pool, allocated once (the first sampled malloc): a
 *      reservation of sp_nslots one-page slots, each between two guard
 *      pages, and their headers (st_fwhdr_t with FW_SAMPLED, from
 *      st_os_map, not fw_hdr_cache: the pool is fixed).  Each slot's page
 *      and the guard after it map to its header (PM_FW) for good, the
 *      first guard to slot 0's, so free() finds a sampled buffer through
 *      the page map on its slow branch and a fault finds its header; a
 *      never-used slot has no magic and so is no buffer.  The pool costs
 *      at most 2 * sp_nslots + 1 mappings and sp_nslots committed pages.
 *    - A buffer ends at its slot's end, rounded down to malloc's
 *      alignment (16 bytes; 8 below 16 bytes); the slack after it and the
 *      lead before it (the rest of the page) hold KMEM_REDZONE_BYTE and
 *      are checked on free (a 1-byte overflow is found there; one that
 *      reaches the guard page faults).  Freed, the slot is made
 *      inaccessible (a guard region, which drops its page, where the
 *      firewall uses them, section 4; else mprotect, which keeps it) and
 *      goes to the tail of the free list; allocation takes the
 *      head, so a freed slot stays inaccessible as long as possible.  The
 *      free list starts with every slot; when it is empty (all slots
 *      live) the malloc is not sampled: the pool never fails a malloc.
 *    - Reports are the firewall's (st_firewall_fault, fw_error), with the
 *      allocation's and the free's stacks; the fault report says the
 *      buffer was sampled, and the header's cache is fw_sample_cache,
 *      named "sampled, 1 in N", so every other report says it too.
 *      A free's state change is a compare-and-swap, so that two threads
 *      freeing one buffer cannot both put its slot on the list.
 *    - sp_lock guards the free list and the count; under it only the
 *      pool's set-up calls out (st_os_reserve, st_os_map, pagemap_set),
 *      never the allocator's locks.  fork holds it (after fw_lock), and
 *      the child re-initialises it.
 */
#include <string.h>

#include "slabtrace_impl.h"

/* Tunables. */
uint64_t fw_reserve_bytes = 64ULL << 30;        /* address space */
uint64_t fw_quarantine_max = 65536;             /* freed buffers kept */
uint64_t fw_quarantine_bytes = 8ULL << 30;      /* ... and their space */
uint64_t fw_map_reserve = 4096;         /* mappings left for the program,
                                           at least (and a quarter) */
uint64_t fw_big_decommit = 64UL << 20;         /* ... given back if this big */
uint64_t fw_big_quarantine_bytes = 16ULL << 20; /* freed big buffers
                                                   (lite: an eighth) */
uint64_t sp_nslots = 256;               /* sampling's guarded slots */
uint64_t sp_budget = 100;               /* ... a thread's next sample not
                                           before this many times their
                                           cost (1%; sample=1: no limit) */
#define FW_LEAD         64      /* ... and before it */
#define FW_RESIZE_CHECK 64      /* ... after it, when realloc resizes it */

/* st_fwhdr_t and FW_MAGIC, FW_ALLOC, ...: slabtrace_impl.h (the debugger
   reads the headers). */

static st_lock_t fw_lock = ST_LOCK_INITIALIZER;
static int fw_state;                    /* 0 not tried, 1 ready, -1 failed */
static vmem_t *fw_arena;
static kmem_cache_t *fw_hdr_cache;
static uint32_t fw_audit_size;
static uint64_t fw_live, fw_live_max;
static int fw_guards;                   /* guard regions, not mprotect (4.) */
static uintptr_t fw_base0;              /* the reservation's start */
#define FW_CHUNK_SHIFT  21              /* guarded this much at a time */
static uint64_t fw_chunks[(64ULL << 30 >> FW_CHUNK_SHIFT) / 64];  /* made so */
static st_fwhdr_t *fw_qhead, *fw_qtail; /* oldest, newest */
static uint64_t fw_qcount, fw_qbytes, fw_qbig;  /* big: bytes of those */
static st_fwhdr_t *fw_live_head;        /* live buffers (section 7) */
static char *sp_hdrs;                   /* sampling's slot headers, */
static uint64_t sp_hsize;               /* ... this far apart (section 9) */
static st_firewall_t fw_root;           /* ... for the debugger */
static kmem_cache_t fw_oversize_cache = { .cache_name = "kmem_oversize" };

/* ------------------------------------------------------------------------
 * Set-up.
 */

/* vm.max_map_count, or the kernel's default. */
static uint64_t
fw_max_map_count(void)
{
	char buf[32];
	const char *s = buf;
	uint64_t v;
	long n;
	int fd = st_os_open_read("/proc/sys/vm/max_map_count");

	if (fd < 0)
		return (65530);
	n = st_os_read(fd, buf, sizeof (buf) - 1);
	st_os_close(fd);
	buf[n > 0 ? n : 0] = '\0';
	v = st_scan_dec(&s);
	return (v != 0 ? v : 65530);
}

static int
fw_init_locked(void)
{
	void *base;
	uint64_t maps;

	if (fw_state != 0)
		return (fw_state);
	fw_state = -1;
	base = st_os_reserve(fw_reserve_bytes, ST_PAGESIZE);
	if (base == NULL) {
		st_msg("firewall: cannot reserve %lu MB of address "
		    "space; firewall off\n",
		    (unsigned long)(fw_reserve_bytes >> 20));
		return (-1);
	}
	fw_arena = vmem_create("firewall", base, fw_reserve_bytes,
	    ST_PAGESIZE, NULL, NULL, NULL, 0, VM_NOSLEEP | VMC_NO_QCACHE);
	fw_audit_size = (uint32_t)sizeof (kmem_bufctl_audit_t);
	fw_hdr_cache = kmem_cache_create_internal("slabtrace_firewall_hdr",
	    sizeof (st_fwhdr_t) + 2 * (size_t)fw_audit_size, 64, NULL, NULL,
	    NULL, NULL, kmem_internal_arena, KMC_NOMAGAZINE | KMC_NODEBUG, -1);
	if (fw_arena == NULL || fw_hdr_cache == NULL) {
		st_msg("firewall: cannot create its arena; "
		    "firewall off\n");
		return (-1);
	}
	/* A quarter of the limit (at least fw_map_reserve) stays the program's. */
	maps = fw_max_map_count();
	fw_live_max = (maps - ST_MIN(maps, ST_MAX(fw_map_reserve, maps / 4))) /
	    2;
	/*
	 * Guard regions (section 4): the reservation's pages are guarded
	 * before it becomes readable and writable, a chunk at a time as
	 * buffers reach it (fw_activate_locked), so that it stays one mapping.
	 */
	fw_base0 = (uintptr_t)base;
	if (!st_opts.so_fw_mprotect && fw_reserve_bytes <=
	    sizeof (fw_chunks) * 8 << FW_CHUNK_SHIFT &&
	    st_os_guard(base, ST_PAGESIZE, 1) == 0) {
		fw_guards = 1;
		/* No mappings: a page a buffer, an eighth of memory at most. */
		fw_live_max = ST_MAX(fw_live_max, ST_MIN(st_os_memory_total(),
		    64ULL << 30) >> (ST_PAGESHIFT + 3));
	}
	fw_state = 1;
	return (1);
}

/*
 * Guard regions: [base, base + len) of the reservation guarded and then
 * made readable and writable, where not done yet.  0, or -1 (the map
 * limit: the allocation falls back).
 */
static int
fw_activate_locked(uintptr_t base, uint64_t len)
{
	uint64_t c = (base - fw_base0) >> FW_CHUNK_SHIFT;
	uint64_t last = (base + len - 1 - fw_base0) >> FW_CHUNK_SHIFT;
	void *at;

	for (; c <= last; c++) {
		if (fw_chunks[c / 64] & (1ULL << (c % 64)))
			continue;
		at = (void *)(fw_base0 + (c << FW_CHUNK_SHIFT));
		if (st_os_guard(at, 1UL << FW_CHUNK_SHIFT, 1) != 0 ||
		    st_os_protect(at, 1UL << FW_CHUNK_SHIFT, ST_PROT_RW) != 0)
			return (-1);
		fw_chunks[c / 64] |= 1ULL << (c % 64);
	}
	return (0);
}

/*
 * A guarded buffer's pages [addr, addr + len) made inaccessible, their
 * contents dropped (on), or accessible (off): one system call either way
 * with guard regions, two and a split mapping without.  0 or -1.
 */
static int
fw_protect(uintptr_t addr, uint64_t len, int on)
{
	if (len == 0)
		return (0);
	if (fw_guards)
		return (st_os_guard((void *)addr, len, on));
	if (on) {
		(void) st_os_decommit((void *)addr, len);
		return (st_os_protect((void *)addr, len, ST_PROT_NONE));
	}
	return (st_os_protect((void *)addr, len, ST_PROT_RW));
}

/* fork: fw_lock is held across it, so that the child's firewall is whole. */
static st_lock_t sp_lock = ST_LOCK_INITIALIZER;

void
st_firewall_fork_prepare(void)
{
	st_lock(&fw_lock);
	st_lock(&sp_lock);
}

void
st_firewall_fork_parent(void)
{
	st_unlock(&sp_lock);
	st_unlock(&fw_lock);
}

void
st_firewall_fork_child(void)
{
	st_lock_init(&sp_lock);
	st_lock_init(&fw_lock);
	/* The child draws its own samples (section 9). */
	if (kmem_thread_self != &kmem_thread_dead)
		kmem_thread_self->kt_sample_rng = st_os_random() | 1;
}

/* ------------------------------------------------------------------------
 * The quarantine.
 */

/* Where a buffer's pages begin in the arena: its guard page, if below. */
static uintptr_t
fw_start(const st_fwhdr_t *hp)
{
	return (hp->fw_base - ((hp->fw_flags & FW_BELOW) ? ST_PAGESIZE : 0));
}

/*
 * A buffer's pages, its guard page and room included (a big buffer has
 * neither).
 */
static uint64_t
fw_len(const st_fwhdr_t *hp)
{
	if (hp->fw_flags & FW_UNGUARDED)
		return (hp->fw_npages * ST_PAGESIZE);
	return ((hp->fw_npages + 1 + hp->fw_room) * ST_PAGESIZE);
}

/*
 * The pages the page map leads to the header: all of a guarded buffer's
 * (a fault anywhere in them is reported), a big buffer's up to its first
 * byte (free() finds it; a page map entry for each page of a terabyte
 * would take seconds and gigabytes).
 */
static uint64_t
fw_maplen(const st_fwhdr_t *hp)
{
	if (!(hp->fw_flags & FW_UNGUARDED))
		return (fw_len(hp));
	return (ST_P2ROUNDUP((uintptr_t)hp->fw_buf + 1, ST_PAGESIZE) -
	    hp->fw_base);
}

static void
fw_live_insert_locked(st_fwhdr_t *hp)
{
	hp->fw_lprev = NULL;
	hp->fw_lnext = fw_live_head;
	if (fw_live_head != NULL)
		fw_live_head->fw_lprev = hp;
	fw_live_head = hp;
}

static void
fw_live_remove_locked(st_fwhdr_t *hp)
{
	if (hp->fw_lprev != NULL)
		hp->fw_lprev->fw_lnext = hp->fw_lnext;
	else
		fw_live_head = hp->fw_lnext;
	if (hp->fw_lnext != NULL)
		hp->fw_lnext->fw_lprev = hp->fw_lprev;
	hp->fw_lnext = hp->fw_lprev = NULL;
}

/* Take the oldest buffer out of the quarantine, to release it unlocked. */
static st_fwhdr_t *
fw_dequeue_locked(void)
{
	st_fwhdr_t *hp = fw_qhead;

	if (hp == NULL)
		return (NULL);
	fw_qhead = hp->fw_qnext;
	if (fw_qhead == NULL)
		fw_qtail = NULL;
	fw_qcount--;
	fw_qbytes -= fw_len(hp);
	if (hp->fw_flags & FW_UNGUARDED)
		fw_qbig -= fw_len(hp);
	return (hp);
}

static void fw_check_freed(st_fwhdr_t *hp, const char *found);
static int fw_check_slack(st_fwhdr_t *hp, kmem_errinfo_t *ei,
    uint64_t limit);


/* A freed big buffer's inaccessible part begins here (section 6). */
static uint64_t
fw_big_keep(const st_fwhdr_t *hp)
{
	return (ST_P2ROUNDUP((uintptr_t)hp->fw_buf + 1, ST_PAGESIZE) -
	    hp->fw_base);
}

/* Give a buffer out of the quarantine back: checked last, if big. */
static void
fw_release(st_fwhdr_t *hp)
{
	uint64_t len = fw_len(hp), keep = fw_big_keep(hp);
	int lost = 0;

	if (hp->fw_flags & FW_UNGUARDED)
		fw_check_freed(hp, "when it left the quarantine");
	/* Accessible again, or never reused: the next owner would fault. */
	if ((hp->fw_flags & FW_PROTECTED) && st_os_protect((void *)
	    (hp->fw_base + keep), len - keep, ST_PROT_RW) != 0)
		lost = 1;
	pagemap_clear(fw_start(hp), fw_maplen(hp));
	hp->fw_magic = 0;
	if (hp->fw_flags & FW_UNGUARDED) {
		/* Its pages stay for the next big buffer (kmem.c, 3.). */
		if (!lost)
			kmem_oversize_release((void *)hp->fw_base, len);
	} else if (!(hp->fw_flags & FW_LOST)) {
		vmem_free(fw_arena, (void *)fw_start(hp), len);
	}
	kmem_cache_free(fw_hdr_cache, hp);
}

/* Into the quarantine; what it must give up is returned, to release. */
/* Append hp to a list of headers linked by fw_qnext (head, tail). */
static void
fw_list_append(st_fwhdr_t **headp, st_fwhdr_t **tailp, st_fwhdr_t *hp)
{
	hp->fw_qnext = NULL;
	if (*tailp != NULL)
		(*tailp)->fw_qnext = hp;
	else
		*headp = hp;
	*tailp = hp;
}

static st_fwhdr_t *
fw_quarantine_locked(st_fwhdr_t *hp)
{
	st_fwhdr_t *out = NULL, *op;

	fw_list_append(&fw_qhead, &fw_qtail, hp);
	fw_qcount++;
	fw_qbytes += fw_len(hp);
	if (hp->fw_flags & FW_UNGUARDED)
		fw_qbig += fw_len(hp);
	while (fw_qcount > fw_quarantine_max ||
	    fw_qbytes > fw_quarantine_bytes ||
	    (fw_qbig > ((kmem_flags & KMF_LITE) ? fw_big_quarantine_bytes / 8 :
	    fw_big_quarantine_bytes) && fw_qcount > 1)) {
		op = fw_dequeue_locked();
		op->fw_qnext = out;
		out = op;
	}
	return (out);
}

static void
fw_release_list(st_fwhdr_t *hp)
{
	st_fwhdr_t *next;

	for (; hp != NULL; hp = next) {
		next = hp->fw_qnext;
		fw_release(hp);
	}
}

/* ------------------------------------------------------------------------
 * Allocation and free.
 */

/* Not inlined: the capture skips exactly this frame. */
static __attribute__((noinline)) void
fw_audit(st_fwhdr_t *hp, int which)
{
	kmem_bufctl_audit_t *bcp = hp->fw_audit[which];

	bcp->bc_addr = hp->fw_buf;
	bcp->bc_cache = hp->fw_cache;
	bcp->bc_timestamp = st_os_now_ns();
	bcp->bc_thread = kmem_thread_self != &kmem_thread_dead ?
	    kmem_thread_self->kt_tid : st_os_thread_id();     /* no syscall */
	kmem_bc_capture(bcp);
	if (which == 0) {	/* the allocation, as kmem_audit keeps it */
		bcp->bc_astackid = bcp->bc_stackid;
		bcp->bc_athread = (uint32_t)bcp->bc_thread;
		bcp->bc_atime = bcp->bc_timestamp;
	}
	bcp->bc_lastlog = kmem_transaction_log.lh_base != NULL ?
	    kmem_log_enter(&kmem_transaction_log, bcp, fw_audit_size) : NULL;
}

/* The cache a buffer of size bytes would have come from (for reports). */
static kmem_cache_t *
fw_cache_for(size_t size, size_t align)
{
	kmem_cache_t *cp = kmem_alloc_cache_for(ST_MAX(size, 1), align);

	return (cp != NULL ? cp : &fw_oversize_cache);
}

/* A new header for the buffer buf of size bytes in npages at base. */
static void
fw_hdr_init(st_fwhdr_t *hp, uintptr_t base, uint64_t npages, uintptr_t buf,
    size_t size, size_t align, st_kind_t kind, uint32_t flags)
{
	memset(hp, 0, sizeof (*hp));
	hp->fw_magic = FW_MAGIC;
	hp->fw_buf = (void *)buf;
	hp->fw_size = size;
	hp->fw_base = base;
	hp->fw_npages = npages;
	hp->fw_kind = kind;
	hp->fw_flags = flags;
	hp->fw_state = FW_ALLOC;
	hp->fw_cache = fw_cache_for(size, align);
	hp->fw_audit[0] = (kmem_bufctl_audit_t *)(hp + 1);
	hp->fw_audit[1] = (kmem_bufctl_audit_t *)((char *)(hp + 1) +
	    fw_audit_size);
}

/* The bytes after the buffer that must hold KMEM_REDZONE_BYTE. */
static uint64_t
fw_slack(const st_fwhdr_t *hp)
{
	uint64_t end = hp->fw_base + hp->fw_npages * ST_PAGESIZE;
	uint64_t n = end - (uintptr_t)hp->fw_buf - hp->fw_size;

	/* Lite, as for a cache's buffer: the one byte after it. */
	if (hp->fw_flags & FW_UNGUARDED)
		return (ST_MIN(n, (kmem_flags & KMF_LITE) ? 1 : FW_SLACK_MAX));
	return (n);
}

/*
 * malloc's alignment for a buffer of size bytes in the firewall: 16, or 8
 * below 16 bytes, as its caches give; UMEM_OPTIONS=fwalign=N asks for N
 * instead, so that a buffer of any size ends at its guard page and a read
 * of the byte after it faults (Electric Fence's EF_ALIGNMENT: for finding
 * overruns, not for running code that relies on malloc's alignment).
 */
static size_t
fw_malloc_align(size_t size)
{
	if (st_opts.so_fw_align != 0)
		return ((size_t)st_opts.so_fw_align);
	return (size >= 16 ? 16 : KMEM_ALIGN);
}

/*
 * A firewall buffer, with room bytes (rounded down to pages) reserved
 * after its guard for realloc (section 2), or NULL: the caller then uses
 * the ordinary caches (no room in the map limit, or no address space).
 * align 0: malloc's (fw_malloc_align).
 */
void *
st_firewall_alloc(size_t size, size_t room, size_t align, st_kind_t kind)
{
	st_fwhdr_t *hp, *old;
	uint64_t npages, len, rpages;
	uintptr_t base, data, end, buf;
	/* A buffer of no bytes keeps its guard after: p[0] is the bug. */
	int below = st_opts.so_fw_below != 0 && size != 0;

	if (align == 0)
		align = fw_malloc_align(size);
	else if (align < KMEM_ALIGN)
		align = KMEM_ALIGN;
	if (size > (1UL << 40) || align > ST_PAGESIZE)
		return (NULL);
	/* Below, it starts a page: any alignment up to a page holds. */
	npages = (ST_MAX(size, 1) + (below ? 0 : align - 1) + ST_PAGESIZE -
	    1) >> ST_PAGESHIFT;
	rpages = ST_MIN(room, 1UL << 40) >> ST_PAGESHIFT;
	if (rpages > UINT32_MAX)
		rpages = UINT32_MAX;
	len = (npages + 1 + rpages) * ST_PAGESIZE;
	st_lock(&fw_lock);
	if (fw_init_locked() < 0 || fw_live >= fw_live_max) {
		st_unlock(&fw_lock);
		return (NULL);
	}
	/* Out of address space: give the quarantine's oldest back first. */
	while ((base = (uintptr_t)vmem_alloc(fw_arena, len, VM_NOSLEEP)) ==
	    0 && (old = fw_dequeue_locked()) != NULL) {
		st_unlock(&fw_lock);
		fw_release(old);
		st_lock(&fw_lock);
	}
	hp = base != 0 && (!fw_guards || fw_activate_locked(base, len) == 0) ?
	    kmem_cache_alloc(fw_hdr_cache, KM_NOSLEEP) : NULL;
	if (hp == NULL) {
		if (base != 0)
			vmem_free(fw_arena, (void *)base, len);
		st_unlock(&fw_lock);
		return (NULL);
	}
	fw_live++;
	st_unlock(&fw_lock);

	data = base + (below ? ST_PAGESIZE : 0);
	if (fw_protect(data, npages * ST_PAGESIZE, 0) != 0 ||
	    pagemap_set(base, len, (uintptr_t)hp | PM_FW) != 0) {
		/* Out of mappings after all: stop using the firewall. */
		(void) fw_protect(data, npages * ST_PAGESIZE, 1);
		st_lock(&fw_lock);
		fw_live--;
		fw_live_max = fw_live;
		vmem_free(fw_arena, (void *)base, len);
		kmem_cache_free(fw_hdr_cache, hp);
		st_unlock(&fw_lock);
		return (NULL);
	}
	end = data + npages * ST_PAGESIZE;
	buf = below ? data : (end - size) & ~(uintptr_t)(align - 1);
	fw_hdr_init(hp, data, npages, buf, size, align, kind,
	    (below ? FW_BELOW : 0) | (room != 0 ? FW_MOVED : 0));
	hp->fw_room = (uint32_t)rpages;
	/* Its lead, the page's bytes before it, is its leading redzone. */
	memset((void *)data, KMEM_REDZONE_BYTE, buf - data);
	memset((void *)(buf + size), KMEM_REDZONE_BYTE, end - buf - size);
	if (kmem_flags & KMF_DEADBEEF) {
		if (npages > 1)
			st_os_populate((void *)data, npages * ST_PAGESIZE);
		memset((void *)buf, 0xba, size);        /* never read zeros */
	}
	fw_audit(hp, 0);
	st_lock(&fw_lock);
	fw_live_insert_locked(hp);
	st_unlock(&fw_lock);
	return ((void *)buf);
}

/*
 * A big buffer (section 6), of size bytes (room for at least `room`)
 * at align, or NULL: the caller then uses kmem_oversize_alloc.
 */
void *
st_bigbuf_alloc(size_t size, size_t room, size_t align, st_kind_t kind)
{
	st_fwhdr_t *hp;
	uint64_t npages, len, fill, lead;
	uintptr_t base, buf;

	/* FW_LEAD bytes (or the alignment) before it: its leading redzone. */
	align = ST_MAX(align, 16);
	lead = ST_MAX(align, FW_LEAD);
	align = ST_MAX(align, ST_PAGESIZE);
	room = ST_MAX(room, size);
	if (room > (1UL << 46) || align > (1UL << 40))
		return (NULL);
	npages = (lead + ST_MAX(room, 1) + ST_PAGESIZE - 1) >> ST_PAGESHIFT;
	len = npages * ST_PAGESIZE;
	st_lock(&fw_lock);
	if (fw_init_locked() < 0) {
		st_unlock(&fw_lock);
		return (NULL);
	}
	st_unlock(&fw_lock);
	base = (uintptr_t)vmem_xalloc(kmem_oversize_arena, len, align, 0, 0,
	    NULL, NULL, VM_NOSLEEP | VM_BESTFIT);
	hp = base != 0 ? kmem_cache_alloc(fw_hdr_cache, KM_NOSLEEP) : NULL;
	buf = base + lead;
	if (hp == NULL || pagemap_set(base, ST_P2ROUNDUP(buf + 1, ST_PAGESIZE) -
	    base, (uintptr_t)hp | PM_FW) != 0) {
		if (hp != NULL)
			kmem_cache_free(fw_hdr_cache, hp);
		if (base != 0)
			vmem_xfree(kmem_oversize_arena, (void *)base, len);
		return (NULL);
	}
	fw_hdr_init(hp, base, npages, buf, size, align, kind, FW_UNGUARDED);
	memset((void *)base, KMEM_REDZONE_BYTE, lead);
	memset((void *)(buf + size), KMEM_REDZONE_BYTE, fw_slack(hp));
	/*
	 * As a cache's new buffer: 0xbaddcafe, but only as far as its first
	 * page, which is all its free patterns (section 6): a pass over
	 * megabytes at every allocation cost bench `large` 2.3x glibc's time.
	 */
	fill = (kmem_flags & KMF_LITE) ? ST_MIN(size, 8) : ST_MIN(ST_MIN(size,
	    st_opts.so_maxverify), ST_P2ROUNDUP(buf + 1, ST_PAGESIZE) - buf);
	for (uint64_t i = 0; i + 8 <= fill; i += 8)
		((uint64_t *)buf)[i / 8] = KMEM_UNINITIALIZED_PATTERN;
	fw_audit(hp, 0);
	st_lock(&fw_lock);
	fw_live_insert_locked(hp);
	st_unlock(&fw_lock);
	return ((void *)buf);
}

static st_fwhdr_t *
fw_hdr_of(uintptr_t addr)
{
	uintptr_t pm = pagemap_lookup(addr);
	st_fwhdr_t *hp = (st_fwhdr_t *)(pm & ~PM_TAGS);

	if (!(pm & PM_FW) || hp == NULL || hp->fw_magic != FW_MAGIC)
		return (NULL);
	return (hp);
}

static void
fw_error(kmem_error_t error, st_fwhdr_t *hp, void *buf, size_t size,
    st_kind_t kind, const char *routine)
{
	kmem_errinfo_t ei;

	(void) kmem_errinfo_init(&ei, error, hp != NULL ? hp->fw_cache : NULL,
	    buf);
	ei.ei_base = hp != NULL ? hp->fw_buf : buf;
	ei.ei_routine = routine;
	ei.ei_kind = kind;
	ei.ei_size = size;
	if (hp != NULL) {
		ei.ei_alloc_kind = hp->fw_kind;
		ei.ei_alloc_size = hp->fw_size;
		ei.ei_bufctl = hp;
		if (hp->fw_state == FW_FREE) {
			ei.ei_audit[0] = hp->fw_audit[1];
			ei.ei_audit[1] = hp->fw_audit[0];
		} else {
			ei.ei_audit[0] = hp->fw_audit[0];
		}
	}
	kmem_error(&ei);
}

static void sp_free(st_fwhdr_t *hp);

void
st_firewall_free(void *buf, size_t size, st_kind_t kind, const char *routine)
{
	st_fwhdr_t *hp = fw_hdr_of((uintptr_t)buf), *out;
	kmem_errinfo_t ei;
	uint32_t alloc = FW_ALLOC;
	uint64_t len;
	uint8_t *p;

	if (hp == NULL) {
		fw_error(KMERR_BADADDR, NULL, buf, size, kind, routine);
		return;
	}
	if (buf != hp->fw_buf) {
		fw_error(KMERR_BADBASE, hp, buf, size, kind, routine);
		return;
	}
	/*
	 * The claim first, as debug.c's free does (its section 3): only the
	 * thread that wins it reads the buffer's lead and slack, which the
	 * winner's free decommits and makes inaccessible.  Given back if a
	 * check fails (the buffer is not freed).
	 */
	if (!__atomic_compare_exchange_n(&hp->fw_state, &alloc, FW_FREE, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		fw_error(KMERR_DUPFREE, hp, buf, size, kind, routine);
		return;
	}
	if (!st_kind_match(hp->fw_kind, kind)) {
		__atomic_store_n(&hp->fw_state, FW_ALLOC, __ATOMIC_RELEASE);
		fw_error(KMERR_BADROUTINE, hp, buf, size, kind, routine);
		return;
	}
	if (size != 0 && size != hp->fw_size) {
		__atomic_store_n(&hp->fw_state, FW_ALLOC, __ATOMIC_RELEASE);
		fw_error(KMERR_BADSIZE, hp, buf, size, kind, routine);
		return;
	}
	if (fw_check_slack(hp, &ei, UINT64_MAX)) {
		__atomic_store_n(&hp->fw_state, FW_ALLOC, __ATOMIC_RELEASE);
		kmem_error(&ei);
		return;
	}
	if (hp->fw_flags & FW_SAMPLED) {
		sp_free(hp);
		return;
	}
	fw_audit(hp, 1);
	len = hp->fw_npages * ST_PAGESIZE;
	if (hp->fw_flags & FW_UNGUARDED) {
		/* Its first page patterned, the rest inaccessible (6.). */
		uint64_t keep = fw_big_keep(hp);

		hp->fw_verify = (kmem_flags & KMF_LITE) ? 8 : ST_P2ALIGN(
		    ST_MIN(hp->fw_size, st_opts.so_maxverify), (uint64_t)8);
		/*
		 * Decommitted only if huge: faulting pages in again costs
		 * more than the quarantine's few committed bytes (a 5-25 MiB
		 * buffer reused 900 times: 38 s against 3 s without
		 * debugging).
		 */
		if (keep < len && !(kmem_flags & KMF_LITE) &&
		    st_opts.so_maxverify >= hp->fw_size) {
			if (len >= fw_big_decommit)
				(void) st_os_decommit((void *)(hp->fw_base +
				    keep), len - keep);
			if (st_os_protect((void *)(hp->fw_base + keep),
			    len - keep, ST_PROT_NONE) == 0) {
				hp->fw_flags |= FW_PROTECTED;
				hp->fw_verify = ST_MIN(hp->fw_verify,
				    ST_P2ALIGN(hp->fw_base + keep -
				    (uintptr_t)buf, (uint64_t)8));
			}
		}
		for (p = buf; p + 8 <= (uint8_t *)buf + hp->fw_verify; p += 8)
			*(uint64_t *)(void *)p = KMEM_FREE_PATTERN;
		keep = ST_P2ROUNDUP((uintptr_t)buf - hp->fw_base +
		    hp->fw_verify + 1, ST_PAGESIZE);   /* lead, pattern */
		if (!(hp->fw_flags & FW_PROTECTED) && keep < len &&
		    len >= fw_big_decommit)
			(void) st_os_decommit((void *)(hp->fw_base + keep),
			    len - keep);
	} else if (fw_protect(hp->fw_base, len, 1) != 0) {
		/* Not guarded again (no memory for page tables): never reused. */
		(void) st_os_decommit((void *)hp->fw_base, len);
		(void) st_os_protect((void *)hp->fw_base, len, ST_PROT_NONE);
		hp->fw_flags |= FW_LOST;
	}
	st_lock(&fw_lock);
	if (!(hp->fw_flags & FW_UNGUARDED))
		fw_live--;
	fw_live_remove_locked(hp);
	out = fw_quarantine_locked(hp);
	st_unlock(&fw_lock);
	fw_release_list(out);
}

/*
 * Is the slack after a live buffer still KMEM_REDZONE_BYTE?  1 and a
 * report in *ei if not.
 */
static int
fw_check_slack(st_fwhdr_t *hp, kmem_errinfo_t *ei, uint64_t limit)
{
	const uint8_t *buf = hp->fw_buf, *p, *end, *bad;

	/* Its lead (the bytes of its first page before it), then its slack. */
	bad = kmem_redzone_find((const uint8_t *)hp->fw_base, buf);
	p = buf + hp->fw_size;
	end = p + ST_MIN(fw_slack(hp), limit);
	if (bad == NULL)
		bad = kmem_redzone_find(p, end);
	if (bad == NULL)
		return (0);
	(void) kmem_errinfo_init(ei, KMERR_REDZONE, hp->fw_cache, hp->fw_buf);
	ei->ei_off = (uint64_t)(bad - buf);     /* negative: before it */
	ei->ei_old = KMEM_REDZONE_BYTE;
	ei->ei_new = *bad;
	ei->ei_alloc_size = hp->fw_size;
	ei->ei_bufctl = hp;
	ei->ei_audit[0] = hp->fw_audit[0];
	return (1);
}

/*
 * Is a freed big buffer still patterned?  1 and a report in *ei if not.
 */
static int
fw_check_pattern(st_fwhdr_t *hp, kmem_errinfo_t *ei)
{
	const uint64_t *w = hp->fw_buf, *end;

	if (!(hp->fw_flags & FW_UNGUARDED) || hp->fw_state != FW_FREE ||
	    hp->fw_buf == kmem_panic_buf)
		return (0);
	end = (const uint64_t *)((const char *)hp->fw_buf + hp->fw_verify);
	for (; w < end; w++) {
		if (*w != KMEM_FREE_PATTERN) {
			(void) kmem_errinfo_init(ei, KMERR_MODIFIED, hp->fw_cache, hp->fw_buf);
			ei->ei_off = (uint64_t)((const char *)w -
			    (const char *)hp->fw_buf);
			ei->ei_old = KMEM_FREE_PATTERN;
			ei->ei_new = *w;
			ei->ei_bufctl = hp;
			ei->ei_audit[0] = hp->fw_audit[1];
			ei->ei_audit[1] = hp->fw_audit[0];
			return (1);
		}
	}
	return (0);
}

/* A big buffer leaves the quarantine: checked, reported (found: how). */
static void
fw_check_freed(st_fwhdr_t *hp, const char *found)
{
	kmem_errinfo_t ei;

	if (fw_check_pattern(hp, &ei)) {
		ei.ei_found = found;
		kmem_error(&ei);
	}
}

/*
 * The big buffer whose pages hold addr, or NULL: the page map leads only
 * a big buffer's first page to its header (section 6), so its lists are
 * walked, the quarantine's and (live) the live one's.  From the fault
 * handler (careful), fw_lock is only tried (the faulting thread may hold
 * it) and, if busy, the quarantine walked all the same, bounded, as the
 * panic it is.
 */
static st_fwhdr_t *
fw_big_containing(uintptr_t addr, int live, int careful)
{
	st_fwhdr_t *hp, *found = NULL;
	uint64_t n;
	int locked, pass;

	if (fw_state <= 0)
		return (NULL);
	locked = careful ? st_trylock(&fw_lock) : (st_lock(&fw_lock), 1);
	for (pass = live ? 0 : 1; pass < 2 && found == NULL; pass++)
		for (hp = pass == 0 ? fw_live_head : fw_qhead, n = 0;
		    hp != NULL && n <= fw_quarantine_max;
		    hp = pass == 0 ? hp->fw_lnext : hp->fw_qnext, n++)
			if (hp->fw_magic == FW_MAGIC &&
			    (hp->fw_flags & FW_UNGUARDED) &&
			    addr >= hp->fw_base &&
			    addr < hp->fw_base + fw_len(hp)) {
				found = hp;
				break;
			}
	if (locked)
		st_unlock(&fw_lock);
	return (found);
}

/*
 * free(addr) of an address the page map does not know: inside a big
 * buffer, live or quarantined, past its first page?  Then reported as a
 * free of an address inside it, with its history, and 1; else 0 (not
 * ours: the caller says so).
 */
int
st_firewall_free_inside(void *addr, size_t size, st_kind_t kind,
    const char *routine)
{
	st_fwhdr_t *hp = fw_big_containing((uintptr_t)addr, 1, 0);

	if (hp == NULL)
		return (0);
	fw_error(KMERR_BADBASE, hp, addr, size, kind, routine);
	return (1);
}

/*
 * verify.c's walk: every quarantined big buffer's pattern and (live) every
 * live buffer's slack; fn(ei, arg) for each problem.  0 if careful and
 * fw_lock was busy.
 */
int
st_firewall_visit(int live, int careful, void (*fn)(const kmem_errinfo_t *,
    void *), void *arg)
{
	kmem_errinfo_t ei;
	st_fwhdr_t *hp;

	if (fw_state <= 0)
		return (1);
	if (!careful)
		st_lock(&fw_lock);
	else if (!st_trylock(&fw_lock))
		return (0);
	for (hp = fw_qhead; hp != NULL; hp = hp->fw_qnext)
		if (fw_check_pattern(hp, &ei))
			fn(&ei, arg);
	for (hp = fw_live_head; live && hp != NULL; hp = hp->fw_lnext)
		if (hp->fw_buf != kmem_panic_buf &&
		    fw_check_slack(hp, &ei, UINT64_MAX))
			fn(&ei, arg);
	st_unlock(&fw_lock);
	return (1);
}

/*
 * The leak check's walk (leakcheck.c): every live buffer here, firewall,
 * big or sampled, with its asked-for size and the record of its
 * allocation.  Only tries fw_lock (the other threads are stopped): 0 if
 * it was busy.  A sampled slot is live once its header is whole (a
 * thread stopped inside sp_alloc may have left it half written: its
 * state is set before its records, so a NULL record is passed then).
 */
int
st_firewall_visit_live(void (*fn)(void *buf, uint64_t size,
    const kmem_bufctl_audit_t *alloc, void *arg), void *arg)
{
	st_fwhdr_t *hp;

	if (fw_state > 0) {
		if (!st_trylock(&fw_lock))
			return (0);
		for (hp = fw_live_head; hp != NULL; hp = hp->fw_lnext)
			fn(hp->fw_buf, hp->fw_size, hp->fw_audit[0], arg);
		st_unlock(&fw_lock);
	}
	for (uint64_t i = 0; sp_hdrs != NULL && i < sp_nslots; i++) {
		hp = (st_fwhdr_t *)(void *)(sp_hdrs + i * sp_hsize);
		if (hp->fw_magic == FW_MAGIC && hp->fw_state == FW_ALLOC)
			fn(hp->fw_buf, hp->fw_size, hp->fw_audit[0], arg);
	}
	return (1);
}

/*
 * A guarded buffer's data pages become need bytes (section 2): grown
 * into its room, or shrunk, the pages given back becoming room.  0, or -1
 * if it does not fit (move it).
 */
static int
fw_resize_guarded(st_fwhdr_t *hp, uint64_t len, uint64_t need)
{
	uintptr_t end = hp->fw_base + len;

	if (need > len) {
		if (need - len > ((uint64_t)hp->fw_room << ST_PAGESHIFT) ||
		    fw_protect(end, need - len, 0) != 0)
			return (-1);
		hp->fw_room -= (uint32_t)((need - len) >> ST_PAGESHIFT);
	} else if (need < len) {
		if (hp->fw_room + ((len - need) >> ST_PAGESHIFT) > UINT32_MAX ||
		    fw_protect(hp->fw_base + need, len - need, 1) != 0)
			return (-1);
		hp->fw_room += (uint32_t)((len - need) >> ST_PAGESHIFT);
	}
	hp->fw_npages = need >> ST_PAGESHIFT;
	return (0);
}

/*
 * realloc in place, when size still fits: a big buffer's pages (grown
 * into the free pages after them if it can: section 6), a guarded one's
 * data pages and room (section 2).  The bytes after it are checked
 * first, the new size recorded, the slack after it filled; a guarded
 * buffer's new bytes are 0xbaddcafe's 0xba, as a new one's.  buf, or NULL
 * (move it).
 */
void *
st_firewall_resize(void *buf, size_t size)
{
	st_fwhdr_t *hp = fw_hdr_of((uintptr_t)buf);
	uint64_t len, need, from, to, old;
	int big;
	kmem_errinfo_t ei;

	if (hp == NULL || (hp->fw_flags & FW_SAMPLED) ||
	    buf != hp->fw_buf || hp->fw_state != FW_ALLOC ||
	    hp->fw_kind != ST_KIND_MALLOC || size == 0 || size > (1UL << 46))
		return (NULL);
	big = (hp->fw_flags & FW_UNGUARDED) != 0;
	if (big && size <= KMEM_MAXBUF)
		return (NULL);
	/*
	 * The first realloc that grows a buffer moves it (section 2), so
	 * that a stale pointer faults; one placed below has its page's slack
	 * after it to grow into, which one placed at its guard has not.
	 */
	if ((hp->fw_flags & (FW_BELOW | FW_MOVED)) == FW_BELOW &&
	    size > hp->fw_size)
		return (NULL);
	/* The bytes right after it (free() checks all of a big one's). */
	if (fw_check_slack(hp, &ei, big ? FW_RESIZE_CHECK : UINT64_MAX)) {
		ei.ei_routine = "realloc";
		kmem_error(&ei);
		return (NULL);
	}
	/* The old slack, [fw_size, from), is KMEM_REDZONE_BYTE already. */
	old = hp->fw_size;
	from = old + fw_slack(hp);
	len = hp->fw_npages * ST_PAGESIZE;
	need = ST_P2ROUNDUP((uintptr_t)buf - hp->fw_base + size,
	    ST_PAGESIZE);
	if (!big) {
		if (need != len && fw_resize_guarded(hp, len, need) != 0)
			return (NULL);
	} else if (need > len) {
		/* Too big for its pages: grow them if the next are free. */
		if (vmem_extend_try(kmem_oversize_arena, (void *)hp->fw_base,
		    len, need) == NULL)
			return (NULL);
		hp->fw_npages = need >> ST_PAGESHIFT;
	}
	if (size < old || from < size)
		from = size;            /* shrunk, or grown past it all */
	hp->fw_size = size;
	hp->fw_cache = fw_cache_for(size, KMEM_ALIGN);
	to = size + fw_slack(hp);
	if (to > from)
		memset((char *)buf + from, KMEM_REDZONE_BYTE, to - from);
	if (!big && size > old && (kmem_flags & KMF_DEADBEEF))
		memset((char *)buf + old, 0xba, size - old);
	return (buf);
}

size_t
st_firewall_size(void *buf)
{
	st_fwhdr_t *hp = fw_hdr_of((uintptr_t)buf);

	if (hp == NULL || buf != hp->fw_buf || hp->fw_state != FW_ALLOC) {
		fw_error(hp == NULL ? KMERR_BADADDR : buf != hp->fw_buf ?
		    KMERR_BADBASE : KMERR_DUPFREE, hp, buf, 0, ST_KIND_MALLOC,
		    "malloc_usable_size");
		return ((size_t)-1);
	}
	return (hp->fw_size);
}

/* ------------------------------------------------------------------------
 * Faults.
 */

/*
 * The buffer a fault at addr is about.  Its page's header; but a buffer
 * placed below (FW_BELOW) has no guard page of its own after it, so a
 * fault on the page after its pages (free space of the arena: no header)
 * is its overrun, and a fault in the guard page of a below buffer that
 * follows another is about whichever of the two is nearer, as GWP-ASan
 * decides between neighbouring slots.
 */
static st_fwhdr_t *sp_fault_owner(uintptr_t addr, int *inpool);

/*
 * A fault at addr between two buffers: the one it is nearer to; at equal
 * distances, the one whose pages the page map leads addr to.
 */
static st_fwhdr_t *
fw_nearer(uintptr_t addr, st_fwhdr_t *before, st_fwhdr_t *after)
{
	uintptr_t db = addr - ((uintptr_t)before->fw_buf + before->fw_size);
	uintptr_t da = (uintptr_t)after->fw_buf - addr;

	if (db != da)
		return (db < da ? before : after);
	return (fw_hdr_of(addr) == after ? after : before);
}

static st_fwhdr_t *
fw_fault_owner(uintptr_t addr)
{
	uintptr_t page = ST_P2ALIGN(addr, ST_PAGESIZE);
	st_fwhdr_t *hp, *prev;
	int inpool;

	if ((hp = sp_fault_owner(addr, &inpool)) != NULL || inpool)
		return (hp);
	hp = fw_hdr_of(addr);
	if (hp != NULL && (!(hp->fw_flags & FW_BELOW) || addr >= hp->fw_base))
		return (hp);
	if (page == 0 || (prev = fw_hdr_of(page - 1)) == NULL ||
	    prev == hp || !(prev->fw_flags & FW_BELOW) ||
	    fw_start(prev) + fw_len(prev) != page)
		return (hp);
	if (hp == NULL)
		return (prev);
	/* Both: before hp's start, or past prev's end. */
	return (fw_nearer(addr, prev, hp));
}

/* Is addr in a page the firewall guards (a buffer's, or a freed big one's)? */
int
st_firewall_owns(uintptr_t addr)
{
	return (fw_fault_owner(addr) != NULL ||
	    fw_big_containing(addr, 0, 1) != NULL);
}

/*
 * A fault at addr (write: 1, read: 0, unknown: -1): if it is in a firewall
 * buffer's pages, report it (fault.c then panics) and return 1.
 */
int
st_firewall_fault(uintptr_t addr, const void *uc, int write)
{
	st_fwhdr_t *hp = fw_fault_owner(addr);

	if (hp == NULL)
		hp = fw_big_containing(addr, 0, 1);
	uintptr_t buf, end;
	const char *access = write > 0 ? "write" : write == 0 ? "read" :
	    "access";
	uintptr_t pcs[KMEM_STACK_MAX];
	char kind[64];
	uint32_t n;

	if (hp == NULL)
		return (0);
	buf = (uintptr_t)hp->fw_buf;
	end = hp->fw_base + hp->fw_npages * ST_PAGESIZE;
	if (hp->fw_state == FW_FREE)
		st_snprintf(kind, sizeof (kind), "%s after free", access);
	else if (addr >= end)
		st_snprintf(kind, sizeof (kind), "%s past end of buffer",
		    access);
	else if (addr < hp->fw_base)
		st_snprintf(kind, sizeof (kind), "%s before start of buffer",
		    access);
	else
		st_snprintf(kind, sizeof (kind), "%s of an inaccessible page "
		    "of a buffer", access);
	st_report_begin(kind, ST_REPORT_FIREWALL, NULL);
	st_msg("%s\n", kind);
	if (addr >= buf)
		st_msg("fault at %lx: offset 0x%lx of the %lu-byte buffer%s\n",
		    (unsigned long)addr, (unsigned long)(addr - buf),
		    (unsigned long)hp->fw_size, addr >= buf + hp->fw_size ?
		    ", past its end" : "");
	else
		st_msg("fault at %lx: %lu bytes before the %lu-byte buffer\n",
		    (unsigned long)addr, (unsigned long)(buf - addr),
		    (unsigned long)hp->fw_size);
	st_msg("buffer=%lx  bufctl=%lx  cache: %s%s\n",
	    (unsigned long)buf, (unsigned long)(uintptr_t)hp,
	    hp->fw_cache->cache_name, (hp->fw_flags & FW_UNGUARDED) ? "" :
	    " (firewall)");
	if (hp->fw_flags & FW_SAMPLED)
		st_msg("sampled buffer: one malloc in %lu is guarded "
		    "(UMEM_DEBUG=firewall,sample=%lu)\n",
		    (unsigned long)st_opts.so_sample,
		    (unsigned long)st_opts.so_sample);
	st_msg("faulting %s, thread=%lu:\n", access,
	    (unsigned long)st_os_thread_id());
	n = st_stack_capture_uc(uc, pcs, st_opts.so_stack_depth);
	st_report_stack("faulting access", st_os_thread_id(), 0, pcs, n,
	    ST_STACK_EXACT, "    ");
	if (hp->fw_state == FW_FREE) {
		kmem_print_transaction("previous transaction (free)",
		    hp->fw_audit[1], hp->fw_buf);
		kmem_print_transaction("transaction before that (allocation)",
		    hp->fw_audit[0], hp->fw_buf);
	} else {
		kmem_print_transaction("previous transaction (allocation)",
		    hp->fw_audit[0], hp->fw_buf);
	}
	return ((hp->fw_flags & FW_UNGUARDED) ? 2 : 1);
}

/* ------------------------------------------------------------------------
 * Sampling (section 9).
 */

static int sp_state;                    /* 0 not tried, 1 ready, -1 failed */
static int sp_guards;                   /* slots guarded by guard regions */
static uintptr_t sp_base;               /* the first slot's page */
static st_fwhdr_t *sp_fhead, *sp_ftail; /* free slots: least recently freed
                                           first */
static uint64_t sp_live;                /* slots in use */
static kmem_cache_t fw_sample_cache;    /* its name says "sampled" */
static uint64_t sp_cost_ns = 20000;     /* an mprotect of a slot, average */

/* A slot's protection change took ns: into the running average (1/8). */
static void
sp_cost(uint64_t ns)
{
	uint64_t c = __atomic_load_n(&sp_cost_ns, __ATOMIC_RELAXED);

	__atomic_store_n(&sp_cost_ns, c - c / 8 + ns / 8, __ATOMIC_RELAXED);
}

/* Slot i's page: after the first guard page, one slot and guard each. */
#define SP_SLOT(i)      (sp_base + 2 * (uintptr_t)(i) * ST_PAGESIZE)

static int
sp_init_locked(void)
{
	uint64_t i, hsize, len;
	uintptr_t res;
	char *hdrs;

	if (sp_state != 0)
		return (sp_state);
	sp_state = -1;
	if (fw_audit_size == 0)
		fw_audit_size = (uint32_t)sizeof (kmem_bufctl_audit_t);
	hsize = ST_P2ROUNDUP(sizeof (st_fwhdr_t) + 2 * (uint64_t)fw_audit_size,
	    (uint64_t)64);
	res = (uintptr_t)st_os_reserve((2 * sp_nslots + 1) * ST_PAGESIZE,
	    ST_PAGESIZE);
	hdrs = res != 0 ? st_os_map(sp_nslots * hsize, 0) : NULL;
	if (hdrs == NULL) {
		st_msg("sampling: cannot reserve its %lu slots; sampling "
		    "off\n", (unsigned long)sp_nslots);
		return (-1);
	}
	sp_base = res + ST_PAGESIZE;
	sp_hsize = hsize;
	/*
	 * Guard regions, as for the firewall's arena (section 4); the guards
	 * come off again if the pool cannot be made read-write, or mprotect
	 * would open its slots to no avail.
	 */
	len = (2 * sp_nslots + 1) * ST_PAGESIZE;
	if (!st_opts.so_fw_mprotect && st_os_guard((void *)res, len, 1) == 0) {
		if (st_os_protect((void *)res, len, ST_PROT_RW) == 0)
			sp_guards = 1;
		else
			(void) st_os_guard((void *)res, len, 0);
	}
	st_snprintf(fw_sample_cache.cache_name, KMEM_CACHE_NAMELEN,
	    "sampled, 1 in %lu", (unsigned long)st_opts.so_sample);
	for (i = 0; i < sp_nslots; i++) {
		st_fwhdr_t *hp = (st_fwhdr_t *)(void *)(hdrs + i * hsize);

		hp->fw_base = SP_SLOT(i);
		hp->fw_npages = 1;
		hp->fw_flags = FW_SAMPLED;
		if (pagemap_set(i == 0 ? res : hp->fw_base, i == 0 ?
		    3 * ST_PAGESIZE : 2 * ST_PAGESIZE,
		    (uintptr_t)hp | PM_FW) != 0)
			return (-1);    /* the slots so far stay unused */
		fw_list_append(&sp_fhead, &sp_ftail, hp);
	}
	sp_hdrs = hdrs;
	fw_root.sf_sample_hdrs = (uintptr_t)hdrs;
	fw_root.sf_sample_hsize = hsize;
	fw_root.sf_sample_nslots = sp_nslots;
	fw_root.sf_sample_base = res;
	fw_root.sf_sample_len = (2 * sp_nslots + 1) * ST_PAGESIZE;
	st_root.sr_firewall = &fw_root;
	__atomic_store_n(&sp_state, 1, __ATOMIC_RELEASE); /* faults read it */
	return (1);
}

/* The thread's next draw: uniform in [1, 2N - 1] (xorshift64*). */
static uint64_t
sp_interval(kmem_thread_t *kt)
{
	uint64_t x = kt->kt_sample_rng, n = st_opts.so_sample;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	kt->kt_sample_rng = x;
	return (1 + (x * 0x2545f4914f6cdd1dULL >> 11) % (2 * n - 1));
}

/*
 * A fault at addr in the pool (*inpool set): the slot's buffer, or on a
 * guard page the nearer of the slots either side (a buffer at its slot's
 * end overruns into the guard after it; one at its start, fwbelow,
 * underruns into the guard before it).  The page map leads a guard page
 * to the slot before it only.
 */
static st_fwhdr_t *
sp_fault_owner(uintptr_t addr, int *inpool)
{
	uintptr_t page = ST_P2ALIGN(addr, ST_PAGESIZE), lo, hi;
	st_fwhdr_t *l, *r;

	*inpool = 0;
	if (__atomic_load_n(&sp_state, __ATOMIC_ACQUIRE) != 1)
		return (NULL);
	lo = sp_base - ST_PAGESIZE;
	hi = sp_base + 2 * sp_nslots * ST_PAGESIZE;
	if (page < lo || page >= hi)
		return (NULL);
	*inpool = 1;
	if (((page - lo) >> ST_PAGESHIFT) & 1)
		return (fw_hdr_of(addr));       /* a slot's own page */
	l = page > lo ? fw_hdr_of(page - ST_PAGESIZE) : NULL;
	r = page + ST_PAGESIZE < hi ? fw_hdr_of(page + ST_PAGESIZE) : NULL;
	if (l == NULL || r == NULL)
		return (l != NULL ? l : r);
	return (fw_nearer(addr, l, r));
}

/* A slot for size bytes at align (0: malloc's), or NULL: none free. */
static void *
sp_alloc(size_t size, size_t align)
{
	st_fwhdr_t *hp;
	uintptr_t base, end, buf;
	uint64_t t0;
	int rc, below;

	st_lock(&sp_lock);
	if (sp_init_locked() < 0 || (hp = sp_fhead) == NULL) {
		st_unlock(&sp_lock);
		return (NULL);          /* all in use: not sampled */
	}
	sp_fhead = hp->fw_qnext;
	if (sp_fhead == NULL)
		sp_ftail = NULL;
	sp_live++;
	st_unlock(&sp_lock);

	base = hp->fw_base;
	t0 = st_os_now_ns();
	rc = sp_guards ? st_os_guard((void *)base, ST_PAGESIZE, 0) :
	    st_os_protect((void *)base, ST_PAGESIZE, ST_PROT_RW);
	if (rc != 0) {
		st_lock(&sp_lock);      /* out of mappings: back it goes */
		hp->fw_qnext = sp_fhead;
		sp_fhead = hp;
		if (sp_ftail == NULL)
			sp_ftail = hp;
		sp_live--;
		st_unlock(&sp_lock);
		return (NULL);
	}
	end = base + ST_PAGESIZE;
	/* fwbelow: at the slot's start, the guard before it (section 2). */
	below = st_opts.so_fw_below != 0 && size != 0;
	buf = below ? base : (end - size) & ~(uintptr_t)(align - 1);
	fw_hdr_init(hp, base, 1, buf, size, align, ST_KIND_MALLOC, FW_SAMPLED |
	    (below ? FW_BELOW : 0));
	hp->fw_cache = &fw_sample_cache;
	memset((void *)base, KMEM_REDZONE_BYTE, buf - base);
	memset((void *)(buf + size), KMEM_REDZONE_BYTE, end - buf - size);
	sp_cost(st_os_now_ns() - t0);   /* with the page's first touch */
	fw_audit(hp, 0);
	return ((void *)buf);
}

/*
 * malloc's slow path, sampling on: a sampled buffer, or NULL (not this
 * one).  The fast path brings a call whose countdown reached 0; any
 * other slow-path malloc is counted here.
 */
void *
st_sample_alloc(size_t size, size_t align)
{
	kmem_thread_t *kt = kmem_thread_self;
	uint64_t now = 0;

	if (kt == &kmem_thread_dead &&
	    (kt = kmem_thread_self_slow()) == &kmem_thread_dead)
		return (NULL);          /* exiting, or no thread state */
	if (kt->kt_sample_rng == 0) {   /* the thread's first: seed */
		kt->kt_sample_rng = st_os_random() | 1;
		kt->kt_sample_left = sp_interval(kt);
	}
	if (kt->kt_sample_left != 0 && --kt->kt_sample_left != 0)
		return (NULL);
	/* The cost's bound: too soon after the last one, skip this draw. */
	if (st_opts.so_sample > 1 && (now = st_os_now_ns()) <
	    kt->kt_sample_next) {
		kt->kt_sample_left = sp_interval(kt);
		return (NULL);
	}
	if (align == 0)
		align = fw_malloc_align(size);
	if (size == 0 || size > ST_PAGESIZE || align > ST_PAGESIZE) {
		kt->kt_sample_left = 1; /* the next one, then */
		return (NULL);
	}
	kt->kt_sample_left = sp_interval(kt);
	kt->kt_sample_next = now + sp_budget * 2 *     /* two a sample */
	    __atomic_load_n(&sp_cost_ns, __ATOMIC_RELAXED);
	return (sp_alloc(size, align));
}

/*
 * free() of a sampled buffer, checked and claimed (st_firewall_free): slot
 * to tail.
 */
static void
sp_free(st_fwhdr_t *hp)
{
	uint64_t t0;

	fw_audit(hp, 1);
	t0 = st_os_now_ns();
	if (!sp_guards || st_os_guard((void *)hp->fw_base, ST_PAGESIZE, 1) != 0)
		(void) st_os_protect((void *)hp->fw_base, ST_PAGESIZE,
		    ST_PROT_NONE);
	sp_cost(st_os_now_ns() - t0);
	st_lock(&sp_lock);
	fw_list_append(&sp_fhead, &sp_ftail, hp);
	sp_live--;
	st_unlock(&sp_lock);
}
