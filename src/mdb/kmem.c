/*
 * kmem.c: the debugger's model of the heap in a dump: the caches, every
 * buffer with its state, the slabs, the oversize and firewall buffers,
 * the vmem arenas and their segments.  The kmem commands (kmstat.c,
 * kmwalk.c, whatis.c, and ::findleaks) are built on it.
 *
 * 1. Where things are.  The dump's note gives &st_root; st_root gives the
 *    cache list (a circular list through kmem_null_cache), the arenas
 *    (vm_next), the thread list (the kmem_thread_list sentinel), the
 *    kmem_alloc_N caches by index (for the quarantines) and the page map.
 *    Everything is read as the allocator declares it (slabtrace_impl.h).
 *
 * 2. A buffer's state, as illumos mdb's umem walkers decide it: first
 *    the rounds of every magazine (each thread's loaded and previously
 *    loaded magazine of each cache, kt_cc[cache_ccidx], and the depot's
 *    full magazines) and of every thread's quarantine are gathered, per
 *    cache, sorted; those buffers are free to the program even though
 *    their slabs count them out.  Then each slab is read whole (one read:
 *    a small slab is one page with its kmem_slab_t at the end; a large
 *    slab's kmem_slab_t is apart and its bufctls are external) and each
 *    chunk is decided: with a buffer tag (KMF_BUFTAG), bt_bxstat ^
 *    bt_bufctl says allocated or free and gives the bufctl; otherwise, and
 *    when a tag is neither, a chunk is free if it is on its slab's free
 *    list (followed inside the page for a small slab, through the
 *    external bufctls for a large one) or among the rounds.
 *
 * 3. Big buffers.  Above KMEM_MAXBUF a buffer is a segment of the
 *    kmem_oversize arena: its first page's page map entry is PM_BIG with
 *    its page count, or, for debugging's big buffers, PM_FW | a firewall
 *    header (st_fwhdr_t), as is every page of a firewall buffer (the
 *    "firewall" arena's segments).  The header gives the buffer, its
 *    size, its state and its two audit records.
 *
 * 4. Distrust.  The dump may be of a heap the bug being chased has
 *    damaged.  Every pointer is read through mdb_tgt_read, which fails
 *    cleanly; every count is bounded; every list walk runs Brent's cycle
 *    test (a mark moved at each power of two steps), so a cycle ends the
 *    walk at once; a cache or slab that fails its sanity checks (sizes
 *    that do not fit, a slab of another cache) ends that list with one
 *    mdb_warn line.  A model built from a damaged list keeps what it read
 *    before the damage.
 *
 * 5. Cost.  The model (caches, arenas, threads, magazines) is read once
 *    per command; a pipe's later loops (DCMD_LOOP without
 *    DCMD_LOOPFIRST) reuse it.  A buffer walk reads each slab in one
 *    piece into a buffer that is reused, and decides its chunks there:
 *    a million buffers of 64 bytes are 16,000 reads.
 *
 * 6. A running process (mdb_tgt_moving: a live one read without -S or
 *    ::stop) moves its slabs from list to list and its segments while
 *    they are read: a slab list or an arena's segment list read then can
 *    look broken, or loop, with nothing wrong (a busy program's ::walk
 *    kmem said "corrupt" on most runs).  So such a list is read whole
 *    first, and only then handed to the caller; when it breaks, it is
 *    read again from its head, up to KH_LIST_TRIES times, and then once
 *    more with the process stopped at a safe point for the rest of the
 *    command (mdb_tgt_hold_still, said in one line).  Only a list that
 *    breaks in a process that holds still (a dump, -S, ::stop) is
 *    called corrupt.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

#define	KH_MAXCACHES	4096		/* caches on the list, at most */
#define	KH_MAXVMEM	1024		/* arenas */
#define	KH_MAXTHREADS	(1U << 20)	/* kmem_thread_t's */
#define	KH_MAXMAGSIZE	1024		/* rounds in a magazine */
#define	KH_MAXSLAB	(256ULL << 20)	/* bytes of one slab */
#define	KH_MAXBIGDATA	(256ULL << 20)	/* bytes of a big buffer read */
#define	KH_LIST_TRIES	4		/* readings of a moving list (6.) */
#define	KH_MAXSIZE	(1ULL << 46)	/* any size in the address space */

/* Brent's cycle test on a list walk (section 4). */
typedef struct kh_loop {
	uint64_t kl_mark;
	uint64_t kl_steps;
	uint64_t kl_power;
} kh_loop_t;

static void
kh_loop_init(kh_loop_t *kl)
{
	kl->kl_mark = 0;
	kl->kl_steps = 0;
	kl->kl_power = 1;
}

/* True when cur was met before on this walk. */
static bool
kh_loop_seen(kh_loop_t *kl, uint64_t cur)
{
	if (cur == kl->kl_mark && kl->kl_steps != 0)
		return (true);
	if (++kl->kl_steps == kl->kl_power) {
		kl->kl_mark = cur;
		kl->kl_power *= 2;
	}
	return (false);
}

/* A round: a free buffer held above the slab layer. */
typedef struct kh_round {
	uint64_t kr_addr;
	uint8_t kr_where;		/* MDB_WH_* */
} kh_round_t;

typedef struct kh_vec {
	kh_round_t *kv_r;
	size_t kv_n, kv_cap;
} kh_vec_t;

/* A slab's range, for lookups the page map cannot answer. */
typedef struct kh_range {
	uint64_t kg_lo, kg_hi;		/* [slab_base, + slab_size) */
	uint64_t kg_slab;		/* kmem_slab_t address */
	size_t kg_cache;		/* index in mh_caches */
} kh_range_t;

typedef struct kh_priv {
	uint64_t kp_alloc[KMEM_NCACHE_ALLOC];	/* sr_alloc_caches[] */
	uint32_t kp_nalloc;
	size_t *kp_byaddr;		/* cache indexes sorted by mc_addr */
	uint8_t *kp_slab;		/* a slab's bytes */
	size_t kp_slabcap;
	uint8_t *kp_free;		/* a slab's free-list bitmap */
	size_t kp_freecap;
	kh_range_t *kp_ranges;		/* every slab, sorted (lazily) */
	size_t kp_nranges, kp_rangecap;
	bool kp_have_ranges;
	uint64_t kp_slablen;		/* bytes of kp_slab the dump had */
	uint64_t kp_leaf_l1;		/* the last page map leaf read */
	uint64_t kp_leaf;
} kh_priv_t;

#define	KH_PRIV(h)	((kh_priv_t *)(h)->mh_priv)

/*
 * This command's model, and the one before it: a command that calls
 * another (::whatis prints ::bufctl's record) may get a new model while
 * its own is still in use, so a model is freed one build later.
 */
static mdb_heap_t *kh_cur, *kh_prev;

/* ------------------------------------------------------------------------
 * Small helpers.
 */

static void *
kh_grow(void *p, size_t *capp, size_t want, size_t elsize)
{
	size_t cap = *capp != 0 ? *capp : 16;
	void *np;

	if (want <= *capp)
		return (p);
	while (cap < want)
		cap *= 2;
	if ((np = realloc(p, cap * elsize)) == NULL)
		return (NULL);
	*capp = cap;
	return (np);
}

static int
kh_vec_push(kh_vec_t *v, uint64_t addr, uint8_t where)
{
	kh_round_t *r = kh_grow(v->kv_r, &v->kv_cap, v->kv_n + 1,
	    sizeof (kh_round_t));

	if (r == NULL)
		return (-1);
	v->kv_r = r;
	v->kv_r[v->kv_n].kr_addr = addr;
	v->kv_r[v->kv_n].kr_where = where;
	v->kv_n++;
	return (0);
}

static int
kh_round_cmp(const void *a, const void *b)
{
	const kh_round_t *x = a, *y = b;

	return (x->kr_addr < y->kr_addr ? -1 : x->kr_addr > y->kr_addr);
}

static bool
kh_str_ok(const char *s, size_t len)
{
	return (memchr(s, '\0', len) != NULL);
}

static uint64_t
kh_p(const void *ptr)
{
	return ((uint64_t)(uintptr_t)ptr);
}

/* ------------------------------------------------------------------------
 * Caches.
 */

/* Does a cache's copy hold together?  NULL if so, else why not. */
static const char *
kh_cache_insane(const kmem_cache_t *cp)
{
	if (!kh_str_ok(cp->cache_name, sizeof (cp->cache_name)))
		return ("its name is not a string");
	if (cp->cache_chunksize == 0 || cp->cache_chunksize > KH_MAXSIZE ||
	    cp->cache_bufsize > cp->cache_chunksize)
		return ("bad buffer or chunk size");
	if (cp->cache_slabsize < ST_PAGESIZE || cp->cache_slabsize >
	    KH_MAXSIZE || cp->cache_slabsize % ST_PAGESIZE != 0)
		return ("bad slab size");
	if (cp->cache_chunks == 0 || (uint64_t)cp->cache_chunks *
	    cp->cache_chunksize > cp->cache_slabsize)
		return ("bad chunks per slab");
	if (!(cp->cache_flags & KMF_HASH) && (cp->cache_slabsize !=
	    ST_PAGESIZE || cp->cache_bufctl + sizeof (void *) >
	    cp->cache_chunksize))
		return ("bad small-slab layout");
	if ((cp->cache_flags & KMF_BUFTAG) && cp->cache_buftag +
	    sizeof (kmem_buftag_t) > cp->cache_chunksize)
		return ("bad buffer tag offset");
	if (cp->cache_ccidx < -1 || cp->cache_ccidx >= KMEM_CC_MAX)
		return ("bad thread cache index");
	return (NULL);
}

static int
kh_byaddr_cmp(const void *a, const void *b, void *arg)
{
	const mdb_cache_t *base = arg;
	uint64_t x = base[*(const size_t *)a].mc_addr;
	uint64_t y = base[*(const size_t *)b].mc_addr;

	return (x < y ? -1 : x > y);
}

static int
kh_cache_add(mdb_heap_t *h, uint64_t addr, const kmem_cache_t *cp,
    size_t *capp)
{
	mdb_cache_t *mc = kh_grow(h->mh_caches, capp, h->mh_ncaches + 1,
	    sizeof (mdb_cache_t));
	kmem_magtype_t mt;

	if (mc == NULL)
		return (-1);
	h->mh_caches = mc;
	mc = &h->mh_caches[h->mh_ncaches++];
	(void) memset(mc, 0, sizeof (*mc));
	mc->mc_addr = addr;
	mc->mc_cp = *cp;
	mc->mc_user = !(cp->cache_cflags & KMC_PRIVATE);
	mc->mc_nalloc = cp->cache_alloc_dead;
	if (cp->cache_magtype != NULL && mdb_tgt_vread(h->mh_tgt,
	    kh_p(cp->cache_magtype), &mt, sizeof (mt)) == 0 &&
	    mt.mt_magsize <= KH_MAXMAGSIZE)
		mc->mc_magsize = mt.mt_magsize;
	return (0);
}

/* Is addr a cache already in the model?  (Only after damage: linear.) */
static bool
kh_cache_known(const mdb_heap_t *h, uint64_t addr)
{
	size_t i;

	for (i = 0; i < h->mh_ncaches; i++) {
		if (h->mh_caches[i].mc_addr == addr)
			return (true);
	}
	return (false);
}

/*
 * Follow the cache list from head's neighbour, forward (cache_next) or
 * backward (cache_prev), adding caches until head comes back: 0; at
 * damage, 1 and *badp the address (said on one line when forward);
 * -1 out of memory.
 */
static int
kh_cache_follow(mdb_heap_t *h, uint64_t head, bool back, uint64_t *badp,
    size_t *capp)
{
	uint64_t cur;
	kmem_cache_t c;
	const char *why = NULL;
	kh_loop_t kl;

	if (mdb_tgt_vread(h->mh_tgt, head, &c, sizeof (c)) != 0)
		return (1);
	kh_loop_init(&kl);
	for (cur = kh_p(back ? c.cache_prev : c.cache_next); cur != head;
	    cur = kh_p(back ? c.cache_prev : c.cache_next)) {
		if (h->mh_ncaches == KH_MAXCACHES || kh_loop_seen(&kl, cur) ||
		    (back && (cur == *badp || kh_cache_known(h, cur)))) {
			why = "it loops";
			break;
		}
		if (cur == 0 || (cur & (KMEM_ALIGN - 1)) != 0 ||
		    mdb_tgt_vread(h->mh_tgt, cur, &c, sizeof (c)) != 0) {
			why = "cannot read the cache";
			break;
		}
		if ((why = kh_cache_insane(&c)) != NULL)
			break;
		if (kh_cache_add(h, cur, &c, capp) != 0)
			return (-1);
	}
	if (why == NULL)
		return (0);
	if (!back)
		mdb_warn("the cache list is corrupt at cache %llx: %s (the "
		    "caches after it are read backwards)",
		    (unsigned long long)cur, why);
	*badp = cur;
	return (1);
}

/* The cache list; past damage, what cache_prev still reaches. */
static int
kh_read_caches(mdb_heap_t *h)
{
	uint64_t head = kh_p(h->mh_root.sr_cache_list), bad = 0;
	size_t cap = 0, i, n;
	kmem_cache_t c;
	int rc;

	if (head == 0 || mdb_tgt_vread(h->mh_tgt, head, &c, sizeof (c)) != 0) {
		mdb_warn("cannot read the cache list head at %llx",
		    (unsigned long long)head);
		return (-1);
	}
	if ((rc = kh_cache_follow(h, head, false, &bad, &cap)) == 1) {
		n = h->mh_ncaches;
		rc = kh_cache_follow(h, head, true, &bad, &cap);
		for (i = 0; n + 2 * i + 1 < h->mh_ncaches; i++) {
			mdb_cache_t t = h->mh_caches[n + i];

			h->mh_caches[n + i] = h->mh_caches[h->mh_ncaches - 1 -
			    i];
			h->mh_caches[h->mh_ncaches - 1 - i] = t;
		}
	}
	if (rc < 0 || (KH_PRIV(h)->kp_byaddr = calloc(h->mh_ncaches + 1,
	    sizeof (size_t))) == NULL)
		return (-1);
	for (i = 0; i < h->mh_ncaches; i++)
		KH_PRIV(h)->kp_byaddr[i] = i;
	qsort_r(KH_PRIV(h)->kp_byaddr, h->mh_ncaches, sizeof (size_t),
	    kh_byaddr_cmp, h->mh_caches);
	return (0);
}

const mdb_cache_t *
mdb_heap_cache(mdb_heap_t *h, uint64_t addr)
{
	const size_t *ix = KH_PRIV(h)->kp_byaddr;
	size_t lo = 0, hi = h->mh_ncaches;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const mdb_cache_t *mc = &h->mh_caches[ix[mid]];

		if (mc->mc_addr == addr)
			return (mc);
		if (mc->mc_addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

const mdb_cache_t *
mdb_heap_cache_byname(mdb_heap_t *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->mh_ncaches; i++) {
		if (strcmp(h->mh_caches[i].mc_cp.cache_name, name) == 0)
			return (&h->mh_caches[i]);
	}
	return (NULL);
}

/* ------------------------------------------------------------------------
 * Magazines and quarantines (section 2).
 */

/* The first `rounds` rounds of the magazine at mag into v. */
static int
kh_mag_rounds(mdb_heap_t *h, kh_vec_t *v, uint64_t mag, int64_t rounds,
    uint8_t where)
{
	uint64_t r[KH_MAXMAGSIZE + 1];
	int64_t i;

	if (mag == 0 || rounds <= 0)
		return (0);
	if (rounds > KH_MAXMAGSIZE)
		rounds = KH_MAXMAGSIZE;
	if (mdb_tgt_vread(h->mh_tgt, mag, r, (size_t)(rounds + 1) * 8) != 0)
		return (0);	/* not in the dump: its rounds look allocated */
	for (i = 0; i < rounds; i++) {
		if (r[i + 1] != 0 && kh_vec_push(v, r[i + 1], where) != 0)
			return (-1);
	}
	return (0);
}

/* One thread's magazines and quarantine into the caches' vectors. */
static int
kh_thread_rounds(mdb_heap_t *h, const kmem_thread_t *kt, kh_vec_t *vecs,
    mdb_cache_t **byidx)
{
	kh_priv_t *kp = KH_PRIV(h);
	uint32_t i, n;

	for (i = 0; i < KMEM_CC_MAX; i++) {
		const kmem_cpu_cache_t *cc = &kt->kt_cc[i];
		mdb_cache_t *mc = byidx[i];	/* the cache of slot i */
		int64_t ms = cc->cc_magsize;
		kh_vec_t *v;

		if (mc == NULL)
			continue;
		mc->mc_nalloc += cc->cc_alloc;
		if (ms <= 0)
			continue;
		v = &vecs[mc - h->mh_caches];
		if (kh_mag_rounds(h, v, kh_p(cc->cc_loaded),
		    ST_MIN((int64_t)cc->cc_rounds, ms), MDB_WH_MAGAZINE) != 0 ||
		    kh_mag_rounds(h, v, kh_p(cc->cc_ploaded),
		    ST_MIN((int64_t)cc->cc_prounds, ms), MDB_WH_MAGAZINE) != 0)
			return (-1);
	}
	n = ST_MIN(kt->kt_qcount, KMEM_QUARANTINE_MAX);
	for (i = 0; i < n; i++) {
		uint32_t q = (kt->kt_qhead + i) % KMEM_QUARANTINE_MAX;
		const mdb_cache_t *mc;

		if (kt->kt_qcache[q] >= kp->kp_nalloc ||
		    (mc = mdb_heap_cache(h, kp->kp_alloc[kt->kt_qcache[q]])) ==
		    NULL || kt->kt_quarantine[q] == NULL)
			continue;
		if (kh_vec_push(&vecs[mc - h->mh_caches],
		    kh_p(kt->kt_quarantine[q]), MDB_WH_QUARANTINE) != 0)
			return (-1);
	}
	return (0);
}

static int
kh_read_threads(mdb_heap_t *h, kh_vec_t *vecs, mdb_cache_t **byidx)
{
	uint64_t head = kh_p(h->mh_root.sr_thread_list), cur;
	kmem_thread_t *kt = malloc(sizeof (*kt));
	size_t cap = 0;
	kh_loop_t kl;
	int rc = 0;

	if (kt == NULL)
		return (-1);
	if (head == 0 || mdb_tgt_vread(h->mh_tgt, head, kt, 16) != 0) {
		free(kt);
		return (0);	/* no threads: no magazines to count */
	}
	kh_loop_init(&kl);
	for (cur = kh_p(kt->kt_next); cur != head && cur != 0;
	    cur = kh_p(kt->kt_next)) {
		uint64_t *t;

		if (h->mh_nthreads == KH_MAXTHREADS || kh_loop_seen(&kl, cur)) {
			mdb_warn("the thread list loops (at %llx)",
			    (unsigned long long)cur);
			break;
		}
		if (mdb_tgt_vread(h->mh_tgt, cur, kt, sizeof (*kt)) != 0) {
			mdb_warn("the thread list is corrupt: cannot read "
			    "%llx", (unsigned long long)cur);
			break;
		}
		if ((t = kh_grow(h->mh_threads, &cap, h->mh_nthreads + 1,
		    sizeof (uint64_t))) == NULL) {
			rc = -1;
			break;
		}
		h->mh_threads = t;
		h->mh_threads[h->mh_nthreads++] = cur;
		if ((rc = kh_thread_rounds(h, kt, vecs, byidx)) != 0)
			break;
	}
	free(kt);
	return (rc);
}

/*
 * A list read in a running process broke: read it again (section 6)?
 * Up to KH_LIST_TRIES readings, then one with the process held still.
 */
static bool
kh_list_again(mdb_heap_t *h, int *triesp, const char *why)
{
	if (!mdb_tgt_moving(h->mh_tgt))
		return (false);
	return (++*triesp < KH_LIST_TRIES ||
	    mdb_tgt_hold_still(h->mh_tgt, why) == 0);
}

/*
 * The full magazines in a cache's depot; a list that loops in a running
 * process is read again from its head (section 6).
 */
static int
kh_depot_rounds(mdb_heap_t *h, const mdb_cache_t *mc, kh_vec_t *v)
{
	uint64_t cur = kh_p(mc->mc_cp.cache_full.ml_list);
	size_t start = v->kv_n;
	kmem_magazine_t *head;
	kh_loop_t kl;
	int tries = 0;

	if (mc->mc_magsize == 0)
		return (0);
	kh_loop_init(&kl);
	while (cur != 0) {
		uint64_t next;

		if (kh_loop_seen(&kl, cur)) {
			if (!kh_list_again(h, &tries, "its depots changed as "
			    "they were read") || mdb_tgt_vread(h->mh_tgt,
			    mc->mc_addr + offsetof(kmem_cache_t,
			    cache_full.ml_list), &head, sizeof (head)) != 0) {
				mdb_warn("cache %s: the depot's list loops",
				    mc->mc_cp.cache_name);
				return (0);
			}
			v->kv_n = start;        /* its rounds read again */
			cur = kh_p(head);
			kh_loop_init(&kl);
			continue;
		}
		if (kh_mag_rounds(h, v, cur, mc->mc_magsize,
		    MDB_WH_MAGAZINE) != 0)
			return (-1);
		if (mdb_tgt_vread(h->mh_tgt, cur, &next, sizeof (next)) != 0)
			return (0);
		cur = next;
	}
	return (0);
}

/* Sort each cache's rounds; a buffer seen twice counts once. */
static int
kh_rounds_finish(mdb_heap_t *h, kh_vec_t *vecs)
{
	size_t i, j, n;

	for (i = 0; i < h->mh_ncaches; i++) {
		mdb_cache_t *mc = &h->mh_caches[i];
		kh_vec_t *v = &vecs[i];

		if (v->kv_n == 0)
			continue;
		qsort(v->kv_r, v->kv_n, sizeof (kh_round_t), kh_round_cmp);
		mc->mc_rounds = malloc(v->kv_n * sizeof (uint64_t));
		mc->mc_rwhere = malloc(v->kv_n);
		if (mc->mc_rounds == NULL || mc->mc_rwhere == NULL)
			return (-1);
		for (j = n = 0; j < v->kv_n; j++) {
			if (n > 0 && mc->mc_rounds[n - 1] == v->kv_r[j].kr_addr)
				continue;
			mc->mc_rounds[n] = v->kv_r[j].kr_addr;
			mc->mc_rwhere[n++] = v->kv_r[j].kr_where;
		}
		mc->mc_nrounds = n;
	}
	return (0);
}

static int
kh_read_rounds(mdb_heap_t *h)
{
	mdb_cache_t *byidx[KMEM_CC_MAX] = { NULL };
	kh_vec_t *vecs = calloc(h->mh_ncaches + 1, sizeof (kh_vec_t));
	size_t i;
	int rc = 0;

	if (vecs == NULL)
		return (-1);
	for (i = 0; i < h->mh_ncaches; i++) {
		int32_t idx = h->mh_caches[i].mc_cp.cache_ccidx;

		if (idx >= 0 && byidx[idx] == NULL)
			byidx[idx] = &h->mh_caches[i];
	}
	rc = kh_read_threads(h, vecs, byidx);
	for (i = 0; rc == 0 && i < h->mh_ncaches; i++)
		rc = kh_depot_rounds(h, &h->mh_caches[i], &vecs[i]);
	if (rc == 0)
		rc = kh_rounds_finish(h, vecs);
	for (i = 0; i < h->mh_ncaches; i++)
		free(vecs[i].kv_r);
	free(vecs);
	return (rc);
}

/* Where a free buffer of mc is held above the slabs, or MDB_WH_NONE. */
static uint8_t
kh_round_where(const mdb_cache_t *mc, uint64_t addr)
{
	size_t lo = 0, hi = mc->mc_nrounds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mc->mc_rounds[mid] == addr)
			return (mc->mc_rwhere[mid]);
		if (mc->mc_rounds[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (MDB_WH_NONE);
}

/* ------------------------------------------------------------------------
 * Arenas.
 */

static const mdb_vmem_t *
kh_vmem_find(const mdb_vmem_t *v, size_t n, uint64_t addr)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].mv_addr == addr)
			return (&v[i]);
	}
	return (NULL);
}

/* Depth first from the roots, children in list order: ::vmem's tree. */
static size_t
kh_vmem_order(const mdb_vmem_t *in, size_t n, uint64_t parent, int depth,
    mdb_vmem_t *out, size_t k)
{
	size_t i;

	for (i = 0; i < n && depth < 16; i++) {
		uint64_t src = kh_p(in[i].mv_vm.vm_source);

		if (parent == 0 ? (src != 0 && kh_vmem_find(in, n, src) !=
		    NULL) : src != parent)
			continue;
		out[k] = in[i];
		out[k++].mv_depth = depth;
		k = kh_vmem_order(in, n, in[i].mv_addr, depth + 1, out, k);
	}
	return (k);
}

static int
kh_read_vmem(mdb_heap_t *h)
{
	uint64_t cur = kh_p(h->mh_root.sr_vmem_list);
	mdb_vmem_t *in = NULL;
	size_t n = 0, cap = 0;
	kh_loop_t kl;

	kh_loop_init(&kl);
	for (; cur != 0; cur = kh_p(in[n - 1].mv_vm.vm_next)) {
		mdb_vmem_t *v;

		if (n == KH_MAXVMEM || kh_loop_seen(&kl, cur)) {
			mdb_warn("the arena list loops (at %llx)",
			    (unsigned long long)cur);
			break;
		}
		if ((v = kh_grow(in, &cap, n + 1, sizeof (*v))) == NULL) {
			free(in);
			return (-1);
		}
		in = v;
		if (mdb_tgt_vread(h->mh_tgt, cur, &in[n].mv_vm,
		    sizeof (vmem_t)) != 0 || !kh_str_ok(in[n].mv_vm.vm_name,
		    sizeof (in[n].mv_vm.vm_name))) {
			mdb_warn("the arena list is corrupt at %llx",
			    (unsigned long long)cur);
			break;
		}
		in[n].mv_addr = cur;
		in[n++].mv_depth = 0;
	}
	if ((h->mh_vmem = calloc(n + 1, sizeof (mdb_vmem_t))) == NULL) {
		free(in);
		return (-1);
	}
	h->mh_nvmem = kh_vmem_order(in, n, 0, 0, h->mh_vmem, 0);
	free(in);
	return (0);
}

const mdb_vmem_t *
mdb_heap_vmem(mdb_heap_t *h, uint64_t addr)
{
	return (kh_vmem_find(h->mh_vmem, h->mh_nvmem, addr));
}

const mdb_vmem_t *
mdb_heap_vmem_byname(mdb_heap_t *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->mh_nvmem; i++) {
		if (strcmp(h->mh_vmem[i].mv_vm.vm_name, name) == 0)
			return (&h->mh_vmem[i]);
	}
	return (NULL);
}

typedef struct kh_segv {
	uint64_t gv_addr;
	vmem_seg_t gv_seg;
} kh_segv_t;

/*
 * One reading of an arena's segment list from first (section 6): 0, or
 * -1 with *badp where it broke (*unreadp: that segment could not be
 * read), or -2 (out of memory).
 */
static int
kh_seg_read(mdb_heap_t *h, uint64_t anchor, uint64_t first, kh_segv_t **vp,
    size_t *np, size_t *capp, uint64_t *badp, bool *unreadp)
{
	uint64_t cur, next;
	kh_segv_t *v;
	kh_loop_t kl;

	*np = 0;
	kh_loop_init(&kl);
	for (cur = first; cur != anchor; cur = next) {
		*badp = cur;
		*unreadp = false;
		if (cur == 0 || kh_loop_seen(&kl, cur))
			return (-1);
		if ((v = kh_grow(*vp, capp, *np + 1, sizeof (*v))) == NULL)
			return (-2);
		*vp = v;
		if (mdb_tgt_vread(h->mh_tgt, cur, &v[*np].gv_seg,
		    sizeof (v[*np].gv_seg)) != 0) {
			*unreadp = true;
			return (-1);
		}
		v[*np].gv_addr = cur;
		next = kh_p(v[*np].gv_seg.vs_anext);
		if (v[*np].gv_seg.vs_end >= v[*np].gv_seg.vs_start)
			(*np)++;        /* else torn: not a range, skipped */
	}
	return (0);
}

int
mdb_heap_walk_segs(mdb_heap_t *h, const mdb_vmem_t *mv, mdb_seg_f *fn,
    void *arg)
{
	uint64_t anchor = mv->mv_addr + offsetof(vmem_t, vm_seg0), bad = 0;
	uint64_t first = kh_p(mv->mv_vm.vm_seg0.vs_anext);
	vmem_seg_t *next;
	kh_segv_t *v = NULL;
	size_t n = 0, cap = 0, i;
	bool unread = false;
	int rc, tries = 0;

	for (;;) {
		rc = kh_seg_read(h, anchor, first, &v, &n, &cap, &bad,
		    &unread);
		if (rc != -1 || !kh_list_again(h, &tries, "its arenas' "
		    "segment lists changed as they were read"))
			break;
		if (mdb_tgt_vread(h->mh_tgt, mv->mv_addr + offsetof(vmem_t,
		    vm_seg0.vs_anext), &next, sizeof (next)) == 0)
			first = kh_p(next);
	}
	/* A broken list's segments before the break count (section 4). */
	for (i = 0; rc != -2 && i < n; i++) {
		int r = fn(arg, v[i].gv_addr, &v[i].gv_seg);

		if (r != 0) {
			free(v);
			return (r);
		}
	}
	free(v);
	if (rc == -1 && unread)
		mdb_warn("arena %s: cannot read segment %llx",
		    mv->mv_vm.vm_name, (unsigned long long)bad);
	else if (rc == -1)
		mdb_warn("arena %s: the segment list is corrupt (at %llx)",
		    mv->mv_vm.vm_name, (unsigned long long)bad);
	else if (rc == -2)
		mdb_warn("out of memory");
	return (rc == 0 ? 0 : -1);
}

/* ------------------------------------------------------------------------
 * The page map.
 */

uint64_t
mdb_heap_pagemap(mdb_heap_t *h, uint64_t addr)
{
	kh_priv_t *kp = KH_PRIV(h);
	uint64_t pn = addr >> ST_PAGESHIFT, l1, v;

	if ((addr >> PM_BITS) != 0 || h->mh_root.sr_pagemap == NULL)
		return (0);
	l1 = pn >> PM_L2_BITS;
	if (kp->kp_leaf_l1 != l1 + 1) {
		if (mdb_tgt_vread(h->mh_tgt, kh_p(h->mh_root.sr_pagemap) +
		    l1 * 8, &kp->kp_leaf, 8) != 0)
			kp->kp_leaf = 0;
		kp->kp_leaf_l1 = l1 + 1;
	}
	if (kp->kp_leaf == 0 || mdb_tgt_vread(h->mh_tgt, kp->kp_leaf +
	    (pn & ((1ULL << PM_L2_BITS) - 1)) * 8, &v, 8) != 0)
		return (0);
	return (v);
}

/* ------------------------------------------------------------------------
 * Building and dropping the model.
 */

static void
kh_free(mdb_heap_t *h)
{
	kh_priv_t *kp;
	size_t i;

	if (h == NULL)
		return;
	kp = KH_PRIV(h);
	for (i = 0; i < h->mh_ncaches; i++) {
		free(h->mh_caches[i].mc_rounds);
		free(h->mh_caches[i].mc_rwhere);
	}
	free(h->mh_caches);
	free(h->mh_vmem);
	free(h->mh_threads);
	if (kp != NULL) {
		free(kp->kp_byaddr);
		free(kp->kp_slab);
		free(kp->kp_free);
		free(kp->kp_ranges);
		free(kp);
	}
	free(h);
}

static int
kh_read_root(mdb_heap_t *h)
{
	mdb_tgt_t *t = h->mh_tgt;
	kh_priv_t *kp = KH_PRIV(h);

	if (!t->t_have_note || t->t_note.sn_root == 0) {
		mdb_warn("not a slabtrace dump: no st_root");
		return (-1);
	}
	if (mdb_tgt_vread(t, t->t_note.sn_root, &h->mh_root,
	    sizeof (h->mh_root)) != 0) {
		mdb_warn_read(t->t_note.sn_root, sizeof (h->mh_root));
		return (-1);
	}
	if (memcmp(h->mh_root.sr_magic, ST_ROOT_MAGIC,
	    sizeof (h->mh_root.sr_magic)) != 0) {
		mdb_warn("st_root at %llx is corrupt (bad magic)",
		    (unsigned long long)t->t_note.sn_root);
		return (-1);
	}
	if (h->mh_root.sr_ready == 0) {
		mdb_warn("the allocator was not initialised in this process");
		return (-1);
	}
	kp->kp_nalloc = ST_MIN(h->mh_root.sr_nalloc_caches,
	    KMEM_NCACHE_ALLOC);
	if (kp->kp_nalloc != 0 && mdb_tgt_vread(t,
	    kh_p(h->mh_root.sr_alloc_caches), kp->kp_alloc,
	    kp->kp_nalloc * sizeof (uint64_t)) != 0)
		kp->kp_nalloc = 0;
	return (0);
}

static mdb_heap_t *
kh_build(mdb_tgt_t *t)
{
	mdb_heap_t *h = calloc(1, sizeof (*h));

	if (h == NULL || (h->mh_priv = calloc(1, sizeof (kh_priv_t))) ==
	    NULL) {
		mdb_warn("out of memory");
		kh_free(h);
		return (NULL);
	}
	h->mh_tgt = t;
	if (kh_read_root(h) != 0)
		goto fail;
	if (kh_read_caches(h) != 0 || kh_read_vmem(h) != 0 ||
	    kh_read_rounds(h) != 0) {
		mdb_warn("out of memory reading the heap");
		goto fail;
	}
	return (h);
fail:
	kh_free(h);
	return (NULL);
}

mdb_heap_t *
mdb_heap_get(mdb_tgt_t *t, uint32_t flags)
{
	if (kh_cur != NULL && kh_cur->mh_tgt == t && (flags & DCMD_LOOP) &&
	    !(flags & DCMD_LOOPFIRST))
		return (kh_cur);
	kh_free(kh_prev);
	kh_prev = kh_cur;
	kh_cur = kh_build(t);
	return (kh_cur);
}

/* ------------------------------------------------------------------------
 * Slabs.
 */

/* Does slab sp (at addr) belong to mc and fit its memory? */
static bool
kh_slab_sane(const mdb_cache_t *mc, uint64_t addr, const kmem_slab_t *sp)
{
	const kmem_cache_t *cp = &mc->mc_cp;
	uint64_t base = kh_p(sp->slab_base);

	if (kh_p(sp->slab_cache) != mc->mc_addr || sp->slab_chunks == 0 ||
	    sp->slab_chunks > cp->cache_chunks || sp->slab_size == 0 ||
	    sp->slab_size > KH_MAXSLAB || base % ST_PAGESIZE != 0 ||
	    sp->slab_color + (uint64_t)sp->slab_chunks * cp->cache_chunksize >
	    sp->slab_size || sp->slab_refcnt > sp->slab_chunks)
		return (false);
	/* A small slab's kmem_slab_t ends its page. */
	return ((cp->cache_flags & KMF_HASH) || (sp->slab_size ==
	    ST_PAGESIZE && addr == base + ST_PAGESIZE - sizeof (*sp)));
}

/* A list read whole before its caller sees it (section 6). */
typedef struct kh_slabv {
	uint64_t sv_addr;
	kmem_slab_t sv_slab;
} kh_slabv_t;

/*
 * One reading of a slab list from head, bounded by Brent's test, into
 * *vp: 0; or -1 with *badp the slab where it broke (*loopsp if there it
 * looped), or -2 (out of memory).
 */
static int
kh_slab_list_read(mdb_heap_t *h, const mdb_cache_t *mc, uint64_t head,
    kh_slabv_t **vp, size_t *np, size_t *capp, uint64_t *badp, bool *loopsp)
{
	uint64_t cur;
	kh_slabv_t *v;
	kh_loop_t kl;

	*np = 0;
	kh_loop_init(&kl);
	for (cur = head; cur != 0;
	    cur = kh_p((*vp)[*np - 1].sv_slab.slab_next)) {
		if ((v = kh_grow(*vp, capp, *np + 1, sizeof (*v))) == NULL)
			return (-2);
		*vp = v;
		*badp = cur;
		if ((*loopsp = kh_loop_seen(&kl, cur)) ||
		    mdb_tgt_vread(h->mh_tgt, cur, &v[*np].sv_slab,
		    sizeof (v[*np].sv_slab)) != 0 ||
		    !kh_slab_sane(mc, cur, &v[*np].sv_slab))
			return (-1);
		v[(*np)++].sv_addr = cur;
	}
	return (0);
}

/* A list's head: the cache's copy first, then read again (a retry). */
static uint64_t
kh_slab_head(mdb_heap_t *h, const mdb_cache_t *mc, size_t off, int tries)
{
	kmem_slab_t *head;

	if (tries == 0 || mdb_tgt_vread(h->mh_tgt, mc->mc_addr + off, &head,
	    sizeof (head)) != 0)
		(void) memcpy(&head, (const char *)&mc->mc_cp + off,
		    sizeof (head));
	return (kh_p(head));
}

/*
 * The slabs of the list at offset off of the cache: read whole, again
 * while the process runs and breaks it (section 6), then each to fn.
 */
static int
kh_slab_list(mdb_heap_t *h, const mdb_cache_t *mc, size_t off,
    const char *which, mdb_slab_f *fn, void *arg)
{
	kh_slabv_t *v = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t bad = 0;
	bool loops = false;
	int rc, tries = 0;

	for (;;) {
		rc = kh_slab_list_read(h, mc, kh_slab_head(h, mc, off,
		    tries), &v, &n, &cap, &bad, &loops);
		if (rc != -1 || !kh_list_again(h, &tries, "its slab lists "
		    "changed as they were read"))
			break;
	}
	/* A broken list's slabs before the break count (section 4). */
	for (i = 0; rc != -2 && i < n; i++) {
		int r = fn(arg, mc, v[i].sv_addr, &v[i].sv_slab);

		if (r != 0) {
			free(v);
			return (r);
		}
	}
	free(v);
	if (rc == -1 && loops)
		mdb_warn("cache %s: the %s slab list loops (at %llx)",
		    mc->mc_cp.cache_name, which, (unsigned long long)bad);
	else if (rc == -1)
		mdb_warn("cache %s: the %s slab list is corrupt (slab %llx)",
		    mc->mc_cp.cache_name, which, (unsigned long long)bad);
	else if (rc == -2)
		mdb_warn("out of memory");
	return (rc == 0 ? 0 : -1);
}

int
mdb_heap_walk_slabs(mdb_heap_t *h, const mdb_cache_t *mc, mdb_slab_f *fn,
    void *arg)
{
	int rc;

	if ((rc = kh_slab_list(h, mc, offsetof(kmem_cache_t, cache_partial),
	    "partial", fn, arg)) != 0 || (rc = kh_slab_list(h, mc,
	    offsetof(kmem_cache_t, cache_complete), "complete", fn, arg)) != 0)
		return (rc);
	return (kh_slab_list(h, mc, offsetof(kmem_cache_t, cache_empty_slabs),
	    "empty", fn, arg));
}

/* Are the bytes [off, off + len) of the slab just read in the dump? */
static bool
kh_have(const mdb_heap_t *h, uint64_t off, uint64_t len)
{
	return (off + len <= KH_PRIV(h)->kp_slablen);
}

/* Chunk index of buf in slab sp, or -1. */
static int64_t
kh_chunk_index(const mdb_cache_t *mc, const kmem_slab_t *sp, uint64_t buf)
{
	uint64_t first = kh_p(sp->slab_base) + sp->slab_color, off;

	if (buf < first)
		return (-1);
	off = buf - first;
	if (off % mc->mc_cp.cache_chunksize != 0 ||
	    off / mc->mc_cp.cache_chunksize >= sp->slab_chunks)
		return (-1);
	return ((int64_t)(off / mc->mc_cp.cache_chunksize));
}

/*
 * Mark the chunks on slab sp's free list in kp_free.  data: the slab's
 * bytes (a small slab's links are inside them).  A link that leaves the
 * slab ends the list: the chunks after it look allocated.
 */
static int
kh_slab_freelist(mdb_heap_t *h, const mdb_cache_t *mc, const kmem_slab_t *sp,
    const uint8_t *data)
{
	kh_priv_t *kp = KH_PRIV(h);
	const kmem_cache_t *cp = &mc->mc_cp;
	uint64_t bcp = kh_p(sp->slab_head), base = kh_p(sp->slab_base);
	uint8_t *f;
	uint32_t n;

	if ((f = kh_grow(kp->kp_free, &kp->kp_freecap, sp->slab_chunks,
	    1)) == NULL)
		return (-1);
	kp->kp_free = f;
	(void) memset(f, 0, sp->slab_chunks);
	for (n = 0; bcp != 0 && n < sp->slab_chunks; n++) {
		kmem_bufctl_t bc;
		uint64_t buf;
		int64_t i;

		if (cp->cache_flags & KMF_HASH) {
			if (mdb_tgt_vread(h->mh_tgt, bcp, &bc,
			    sizeof (bc)) != 0)
				break;
			buf = kh_p(bc.bc_addr);
		} else {
			buf = bcp - cp->cache_bufctl;
			if (bcp < base || !kh_have(h, bcp - base, 8))
				break;
			(void) memcpy(&bc.bc_next, data + (bcp - base), 8);
		}
		if ((i = kh_chunk_index(mc, sp, buf)) < 0 || f[i])
			break;
		f[i] = 1;
		bcp = kh_p(bc.bc_next);
	}
	return (0);
}

/* The buffer tag of the chunk whose bytes are at data. */
static void
kh_tag(const mdb_cache_t *mc, const uint8_t *data, kmem_buftag_t *bt)
{
	(void) memcpy(bt, data + mc->mc_cp.cache_buftag, sizeof (*bt));
}

/* The tag of the chunk at slab offset off, if the dump has it. */
static bool
kh_tag_at(const mdb_heap_t *h, const mdb_cache_t *mc, const uint8_t *data,
    uint64_t off, kmem_buftag_t *bt)
{
	if (!(mc->mc_cp.cache_flags & KMF_BUFTAG) ||
	    !kh_have(h, off + mc->mc_cp.cache_buftag, sizeof (*bt)))
		return (false);
	kh_tag(mc, data + off, bt);
	return (true);
}

/*
 * Decide chunk i of slab sp (section 2), whose bytes start at slab
 * offset off: fills b's state, where and bufctl.  freelist: kp_free holds
 * this slab's free list.
 */
static void
kh_chunk_decide(mdb_heap_t *h, const mdb_cache_t *mc, uint32_t i,
    const uint8_t *data, uint64_t off, bool freelist, mdb_buf_t *b)
{
	uint8_t where = MDB_WH_NONE;
	kmem_buftag_t bt;
	bool tagged = false;

	b->mb_badtag = false;
	b->mb_bufctl = 0;
	if (kh_tag_at(h, mc, data, off, &bt)) {
		intptr_t x = bt.bt_bxstat ^ (intptr_t)bt.bt_bufctl;

		tagged = x == (intptr_t)KMEM_BUFTAG_ALLOC ||
		    x == (intptr_t)KMEM_BUFTAG_FREE;
		b->mb_alloc = x == (intptr_t)KMEM_BUFTAG_ALLOC;
		b->mb_badtag = !tagged;
		b->mb_bufctl = tagged ? kh_p(bt.bt_bufctl) : 0;
	}
	if (freelist && KH_PRIV(h)->kp_free[i])
		where = MDB_WH_SLAB;
	else
		where = kh_round_where(mc, b->mb_addr);
	if (!tagged)
		b->mb_alloc = where == MDB_WH_NONE;
	if (!b->mb_alloc && where == MDB_WH_NONE)
		where = MDB_WH_SLAB;	/* tagged free, not in a magazine */
	b->mb_where = b->mb_alloc ? MDB_WH_NONE : where;
}

/* Does slab sp need its free list read to decide its chunks? */
static bool
kh_need_freelist(const mdb_heap_t *h, const mdb_cache_t *mc,
    const kmem_slab_t *sp, const uint8_t *data)
{
	const kmem_cache_t *cp = &mc->mc_cp;
	uint32_t i;

	for (i = 0; i < sp->slab_chunks; i++) {
		kmem_buftag_t bt;
		intptr_t x;

		if (!kh_tag_at(h, mc, data, sp->slab_color + i *
		    cp->cache_chunksize, &bt))
			return (true);
		x = bt.bt_bxstat ^ (intptr_t)bt.bt_bufctl;
		if (x != (intptr_t)KMEM_BUFTAG_ALLOC &&
		    x != (intptr_t)KMEM_BUFTAG_FREE)
			return (true);
	}
	return (false);
}

/*
 * Read slab sp's memory into kp_slab; NULL only when out of memory.  The
 * dump may end before the slab does (its last pages never touched, or
 * left out): kp_slablen says how much was read, the rest is zeros.
 */
static const uint8_t *
kh_slab_read(mdb_heap_t *h, const kmem_slab_t *sp)
{
	kh_priv_t *kp = KH_PRIV(h);
	ssize_t n;
	uint8_t *p;

	if ((p = kh_grow(kp->kp_slab, &kp->kp_slabcap, sp->slab_size,
	    1)) == NULL)
		return (NULL);
	kp->kp_slab = p;
	n = mdb_tgt_read(h->mh_tgt, kh_p(sp->slab_base), p, sp->slab_size);
	kp->kp_slablen = n > 0 ? (uint64_t)n : 0;
	if (kp->kp_slablen < sp->slab_size)
		(void) memset(p + kp->kp_slablen, 0, sp->slab_size -
		    kp->kp_slablen);
	return (p);
}

typedef struct kh_walk {
	mdb_heap_t *kw_heap;
	uint32_t kw_flags;
	mdb_buf_f *kw_fn;
	void *kw_arg;
} kh_walk_t;

/* Every chunk of one slab through the walk's callback. */
static int
kh_walk_slab(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp)
{
	kh_walk_t *kw = arg;
	mdb_heap_t *h = kw->kw_heap;
	const kmem_cache_t *cp = &mc->mc_cp;
	const uint8_t *data = kh_slab_read(h, sp);
	bool fl;
	uint32_t i;
	int rc;

	if (data == NULL)
		return (-1);
	fl = kh_need_freelist(h, mc, sp, data);
	if (fl && kh_slab_freelist(h, mc, sp, data) != 0)
		return (-1);
	for (i = 0; i < sp->slab_chunks; i++) {
		uint64_t off = sp->slab_color + i * cp->cache_chunksize;
		mdb_buf_t b;

		b.mb_addr = kh_p(sp->slab_base) + off;
		b.mb_hdr = 0;
		b.mb_size = cp->cache_bufsize;
		b.mb_chunk = cp->cache_chunksize;
		b.mb_slab = addr;
		b.mb_cache = mc;
		b.mb_kind = MDB_BK_CACHE;
		b.mb_data = kh_have(h, off, cp->cache_chunksize) ? data + off :
		    NULL;
		kh_chunk_decide(h, mc, i, data, off, fl, &b);
		if (!(kw->kw_flags & (b.mb_alloc ? MDB_WALK_ALLOC :
		    MDB_WALK_FREE)))
			continue;
		if ((rc = kw->kw_fn(kw->kw_arg, &b)) != 0)
			return (rc);
	}
	return (0);
}

/* ------------------------------------------------------------------------
 * Big buffers (section 3).
 */

/* A firewall header's buffer; false if hdr is not one (for seg base). */
static bool
kh_fw_buf(mdb_heap_t *h, uint64_t hdr, uint64_t base, mdb_buf_t *b)
{
	st_fwhdr_t fw;

	if (mdb_tgt_vread(h->mh_tgt, hdr, &fw, sizeof (fw)) != 0 ||
	    fw.fw_magic != FW_MAGIC || (base != 0 && fw.fw_base != base &&
	    !((fw.fw_flags & FW_BELOW) && fw.fw_base == base + ST_PAGESIZE)) ||
	    fw.fw_npages > (KH_MAXSIZE >> ST_PAGESHIFT) ||
	    fw.fw_size > fw.fw_npages * ST_PAGESIZE ||
	    kh_p(fw.fw_buf) < fw.fw_base || kh_p(fw.fw_buf) + fw.fw_size >
	    fw.fw_base + fw.fw_npages * ST_PAGESIZE)
		return (false);
	b->mb_addr = kh_p(fw.fw_buf);
	b->mb_size = fw.fw_size;
	b->mb_chunk = fw.fw_base + fw.fw_npages * ST_PAGESIZE - b->mb_addr;
	b->mb_alloc = fw.fw_state == FW_ALLOC;
	b->mb_where = b->mb_alloc ? MDB_WH_NONE : MDB_WH_FWQUAR;
	b->mb_bufctl = kh_p(fw.fw_audit[b->mb_alloc ? 0 : 1]);
	b->mb_kind = (fw.fw_flags & FW_UNGUARDED) ? MDB_BK_BIGBUF :
	    (fw.fw_flags & FW_SAMPLED) ? MDB_BK_SAMPLED : MDB_BK_FIREWALL;
	b->mb_slab = 0;
	b->mb_cache = NULL;
	b->mb_badtag = false;
	b->mb_data = NULL;
	b->mb_hdr = hdr;
	return (true);
}

/* The big buffer starting segment [start, end), from the page map. */
static bool
kh_big_buf(mdb_heap_t *h, uint64_t start, uint64_t end, mdb_buf_t *b)
{
	uint64_t pm = mdb_heap_pagemap(h, start);

	if (pm == 0)
		return (false);
	if (pm & PM_FW)
		return (kh_fw_buf(h, pm & ~(uint64_t)PM_TAGS, start, b));
	if (!(pm & PM_BIG))
		return (false);
	(void) memset(b, 0, sizeof (*b));
	b->mb_addr = start;
	b->mb_size = (pm >> PM_SHIFT) << ST_PAGESHIFT;
	if (b->mb_size == 0 || b->mb_size > end - start)
		return (false);
	b->mb_chunk = b->mb_size;
	b->mb_alloc = true;
	b->mb_kind = MDB_BK_OVERSIZE;
	return (true);
}

typedef struct kh_bigwalk {
	kh_walk_t *kb_walk;
	uint8_t *kb_data;
	size_t kb_cap;
} kh_bigwalk_t;

static int
kh_big_seg(void *arg, uint64_t addr, const vmem_seg_t *vs)
{
	kh_bigwalk_t *kb = arg;
	kh_walk_t *kw = kb->kb_walk;
	mdb_buf_t b;
	uint8_t *p;

	(void) addr;
	if (vs->vs_type != VMEM_ALLOC_SEG || !kh_big_buf(kw->kw_heap,
	    vs->vs_start, vs->vs_end, &b))
		return (0);
	if (!(kw->kw_flags & (b.mb_alloc ? MDB_WALK_ALLOC : MDB_WALK_FREE)))
		return (0);
	if ((kw->kw_flags & MDB_WALK_DATA) && b.mb_size <= KH_MAXBIGDATA &&
	    (p = kh_grow(kb->kb_data, &kb->kb_cap, b.mb_size + 1, 1)) !=
	    NULL) {
		kb->kb_data = p;
		if (mdb_tgt_vread(kw->kw_heap->mh_tgt, b.mb_addr, p,
		    b.mb_size) == 0)
			b.mb_data = p;
	}
	return (kw->kw_fn(kw->kw_arg, &b));
}

/*
 * The sampled firewall's slots (firewall.c, section 9): an array of
 * headers from st_root's sr_firewall; a slot never used has no magic.
 */
static int
kh_walk_sampled(kh_bigwalk_t *kb)
{
	mdb_heap_t *h = kb->kb_walk->kw_heap;
	st_firewall_t sf;
	vmem_seg_t vs;
	mdb_buf_t b;
	uint64_t i;
	int rc = 0;

	if (h->mh_root.sr_firewall == NULL)
		return (0);
	if (mdb_tgt_vread(h->mh_tgt, kh_p(h->mh_root.sr_firewall), &sf,
	    sizeof (sf)) != 0) {
		mdb_warn_read(kh_p(h->mh_root.sr_firewall), sizeof (sf));
		return (-1);
	}
	if (sf.sf_sample_nslots > 65536 || sf.sf_sample_hsize <
	    sizeof (st_fwhdr_t) || sf.sf_sample_hsize > 65536)
		return (0);             /* not a pool we made */
	for (i = 0; rc == 0 && i < sf.sf_sample_nslots; i++) {
		uint64_t hdr = sf.sf_sample_hdrs + i * sf.sf_sample_hsize;

		if (!kh_fw_buf(h, hdr, 0, &b))
			continue;
		(void) memset(&vs, 0, sizeof (vs));
		vs.vs_type = VMEM_ALLOC_SEG;
		vs.vs_start = (uintptr_t)b.mb_addr & ~(uintptr_t)(ST_PAGESIZE -
		    1);
		vs.vs_end = vs.vs_start + ST_PAGESIZE;
		rc = kh_big_seg(kb, hdr, &vs);
	}
	return (rc);
}

static int
kh_walk_big(kh_walk_t *kw)
{
	static const char *const arenas[] = { "kmem_oversize", "firewall" };
	kh_bigwalk_t kb = { kw, NULL, 0 };
	const mdb_vmem_t *mv;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < 2; i++) {
		if ((mv = mdb_heap_vmem_byname(kw->kw_heap, arenas[i])) !=
		    NULL)
			rc = mdb_heap_walk_segs(kw->kw_heap, mv, kh_big_seg,
			    &kb);
	}
	if (rc == 0)
		rc = kh_walk_sampled(&kb);
	free(kb.kb_data);
	return (rc);
}

/* ------------------------------------------------------------------------
 * Walks.
 */

int
mdb_heap_walk(mdb_heap_t *h, const mdb_cache_t *mc, uint32_t flags,
    mdb_buf_f *fn, void *arg)
{
	kh_walk_t kw = { h, flags, fn, arg };
	size_t i;
	int rc = 0;

	if (mc != NULL)
		return (mdb_heap_walk_slabs(h, mc, kh_walk_slab, &kw));
	/* A damaged cache (said on a line) does not hide the others. */
	for (i = 0; i < h->mh_ncaches && !(flags & MDB_WALK_NOCACHE); i++) {
		int r;

		mdb_progress("caches walked", i, h->mh_ncaches);
		r = mdb_heap_walk_slabs(h, &h->mh_caches[i], kh_walk_slab, &kw);

		if (r > 0)
			return (r);
		if (r < 0)
			rc = -1;
	}
	if (flags & MDB_WALK_BIG) {
		int r = kh_walk_big(&kw);

		if (r > 0)
			return (r);
		if (r < 0)
			rc = -1;
	}
	return (rc);
}

/* ------------------------------------------------------------------------
 * Lookups: the buffer holding an address.
 */

static int
kh_range_cmp(const void *a, const void *b)
{
	const kh_range_t *x = a, *y = b;

	return (x->kg_lo < y->kg_lo ? -1 : x->kg_lo > y->kg_lo);
}

static int
kh_range_add(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp)
{
	mdb_heap_t *h = arg;
	kh_priv_t *kp = KH_PRIV(h);
	kh_range_t *r;

	if ((r = kh_grow(kp->kp_ranges, &kp->kp_rangecap, kp->kp_nranges + 1,
	    sizeof (*r))) == NULL)
		return (-1);
	kp->kp_ranges = r;
	r += kp->kp_nranges++;
	r->kg_lo = kh_p(sp->slab_base);
	r->kg_hi = r->kg_lo + sp->slab_size;
	r->kg_slab = addr;
	r->kg_cache = (size_t)(mc - h->mh_caches);
	return (0);
}

/* Every slab's range, sorted, read on the first lookup that needs it. */
static void
kh_ranges(mdb_heap_t *h)
{
	kh_priv_t *kp = KH_PRIV(h);
	size_t i;

	if (kp->kp_have_ranges)
		return;
	kp->kp_have_ranges = true;
	for (i = 0; i < h->mh_ncaches; i++)
		(void) mdb_heap_walk_slabs(h, &h->mh_caches[i], kh_range_add,
		    h);
	if (kp->kp_nranges > 1)
		qsort(kp->kp_ranges, kp->kp_nranges, sizeof (kh_range_t),
		    kh_range_cmp);
}

/*
 * The slab of a user cache holding addr, else of any cache: a quantum
 * cache's slab holds other caches' slabs, which are the better answer.
 */
static const kh_range_t *
kh_range_find(mdb_heap_t *h, uint64_t addr)
{
	kh_priv_t *kp = KH_PRIV(h);
	const kh_range_t *best = NULL;
	size_t lo = 0, hi, i;

	kh_ranges(h);
	hi = kp->kp_nranges;
	while (lo < hi) {			/* the first kg_lo > addr */
		size_t mid = lo + (hi - lo) / 2;

		if (kp->kp_ranges[mid].kg_lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i-- > 0 && addr - kp->kp_ranges[i].kg_lo < KH_MAXSLAB; ) {
		const kh_range_t *r = &kp->kp_ranges[i];

		if (addr >= r->kg_hi)
			continue;
		if (best == NULL || r->kg_hi - r->kg_lo < best->kg_hi -
		    best->kg_lo)
			best = r;
	}
	return (best);
}

/* addr in chunk of slab sp (at saddr) of mc: decide it into *b. */
static bool
kh_lookup_chunk(mdb_heap_t *h, const mdb_cache_t *mc, uint64_t saddr,
    const kmem_slab_t *sp, uint64_t addr, mdb_buf_t *b)
{
	const kmem_cache_t *cp = &mc->mc_cp;
	uint64_t first = kh_p(sp->slab_base) + sp->slab_color, off;
	const uint8_t *data;
	uint32_t i;
	bool fl;

	if (addr < first || (off = addr - first) >= (uint64_t)sp->slab_chunks *
	    cp->cache_chunksize || (data = kh_slab_read(h, sp)) == NULL)
		return (false);
	i = (uint32_t)(off / cp->cache_chunksize);
	b->mb_addr = first + (uint64_t)i * cp->cache_chunksize;
	b->mb_size = cp->cache_bufsize;
	b->mb_chunk = cp->cache_chunksize;
	b->mb_slab = saddr;
	b->mb_cache = mc;
	b->mb_kind = MDB_BK_CACHE;
	b->mb_data = NULL;
	fl = kh_need_freelist(h, mc, sp, data);
	if (fl && kh_slab_freelist(h, mc, sp, data) != 0)
		return (false);
	kh_chunk_decide(h, mc, i, data, b->mb_addr - kh_p(sp->slab_base), fl,
	    b);
	return (true);
}

/* The slab the page map names for addr, checked. */
static bool
kh_lookup_slab(mdb_heap_t *h, uint64_t pm, uint64_t addr, mdb_buf_t *b)
{
	const mdb_cache_t *mc;
	kmem_slab_t sl;

	if (mdb_tgt_vread(h->mh_tgt, pm, &sl, sizeof (sl)) != 0 ||
	    (mc = mdb_heap_cache(h, kh_p(sl.slab_cache))) == NULL ||
	    !kh_slab_sane(mc, pm, &sl) || addr < kh_p(sl.slab_base) ||
	    addr - kh_p(sl.slab_base) >= sl.slab_size)
		return (false);
	return (kh_lookup_chunk(h, mc, pm, &sl, addr, b));
}

typedef struct kh_segfind {
	mdb_heap_t *ks_heap;
	uint64_t ks_addr;
	mdb_buf_t *ks_buf;
	bool ks_found;
} kh_segfind_t;

static int
kh_big_find(void *arg, uint64_t addr, const vmem_seg_t *vs)
{
	kh_segfind_t *ks = arg;

	(void) addr;
	if (vs->vs_type != VMEM_ALLOC_SEG || ks->ks_addr < vs->vs_start ||
	    ks->ks_addr >= vs->vs_end)
		return (0);
	ks->ks_found = kh_big_buf(ks->ks_heap, vs->vs_start, vs->vs_end,
	    ks->ks_buf);
	return (1);
}

/* An address inside an oversize or big buffer past its first page. */
static bool
kh_lookup_big(mdb_heap_t *h, uint64_t addr, mdb_buf_t *b)
{
	kh_segfind_t ks = { h, addr, b, false };
	const mdb_vmem_t *mv = mdb_heap_vmem_byname(h, "kmem_oversize");

	if (mv == NULL)
		return (false);
	(void) mdb_heap_walk_segs(h, mv, kh_big_find, &ks);
	return (ks.ks_found);
}

bool
mdb_heap_lookup(mdb_heap_t *h, uint64_t addr, mdb_buf_t *b)
{
	uint64_t pm = mdb_heap_pagemap(h, addr);
	const kh_range_t *r;
	kmem_slab_t sl;

	(void) memset(b, 0, sizeof (*b));
	if (pm != 0 && !(pm & PM_TAGS) && kh_lookup_slab(h, pm, addr, b))
		return (true);
	if (pm & PM_FW)
		return (kh_fw_buf(h, pm & ~(uint64_t)PM_TAGS, 0, b));
	if ((pm & PM_BIG) && kh_big_buf(h, ST_P2ALIGN(addr, ST_PAGESIZE),
	    UINT64_MAX, b))
		return (true);
	if ((r = kh_range_find(h, addr)) != NULL &&
	    mdb_tgt_vread(h->mh_tgt, r->kg_slab, &sl, sizeof (sl)) == 0 &&
	    kh_lookup_chunk(h, &h->mh_caches[r->kg_cache], r->kg_slab, &sl,
	    addr, b))
		return (true);
	return (kh_lookup_big(h, addr, b));
}

uint64_t
mdb_heap_bufctl_of(mdb_tgt_t *t, uint32_t flags, uint64_t addr)
{
	mdb_heap_t *h;
	mdb_buf_t b;

	if (!t->t_have_note || (h = mdb_heap_get(t, flags)) == NULL ||
	    !mdb_heap_lookup(h, addr, &b) || b.mb_addr != addr)
		return (0);
	if (b.mb_cache != NULL && !(b.mb_cache->mc_cp.cache_flags & KMF_AUDIT))
		return (0);
	return (b.mb_bufctl);
}

/* ------------------------------------------------------------------------
 * Audit stacks: in the stack depot (depot.c), or inline in older records.
 */

/* The depot's header, read again when an id lies past what it covered. */
static struct {
	mdb_tgt_t *ds_tgt;
	uint64_t ds_addr;
	st_depot_t ds_depot;
} kh_depot_seen;

static bool
kh_depot_covers(mdb_tgt_t *t, uint64_t addr, uint64_t end)
{
	st_depot_t *d = &kh_depot_seen.ds_depot;

	if (kh_depot_seen.ds_tgt != t || kh_depot_seen.ds_addr != addr ||
	    end > d->sd_used) {
		kh_depot_seen.ds_tgt = NULL;
		if (addr == 0 || mdb_tgt_vread(t, addr, d, sizeof (*d)) != 0)
			return (false);
		kh_depot_seen.ds_tgt = t;
		kh_depot_seen.ds_addr = addr;
	}
	return (d->sd_base != 0 && d->sd_used <= d->sd_size &&
	    end <= d->sd_used);
}

uint32_t
mdb_bc_stack(mdb_tgt_t *t, const st_root_t *root, uint64_t rec,
    const kmem_bufctl_audit_t *bc, uint64_t *pcs, uint32_t max)
{
	uint8_t buf[16 + KMEM_STACK_MAX * 8];
	uint32_t depth = bc->bc_depth < max ? bc->bc_depth : max, hdr[4];
	uint64_t off = (uint64_t)bc->bc_stackid * 8;
	ssize_t got;

	if (depth > KMEM_STACK_MAX)
		depth = KMEM_STACK_MAX;
	if (depth == 0)
		return (0);
	if (root->sr_version < ST_DEPOT_VERSION) {      /* frames inline */
		got = mdb_tgt_read(t, rec + KMEM_BUFCTL_AUDIT_V2SIZE, buf,
		    depth * 8);
		depth = got < 0 ? 0 : (uint32_t)(got / 8);
		(void) memcpy(pcs, buf, (size_t)depth * 8);
		return (depth);
	}
	if (bc->bc_stackid == 0 || !kh_depot_covers(t, kh_p(root->sr_depot),
	    off + 16) || mdb_tgt_vread(t, kh_depot_seen.ds_depot.sd_base + off,
	    buf, 16 + (size_t)depth * 8) != 0)
		return (0);
	(void) memcpy(hdr, buf, sizeof (hdr));
	if (hdr[2] < depth)
		depth = hdr[2];
	if (!kh_depot_covers(t, kh_p(root->sr_depot), off + 16 +
	    (uint64_t)hdr[2] * 8))
		return (0);
	(void) memcpy(pcs, buf + 16, (size_t)depth * 8);
	return (depth);
}
