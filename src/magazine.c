/*
 * magazine.c: the magazine layer and the depot (Bonwick & Adams, 2001).
 *
 * 1. Magazines.  A magazine is an array of M pointers to constructed
 *    buffers (its rounds).  Each thread holds, per cache, a loaded magazine
 *    and the previously loaded one (kmem_cpu_cache_t).  Allocation pops a
 *    round from the loaded magazine, free pushes one; when the loaded
 *    magazine is empty (alloc) or full (free) and the previous one can serve,
 *    the two swap.  Only when both fail does the thread go to the depot, so
 *    a thread visits the depot at most once every M operations, and a
 *    alloc/free pattern that oscillates never leaves its thread.
 *
 * 2. Per thread, not per CPU.  The kernel keeps one cache per CPU, made safe
 *    by disabling preemption.  User space has no such switch; the per-CPU
 *    equivalent is rseq, which costs a restartable critical section with a
 *    commit store on every operation and an abort handler, and needs a
 *    fallback where rseq is unavailable (older kernels, valgrind, seccomp).
 *    A per-thread cache needs no atomic instruction at all: the fast path is
 *    a TLS load, a compare and a load or store (measured: see BENCHMARKS.md;
 *    malloc+free of 64 bytes is about 25 instructions).  Its cost is memory
 *    held per thread, bounded by the magazine sizes and returned when the
 *    thread exits (kmem_thread_exit) - the trade jemalloc's and tcmalloc's
 *    thread caches make too.
 *
 * 3. The depot.  Each cache's depot holds a list of full magazines and a
 *    list of empty ones, under cache_depot_lock.  A thread that needs rounds
 *    trades its empty magazine for a full one; a thread with too many trades
 *    a full one for an empty one, allocating a new empty magazine from the
 *    magazine caches (kmem_magazine_N) if the depot has none.
 *
 * 4. Working set and reaping.  Each depot list records the fewest
 *    magazines it held during the last interval (ml_min).  Those were not
 *    needed, so at each update (kmem_depot_ws_update, every
 *    kmem_depot_update_ns of depot activity) that many may be reaped: their
 *    rounds are destructed and go back to the slabs, whose empty pages go
 *    back to the arena and eventually to the OS (kmem_periodic()).  Between
 *    updates a depot keeps at most as many bytes of full rounds as its
 *    cache's live buffers hold, and kmem_depot_max_bytes (but two
 *    magazines, if more; a cache with a constructor keeps the whole
 *    kmem_depot_max_bytes, as its constructed objects are its point);
 *    further full magazines go straight back to the slabs, each taking one
 *    of the depot's with it, so that a burst of frees of big buffers does
 *    not sit in the depot for a whole interval, and a cache the program
 *    has moved away from (a vector grown to the next size) gives its
 *    slabs back to the arena, where the caches in use find them: with a
 *    fixed 1 MiB a depot, bench/realloc's peak RSS was 59 MB against
 *    glibc's 34 (51 MB now).  A smaller share (a quarter: 47 MB) costs
 *    bench/churn, whose big caches have few live buffers, a third more
 *    memory: their buffers went back to the slabs and new slabs were
 *    made beside the emptied ones.
 *
 * 5. Magazine size.  A cache starts with the magazine type its chunk size
 *    selects (kmem_magtype[]); when the depot lock is contended more than
 *    kmem_depot_contention times in a window of kmem_depot_window depot
 *    operations, the cache moves to the next larger type, so busy caches
 *    visit the depot less often.  Threads notice the change lazily: a
 *    thread whose magazines are of the old size gives them up on its next
 *    depot visit (old full magazines are destroyed, not put in the depot).
 *
 * 6. Locking.  A thread's cpu caches are its own; for the kmem_alloc_N
 *    caches (never destroyed) they are used without any lock.  Caches made
 *    by kmem_cache_create() can be destroyed, which must flush every
 *    thread's magazines, so their per-thread layer is used under the
 *    thread's kt_lock, which kmem_cache_destroy takes to flush it.
 *    The depot lock is never held while calling the slab layer; see slab.c
 *    for the lock order.  The periodic reap runs only from the depot of a
 *    kmem_alloc_N cache, never under a kt_lock.
 *
 * 7. Threads.  A thread's kmem_thread_t is made on its first allocation
 *    and linked on kmem_thread_list; at exit (a pthread key destructor) its
 *    full magazines go to the depot, partial ones are emptied into the slabs,
 *    and the thread points at kmem_thread_dead, whose caches are disabled,
 *    so that frees made later in thread teardown go straight to the slabs.
 *    After fork, the child keeps only its own thread; the magazines of the
 *    threads that did not survive are abandoned (leaked), not reused,
 *    because a thread stopped mid-operation may have left them inconsistent.
 *
 * 8. Debugging.  For a cache with a buffer tag, kmem_cache_alloc and
 *    kmem_cache_free run debug.c's checks above the magazines, so buffers
 *    in magazines, the depot and slabs are all in the free state.  Freed
 *    kmem_alloc_N buffers first wait in the thread's quarantine (the
 *    KMEM_QUARANTINE_MAX newest frees), so that a stale write finds a free
 *    buffer whose pattern shows it instead of the next allocation.
 *    malloc's inlined fast paths read kmem_thread_fast, which stays the
 *    sentinel when debugging, so they always fall through to here.
 *
 * 9. Idle caches.  A thread's two magazines of a cache it has stopped
 *    using stay loaded: nothing but that cache's own operations would
 *    touch them, and other threads may not.  Each holds up to 15 x 16 KiB
 *    or 3 x 64 KiB, so a program that passed through many sizes (strings
 *    grown by realloc to 1 MiB) kept some 8 MiB of free buffers in them,
 *    whose slabs the sizes it uses next could not have: bench/realloc's
 *    peak RSS was 51 MB (glibc 34), 43 MB with the sweep.  So every
 *    kmem_idle_sweep_visits depot visits, a thread looks at its own
 *    kmem_alloc_N caches (lock-free: they are its own): one whose
 *    operation count has not moved since its last look gives its rounds
 *    back to the slabs and keeps its magazines, empty, loaded.  A
 *    cache that is used again reloads from the depot or the slabs: at most
 *    two magazines of slab work per sweep period, against the period's
 *    hundreds of magazines of work elsewhere.  A thread that stops
 *    allocating altogether keeps its magazines until it exits.
 */
#include <string.h>

#include "slabtrace_impl.h"

/* Tunables. */
uint64_t kmem_depot_update_ns = 5000000000ULL;  /* working-set interval */
uint32_t kmem_depot_window = 1024;      /* depot ops per contention check */
uint32_t kmem_depot_contention = 16;    /* contended ops that grow mags */
uint64_t kmem_depot_max_bytes = 1UL << 20; /* full rounds a depot may hold */
uint64_t kmem_quarantine_bytes = 512UL << 10; /* per thread, debugging */
uint32_t kmem_idle_sweep_visits = 256;  /* depot visits between sweeps */

/*
 * Magazine types: buffers of chunk size <= mt_maxbuf may start with this
 * type (the first that fits).  Sizes are larger than the kernel's because a
 * thread cache is visited by one thread only: see BENCHMARKS.md.
 */
static kmem_magtype_t kmem_magtype[] = {
	{ 1,    8,      0,      131072, NULL },
	{ 3,    16,     0,      65536,  NULL },
	{ 7,    32,     0,      32768,  NULL },
	{ 15,   64,     0,      16384,  NULL },
	{ 31,   64,     0,      4096,   NULL },
	{ 63,   64,     0,      1024,   NULL },
	{ 127,  64,     0,      256,    NULL },
	{ 255,  64,     0,      0,      NULL },
};
#define KMEM_NMAGTYPE   (sizeof (kmem_magtype) / sizeof (kmem_magtype[0]))

__thread kmem_thread_t *kmem_thread_self
    __attribute__((tls_model("initial-exec"))) = &kmem_thread_dead;
/*
 * What malloc's inlined fast paths use: kmem_thread_self, or the sentinel
 * when debugging is on, so that every malloc and free of a debugged
 * process falls through to the slow path, which checks (malloc.c).
 */
__thread kmem_thread_t *kmem_thread_fast
    __attribute__((tls_model("initial-exec"))) = &kmem_thread_dead;
/*
 * A sentinel whose caches are all disabled (zero rounds, zero size), so that
 * the fast paths fail on it without a test of their own.  A thread points
 * at it before its first allocation and after its exit;
 * kmem_thread_exited tells the two apart.  It and kmem_thread_list are
 * zero until kmem_magazine_init (the fast paths need only the zero
 * rounds), so that they are in .bss: as initialised data, their 14 KiB
 * were file pages that every process mapped whole.
 */
kmem_thread_t kmem_thread_dead;
static __thread int kmem_thread_exited
    __attribute__((tls_model("initial-exec")));

/*
 * Section 9: depot visits since the thread's last idle sweep; how many of
 * the thread's cc operations that may call out (slow paths, flushes) are
 * under way, as the slab layer and vmem under them allocate and free.
 */
static __thread uint32_t kmem_idle_visits
    __attribute__((tls_model("initial-exec")));
static __thread uint32_t kmem_cc_depth
    __attribute__((tls_model("initial-exec")));

static st_lock_t kmem_thread_lock = ST_LOCK_INITIALIZER;
kmem_thread_t kmem_thread_list;        /* made empty by kmem_magazine_init */
static kmem_cache_t *kmem_thread_cache;
static kmem_cache_t *kmem_cc_cache[KMEM_CC_MAX]; /* ccidx -> cache */
static uint64_t kmem_frees_dead;        /* kt_frees of exited threads */

/* ------------------------------------------------------------------------
 * Magazines.
 */

static kmem_magtype_t *
kmem_magtype_of_size(int32_t magsize)
{
	size_t i;

	for (i = 0; i < KMEM_NMAGTYPE; i++)
		if ((int32_t)kmem_magtype[i].mt_magsize == magsize)
			return (&kmem_magtype[i]);
	return (NULL);
}

/* A round back to the slabs: checked (if patterned) and destructed. */
static void
kmem_round_release(kmem_cache_t *cp, void *buf)
{
	if (cp->cache_flags & KMF_DEADBEEF)
		kmem_debug_verify_free(cp, buf);
	kmem_buf_destruct_free(cp, buf);
}

/* Destruct the first nrounds rounds and free the magazine. */
static void
kmem_magazine_destroy(kmem_cache_t *cp, kmem_magazine_t *mp, int32_t nrounds,
    int32_t magsize)
{
	int32_t i;

	for (i = 0; i < nrounds; i++)
		kmem_round_release(cp, mp->mag_round[i]);
	kmem_cache_free(kmem_magtype_of_size(magsize)->mt_cache, mp);
}

void
kmem_magazine_init(void)
{
	size_t i;
	char name[KMEM_CACHE_NAMELEN];

	kmem_thread_dead.kt_flags = KT_DEAD;
	kmem_thread_list.kt_next = kmem_thread_list.kt_prev = &kmem_thread_list;

	for (i = 0; i < KMEM_NMAGTYPE; i++) {
		kmem_magtype_t *mtp = &kmem_magtype[i];

		st_snprintf(name, sizeof (name), "kmem_magazine_%u",
		    mtp->mt_magsize);
		mtp->mt_cache = kmem_cache_create_internal(name,
		    (mtp->mt_magsize + 1) * sizeof (void *), mtp->mt_align,
		    NULL, NULL, NULL, NULL, kmem_internal_arena,
		    KMC_NOMAGAZINE | KMC_NODEBUG, -1);
		if (mtp->mt_cache == NULL)
			st_panic("cannot create %s", name);
	}
	kmem_thread_cache = kmem_cache_create_internal("kmem_thread_cache",
	    sizeof (kmem_thread_t), 64, NULL, NULL, NULL, NULL,
	    kmem_internal_arena, KMC_NOMAGAZINE | KMC_NODEBUG, -1);
	if (kmem_thread_cache == NULL)
		st_panic("cannot create kmem_thread_cache");
}

/* Give cp a magazine type and, if it asked for one, a per-thread slot. */
void
kmem_cache_magazine_enable(kmem_cache_t *cp)
{
	size_t i;

	if ((cp->cache_cflags & KMC_NOMAGAZINE) || cp->cache_ccidx == -1 ||
	    ((cp->cache_flags & KMF_NOMAGAZINE) && cp->cache_ccidx < 0)) {
		cp->cache_ccidx = -1;
		return;
	}
	if (cp->cache_flags & KMF_NOMAGAZINE) {
		/*
		 * A kmem_alloc_N cache keeps its slot for the quarantine
		 * (section 8), but no magazine type: every thread's cc stays
		 * unusable, so every operation reaches the slab layer.
		 */
		kmem_cc_cache[cp->cache_ccidx] = cp;
		return;
	}
	for (i = 0; kmem_magtype[i].mt_maxbuf >= cp->cache_chunksize &&
	    i + 1 < KMEM_NMAGTYPE && kmem_magtype[i + 1].mt_maxbuf >=
	    cp->cache_chunksize; i++)
		continue;
	cp->cache_magtype = &kmem_magtype[i];
	if (cp->cache_ccidx == -2) {    /* a user cache: find a free slot */
		int32_t idx;

		st_lock(&kmem_thread_lock);
		for (idx = KMEM_NCACHE_ALLOC; idx < KMEM_CC_MAX &&
		    kmem_cc_cache[idx] != NULL; idx++)
			continue;
		cp->cache_ccidx = idx < KMEM_CC_MAX ? idx : -1;
		st_unlock(&kmem_thread_lock);
	}
	if (cp->cache_ccidx >= 0)
		kmem_cc_cache[cp->cache_ccidx] = cp;
}

/* ------------------------------------------------------------------------
 * The depot.
 */

static void
kmem_depot_lock(kmem_cache_t *cp)
{
	if (!st_trylock(&cp->cache_depot_lock)) {
		st_lock(&cp->cache_depot_lock);
		cp->cache_depot_contention++;
	}
	cp->cache_depot_ops++;
}

static kmem_magazine_t *
kmem_maglist_get(kmem_maglist_t *mlp)
{
	kmem_magazine_t *mp = mlp->ml_list;

	if (mp != NULL) {
		mlp->ml_list = mp->mag_next;
		if (--mlp->ml_total < mlp->ml_min)
			mlp->ml_min = mlp->ml_total;
		mlp->ml_alloc++;
	}
	return (mp);
}

static void
kmem_maglist_put(kmem_maglist_t *mlp, kmem_magazine_t *mp)
{
	mp->mag_next = mlp->ml_list;
	mlp->ml_list = mp;
	mlp->ml_total++;
}

/*
 * Move a contended cache to the next magazine size.  Called with the depot
 * lock held; returns the old depot lists (to be destroyed by the caller
 * after dropping the lock) through *fullp and *emptyp.
 */
static void
kmem_depot_resize_locked(kmem_cache_t *cp, kmem_magazine_t **fullp,
    kmem_magazine_t **emptyp)
{
	kmem_magtype_t *mtp = cp->cache_magtype;

	*fullp = *emptyp = NULL;
	if (mtp == &kmem_magtype[KMEM_NMAGTYPE - 1])
		return;
	*fullp = cp->cache_full.ml_list;
	*emptyp = cp->cache_empty.ml_list;
	memset(&cp->cache_full, 0, sizeof (cp->cache_full));
	memset(&cp->cache_empty, 0, sizeof (cp->cache_empty));
	cp->cache_magtype = mtp + 1;
}

static void
kmem_maglist_destroy(kmem_cache_t *cp, kmem_magazine_t *mp, int32_t rounds,
    int32_t magsize)
{
	kmem_magazine_t *next;

	for (; mp != NULL; mp = next) {
		next = mp->mag_next;
		kmem_magazine_destroy(cp, mp, rounds, magsize);
	}
}

/* Drop the depot lock, resizing the magazines first if it is contended. */
static void
kmem_depot_unlock(kmem_cache_t *cp)
{
	kmem_magazine_t *full = NULL, *empty = NULL;
	int32_t oldsize = (int32_t)cp->cache_magtype->mt_magsize;
	uint64_t now = 0;

	if (cp->cache_depot_ops >= kmem_depot_window) {
		if (cp->cache_depot_contention -
		    cp->cache_depot_contention_prev > kmem_depot_contention)
			kmem_depot_resize_locked(cp, &full, &empty);
		cp->cache_depot_contention_prev = cp->cache_depot_contention;
		cp->cache_depot_ops = 0;
		now = st_os_now_ns();
	}
	st_unlock(&cp->cache_depot_lock);
	kmem_maglist_destroy(cp, full, oldsize, oldsize);
	kmem_maglist_destroy(cp, empty, 0, oldsize);
	if (now != 0 && cp->cache_ccidx < KMEM_NCACHE_ALLOC)
		kmem_periodic(now);
}

static kmem_magazine_t *
kmem_depot_alloc(kmem_cache_t *cp, kmem_maglist_t *mlp, int32_t magsize)
{
	kmem_magazine_t *mp = NULL;

	kmem_depot_lock(cp);
	if ((int32_t)cp->cache_magtype->mt_magsize == magsize)
		mp = kmem_maglist_get(mlp);
	kmem_depot_unlock(cp);
	return (mp);
}

/*
 * The full rounds a depot may keep between updates (section 4): the bytes
 * of the cache's live buffers (those handed out of its slabs, less the
 * depot's own rounds), at most kmem_depot_max_bytes, at least two
 * magazines.  A cache the program has moved away from (vectors grown to
 * the next size, a phase over) keeps little, and its slabs go back to the
 * arena for the caches in use.  Read without the cache lock: a heuristic.
 * Called with the depot lock held.
 */
static uint64_t
kmem_depot_limit(const kmem_cache_t *cp, int32_t magsize)
{
	uint64_t out = __atomic_load_n(&cp->cache_buftotal, __ATOMIC_RELAXED) -
	    __atomic_load_n(&cp->cache_buftotal_free, __ATOMIC_RELAXED);
	uint64_t held = cp->cache_full.ml_total * (uint64_t)magsize;
	uint64_t share = (out > held ? out - held : 0) * cp->cache_chunksize;

	/* Constructed objects are what a cache is for: keep them. */
	if (cp->cache_constructor != NULL)
		share = kmem_depot_max_bytes;
	return (ST_MAX(ST_MIN(kmem_depot_max_bytes, share),
	    2 * (uint64_t)magsize * cp->cache_chunksize));
}

/*
 * Return a magazine with nrounds rounds of magsize to the depot.  A full
 * one past the depot's limit goes to the slabs instead, and takes one of
 * the depot's with it, so that a depot left over its limit by a falling
 * share drains as frees go on.
 */
static void
kmem_depot_free(kmem_cache_t *cp, kmem_magazine_t *mp, int32_t nrounds,
    int32_t magsize)
{
	kmem_magazine_t *extra = NULL;
	uint64_t bytes = (uint64_t)magsize * cp->cache_chunksize, limit;
	int ok;

	kmem_depot_lock(cp);
	ok = (int32_t)cp->cache_magtype->mt_magsize == magsize;
	if (ok && nrounds != 0) {
		limit = kmem_depot_limit(cp, magsize);
		ok = nrounds == magsize &&
		    (cp->cache_full.ml_total + 1) * bytes <= limit;
		if (!ok && nrounds == magsize &&
		    cp->cache_full.ml_total * bytes > limit)
			extra = kmem_maglist_get(&cp->cache_full);
	}
	if (ok && nrounds != 0)
		cp->cache_depot_puts++;         /* for the sweep */
	if (ok)
		kmem_maglist_put(nrounds == 0 ? &cp->cache_empty :
		    &cp->cache_full, mp);
	kmem_depot_unlock(cp);
	if (!ok)        /* partial, old size, or depot full: to the slabs */
		kmem_magazine_destroy(cp, mp, nrounds, magsize);
	if (extra != NULL)
		kmem_magazine_destroy(cp, extra, magsize, magsize);
}

/* Working-set update and reap of one depot (kmem_periodic calls it). */
static void
kmem_depot_ws_reap(kmem_cache_t *cp, kmem_maglist_t *mlp, int full,
    uint64_t now)
{
	uint64_t n;
	int32_t magsize;
	kmem_magazine_t *mp;

	st_lock(&cp->cache_depot_lock);
	magsize = (int32_t)cp->cache_magtype->mt_magsize;
	n = ST_MIN(mlp->ml_reaplimit, mlp->ml_min);
	mlp->ml_reaplimit = mlp->ml_min;
	mlp->ml_min = mlp->ml_total;
	cp->cache_depot_update = now;
	st_unlock(&cp->cache_depot_lock);
	while (n-- > 0) {
		st_lock(&cp->cache_depot_lock);
		mp = (int32_t)cp->cache_magtype->mt_magsize == magsize ?
		    kmem_maglist_get(mlp) : NULL;
		st_unlock(&cp->cache_depot_lock);
		if (mp == NULL)
			break;
		kmem_magazine_destroy(cp, mp, full ? magsize : 0, magsize);
	}
}

/* Make every magazine in the depot reapable (the kernel's ws_zero). */
static void
kmem_depot_ws_zero(kmem_cache_t *cp)
{
	st_lock(&cp->cache_depot_lock);
	cp->cache_full.ml_reaplimit = cp->cache_full.ml_min =
	    cp->cache_full.ml_total;
	cp->cache_empty.ml_reaplimit = cp->cache_empty.ml_min =
	    cp->cache_empty.ml_total;
	st_unlock(&cp->cache_depot_lock);
}

/* Reap the depot: what the working set did not need, or all of it. */
void
kmem_depot_reap(kmem_cache_t *cp, int all)
{
	uint64_t now = st_os_now_ns();

	if (cp->cache_magtype == NULL)
		return;
	if (all)
		kmem_depot_ws_zero(cp);
	kmem_depot_ws_reap(cp, &cp->cache_full, 1, now);
	kmem_depot_ws_reap(cp, &cp->cache_empty, 0, now);
}

/* Give up every magazine of the depot (destroy, reap-all). */
static void
kmem_depot_purge(kmem_cache_t *cp)
{
	kmem_magazine_t *full, *empty;
	int32_t magsize;

	if (cp->cache_magtype == NULL)
		return;
	st_lock(&cp->cache_depot_lock);
	magsize = (int32_t)cp->cache_magtype->mt_magsize;
	full = cp->cache_full.ml_list;
	empty = cp->cache_empty.ml_list;
	memset(&cp->cache_full, 0, sizeof (cp->cache_full));
	memset(&cp->cache_empty, 0, sizeof (cp->cache_empty));
	st_unlock(&cp->cache_depot_lock);
	kmem_maglist_destroy(cp, full, magsize, magsize);
	kmem_maglist_destroy(cp, empty, 0, magsize);
}

/* ------------------------------------------------------------------------
 * The per-thread layer's slow paths.
 */

/*
 * Load mp, with rounds rounds; the loaded magazine becomes the previous
 * one, and the previous one is dropped (given to the depot already, or
 * mp itself).  The stores are ordered for a debugger that reads them with
 * the thread stopped between any two (kmem_round_pop): a magazine with
 * rounds is never left out of both pairs, and no pair counts more rounds
 * than its magazine holds (a stale round would pass for free).  Loading
 * the previous magazine, full, into an empty loaded one (an allocation)
 * takes one order; everything else (an empty one loaded, the loaded one
 * full; a magazine from the depot) the other.
 */
static void
kmem_cpu_reload(kmem_cpu_cache_t *cc, kmem_magazine_t *mp, int32_t rounds)
{
	kmem_magazine_t *lp = cc->cc_loaded;
	int32_t lr = cc->cc_rounds;

#define	KMEM_CC_SET(field, v)	do {					\
	__atomic_signal_fence(__ATOMIC_SEQ_CST);			\
	cc->field = (v);						\
} while (0)
	if (mp == cc->cc_ploaded && lr <= 0) {
		KMEM_CC_SET(cc_loaded, mp);	/* in both pairs */
		KMEM_CC_SET(cc_rounds, rounds);
		KMEM_CC_SET(cc_prounds, lr);
		KMEM_CC_SET(cc_ploaded, lp);
	} else {
		KMEM_CC_SET(cc_prounds, 0);	/* the old previous goes */
		KMEM_CC_SET(cc_ploaded, lp);	/* in both pairs */
		KMEM_CC_SET(cc_prounds, lr);
		KMEM_CC_SET(cc_rounds, 0);
		KMEM_CC_SET(cc_loaded, mp);
		KMEM_CC_SET(cc_rounds, rounds);
	}
#undef	KMEM_CC_SET
}

/* Hand cc's magazines back and set it up for the cache's magazine size. */
static void
kmem_cpu_flush(kmem_cache_t *cp, kmem_cpu_cache_t *cc, int32_t newsize)
{
	int32_t magsize = cc->cc_magsize;

	kmem_cc_depth++;
	if (cc->cc_loaded != NULL)
		kmem_depot_free(cp, cc->cc_loaded, cc->cc_rounds, magsize);
	if (cc->cc_ploaded != NULL)
		kmem_depot_free(cp, cc->cc_ploaded, cc->cc_prounds, magsize);
	cc->cc_loaded = cc->cc_ploaded = NULL;
	cc->cc_rounds = cc->cc_prounds = -1;
	cc->cc_magsize = newsize;
	kmem_cc_depth--;
}

/* Is cc a live thread's cache with magazines of the cache's current size? */
static int
kmem_cpu_usable(kmem_cache_t *cp, kmem_cpu_cache_t *cc)
{
	int32_t magsize;

	if (cc == NULL || cp->cache_magtype == NULL)
		return (0);
	magsize = (int32_t)cp->cache_magtype->mt_magsize;
	if (cc->cc_magsize != magsize)
		kmem_cpu_flush(cp, cc, magsize);
	return (1);
}

/*
 * Section 9: the calling thread gives back the rounds of its kmem_alloc_N
 * caches that saw no operation since its last sweep; `self` (whose slow
 * path is under way) is left alone.  The rounds leave their magazines one
 * at a time, as allocations take them, so that a leak check that stops
 * the thread finds each buffer in a magazine, in a register or in a slab;
 * the emptied magazines stay loaded.  Only from a slow path that no other
 * cc operation of the thread encloses: a magazine being destroyed below
 * one, its rounds going to the slabs, is still its cc's until the
 * destroy returns, and the sweep would give the same rounds back twice.
 */
static void
kmem_idle_sweep(kmem_cache_t *self)
{
	kmem_thread_t *kt = kmem_thread_self;
	int32_t i;

	if (kt == &kmem_thread_dead)
		return;
	for (i = 0; i < KMEM_NCACHE_ALLOC; i++) {
		kmem_cache_t *cp = kmem_cc_cache[i];
		kmem_cpu_cache_t *cc = &kt->kt_cc[i];
		uint32_t ops = (uint32_t)(cc->cc_alloc + cc->cc_free);

		if (cp == NULL || cp == self || cc->cc_magsize <= 0)
			continue;
		if (ops != cc->cc_idle) {
			cc->cc_idle = ops;
			continue;
		}
		while (cc->cc_loaded != NULL && cc->cc_rounds > 0)
			kmem_round_release(cp, kmem_round_pop(cc->cc_loaded,
			    &cc->cc_rounds));
		while (cc->cc_ploaded != NULL && cc->cc_prounds > 0)
			kmem_round_release(cp, kmem_round_pop(cc->cc_ploaded,
			    &cc->cc_prounds));
	}
}

/*
 * A depot visit, from a slow path (kmem_cc_depth counts it): every
 * kmem_idle_sweep_visits, the idle sweep, at the next outermost one.
 */
static inline void
kmem_idle_visit(kmem_cache_t *cp)
{
	if (ST_UNLIKELY(++kmem_idle_visits >= kmem_idle_sweep_visits) &&
	    kmem_cc_depth == 1) {
		kmem_idle_visits = 0;
		kmem_cc_depth++;        /* what it calls cannot sweep again */
		kmem_idle_sweep(cp);
		kmem_cc_depth--;
	}
}

/*
 * The calling thread's own cc for cp.  The fast paths hand the slow paths
 * a cc computed from kmem_thread_self, which is kmem_thread_dead's before
 * the thread's first allocation: that cc must never be used (it would be
 * shared by every thread without state), so the thread's state is made
 * here and its cc looked up again.  A thread without state (after exit, or
 * when even its structure could not be allocated) has no cc.
 */
static kmem_cpu_cache_t *
kmem_cpu_own(kmem_cache_t *cp)
{
	kmem_thread_t *kt = kmem_thread_self;

	if (ST_UNLIKELY(kt == &kmem_thread_dead) && !kmem_thread_exited)
		kt = kmem_thread_self_slow();
	if (kt == &kmem_thread_dead || cp->cache_ccidx < 0)
		return (NULL);
	return (&kt->kt_cc[cp->cache_ccidx]);
}

static void *
kmem_cache_alloc_slow_cc(kmem_cache_t *cp, int kmflag)
{
	kmem_cpu_cache_t *cc = kmem_cpu_own(cp);
	void *buf;

	while (kmem_cpu_usable(cp, cc)) {
		kmem_magazine_t *fmp;

		if (cc->cc_rounds > 0) {
			cc->cc_alloc++;
			return (kmem_round_pop(cc->cc_loaded, &cc->cc_rounds));
		}
		if (cc->cc_prounds > 0) {
			kmem_cpu_reload(cc, cc->cc_ploaded, cc->cc_prounds);
			continue;
		}
		kmem_idle_visit(cp);
		fmp = kmem_depot_alloc(cp, &cp->cache_full, cc->cc_magsize);
		if (fmp == NULL)
			break;
		if (cc->cc_ploaded != NULL)
			kmem_depot_free(cp, cc->cc_ploaded, cc->cc_prounds,
			    cc->cc_magsize);
		kmem_cpu_reload(cc, fmp, cc->cc_magsize);
	}
	buf = kmem_slab_alloc(cp, kmflag);
	if (buf == NULL || kmem_buf_constructed_alloc(cp, buf, kmflag) != 0)
		return (NULL);
	if (cc != NULL)
		cc->cc_alloc++;
	else
		__atomic_add_fetch(&cp->cache_alloc_dead, 1, __ATOMIC_RELAXED);
	return (buf);
}

static void
kmem_cache_free_slow_cc(kmem_cache_t *cp, void *buf)
{
	kmem_cpu_cache_t *cc = kmem_cpu_own(cp);

	while (kmem_cpu_usable(cp, cc)) {
		kmem_magazine_t *emp;

		if ((uint32_t)cc->cc_rounds < (uint32_t)cc->cc_magsize) {
			cc->cc_free++;
			kmem_round_push(cc->cc_loaded, &cc->cc_rounds, buf);
			return;
		}
		if (cc->cc_prounds == 0) {
			kmem_cpu_reload(cc, cc->cc_ploaded, cc->cc_prounds);
			continue;
		}
		kmem_idle_visit(cp);
		emp = kmem_depot_alloc(cp, &cp->cache_empty, cc->cc_magsize);
		if (emp == NULL)
			emp = kmem_cache_alloc(kmem_magtype_of_size(
			    cc->cc_magsize)->mt_cache, KM_NOSLEEP);
		if (emp == NULL)
			break;
		if (cc->cc_ploaded != NULL)
			kmem_depot_free(cp, cc->cc_ploaded, cc->cc_prounds,
			    cc->cc_magsize);
		kmem_cpu_reload(cc, emp, 0);
	}
	if (cc != NULL)
		cc->cc_free++;
	else
		__atomic_add_fetch(&cp->cache_free_dead, 1, __ATOMIC_RELAXED);
	kmem_buf_destruct_free(cp, buf);
}

/* The slow paths, counted in kmem_cc_depth (section 9). */
void *
kmem_cache_alloc_slow(kmem_cache_t *cp, int kmflag)
{
	void *buf;

	kmem_cc_depth++;
	buf = kmem_cache_alloc_slow_cc(cp, kmflag);
	kmem_cc_depth--;
	return (buf);
}

void
kmem_cache_free_slow(kmem_cache_t *cp, void *buf)
{
	kmem_cc_depth++;
	kmem_cache_free_slow_cc(cp, buf);
	kmem_cc_depth--;
}

/* ------------------------------------------------------------------------
 * The object-cache entry points.  The kmem_alloc_N caches are never
 * destroyed, so their per-thread layer needs no lock; user caches take the
 * thread's kt_lock (section 6).
 */

static inline kmem_cpu_cache_t *
kmem_cpu_cache(kmem_thread_t *kt, kmem_cache_t *cp)
{
	return (cp->cache_ccidx >= 0 ? &kt->kt_cc[cp->cache_ccidx] : NULL);
}

static inline void *
kmem_cache_alloc_nodebug(kmem_cache_t *cp, int kmflag)
{
	kmem_thread_t *kt = kmem_thread_self;
	kmem_cpu_cache_t *cc;
	void *buf;

	if (ST_UNLIKELY(kt == &kmem_thread_dead && !kmem_thread_exited))
		kt = kmem_thread_self_slow();
	cc = kmem_cpu_cache(kt, cp);
	if (cp->cache_ccidx < KMEM_NCACHE_ALLOC) {
		if (cc != NULL && cc->cc_rounds > 0) {
			cc->cc_alloc++;
			return (kmem_round_pop(cc->cc_loaded, &cc->cc_rounds));
		}
		return (kmem_cache_alloc_slow(cp, kmflag));
	}
	st_lock(&kt->kt_lock);
	buf = kmem_cache_alloc_slow(cp, kmflag);
	st_unlock(&kt->kt_lock);
	return (buf);
}

static inline void
kmem_cache_free_nodebug(kmem_cache_t *cp, void *buf)
{
	kmem_thread_t *kt = kmem_thread_self;
	kmem_cpu_cache_t *cc;

	if (ST_UNLIKELY(kt == &kmem_thread_dead && !kmem_thread_exited))
		kt = kmem_thread_self_slow();
	cc = kmem_cpu_cache(kt, cp);
	if (cp->cache_ccidx < KMEM_NCACHE_ALLOC) {
		if (cc != NULL && (uint32_t)cc->cc_rounds <
		    (uint32_t)cc->cc_magsize) {
			cc->cc_free++;
			kmem_round_push(cc->cc_loaded, &cc->cc_rounds, buf);
			return;
		}
		kmem_cache_free_slow(cp, buf);
		return;
	}
	st_lock(&kt->kt_lock);
	kmem_cache_free_slow(cp, buf);
	st_unlock(&kt->kt_lock);
}

/*
 * A debugged cache: buffers come out of, and go into, the layers below in
 * the free state (debug.c); the checks happen here, above the magazines,
 * as in the kernel, so a buffer is verified whichever layer it is in.
 */
static void *
kmem_cache_alloc_debugged(kmem_cache_t *cp, int kmflag)
{
	for (;;) {
		void *buf = kmem_cache_alloc_nodebug(cp, kmflag);
		int rc;

		if (buf == NULL) {
			kmem_log_failure(cp, cp->cache_bufsize);
			return (NULL);
		}
		rc = kmem_cache_alloc_debug(cp, buf, kmflag);
		if (rc == 0)
			return (buf);
		if (rc == -2)           /* the constructor failed */
			return (NULL);
		/* A corrupt tag (reported): leave that buffer, take another. */
	}
}

void *
kmem_cache_alloc(kmem_cache_t *cp, int kmflag)
{
	if (ST_UNLIKELY(cp->cache_flags & KMF_BUFTAG)) {
		kmem_thread_t *kt = kmem_op_enter();
		void *buf = kmem_cache_alloc_debugged(cp, kmflag);

		kmem_op_exit(kt);
		KMEM_SWEEPER_POKE();
		return (buf);
	}
	return (kmem_cache_alloc_nodebug(cp, kmflag));
}

/*
 * Debugging: the quarantine.  A freed kmem_alloc_N buffer (malloc's) is
 * held back by its thread, deadbeef-filled, for the next
 * KMEM_QUARANTINE_MAX frees (or kmem_quarantine_bytes), then verified and
 * freed for real.  Without it the magazines hand the buffer straight back
 * to the next allocation (LIFO), and a stale write lands on a live buffer,
 * where it corrupts silently, instead of on a free one, where the pattern
 * shows it.  Only the never-destroyed kmem_alloc_N caches are held.
 */
static void
kmem_quarantine_evict(kmem_thread_t *kt)
{
	void *buf = kt->kt_quarantine[kt->kt_qhead];
	kmem_cache_t *cp = kmem_alloc_caches[kt->kt_qcache[kt->kt_qhead]];

	kt->kt_qhead = (kt->kt_qhead + 1) % KMEM_QUARANTINE_MAX;
	kt->kt_qcount--;
	kt->kt_qbytes -= cp->cache_chunksize;
	/* Verified when next allocated: it is the magazine's top round. */
	kmem_cache_free_nodebug(cp, buf);
}

static void
kmem_quarantine_flush(kmem_thread_t *kt)
{
	while (kt->kt_qcount > 0)
		kmem_quarantine_evict(kt);
}

static void
kmem_quarantine(kmem_cache_t *cp, void *buf)
{
	kmem_thread_t *kt = kmem_thread_self;

	if (kt == &kmem_thread_dead || (uint32_t)cp->cache_ccidx >=
	    KMEM_NCACHE_ALLOC || cp->cache_chunksize > kmem_quarantine_bytes) {
		kmem_cache_free_nodebug(cp, buf);
		return;
	}
	while (kt->kt_qcount == KMEM_QUARANTINE_MAX ||
	    (kt->kt_qcount > 0 && kt->kt_qbytes + cp->cache_chunksize >
	    kmem_quarantine_bytes))
		kmem_quarantine_evict(kt);
	kt->kt_quarantine[(kt->kt_qhead + kt->kt_qcount) %
	    KMEM_QUARANTINE_MAX] = buf;
	kt->kt_qcache[(kt->kt_qhead + kt->kt_qcount) % KMEM_QUARANTINE_MAX] =
	    (uint8_t)cp->cache_ccidx;
	kt->kt_qcount++;
	kt->kt_qbytes += cp->cache_chunksize;
}

/*
 * kmem_cache_free when the caller (malloc.c, kmem.c) has already found
 * buf to be the start of one of cp's buffers: the tag checks only.
 */
void
kmem_cache_free_known(kmem_cache_t *cp, void *buf)
{
	if (ST_UNLIKELY(cp->cache_flags & KMF_BUFTAG)) {
		if (kmem_cache_free_debug(cp, buf) != 0)
			return;         /* reported, and noabort */
		if ((cp->cache_flags & (KMF_DEADBEEF | KMF_LITE)) ==
		    KMF_DEADBEEF) {
			kmem_quarantine(cp, buf);
			return;
		}
	}
	kmem_cache_free_nodebug(cp, buf);
}

void
kmem_cache_free(kmem_cache_t *cp, void *buf)
{
	kmem_thread_t *kt;

	if (!(cp->cache_flags & KMF_BUFTAG)) {
		kmem_cache_free_nodebug(cp, buf);
		return;
	}
	kt = kmem_op_enter();
	if (kmem_cache_free_check(cp, buf) == 0)
		kmem_cache_free_known(cp, buf);
	kmem_op_exit(kt);
	kmem_sweep_tick(kt, (uintptr_t)__builtin_return_address(0));
}

/* ------------------------------------------------------------------------
 * Is buf free?  (malloc.c's double-free check, section 4 there.)
 */

static int
kmem_mag_holds(const kmem_magazine_t *mp, int32_t rounds, int32_t magsize,
    const void *buf)
{
	int32_t i;

	if (mp == NULL || rounds <= 0)
		return (0);
	rounds = ST_MIN(rounds, magsize);
	for (i = 0; i < rounds; i++)
		if (__atomic_load_n(&mp->mag_round[i], __ATOMIC_RELAXED) ==
		    buf)
			return (1);
	return (0);
}

/*
 * Is buf, a buffer of one of the kmem_alloc_N caches, among its free
 * buffers: in a thread's magazines, the depot, or the slab layer?  Other
 * threads' magazines are read without their owners (a stale read can only
 * miss a buffer in motion, never invent one: a round that holds buf holds
 * a free buffer).  Slow; called only when free() finds its key.
 */
int
kmem_buf_is_free(kmem_cache_t *cp, void *buf)
{
	int32_t idx = cp->cache_ccidx, magsize;
	kmem_magazine_t *mp;
	kmem_thread_t *kt;
	int found = 0;

	if ((uint32_t)idx >= KMEM_NCACHE_ALLOC)
		return (0);
	st_lock(&kmem_thread_lock);
	for (kt = kmem_thread_list.kt_next; !found &&
	    kt != &kmem_thread_list; kt = kt->kt_next) {
		kmem_cpu_cache_t *cc = &kt->kt_cc[idx];

		magsize = __atomic_load_n(&cc->cc_magsize, __ATOMIC_RELAXED);
		found = kmem_mag_holds(cc->cc_loaded, cc->cc_rounds, magsize,
		    buf) || kmem_mag_holds(cc->cc_ploaded, cc->cc_prounds,
		    magsize, buf);
	}
	st_unlock(&kmem_thread_lock);
	if (!found && cp->cache_magtype != NULL) {
		st_lock(&cp->cache_depot_lock);
		magsize = (int32_t)cp->cache_magtype->mt_magsize;
		for (mp = cp->cache_full.ml_list; !found && mp != NULL;
		    mp = mp->mag_next)
			found = kmem_mag_holds(mp, magsize, magsize, buf);
		st_unlock(&cp->cache_depot_lock);
	}
	return (found || kmem_slab_buf_is_free(cp, buf));
}

/* ------------------------------------------------------------------------
 * verify.c's view of the threads and the depot.  Called with the world
 * stopped (no thread inside a debugged operation), so a thread's
 * quarantine and magazines hold still; the locks are for everything else
 * (thread exit, cache destruction).  careful: only try the locks (a panic
 * may have interrupted their holder).
 */

static int
kmem_visit_lock(st_lock_t *lk, int careful)
{
	if (!careful) {
		st_lock(lk);
		return (1);
	}
	return (st_trylock(lk));
}

/*
 * Is a thread other than the caller inside a debugged operation?  Its id,
 * UINT64_MAX if the list is busy (careful), 0 if none; and the count of
 * debugged frees in *freesp.
 */
uint64_t
kmem_thread_busy_any(uint64_t *freesp, int careful)
{
	kmem_thread_t *kt, *self = kmem_thread_self;
	uint64_t busy = 0, frees;

	if (!kmem_visit_lock(&kmem_thread_lock, careful))
		return (UINT64_MAX);
	frees = kmem_frees_dead;
	for (kt = kmem_thread_list.kt_next; kt != &kmem_thread_list;
	    kt = kt->kt_next) {
		frees += __atomic_load_n(&kt->kt_frees, __ATOMIC_RELAXED);
		if (kt != self && busy == 0 &&
		    __atomic_load_n(&kt->kt_busy, __ATOMIC_ACQUIRE) != 0)
			busy = kt->kt_tid;
	}
	st_unlock(&kmem_thread_lock);
	if (freesp != NULL)
		*freesp = frees;
	return (busy);
}

static void
kmem_visit_mag(kmem_cache_t *cp, kmem_magazine_t *mp, int32_t rounds,
    int32_t magsize, kmem_buf_visit_t *fn, void *arg)
{
	int32_t i;

	if (mp == NULL)
		return;
	for (i = 0; i < ST_MIN(rounds, magsize); i++)
		fn(cp, mp->mag_round[i], arg);
}

/* One thread's quarantine and the magazines of its patterned caches. */
static void
kmem_visit_thread(kmem_thread_t *kt, kmem_buf_visit_t *fn, void *arg,
    int careful)
{
	uint32_t i;

	for (i = 0; i < kt->kt_qcount; i++) {
		uint32_t q = (kt->kt_qhead + i) % KMEM_QUARANTINE_MAX;

		fn(kmem_alloc_caches[kt->kt_qcache[q]], kt->kt_quarantine[q],
		    arg);
	}
	for (i = 0; i < KMEM_CC_MAX; i++) {
		kmem_cache_t *cp = kmem_cc_cache[i];
		kmem_cpu_cache_t *cc = &kt->kt_cc[i];

		if (cp == NULL || !(cp->cache_flags & KMF_DEADBEEF))
			continue;
		/* User caches: kmem_cache_destroy flushes under kt_lock. */
		if (i >= KMEM_NCACHE_ALLOC &&
		    !kmem_visit_lock(&kt->kt_lock, careful))
			continue;
		if (cc->cc_magsize > 0 && kmem_cc_cache[i] == cp) {
			kmem_visit_mag(cp, cc->cc_loaded, cc->cc_rounds,
			    cc->cc_magsize, fn, arg);
			kmem_visit_mag(cp, cc->cc_ploaded, cc->cc_prounds,
			    cc->cc_magsize, fn, arg);
		}
		if (i >= KMEM_NCACHE_ALLOC)
			st_unlock(&kt->kt_lock);
	}
}

/* Every thread's free buffers: quarantines and magazines. */
int
kmem_thread_visit_free(kmem_buf_visit_t *fn, void *arg, int careful)
{
	kmem_thread_t *kt;

	if (!kmem_visit_lock(&kmem_thread_lock, careful))
		return (0);
	for (kt = kmem_thread_list.kt_next; kt != &kmem_thread_list;
	    kt = kt->kt_next)
		kmem_visit_thread(kt, fn, arg, careful);
	st_unlock(&kmem_thread_lock);
	return (1);
}

/* The calling thread's own, as it exits: nobody else may touch them. */
void
kmem_thread_visit_self(kmem_thread_t *kt, kmem_buf_visit_t *fn, void *arg)
{
	kmem_visit_thread(kt, fn, arg, 0);
}

/* The full magazines in cp's depot. */
int
kmem_depot_visit_free(kmem_cache_t *cp, kmem_buf_visit_t *fn, void *arg,
    int careful)
{
	kmem_magazine_t *mp;
	int32_t magsize;

	if (cp->cache_magtype == NULL)
		return (1);
	if (!kmem_visit_lock(&cp->cache_depot_lock, careful))
		return (0);
	magsize = (int32_t)cp->cache_magtype->mt_magsize;
	for (mp = cp->cache_full.ml_list; mp != NULL; mp = mp->mag_next)
		kmem_visit_mag(cp, mp, magsize, magsize, fn, arg);
	cp->cache_depot_swept = cp->cache_depot_puts;
	st_unlock(&cp->cache_depot_lock);
	return (1);
}

/*
 * The leak check's view (leakcheck.c): every round of the magazines of
 * every cache without buffer tags (a tagged buffer says itself that it is
 * free), in every thread and every depot.  Only tries the locks (the
 * other threads are stopped, one perhaps holding one): 0 if one was busy,
 * and the caller tries again later.
 */
static int
kmem_rounds_visit_depot(kmem_cache_t *cp, kmem_buf_visit_t *fn, void *arg)
{
	kmem_magazine_t *mp;
	int32_t magsize;

	if (cp->cache_magtype == NULL)
		return (1);
	if (!st_trylock(&cp->cache_depot_lock))
		return (0);
	magsize = (int32_t)cp->cache_magtype->mt_magsize;
	for (mp = cp->cache_full.ml_list; mp != NULL; mp = mp->mag_next)
		kmem_visit_mag(cp, mp, magsize, magsize, fn, arg);
	st_unlock(&cp->cache_depot_lock);
	return (1);
}

int
kmem_rounds_visit(kmem_buf_visit_t *fn, void *arg)
{
	kmem_thread_t *kt;
	kmem_cache_t *cp;
	int ok = 1;
	uint32_t i;

	if (!st_trylock(&kmem_thread_lock))
		return (0);
	for (kt = kmem_thread_list.kt_next; ok && kt != &kmem_thread_list;
	    kt = kt->kt_next) {
		for (i = 0; ok && i < KMEM_CC_MAX; i++) {
			kmem_cpu_cache_t *cc = &kt->kt_cc[i];

			if ((cp = kmem_cc_cache[i]) == NULL ||
			    (cp->cache_flags & KMF_BUFTAG) ||
			    cc->cc_magsize <= 0)
				continue;
			if (i >= KMEM_NCACHE_ALLOC && !(ok =
			    st_trylock(&kt->kt_lock)))
				break;
			kmem_visit_mag(cp, cc->cc_loaded, cc->cc_rounds,
			    cc->cc_magsize, fn, arg);
			kmem_visit_mag(cp, cc->cc_ploaded, cc->cc_prounds,
			    cc->cc_magsize, fn, arg);
			if (i >= KMEM_NCACHE_ALLOC)
				st_unlock(&kt->kt_lock);
		}
	}
	st_unlock(&kmem_thread_lock);
	for (i = 0; ok && i < KMEM_CC_MAX; i++)
		if ((cp = kmem_cc_cache[i]) != NULL &&
		    !(cp->cache_flags & KMF_BUFTAG))
			ok = kmem_rounds_visit_depot(cp, fn, arg);
	return (ok);
}

/* ------------------------------------------------------------------------
 * Threads.
 */

static void
kmem_thread_unlink(kmem_thread_t *kt)
{
	kt->kt_prev->kt_next = kt->kt_next;
	kt->kt_next->kt_prev = kt->kt_prev;
	kt->kt_next = kt->kt_prev = kt;
}

/*
 * A thread exits: what it freed is verified (verify.c), then its
 * quarantine and magazines go back, inside a debugged operation (so that
 * no verifier sees them half moved), then it leaves the thread list.
 */
static void
kmem_thread_exit(void *arg)
{
	kmem_thread_t *kt = arg, *op;
	int32_t i;

	if (kt == NULL || kt == &kmem_thread_dead)
		return;
	op = kmem_op_enter();
	if (kmem_flags & (KMF_BUFTAG | KMF_LITE))
		kmem_verify_thread_exit(kt);
	kmem_quarantine_flush(kt);      /* before kmem_thread_self changes */
	st_lock(&kt->kt_lock);
	for (i = 0; i < KMEM_CC_MAX; i++) {
		kmem_cache_t *cp = kmem_cc_cache[i];

		if (cp == NULL)
			continue;
		if (kt->kt_cc[i].cc_magsize != 0)
			kmem_cpu_flush(cp, &kt->kt_cc[i], 0);
		__atomic_add_fetch(&cp->cache_alloc_dead,
		    kt->kt_cc[i].cc_alloc, __ATOMIC_RELAXED);
		__atomic_add_fetch(&cp->cache_free_dead,
		    kt->kt_cc[i].cc_free, __ATOMIC_RELAXED);
		kt->kt_cc[i].cc_alloc = kt->kt_cc[i].cc_free = 0;
		kt->kt_cc[i].cc_magsize = 0;
	}
	st_unlock(&kt->kt_lock);
	kmem_op_exit(op);
	st_leak_thread_exit();          /* its stack is dead (leakcheck.c) */
	kmem_thread_exited = 1;
	kmem_thread_self = kmem_thread_fast = &kmem_thread_dead;
	st_lock(&kmem_thread_lock);
	kmem_frees_dead += kt->kt_frees;
	kmem_thread_unlink(kt);
	st_unlock(&kmem_thread_lock);
	kmem_cache_free(kmem_thread_cache, kt);
}

/* Thread states made (the fork child: its own): > 1, the process has
   threads, and the sweep thread need not wait (verify.c). */
uint32_t kmem_threads_made;

/*
 * The calling thread's state, made on its first allocation.  If even the
 * thread structure cannot be had, the thread runs without magazines.
 */
kmem_thread_t *
kmem_thread_self_slow(void)
{
	kmem_thread_t *kt = kmem_thread_self;
	int32_t i;

	if (!kmem_ready)
		kmem_init_slow();
	if (kt != &kmem_thread_dead || kmem_thread_exited)
		return (kt);
	kmem_thread_exited = 1;         /* no recursion from here on */
	kt = kmem_cache_alloc(kmem_thread_cache, KM_NOSLEEP);
	kmem_thread_exited = 0;
	if (kt == NULL)
		return (&kmem_thread_dead);
	memset(kt, 0, sizeof (*kt));
	kt->kt_tid = st_os_thread_id();
	st_lock_init(&kt->kt_lock);
	for (i = 0; i < KMEM_CC_MAX; i++)
		kt->kt_cc[i].cc_rounds = kt->kt_cc[i].cc_prounds = -1;
	st_lock(&kmem_thread_lock);
	kmem_threads_made++;
	kt->kt_next = kmem_thread_list.kt_next;
	kt->kt_prev = &kmem_thread_list;
	kt->kt_next->kt_prev = kt;
	kmem_thread_list.kt_next = kt;
	st_unlock(&kmem_thread_lock);
	kmem_thread_self = kt;
	if (!kmem_debugging)
		kmem_thread_fast = kt;
	st_os_thread_key_set(kt);
	return (kt);
}

/* Flush every thread's magazines of cp (kmem_cache_destroy). */
void
kmem_cache_magazine_purge(kmem_cache_t *cp)
{
	kmem_thread_t *kt;
	int32_t idx = cp->cache_ccidx;

	st_lock(&kmem_thread_lock);
	for (kt = kmem_thread_list.kt_next; idx >= 0 &&
	    kt != &kmem_thread_list; kt = kt->kt_next) {
		st_lock(&kt->kt_lock);
		if (kt->kt_cc[idx].cc_magsize != 0)
			kmem_cpu_flush(cp, &kt->kt_cc[idx], 0);
		kt->kt_cc[idx].cc_magsize = 0;
		st_unlock(&kt->kt_lock);
	}
	if (idx >= 0)
		kmem_cc_cache[idx] = NULL;
	st_unlock(&kmem_thread_lock);
	kmem_depot_purge(cp);
}

/*
 * Allocations and frees of cp so far: the exited threads' (and slab-direct)
 * counts plus every live thread's, read without their owners' cooperation
 * (64-bit loads do not tear; a count may be a few operations stale).
 */
void
kmem_cache_cc_totals(kmem_cache_t *cp, uint64_t *allocp, uint64_t *freep)
{
	kmem_thread_t *kt;
	int32_t idx = cp->cache_ccidx;

	*allocp = __atomic_load_n(&cp->cache_alloc_dead, __ATOMIC_RELAXED);
	*freep = __atomic_load_n(&cp->cache_free_dead, __ATOMIC_RELAXED);
	if (idx < 0)
		return;
	st_lock(&kmem_thread_lock);
	for (kt = kmem_thread_list.kt_next; kt != &kmem_thread_list;
	    kt = kt->kt_next) {
		*allocp += __atomic_load_n(&kt->kt_cc[idx].cc_alloc,
		    __ATOMIC_RELAXED);
		*freep += __atomic_load_n(&kt->kt_cc[idx].cc_free,
		    __ATOMIC_RELAXED);
	}
	st_unlock(&kmem_thread_lock);
}

/* Hand the calling thread's kmem_alloc_N magazines back (malloc_trim). */
void
kmem_thread_flush_self(void)
{
	kmem_thread_t *kt = kmem_thread_self;
	int32_t i;

	if (kt == &kmem_thread_dead)
		return;
	kmem_quarantine_flush(kt);
	for (i = 0; i < KMEM_NCACHE_ALLOC; i++)
		if (kmem_cc_cache[i] != NULL && kt->kt_cc[i].cc_magsize != 0)
			kmem_cpu_flush(kmem_cc_cache[i], &kt->kt_cc[i], 0);
}

void
kmem_thread_init(void)
{
	if (st_os_thread_key_create(kmem_thread_exit) != 0)
		st_panic("cannot create the thread key");
}

void
kmem_thread_fork_prepare(void)
{
	st_lock(&kmem_thread_lock);
}

void
kmem_thread_fork_parent(void)
{
	st_unlock(&kmem_thread_lock);
}

void
kmem_thread_fork_child(void)
{
	kmem_thread_t *self = kmem_thread_self;

	st_lock_init(&kmem_thread_lock);
	kmem_thread_list.kt_next = kmem_thread_list.kt_prev =
	    &kmem_thread_list;
	kmem_threads_made = self != &kmem_thread_dead;
	if (self != &kmem_thread_dead) {
		self->kt_next = self->kt_prev = &kmem_thread_list;
		kmem_thread_list.kt_next = kmem_thread_list.kt_prev = self;
		st_lock_init(&self->kt_lock);
		self->kt_tid = st_os_thread_id();
	}
}
