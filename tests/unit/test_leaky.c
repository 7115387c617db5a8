/*
 * test_leaky.c: unit test of the leak scanner (src/leaky.c) on buffers
 * and roots of its own, in plain memory, read through a callback that can
 * refuse chosen pages (a dump's holes).
 *
 * What must hold: a word anywhere inside a buffer reaches it, a word one
 * past its end does not; what a reached buffer points to is reached, to
 * any depth (a 100,000-node chain: no recursion); the unreached are split
 * into direct and indirect (a lost list: its head direct; a cycle of two:
 * one direct, one indirect; a buffer pointing to itself: direct); a root
 * that runs into an unreadable page is read up to it and after it, and
 * counted; lk_noscan hides a buffer's last word; overlapping entries are
 * dropped at sort; lk_find and lk_compact; groups by key, direct first and
 * biggest first; a suppressed group takes its indirect leaks with it; the
 * table refuses more buffers than it was made for; lk_fini gives back all
 * it mapped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>

#include "../check.h"
#include "leaky.h"

#define PG      4096UL

static uint64_t t_mapped;               /* bytes the scanner holds */
static uint64_t t_hole_lo, t_hole_hi;   /* reads here fail */

static void *
t_map(void *arg, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);

	(void) arg;
	if (p == MAP_FAILED)
		return (NULL);
	t_mapped += size;
	return (p);
}

static void
t_unmap(void *arg, void *p, size_t size)
{
	(void) arg;
	t_mapped -= size;
	(void) munmap(p, size);
}

static const void *
t_read(void *arg, uint64_t addr, size_t len, void *scratch)
{
	(void) arg;
	if (addr < t_hole_hi && addr + len > t_hole_lo)
		return (NULL);
	memcpy(scratch, (const void *)(uintptr_t)addr, len);
	return (scratch);
}

static const lk_ops_t t_ops = { t_map, t_unmap, t_read, NULL };

static uint64_t
A(const void *p)
{
	return ((uint64_t)(uintptr_t)p);
}

/* The state of the buffer at p. */
static int
state(lk_scan_t *ls, const void *p)
{
	lk_buf_t *lb = lk_find(ls, A(p));

	return (lb != NULL ? lb->lb_state : -1);
}

static void
test_reach(void)
{
	lk_scan_t ls;
	uint64_t *bufs = calloc(8, 64), root[2];
	int i;

	REQUIRE(bufs != NULL);
	REQUIRE(lk_init(&ls, &t_ops, NULL, 8) == 0);
	for (i = 7; i >= 0; i--)        /* out of order: sort puts them right */
		CHECK(lk_add(&ls, A(&bufs[i * 8]), 64, (uint64_t)i, 0, 0) == 0);
	lk_sort(&ls);
	CHECK(ls.ls_nbufs == 8);
	CHECK(lk_find(&ls, A(&bufs[3 * 8]) + 63) == lk_find(&ls,
	    A(&bufs[3 * 8])));
	/* 0 -> 1 -> 2 by interior pointers; 5 reached one past 4's end. */
	bufs[0 * 8 + 1] = A(&bufs[1 * 8]) + 40;
	bufs[1 * 8 + 7] = A(&bufs[2 * 8]) + 63;
	root[0] = A(&bufs[0 * 8]) + 8;
	root[1] = A(&bufs[4 * 8]) + 64;         /* == bufs[5]: reaches 5 */
	lk_root_words(&ls, root, 2);
	CHECK(state(&ls, &bufs[0]) == LK_REACHED);
	CHECK(state(&ls, &bufs[8]) == LK_REACHED);
	CHECK(state(&ls, &bufs[16]) == LK_REACHED);
	CHECK(state(&ls, &bufs[24]) == LK_ALLOC);
	CHECK(state(&ls, &bufs[32]) == LK_ALLOC);
	CHECK(state(&ls, &bufs[40]) == LK_REACHED);
	lk_classify(&ls);
	CHECK(state(&ls, &bufs[24]) == LK_DIRECT);
	CHECK(ls.ls_stats.lt_direct == 4 && ls.ls_stats.lt_indirect == 0);
	/* The table is full. */
	CHECK(lk_add(&ls, 1, 8, 0, 0, 0) == -1);
	lk_fini(&ls);
	CHECK(t_mapped == 0);
	free(bufs);
}

/* A chain of n nodes, each pointing to the next: marking does not recurse. */
static void
test_chain(void)
{
	const long n = 100000;
	uint64_t *nodes = calloc((size_t)n, 16), root;
	lk_scan_t ls;
	long i;

	REQUIRE(nodes != NULL);
	REQUIRE(lk_init(&ls, &t_ops, NULL, (uint64_t)n) == 0);
	for (i = 0; i < n; i++) {
		nodes[i * 2] = i + 1 < n ? A(&nodes[(i + 1) * 2]) : 0;
		(void) lk_add(&ls, A(&nodes[i * 2]), 16, 0, 0, 0);
	}
	lk_sort(&ls);
	root = A(&nodes[0]);
	lk_root_words(&ls, &root, 1);
	lk_classify(&ls);
	CHECK(ls.ls_stats.lt_follows == (uint64_t)n);
	CHECK(ls.ls_stats.lt_direct == 0);
	/* The same chain lost: one direct leak, the rest indirect. */
	lk_fini(&ls);
	REQUIRE(lk_init(&ls, &t_ops, NULL, (uint64_t)n) == 0);
	for (i = 0; i < n; i++)
		(void) lk_add(&ls, A(&nodes[i * 2]), 16, 0, 0, 0);
	lk_sort(&ls);
	lk_classify(&ls);
	CHECK(ls.ls_stats.lt_direct == 1);
	CHECK(ls.ls_stats.lt_indirect == (uint64_t)n - 1);
	CHECK(state(&ls, &nodes[0]) == LK_DIRECT);
	CHECKF(ls.ls_stats.lt_memory <= (uint64_t)n * 36 + 3 * PG +
	    LK_CHUNK, "%lu bytes for %ld buffers",
	    (unsigned long)ls.ls_stats.lt_memory, n);
	lk_fini(&ls);
	free(nodes);
}

/* A cycle; a self-pointer; an earlier leader reached by a later one. */
static void
test_classify(void)
{
	uint64_t *b = calloc(6, 32);
	lk_scan_t ls;
	int i;

	REQUIRE(b != NULL);
	REQUIRE(lk_init(&ls, &t_ops, NULL, 6) == 0);
	b[0 * 4] = A(&b[1 * 4]);        /* 0 <-> 1 */
	b[1 * 4] = A(&b[0 * 4]);
	b[2 * 4] = A(&b[2 * 4]);        /* 2 -> itself */
	b[4 * 4] = A(&b[3 * 4]);        /* 4 -> 3: 3 is visited first */
	b[5 * 4] = A(&b[4 * 4]) + 1;    /* 5 -> 4 */
	for (i = 0; i < 6; i++)
		(void) lk_add(&ls, A(&b[i * 4]), 32, 0, 0, 0);
	lk_sort(&ls);
	lk_classify(&ls);
	CHECK(state(&ls, &b[0]) == LK_DIRECT);
	CHECK(state(&ls, &b[4]) == LK_INDIRECT);
	CHECK(state(&ls, &b[8]) == LK_DIRECT);
	CHECK(state(&ls, &b[12]) == LK_INDIRECT);
	CHECK(state(&ls, &b[16]) == LK_INDIRECT);
	CHECK(state(&ls, &b[20]) == LK_DIRECT);
	lk_fini(&ls);
	free(b);
}

/* A root with an unreadable page in its middle; lk_noscan. */
static void
test_holes(void)
{
	uint64_t *mem = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *b = calloc(4, 32);
	lk_scan_t ls;
	int i;

	REQUIRE(mem != MAP_FAILED && b != NULL);
	/* four buffers of 32 bytes: b[0], b[4], b[8], b[12] */
	mem[0] = A(&b[0]);                      /* page 0 */
	mem[PG / 8] = A(&b[4]);                 /* page 1: a hole */
	mem[3 * PG / 8 + 5] = A(&b[8]);         /* page 3 */
	b[8 + 3] = A(&b[12]);                   /* 2's last word -> 3 */
	REQUIRE(lk_init(&ls, &t_ops, NULL, 4) == 0);
	for (i = 0; i < 4; i++)
		(void) lk_add(&ls, A(&b[i * 4]), 32, 0, 0, 0);
	lk_sort(&ls);
	lk_noscan(lk_find(&ls, A(&b[8])), 8);
	t_hole_lo = A(mem) + PG;
	t_hole_hi = A(mem) + 2 * PG;
	lk_root(&ls, A(mem), 4 * PG);
	t_hole_lo = t_hole_hi = 0;
	CHECK(state(&ls, &b[0]) == LK_REACHED);
	CHECK(state(&ls, &b[4]) == LK_ALLOC);   /* only in the hole */
	CHECK(state(&ls, &b[8]) == LK_REACHED);
	CHECK(state(&ls, &b[12]) == LK_ALLOC);  /* only in the unscanned */
	CHECKF(ls.ls_stats.lt_unreadable == PG, "%lu",
	    (unsigned long)ls.ls_stats.lt_unreadable);
	CHECK(ls.ls_stats.lt_root_bytes == 3 * PG);
	lk_fini(&ls);
	(void) munmap(mem, 4 * PG);
	free(b);
}

/* Overlaps, lk_compact, groups, suppression. */
static uint64_t
t_key(void *arg, const lk_buf_t *lb)
{
	(void) arg;
	return (lb->lb_tag);
}

static void
test_groups(void)
{
	uint64_t *b = calloc(10, 64);
	lk_scan_t ls;
	int i;

	REQUIRE(b != NULL);
	REQUIRE(lk_init(&ls, &t_ops, NULL, 12) == 0);
	/* tag 1: a list of three (0 -> 1 -> 2); tag 2: 3, 4 alone; 5 free */
	b[0 * 8] = A(&b[1 * 8]);
	b[1 * 8] = A(&b[2 * 8]);
	for (i = 0; i < 6; i++)
		(void) lk_add(&ls, A(&b[i * 8]), 64, i < 3 ? 1 : 2,
		    i == 4 ? 60 : 0, 0);
	(void) lk_add(&ls, A(&b[0]) + 8, 16, 9, 0, 0);  /* overlaps 0 */
	lk_sort(&ls);
	CHECK(ls.ls_nbufs == 6 && ls.ls_stats.lt_overlaps == 1);
	lk_find(&ls, A(&b[5 * 8]))->lb_state = LK_FREE;
	lk_compact(&ls);
	CHECK(ls.ls_nbufs == 5 && lk_find(&ls, A(&b[5 * 8])) == NULL);
	lk_classify(&ls);
	REQUIRE(lk_group(&ls, t_key, NULL) == 0);
	/* direct: {tag 2: 3, 4 = 64 + 4 bytes}, {tag 1: 0}; indirect {1, 2} */
	REQUIRE(ls.ls_ngroups == 3);
	/* The direct groups come biggest first: 68 bytes, then 64. */
	CHECK(ls.ls_groups[0].lg_count == 2 && ls.ls_groups[0].lg_bytes == 68);
	CHECK(lk_leak(&ls, ls.ls_groups[0].lg_first)->lb_tag == 2);
	CHECK(ls.ls_groups[1].lg_count == 1 && ls.ls_groups[1].lg_bytes == 64);
	CHECK(lk_leak(&ls, ls.ls_groups[1].lg_first)->lb_tag == 1);
	CHECK(lk_leak(&ls, ls.ls_groups[2].lg_first)->lb_state ==
	    LK_INDIRECT && ls.ls_groups[2].lg_count == 2 &&
	    ls.ls_groups[2].lg_bytes == 128);
	/* Suppress the list's head: its indirect leaks go with it. */
	lk_suppress(&ls, 1);
	REQUIRE(lk_group(&ls, t_key, NULL) == 0);
	CHECK(ls.ls_ngroups == 1 && ls.ls_nleaks == 2);
	CHECK(ls.ls_stats.lt_suppressed == 3);
	lk_fini(&ls);
	CHECK(t_mapped == 0);
	free(b);
}

int
main(void)
{
	test_reach();
	test_chain();
	test_classify();
	test_holes();
	test_groups();
	return (check_status());
}
