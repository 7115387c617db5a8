/*
 * explain.c: ADDR::explain, one command for "what is this address and
 * what happened to it", where mdb needs five (::whatis, ::kmalog,
 * ::bufctl -h, ::kmem_verify, ::kgrep) and the reader's patience.
 *
 * 1. What it prints, in this order, each part under a heading line:
 *      what        ::whatis -a (every source that knows the address);
 *    and, when the address is in a heap buffer (kmem.c's lookup):
 *      integrity   the buffer checked as ::kmem_verify checks it (the
 *                  leading redzone, the tag, a free buffer's 0xdeadbeef
 *                  pattern, an allocated one's 0xfeedface word and 0xbb
 *                  padding), with every modified word of a free buffer
 *                  listed (offset, what belongs there, what is there),
 *                  not only the first;
 *      history     every transaction of the buffer the logs still hold,
 *                  newest first, with its stack (ADDR::kmalog), then
 *                  the allocation its audit bufctl kept when the log
 *                  lost it (at "T-?": the bufctl keeps no time);
 *      neighbours  the chunks before and after it in its slab: their
 *                  state and, with auditing, their last transaction's
 *                  caller (an overrun comes from the buffer before);
 *      pointers    every 8-byte word in the target's memory that points
 *                  into the buffer (::kgrep over a range), each said
 *                  with ::whatis -q; the allocator's own records (audit
 *                  bufctls, the logs) are counted, not listed.
 *
 * 2. Bounds.  At most EX_MAXWORDS modified words and EX_MAXPTRS pointers
 *    are listed (the rest counted); a buffer bigger than EX_MAXCHUNK is
 *    checked on its first EX_MAXCHUNK bytes.  Everything is read through
 *    the target; a part that cannot be read says so in its line and the
 *    others go on.
 */
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

#define	EX_MAXWORDS	16
#define	EX_MAXPTRS	32
#define	EX_MAXCHUNK	(1ULL << 20)
#define	EX_SCANCHUNK	(1ULL << 20)

static void
ex_heading(const char *what)
{
	(void) printf("\n%s:\n", what);
}

/*
 * Run a dcmd at addr with up to two arguments.  DCMD_LOOP (not the
 * first) tells it to reuse the heap model this command built, as the
 * later loops of a pipe do: the model is built once, and the one held
 * here stays valid.
 */
static int
ex_run(mdb_tgt_t *t, mdb_dcmd_f *fn, uint64_t addr, const char *a0,
    const char *a1)
{
	char b0[16], b1[16], *argv[3] = { NULL, NULL, NULL };
	mdb_cmdctx_t cx = { addr, 1, DCMD_ADDRSPEC | DCMD_LOOP, NULL };
	int argc = 0;

	if (a0 != NULL) {
		(void) snprintf(b0, sizeof (b0), "%s", a0);
		argv[argc++] = b0;
	}
	if (a1 != NULL) {
		(void) snprintf(b1, sizeof (b1), "%s", a1);
		argv[argc++] = b1;
	}
	return (fn(t, &cx, argc, argv));
}

/* ---- integrity ---- */

static void
ex_integrity(mdb_heap_t *h, const mdb_buf_t *b)
{
	const kmem_cache_t *cp;
	kmem_chunk_err_t ce;
	kmem_slab_t sl;
	uint64_t len, lead = 0, trail, i, nbad = 0, w;
	uint8_t *data;
	int trails = h->mh_root.sr_version >= ST_TRAIL_VERSION;

	ex_heading("integrity");
	if (b->mb_cache == NULL) {
		(void) printf("  not a cache buffer: its guard pages or header "
		    "are what protects it\n");
		return;
	}
	cp = &b->mb_cache->mc_cp;
	if (!(cp->cache_flags & KMF_BUFTAG)) {
		(void) printf("  not checked: cache %s has no redzone or "
		    "pattern (KMEM_FLAGS=0xf adds them)\n", cp->cache_name);
		return;
	}
	if (mdb_tgt_vread(h->mh_tgt, b->mb_slab, &sl, sizeof (sl)) == 0)
		lead = kmem_lead_len(cp, sl.slab_color, b->mb_addr ==
		    (uint64_t)(uintptr_t)sl.slab_base + sl.slab_color, trails, 1);
	len = ST_MIN(cp->cache_chunksize, EX_MAXCHUNK);
	trail = kmem_trail_len(cp, trails, 1);
	if (kmem_tag_end(cp) + trail > len)
		trail = 0;              /* past what is read */
	if (len < cp->cache_buftag + sizeof (kmem_buftag_t) ||
	    (data = malloc(lead + len)) == NULL) {
		(void) printf("  cannot check: chunk size %llu\n",
		    (unsigned long long)cp->cache_chunksize);
		return;
	}
	if (mdb_tgt_vread(h->mh_tgt, b->mb_addr - lead, data, lead + len) !=
	    0) {
		(void) printf("  cannot check: the chunk is not in the dump\n");
		free(data);
		return;
	}
	if (kmem_chunk_verify(cp, data + lead, lead, trail, &ce) ==
	    KMERR_NERRORS) {
		(void) printf("  clean (%s, tag, %s)\n", ce.ce_alloc ?
		    "allocated" : "free", ce.ce_alloc ? "redzone intact" :
		    (cp->cache_flags & KMF_DEADBEEF) ? "0xdeadbeef pattern "
		    "intact" : "no pattern");
		free(data);
		return;
	}
	switch (ce.ce_error) {
	case KMERR_MODIFIED:
		(void) printf("  modified after it was freed; the words that "
		    "are not 0x%016llx:\n", (unsigned long long)
		    KMEM_FREE_PATTERN);
		for (i = 0; i + 8 <= cp->cache_verify && i + 8 <= len;
		    i += 8) {
			(void) memcpy(&w, data + lead + i, 8);
			if (w == KMEM_FREE_PATTERN)
				continue;
			if (nbad++ < EX_MAXWORDS)
				(void) printf("    offset 0x%-4llx %016llx\n",
				    (unsigned long long)i,
				    (unsigned long long)w);
		}
		if (nbad > EX_MAXWORDS)
			(void) printf("    ... and %llu more words\n",
			    (unsigned long long)(nbad - EX_MAXWORDS));
		break;
	case KMERR_REDZONE:
		(void) printf("  redzone overwritten at offset %lld: 0x%02llx "
		    "replaced by 0x%02llx", (long long)ce.ce_off,
		    (unsigned long long)ce.ce_old,
		    (unsigned long long)ce.ce_new);
		if (ce.ce_off >= 0 && ce.ce_size != UINT64_MAX)
			(void) printf(" (byte %lld past the end of the "
			    "%llu-byte buffer)", (long long)ce.ce_off -
			    (long long)ce.ce_size + 1,
			    (unsigned long long)ce.ce_size);
		else if (ce.ce_off < 0)
			(void) printf(" (%lld bytes before the buffer: %s)",
			    (long long)-ce.ce_off, trails ? "an underflow, "
			    "nearer it than the chunk before" : "an underflow, "
			    "or an overrun of the chunk before it");
		(void) putchar('\n');
		break;
	case KMERR_BADBUFTAG:
		(void) printf("  tag corrupt: bufctl ^ bxstat = %llx, neither "
		    "allocated nor free (something wrote over the buffer's "
		    "end)\n", (unsigned long long)ce.ce_new);
		break;
	default:
		(void) printf("  corrupt (error %u)\n", ce.ce_error);
		break;
	}
	free(data);
}

/* ---- neighbours ---- */

typedef struct ex_nb {
	uint64_t en_addr;		/* the buffer */
	uint64_t en_slab;
	mdb_buf_t en_prev, en_next;
	bool en_have_prev, en_have_next;
} ex_nb_t;

static int
ex_nb_visit(void *arg, const mdb_buf_t *b)
{
	ex_nb_t *en = arg;

	if (b->mb_slab != en->en_slab)
		return (0);
	if (b->mb_addr < en->en_addr && (!en->en_have_prev ||
	    b->mb_addr > en->en_prev.mb_addr)) {
		en->en_prev = *b;
		en->en_prev.mb_data = NULL;
		en->en_have_prev = true;
	} else if (b->mb_addr > en->en_addr && (!en->en_have_next ||
	    b->mb_addr < en->en_next.mb_addr)) {
		en->en_next = *b;
		en->en_next.mb_data = NULL;
		en->en_have_next = true;
	}
	return (0);
}

static void
ex_nb_print(mdb_heap_t *h, const char *which, const mdb_buf_t *b)
{
	kmem_bufctl_audit_t bc;

	(void) printf("  %s %llx, %s", which, (unsigned long long)b->mb_addr,
	    b->mb_alloc ? "allocated" : "free");
	if (b->mb_bufctl == 0 || b->mb_cache == NULL ||
	    !(b->mb_cache->mc_cp.cache_flags & KMF_AUDIT)) {
		(void) putchar('\n');
		return;
	}
	/* A chunk never allocated has a blank bufctl: nothing to show. */
	(void) memset(&bc, 0, sizeof (bc));
	if (mdb_tgt_vread(h->mh_tgt, b->mb_bufctl, &bc,
	    KMEM_BUFCTL_AUDIT_V2SIZE) == 0 && bc.bc_timestamp == 0) {
		(void) printf("; never allocated\n");
		return;
	}
	(void) printf("; its last transaction:\n");
	(void) fflush(stdout);
	(void) ex_run(h->mh_tgt, dcmd_bufctl, b->mb_bufctl, "-H", NULL);
}

static void
ex_neighbours(mdb_heap_t *h, const mdb_buf_t *b)
{
	ex_nb_t en;

	ex_heading("neighbours in its slab");
	if (b->mb_cache == NULL || b->mb_slab == 0) {
		(void) printf("  none: not in a slab\n");
		return;
	}
	(void) memset(&en, 0, sizeof (en));
	en.en_addr = b->mb_addr;
	en.en_slab = b->mb_slab;
	if (mdb_heap_walk(h, b->mb_cache, MDB_WALK_ALLOC | MDB_WALK_FREE,
	    ex_nb_visit, &en) < 0)
		return;
	if (en.en_have_prev)
		ex_nb_print(h, "before:", &en.en_prev);
	else
		(void) printf("  before: none (the slab's first chunk)\n");
	if (en.en_have_next)
		ex_nb_print(h, "after: ", &en.en_next);
	else
		(void) printf("  after:  none (the slab's last chunk)\n");
}

/* ---- pointers ---- */

/* Is addr inside one of the allocator's own records (logs, bufctls)? */
static bool
ex_ours(mdb_heap_t *h, uint64_t addr)
{
	kmem_log_t *logs[] = { h->mh_root.sr_transaction_log,
	    h->mh_root.sr_contents_log, h->mh_root.sr_failure_log,
	    h->mh_root.sr_slab_log };
	mdb_buf_t b;
	kmem_log_t lh;
	size_t i;

	for (i = 0; i < sizeof (logs) / sizeof (logs[0]); i++) {
		if (logs[i] == NULL || mdb_tgt_vread(h->mh_tgt,
		    (uint64_t)(uintptr_t)logs[i], &lh, sizeof (lh)) != 0)
			continue;
		if (addr >= (uint64_t)(uintptr_t)lh.lh_base && addr -
		    (uint64_t)(uintptr_t)lh.lh_base < lh.lh_size)
			return (true);
	}
	/*
	 * The library's own variables: in its file's mappings, or in the
	 * segment right after them (its .bss, which no file backs).
	 */
	const mdb_seg_t *sg = mdb_tgt_seg(h->mh_tgt, addr);
	uint64_t seg = sg != NULL ? sg->sg_vaddr : addr;

	for (i = 0; i < h->mh_tgt->t_nfiles; i++) {
		const mdb_mapfile_t *mf = &h->mh_tgt->t_files[i];
		const char *base;

		if ((addr < mf->mf_start || addr >= mf->mf_end) &&
		    seg != mf->mf_end)
			continue;
		base = strrchr(mf->mf_name, '/');
		base = base != NULL ? base + 1 : mf->mf_name;
		if (strncmp(base, "libslabtrace.so", 15) == 0)
			return (true);
	}
	return (mdb_heap_lookup(h, addr, &b) && b.mb_cache != NULL &&
	    !b.mb_cache->mc_user);
}

static void
ex_pointers(mdb_heap_t *h, uint64_t lo, uint64_t hi)
{
	mdb_tgt_t *t = h->mh_tgt;
	uint64_t *buf, nptrs = 0, nours = 0;
	size_t s;

	ex_heading("pointers to it");
	if ((buf = malloc(EX_SCANCHUNK)) == NULL)
		return;
	for (s = 0; s < t->t_nsegs; s++) {
		const mdb_seg_t *sg = &t->t_segs[s];

		mdb_progress("segments searched", s, t->t_nsegs);
		uint64_t a, end = sg->sg_vaddr + sg->sg_memsz;

		for (a = sg->sg_vaddr; a < end; a += EX_SCANCHUNK) {
			ssize_t n = mdb_tgt_read(t, a, buf,
			    ST_MIN(EX_SCANCHUNK, end - a));
			size_t i;

			for (i = 0; n > 0 && i < (size_t)n / 8; i++) {
				uint64_t at = a + i * 8;

				if (buf[i] < lo || buf[i] >= hi)
					continue;
				if (at >= lo && at < hi)
					continue;	/* itself */
				if (ex_ours(h, at)) {
					nours++;
					continue;
				}
				if (nptrs++ >= EX_MAXPTRS)
					continue;
				(void) printf("  %llx holds %llx: ",
				    (unsigned long long)at,
				    (unsigned long long)buf[i]);
				(void) fflush(stdout);
				(void) ex_run(t, dcmd_whatis, at, "-q", NULL);
			}
		}
	}
	free(buf);
	if (nptrs == 0)
		(void) printf("  none in the program's memory\n");
	else if (nptrs > EX_MAXPTRS)
		(void) printf("  ... and %llu more\n",
		    (unsigned long long)(nptrs - EX_MAXPTRS));
	if (nours != 0)
		(void) printf("  (and %llu in the allocator's own records: "
		    "audit bufctls, logs, its variables)\n",
		    (unsigned long long)nours);
}

int
dcmd_explain(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	mdb_heap_t *h = NULL;
	mdb_buf_t b;
	uint64_t size;

	(void) argv;
	if (argc != 0 || !(cx->cx_flags & DCMD_ADDRSPEC))
		return (DCMD_USAGE);
	if (t->t_have_note && (h = mdb_heap_get(t, cx->cx_flags)) == NULL)
		return (DCMD_ERR);
	(void) printf("what:\n");
	(void) fflush(stdout);
	(void) ex_run(t, dcmd_whatis, cx->cx_addr, "-a", NULL);
	if (h == NULL || !mdb_heap_lookup(h, cx->cx_addr, &b))
		return (DCMD_OK);
	ex_integrity(h, &b);
	ex_heading("history (newest first)");
	(void) fflush(stdout);
	if ((h->mh_root.sr_kmem_flags & KMF_AUDIT) == 0)
		(void) printf("  none kept: auditing is off (KMEM_FLAGS=0x1 "
		    "or UMEM_DEBUG=default keeps it)\n");
	else {
		(void) ex_run(t, dcmd_kmalog, b.mb_addr, NULL, NULL);
		if (b.mb_bufctl != 0 && b.mb_cache != NULL &&
		    (b.mb_cache->mc_cp.cache_flags & KMF_AUDIT))
			mdb_kept_allocation(t, b.mb_bufctl);
	}
	ex_neighbours(h, &b);
	size = b.mb_cache != NULL ? b.mb_cache->mc_cp.cache_bufsize :
	    b.mb_size;
	ex_pointers(h, b.mb_addr, b.mb_addr + (size != 0 ? size : 1));
	return (DCMD_OK);
}
