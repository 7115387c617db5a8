/*
 * pagemap.c: the page map, from any address to what owns its page.
 *
 * 1. Why.  malloc(3) has no size on free(), and slabtrace keeps no header in
 *    front of a buffer (malloc(256) comes from kmem_alloc_256 with nothing
 *    wasted).  So free(p) must find p's slab, and through it p's cache, from
 *    the address alone.  Every page that a slab or an oversize allocation
 *    occupies has an entry here.
 *
 * 2. Shape.  A two-level radix tree over the 36-bit page numbers of a 48-bit
 *    address space: pagemap_l1 (2^18 pointers, in BSS so that an untouched
 *    part costs nothing) points at leaves of 2^18 entries (2 MiB of virtual
 *    memory each, mapped on first use, committed page by page as entries
 *    are written).  A lookup is two dependent loads (pagemap_lookup() in
 *    slabtrace_impl.h, inlined on the free path).
 *
 * 3. Entries.  A kmem_slab_t pointer for each page of a slab; for an
 *    oversize allocation, its first page holds PM_BIG | (npages <<
 *    PM_SHIFT) and the others zero (an interior pointer of an oversize
 *    buffer is not a valid free).  Zero: not ours.
 *
 * 4. Concurrency.  A page's entry is written only by whoever owns the page
 *    (the slab layer under the cache lock, the oversize path before it
 *    returns the buffer), and read by free() of a buffer in it, which the
 *    program may only do after it received the buffer.  Leaves are installed
 *    with a compare-and-swap and never freed.
 */
#include "slabtrace_impl.h"

uintptr_t *pagemap_l1[1UL << PM_L1_BITS];

static uintptr_t *
pagemap_leaf(uintptr_t pn)
{
	uintptr_t **slot = &pagemap_l1[pn >> PM_L2_BITS];
	uintptr_t *leaf = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	uintptr_t *expect = NULL;
	size_t size = sizeof (uintptr_t) << PM_L2_BITS;

	if (leaf != NULL)
		return (leaf);
	leaf = st_os_map(size, 0);
	if (leaf == NULL)
		return (NULL);
	if (!__atomic_compare_exchange_n(slot, &expect, leaf, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		st_os_unmap(leaf, size);
		leaf = expect;
	}
	return (leaf);
}

/* Map every page of [addr, addr + size) to value; -1 if out of memory. */
int
pagemap_set(uintptr_t addr, size_t size, uintptr_t value)
{
	uintptr_t pn = addr >> ST_PAGESHIFT;
	uintptr_t end = (addr + size + ST_PAGESIZE - 1) >> ST_PAGESHIFT;
	uintptr_t mask = (1UL << PM_L2_BITS) - 1;

	if ((addr + size) >> PM_BITS != 0)
		return (-1);
	for (; pn < end; pn++) {
		uintptr_t *leaf = pagemap_leaf(pn);

		if (leaf == NULL)
			return (-1);
		leaf[pn & mask] = value;
	}
	return (0);
}

/* Forget [addr, addr + size): it no longer belongs to anything. */
void
pagemap_clear(uintptr_t addr, size_t size)
{
	uintptr_t pn = addr >> ST_PAGESHIFT;
	uintptr_t end = (addr + size + ST_PAGESIZE - 1) >> ST_PAGESHIFT;
	uintptr_t mask = (1UL << PM_L2_BITS) - 1;

	for (; pn < end; pn++) {
		uintptr_t *leaf = pagemap_l1[pn >> PM_L2_BITS];

		if (leaf != NULL)
			leaf[pn & mask] = 0;
	}
}
