/*
 * kmstat.c: the debugger's tables of caches and arenas: ::kmem_cache,
 * ::kmastat, ::kmem_slabs, ::vmem, ::vmem_seg.
 *
 * 1. What they read.  The heap model (kmem.c): each cache's copy with its
 *    counters, the rounds held in magazines and quarantines, the arenas
 *    with their kstats.  Only ::kmem_slabs walks slabs (their headers,
 *    not their buffers) and ::vmem_seg an arena's segments; ::kmastat
 *    costs the model alone, whatever the size of the heap.
 *
 * 2. Formats.  mdb's (the reference's section 1.3): ::kmem_cache is
 *    ADDR NAME FLAG CFLAG BUFSIZE BUFTOTL; ::kmastat the kernel's table
 *    (cache name, buf size, in use, total, memory in use, allocations
 *    succeeded and failed, then a Total line per arena that backs caches)
 *    and its vmem table; ::vmem ADDR NAME INUSE TOTAL SUCCEED FAIL with
 *    each arena indented under its source; ::vmem_seg ADDR TYPE START END
 *    SIZE.  Columns are wider than the kernel's where a million buffers
 *    would not fit.  Under a pipe (DCMD_PIPE_OUT) each prints the
 *    addresses of its rows only; with -j one JSON value.
 *
 * 3. Counting.  A cache's buffers in use are its slab buffers that are
 *    not on a slab's free list (cache_buftotal - cache_buftotal_free)
 *    less the free ones held above the slabs: magazine rounds and
 *    quarantines, as mdb subtracts its magazine and per-CPU rounds.
 *    Memory in use is the cache's slabs times the slab size;
 *    allocations are every thread's cc_alloc plus the exited threads'.
 */
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

/* Parse single-letter flags of argv into *bits (index = letter - 'a'). */
static int
ks_flags(int argc, char **argv, const char *valid, uint32_t *bits,
    const char **namep)
{
	int i;

	*bits = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0')
			return (-1);
		for (a++; *a != '\0'; a++) {
			if (*a == 'n' && namep != NULL && strchr(valid, 'n')) {
				*namep = a[1] != '\0' ? a + 1 : argv[++i];
				if (*namep == NULL)
					return (-1);
				break;
			}
			if (*a < 'a' || *a > 'z' || strchr(valid, *a) == NULL)
				return (-1);
			*bits |= 1U << (*a - 'a');
		}
	}
	return (0);
}

#define	KS_FLAG(bits, c)	(((bits) >> ((c) - 'a')) & 1)

/* The cache named by ADDR (a cache's address) or NULL for all. */
static int
ks_one_cache(mdb_heap_t *h, const mdb_cmdctx_t *cx, const mdb_cache_t **mcp)
{
	*mcp = NULL;
	if (!(cx->cx_flags & DCMD_ADDRSPEC))
		return (0);
	if ((*mcp = mdb_heap_cache(h, cx->cx_addr)) == NULL) {
		mdb_warn("%llx is not a cache", (unsigned long long)cx->cx_addr);
		return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------------
 * ::kmem_cache
 */

static void
kmem_cache_row(const mdb_cache_t *mc, uint32_t flags)
{
	const kmem_cache_t *cp = &mc->mc_cp;

	if (flags & DCMD_PIPE_OUT) {
		(void) printf("%llx\n", (unsigned long long)mc->mc_addr);
		return;
	}
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_addr("addr", mc->mc_addr);
		mj_str("name", cp->cache_name);
		mj_u64("flag", cp->cache_flags);
		mj_u64("cflag", cp->cache_cflags);
		mj_u64("bufsize", cp->cache_bufsize);
		mj_u64("buftotal", cp->cache_buftotal);
		mj_end();
		return;
	}
	(void) printf("%016llx %-25s %04x %08x %8llu %8llu\n",
	    (unsigned long long)mc->mc_addr, cp->cache_name, cp->cache_flags,
	    cp->cache_cflags, (unsigned long long)cp->cache_bufsize,
	    (unsigned long long)cp->cache_buftotal);
}

int
dcmd_kmem_cache(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const char *name = NULL;
	const mdb_cache_t *one;
	mdb_heap_t *h;
	uint32_t bits;
	size_t i;

	if (ks_flags(argc, argv, "n", &bits, &name) != 0)
		return (DCMD_USAGE);
	if ((h = mdb_heap_get(t, cx->cx_flags)) == NULL ||
	    ks_one_cache(h, cx, &one) != 0)
		return (DCMD_ERR);
	if (mdb_json)
		mj_begin('[', NULL);
	else if (!(cx->cx_flags & DCMD_PIPE_OUT) &&
	    DCMD_HDRSPEC(cx->cx_flags))
		(void) printf("%-16s %-25s %4s %8s %8s %8s\n", "ADDR", "NAME",
		    "FLAG", "CFLAG", "BUFSIZE", "BUFTOTL");
	for (i = 0; i < h->mh_ncaches; i++) {
		const mdb_cache_t *mc = &h->mh_caches[i];

		if ((one != NULL && mc != one) || (name != NULL &&
		    strcmp(name, mc->mc_cp.cache_name) != 0))
			continue;
		kmem_cache_row(mc, cx->cx_flags);
	}
	if (mdb_json)
		mj_end();
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::kmastat
 */

typedef struct ks_stat {
	uint64_t st_inuse;		/* buffers in use */
	uint64_t st_total;		/* buffers in slabs */
	uint64_t st_mem;		/* bytes of slabs */
	uint64_t st_alloc;		/* allocations succeeded */
	uint64_t st_fail;
} ks_stat_t;

static void
ks_cache_stat(const mdb_cache_t *mc, ks_stat_t *st)
{
	const kmem_cache_t *cp = &mc->mc_cp;
	uint64_t out = cp->cache_buftotal - ST_MIN(cp->cache_buftotal_free,
	    cp->cache_buftotal);

	st->st_total = cp->cache_buftotal;
	st->st_inuse = out - ST_MIN(mc->mc_nrounds, out);
	st->st_mem = (cp->cache_partial_count + cp->cache_complete_count +
	    cp->cache_empty_count) * cp->cache_slabsize;
	st->st_alloc = mc->mc_nalloc;
	st->st_fail = cp->cache_alloc_fail;
}

/* Memory in the unit -k, -m or -g asked for (the kernel's ::kmastat). */
typedef struct ks_unit {
	uint64_t ku_div;
	char ku_suffix;			/* '\0' for bytes */
} ks_unit_t;

static void
ks_mem(char *buf, size_t len, uint64_t v, const ks_unit_t *u)
{
	if (u->ku_div == 1)
		(void) snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		(void) snprintf(buf, len, "%llu%c",
		    (unsigned long long)(v / u->ku_div), u->ku_suffix);
}

static const char ks_rule[] = "------------------------- ------ --------- "
	"--------- ------------ ------------ -----";

static void
kmastat_cache(const mdb_cache_t *mc, const ks_unit_t *u)
{
	ks_stat_t st;
	char mem[32];

	ks_cache_stat(mc, &st);
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("name", mc->mc_cp.cache_name);
		mj_addr("addr", mc->mc_addr);
		mj_u64("bufsize", mc->mc_cp.cache_bufsize);
		mj_u64("buf_inuse", st.st_inuse);
		mj_u64("buf_total", st.st_total);
		mj_u64("memory_inuse", st.st_mem);
		mj_u64("alloc_succeed", st.st_alloc);
		mj_u64("alloc_fail", st.st_fail);
		mj_end();
		return;
	}
	ks_mem(mem, sizeof (mem), st.st_mem, u);
	(void) printf("%-25s %6llu %9llu %9llu %12s %12llu %5llu\n",
	    mc->mc_cp.cache_name, (unsigned long long)mc->mc_cp.cache_bufsize,
	    (unsigned long long)st.st_inuse, (unsigned long long)st.st_total,
	    mem, (unsigned long long)st.st_alloc,
	    (unsigned long long)st.st_fail);
}

/* "Total [arena]": the caches whose slabs come from arena mv. */
static void
kmastat_total(mdb_heap_t *h, const mdb_vmem_t *mv, const ks_unit_t *u)
{
	ks_stat_t sum = { 0, 0, 0, 0, 0 }, st;
	char name[64], mem[32];
	size_t i, n = 0;

	for (i = 0; i < h->mh_ncaches; i++) {
		if ((uint64_t)(uintptr_t)h->mh_caches[i].mc_cp.cache_arena !=
		    mv->mv_addr)
			continue;
		ks_cache_stat(&h->mh_caches[i], &st);
		sum.st_mem += st.st_mem;
		sum.st_alloc += st.st_alloc;
		sum.st_fail += st.st_fail;
		n++;
	}
	if (n == 0)
		return;
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("arena", mv->mv_vm.vm_name);
		mj_u64("memory_inuse", sum.st_mem);
		mj_u64("alloc_succeed", sum.st_alloc);
		mj_u64("alloc_fail", sum.st_fail);
		mj_end();
		return;
	}
	(void) snprintf(name, sizeof (name), "Total [%s]", mv->mv_vm.vm_name);
	ks_mem(mem, sizeof (mem), sum.st_mem, u);
	(void) printf("%-25s %6s %9s %9s %12s %12llu %5llu\n", name, "", "",
	    "", mem, (unsigned long long)sum.st_alloc,
	    (unsigned long long)sum.st_fail);
}

static void
kmastat_vmem(const mdb_vmem_t *mv, const ks_unit_t *u)
{
	const vmem_kstat_t *vk = &mv->mv_vm.vm_kstat;
	char in[32], tot[32], imp[32];

	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("name", mv->mv_vm.vm_name);
		mj_addr("addr", mv->mv_addr);
		mj_u64("depth", (uint64_t)mv->mv_depth);
		mj_u64("memory_inuse", vk->vk_mem_inuse);
		mj_u64("memory_total", vk->vk_mem_total);
		mj_u64("memory_import", vk->vk_mem_import);
		mj_u64("alloc_succeed", vk->vk_alloc);
		mj_u64("alloc_fail", vk->vk_fail);
		mj_end();
		return;
	}
	ks_mem(in, sizeof (in), vk->vk_mem_inuse, u);
	ks_mem(tot, sizeof (tot), vk->vk_mem_total, u);
	ks_mem(imp, sizeof (imp), vk->vk_mem_import, u);
	(void) printf("%*s%-*s %12s %12s %12s %12llu %5llu\n",
	    2 * mv->mv_depth, "", 25 - 2 * mv->mv_depth, mv->mv_vm.vm_name,
	    in, tot, imp, (unsigned long long)vk->vk_alloc,
	    (unsigned long long)vk->vk_fail);
}

static void
kmastat_header(void)
{
	(void) printf("%-25s %6s %9s %9s %12s %12s %5s\n", "cache", "buf",
	    "buf", "buf", "memory", "alloc", "alloc");
	(void) printf("%-25s %6s %9s %9s %12s %12s %5s\n", "name", "size",
	    "in use", "total", "in use", "succeed", "fail");
	(void) printf("%s\n", ks_rule);
}

int
dcmd_kmastat(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	ks_unit_t u = { 1, '\0' };
	mdb_heap_t *h;
	uint32_t bits;
	size_t i;

	if (ks_flags(argc, argv, "kmg", &bits, NULL) != 0 ||
	    (cx->cx_flags & DCMD_ADDRSPEC))
		return (DCMD_USAGE);
	if (KS_FLAG(bits, 'k'))
		u = (ks_unit_t){ 1ULL << 10, 'K' };
	if (KS_FLAG(bits, 'm'))
		u = (ks_unit_t){ 1ULL << 20, 'M' };
	if (KS_FLAG(bits, 'g'))
		u = (ks_unit_t){ 1ULL << 30, 'G' };
	if ((h = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return (DCMD_ERR);
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_begin('[', "caches");
	} else {
		kmastat_header();
	}
	for (i = 0; i < h->mh_ncaches; i++)
		kmastat_cache(&h->mh_caches[i], &u);
	if (mdb_json) {
		mj_end();
		mj_begin('[', "totals");
	} else {
		(void) printf("%s\n", ks_rule);
	}
	for (i = 0; i < h->mh_nvmem; i++)
		kmastat_total(h, &h->mh_vmem[i], &u);
	if (mdb_json) {
		mj_end();
		mj_begin('[', "vmem");
	} else {
		(void) printf("%s\n\n", ks_rule);
		(void) printf("%-25s %12s %12s %12s %12s %5s\n", "vmem",
		    "memory", "memory", "memory", "alloc", "alloc");
		(void) printf("%-25s %12s %12s %12s %12s %5s\n", "name",
		    "in use", "total", "import", "succeed", "fail");
		(void) printf("------------------------- ------------ "
		    "------------ ------------ ------------ -----\n");
	}
	for (i = 0; i < h->mh_nvmem; i++)
		kmastat_vmem(&h->mh_vmem[i], &u);
	if (mdb_json) {
		mj_end();
		mj_end();
	}
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::kmem_slabs
 */

#define	KS_MAXPARTIAL	32		/* -v: partial slabs listed */

typedef struct ks_slabs {
	uint64_t ss_slabs, ss_partial, ss_bufs, ss_used, ss_bytes;
	uint64_t ss_empty, ss_complete;
	uint32_t ss_prefcnt[KS_MAXPARTIAL];	/* -v: partial slabs' use */
	uint32_t ss_nlisted;
} ks_slabs_t;

static int
ks_slab_count(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp)
{
	ks_slabs_t *ss = arg;

	(void) mc, (void) addr;
	ss->ss_slabs++;
	ss->ss_bufs += sp->slab_chunks;
	ss->ss_used += sp->slab_refcnt;
	ss->ss_bytes += sp->slab_size;
	if (sp->slab_refcnt == 0) {
		ss->ss_empty++;
	} else if (sp->slab_refcnt == sp->slab_chunks) {
		ss->ss_complete++;
	} else {
		ss->ss_partial++;
		if (ss->ss_nlisted < KS_MAXPARTIAL)
			ss->ss_prefcnt[ss->ss_nlisted++] = sp->slab_refcnt;
	}
	return (0);
}

static void
kmem_slabs_row(const mdb_cache_t *mc, const ks_slabs_t *ss, bool verbose)
{
	uint64_t used = ss->ss_used * mc->mc_cp.cache_bufsize;
	uint64_t waste = ss->ss_bytes > used ? ss->ss_bytes - used : 0;
	uint64_t pct = ss->ss_bytes != 0 ? waste * 1000 / ss->ss_bytes : 0;
	uint32_t i;

	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("name", mc->mc_cp.cache_name);
		mj_addr("addr", mc->mc_addr);
		mj_u64("slabs", ss->ss_slabs);
		mj_u64("partial_slabs", ss->ss_partial);
		mj_u64("empty_slabs", ss->ss_empty);
		mj_u64("buffers", ss->ss_bufs);
		mj_u64("unused_buffers", ss->ss_bufs - ss->ss_used);
		mj_u64("waste_permille", pct);
		mj_end();
		return;
	}
	(void) printf("%-25s %9llu %13llu %9llu %14llu %3llu.%llu%%\n",
	    mc->mc_cp.cache_name, (unsigned long long)ss->ss_slabs,
	    (unsigned long long)ss->ss_partial,
	    (unsigned long long)ss->ss_bufs,
	    (unsigned long long)(ss->ss_bufs - ss->ss_used),
	    (unsigned long long)(pct / 10), (unsigned long long)(pct % 10));
	if (!verbose || ss->ss_slabs == 0)
		return;
	(void) printf("  %llu complete (%u per slab), %llu partial, %llu "
	    "empty", (unsigned long long)ss->ss_complete,
	    mc->mc_cp.cache_chunks, (unsigned long long)ss->ss_partial,
	    (unsigned long long)ss->ss_empty);
	if (ss->ss_nlisted != 0)
		(void) printf(": in use");
	for (i = 0; i < ss->ss_nlisted; i++)
		(void) printf(" %u", ss->ss_prefcnt[i]);
	if (ss->ss_partial > ss->ss_nlisted)
		(void) printf(" ...");
	(void) putchar('\n');
}

int
dcmd_kmem_slabs(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const char *name = NULL;
	const mdb_cache_t *one;
	mdb_heap_t *h;
	uint32_t bits;
	size_t i;
	int rc = DCMD_OK;

	if (ks_flags(argc, argv, "nv", &bits, &name) != 0)
		return (DCMD_USAGE);
	if ((h = mdb_heap_get(t, cx->cx_flags)) == NULL ||
	    ks_one_cache(h, cx, &one) != 0)
		return (DCMD_ERR);
	if (mdb_json)
		mj_begin('[', NULL);
	else if (DCMD_HDRSPEC(cx->cx_flags))
		(void) printf("%-25s %9s %13s %9s %14s %6s\n"
		    "------------------------- --------- ------------- "
		    "--------- -------------- ------\n", "Cache Name", "Slabs",
		    "Partial Slabs", "Buffers", "Unused Buffers", "Waste");
	for (i = 0; i < h->mh_ncaches; i++) {
		const mdb_cache_t *mc = &h->mh_caches[i];
		ks_slabs_t ss;

		if ((one != NULL && mc != one) || (name != NULL &&
		    strcmp(name, mc->mc_cp.cache_name) != 0))
			continue;
		(void) memset(&ss, 0, sizeof (ss));
		if (mdb_heap_walk_slabs(h, mc, ks_slab_count, &ss) != 0)
			rc = DCMD_ERR;
		if (cx->cx_flags & DCMD_PIPE_OUT)
			(void) printf("%llx\n", (unsigned long long)mc->mc_addr);
		else
			kmem_slabs_row(mc, &ss, KS_FLAG(bits, 'v'));
	}
	if (mdb_json)
		mj_end();
	return (rc);
}

/* ------------------------------------------------------------------------
 * ::vmem, ::vmem_seg
 */

static void
vmem_row(const mdb_vmem_t *mv, uint32_t flags)
{
	const vmem_kstat_t *vk = &mv->mv_vm.vm_kstat;

	if (flags & DCMD_PIPE_OUT) {
		(void) printf("%llx\n", (unsigned long long)mv->mv_addr);
		return;
	}
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_addr("addr", mv->mv_addr);
		mj_str("name", mv->mv_vm.vm_name);
		mj_u64("depth", (uint64_t)mv->mv_depth);
		mj_u64("inuse", vk->vk_mem_inuse);
		mj_u64("total", vk->vk_mem_total);
		mj_u64("succeed", vk->vk_alloc);
		mj_u64("fail", vk->vk_fail);
		mj_end();
		return;
	}
	(void) printf("%016llx %*s%-*s %14llu %14llu %10llu %5llu\n",
	    (unsigned long long)mv->mv_addr, 2 * mv->mv_depth, "",
	    24 - 2 * mv->mv_depth, mv->mv_vm.vm_name,
	    (unsigned long long)vk->vk_mem_inuse,
	    (unsigned long long)vk->vk_mem_total,
	    (unsigned long long)vk->vk_alloc, (unsigned long long)vk->vk_fail);
}

int
dcmd_vmem(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const mdb_vmem_t *one = NULL;
	mdb_heap_t *h;
	size_t i;

	(void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if ((h = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return (DCMD_ERR);
	if ((cx->cx_flags & DCMD_ADDRSPEC) &&
	    (one = mdb_heap_vmem(h, cx->cx_addr)) == NULL) {
		mdb_warn("%llx is not an arena", (unsigned long long)cx->cx_addr);
		return (DCMD_ERR);
	}
	if (mdb_json)
		mj_begin('[', NULL);
	else if (!(cx->cx_flags & DCMD_PIPE_OUT) &&
	    DCMD_HDRSPEC(cx->cx_flags))
		(void) printf("%-16s %-24s %14s %14s %10s %5s\n", "ADDR",
		    "NAME", "INUSE", "TOTAL", "SUCCEED", "FAIL");
	for (i = 0; i < h->mh_nvmem; i++) {
		if (one == NULL || &h->mh_vmem[i] == one)
			vmem_row(&h->mh_vmem[i], cx->cx_flags);
	}
	if (mdb_json)
		mj_end();
	return (DCMD_OK);
}

const char *
mdb_vmem_type(uint8_t type)
{
	switch (type) {
	case VMEM_ALLOC_SEG: return ("ALLC");
	case VMEM_FREE_SEG: return ("FREE");
	case VMEM_SPAN: return ("SPAN");
	case VMEM_ROTOR: return ("ROTR");
	case VMEM_WALKER: return ("WLKR");
	default: return ("????");
	}
}

typedef struct vs_opts {
	uint32_t vo_flags;		/* the dcmd's */
	uint64_t vo_min, vo_max;	/* -m, -M */
	int vo_type;			/* -T: VMEM_*, or 0 for any */
} vs_opts_t;

static int
vmem_seg_row(void *arg, uint64_t addr, const vmem_seg_t *vs)
{
	const vs_opts_t *vo = arg;
	uint64_t size = vs->vs_end - vs->vs_start;

	if (size < vo->vo_min || size > vo->vo_max ||
	    (vo->vo_type != 0 && vs->vs_type != vo->vo_type))
		return (0);
	if (vo->vo_flags & DCMD_PIPE_OUT) {
		(void) printf("%llx\n", (unsigned long long)addr);
		return (0);
	}
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_addr("addr", addr);
		mj_str("type", mdb_vmem_type(vs->vs_type));
		mj_addr("start", vs->vs_start);
		mj_addr("end", vs->vs_end);
		mj_u64("size", size);
		mj_bool("imported", vs->vs_type == VMEM_SPAN &&
		    vs->vs_import != 0);
		mj_end();
		return (0);
	}
	(void) printf("%016llx %4s %016llx %016llx %12llu\n",
	    (unsigned long long)addr, mdb_vmem_type(vs->vs_type),
	    (unsigned long long)vs->vs_start, (unsigned long long)vs->vs_end,
	    (unsigned long long)size);
	return (0);
}

static int
vs_parse(mdb_tgt_t *t, int argc, char **argv, vs_opts_t *vo)
{
	int i;

	vo->vo_min = 0;
	vo->vo_max = UINT64_MAX;
	vo->vo_type = 0;
	for (i = 0; i < argc; i += 2) {
		const char *v = argv[i + 1];

		if (strcmp(argv[i], "-m") == 0 && v != NULL) {
			if (mdb_eval(t, v, &vo->vo_min) != 0)
				return (-1);
		} else if (strcmp(argv[i], "-M") == 0 && v != NULL) {
			if (mdb_eval(t, v, &vo->vo_max) != 0)
				return (-1);
		} else if (strcmp(argv[i], "-T") == 0 && v != NULL) {
			static const uint8_t types[] = { VMEM_ALLOC_SEG,
			    VMEM_FREE_SEG, VMEM_SPAN, VMEM_ROTOR };
			size_t k;

			for (k = 0; k < sizeof (types); k++) {
				if (strcasecmp(v, mdb_vmem_type(types[k])) ==
				    0)
					vo->vo_type = types[k];
			}
			if (vo->vo_type == 0)
				return (-1);
		} else {
			return (-1);
		}
	}
	return (0);
}

/*
 * ADDR::vmem_seg: the segment at ADDR; when ADDR is an arena, every
 * segment of it (a short form of ::walk vmem_seg | ::vmem_seg).
 */
int
dcmd_vmem_seg(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const mdb_vmem_t *mv;
	mdb_heap_t *h;
	vmem_seg_t vs;
	vs_opts_t vo;
	int rc = 0;

	if (vs_parse(t, argc, argv, &vo) != 0)
		return (DCMD_USAGE);
	if (!(cx->cx_flags & DCMD_ADDRSPEC)) {
		mdb_warn("::vmem_seg needs a segment's or an arena's address");
		return (DCMD_USAGE);
	}
	vo.vo_flags = cx->cx_flags;
	if ((h = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return (DCMD_ERR);
	if (mdb_json)
		mj_begin('[', NULL);
	else if (!(cx->cx_flags & DCMD_PIPE_OUT) &&
	    DCMD_HDRSPEC(cx->cx_flags))
		(void) printf("%-16s %4s %-16s %-16s %12s\n", "ADDR", "TYPE",
		    "START", "END", "SIZE");
	if ((mv = mdb_heap_vmem(h, cx->cx_addr)) != NULL) {
		rc = mdb_heap_walk_segs(h, mv, vmem_seg_row, &vo);
	} else if (mdb_tgt_vread(t, cx->cx_addr, &vs, sizeof (vs)) != 0) {
		mdb_warn_read(cx->cx_addr, sizeof (vs));
		rc = -1;
	} else if (vs.vs_end < vs.vs_start || mdb_vmem_type(vs.vs_type)[0] ==
	    '?') {
		mdb_warn("%llx does not look like a vmem segment",
		    (unsigned long long)cx->cx_addr);
		rc = -1;
	} else {
		(void) vmem_seg_row(&vo, cx->cx_addr, &vs);
	}
	if (mdb_json)
		mj_end();
	return (rc != 0 ? DCMD_ERR : DCMD_OK);
}
