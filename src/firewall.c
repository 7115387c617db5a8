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
 *    than A) are slack, filled with KMEM_REDZONE_BYTE and checked on free.
 *
 * 3. Headers.  Nothing is written in the protected pages but the buffer:
 *    each buffer's header (st_fwhdr_t: size, kind, state and the last
 *    allocation's and free's thread, time and stack) comes from a cache of
 *    its own, and every page of the buffer, guard page included, maps to
 *    the header in the page map (PM_FW | header), so that a fault address
 *    or a pointer passed to free() leads to it.
 *
 * 4. The map limit.  The kernel allows vm.max_map_count mappings (65530
 *    by default).  A live buffer splits the reservation into a
 *    read-write mapping and the inaccessible rest: about two mappings per
 *    live buffer.  A freed buffer costs none (made inaccessible again, its
 *    pages merge back with their neighbours).  So live firewall buffers are
 *    limited to fw_live_max (from max_map_count, leaving room for the
 *    program's own mappings); past it, and if mprotect ever fails,
 *    allocations fall back to the ordinary debugged caches rather than
 *    failing (Electric Fence dies there).  The quarantine is bounded by
 *    count and by address space (fw_quarantine_max, fw_quarantine_bytes)
 *    and recycled oldest first, also whenever the arena runs out.
 *
 * 5. Coverage.  malloc and its family, operator new, kmem_alloc and
 *    umem_alloc use the firewall; buffers of caches made with
 *    kmem_cache_create / umem_cache_create do not (they keep the buffer
 *    tag's checks).
 *
 * 6. Locking.  fw_lock protects the arena calls, the quarantine and the
 *    counters; page protection changes are made outside it, on pages that
 *    only the caller owns.
 */
#include <string.h>

#include "slabtrace_impl.h"

/* Tunables. */
uint64_t fw_reserve_bytes = 64ULL << 30;        /* address space */
uint64_t fw_quarantine_max = 65536;             /* freed buffers kept */
uint64_t fw_quarantine_bytes = 8ULL << 30;      /* ... and their space */
uint64_t fw_map_reserve = 4096;         /* mappings left for the program,
                                           at least (and a quarter) */

#define FW_MAGIC        0x6669726577616c6cULL   /* "firewall" */
#define FW_ALLOC        1
#define FW_FREE         2

typedef struct st_fwhdr {
	uint64_t fw_magic;
	void *fw_buf;                   /* the buffer */
	uint64_t fw_size;               /* its requested size */
	uintptr_t fw_base;              /* first data page */
	uint64_t fw_npages;             /* data pages (guard not counted) */
	uint32_t fw_kind;               /* st_kind_t of the allocation */
	uint32_t fw_state;              /* FW_ALLOC or FW_FREE */
	kmem_cache_t *fw_cache;         /* the cache it would have come from */
	struct st_fwhdr *fw_qnext;      /* quarantine: next newer */
	kmem_bufctl_audit_t *fw_audit[2]; /* last allocation, last free */
} st_fwhdr_t;

static st_lock_t fw_lock = ST_LOCK_INITIALIZER;
static int fw_state;                    /* 0 not tried, 1 ready, -1 failed */
static vmem_t *fw_arena;
static kmem_cache_t *fw_hdr_cache;
static uint32_t fw_audit_size;
static uint64_t fw_live, fw_live_max;
static st_fwhdr_t *fw_qhead, *fw_qtail; /* oldest, newest */
static uint64_t fw_qcount, fw_qbytes;
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
		st_msg("slabtrace: firewall: cannot reserve %lu MB of address "
		    "space; firewall off\n",
		    (unsigned long)(fw_reserve_bytes >> 20));
		return (-1);
	}
	fw_arena = vmem_create("firewall", base, fw_reserve_bytes,
	    ST_PAGESIZE, NULL, NULL, NULL, 0, VM_NOSLEEP | VMC_NO_QCACHE);
	fw_audit_size = (uint32_t)KMEM_BUFCTL_AUDIT_SIZE(
	    st_opts.so_stack_depth);
	fw_hdr_cache = kmem_cache_create_internal("slabtrace_firewall_hdr",
	    sizeof (st_fwhdr_t) + 2 * (size_t)fw_audit_size, 64, NULL, NULL,
	    NULL, NULL, kmem_internal_arena, KMC_NOMAGAZINE | KMC_NODEBUG, -1);
	if (fw_arena == NULL || fw_hdr_cache == NULL) {
		st_msg("slabtrace: firewall: cannot create its arena; "
		    "firewall off\n");
		return (-1);
	}
	/* A quarter of the limit (at least fw_map_reserve) stays the program's. */
	maps = fw_max_map_count();
	fw_live_max = (maps - ST_MIN(maps, ST_MAX(fw_map_reserve, maps / 4))) /
	    2;
	fw_state = 1;
	return (1);
}

/* ------------------------------------------------------------------------
 * The quarantine.
 */

/* Give the oldest quarantined buffer's address space back. */
static int
fw_recycle_locked(void)
{
	st_fwhdr_t *hp = fw_qhead;
	uint64_t len;

	if (hp == NULL)
		return (0);
	fw_qhead = hp->fw_qnext;
	if (fw_qhead == NULL)
		fw_qtail = NULL;
	len = (hp->fw_npages + 1) * ST_PAGESIZE;
	fw_qcount--;
	fw_qbytes -= len;
	pagemap_clear(hp->fw_base, len);
	vmem_free(fw_arena, (void *)hp->fw_base, len);
	hp->fw_magic = 0;
	kmem_cache_free(fw_hdr_cache, hp);
	return (1);
}

static void
fw_quarantine_locked(st_fwhdr_t *hp)
{
	hp->fw_qnext = NULL;
	if (fw_qtail != NULL)
		fw_qtail->fw_qnext = hp;
	else
		fw_qhead = hp;
	fw_qtail = hp;
	fw_qcount++;
	fw_qbytes += (hp->fw_npages + 1) * ST_PAGESIZE;
	while (fw_qcount > fw_quarantine_max ||
	    fw_qbytes > fw_quarantine_bytes)
		(void) fw_recycle_locked();
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
	bcp->bc_thread = st_os_thread_id();
	bcp->bc_depth = st_stack_capture(bcp->bc_stack,
	    st_opts.so_stack_depth, 1);
	bcp->bc_lastlog = kmem_transaction_log.lh_base != NULL ?
	    kmem_log_enter(&kmem_transaction_log, bcp, fw_audit_size) : NULL;
}

/*
 * A firewall buffer, or NULL: the caller then uses the ordinary caches
 * (no room in the map limit, or no address space).
 */
void *
st_firewall_alloc(size_t size, size_t align, st_kind_t kind)
{
	st_fwhdr_t *hp;
	uint64_t npages, len;
	uintptr_t base, end, buf;

	if (align < KMEM_ALIGN)
		align = KMEM_ALIGN;
	if (size > (1UL << 40) || align > ST_PAGESIZE)
		return (NULL);
	npages = (ST_MAX(size, 1) + align - 1 + ST_PAGESIZE - 1) >>
	    ST_PAGESHIFT;
	len = (npages + 1) * ST_PAGESIZE;
	st_lock(&fw_lock);
	if (fw_init_locked() < 0 || fw_live >= fw_live_max) {
		st_unlock(&fw_lock);
		return (NULL);
	}
	while ((base = (uintptr_t)vmem_alloc(fw_arena, len, VM_NOSLEEP)) ==
	    0 && fw_recycle_locked())
		continue;
	hp = base != 0 ? kmem_cache_alloc(fw_hdr_cache, KM_NOSLEEP) : NULL;
	if (hp == NULL) {
		if (base != 0)
			vmem_free(fw_arena, (void *)base, len);
		st_unlock(&fw_lock);
		return (NULL);
	}
	fw_live++;
	st_unlock(&fw_lock);

	if (st_os_protect((void *)base, npages * ST_PAGESIZE,
	    ST_PROT_RW) != 0 || pagemap_set(base, len,
	    (uintptr_t)hp | PM_FW) != 0) {
		/* Out of mappings after all: stop using the firewall. */
		(void) st_os_protect((void *)base, npages * ST_PAGESIZE,
		    ST_PROT_NONE);
		st_lock(&fw_lock);
		fw_live--;
		fw_live_max = fw_live;
		vmem_free(fw_arena, (void *)base, len);
		kmem_cache_free(fw_hdr_cache, hp);
		st_unlock(&fw_lock);
		return (NULL);
	}
	end = base + npages * ST_PAGESIZE;
	buf = (end - size) & ~(uintptr_t)(align - 1);
	memset(hp, 0, sizeof (*hp));
	hp->fw_magic = FW_MAGIC;
	hp->fw_buf = (void *)buf;
	hp->fw_size = size;
	hp->fw_base = base;
	hp->fw_npages = npages;
	hp->fw_kind = kind;
	hp->fw_state = FW_ALLOC;
	hp->fw_cache = kmem_alloc_cache_for(ST_MAX(size, 1), align);
	if (hp->fw_cache == NULL)
		hp->fw_cache = &fw_oversize_cache;
	hp->fw_audit[0] = (kmem_bufctl_audit_t *)(hp + 1);
	hp->fw_audit[1] = (kmem_bufctl_audit_t *)((char *)(hp + 1) +
	    fw_audit_size);
	memset((void *)(buf + size), KMEM_REDZONE_BYTE, end - buf - size);
	if (kmem_flags & KMF_DEADBEEF)
		memset((void *)buf, 0xba, size);        /* never read zeros */
	fw_audit(hp, 0);
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

	memset(&ei, 0, sizeof (ei));
	ei.ei_error = error;
	ei.ei_cache = ei.ei_realcache = hp != NULL ? hp->fw_cache : NULL;
	ei.ei_buf = buf;
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

void
st_firewall_free(void *buf, size_t size, st_kind_t kind, const char *routine)
{
	st_fwhdr_t *hp = fw_hdr_of((uintptr_t)buf);
	const uint8_t *p, *end;

	if (hp == NULL) {
		fw_error(KMERR_BADADDR, NULL, buf, size, kind, routine);
		return;
	}
	if (buf != hp->fw_buf) {
		fw_error(KMERR_BADBASE, hp, buf, size, kind, routine);
		return;
	}
	if (hp->fw_state != FW_ALLOC) {
		fw_error(KMERR_DUPFREE, hp, buf, size, kind, routine);
		return;
	}
	if (!st_kind_match(hp->fw_kind, kind)) {
		fw_error(KMERR_BADROUTINE, hp, buf, size, kind, routine);
		return;
	}
	if (size != 0 && size != hp->fw_size) {
		fw_error(KMERR_BADSIZE, hp, buf, size, kind, routine);
		return;
	}
	end = (const uint8_t *)(hp->fw_base + hp->fw_npages * ST_PAGESIZE);
	for (p = (const uint8_t *)buf + hp->fw_size; p < end; p++) {
		if (*p != KMEM_REDZONE_BYTE) {
			kmem_errinfo_t ei;

			memset(&ei, 0, sizeof (ei));
			ei.ei_error = KMERR_REDZONE;
			ei.ei_cache = ei.ei_realcache = hp->fw_cache;
			ei.ei_buf = ei.ei_base = buf;
			ei.ei_off = (uint64_t)(p - (const uint8_t *)buf);
			ei.ei_old = KMEM_REDZONE_BYTE;
			ei.ei_new = *p;
			ei.ei_alloc_size = hp->fw_size;
			ei.ei_bufctl = hp;
			ei.ei_audit[0] = hp->fw_audit[0];
			kmem_error(&ei);
			return;
		}
	}
	hp->fw_state = FW_FREE;
	fw_audit(hp, 1);
	st_os_decommit((void *)hp->fw_base, hp->fw_npages * ST_PAGESIZE);
	(void) st_os_protect((void *)hp->fw_base, hp->fw_npages * ST_PAGESIZE,
	    ST_PROT_NONE);
	st_lock(&fw_lock);
	fw_live--;
	fw_quarantine_locked(hp);
	st_unlock(&fw_lock);
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
 * A fault at addr (write: 1, read: 0, unknown: -1): if it is in a firewall
 * buffer's pages, report it (fault.c then panics) and return 1.
 */
int
st_firewall_fault(uintptr_t addr, const void *uc, int write)
{
	st_fwhdr_t *hp = fw_hdr_of(addr);
	uintptr_t buf, end;
	const char *access = write > 0 ? "write" : write == 0 ? "read" :
	    "access";
	uintptr_t pcs[KMEM_STACK_MAX];
	uint32_t n;

	if (hp == NULL)
		return (0);
	buf = (uintptr_t)hp->fw_buf;
	end = hp->fw_base + hp->fw_npages * ST_PAGESIZE;
	if (hp->fw_state == FW_FREE)
		st_msg("slabtrace: %s after free\n", access);
	else if (addr >= end)
		st_msg("slabtrace: %s past end of buffer\n", access);
	else
		st_msg("slabtrace: %s of an inaccessible page of a buffer\n",
		    access);
	if (addr >= buf)
		st_msg("fault at %lx: offset 0x%lx of the %lu-byte buffer%s\n",
		    (unsigned long)addr, (unsigned long)(addr - buf),
		    (unsigned long)hp->fw_size, addr >= buf + hp->fw_size ?
		    ", past its end" : "");
	else
		st_msg("fault at %lx: %lu bytes before the %lu-byte buffer\n",
		    (unsigned long)addr, (unsigned long)(buf - addr),
		    (unsigned long)hp->fw_size);
	st_msg("buffer=%lx  bufctl=%lx  cache: %s (firewall)\n",
	    (unsigned long)buf, (unsigned long)(uintptr_t)hp,
	    hp->fw_cache->cache_name);
	st_msg("faulting %s, thread=%lu:\n", access,
	    (unsigned long)st_os_thread_id());
	n = st_stack_capture_uc(uc, pcs, st_opts.so_stack_depth);
	kmem_print_stack(pcs, n, "");
	if (hp->fw_state == FW_FREE) {
		kmem_print_transaction("previous transaction (free)",
		    hp->fw_audit[1], hp->fw_buf);
		kmem_print_transaction("transaction before that (allocation)",
		    hp->fw_audit[0], hp->fw_buf);
	} else {
		kmem_print_transaction("previous transaction (allocation)",
		    hp->fw_audit[0], hp->fw_buf);
	}
	return (1);
}
