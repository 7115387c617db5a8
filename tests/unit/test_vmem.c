/*
 * test_vmem.c: unit test of the vmem layer (src/vmem.c).
 *
 * vmem never touches the memory it manages, so most arenas here manage
 * made-up integer ranges (0x1000000 and so on).  Every test checks the
 * arena with vmem_verify(), after every operation in the small runs.  No
 * arena here has quantum caches (qcache_max 0): those need the kmem layer.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define KB              1024UL
#define MB              (1024UL * 1024UL)

#define VERIFY(vmp) CHECKF(vmem_verify(vmp) == 0, "arena %s", (vmp)->vm_name)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (rng_state = x);
}

/* Thread-local generator for the threaded test. */
static uint64_t
rng_r(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*state = x);
}

static void *
A(uintptr_t x)
{
	return ((void *)x);
}

static uintptr_t
U(const void *p)
{
	return ((uintptr_t)p);
}

static vmem_t *
arena(const char *name, uintptr_t base, size_t size, size_t quantum)
{
	vmem_t *vmp = vmem_create(name, A(base), size, quantum, NULL, NULL,
	    NULL, 0, VM_SLEEP);

	REQUIRE(vmp != NULL);
	return (vmp);
}

/* Count the arena's segments of a type (walking its internals). */
static int
count_segs(vmem_t *vmp, int type)
{
	vmem_seg_t *vsp;
	int n = 0;

	for (vsp = vmp->vm_seg0.vs_anext; vsp != &vmp->vm_seg0;
	    vsp = vsp->vs_anext)
		n += (vsp->vs_type == type);
	return (n);
}

/* All free: one free segment per span, nothing allocated. */
static void
check_all_free(vmem_t *vmp, int line)
{
	size_t total = vmem_size(vmp, VMEM_ALLOC | VMEM_FREE);

	CHECKF(vmem_size(vmp, VMEM_ALLOC) == 0, "line %d", line);
	CHECKF(vmem_size(vmp, VMEM_FREE) == total, "line %d", line);
	CHECKF(count_segs(vmp, VMEM_ALLOC_SEG) == 0, "line %d", line);
	CHECKF(count_segs(vmp, VMEM_FREE_SEG) == count_segs(vmp, VMEM_SPAN),
	    "line %d: %d free segs, %d spans", line,
	    count_segs(vmp, VMEM_FREE_SEG), count_segs(vmp, VMEM_SPAN));
	VERIFY(vmp);
}

/* ------------------------------------------------------------------------
 * Basics.
 */

static void
test_basic(void)
{
	uintptr_t base = 0x1000000;
	vmem_t *vmp = arena("t_basic", base, MB, 16);
	void *p;
	uint64_t fails;

	CHECK(vmem_size(vmp, VMEM_ALLOC) == 0);
	CHECK(vmem_size(vmp, VMEM_FREE) == MB);
	CHECK(vmp->vm_qshift == 4 && vmp->vm_qcache_max == 0);
	p = vmem_alloc(vmp, 100, VM_SLEEP);
	CHECK(p != NULL && U(p) >= base && U(p) + 112 <= base + MB);
	CHECK(U(p) % 16 == 0);
	CHECK(vmem_size(vmp, VMEM_ALLOC) == 112);
	CHECK(vmem_contains(vmp, p, 112));
	CHECK(vmem_contains(vmp, A(base + MB - 16), 16));
	CHECK(!vmem_contains(vmp, A(base + MB - 16), 32));
	CHECK(!vmem_contains(vmp, A(base + MB), 1));
	CHECK(!vmem_contains(vmp, A(base - 16), 16));
	VERIFY(vmp);
	fails = vmp->vm_kstat.vk_fail;
	CHECK(vmem_alloc(vmp, 0, VM_SLEEP) == NULL);
	CHECK(vmem_alloc(vmp, MB, VM_NOSLEEP) == NULL);
	CHECK(vmem_alloc(vmp, SIZE_MAX, VM_NOSLEEP) == NULL);
	CHECK(vmem_xalloc(vmp, SIZE_MAX - 8, 0, 0, 0, NULL, NULL,
	    VM_NOSLEEP) == NULL);
	CHECK(vmp->vm_kstat.vk_fail == fails + 4);
	vmem_free(vmp, p, 100);
	check_all_free(vmp, __LINE__);
	/* The whole arena in one piece, then nothing more. */
	p = vmem_alloc(vmp, MB, VM_SLEEP);
	CHECK(U(p) == base);
	CHECK(vmem_alloc(vmp, 16, VM_NOSLEEP) == NULL);
	vmem_free(vmp, p, MB);
	CHECK(vmp->vm_kstat.vk_alloc == 2 && vmp->vm_kstat.vk_free == 2);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* Several spans, added out of order: kept sorted, never coalesced. */
static void
test_spans(void)
{
	vmem_t *vmp = vmem_create("t_spans", NULL, 0, 4096, NULL, NULL, NULL,
	    0, VM_SLEEP);
	void *p[4];
	int i;

	REQUIRE(vmp != NULL);
	CHECK(vmem_size(vmp, VMEM_ALLOC | VMEM_FREE) == 0);
	CHECK(vmem_alloc(vmp, 4096, VM_NOSLEEP) == NULL);
	CHECK(vmem_add(vmp, A(0x300000), 0x10000, VM_SLEEP) == A(0x300000));
	CHECK(vmem_add(vmp, A(0x100000), 0x10000, VM_SLEEP) == A(0x100000));
	/* Contiguous with the one before: still a separate span. */
	CHECK(vmem_add(vmp, A(0x110000), 0x10000, VM_SLEEP) == A(0x110000));
	CHECK(vmem_add(vmp, A(0x200000), 0x8000, VM_SLEEP) == A(0x200000));
	VERIFY(vmp);
	CHECK(count_segs(vmp, VMEM_SPAN) == 4);
	CHECK(vmem_size(vmp, VMEM_FREE) == 0x38000);
	CHECK(vmem_contains(vmp, A(0x10f000), 0x1000));
	CHECK(!vmem_contains(vmp, A(0x10f000), 0x2000));
	/* No allocation may cross from one span into the next. */
	CHECK(vmem_xalloc(vmp, 0x4000, 0, 0, 0, A(0x10e000), A(0x112000),
	    VM_NOSLEEP) == NULL);
	for (i = 0; i < 4; i++) {
		p[i] = vmem_alloc(vmp, 0x8000, VM_SLEEP);
		CHECK(p[i] != NULL);
		VERIFY(vmp);
	}
	for (i = 0; i < 4; i++)
		vmem_free(vmp, p[(i * 3) % 4], 0x8000);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/*
 * Thousands of spans, added in shuffled order and imported into holes:
 * the span list stays sorted and the span tree agrees with it (vmem_verify
 * checks both), vmem_contains finds each span and misses each gap.
 */
#define NSPANS  4000
static void
test_many_spans(void)
{
	vmem_t *vmp = vmem_create("t_many", NULL, 0, 4096, NULL, NULL, NULL,
	    0, VM_SLEEP);
	vmem_t *kid;
	static uint32_t order[NSPANS];
	static void *p[NSPANS];
	uint32_t i, j, t;

	REQUIRE(vmp != NULL);
	for (i = 0; i < NSPANS; i++)
		order[i] = i;
	for (i = NSPANS - 1; i > 0; i--) {
		j = (uint32_t)(rng() % (i + 1));
		t = order[i], order[i] = order[j], order[j] = t;
	}
	/* Spans of 2 pages, a page apart. */
	for (i = 0; i < NSPANS; i++)
		CHECK(vmem_add(vmp, A(0x10000000 + order[i] * 0x3000UL),
		    0x2000, VM_SLEEP) != NULL);
	VERIFY(vmp);
	CHECK(count_segs(vmp, VMEM_SPAN) == NSPANS);
	for (i = 0; i < NSPANS; i += 97) {
		CHECK(vmem_contains(vmp, A(0x10000000 + i * 0x3000UL), 0x2000));
		CHECK(!vmem_contains(vmp, A(0x10000000 + i * 0x3000UL),
		    0x2001));
		CHECK(!vmem_contains(vmp, A(0x10002000 + i * 0x3000UL), 1));
	}
	/* A child importing page by page, releasing and re-importing. */
	kid = vmem_create("t_many_kid", NULL, 0, 4096, vmem_alloc, vmem_free,
	    vmp, 0, VM_SLEEP);
	REQUIRE(kid != NULL);
	for (i = 0; i < NSPANS; i++)
		CHECK((p[i] = vmem_alloc(kid, 4096, VM_NOSLEEP)) != NULL);
	VERIFY(kid);
	for (i = 0; i < NSPANS; i += 2)
		vmem_free(kid, p[order[i]], 4096);
	VERIFY(kid);
	VERIFY(vmp);
	for (i = 0; i < NSPANS; i += 2)
		CHECK((p[order[i]] = vmem_alloc(kid, 4096, VM_NOSLEEP)) !=
		    NULL);
	VERIFY(kid);
	CHECK(count_segs(kid, VMEM_SPAN) == NSPANS);
	for (i = 0; i < NSPANS; i++)
		vmem_free(kid, p[i], 4096);
	VERIFY(kid);
	CHECK(count_segs(kid, VMEM_SPAN) == 0);
	vmem_destroy(kid);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* ------------------------------------------------------------------------
 * Allocation policies.
 */

/* Lay out [a0 64][h1 288][a1 64][h2 640][rest], then free h1 and h2. */
static void
policy_layout(vmem_t *vmp, uintptr_t base, void **a0, void **a1,
    void **rest)
{
	void *h1, *h2;

	*a0 = vmem_alloc(vmp, 64, VM_SLEEP);
	h1 = vmem_alloc(vmp, 288, VM_SLEEP);
	*a1 = vmem_alloc(vmp, 64, VM_SLEEP);
	h2 = vmem_alloc(vmp, 640, VM_SLEEP);
	*rest = vmem_alloc(vmp, 4096 - 1056, VM_SLEEP);
	CHECK(U(*a0) == base && U(h1) == base + 64 && U(*a1) == base + 352);
	CHECK(U(h2) == base + 416 && U(*rest) == base + 1056);
	vmem_free(vmp, h1, 288);
	vmem_free(vmp, h2, 640);
	VERIFY(vmp);
}

static void
policy_teardown(vmem_t *vmp, void *a0, void *a1, void *rest)
{
	vmem_free(vmp, a0, 64);
	vmem_free(vmp, a1, 64);
	vmem_free(vmp, rest, 4096 - 1056);
	check_all_free(vmp, __LINE__);
}

static void
test_fit_policies(void)
{
	uintptr_t base = 0x2000000;
	vmem_t *vmp = arena("t_fit", base, 4096, 16);
	void *a0, *a1, *rest, *p, *q;

	policy_layout(vmp, base, &a0, &a1, &rest);
	/*
	 * The default: best fit among the first segments it looks at takes
	 * the 288 hole on list 8, where instant fit alone (272 is not a
	 * power of two) would take list 9's 640 one ([512, 1024)).
	 */
	p = vmem_alloc(vmp, 272, VM_SLEEP);
	CHECKF(U(p) == base + 64, "the default fit gave %p", p);
	vmem_free(vmp, p, 272);
	/* Best fit and first fit start at list 8, where the 288 hole is. */
	p = vmem_alloc(vmp, 272, VM_SLEEP | VM_BESTFIT);
	CHECKF(U(p) == base + 64, "best fit gave %p", p);
	vmem_free(vmp, p, 272);
	p = vmem_alloc(vmp, 272, VM_SLEEP | VM_FIRSTFIT);
	CHECKF(U(p) == base + 64, "first fit gave %p", p);
	vmem_free(vmp, p, 272);
	/* 300 does not fit the 288 hole: every policy takes the 640 one. */
	p = vmem_alloc(vmp, 300, VM_SLEEP | VM_BESTFIT);
	CHECK(U(p) == base + 416);
	/*
	 * Lists 9 and up are empty now: instant fit falls back to searching
	 * list 8, which holds the 288 hole and the 336 left of the 640 one.
	 */
	q = vmem_alloc(vmp, 272, VM_SLEEP);
	CHECKF(U(q) == base + 64 || U(q) == base + 720,
	    "instant fit fallback gave %p", q);
	VERIFY(vmp);
	vmem_free(vmp, q, 272);
	vmem_free(vmp, p, 300);
	/* A power of two is guaranteed by its own list. */
	p = vmem_alloc(vmp, 256, VM_SLEEP);
	CHECK(U(p) == base + 64);
	vmem_free(vmp, p, 256);
	policy_teardown(vmp, a0, a1, rest);
	vmem_destroy(vmp);
}

/*
 * The default policy's best fit looks at a bounded number of segments:
 * behind more than that many holes too small for the request on its list,
 * it takes instant fit's answer (a segment of a higher list) rather than
 * walk them all to the one that fits at the end.
 */
static void
test_default_fit_bound(void)
{
	uintptr_t base = 0x2400000;
	enum { HOLES = 40 };
	vmem_t *vmp = arena("t_fitbound", base, 64 * KB, 16);
	void *keep[HOLES], *hole[HOLES], *fit, *fitkeep, *big, *rest, *p;
	size_t rest_size = 64 * KB - HOLES * 272 - 320 - 1024;
	int i;

	/*
	 * List 8 ([256, 512)): a 304 hole that fits 272, freed first, so
	 * behind 40 holes of 256 that do not (a list is last freed first);
	 * list 10: a 1024 hole.
	 */
	fit = vmem_alloc(vmp, 304, VM_SLEEP);
	fitkeep = vmem_alloc(vmp, 16, VM_SLEEP);
	for (i = 0; i < HOLES; i++) {
		hole[i] = vmem_alloc(vmp, 256, VM_SLEEP);
		keep[i] = vmem_alloc(vmp, 16, VM_SLEEP);
	}
	big = vmem_alloc(vmp, 1024, VM_SLEEP);
	rest = vmem_alloc(vmp, rest_size, VM_SLEEP);
	REQUIRE(fit != NULL && big != NULL && rest != NULL);
	vmem_free(vmp, fit, 304);
	for (i = 0; i < HOLES; i++)
		vmem_free(vmp, hole[i], 256);
	vmem_free(vmp, big, 1024);
	VERIFY(vmp);
	p = vmem_alloc(vmp, 272, VM_SLEEP);
	CHECKF(U(p) == U(big), "the default fit gave %p, not the 1024 hole "
	    "at %p", p, big);
	vmem_free(vmp, p, 272);
	/* Best fit proper walks the whole list to the 304 hole. */
	p = vmem_alloc(vmp, 272, VM_SLEEP | VM_BESTFIT);
	CHECKF(U(p) == U(fit), "best fit gave %p, not %p", p, fit);
	vmem_free(vmp, p, 272);
	vmem_free(vmp, fitkeep, 16);
	for (i = 0; i < HOLES; i++)
		vmem_free(vmp, keep[i], 16);
	vmem_free(vmp, rest, rest_size);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* Best fit takes the smallest fitting hole of a list, not the first. */
static void
test_bestfit_smallest(void)
{
	uintptr_t base = 0x3000000;
	vmem_t *vmp = arena("t_best", base, 8192, 16);
	size_t sizes[] = { 400, 16, 304, 16, 496, 16, 320, 16 };
	void *p[8], *r;
	size_t used = 0;
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = vmem_alloc(vmp, sizes[i], VM_SLEEP);
		CHECK(U(p[i]) == base + used);
		used += sizes[i];
	}
	for (i = 0; i < 8; i += 2)
		vmem_free(vmp, p[i], sizes[i]);     /* holes 400 304 496 320 */
	r = vmem_alloc(vmp, 8192 - used, VM_SLEEP);
	CHECK(r != NULL);
	p[0] = vmem_alloc(vmp, 290, VM_SLEEP | VM_BESTFIT);
	CHECKF(U(p[0]) == base + 400 + 16, "best fit gave %p", p[0]);
	p[2] = vmem_alloc(vmp, 310, VM_SLEEP | VM_BESTFIT);
	CHECKF(U(p[2]) == base + 400 + 16 + 304 + 16 + 496 + 16,
	    "best fit gave %p", p[2]);
	p[4] = vmem_alloc(vmp, 480, VM_SLEEP | VM_BESTFIT);
	CHECKF(U(p[4]) == base + 400 + 16 + 304 + 16, "best fit gave %p",
	    p[4]);
	VERIFY(vmp);
	vmem_free(vmp, p[0], 290);
	vmem_free(vmp, p[2], 310);
	vmem_free(vmp, p[4], 480);
	for (i = 1; i < 8; i += 2)
		vmem_free(vmp, p[i], sizes[i]);
	vmem_free(vmp, r, 8192 - used);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* Next fit hands addresses out cyclically and wraps around. */
static void
test_nextfit(void)
{
	uintptr_t base = 0x4000000;
	vmem_t *vmp = arena("t_next", base, 64 * 16, 16);
	void *p[64], *x;
	int i;

	for (i = 0; i < 4; i++) {
		p[i] = vmem_alloc(vmp, 16, VM_SLEEP | VM_NEXTFIT);
		CHECK(U(p[i]) == base + 16 * (uintptr_t)i);
	}
	vmem_free(vmp, p[1], 16);       /* rotor neighbours: frees around it */
	vmem_free(vmp, p[3], 16);
	VERIFY(vmp);
	/* Not reused: the rotor is past them. */
	for (i = 4; i < 64; i++) {
		p[i] = vmem_alloc(vmp, 16, VM_SLEEP | VM_NEXTFIT);
		CHECKF(U(p[i]) == base + 16 * (uintptr_t)i, "i %d: %p", i,
		    p[i]);
		VERIFY(vmp);
	}
	/* Wrapped: the holes at 1 and 3, in address order. */
	x = vmem_alloc(vmp, 16, VM_SLEEP | VM_NEXTFIT);
	CHECK(U(x) == base + 16);
	p[1] = x;
	x = vmem_alloc(vmp, 16, VM_SLEEP | VM_NEXTFIT);
	CHECK(U(x) == base + 48);
	p[3] = x;
	CHECK(vmem_alloc(vmp, 16, VM_NOSLEEP | VM_NEXTFIT) == NULL);
	for (i = 63; i >= 0; i--) {
		vmem_free(vmp, p[i], 16);
		VERIFY(vmp);
	}
	check_all_free(vmp, __LINE__);
	/* After freeing everything the rotor carries on where it was. */
	x = vmem_alloc(vmp, 32, VM_SLEEP | VM_NEXTFIT);
	CHECK(x != NULL);
	vmem_free(vmp, x, 32);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* ------------------------------------------------------------------------
 * Constrained allocation.
 */

static int
xalloc_ok(void *p, size_t size, size_t align, size_t phase, size_t nocross,
    uintptr_t lo, uintptr_t hi)
{
	uintptr_t a = U(p);

	if (a % align != phase || a < lo || (hi != 0 && a + size > hi))
		return (0);
	return (nocross == 0 || ((a ^ (a + size - 1)) & ~(nocross - 1)) == 0);
}

static void
test_xalloc_exact(void)
{
	uintptr_t base = 0x10000000;
	vmem_t *vmp = arena("t_xexact", base, MB, 16);
	void *p, *q, *r;

	p = vmem_xalloc(vmp, 64, 4096, 16, 0, NULL, NULL, VM_SLEEP);
	CHECK(U(p) == base + 16);
	q = vmem_xalloc(vmp, 64, 0, 0, 0, A(base + 512 * KB),
	    A(base + 512 * KB + 64), VM_SLEEP);
	CHECK(U(q) == base + 512 * KB);
	/* At 4096 + 256 it would cross 4096 + 512: moves there. */
	r = vmem_xalloc(vmp, 384, 256, 0, 512, A(base + 4096 + 16),
	    A(base + 8192), VM_SLEEP);
	CHECKF(U(r) == base + 4096 + 512, "got %p", r);
	VERIFY(vmp);
	/* Impossible windows fail without harm. */
	CHECK(vmem_xalloc(vmp, 128, 0, 0, 0, A(base + 512 * KB),
	    A(base + 512 * KB + 64), VM_NOSLEEP) == NULL);
	CHECK(vmem_xalloc(vmp, 64, 0, 0, 0, A(base + MB), NULL,
	    VM_NOSLEEP) == NULL);
	vmem_xfree(vmp, p, 64);
	vmem_xfree(vmp, q, 64);
	vmem_xfree(vmp, r, 384);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

typedef struct xlive {
	void *xl_addr;
	size_t xl_size;
} xlive_t;

/* Random constraints; every result checked against them. */
static void
xalloc_random_one(vmem_t *vmp, uintptr_t base, xlive_t *xl, int *nlive)
{
	static const int policies[] = { 0, VM_BESTFIT, VM_FIRSTFIT,
	    VM_NEXTFIT };
	size_t size = (1 + rng() % 64) * 16;
	size_t align = (size_t)16 << (rng() % 9);
	size_t phase = (rng() % (align / 16)) * 16;
	size_t nocross = 0;
	uintptr_t lo = 0, hi = 0;
	void *p;

	if (rng() % 3 == 0) {
		nocross = align;
		while (nocross < size + phase)
			nocross <<= 1;
		nocross <<= rng() % 3;
	}
	if (rng() % 3 == 0) {
		lo = base + (rng() % 768) * KB;
		hi = lo + 256 * KB;
	}
	p = vmem_xalloc(vmp, size, align, phase, nocross, A(lo), A(hi),
	    policies[rng() % 4] | VM_NOSLEEP);
	if (p == NULL)
		return;
	CHECKF(xalloc_ok(p, size, align, phase, nocross, lo, hi),
	    "%p size %zu align %zu phase %zu nocross %zu [%p, %p)", p, size,
	    align, phase, nocross, A(lo), A(hi));
	xl[*nlive].xl_addr = p;
	xl[(*nlive)++].xl_size = size;
}

static void
test_xalloc_random(void)
{
	static xlive_t xl[4096];
	uintptr_t base = 0x20000000;
	vmem_t *vmp = arena("t_xrand", base, MB, 16);
	int i, nlive = 0;

	for (i = 0; i < 20000; i++) {
		if (nlive < 4096 && (nlive == 0 || rng() % 100 < 55)) {
			xalloc_random_one(vmp, base, xl, &nlive);
		} else {
			int k = (int)(rng() % (uint64_t)nlive);

			vmem_xfree(vmp, xl[k].xl_addr, xl[k].xl_size);
			xl[k] = xl[--nlive];
		}
		if (i < 3000 || i % 1000 == 0)
			VERIFY(vmp);
	}
	while (nlive > 0) {
		nlive--;
		vmem_xfree(vmp, xl[nlive].xl_addr, xl[nlive].xl_size);
	}
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* ------------------------------------------------------------------------
 * Random alloc/free over several spans, all policies.
 */

static void
random_run(vmem_t *vmp, xlive_t *xl, int max, int ops, int verify_every)
{
	static const int policies[] = { 0, 0, VM_BESTFIT, VM_FIRSTFIT,
	    VM_NEXTFIT };
	int i, nlive = 0;

	for (i = 0; i < ops; i++) {
		if (nlive < max && (nlive == 0 || rng() % 100 < 52)) {
			size_t size = 1 + rng() % (rng() % 8 == 0 ? 32768 :
			    512);
			void *p = vmem_alloc(vmp, size,
			    policies[rng() % 5] | VM_NOSLEEP);

			if (p != NULL) {
				xl[nlive].xl_addr = p;
				xl[nlive++].xl_size = size;
			}
		} else {
			int k = (int)(rng() % (uint64_t)nlive);

			vmem_free(vmp, xl[k].xl_addr, xl[k].xl_size);
			xl[k] = xl[--nlive];
		}
		if (verify_every != 0 && i % verify_every == 0)
			VERIFY(vmp);
	}
	while (nlive > 0) {             /* the rest in random order */
		int k = (int)(rng() % (uint64_t)nlive);

		vmem_free(vmp, xl[k].xl_addr, xl[k].xl_size);
		xl[k] = xl[--nlive];
	}
}

static void
test_random(void)
{
	static xlive_t xl[8192];
	vmem_t *vmp = arena("t_random", 0x30000000, 4 * MB, 16);
	size_t total;

	CHECK(vmem_add(vmp, A(0x38000000), 2 * MB, VM_SLEEP) != NULL);
	CHECK(vmem_add(vmp, A(0x34000000), 64 * KB, VM_SLEEP) != NULL);
	total = vmem_size(vmp, VMEM_ALLOC | VMEM_FREE);
	CHECK(total == 4 * MB + 2 * MB + 64 * KB);
	random_run(vmp, xl, 512, 3000, 1);      /* verify after every op */
	check_all_free(vmp, __LINE__);
	random_run(vmp, xl, 8192, 300000, 20000);
	check_all_free(vmp, __LINE__);
	CHECK(vmem_size(vmp, VMEM_FREE) == total);
	CHECK(count_segs(vmp, VMEM_FREE_SEG) == 3);
	vmem_destroy(vmp);
}

/* ------------------------------------------------------------------------
 * Dirty tracking (vmem.c, section 5): the part of a segment that
 * vmem_alloc_dirty says may hold data covers every quantum that was ever
 * freed, whether carved from the arena's own free space or imported from
 * its source.  A model marks each quantum once freed.
 */

#define DQ      4096UL
#define DBASE   0x50000000UL
#define DSIZE   (8 * MB)

static void
dirty_check(const uint8_t *model, uintptr_t a, size_t size,
    const uintptr_t d[2], int op)
{
	uintptr_t q;

	CHECKF(d[0] <= d[1] && (d[0] == d[1] || (d[0] >= a &&
	    d[1] <= a + size)), "op %d: dirty range [%#lx, %#lx) outside "
	    "[%#lx, %#lx)", op, (unsigned long)d[0], (unsigned long)d[1],
	    (unsigned long)a, (unsigned long)(a + size));
	for (q = a; q < a + size; q += DQ)
		if (model[(q - DBASE) / DQ] && !(d[0] <= q && q + DQ <= d[1])) {
			CHECKF(0, "op %d: freed quantum %#lx not in the dirty "
			    "range [%#lx, %#lx)", op, (unsigned long)q,
			    (unsigned long)d[0], (unsigned long)d[1]);
			return;
		}
}

static void
test_dirty(void)
{
	static uint8_t model[DSIZE / DQ];
	static xlive_t xl[2][256];
	vmem_t *vmp[2];
	int nlive[2] = { 0, 0 }, op, w, k;
	uintptr_t d[2];
	size_t clean = 0, allocs = 0;

	vmp[0] = arena("t_dirty_src", DBASE, DSIZE, DQ);
	vmp[1] = vmem_create("t_dirty", NULL, 0, DQ, vmem_alloc, vmem_free,
	    vmp[0], 0, VM_SLEEP);
	REQUIRE(vmp[1] != NULL);
	vmp[1]->vm_min_import = 64 * DQ;
	for (op = 0; op < 20000; op++) {
		w = (int)(rng() % 2);
		if (nlive[w] < 256 && (nlive[w] == 0 || rng() % 100 < 50)) {
			size_t size = DQ * (1 + rng() % 48);
			char *p = vmem_alloc_dirty(vmp[w], size, (rng() % 2 ?
			    VM_BESTFIT : 0) | VM_NOSLEEP, d);

			if (p == NULL)
				continue;
			dirty_check(model, (uintptr_t)p, size, d, op);
			allocs++;
			clean += d[0] == d[1];
			xl[w][nlive[w]].xl_addr = p;
			xl[w][nlive[w]++].xl_size = size;
		} else {
			uintptr_t a, q;

			k = (int)(rng() % (uint64_t)nlive[w]);
			a = (uintptr_t)xl[w][k].xl_addr;
			for (q = a; q < a + xl[w][k].xl_size; q += DQ)
				model[(q - DBASE) / DQ] = 1;
			vmem_free(vmp[w], xl[w][k].xl_addr, xl[w][k].xl_size);
			xl[w][k] = xl[w][--nlive[w]];
		}
		if (op % 100 == 0) {
			VERIFY(vmp[0]);
			VERIFY(vmp[1]);
		}
	}
	/* Fresh space at first: some allocations were clean. */
	CHECKF(clean > 0 && clean < allocs, "%zu of %zu allocations clean",
	    clean, allocs);
	for (w = 1; w >= 0; w--)
		while (nlive[w] > 0) {
			k = --nlive[w];
			vmem_free(vmp[w], xl[w][k].xl_addr, xl[w][k].xl_size);
		}
	vmem_destroy(vmp[1]);
	vmem_destroy(vmp[0]);
}

/* ------------------------------------------------------------------------
 * Importing from a source arena.
 */

static int src_allocs, src_frees;

static void *
count_alloc(vmem_t *src, size_t size, int vmflag)
{
	src_allocs++;
	return (vmem_alloc(src, size, vmflag));
}

static void
count_free(vmem_t *src, void *addr, size_t size)
{
	src_frees++;
	vmem_free(src, addr, size);
}

static void *
null_alloc(vmem_t *src, size_t size, int vmflag)
{
	(void) src;
	(void) size;
	(void) vmflag;
	return (NULL);
}

static void
test_import_basic(vmem_t *parent)
{
	vmem_t *child = vmem_create("t_child", NULL, 0, 16, count_alloc,
	    count_free, parent, 0, VM_SLEEP);
	void *p, *q, *r;

	REQUIRE(child != NULL);
	child->vm_min_import = 64 * KB;
	src_allocs = src_frees = 0;
	p = vmem_alloc(child, 100, VM_SLEEP);
	CHECK(p != NULL && src_allocs == 1);
	CHECK(vmem_size(parent, VMEM_ALLOC) == 64 * KB);
	CHECK(vmem_size(child, VMEM_ALLOC | VMEM_FREE) == 64 * KB);
	CHECK(child->vm_kstat.vk_mem_import == 64 * KB);
	q = vmem_alloc(child, 1000, VM_SLEEP);      /* fits: no import */
	CHECK(q != NULL && src_allocs == 1);
	r = vmem_alloc(child, MB, VM_SLEEP);        /* bigger than min */
	CHECK(r != NULL && src_allocs == 2);
	CHECK(vmem_size(parent, VMEM_ALLOC) == 64 * KB + MB);
	VERIFY(child);
	VERIFY(parent);
	vmem_free(child, r, MB);                    /* whole span: back */
	CHECK(src_frees == 1);
	CHECK(vmem_size(parent, VMEM_ALLOC) == 64 * KB);
	vmem_free(child, p, 100);
	CHECK(src_frees == 1);
	vmem_free(child, q, 1000);
	CHECK(src_frees == 2);
	CHECK(vmem_size(parent, VMEM_ALLOC) == 0);
	CHECK(vmem_size(child, VMEM_ALLOC | VMEM_FREE) == 0);
	CHECK(child->vm_kstat.vk_mem_import == 0);
	VERIFY(child);
	check_all_free(parent, __LINE__);
	vmem_destroy(child);
}

static void
test_import_aligned(vmem_t *parent)
{
	vmem_t *child = vmem_create("t_child_al", NULL, 0, 16, vmem_alloc,
	    vmem_free, parent, 0, VM_SLEEP);
	void *p, *q;

	REQUIRE(child != NULL);
	p = vmem_xalloc(child, 4096, 64 * KB, 0, 0, NULL, NULL, VM_SLEEP);
	CHECK(p != NULL && U(p) % (64 * KB) == 0);
	q = vmem_xalloc(child, 4096, 64 * KB, 16, 0, NULL, NULL, VM_SLEEP);
	CHECK(q != NULL && U(q) % (64 * KB) == 16);
	/* Next fit imports too. */
	VERIFY(child);
	vmem_xfree(child, p, 4096);
	vmem_xfree(child, q, 4096);
	p = vmem_alloc(child, 5000, VM_SLEEP | VM_NEXTFIT);
	CHECK(p != NULL);
	vmem_free(child, p, 5000);
	CHECK(vmem_size(child, VMEM_ALLOC | VMEM_FREE) == 0);
	check_all_free(parent, __LINE__);
	VERIFY(child);
	vmem_destroy(child);
}

static void
test_import_retain(vmem_t *parent)
{
	vmem_t *child = vmem_create("t_child_ret", NULL, 0, 4096, vmem_alloc,
	    vmem_free, parent, 0, VM_SLEEP | VMC_RETAIN);
	void *p[8];
	int i;

	REQUIRE(child != NULL);
	child->vm_min_import = 16 * KB;
	for (i = 0; i < 8; i++)
		p[i] = vmem_alloc(child, 8 * KB, VM_SLEEP);   /* 4 spans */
	CHECK(vmem_size(parent, VMEM_ALLOC) == 64 * KB);
	for (i = 0; i < 6; i++)
		vmem_free(child, p[i], 8 * KB);
	/* Retained: the parent still has it all out. */
	CHECK(vmem_size(parent, VMEM_ALLOC) == 64 * KB);
	VERIFY(child);
	CHECK(vmem_reap_spans(child) == 48 * KB);
	CHECK(vmem_size(parent, VMEM_ALLOC) == 16 * KB);
	CHECK(vmem_reap_spans(child) == 0);
	VERIFY(child);
	vmem_free(child, p[6], 8 * KB);
	vmem_free(child, p[7], 8 * KB);
	CHECK(vmem_size(parent, VMEM_ALLOC) == 16 * KB);
	/* Destroying the arena gives back what it still holds. */
	vmem_destroy(child);
	check_all_free(parent, __LINE__);
}

static void
test_import_fail(vmem_t *parent)
{
	vmem_t *child = vmem_create("t_child_fail", NULL, 0, 16, null_alloc,
	    count_free, parent, 0, VM_SLEEP);
	vmem_t *small = vmem_create("t_child_small", NULL, 0, 16, vmem_alloc,
	    vmem_free, parent, 0, VM_SLEEP);

	REQUIRE(child != NULL && small != NULL);
	CHECK(vmem_alloc(child, 64, VM_NOSLEEP) == NULL);
	CHECK(child->vm_kstat.vk_fail == 1);
	VERIFY(child);
	/* The parent cannot give that much: the child fails cleanly. */
	CHECK(vmem_alloc(small, 64 * MB, VM_NOSLEEP) == NULL);
	/* A window the imported span cannot meet: given back at once. */
	CHECK(vmem_xalloc(small, 4096, 0, 0, 0, A(0x10), A(0x1000),
	    VM_NOSLEEP) == NULL);
	CHECK(vmem_size(small, VMEM_ALLOC | VMEM_FREE) == 0);
	VERIFY(small);
	check_all_free(parent, __LINE__);
	vmem_destroy(child);
	vmem_destroy(small);
}

static void
test_import(void)
{
	vmem_t *parent = arena("t_parent", 0x40000000, 32 * MB, 4096);

	test_import_basic(parent);
	test_import_aligned(parent);
	test_import_retain(parent);
	test_import_fail(parent);
	vmem_destroy(parent);
}

/* ------------------------------------------------------------------------
 * The hash, extending in place, arena structures.
 */

static void
test_hash(void)
{
	static xlive_t xl[20000];
	vmem_t *vmp = arena("t_hash", 0x50000000, 16 * MB, 16);
	int i;

	for (i = 0; i < 20000; i++) {
		xl[i].xl_size = 16 + (rng() % 4) * 16;
		xl[i].xl_addr = vmem_alloc(vmp, xl[i].xl_size, VM_SLEEP);
		CHECK(xl[i].xl_addr != NULL);
	}
	CHECK(vmp->vm_hash_count == 20000);
	CHECK(vmp->vm_hash_table != vmp->vm_hash0);
	CHECKF(vmp->vm_hash_mask + 1 >= 20000 / 2, "%zu buckets",
	    (size_t)vmp->vm_hash_mask + 1);
	VERIFY(vmp);
	for (i = 19999; i > 0; i--) {           /* shuffle, then free */
		int k = (int)(rng() % (uint64_t)(i + 1));
		xlive_t t = xl[i];

		xl[i] = xl[k];
		xl[k] = t;
	}
	for (i = 0; i < 20000; i++) {
		vmem_free(vmp, xl[i].xl_addr, xl[i].xl_size);
		if (i % 2000 == 0)
			VERIFY(vmp);
	}
	CHECK(vmp->vm_hash_count == 0);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

static void
test_extend(void)
{
	uintptr_t base = 0x60000000;
	vmem_t *vmp = arena("t_extend", base, 4096, 16);
	void *a = vmem_alloc(vmp, 64, VM_SLEEP);
	void *b = vmem_alloc(vmp, 64, VM_SLEEP);
	void *c = vmem_alloc(vmp, 64, VM_SLEEP);

	CHECK(U(a) == base && U(b) == base + 64 && U(c) == base + 128);
	CHECK(vmem_extend_try(vmp, a, 64, 128) == NULL);    /* b in the way */
	CHECK(vmem_extend_try(vmp, a, 64, 64) == a);
	CHECK(vmem_extend_try(vmp, a, 64, 50) == a);        /* same quanta */
	vmem_free(vmp, b, 64);
	CHECK(vmem_extend_try(vmp, a, 64, 100) == a);       /* 112 now */
	CHECK(vmem_size(vmp, VMEM_ALLOC) == 112 + 64);
	VERIFY(vmp);
	CHECK(vmem_extend_try(vmp, a, 112, 128) == a);      /* uses it all */
	CHECK(count_segs(vmp, VMEM_ALLOC_SEG) == 2);
	VERIFY(vmp);
	CHECK(vmem_extend_try(vmp, a, 128, 144) == NULL);   /* c now */
	CHECK(vmem_extend_try(vmp, c, 64, 4096 - 128) == c);
	CHECK(vmem_extend_try(vmp, c, 4096 - 128, 4096) == NULL);
	CHECK(vmem_extend_try(vmp, c, 64, 128) == NULL);    /* wrong size */
	CHECK(vmem_extend_try(vmp, A(base + 16), 16, 32) == NULL);
	CHECK(vmem_size(vmp, VMEM_FREE) == 0);
	VERIFY(vmp);
	vmem_free(vmp, a, 128);
	vmem_free(vmp, c, 4096 - 128);
	check_all_free(vmp, __LINE__);
	/* With the rotor between the segment and the free space after it. */
	a = vmem_alloc(vmp, 64, VM_SLEEP | VM_NEXTFIT);
	CHECK(vmem_extend_try(vmp, a, 64, 1024) == a);
	VERIFY(vmp);
	vmem_free(vmp, a, 1024);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

/* More arenas than the static array holds; destroyed ones are reused. */
static void
test_many_arenas(void)
{
	vmem_t *v[48];
	char name[32];
	int round, i;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < 48; i++) {
			(void) snprintf(name, sizeof (name), "t_many_%d", i);
			v[i] = vmem_create(name, A(0x1000 * (uintptr_t)(i + 1)),
			    0x1000, 16, NULL, NULL, NULL, 0, VM_SLEEP);
			REQUIRE(v[i] != NULL);
			CHECK(strcmp(v[i]->vm_name, name) == 0);
			CHECK(vmem_alloc(v[i], 0x1000, VM_SLEEP) ==
			    A(0x1000 * (uintptr_t)(i + 1)));
		}
		for (i = 0; i < 48; i++) {
			vmem_free(v[i], A(0x1000 * (uintptr_t)(i + 1)), 0x1000);
			VERIFY(v[i]);
			vmem_destroy(v[i]);
		}
	}
	/* A long name is cut, not overrun. */
	v[0] = vmem_create("t_a_name_much_longer_than_thirty_two_bytes", NULL,
	    0, 16, NULL, NULL, NULL, 0, VM_SLEEP);
	REQUIRE(v[0] != NULL);
	CHECK(strlen(v[0]->vm_name) == VMEM_NAMELEN - 1);
	vmem_destroy(v[0]);
}

/* ------------------------------------------------------------------------
 * Threads, fork, and a bad free.
 */

#define MT_THREADS      4
#define MT_OPS          100000
#define MT_BASE         0x70000000UL
#define MT_SIZE         (64 * MB)

static uint64_t mt_map[MT_SIZE / 16 / 64];      /* one bit per quantum */
static vmem_t *mt_arena;

/* Mark [p, p + size) in use (set) or free (clear); 0 if it overlapped. */
static int
mt_mark(void *p, size_t size, int set)
{
	uintptr_t q = (U(p) - MT_BASE) / 16, n = (size + 15) / 16, i;
	int ok = 1;

	for (i = q; i < q + n; i++) {
		uint64_t bit = 1ULL << (i % 64), old;

		if (set)
			old = __atomic_fetch_or(&mt_map[i / 64], bit,
			    __ATOMIC_RELAXED);
		else
			old = __atomic_fetch_and(&mt_map[i / 64], ~bit,
			    __ATOMIC_RELAXED);
		ok &= ((old & bit) != 0) != set;
	}
	return (ok);
}

static void *
mt_worker(void *arg)
{
	static const int policies[] = { 0, 0, VM_BESTFIT, VM_NEXTFIT };
	uint64_t state = 0x1234567ULL * (uint64_t)(uintptr_t)arg + 1;
	xlive_t xl[256];
	int i, nlive = 0;

	for (i = 0; i < MT_OPS; i++) {
		if (nlive < 256 && (nlive == 0 || rng_r(&state) % 2 == 0)) {
			size_t size = 1 + rng_r(&state) % 4096;
			void *p = vmem_alloc(mt_arena, size,
			    policies[rng_r(&state) % 4] | VM_NOSLEEP);

			CHECK(p != NULL);
			if (p == NULL)
				continue;
			CHECKF(mt_mark(p, size, 1), "overlap at %p", p);
			xl[nlive].xl_addr = p;
			xl[nlive++].xl_size = size;
		} else {
			int k = (int)(rng_r(&state) % (uint64_t)nlive);

			CHECK(mt_mark(xl[k].xl_addr, xl[k].xl_size, 0));
			vmem_free(mt_arena, xl[k].xl_addr, xl[k].xl_size);
			xl[k] = xl[--nlive];
		}
	}
	while (nlive > 0) {
		nlive--;
		CHECK(mt_mark(xl[nlive].xl_addr, xl[nlive].xl_size, 0));
		vmem_free(mt_arena, xl[nlive].xl_addr, xl[nlive].xl_size);
	}
	return (NULL);
}

/* 4 threads on an arena that imports from (and gives back to) a parent. */
static void
test_threads(void)
{
	vmem_t *parent = arena("t_mt_parent", MT_BASE, MT_SIZE, 4096);
	pthread_t tid[MT_THREADS];
	uintptr_t i;

	mt_arena = vmem_create("t_mt", NULL, 0, 16, vmem_alloc, vmem_free,
	    parent, 0, VM_SLEEP);
	REQUIRE(mt_arena != NULL);
	mt_arena->vm_min_import = 64 * KB;
	for (i = 0; i < MT_THREADS; i++)
		REQUIRE(pthread_create(&tid[i], NULL, mt_worker,
		    (void *)(i + 1)) == 0);
	for (i = 0; i < MT_THREADS; i++)
		(void) pthread_join(tid[i], NULL);
	VERIFY(mt_arena);
	VERIFY(parent);
	CHECK(vmem_size(mt_arena, VMEM_ALLOC | VMEM_FREE) == 0);
	CHECK(mt_arena->vm_kstat.vk_alloc == mt_arena->vm_kstat.vk_free);
	check_all_free(parent, __LINE__);
	vmem_destroy(mt_arena);
	vmem_destroy(parent);
}

/*
 * The fork handlers, in process: prepare then parent must leave every
 * arena usable, and so must prepare then child (which re-creates the
 * locks).  Nothing between the calls may allocate (check.h might).
 */
static void
test_fork_handlers(void)
{
	vmem_t *vmp = arena("t_fork", 0x80000000, MB, 16);
	void *p;

	vmem_fork_prepare();
	vmem_fork_parent();
	p = vmem_alloc(vmp, 64, VM_SLEEP);
	CHECK(p != NULL);
	vmem_fork_prepare();
	vmem_fork_child();
	vmem_free(vmp, p, 64);
	CHECK(vmem_alloc(vmp, 64, VM_SLEEP) == p);
	VERIFY(vmp);
	vmem_free(vmp, p, 64);
	vmem_destroy(vmp);
}

/* A child of a real fork() finds the arena as the parent left it. */
static void
test_fork_real(void)
{
	vmem_t *vmp = arena("t_fork_real", 0x90000000, MB, 16);
	void *p = vmem_alloc(vmp, 4096, VM_SLEEP);
	int status = 0;
	pid_t pid = fork();

	REQUIRE(pid >= 0);
	if (pid == 0) {
		void *q = vmem_alloc(vmp, 4096, VM_SLEEP);

		vmem_free(vmp, p, 4096);
		vmem_free(vmp, q, 4096);
		_exit(vmem_verify(vmp) == 0 &&
		    vmem_size(vmp, VMEM_ALLOC) == 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x",
	    status);
	CHECK(vmem_size(vmp, VMEM_ALLOC) == 4096);
	vmem_free(vmp, p, 4096);
	vmem_destroy(vmp);
}

/* Freeing what was never allocated is a bug above vmem: st_panic. */
static void
test_bad_free(void)
{
	vmem_t *vmp = arena("t_badfree", 0xa0000000, MB, 16);
	void *p = vmem_alloc(vmp, 64, VM_SLEEP);
	int which;

	for (which = 0; which < 3; which++) {
		int status = 0;
		pid_t pid = fork();

		REQUIRE(pid >= 0);
		if (pid == 0) {
			struct rlimit rl = { 0, 0 };

			(void) setrlimit(RLIMIT_CORE, &rl);
			(void) close(2);        /* the panic message */
			if (which == 0)
				vmem_free(vmp, A(U(p) + 16), 48);
			else if (which == 1)
				vmem_free(vmp, p, 128);
			else
				vmem_free(vmp, A(0xb0000000), 64);
			_exit(0);
		}
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		    "case %d: status 0x%x", which, status);
	}
	vmem_free(vmp, p, 64);
	check_all_free(vmp, __LINE__);
	vmem_destroy(vmp);
}

int
main(void)
{
	test_basic();
	test_spans();
	test_many_spans();
	test_fit_policies();
	test_bestfit_smallest();
	test_default_fit_bound();
	test_nextfit();
	test_xalloc_exact();
	test_xalloc_random();
	test_random();
	test_dirty();
	test_import();
	test_hash();
	test_extend();
	test_many_arenas();
	test_threads();
	test_fork_handlers();
	test_fork_real();
	test_bad_free();
	return (check_status());
}
