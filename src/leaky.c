/*
 * leaky.c: the leak scanner, a conservative mark and sweep over a table of
 * buffers (mdb's leaky, with LeakSanitizer's and Valgrind's split of
 * direct and indirect leaks).  One file, compiled into the library
 * (leakcheck.c: the live heap at exit or on request) and into the
 * debugger (src/mdb/findleaks.c: a dump); see leaky.h for the calls.
 *
 * 1. What a leak is.  A buffer is reachable when a root (a register, the
 *    live part of a stack, writable data of a loaded object, memory the
 *    program mapped itself: the caller says which) holds a word that points
 *    into it, anywhere between its first byte and its end (an interior
 *    pointer counts, as in leaky and LSan), or a reachable buffer does.
 *    Every other allocated buffer is leaked.  Only aligned 8-byte words
 *    are looked at: a pointer the program stores unaligned, or disguised
 *    (xor'd, compressed), is not seen, and a buffer reachable only through
 *    one is reported.  The other way, a word that happens to look like a
 *    pointer keeps a leak from being seen: the scan is conservative.
 *
 * 2. Direct and indirect.  A leaked buffer that no other leaked buffer
 *    points to is a direct leak (LSan's words; Valgrind's "definitely
 *    lost"); one reached only from leaked buffers is indirect, so that a
 *    lost list is one direct leak (its head) and N indirect ones, not N+1
 *    rows.  A cycle of leaked buffers that nothing else points to would be
 *    all indirect by that rule; as Valgrind does with its cliques, the
 *    first of it in address order is made the direct one: lk_classify
 *    walks the unreached buffers by address, each one not yet claimed
 *    becomes a leader (direct) and claims everything it reaches that is
 *    unclaimed, or was itself a leader (which becomes indirect: the new
 *    leader reaches it).
 *
 * 3. The data structures.
 *      ls_bufs   lk_buf_t[max]: address, size, the caller's tag, the
 *                slack (bytes past what was asked for), the state.  32
 *                bytes a buffer.  Sorted by address once (a heapsort: no
 *                memory beyond the table, no recursion), then searched by
 *                bisection for each word that falls between the lowest
 *                buffer and the end of the highest.
 *      ls_stack  uint32_t[max]: buffers reached and not yet scanned.  A
 *                buffer changes state before it is pushed, and each phase
 *                pushes a state only once, so max entries always suffice:
 *                marking never recurses and never grows.
 *      ls_order, ls_keys, ls_groups   after the scan: the leaks by
 *                (state, key, address), each leak's key, and the runs of
 *                equal (state, key), biggest first.  4 + 8 bytes a leak,
 *                16 a group.
 *    So a scan costs 36 bytes a buffer, and at most 64 when every buffer
 *    is leaked with a key of its own.  All of it comes from lo_map (the
 *    library: the platform layer's scratch mappings, never malloc) and
 *    goes back in lk_fini.
 *
 * 4. Reading.  Roots and buffers are read LK_CHUNK bytes at a time through
 *    lo_read, which may hand back the memory in place (the library, with
 *    the world stopped) or a copy (the debugger).  A piece that cannot be
 *    read is retried a page at a time, and what still fails is counted
 *    (lt_unreadable) and skipped: a root that ends in a hole is a shorter
 *    root, never an error.  A range of LK_SPARSE bytes or more asks
 *    lo_skip, where the caller has one, for its next page that was ever
 *    touched: a large, mostly untouched buffer or mapping costs what it
 *    holds, not its size.
 *
 * 5. What can go wrong.  A table too small for the heap (lk_add says so;
 *    the caller counts first); overlapping entries (a heap walk that met a
 *    buffer twice, or a corrupt dump): lk_sort keeps the first of each
 *    overlap and counts the rest; a hostile dump's sizes: a buffer larger
 *    than its neighbour's start is cut there by the overlap rule, so no
 *    word belongs to two buffers.
 */
#include <string.h>

#include "leaky.h"

#define LK_ALIGN        8               /* bytes of a word */

/* What lk_words does with a buffer a word points to. */
#define LK_MODE_MARK    0               /* a root's: reach it */
#define LK_MODE_CLAIM   1               /* a leader's: claim it */
#define LK_MODE_SPREAD  2               /* a suppressed leak's: suppress */

/* ------------------------------------------------------------------------
 * Memory.
 */

static void *
lk_map(lk_scan_t *ls, size_t size)
{
	void *p = ls->ls_ops->lo_map(ls->ls_arg, size);

	if (p != NULL) {
		ls->ls_mapped += size;
		if (ls->ls_mapped > ls->ls_stats.lt_memory)
			ls->ls_stats.lt_memory = ls->ls_mapped;
	}
	return (p);
}

static void
lk_unmap(lk_scan_t *ls, void *p, size_t *sizep)
{
	if (p == NULL || *sizep == 0)
		return;
	ls->ls_ops->lo_unmap(ls->ls_arg, p, *sizep);
	ls->ls_mapped -= *sizep;
	*sizep = 0;
}

static size_t
lk_round(uint64_t bytes)
{
	return ((size_t)((bytes + LK_PAGE - 1) & ~(uint64_t)(LK_PAGE - 1)));
}

int
lk_init(lk_scan_t *ls, const lk_ops_t *ops, void *arg, uint64_t max)
{
	memset(ls, 0, sizeof (*ls));
	ls->ls_ops = ops;
	ls->ls_arg = arg;
	if (max == 0)
		max = 1;
	if (max > UINT32_MAX)
		return (-1);
	ls->ls_maxbufs = max;
	ls->ls_stats.lt_maxbufs = max;
	ls->ls_bufs_size = lk_round(max * sizeof (lk_buf_t));
	ls->ls_stack_size = lk_round(max * sizeof (uint32_t));
	ls->ls_bufs = lk_map(ls, ls->ls_bufs_size);
	ls->ls_stack = lk_map(ls, ls->ls_stack_size);
	ls->ls_scratch = lk_map(ls, LK_CHUNK);
	if (ls->ls_bufs == NULL || ls->ls_stack == NULL ||
	    ls->ls_scratch == NULL) {
		if (ls->ls_bufs == NULL)
			ls->ls_bufs_size = 0;
		if (ls->ls_stack == NULL)
			ls->ls_stack_size = 0;
		lk_fini(ls);
		return (-1);
	}
	ls->ls_lo = UINT64_MAX;
	return (0);
}

static void
lk_free_groups(lk_scan_t *ls)
{
	lk_unmap(ls, ls->ls_keys, &ls->ls_keys_size);
	lk_unmap(ls, ls->ls_groups, &ls->ls_groups_size);
	ls->ls_keys = NULL;
	ls->ls_groups = NULL;
	ls->ls_nleaks = ls->ls_ngroups = 0;
}

void
lk_fini(lk_scan_t *ls)
{
	size_t chunk = ls->ls_scratch != NULL ? LK_CHUNK : 0;

	lk_free_groups(ls);
	lk_unmap(ls, ls->ls_bufs, &ls->ls_bufs_size);
	lk_unmap(ls, ls->ls_stack, &ls->ls_stack_size);
	lk_unmap(ls, ls->ls_scratch, &chunk);
	ls->ls_bufs = NULL;
	ls->ls_stack = NULL;
	ls->ls_scratch = NULL;
}

/* ------------------------------------------------------------------------
 * The table.
 */

int
lk_add(lk_scan_t *ls, uint64_t addr, uint64_t size, uint64_t tag,
    uint32_t slack, uint8_t kind)
{
	lk_buf_t *lb;

	ls->ls_stats.lt_added++;
	if (ls->ls_nbufs >= ls->ls_maxbufs || size == 0 ||
	    addr + size < addr)
		return (-1);
	lb = &ls->ls_bufs[ls->ls_nbufs++];
	lb->lb_addr = addr;
	lb->lb_size = size;
	lb->lb_tag = tag;
	lb->lb_slack = slack < size ? slack : 0;
	lb->lb_state = LK_ALLOC;
	lb->lb_kind = kind;
	lb->lb_noscan = 0;
	ls->ls_sorted = 0;
	return (0);
}

/* Heapsort's sift-down on the table, by address. */
static void
lk_sift(lk_buf_t *a, uint64_t root, uint64_t n)
{
	lk_buf_t t = a[root];
	uint64_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && a[child + 1].lb_addr > a[child].lb_addr)
			child++;
		if (a[child].lb_addr <= t.lb_addr)
			break;
		a[root] = a[child];
		root = child;
	}
	a[root] = t;
}

/* Already in order?  (A heap walked slab by slab often nearly is.) */
static int
lk_is_sorted(const lk_buf_t *a, uint64_t n)
{
	uint64_t i;

	for (i = 1; i < n; i++)
		if (a[i].lb_addr < a[i - 1].lb_addr)
			return (0);
	return (1);
}

/* Sort by address; of overlapping entries keep the first (section 5). */
void
lk_sort(lk_scan_t *ls)
{
	lk_buf_t *a = ls->ls_bufs, t;
	uint64_t n = ls->ls_nbufs, i, k;

	if (!lk_is_sorted(a, n)) {
		for (i = n / 2; i-- > 0; )
			lk_sift(a, i, n);
		for (i = n; i-- > 1; ) {
			t = a[0];
			a[0] = a[i];
			a[i] = t;
			lk_sift(a, 0, i);
		}
	}
	for (i = k = 0; i < n; i++) {
		if (k > 0 && a[i].lb_addr < a[k - 1].lb_addr +
		    a[k - 1].lb_size) {
			ls->ls_stats.lt_overlaps++;
			continue;
		}
		a[k++] = a[i];
	}
	ls->ls_nbufs = k;
	ls->ls_lo = k > 0 ? a[0].lb_addr : UINT64_MAX;
	ls->ls_hi = k > 0 ? a[k - 1].lb_addr + a[k - 1].lb_size : 0;
	ls->ls_sorted = 1;
	ls->ls_stats.lt_nbufs = k;
}

/* The index of the buffer holding v, or -1 (the table is sorted). */
static int64_t
lk_search(const lk_scan_t *ls, uint64_t v)
{
	const lk_buf_t *a = ls->ls_bufs;
	uint64_t lo = 0, hi = ls->ls_nbufs, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (a[mid].lb_addr <= v)
			lo = mid;
		else
			hi = mid;
	}
	if (hi > 0 && a[lo].lb_addr <= v && v - a[lo].lb_addr < a[lo].lb_size)
		return ((int64_t)lo);
	return (-1);
}

lk_buf_t *
lk_find(lk_scan_t *ls, uint64_t addr)
{
	int64_t i;

	if (!ls->ls_sorted || addr < ls->ls_lo || addr >= ls->ls_hi)
		return (NULL);
	i = lk_search(ls, addr);
	return (i < 0 ? NULL : &ls->ls_bufs[i]);
}

/* Drop the entries marked LK_FREE. */
void
lk_compact(lk_scan_t *ls)
{
	lk_buf_t *a = ls->ls_bufs;
	uint64_t i, k;

	for (i = k = 0; i < ls->ls_nbufs; i++)
		if (a[i].lb_state != LK_FREE)
			a[k++] = a[i];
	ls->ls_nbufs = k;
	ls->ls_lo = k > 0 ? a[0].lb_addr : UINT64_MAX;
	ls->ls_hi = k > 0 ? a[k - 1].lb_addr + a[k - 1].lb_size : 0;
	ls->ls_stats.lt_nbufs = k;
}

/* ------------------------------------------------------------------------
 * Marking (sections 1 and 2).
 */

static void
lk_push(lk_scan_t *ls, uint64_t i)
{
	if (ls->ls_depth < ls->ls_maxbufs)      /* always (section 3) */
		ls->ls_stack[ls->ls_depth++] = (uint32_t)i;
}

/* What a word pointing into buffer i does, in mode (leader: CLAIM's). */
static void
lk_hit(lk_scan_t *ls, uint64_t i, int mode, uint64_t leader)
{
	lk_buf_t *lb = &ls->ls_bufs[i];

	switch (mode) {
	case LK_MODE_MARK:
		if (lb->lb_state != LK_ALLOC) {
			ls->ls_stats.lt_dups++;
			return;
		}
		lb->lb_state = LK_REACHED;
		break;
	case LK_MODE_CLAIM:
		if (i == leader)
			return;
		if (lb->lb_state == LK_DIRECT) {        /* an earlier leader */
			lb->lb_state = LK_INDIRECT;
			return;
		}
		if (lb->lb_state != LK_ALLOC)
			return;
		lb->lb_state = LK_INDIRECT;
		break;
	default:
		if (lb->lb_state != LK_INDIRECT)
			return;
		lb->lb_state = LK_SUPPRESSED;
		break;
	}
	ls->ls_stats.lt_follows++;
	lk_push(ls, i);
}

static void
lk_words(lk_scan_t *ls, const uint64_t *w, size_t n, int mode,
    uint64_t leader)
{
	uint64_t lo = ls->ls_lo, span = ls->ls_hi - ls->ls_lo;
	size_t k;
	int64_t i;

	ls->ls_stats.lt_words += n;
	for (k = 0; k < n; k++) {
		uint64_t v = w[k];

		if (v - lo >= span) {
			ls->ls_stats.lt_dismissals++;
			continue;
		}
		if ((i = lk_search(ls, v)) < 0) {
			ls->ls_stats.lt_misses++;
			continue;
		}
		lk_hit(ls, (uint64_t)i, mode, leader);
	}
}

/*
 * The aligned words of [addr, addr + len), read a piece at a time (no
 * piece crosses an LK_CHUNK boundary; one that cannot be read is tried
 * again a page at a time).  Returns the bytes read.
 */
static uint64_t
lk_range(lk_scan_t *ls, uint64_t addr, uint64_t len, int mode,
    uint64_t leader)
{
	uint64_t a = (addr + LK_ALIGN - 1) & ~(uint64_t)(LK_ALIGN - 1);
	uint64_t end = (addr + len) & ~(uint64_t)(LK_ALIGN - 1), got = 0;

	int sparse = len >= LK_SPARSE && ls->ls_ops->lo_skip != NULL;

	if (addr + len < addr)
		end = UINT64_MAX & ~(uint64_t)(LK_ALIGN - 1);
	while (a < end) {
		uint64_t room, n;
		const void *p;

		if (sparse && (a & (LK_PAGE - 1)) == 0 &&
		    (a = ls->ls_ops->lo_skip(ls->ls_arg, a, end)) >= end)
			break;
		room = LK_CHUNK - (a & (LK_CHUNK - 1));
		n = end - a < room ? end - a : room;
		p = ls->ls_ops->lo_read(ls->ls_arg, a, (size_t)n,
		    ls->ls_scratch);

		if (p == NULL && n > LK_PAGE - (a & (LK_PAGE - 1))) {
			n = LK_PAGE - (a & (LK_PAGE - 1));
			p = ls->ls_ops->lo_read(ls->ls_arg, a, (size_t)n,
			    ls->ls_scratch);
		}
		if (p == NULL) {
			ls->ls_stats.lt_unreadable += n;
		} else {
			lk_words(ls, p, (size_t)(n / LK_ALIGN), mode, leader);
			got += n;
		}
		a += n;
	}
	return (got);
}

/* Scan what is on the stack until it is empty. */
static void
lk_drain(lk_scan_t *ls, int mode, uint64_t leader)
{
	while (ls->ls_depth > 0) {
		lk_buf_t *lb = &ls->ls_bufs[ls->ls_stack[--ls->ls_depth]];

		ls->ls_stats.lt_buf_bytes += lk_range(ls, lb->lb_addr,
		    lb->lb_size - lb->lb_noscan, mode, leader);
	}
}

/* A root: what it reaches is marked, and what that reaches, and so on. */
void
lk_root(lk_scan_t *ls, uint64_t addr, uint64_t len)
{
	uint64_t a = addr, end = addr + len;

	if (!ls->ls_sorted || ls->ls_nbufs == 0 || len == 0)
		return;
	if (end < addr)
		end = UINT64_MAX;
	/* A piece at a time, drained between: the scratch is reused. */
	while (a < end) {
		uint64_t n = end - a < LK_CHUNK ? end - a : LK_CHUNK;

		ls->ls_stats.lt_root_bytes += lk_range(ls, a, n,
		    LK_MODE_MARK, 0);
		lk_drain(ls, LK_MODE_MARK, 0);
		a += n;
	}
}

/* Words the caller holds (registers). */
void
lk_root_words(lk_scan_t *ls, const uint64_t *words, size_t n)
{
	if (!ls->ls_sorted || ls->ls_nbufs == 0)
		return;
	lk_words(ls, words, n, LK_MODE_MARK, 0);
	lk_drain(ls, LK_MODE_MARK, 0);
}

/* Section 2: the unreached buffers, direct or indirect. */
void
lk_classify(lk_scan_t *ls)
{
	lk_buf_t *a = ls->ls_bufs;
	uint64_t i;

	for (i = 0; i < ls->ls_nbufs; i++) {
		if (a[i].lb_state != LK_ALLOC)
			continue;
		a[i].lb_state = LK_DIRECT;
		lk_push(ls, i);
		lk_drain(ls, LK_MODE_CLAIM, i);
	}
	ls->ls_stats.lt_direct = ls->ls_stats.lt_indirect = 0;
	for (i = 0; i < ls->ls_nbufs; i++) {
		if (a[i].lb_state == LK_DIRECT)
			ls->ls_stats.lt_direct++;
		else if (a[i].lb_state == LK_INDIRECT)
			ls->ls_stats.lt_indirect++;
	}
}

/* ------------------------------------------------------------------------
 * Groups.
 */

static uint32_t *
lk_order(lk_scan_t *ls)
{
	/* The order shares the keys' mapping: keys first, then indices. */
	return ((uint32_t *)(ls->ls_keys + ls->ls_nleaks));
}

/* Leak a before leak b?  By state, key, then address. */
static int
lk_leak_before(lk_scan_t *ls, uint64_t a, uint64_t b)
{
	const uint32_t *o = lk_order(ls);
	const lk_buf_t *x = &ls->ls_bufs[o[a]], *y = &ls->ls_bufs[o[b]];

	if (x->lb_state != y->lb_state)
		return (x->lb_state < y->lb_state);
	if (ls->ls_keys[a] != ls->ls_keys[b])
		return (ls->ls_keys[a] < ls->ls_keys[b]);
	return (x->lb_addr < y->lb_addr);
}

static void
lk_leak_swap(lk_scan_t *ls, uint64_t a, uint64_t b)
{
	uint32_t *o = lk_order(ls), ti = o[a];
	uint64_t tk = ls->ls_keys[a];

	o[a] = o[b];
	o[b] = ti;
	ls->ls_keys[a] = ls->ls_keys[b];
	ls->ls_keys[b] = tk;
}

/* Group a before group b?  Direct first, then the most bytes. */
static int
lk_group_before(lk_scan_t *ls, uint64_t a, uint64_t b)
{
	const lk_group_t *x = &ls->ls_groups[a], *y = &ls->ls_groups[b];
	uint8_t sx = lk_leak(ls, x->lg_first)->lb_state;
	uint8_t sy = lk_leak(ls, y->lg_first)->lb_state;

	if (sx != sy)
		return (sx < sy);
	if (x->lg_bytes != y->lg_bytes)
		return (x->lg_bytes > y->lg_bytes);
	if (x->lg_count != y->lg_count)
		return (x->lg_count > y->lg_count);
	/* (keys are hashes: the lowest address keeps ties in one order) */
	return (lk_leak(ls, x->lg_first)->lb_addr <
	    lk_leak(ls, y->lg_first)->lb_addr);
}

static void
lk_group_swap(lk_scan_t *ls, uint64_t a, uint64_t b)
{
	lk_group_t t = ls->ls_groups[a];

	ls->ls_groups[a] = ls->ls_groups[b];
	ls->ls_groups[b] = t;
}

typedef int lk_before_f(lk_scan_t *, uint64_t, uint64_t);
typedef void lk_swap_f(lk_scan_t *, uint64_t, uint64_t);

static void
lk_hsift(lk_scan_t *ls, uint64_t root, uint64_t n, lk_before_f *before,
    lk_swap_f *swap)
{
	uint64_t child;

	for (; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && before(ls, child, child + 1))
			child++;
		if (!before(ls, root, child))
			break;
		swap(ls, root, child);
	}
}

/* A heapsort through callbacks, for the (few) leaks and groups. */
static void
lk_hsort(lk_scan_t *ls, uint64_t n, lk_before_f *before, lk_swap_f *swap)
{
	uint64_t i;

	for (i = n / 2; i-- > 0; )
		lk_hsift(ls, i, n, before, swap);
	for (i = n; i-- > 1; ) {
		swap(ls, 0, i);
		lk_hsift(ls, 0, i, before, swap);
	}
}

/* The leaks, in order, with their keys; 0 or -1 (no memory). */
static int
lk_collect(lk_scan_t *ls, lk_key_f *key, void *arg)
{
	uint64_t i, n = 0;
	uint32_t *o;

	for (i = 0; i < ls->ls_nbufs; i++)
		n += ls->ls_bufs[i].lb_state == LK_DIRECT ||
		    ls->ls_bufs[i].lb_state == LK_INDIRECT;
	ls->ls_nleaks = n;
	if (n == 0)
		return (0);
	ls->ls_keys_size = lk_round(n * (sizeof (uint64_t) +
	    sizeof (uint32_t)));
	if ((ls->ls_keys = lk_map(ls, ls->ls_keys_size)) == NULL) {
		ls->ls_keys_size = 0;
		ls->ls_nleaks = 0;
		return (-1);
	}
	o = lk_order(ls);
	for (i = n = 0; i < ls->ls_nbufs; i++) {
		lk_buf_t *lb = &ls->ls_bufs[i];

		if (lb->lb_state != LK_DIRECT && lb->lb_state != LK_INDIRECT)
			continue;
		o[n] = (uint32_t)i;
		ls->ls_keys[n++] = key(arg, lb);
	}
	lk_hsort(ls, n, lk_leak_before, lk_leak_swap);
	return (0);
}

/* A run of equal (state, key) starts at leak i? */
static int
lk_run_starts(lk_scan_t *ls, uint64_t i)
{
	const uint32_t *o = lk_order(ls);

	return (i == 0 || ls->ls_keys[i] != ls->ls_keys[i - 1] ||
	    ls->ls_bufs[o[i]].lb_state != ls->ls_bufs[o[i - 1]].lb_state);
}

int
lk_group(lk_scan_t *ls, lk_key_f *key, void *arg)
{
	uint64_t i, g = 0;

	lk_free_groups(ls);
	if (lk_collect(ls, key, arg) != 0)
		return (-1);
	for (i = 0; i < ls->ls_nleaks; i++)
		g += lk_run_starts(ls, i);
	if (g == 0)
		return (0);
	ls->ls_groups_size = lk_round(g * sizeof (lk_group_t));
	if ((ls->ls_groups = lk_map(ls, ls->ls_groups_size)) == NULL) {
		ls->ls_groups_size = 0;
		return (-1);
	}
	for (i = 0, g = 0; i < ls->ls_nleaks; i++) {
		lk_group_t *lg;

		if (lk_run_starts(ls, i)) {
			lg = &ls->ls_groups[g++];
			lg->lg_first = (uint32_t)i;
			lg->lg_count = 0;
			lg->lg_bytes = 0;
		}
		lg = &ls->ls_groups[g - 1];
		lg->lg_count++;
		lg->lg_bytes += lk_bytes(lk_leak(ls, i));
	}
	ls->ls_ngroups = g;
	lk_hsort(ls, g, lk_group_before, lk_group_swap);
	return (0);
}

lk_buf_t *
lk_leak(lk_scan_t *ls, uint64_t i)
{
	return (&ls->ls_bufs[lk_order(ls)[i]]);
}

uint64_t
lk_leak_key(lk_scan_t *ls, uint64_t i)
{
	return (ls->ls_keys[i]);
}

/*
 * A group leaves the report, and so does every indirect leak it reaches
 * (LSan's rule: a suppressed leak's children are not reported for it).
 * The caller groups again afterwards.
 */
void
lk_suppress(lk_scan_t *ls, uint64_t group)
{
	lk_group_t *lg;
	uint64_t i;

	if (group >= ls->ls_ngroups)
		return;
	lg = &ls->ls_groups[group];
	for (i = lg->lg_first; i < (uint64_t)lg->lg_first + lg->lg_count;
	    i++) {
		lk_buf_t *lb = lk_leak(ls, i);

		if (lb->lb_state == LK_SUPPRESSED)
			continue;
		lb->lb_state = LK_SUPPRESSED;
		ls->ls_stats.lt_suppressed++;
		lk_push(ls, lk_order(ls)[i]);
	}
	while (ls->ls_depth > 0) {
		uint64_t before = ls->ls_stats.lt_follows;

		lk_drain(ls, LK_MODE_SPREAD, 0);
		ls->ls_stats.lt_suppressed += ls->ls_stats.lt_follows - before;
	}
}
