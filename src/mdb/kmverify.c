/*
 * kmverify.c: ::kmem_verify, the heap checked in the dump, buffer by
 * buffer, as the allocator's own kmem_verify() checks it in the process.
 *
 * 1. What is checked.  Every cache's slab lists (their links and their
 *    slabs' sanity: kmem.c's walks say what is wrong on one line); and,
 *    in a cache with buffer tags (KMF_BUFTAG: KMEM_FLAGS 0x2, 0x4,
 *    UMEM_DEBUG=guards, lite), every chunk with kmem_chunk_verify(), the
 *    check the library's verifier shares (slabtrace_impl.h): the leading
 *    redzone (0xbb) before it, the tag's bxstat, a free buffer's
 *    0xdeadbeef pattern (its first word under lite), an allocated
 *    buffer's redzone word (0xfeedface and the size it records) and the
 *    0xbb padding after its size; and an allocated buffer's bufctl
 *    pointer (a small slab's is the buffer's own tag, a large slab's must
 *    name the buffer).  A cache without tags has only its lists checked.
 *
 * 2. Output.  Without an address, mdb's table: one row per cache, its
 *    name, address and "clean" or how many buffers are corrupt.  With a
 *    cache's address (::kmem_cache's ADDR), a summary for that cache:
 *    each corrupt buffer, what is wrong, at which address and offset,
 *    what should be there and what is.  In a pipe (::walk kmem_cache |
 *    ::kmem_verify) each address gives its table row.
 *
 * 3. The check runs on the copy of each slab the heap walk reads, so
 *    verifying a heap of a million buffers costs one read per slab.
 *
 * 4. Firewall and big buffers (firewall.c) have no tag but a header
 *    (st_fwhdr_t): the bytes from the end of an allocated one to its
 *    last page (a big buffer's first FW_SLACK_MAX, or one byte in lite
 *    mode, as the library checks) must be KMEM_REDZONE_BYTE, and so must
 *    a big buffer's leading bytes from its first page; a freed big
 *    buffer keeps its 0xdeadbeef pattern for fw_verify bytes.  They get
 *    one more row, after the caches', and a line each when corrupt.
 *
 * 5. A live process read while it runs (no -S) is stopped at safe points
 *    for the command first (mdb_tgt_hold_still, one line on stderr): its
 *    threads pattern, tag and untag buffers as they are read, and a busy
 *    one showed hundreds of "corrupt" buffers a run without the stop.
 */
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

#define	KV_MAXLISTED	1000		/* corrupt buffers one summary lists */

typedef struct kv_state {
	mdb_heap_t *kv_heap;
	bool kv_detail;			/* list each corrupt buffer */
	uint64_t kv_bad;		/* corrupt buffers */
	uint64_t kv_listed;
	uint64_t kv_unread;		/* buffers the dump does not hold */
	uint64_t kv_slab;		/* the slab kv_sl is a copy of */
	kmem_slab_t kv_sl;
} kv_state_t;

static const char *
kv_error_name(uint32_t error)
{
	switch (error) {
	case KMERR_MODIFIED: return ("modified");
	case KMERR_REDZONE: return ("redzone");
	case KMERR_BADBUFTAG: return ("buftag");
	case KMERR_BADBUFCTL: return ("bufctl");
	default: return ("other");
	}
}

/* An allocated buffer's bufctl pointer: its own (small) or naming it. */
static bool
kv_bufctl_ok(mdb_heap_t *h, const mdb_buf_t *b)
{
	const kmem_cache_t *cp = &b->mb_cache->mc_cp;
	kmem_bufctl_t bc;

	if (!(cp->cache_flags & KMF_HASH))
		return (b->mb_bufctl == b->mb_addr + cp->cache_bufctl);
	return ((b->mb_bufctl & (KMEM_ALIGN - 1)) == 0 &&
	    mdb_tgt_vread(h->mh_tgt, b->mb_bufctl, &bc, sizeof (bc)) == 0 &&
	    (uint64_t)(uintptr_t)bc.bc_addr == b->mb_addr);
}

static void
kv_json(const mdb_buf_t *b, const kmem_chunk_err_t *ce)
{
	mj_begin('{', NULL);
	mj_addr("buffer", b->mb_addr);
	mj_str("state", b->mb_alloc ? "allocated" : "free");
	mj_str("error", kv_error_name(ce->ce_error));
	mj_addr("at", b->mb_addr + (uint64_t)ce->ce_off);
	mj_i64("offset", ce->ce_off);
	mj_u64("expected", ce->ce_old);
	mj_u64("found", ce->ce_new);
	if (ce->ce_error == KMERR_REDZONE && ce->ce_size != UINT64_MAX)
		mj_u64("size", ce->ce_size);
	mj_end();
}

/* One corrupt buffer's line of a cache's summary. */
static void
kv_print(const mdb_buf_t *b, const kmem_chunk_err_t *ce)
{
	unsigned long long at = b->mb_addr + (uint64_t)ce->ce_off;
	const char *st = b->mb_alloc ? "allocated" : "free";

	if (mdb_json) {
		kv_json(b, ce);
		return;
	}
	(void) printf("  buffer %llx (%s) ", (unsigned long long)b->mb_addr,
	    st);
	switch (ce->ce_error) {
	case KMERR_MODIFIED:
		(void) printf("seems corrupted, at %llx (offset 0x%llx): "
		    "0x%016llx replaced by 0x%016llx\n", at,
		    (unsigned long long)ce->ce_off,
		    (unsigned long long)ce->ce_old,
		    (unsigned long long)ce->ce_new);
		break;
	case KMERR_REDZONE:
		if (ce->ce_off < 0)
			(void) printf("has a corrupt leading redzone, at %llx "
			    "(%lld bytes before it)", at,
			    (long long)-ce->ce_off);
		else
			(void) printf("has a corrupt redzone, at %llx "
			    "(offset 0x%llx)", at,
			    (unsigned long long)ce->ce_off);
		(void) printf(": 0x%02llx replaced by 0x%02llx",
		    (unsigned long long)ce->ce_old,
		    (unsigned long long)ce->ce_new);
		if (ce->ce_off >= 0 && ce->ce_size != UINT64_MAX)
			(void) printf(" (size %llu)",
			    (unsigned long long)ce->ce_size);
		(void) putchar('\n');
		break;
	case KMERR_BADBUFTAG:
		(void) printf("has a corrupt buftag, at %llx: bufctl ^ bxstat "
		    "= %llx, should be %lx (allocated) or %lx (free)\n", at,
		    (unsigned long long)ce->ce_new, KMEM_BUFTAG_ALLOC,
		    KMEM_BUFTAG_FREE);
		break;
	default:
		(void) printf("has a corrupt bufctl pointer %llx\n",
		    (unsigned long long)b->mb_bufctl);
		break;
	}
}

static int
kv_buf(void *arg, const mdb_buf_t *b)
{
	kv_state_t *kv = arg;
	const kmem_cache_t *cp = &b->mb_cache->mc_cp;
	kmem_chunk_err_t ce;
	uint64_t lead;
	int trails;

	if (b->mb_data == NULL) {	/* not in the dump: cannot tell */
		kv->kv_unread++;
		return (0);
	}
	/* The slab's colour: the first chunk's leading redzone. */
	if (b->mb_slab != kv->kv_slab) {
		if (mdb_tgt_vread(kv->kv_heap->mh_tgt, b->mb_slab, &kv->kv_sl,
		    sizeof (kv->kv_sl)) != 0)
			return (0);
		kv->kv_slab = b->mb_slab;
	}
	trails = kv->kv_heap->mh_root.sr_version >= ST_TRAIL_VERSION;
	lead = kmem_lead_len(cp, kv->kv_sl.slab_color, b->mb_addr ==
	    (uint64_t)(uintptr_t)kv->kv_sl.slab_base + kv->kv_sl.slab_color,
	    trails, 1);
	if (kmem_chunk_verify(cp, b->mb_data, lead, kmem_trail_len(cp, trails,
	    1), &ce) == KMERR_NERRORS) {
		if (!ce.ce_alloc || kv_bufctl_ok(kv->kv_heap, b))
			return (0);
		ce.ce_error = KMERR_BADBUFCTL;
	}
	kv->kv_bad++;
	if (kv->kv_detail && kv->kv_listed++ < KV_MAXLISTED)
		kv_print(b, &ce);
	return (0);
}

static int
kv_slab_nop(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp)
{
	(void) arg, (void) mc, (void) addr, (void) sp;
	return (0);
}

/* One cache: its lists, and its chunks if it has tags; -1 if a list is
   corrupt (said on one line). */
static int
kv_cache(kv_state_t *kv, const mdb_cache_t *mc)
{
	if (!(mc->mc_cp.cache_flags & KMF_BUFTAG))
		return (mdb_heap_walk_slabs(kv->kv_heap, mc, kv_slab_nop,
		    NULL));
	return (mdb_heap_walk(kv->kv_heap, mc, MDB_WALK_ALLOC | MDB_WALK_FREE,
	    kv_buf, kv));
}

static void
kv_row(const mdb_cache_t *mc, uint64_t bad, int rc)
{
	char what[64];

	if (rc < 0)
		(void) snprintf(what, sizeof (what), "corrupt slab list");
	else if (bad == 0)
		(void) snprintf(what, sizeof (what), "clean");
	else
		(void) snprintf(what, sizeof (what), "%llu corrupt buffer%s",
		    (unsigned long long)bad, bad == 1 ? "" : "s");
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("name", mc->mc_cp.cache_name);
		mj_addr("addr", mc->mc_addr);
		mj_u64("corrupt", bad);
		mj_bool("lists_ok", rc >= 0);
		mj_bool("tags", (mc->mc_cp.cache_flags & KMF_BUFTAG) != 0);
		mj_str("integrity", what);
		mj_end();
		return;
	}
	(void) printf("%-31s %016llx %s\n", mc->mc_cp.cache_name,
	    (unsigned long long)mc->mc_addr, what);
}

static int
kv_detail(kv_state_t *kv, const mdb_cache_t *mc)
{
	int rc;

	kv->kv_detail = true;
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("cache", mc->mc_cp.cache_name);
		mj_addr("addr", mc->mc_addr);
		mj_bool("tags", (mc->mc_cp.cache_flags & KMF_BUFTAG) != 0);
		mj_begin('[', "corrupt");
	} else {
		(void) printf("Summary for cache '%s'\n", mc->mc_cp.cache_name);
	}
	rc = kv_cache(kv, mc);
	if (mdb_json) {
		mj_end();
		mj_u64("ncorrupt", kv->kv_bad);
		mj_bool("lists_ok", rc >= 0);
		mj_end();
		return (rc);
	}
	if (kv->kv_listed > KV_MAXLISTED)
		(void) printf("  ... and %llu more\n", (unsigned long long)
		    (kv->kv_listed - KV_MAXLISTED));
	if (!(mc->mc_cp.cache_flags & KMF_BUFTAG))
		(void) printf("  (no buffer tags: its slab lists only)\n");
	if (kv->kv_unread != 0)
		(void) printf("  (%llu buffers not in the dump: not checked)\n",
		    (unsigned long long)kv->kv_unread);
	if (kv->kv_bad == 0 && rc >= 0)
		(void) printf("  clean\n");
	return (rc);
}

/* ------------------------------------------------------------------------
 * Firewall and big buffers (section 4): their slack, a big buffer's
 * leading redzone, a freed big buffer's pattern.
 */

#define	KV_BIGLISTED	16

typedef struct kv_big {
	mdb_heap_t *kb_heap;
	uint64_t kb_n;			/* checked */
	uint64_t kb_bad;
	uint64_t kb_unread;
	bool kb_lite;
} kv_big_t;

/* The first byte of [lo, hi) in the target that is not want; 0 if none
   (or not readable: *unreadp set). */
static uint64_t
kv_big_scan(mdb_tgt_t *t, uint64_t lo, uint64_t hi, uint8_t want,
    bool *unreadp)
{
	uint8_t buf[4096];

	while (lo < hi) {
		size_t n = (size_t)ST_MIN(hi - lo, sizeof (buf)), i;

		if (mdb_tgt_vread(t, lo, buf, n) != 0) {
			*unreadp = true;
			return (0);
		}
		for (i = 0; i < n; i++)
			if (buf[i] != want)
				return (lo + i);
		lo += n;
	}
	return (0);
}

static const char *
kv_kind(const mdb_buf_t *b)
{
	return (b->mb_kind == MDB_BK_BIGBUF ? "big" :
	    b->mb_kind == MDB_BK_SAMPLED ? "sampled" : "firewall");
}

static void
kv_big_report(kv_big_t *kb, const mdb_buf_t *b, const char *what,
    uint64_t at, uint8_t want)
{
	uint8_t got = 0;

	if (kb->kb_bad++ >= KV_BIGLISTED)
		return;
	(void) mdb_tgt_vread(kb->kb_heap->mh_tgt, at, &got, 1);
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_addr("buffer", b->mb_addr);
		mj_str("state", b->mb_alloc ? "allocated" : "free");
		mj_str("kind", kv_kind(b));
		mj_str("error", what);
		mj_addr("at", at);
		mj_i64("offset", (int64_t)(at - b->mb_addr));
		mj_u64("expected", want);
		mj_u64("found", got);
		mj_end();
		return;
	}
	(void) printf("  %s buffer %llx (%s, %llu bytes) has %s, at %llx "
	    "(offset %lld): 0x%02x replaced by 0x%02x\n",
	    kv_kind(b), (unsigned long long)b->mb_addr, b->mb_alloc ? "allocated" : "free",
	    (unsigned long long)b->mb_size, what, (unsigned long long)at,
	    (long long)(at - b->mb_addr), want, got);
}

static int
kv_big_buf(void *arg, const mdb_buf_t *b)
{
	kv_big_t *kb = arg;
	mdb_tgt_t *t = kb->kb_heap->mh_tgt;
	st_fwhdr_t fw;
	uint64_t end, slack, at, w, i;
	bool unread = false;

	if (b->mb_hdr == 0 || mdb_tgt_vread(t, b->mb_hdr, &fw,
	    sizeof (fw)) != 0 || fw.fw_magic != FW_MAGIC)
		return (0);
	kb->kb_n++;
	end = fw.fw_base + fw.fw_npages * ST_PAGESIZE;
	if (b->mb_alloc) {
		slack = end - b->mb_addr - b->mb_size;
		if (fw.fw_flags & FW_UNGUARDED)
			slack = ST_MIN(slack, kb->kb_lite ? 1 : FW_SLACK_MAX);
		if ((fw.fw_flags & FW_UNGUARDED) && (at = kv_big_scan(t,
		    fw.fw_base, b->mb_addr, KMEM_REDZONE_BYTE, &unread)) != 0)
			kv_big_report(kb, b, "a corrupt leading redzone", at,
			    KMEM_REDZONE_BYTE);
		else if ((at = kv_big_scan(t, b->mb_addr + b->mb_size,
		    b->mb_addr + b->mb_size + slack, KMEM_REDZONE_BYTE,
		    &unread)) != 0)
			kv_big_report(kb, b, "a corrupt redzone", at,
			    KMEM_REDZONE_BYTE);
	} else if (fw.fw_flags & FW_UNGUARDED) {
		/* A freed big buffer keeps its 0xdeadbeef pattern. */
		for (i = 0; i + 8 <= fw.fw_verify; i += 8) {
			if (mdb_tgt_vread(t, b->mb_addr + i, &w, 8) != 0) {
				unread = true;
				break;
			}
			if (w != KMEM_FREE_PATTERN) {
				for (at = b->mb_addr + i; ; at++) {
					uint8_t c = (uint8_t)(w >> (8 *
					    (at - b->mb_addr - i)));

					if (c != (uint8_t)(KMEM_FREE_PATTERN >>
					    (8 * (at - b->mb_addr - i))))
						break;
				}
				kv_big_report(kb, b, "been modified after it "
				    "was freed", at, (uint8_t)
				    (KMEM_FREE_PATTERN >> (8 * (at -
				    b->mb_addr - i))));
				break;
			}
		}
	}
	if (unread)
		kb->kb_unread++;
	return (0);
}

/* The firewall and big buffers' row, with a line for each corrupt one. */
static void
kv_bigs(mdb_heap_t *h)
{
	kv_big_t kb;

	(void) memset(&kb, 0, sizeof (kb));
	kb.kb_heap = h;
	kb.kb_lite = (h->mh_root.sr_kmem_flags & KMF_LITE) != 0;
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_str("name", "firewall and big buffers");
		mj_begin('[', "corrupt");
	}
	(void) mdb_heap_walk(h, NULL, MDB_WALK_BIG | MDB_WALK_ALLOC |
	    MDB_WALK_FREE | MDB_WALK_NOCACHE, kv_big_buf, &kb);
	if (mdb_json) {
		mj_end();
		mj_u64("checked", kb.kb_n);
		mj_u64("ncorrupt", kb.kb_bad);
		mj_end();
		return;
	}
	if (kb.kb_n == 0)
		return;
	if (kb.kb_bad > KV_BIGLISTED)
		(void) printf("  ... and %llu more\n", (unsigned long long)
		    (kb.kb_bad - KV_BIGLISTED));
	(void) printf("%-31s %-16s %s%s\n", "(firewall and big buffers)", "-",
	    kb.kb_bad == 0 ? "clean" : "corrupt buffers above",
	    kb.kb_unread != 0 ? " (some not in the dump)" : "");
}

int
dcmd_kmem_verify(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	kv_state_t kv;
	const mdb_cache_t *one = NULL;
	uint32_t flags = cx->cx_flags;
	size_t i;
	int rc;

	(void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	(void) memset(&kv, 0, sizeof (kv));
	/*
	 * A running process's buffers are half way through malloc and free
	 * as they are read: they would look corrupt (hundreds of them in a
	 * busy program).  It holds still first, and the model is read again.
	 */
	if (mdb_tgt_moving(t) && mdb_tgt_hold_still(t, "::kmem_verify "
	    "checks buffers that it changes") == 0)
		flags &= ~(uint32_t)DCMD_LOOP;
	if ((kv.kv_heap = mdb_heap_get(t, flags)) == NULL)
		return (DCMD_ERR);
	if ((cx->cx_flags & DCMD_ADDRSPEC) &&
	    (one = mdb_heap_cache(kv.kv_heap, cx->cx_addr)) == NULL) {
		mdb_warn("%llx is not a cache", (unsigned long long)cx->cx_addr);
		return (DCMD_ERR);
	}
	if (one != NULL && !(cx->cx_flags & DCMD_LOOP))
		return (kv_detail(&kv, one) < 0 ? DCMD_ERR : DCMD_OK);
	if (mdb_json)
		mj_begin('[', NULL);
	else if (DCMD_HDRSPEC(cx->cx_flags))
		(void) printf("%-31s %-16s %s\n", "Cache Name", "Addr",
		    "Cache Integrity");
	for (i = 0; i < kv.kv_heap->mh_ncaches; i++) {
		const mdb_cache_t *mc = &kv.kv_heap->mh_caches[i];

		if (one != NULL && mc != one)
			continue;
		mdb_progress("caches verified", i, kv.kv_heap->mh_ncaches);
		kv.kv_bad = 0;
		rc = kv_cache(&kv, mc);
		kv_row(mc, kv.kv_bad, rc);
	}
	if (one == NULL)
		kv_bigs(kv.kv_heap);
	if (mdb_json)
		mj_end();
	return (DCMD_OK);
}
