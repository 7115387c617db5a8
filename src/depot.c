/*
 * depot.c: the stack depot.  An audit record (a bufctl, its copies in the
 * transaction log, a firewall buffer's two records) names its stack by an
 * id, and the depot keeps each distinct stack once, as the Linux kernel's
 * stackdepot does for KASAN.  A program makes millions of allocations from
 * a few thousand places: with the frames inline, every bufctl and log
 * record carried 120 bytes of them (15 frames), which made the bufctls
 * and the 8 MiB transaction log most of what KMEM_FLAGS=0xf costs in
 * memory.  A record is now 80 bytes (72 until the allocation's stack id
 * was kept in the bufctl too, bc_astackid).
 *
 * 1. Layout.  One st_os_map reservation (ST_DEPOT_SIZE bytes, address
 *    space until written), made at the first stack: a table of
 *    ST_DEPOT_BUCKETS 32-bit chain heads, then the entries, handed out in
 *    8-byte units from the table's end:
 *        uint32_t de_next    the next entry in the chain (an id; 0: none)
 *        uint32_t de_hash    of the frames
 *        uint32_t de_depth   frames that follow
 *        uint32_t de_pad
 *        uint64_t de_pcs[de_depth]
 *    An id is an entry's offset from the base in 8-byte units, so never 0
 *    (the table comes first).  Pages are committed as they are written: a
 *    program with few stacks costs a few pages, and a dump holds the
 *    reservation up to its last page touched (dump.c, section 3).
 *
 * 2. No lock.  An entry never changes once published and never goes away.
 *    A lookup follows the chain with acquire loads.  An insert takes its
 *    space with one fetch-and-add of sd_used, fills the entry and
 *    publishes it with a compare-and-swap of the bucket's head; if the
 *    head moved, the chain is searched again from the new head (another
 *    thread may have put the same stack), and a lost race leaves at worst
 *    an unused entry.  So it is safe in a signal handler, across fork and
 *    while the dumper has the other threads stopped.
 *
 * 3. Full.  When the reservation is used up, st_depot_put() returns 0,
 *    counted in sd_full: the record keeps no stack (depth 0), and reports
 *    print none for it.  256 MiB hold more than a million stacks.
 *
 * 4. The debugger finds the depot through st_root.sr_depot (st_depot_t)
 *    and reads an id's entry with the same bounds checks as
 *    st_depot_get() (src/mdb/kmem.c, mdb_bc_stack).
 */
#include "slabtrace_impl.h"

#include <string.h>

#define ST_DEPOT_SIZE           (256UL << 20)
#define ST_DEPOT_BUCKETS        (1U << 16)
#define ST_DEPOT_HDR            16      /* an entry's bytes before de_pcs */

typedef struct st_depot_entry {
	uint32_t de_next;
	uint32_t de_hash;
	uint32_t de_depth;
	uint32_t de_pad;
	uint64_t de_pcs[];
} st_depot_entry_t;

st_depot_t st_depot;

/*
 * Runs at every audited transaction: (h ^ pc) * K per frame, in two chains
 * (even frames, odd frames) mixed at the end, so that the multiplies'
 * latency is paid for half the frames (one chain was 40% of st_depot_put
 * under `tight`).  Two instructions a frame.
 */
static inline uint32_t
depot_hash(const uintptr_t *pcs, uint32_t depth)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t a = depth, b = 0x2545f4914f6cdd1dULL;
	uint32_t i;

	for (i = 0; i + 2 <= depth; i += 2) {
		a = (a ^ pcs[i]) * k;
		b = (b ^ pcs[i + 1]) * k;
	}
	if (i < depth)
		a = (a ^ pcs[i]) * k;
	a = (a ^ b ^ (b >> 29)) * k;
	return ((uint32_t)(a >> 32));
}

static inline int
depot_same(const uint64_t *a, const uintptr_t *b, uint32_t depth)
{
	for (uint32_t i = 0; i < depth; i++)
		if (a[i] != b[i])
			return (0);
	return (1);
}

/* The reservation, made once; NULL if it cannot be. */
static uint8_t *
depot_base(void)
{
	uint64_t base = __atomic_load_n(&st_depot.sd_base, __ATOMIC_ACQUIRE);
	uint64_t none = 0;
	void *p;

	if (base != 0 || st_depot.sd_size != 0)
		return ((uint8_t *)(uintptr_t)base);
	p = st_os_map(ST_DEPOT_SIZE, ST_PAGESIZE);
	if (p == NULL) {
		st_depot.sd_size = 1;   /* do not try again */
		return (NULL);
	}
	/* Entries start after the table; sd_used counts from the base. */
	(void) __atomic_compare_exchange_n(&st_depot.sd_used, &none,
	    (uint64_t)ST_DEPOT_BUCKETS * sizeof (uint32_t), 0,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&st_depot.sd_base, &none,
	    (uint64_t)(uintptr_t)p, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		st_os_unmap(p, ST_DEPOT_SIZE);  /* another thread won */
		return ((uint8_t *)(uintptr_t)none);
	}
	st_depot.sd_nbuckets = ST_DEPOT_BUCKETS;
	__atomic_store_n(&st_depot.sd_size, ST_DEPOT_SIZE, __ATOMIC_RELEASE);
	return (p);
}

static inline uint32_t
depot_find(const uint8_t *base, uint32_t id, uint32_t hash,
    const uintptr_t *pcs, uint32_t depth)
{
	while (id != 0) {
		const st_depot_entry_t *e = (const void *)(base + (uint64_t)id *
		    8);

		if (e->de_hash == hash && e->de_depth == depth &&
		    depot_same(e->de_pcs, pcs, depth))
			return (id);
		id = __atomic_load_n(&e->de_next, __ATOMIC_ACQUIRE);
	}
	return (0);
}

uint32_t
st_depot_put(const uintptr_t *pcs, uint32_t depth)
{
	uint8_t *base = depot_base();
	uint32_t hash, *head, first, id;
	uint64_t len, off;
	st_depot_entry_t *e;

	if (base == NULL || depth == 0 || depth > KMEM_STACK_MAX)
		return (0);
	hash = depot_hash(pcs, depth);
	head = (uint32_t *)(void *)base + (hash & (ST_DEPOT_BUCKETS - 1));
	first = __atomic_load_n(head, __ATOMIC_ACQUIRE);
	if ((id = depot_find(base, first, hash, pcs, depth)) != 0)
		return (id);
	len = ST_DEPOT_HDR + (uint64_t)depth * sizeof (uint64_t);
	off = __atomic_fetch_add(&st_depot.sd_used, len, __ATOMIC_RELAXED);
	if (off + len > ST_DEPOT_SIZE || (off >> 3) > UINT32_MAX) {
		__atomic_fetch_add(&st_depot.sd_full, 1, __ATOMIC_RELAXED);
		return (0);
	}
	e = (st_depot_entry_t *)(void *)(base + off);
	e->de_hash = hash;
	e->de_depth = depth;
	e->de_pad = 0;
	memcpy(e->de_pcs, pcs, depth * sizeof (uint64_t));
	id = (uint32_t)(off >> 3);
	for (;;) {
		e->de_next = first;
		if (__atomic_compare_exchange_n(head, &first, id, 0,
		    __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
			return (id);
		/* first is the new head: perhaps our stack, put meanwhile. */
		{
			uint32_t other = depot_find(base, first, hash, pcs,
			    depth);

			if (other != 0)
				return (other);
		}
	}
}

const uintptr_t *
st_depot_get(uint32_t id, uint32_t *depthp)
{
	uint8_t *base = (uint8_t *)(uintptr_t)__atomic_load_n(
	    &st_depot.sd_base, __ATOMIC_ACQUIRE);
	uint64_t off = (uint64_t)id * 8;
	const st_depot_entry_t *e;

	*depthp = 0;
	if (base == NULL || id == 0 || off < (uint64_t)ST_DEPOT_BUCKETS *
	    sizeof (uint32_t) || off + ST_DEPOT_HDR > ST_DEPOT_SIZE)
		return (NULL);
	e = (const void *)(base + off);
	if (e->de_depth > KMEM_STACK_MAX || off + ST_DEPOT_HDR +
	    (uint64_t)e->de_depth * 8 > ST_DEPOT_SIZE)
		return (NULL);
	*depthp = e->de_depth;
	return ((const uintptr_t *)(const void *)e->de_pcs);
}
