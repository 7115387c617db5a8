/*
 * kmwalk.c: the debugger's walkers and the commands that run them:
 * ::walk NAME [VAR], ADDR::walk NAME, ::walkers.
 *
 * 1. What a walker is.  A named way to visit a set of objects in the
 *    target, printing each one's address on a line of its own, so that
 *    a walk feeds a pipe (`::walk kmem_alloc_256 | ::bufctl`, `::walk
 *    kmem_cache | ::kmem_verify`) or a shell (`::walk kmem ! wc -l`), as
 *    mdb's walkers do.  The table below has the fixed walkers (name,
 *    help, function, whether an address scopes them); and, as mdb adds
 *    one per cache, every cache's name is a walker of that cache's
 *    allocated buffers.
 *
 * 2. Scope.  ADDR::walk kmem, freemem, bufctl, freectl and kmem_slab walk
 *    one cache (ADDR a cache's address, as ::kmem_cache prints); ADDR::walk
 *    vmem_seg, vmem_alloc and vmem_free one arena (::vmem's ADDR).
 *    Without ADDR they walk every cache or every arena.
 *
 * 3. The objects come from the heap model (kmem.c) and the logs
 *    (kmlog.c); their bounds are theirs.  VAR, mdb's variable to hold
 *    each address, is accepted and ignored: this debugger has no
 *    variables.
 */
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

typedef struct kw_ctx {
	mdb_tgt_t *kc_tgt;
	mdb_heap_t *kc_heap;
	const mdb_cache_t *kc_cache;	/* ADDR: this cache only */
	const mdb_vmem_t *kc_vmem;	/* ADDR: this arena only */
	uint8_t kc_segtype;		/* vmem_alloc/free: VMEM_*; 0: all */
	uint64_t kc_count;		/* addresses printed */
	uint32_t kc_flags;		/* leak, leakbuf: the command's */
	bool kc_scoped;			/* ... ADDR: one row's leaks */
	uint64_t kc_addr;
} kw_ctx_t;

typedef int kw_walk_f(kw_ctx_t *);

typedef struct kw_walker {
	const char *kw_name;
	const char *kw_help;
	kw_walk_f *kw_func;
	uint32_t kw_scope;		/* KW_* */
} kw_walker_t;

#define	KW_NONE		0		/* no address */
#define	KW_CACHE	1		/* ADDR: a cache */
#define	KW_ARENA	2		/* ADDR: an arena */
#define	KW_LEAK		3		/* ADDR: a ::findleaks row's */

static int
kw_print(kw_ctx_t *kc, uint64_t addr)
{
	kc->kc_count++;
	return (printf("%llx\n", (unsigned long long)addr) < 0 ? 1 : 0);
}

/* ------------------------------------------------------------------------
 * Buffers and bufctls.
 */

static int
kw_buf_addr(void *arg, const mdb_buf_t *b)
{
	return (kw_print(arg, b->mb_addr));
}

static int
kw_buf_bufctl(void *arg, const mdb_buf_t *b)
{
	if (b->mb_bufctl == 0 || (b->mb_cache != NULL &&
	    !(b->mb_cache->mc_cp.cache_flags & KMF_AUDIT)))
		return (0);
	return (kw_print(arg, b->mb_bufctl));
}

static int
kw_kmem(kw_ctx_t *kc)
{
	return (mdb_heap_walk(kc->kc_heap, kc->kc_cache, MDB_WALK_ALLOC,
	    kw_buf_addr, kc));
}

static int
kw_freemem(kw_ctx_t *kc)
{
	return (mdb_heap_walk(kc->kc_heap, kc->kc_cache, MDB_WALK_FREE,
	    kw_buf_addr, kc));
}

/* Audit bufctls: of audited caches, and firewall headers' records. */
static int
kw_bufctl(kw_ctx_t *kc)
{
	uint32_t big = (kc->kc_heap->mh_root.sr_kmem_flags & KMF_AUDIT) ?
	    MDB_WALK_BIG : 0;

	return (mdb_heap_walk(kc->kc_heap, kc->kc_cache, MDB_WALK_ALLOC |
	    big, kw_buf_bufctl, kc));
}

static int
kw_freectl(kw_ctx_t *kc)
{
	uint32_t big = (kc->kc_heap->mh_root.sr_kmem_flags & KMF_AUDIT) ?
	    MDB_WALK_BIG : 0;

	return (mdb_heap_walk(kc->kc_heap, kc->kc_cache, MDB_WALK_FREE | big,
	    kw_buf_bufctl, kc));
}

/* ------------------------------------------------------------------------
 * Caches, slabs, threads.
 */

static int
kw_kmem_cache(kw_ctx_t *kc)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < kc->kc_heap->mh_ncaches; i++)
		rc = kw_print(kc, kc->kc_heap->mh_caches[i].mc_addr);
	return (rc);
}

static int
kw_slab_addr(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp)
{
	(void) mc, (void) sp;
	return (kw_print(arg, addr));
}

static int
kw_kmem_slab(kw_ctx_t *kc)
{
	mdb_heap_t *h = kc->kc_heap;
	size_t i;
	int rc = 0;

	if (kc->kc_cache != NULL)
		return (mdb_heap_walk_slabs(h, kc->kc_cache, kw_slab_addr, kc));
	for (i = 0; rc >= 0 && rc != 1 && i < h->mh_ncaches; i++)
		rc = mdb_heap_walk_slabs(h, &h->mh_caches[i], kw_slab_addr,
		    kc);
	return (rc);
}

static int
kw_thread(kw_ctx_t *kc)
{
	uint64_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < kc->kc_heap->mh_nthreads; i++)
		rc = kw_print(kc, kc->kc_heap->mh_threads[i]);
	return (rc);
}

static int
kw_log_rec(void *arg, uint64_t addr)
{
	return (kw_print(arg, addr));
}

static int
kw_kmem_log(kw_ctx_t *kc)
{
	return (mdb_kmlog_walk(kc->kc_tgt, "transaction", kw_log_rec, kc));
}

/* ------------------------------------------------------------------------
 * Arenas and segments.
 */

static int
kw_vmem(kw_ctx_t *kc)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < kc->kc_heap->mh_nvmem; i++)
		rc = kw_print(kc, kc->kc_heap->mh_vmem[i].mv_addr);
	return (rc);
}

static int
kw_seg(void *arg, uint64_t addr, const vmem_seg_t *vs)
{
	kw_ctx_t *kc = arg;

	if (kc->kc_segtype != 0 && vs->vs_type != kc->kc_segtype)
		return (0);
	return (kw_print(kc, addr));
}

static int
kw_segs(kw_ctx_t *kc)
{
	mdb_heap_t *h = kc->kc_heap;
	size_t i;
	int rc = 0;

	if (kc->kc_vmem != NULL)
		return (mdb_heap_walk_segs(h, kc->kc_vmem, kw_seg, kc));
	for (i = 0; rc == 0 && i < h->mh_nvmem; i++)
		rc = mdb_heap_walk_segs(h, &h->mh_vmem[i], kw_seg, kc);
	return (rc);
}

static int
kw_vmem_seg(kw_ctx_t *kc)
{
	kc->kc_segtype = 0;
	return (kw_segs(kc));
}

static int
kw_vmem_alloc(kw_ctx_t *kc)
{
	kc->kc_segtype = VMEM_ALLOC_SEG;
	return (kw_segs(kc));
}

static int
kw_vmem_free(kw_ctx_t *kc)
{
	kc->kc_segtype = VMEM_FREE_SEG;
	return (kw_segs(kc));
}

/* ::findleaks's leaks (findleaks.c). */
static int
kw_leak_print(void *arg, uint64_t addr)
{
	return (kw_print(arg, addr));
}

static int
kw_leak(kw_ctx_t *kc)
{
	return (mdb_leak_walk(kc->kc_tgt, kc->kc_flags, kc->kc_scoped,
	    kc->kc_addr, false, kw_leak_print, kc));
}

static int
kw_leakbuf(kw_ctx_t *kc)
{
	return (mdb_leak_walk(kc->kc_tgt, kc->kc_flags, kc->kc_scoped,
	    kc->kc_addr, true, kw_leak_print, kc));
}

static const kw_walker_t kw_walkers[] = {
	{ "bufctl", "audit bufctls of allocated buffers", kw_bufctl,
	    KW_CACHE },
	{ "freectl", "audit bufctls of free buffers", kw_freectl, KW_CACHE },
	{ "freemem", "free buffers (slabs, magazines, quarantines)",
	    kw_freemem, KW_CACHE },
	{ "kmem", "allocated buffers of every cache", kw_kmem, KW_CACHE },
	{ "kmem_cache", "caches", kw_kmem_cache, KW_NONE },
	{ "kmem_log", "transaction log records, newest first", kw_kmem_log,
	    KW_NONE },
	{ "kmem_slab", "slabs", kw_kmem_slab, KW_CACHE },
	{ "leak", "::findleaks's leaks: bufctls (buffers when not audited)",
	    kw_leak, KW_LEAK },
	{ "leakbuf", "::findleaks's leaked buffers", kw_leakbuf, KW_LEAK },
	{ "thread", "threads' kmem_thread_t (magazines, quarantine)",
	    kw_thread, KW_NONE },
	{ "vmem", "vmem arenas", kw_vmem, KW_NONE },
	{ "vmem_alloc", "allocated segments of an arena", kw_vmem_alloc,
	    KW_ARENA },
	{ "vmem_free", "free segments of an arena", kw_vmem_free, KW_ARENA },
	{ "vmem_seg", "segments of an arena (spans too)", kw_vmem_seg,
	    KW_ARENA },
	{ NULL, NULL, NULL, 0 }
};

static const kw_walker_t *
kw_lookup(const char *name)
{
	const kw_walker_t *kw;

	for (kw = kw_walkers; kw->kw_name != NULL; kw++) {
		if (strcmp(kw->kw_name, name) == 0)
			return (kw);
	}
	return (NULL);
}

/* ADDR scopes the walk: a cache or an arena, as the walker wants. */
static int
kw_scope(kw_ctx_t *kc, const kw_walker_t *kw, const mdb_cmdctx_t *cx)
{
	kc->kc_flags = cx->cx_flags;
	if (!(cx->cx_flags & DCMD_ADDRSPEC))
		return (0);
	if (kw->kw_scope == KW_LEAK) {
		kc->kc_scoped = true;
		kc->kc_addr = cx->cx_addr;
		return (0);
	}
	if (kw->kw_scope == KW_CACHE &&
	    (kc->kc_cache = mdb_heap_cache(kc->kc_heap, cx->cx_addr)) != NULL)
		return (0);
	if (kw->kw_scope == KW_ARENA &&
	    (kc->kc_vmem = mdb_heap_vmem(kc->kc_heap, cx->cx_addr)) != NULL)
		return (0);
	if (kw->kw_scope == KW_NONE)
		mdb_warn("walker %s takes no address", kw->kw_name);
	else
		mdb_warn("%llx is not %s", (unsigned long long)cx->cx_addr,
		    kw->kw_scope == KW_CACHE ? "a cache" : "an arena");
	return (-1);
}

int
dcmd_walk(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	kw_ctx_t kc = { t, NULL, NULL, NULL, 0, 0, 0, false, 0 };
	const kw_walker_t *kw;
	int rc;

	if (argc < 1 || argc > 2 || argv[0][0] == '-')
		return (DCMD_USAGE);
	/* The log needs no heap model (a damaged heap has a log too). */
	if ((kw = kw_lookup(argv[0])) != NULL && kw->kw_func == kw_kmem_log) {
		if (kw_scope(&kc, kw, cx) != 0)
			return (DCMD_ERR);
		return (kw->kw_func(&kc) < 0 ? DCMD_ERR : DCMD_OK);
	}
	if ((kc.kc_heap = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return (DCMD_ERR);
	if (kw == NULL) {
		/* A cache's name: its allocated buffers. */
		if ((kc.kc_cache = mdb_heap_cache_byname(kc.kc_heap,
		    argv[0])) == NULL) {
			mdb_warn("no walker named %s (::walkers lists them)",
			    argv[0]);
			return (DCMD_ERR);
		}
		if (cx->cx_flags & DCMD_ADDRSPEC) {
			mdb_warn("walker %s takes no address", argv[0]);
			return (DCMD_ERR);
		}
		return (kw_kmem(&kc) < 0 ? DCMD_ERR : DCMD_OK);
	}
	if (kw_scope(&kc, kw, cx) != 0)
		return (DCMD_ERR);
	rc = kw->kw_func(&kc);
	return (rc < 0 ? DCMD_ERR : DCMD_OK);
}

int
dcmd_walkers(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const kw_walker_t *kw;
	mdb_heap_t *h;
	size_t i;

	(void) argv;
	if (argc != 0 || (cx->cx_flags & DCMD_ADDRSPEC))
		return (DCMD_USAGE);
	if (mdb_json)
		mj_begin('[', NULL);
	for (kw = kw_walkers; kw->kw_name != NULL; kw++) {
		if (mdb_json) {
			mj_begin('{', NULL);
			mj_str("name", kw->kw_name);
			mj_str("help", kw->kw_help);
			mj_end();
			continue;
		}
		(void) printf("%-24s - %s%s\n", kw->kw_name, kw->kw_help,
		    kw->kw_scope == KW_CACHE ? " (ADDR: one cache)" :
		    kw->kw_scope == KW_ARENA ? " (ADDR: one arena)" : "");
	}
	/* One walker per cache, when the dump has a heap. */
	h = t->t_have_note ? mdb_heap_get(t, cx->cx_flags) : NULL;
	for (i = 0; h != NULL && i < h->mh_ncaches; i++) {
		const char *name = h->mh_caches[i].mc_cp.cache_name;

		if (kw_lookup(name) != NULL)
			continue;
		if (mdb_json) {
			mj_begin('{', NULL);
			mj_str("name", name);
			mj_str("help", "allocated buffers of this cache");
			mj_end();
			continue;
		}
		(void) printf("%-24s - allocated buffers of this cache\n",
		    name);
	}
	if (mdb_json)
		mj_end();
	return (DCMD_OK);
}
