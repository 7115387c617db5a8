/*
 * whatis.c: "what is this address?" and "who holds this value?":
 * ::whatis, ::kgrep, ::kmausers.
 *
 * 1. ::whatis asks its sources in order, most specific first, as mdb's
 *    whatis framework does with its allocator, module and thread sources,
 *    and stops at the first that knows the address (-a: asks them all):
 *      - the heap (kmem.c's lookup: the page map, then the slabs' ranges,
 *        then the oversize arena): a buffer, its offset, allocated or
 *        freed (and where a free one waits), its bufctl; with auditing,
 *        the buffer's last transaction as ::bufctl -v prints it;
 *      - the allocator's slab metadata: a small slab's kmem_slab_t, the
 *        colour and tail of a slab outside its chunks;
 *      - the threads' stacks: the dump segment that holds a thread's
 *        stack pointer is its stack;
 *      - the modules: a symbol that holds the address (data, bss, text),
 *        in the file the NT_FILE note maps there or just below it;
 *      - the arenas, leaves first: an allocated vmem segment.
 *    The lines read as mdb's: "ADDR is BUF+OFF, allocated from CACHE".
 *
 * 2. ::kgrep scans every byte of memory the dump holds, eight-byte
 *    aligned words, for a value (under a mask): the pointers to a
 *    buffer, the places a handle was stored.  It reads the dump file
 *    directly (the target's segments), so it costs one pass over it.
 *
 * 3. ::kmausers groups the allocated buffers of audited caches by the
 *    stack that allocated them (their audit bufctls) and prints the
 *    stacks holding the most bytes: a leak grows there.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <sys/user.h>
#endif

#include "mdb.h"

#if defined(__x86_64__)
#define	WI_REG_SP	(offsetof(struct user_regs_struct, rsp) / 8)
#elif defined(__aarch64__)
#define	WI_REG_SP	31
#endif

#define	WI_MAXGAP	(64ULL << 20)	/* bss this far after its file */

typedef struct wi_opts {
	bool wo_all;			/* -a: every source */
	bool wo_quiet;			/* -q: no ::bufctl record */
	uint32_t wo_found;		/* sources that knew it */
} wi_opts_t;

static const char *
wi_where(uint8_t where)
{
	switch (where) {
	case MDB_WH_MAGAZINE: return (" (in a magazine)");
	case MDB_WH_QUARANTINE: return (" (in a thread's quarantine)");
	case MDB_WH_FWQUAR: return (" (in the firewall's quarantine)");
	default: return ("");
	}
}

static const char *
wi_kind(uint32_t kind)
{
	switch (kind) {
	case MDB_BK_OVERSIZE: return ("kmem_oversize vmem arena");
	case MDB_BK_BIGBUF: return ("kmem_oversize vmem arena (big buffer)");
	case MDB_BK_FIREWALL: return ("firewall vmem arena");
	case MDB_BK_SAMPLED: return ("the sampled firewall's slots");
	default: return ("?");
	}
}

/* "ADDR is BUF+OFF, " or "ADDR is BUF, " as mdb prints it. */
static void
wi_head(uint64_t addr, uint64_t base)
{
	if (addr == base)
		(void) printf("%llx is %llx, ", (unsigned long long)addr,
		    (unsigned long long)base);
	else if (addr > base)
		(void) printf("%llx is %llx+%llx, ", (unsigned long long)addr,
		    (unsigned long long)base, (unsigned long long)(addr - base));
	else
		(void) printf("%llx is %llx-%llx, ", (unsigned long long)addr,
		    (unsigned long long)base, (unsigned long long)(base - addr));
}

/* Where in its chunk an offset past the buffer falls. */
static const char *
wi_past(const mdb_buf_t *b, uint64_t off)
{
	const kmem_cache_t *cp;

	if (off < b->mb_size)
		return ("");
	if (b->mb_cache == NULL)
		return (" (past its end)");
	cp = &b->mb_cache->mc_cp;
	if ((cp->cache_flags & KMF_BUFTAG) && off >= cp->cache_buftag &&
	    off < kmem_tag_end(cp))
		return (" (in its buffer tag)");
	return (" (past its end: redzone or padding)");
}

static void
wi_buf_json(const mdb_buf_t *b, uint64_t addr)
{
	mj_begin('{', NULL);
	mj_addr("addr", addr);
	mj_str("kind", "buffer");
	mj_addr("buf", b->mb_addr);
	mj_u64("offset", addr - b->mb_addr);
	mj_u64("size", b->mb_size);
	mj_str("cache", b->mb_cache != NULL ?
	    b->mb_cache->mc_cp.cache_name : wi_kind(b->mb_kind));
	mj_str("state", b->mb_alloc ? "allocated" : "freed");
	mj_str("where", b->mb_alloc ? NULL : b->mb_where == MDB_WH_MAGAZINE ?
	    "magazine" : b->mb_where == MDB_WH_QUARANTINE ? "quarantine" :
	    b->mb_where == MDB_WH_FWQUAR ? "firewall_quarantine" : "slab");
	if (b->mb_bufctl != 0)
		mj_addr("bufctl", b->mb_bufctl);
	else
		mj_null("bufctl");
	mj_addr("slab", b->mb_slab);
	mj_end();
}

/* The buffer's last transaction, as ::bufctl -v prints it. */
static void
wi_bufctl(mdb_tgt_t *t, uint64_t bufctl)
{
	char opt[] = "-v", *argv[] = { opt, NULL };
	mdb_cmdctx_t cx = { bufctl, 1, DCMD_ADDRSPEC, NULL };

	(void) dcmd_bufctl(t, &cx, 1, argv);
}

static bool
wi_audited(const mdb_heap_t *h, const mdb_buf_t *b)
{
	if (b->mb_bufctl == 0)
		return (false);
	if (b->mb_cache != NULL)
		return ((b->mb_cache->mc_cp.cache_flags & KMF_AUDIT) != 0);
	return ((h->mh_root.sr_kmem_flags & KMF_AUDIT) != 0);
}

static bool
wi_heap(mdb_heap_t *h, uint64_t addr, wi_opts_t *wo)
{
	mdb_buf_t b;
	const char *name;
	bool audited;

	if (!mdb_heap_lookup(h, addr, &b))
		return (false);
	if (mdb_json) {
		wi_buf_json(&b, addr);
		return (true);
	}
	audited = wi_audited(h, &b) && !wo->wo_quiet;
	name = b.mb_cache != NULL ? b.mb_cache->mc_cp.cache_name :
	    wi_kind(b.mb_kind);
	wi_head(addr, b.mb_addr);
	if (b.mb_bufctl != 0 && !audited)
		(void) printf("bufctl %llx ", (unsigned long long)b.mb_bufctl);
	(void) printf("%s from %s%s%s%s%s\n", b.mb_alloc ? "allocated" :
	    "freed", name, b.mb_cache != NULL && !b.mb_cache->mc_user ?
	    " (the allocator's own)" : "", wi_where(b.mb_where),
	    wi_past(&b, addr - b.mb_addr), audited ? ":" : "");
	if (audited)
		wi_bufctl(h->mh_tgt, b.mb_bufctl);
	return (true);
}

/* In a slab, outside its chunks: the allocator's own bytes. */
static bool
wi_slabmeta(mdb_heap_t *h, uint64_t addr)
{
	uint64_t pm = mdb_heap_pagemap(h, addr);
	const mdb_cache_t *mc;
	kmem_slab_t sl;
	const char *what;

	if (pm == 0 || (pm & PM_TAGS) || mdb_tgt_vread(h->mh_tgt, pm, &sl,
	    sizeof (sl)) != 0 || (mc = mdb_heap_cache(h,
	    (uint64_t)(uintptr_t)sl.slab_cache)) == NULL)
		return (false);
	if (addr >= pm && addr < pm + sizeof (kmem_slab_t)) {
		what = "in the kmem_slab_t";
	} else {
		uint64_t first = (uint64_t)(uintptr_t)sl.slab_base +
		    sl.slab_color;

		/* In a chunk: the heap source's (asked first) to say. */
		if (addr >= first && addr - first < (uint64_t)sl.slab_chunks *
		    mc->mc_cp.cache_chunksize)
			return (false);
		what = "outside the buffers (colour or tail)";
	}
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_addr("addr", addr);
		mj_str("kind", "slab");
		mj_addr("slab", pm);
		mj_str("cache", mc->mc_cp.cache_name);
		mj_end();
		return (true);
	}
	(void) printf("%llx is %s of slab %llx of %s\n",
	    (unsigned long long)addr, what, (unsigned long long)pm,
	    mc->mc_cp.cache_name);
	return (true);
}

static bool
wi_stack(mdb_tgt_t *t, uint64_t addr)
{
	const mdb_seg_t *sg = mdb_tgt_seg(t, addr);
	size_t i;

	for (i = 0; sg != NULL && i < t->t_nthreads; i++) {
		const mdb_thread_t *th = &t->t_threads[i];
		uint64_t sp;

		if (th->th_nregs <= WI_REG_SP)
			continue;
		sp = th->th_regs[WI_REG_SP];
		if (mdb_tgt_seg(t, sp) != sg)
			continue;
		if (mdb_json) {
			mj_begin('{', NULL);
			mj_addr("addr", addr);
			mj_str("kind", "stack");
			mj_u64("thread", th->th_tid);
			mj_addr("sp", sp);
			mj_bool("live", addr >= sp);
			mj_end();
			return (true);
		}
		(void) printf("%llx is in thread %u's stack, %llu bytes %s its "
		    "stack pointer %llx\n", (unsigned long long)addr,
		    th->th_tid, (unsigned long long)(addr >= sp ? addr - sp :
		    sp - addr), addr >= sp ? "above" : "below (unused) of",
		    (unsigned long long)sp);
		return (true);
	}
	return (false);
}

/* The file mapped at addr, or just below it (its bss follows it). */
static const char *
wi_module(mdb_tgt_t *t, uint64_t addr)
{
	const mdb_mapfile_t *best = NULL;
	const char *base;
	size_t i;

	for (i = 0; i < t->t_nfiles; i++) {
		const mdb_mapfile_t *mf = &t->t_files[i];

		if (mf->mf_start > addr)
			break;
		if (addr < mf->mf_end || addr - mf->mf_end < WI_MAXGAP)
			best = mf;
	}
	if (best == NULL)
		return (NULL);
	base = strrchr(best->mf_name, '/');
	return (base != NULL ? base + 1 : best->mf_name);
}

static bool
wi_symbol(mdb_tgt_t *t, uint64_t addr)
{
	char name[512];
	uint64_t start = 0, size = 0;
	const char *mod;

	if (!mdb_sym_lookup(t, addr, name, sizeof (name), &start, &size) ||
	    addr < start || (size != 0 && addr - start >= size) ||
	    (size == 0 && addr != start))
		return (false);
	mod = wi_module(t, addr);
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_addr("addr", addr);
		mj_str("kind", "symbol");
		mj_str("symbol", name);
		mj_u64("offset", addr - start);
		mj_str("module", mod);
		mj_end();
		return (true);
	}
	wi_head(addr, start);
	if (addr == start)
		(void) printf("%s in %s\n", name, mod != NULL ? mod :
		    "an unknown module");
	else
		(void) printf("%s+%llx in %s\n", name,
		    (unsigned long long)(addr - start), mod != NULL ? mod :
		    "an unknown module");
	return (true);
}

typedef struct wi_segfind {
	uint64_t ws_addr;
	uint64_t ws_seg;
	vmem_seg_t ws_vs;
} wi_segfind_t;

static int
wi_seg_find(void *arg, uint64_t seg, const vmem_seg_t *vs)
{
	wi_segfind_t *ws = arg;

	if (vs->vs_type != VMEM_ALLOC_SEG || ws->ws_addr < vs->vs_start ||
	    ws->ws_addr >= vs->vs_end)
		return (0);
	ws->ws_seg = seg;
	ws->ws_vs = *vs;
	return (1);
}

/* An allocated segment of an arena, leaves (listed last) first. */
static bool
wi_vmem(mdb_heap_t *h, uint64_t addr)
{
	wi_segfind_t ws = { addr, 0, { 0 } };
	size_t i;

	for (i = h->mh_nvmem; i-- > 0; ) {
		const mdb_vmem_t *mv = &h->mh_vmem[i];

		if (mdb_heap_walk_segs(h, mv, wi_seg_find, &ws) != 1)
			continue;
		if (mdb_json) {
			mj_begin('{', NULL);
			mj_addr("addr", addr);
			mj_str("kind", "vmem");
			mj_str("arena", mv->mv_vm.vm_name);
			mj_addr("vmem_seg", ws.ws_seg);
			mj_addr("start", ws.ws_vs.vs_start);
			mj_u64("size", ws.ws_vs.vs_end - ws.ws_vs.vs_start);
			mj_end();
			return (true);
		}
		wi_head(addr, ws.ws_vs.vs_start);
		(void) printf("vmem_seg %llx allocated from %s vmem arena\n",
		    (unsigned long long)ws.ws_seg, mv->mv_vm.vm_name);
		return (true);
	}
	return (false);
}

static int
wi_opts(int argc, char **argv, wi_opts_t *wo)
{
	int i;

	(void) memset(wo, 0, sizeof (*wo));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0')
			return (-1);
		for (a++; *a != '\0'; a++) {
			if (*a == 'a')
				wo->wo_all = true;
			else if (*a == 'q')
				wo->wo_quiet = true;
			else if (*a != 'v' && *a != 'b')	/* mdb's, no-ops */
				return (-1);
		}
	}
	return (0);
}

int
dcmd_whatis(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	uint64_t addr = cx->cx_addr;
	mdb_heap_t *h = NULL;
	wi_opts_t wo;
	bool found = false;

	if (wi_opts(argc, argv, &wo) != 0 || !(cx->cx_flags & DCMD_ADDRSPEC))
		return (DCMD_USAGE);
	if (t->t_have_note && (h = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return (DCMD_ERR);
	if (mdb_json && wo.wo_all)
		mj_begin('[', NULL);
	if (h != NULL)
		found = wi_heap(h, addr, &wo);
	if (h != NULL && (!found || wo.wo_all))
		found |= wi_slabmeta(h, addr);
	if (!found || wo.wo_all)
		found |= wi_stack(t, addr);
	if (!found || wo.wo_all)
		found |= wi_symbol(t, addr);
	if (h != NULL && (!found || wo.wo_all))
		found |= wi_vmem(h, addr);
	if (mdb_json && !found) {
		mj_begin('{', NULL);
		mj_addr("addr", addr);
		mj_str("kind", "unknown");
		mj_end();
	} else if (!found) {
		(void) printf("%llx is unknown\n", (unsigned long long)addr);
	}
	if (mdb_json && wo.wo_all)
		mj_end();
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::kgrep
 */

static int
kgrep_opts(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv,
    uint64_t *valp, uint64_t *maskp)
{
	bool have = (cx->cx_flags & DCMD_ADDRSPEC) != 0;
	int i;

	*valp = cx->cx_addr;
	*maskp = UINT64_MAX;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-m") == 0 && argv[i + 1] != NULL) {
			if (mdb_eval(t, argv[++i], maskp) != 0)
				return (DCMD_ERR);
		} else if (argv[i][0] != '-' && !have) {
			if (mdb_eval(t, argv[i], valp) != 0)
				return (DCMD_ERR);
			have = true;
		} else {
			return (DCMD_USAGE);
		}
	}
	return (have ? DCMD_OK : DCMD_USAGE);
}

#define	KG_CHUNK	(1U << 20)	/* bytes read at a time */

/* The matches in [lo, hi) of a readable segment; false to stop. */
static bool
kgrep_seg(mdb_tgt_t *t, uint64_t lo, uint64_t hi, uint64_t mask,
    uint64_t want, uint8_t *buf)
{
	uint64_t a = ST_P2ROUNDUP(lo, 8);

	while (a + 8 <= hi && a >= lo) {
		size_t len = (size_t)ST_MIN((uint64_t)KG_CHUNK, hi - a), i;
		ssize_t n = mdb_tgt_read(t, a, buf, len & ~(size_t)7);

		if (n < 8) {		/* not in the dump: the next page */
			a = ST_P2ALIGN(a + ST_PAGESIZE, ST_PAGESIZE);
			continue;
		}
		for (i = 0; i + 8 <= (size_t)n; i += 8) {
			uint64_t w;

			(void) memcpy(&w, buf + i, 8);
			if ((w & mask) != want)
				continue;
			if (mdb_json)
				mj_addr(NULL, a + i);
			else if (printf("%llx\n", (unsigned long long)(a + i)) < 0)
				return (false);
		}
		a += (uint64_t)n & ~7ULL;
	}
	return (true);
}

int
dcmd_kgrep(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	uint64_t val, mask;
	uint8_t *buf;
	size_t s;
	int rc;

	if ((rc = kgrep_opts(t, cx, argc, argv, &val, &mask)) != DCMD_OK)
		return (rc);
	if ((buf = malloc(KG_CHUNK)) == NULL) {
		mdb_warn("out of memory");
		return (DCMD_ERR);
	}
	if (mdb_json)
		mj_begin('[', NULL);
	/* Each readable segment: the dump's, or a live process's mappings. */
	for (s = 0; s < t->t_nsegs; s++) {
		const mdb_seg_t *sg = &t->t_segs[s];

		mdb_progress("segments searched", s, t->t_nsegs);
		if (!(sg->sg_flags & PF_R) || sg->sg_memsz == 0)
			continue;
		if (!kgrep_seg(t, sg->sg_vaddr, sg->sg_vaddr + (t->t_data !=
		    NULL ? sg->sg_filesz : sg->sg_memsz), mask, val & mask,
		    buf))
			break;
	}
	if (mdb_json)
		mj_end();
	free(buf);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::kmausers
 */

#define	KU_MAXDEPTH	KMEM_STACK_MAX
#define	KU_MINBYTES	8192		/* shown without -e: this many bytes */
#define	KU_MINCOUNT	100		/* ... or this many allocations */

typedef struct ku_owner {
	uint64_t ko_bytes;
	uint64_t ko_count;
	uint64_t ko_size;		/* data size (buffer size) */
	uint32_t ko_depth;
	uint64_t ko_stack[KU_MAXDEPTH];
	struct ku_owner *ko_next;	/* hash chain */
} ku_owner_t;

typedef struct ku_state {
	mdb_heap_t *ks_heap;
	const mdb_cache_t **ks_only;	/* caches named, or NULL */
	int ks_nonly;
	bool ks_full;			/* -f: each bufctl too */
	uint32_t ks_maxdepth;
	ku_owner_t **ks_hash;
	size_t ks_nbuckets;
	ku_owner_t **ks_all;
	size_t ks_n, ks_cap;
	uint64_t ks_noaudit;		/* buffers without a record */
} ku_state_t;

static uint64_t
ku_hash(const uint64_t *pcs, uint32_t n, uint64_t size)
{
	uint64_t h = size * 0x9e3779b97f4a7c15ULL;
	uint32_t i;

	for (i = 0; i < n; i++)
		h = (h ^ pcs[i]) * 0x100000001b3ULL;
	return (h);
}

static ku_owner_t *
ku_owner(ku_state_t *ks, const uint64_t *pcs, uint32_t n, uint64_t size)
{
	size_t b = ku_hash(pcs, n, size) & (ks->ks_nbuckets - 1);
	ku_owner_t *ko, **all;

	for (ko = ks->ks_hash[b]; ko != NULL; ko = ko->ko_next) {
		if (ko->ko_size == size && ko->ko_depth == n &&
		    memcmp(ko->ko_stack, pcs, n * 8) == 0)
			return (ko);
	}
	if (ks->ks_n == ks->ks_cap) {
		size_t cap = ks->ks_cap != 0 ? ks->ks_cap * 2 : 256;

		if ((all = realloc(ks->ks_all, cap * sizeof (*all))) == NULL)
			return (NULL);
		ks->ks_all = all;
		ks->ks_cap = cap;
	}
	if ((ko = calloc(1, sizeof (*ko))) == NULL)
		return (NULL);
	ko->ko_size = size;
	ko->ko_depth = n;
	(void) memcpy(ko->ko_stack, pcs, n * 8);
	ko->ko_next = ks->ks_hash[b];
	ks->ks_hash[b] = ko;
	ks->ks_all[ks->ks_n++] = ko;
	return (ko);
}

static void
ku_stack(mdb_tgt_t *t, const uint64_t *pcs, uint32_t n)
{
	char sym[600];
	uint32_t i;

	for (i = 0; i < n; i++)
		(void) printf("\t %s\n", mdb_sym_format(t, pcs[i], sym,
		    sizeof (sym)));
}

static bool
ku_wanted(const ku_state_t *ks, const mdb_buf_t *b)
{
	int i;

	if (ks->ks_nonly == 0)
		return (true);
	for (i = 0; i < ks->ks_nonly; i++) {
		if (b->mb_cache == ks->ks_only[i])
			return (true);
	}
	return (false);
}

static int
ku_buf(void *arg, const mdb_buf_t *b)
{
	ku_state_t *ks = arg;
	kmem_bufctl_audit_t bc;
	uint64_t pcs[KU_MAXDEPTH];
	mdb_tgt_t *t = ks->ks_heap->mh_tgt;
	ku_owner_t *ko;
	uint32_t n;

	if (!ku_wanted(ks, b) || b->mb_bufctl == 0 || (b->mb_cache != NULL &&
	    !(b->mb_cache->mc_cp.cache_flags & KMF_AUDIT)))
		return (0);
	(void) memset(&bc, 0, sizeof (bc));	/* older: no bc_astackid */
	if (mdb_tgt_vread(t, b->mb_bufctl, &bc, KMEM_BUFCTL_AUDIT_V2SIZE) !=
	    0) {
		ks->ks_noaudit++;
		return (0);
	}
	n = mdb_bc_stack(t, &ks->ks_heap->mh_root, b->mb_bufctl, &bc, pcs,
	    ST_MIN(ks->ks_maxdepth, KU_MAXDEPTH));
	if ((uint64_t)(uintptr_t)bc.bc_addr != b->mb_addr) {
		ks->ks_noaudit++;
		return (0);
	}
	if (ks->ks_full) {
		(void) printf("size %llu, addr %llx, thread %llu, cache %s\n",
		    (unsigned long long)b->mb_size,
		    (unsigned long long)b->mb_addr,
		    (unsigned long long)bc.bc_thread, b->mb_cache != NULL ?
		    b->mb_cache->mc_cp.cache_name : wi_kind(b->mb_kind));
		ku_stack(t, pcs, n);
	}
	if ((ko = ku_owner(ks, pcs, n, b->mb_size)) == NULL)
		return (-1);
	ko->ko_bytes += b->mb_size;
	ko->ko_count++;
	return (0);
}

static int
ku_cmp(const void *a, const void *b)
{
	const ku_owner_t *x = *(ku_owner_t *const *)a;
	const ku_owner_t *y = *(ku_owner_t *const *)b;

	if (x->ko_bytes != y->ko_bytes)
		return (x->ko_bytes > y->ko_bytes ? -1 : 1);
	return (x->ko_count > y->ko_count ? -1 : x->ko_count < y->ko_count);
}

static void
ku_print(const ku_state_t *ks, bool everything)
{
	mdb_tgt_t *t = ks->ks_heap->mh_tgt;
	char sym[600];
	size_t i;
	uint32_t f;

	if (mdb_json)
		mj_begin('[', NULL);
	for (i = 0; i < ks->ks_n; i++) {
		const ku_owner_t *ko = ks->ks_all[i];

		if (!everything && ko->ko_bytes < KU_MINBYTES &&
		    ko->ko_count < KU_MINCOUNT)
			continue;
		if (!mdb_json) {
			(void) printf("%llu bytes for %llu allocations with "
			    "data size %llu:\n", (unsigned long long)
			    ko->ko_bytes, (unsigned long long)ko->ko_count,
			    (unsigned long long)ko->ko_size);
			ku_stack(t, ko->ko_stack, ko->ko_depth);
			continue;
		}
		mj_begin('{', NULL);
		mj_u64("bytes", ko->ko_bytes);
		mj_u64("allocations", ko->ko_count);
		mj_u64("data_size", ko->ko_size);
		mj_begin('[', "stack");
		for (f = 0; f < ko->ko_depth; f++)
			mj_str(NULL, mdb_sym_format(t, ko->ko_stack[f], sym,
			    sizeof (sym)));
		mj_end();
		mj_end();
	}
	if (mdb_json)
		mj_end();
}

static void
ku_free(ku_state_t *ks)
{
	size_t i;

	for (i = 0; i < ks->ks_n; i++)
		free(ks->ks_all[i]);
	free(ks->ks_all);
	free(ks->ks_hash);
	free(ks->ks_only);
}

int
dcmd_kmausers(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	ku_state_t ks;
	bool everything = false;
	int i, rc;

	(void) memset(&ks, 0, sizeof (ks));
	if ((cx->cx_flags & DCMD_ADDRSPEC) ||
	    (ks.ks_heap = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return ((cx->cx_flags & DCMD_ADDRSPEC) ? DCMD_USAGE : DCMD_ERR);
	if (!(ks.ks_heap->mh_root.sr_kmem_flags & KMF_AUDIT)) {
		mdb_warn("no audit records in this dump: the program ran "
		    "without auditing (KMEM_FLAGS=0x1, UMEM_DEBUG=audit)");
		return (DCMD_ERR);
	}
	ks.ks_only = calloc((size_t)argc + 1, sizeof (*ks.ks_only));
	ks.ks_nbuckets = 1 << 16;
	ks.ks_hash = calloc(ks.ks_nbuckets, sizeof (*ks.ks_hash));
	if (ks.ks_only == NULL || ks.ks_hash == NULL) {
		ku_free(&ks);
		mdb_warn("out of memory");
		return (DCMD_ERR);
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-') {
			for (a++; *a != '\0'; a++) {
				if (*a == 'e')
					everything = true;
				else if (*a == 'f')
					ks.ks_full = true;
				else
					goto usage;
			}
			continue;
		}
		if ((ks.ks_only[ks.ks_nonly++] = mdb_heap_cache_byname(
		    ks.ks_heap, a)) == NULL) {
			mdb_warn("no cache named %s", a);
			ku_free(&ks);
			return (DCMD_ERR);
		}
	}
	ks.ks_maxdepth = ks.ks_heap->mh_root.sr_stack_depth;
	if (ks.ks_maxdepth == 0 || ks.ks_maxdepth > KU_MAXDEPTH)
		ks.ks_maxdepth = KU_MAXDEPTH;
	if (mdb_json)
		ks.ks_full = false;	/* one JSON value: the groups */
	rc = mdb_heap_walk(ks.ks_heap, NULL, MDB_WALK_ALLOC |
	    (ks.ks_nonly == 0 ? MDB_WALK_BIG : 0), ku_buf, &ks);
	if (rc >= 0) {
		if (ks.ks_n > 1)
			qsort(ks.ks_all, ks.ks_n, sizeof (*ks.ks_all),
			    ku_cmp);
		ku_print(&ks, everything);
	}
	ku_free(&ks);
	return (rc < 0 ? DCMD_ERR : DCMD_OK);
usage:
	ku_free(&ks);
	return (DCMD_USAGE);
}
