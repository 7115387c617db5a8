/*
 * findleaks.c: ::findleaks [-dfv], ADDR::findleaks, and the leak and
 * leakbuf walkers: mdb's leaky on a dump (or a live process), with the
 * library's own scanner (src/leaky.c, which the library's leak check at
 * exit runs too) and the heap model of kmem.c.
 *
 * 1. The table.  Every allocated buffer of the program's caches (not the
 *    allocator's own, KMC_PRIVATE), and every live oversize, firewall and
 *    big buffer, from mdb_heap_walk: address, size (the cache's buffer
 *    size; the asked-for size of a big one), and what describes its
 *    allocation: its audit bufctl (AUDIT, and every firewall or big
 *    buffer), the caller lite mode keeps in its tag, or nothing but its
 *    cache.  A small slab without tags keeps a free chunk's link in its
 *    last word, and an allocated chunk may still hold it: a last word that
 *    is exactly the link slot of another chunk of the same slab page is
 *    not scanned (leakcheck.c says why).  In a child of the program's
 *    fork, the threads that did not come along left their kmem_thread_t
 *    allocated in kmem_thread_cache and off the thread list (magazine.c):
 *    the rounds of their magazines are free buffers, and leave the table
 *    (leakcheck.c, section 8, does the same).
 *
 * 2. The roots, from the dump's program headers (or a live process's
 *    /proc/PID/maps): every readable, writable segment but the
 *    allocator's own memory: the spans of its top arenas (the heap it
 *    imports from the system, the firewall's reservation), the pages of
 *    the vmem segment pool (whose free segments still name buffers), the
 *    sampled firewall's slots and their headers, its log rings, and its
 *    own module's data and bss (when it is a module of its own; from its
 *    program headers, so that a mapping of the program's that the kernel
 *    merged with the bss stays a root).  Each
 *    thread with registers gives them all, and its stack is read from its
 *    stack pointer (less the ABI's red zone) to the end of that segment;
 *    a segment holding an exited thread's stack (the library remembers
 *    them, st_root's sr_leak_dead) and no live one is read only from that
 *    thread's control block up.  A thread without registers (it did not stop for
 *    the dump) has its stack read whole, as any segment.  What is not in
 *    the dump (content "heap" leaves the program's own mappings out) is
 *    not read: -v counts those bytes, and leaks may then be overstated.
 *
 * 3. Rows.  Leaks are grouped as mdb groups them, by cache and stack (or
 *    cache and caller; or cache alone without either), the oldest leak
 *    of a row its representative; direct leaks first, then the indirect
 *    ones (reached only from other leaks: leaky.c, section 2), biggest
 *    first.  Audited rows print the representative's bufctl (::bufctl
 *    -v of it with -d); the others its buffer.  Big buffers have a table
 *    of their own, by size.
 *
 * 4. Results are kept for the next ::findleaks and for the walkers, for
 *    a dump; -f scans again.  A live process is scanned at each command,
 *    in a snapshot when its library takes one (UMEM_OPTIONS=leaksignal=
 *    SIG; proc.c, section 7; leakcheck.c, section 7): the library stops
 *    its threads, copies their registers, forks and lets them go, and
 *    the child, whose memory is the heap at the fork, is scanned while
 *    the program runs on; the child's one thread is the library's, the
 *    others' stacks are in its memory and their registers (general and
 *    vector) in the table the library copied, which is read as their
 *    registers and left out of the roots.  A thread that did not stop
 *    has its stack read whole.  -v says the program's pause.  Without a
 *    snapshot (an older library, no leaksignal=, no answer in time) one
 *    line says so and the process is stopped for the command instead
 *    (mdb_tgt_getregs): the scan sees a heap that holds still, for as
 *    long as it takes.  One stopped already (-S, ::stop) is scanned so.
 *
 * 5. Hostile dumps: every read can fail (a failed read of a root is a
 *    shorter root; of a bufctl, a row without a stack); every depth and
 *    count is bounded; the table is as large as the heap walk found
 *    buffers, and no larger.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mdb.h"
#include "leaky.h"

#define	FL_REDZONE	128		/* below a thread's sp (x86-64 ABI) */
#define	FL_MAXDEAD	4096		/* exited threads' stacks, at most */
#define	FL_HEADER_W	16		/* a pointer column */

/* lb_kind: what lb_tag is. */
#define	FL_CACHE	0		/* nothing: lb_tag is 0 */
#define	FL_CALLER	1		/* lite's caller pc */
#define	FL_AUDIT	2		/* an audit bufctl */
#define	FL_BIG		0x10		/* or'd: an oversize/firewall buffer */

#if defined(__x86_64__)
#define	FL_SP_REG	19		/* rsp in NT_PRSTATUS's pr_reg */
#elif defined(__aarch64__)
#define	FL_SP_REG	31
#endif

typedef struct fl_range {
	uint64_t fr_lo, fr_hi;
} fl_range_t;

/* One row of the output: a group of leaks. */
typedef struct fl_row {
	uint64_t fw_group;		/* in ls_groups */
	uint64_t fw_rep;		/* the representative: bufctl or buf */
	uint64_t fw_buf;		/* its buffer */
	uint64_t fw_cache;		/* its cache (0: a big buffer) */
	uint64_t fw_caller;		/* first frame outside the allocator */
	uint64_t fw_bytes;
	uint32_t fw_count;
	uint8_t fw_state;		/* LK_DIRECT, LK_INDIRECT */
	uint8_t fw_kind;		/* FL_* */
} fl_row_t;

/* The scan, kept for the next command on the same dump (section 4). */
typedef struct fl_scan {
	mdb_tgt_t *fs_tgt;
	mdb_heap_t *fs_heap;
	lk_scan_t fs_ls;
	bool fs_valid;
	fl_row_t *fs_rows;
	size_t fs_nrows;
	fl_range_t *fs_excl;		/* never roots, sorted */
	size_t fs_nexcl, fs_maxexcl;
	uint64_t fs_pending;		/* buffers of the count pass */
	uint64_t fs_not_in_dump;	/* root bytes the dump lacks */
	double fs_cpu, fs_wall;
	uint32_t fs_depth;		/* audit stack depth */
	st_root_t fs_root;		/* the heap's, for its stacks */
	bool fs_snapped;		/* a live process's snapshot */
	bool fs_stopped;		/* ... or stopped for the scan */
	mdb_snap_t fs_snap;		/* ... which one (section 4) */
} fl_scan_t;

static fl_scan_t fl_scan;

/* ------------------------------------------------------------------------
 * The scanner's memory and reads (leaky.h's lk_ops_t).
 */

static void *
fl_map(void *arg, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void) arg;
	return (p == MAP_FAILED ? NULL : p);
}

static void
fl_unmap(void *arg, void *p, size_t size)
{
	(void) arg;
	(void) munmap(p, size);
}

static const void *
fl_read(void *arg, uint64_t addr, size_t len, void *scratch)
{
	fl_scan_t *fs = arg;

	return (mdb_tgt_vread(fs->fs_tgt, addr, scratch, len) == 0 ?
	    scratch : NULL);
}

static const lk_ops_t fl_ops = { fl_map, fl_unmap, fl_read, NULL };

static void
fl_reset(fl_scan_t *fs)
{
	if (fs->fs_valid)
		lk_fini(&fs->fs_ls);
	free(fs->fs_rows);
	free(fs->fs_excl);
	(void) memset(fs, 0, sizeof (*fs));
}

/* ------------------------------------------------------------------------
 * The table (section 1).
 */

static bool
fl_wanted(const mdb_buf_t *b)
{
	return (b->mb_alloc && (b->mb_kind != MDB_BK_CACHE ||
	    (b->mb_cache != NULL && b->mb_cache->mc_user)));
}

static int
fl_count(void *arg, const mdb_buf_t *b)
{
	if (fl_wanted(b))
		((fl_scan_t *)arg)->fs_pending++;
	return (0);
}

/* The asked-for size's slack, from the tag's redzone word (debug.c). */
static uint32_t
fl_slack(const kmem_cache_t *cp, const mdb_buf_t *b)
{
	uint32_t w;

	if (!(cp->cache_flags & KMF_REDZONE) || b->mb_data == NULL ||
	    cp->cache_buftag + sizeof (kmem_buftag_t) > b->mb_chunk)
		return (0);
	(void) memcpy(&w, b->mb_data + cp->cache_buftag + sizeof (uint32_t),
	    sizeof (w));
	w &= KMEM_SIZE_MASK;
	if (!KMEM_SIZE_VALID(w) || KMEM_SIZE_DECODE(w) > cp->cache_bufsize)
		return (0);
	return ((uint32_t)(cp->cache_bufsize - KMEM_SIZE_DECODE(w)));
}

/* Lite's caller, the newest of the tag's history; 0 if none. */
static uint64_t
fl_lite_caller(const kmem_cache_t *cp, const mdb_buf_t *b)
{
	uint64_t pc;
	size_t off = cp->cache_buftag + offsetof(kmem_buftag_lite_t,
	    bt_history);

	if (!(cp->cache_flags & KMF_LITE) || b->mb_data == NULL ||
	    off + sizeof (pc) > b->mb_chunk)
		return (0);
	(void) memcpy(&pc, b->mb_data + off, sizeof (pc));
	return (pc);
}

/* A stale free-list link in the chunk's last word?  (Section 1.) */
static bool
fl_stale_link(const kmem_cache_t *cp, const mdb_buf_t *b)
{
	uint64_t v, other;

	if ((cp->cache_flags & (KMF_HASH | KMF_BUFTAG)) || b->mb_data == NULL ||
	    cp->cache_bufctl + 8 != cp->cache_chunksize ||
	    b->mb_chunk < cp->cache_chunksize)
		return (false);
	(void) memcpy(&v, b->mb_data + cp->cache_bufctl, sizeof (v));
	other = v - cp->cache_bufctl;
	return (v >= cp->cache_bufctl && other != b->mb_addr &&
	    (other & ~(uint64_t)(ST_PAGESIZE - 1)) ==
	    (b->mb_addr & ~(uint64_t)(ST_PAGESIZE - 1)) &&
	    (other > b->mb_addr ? other - b->mb_addr : b->mb_addr - other) %
	    cp->cache_chunksize == 0);
}

static int
fl_add(void *arg, const mdb_buf_t *b)
{
	fl_scan_t *fs = arg;
	const kmem_cache_t *cp;
	uint64_t tag = 0, pc;
	uint8_t kind = FL_CACHE;
	lk_buf_t *lb;

	if (!fl_wanted(b))
		return (0);
	if (b->mb_kind != MDB_BK_CACHE) {
		kind = FL_BIG | (b->mb_bufctl != 0 ? FL_AUDIT : FL_CACHE);
		(void) lk_add(&fs->fs_ls, b->mb_addr, b->mb_size != 0 ?
		    b->mb_size : 1, b->mb_bufctl, b->mb_size == 0, kind);
		return (0);
	}
	cp = &b->mb_cache->mc_cp;
	if ((cp->cache_flags & KMF_AUDIT) && b->mb_bufctl != 0) {
		kind = FL_AUDIT;
		tag = b->mb_bufctl;
	} else if ((pc = fl_lite_caller(cp, b)) != 0) {
		kind = FL_CALLER;
		tag = pc;
	}
	if (lk_add(&fs->fs_ls, b->mb_addr, b->mb_size, tag, fl_slack(cp, b),
	    kind) != 0)
		return (0);
	lb = &fs->fs_ls.ls_bufs[fs->fs_ls.ls_nbufs - 1];
	if (fl_stale_link(cp, b))
		lk_noscan(lb, sizeof (uint64_t));
	return (0);
}

/* Section 1: a lost thread's kmem_thread_t, and the caches by ccidx. */
typedef struct fl_orphans {
	fl_scan_t *fo_fs;
	const mdb_cache_t *fo_cc[KMEM_CC_MAX];
	uint64_t fo_rounds;		/* taken out of the table */
} fl_orphans_t;

static void
fl_orphan_mag(fl_orphans_t *fo, uint64_t mag, int32_t rounds,
    int32_t magsize)
{
	uint64_t buf[256];
	int32_t n = rounds < magsize ? rounds : magsize, i;
	lk_buf_t *lb;

	if (mag == 0 || n <= 0 || n > 256 || mdb_tgt_vread(fo->fo_fs->fs_tgt,
	    mag + offsetof(kmem_magazine_t, mag_round), buf,
	    (size_t)n * sizeof (uint64_t)) != 0)
		return;
	for (i = 0; i < n; i++) {
		if ((lb = lk_find(&fo->fo_fs->fs_ls, buf[i])) != NULL &&
		    lb->lb_addr == buf[i] && lb->lb_state != LK_FREE) {
			lb->lb_state = LK_FREE;
			fo->fo_rounds++;
		}
	}
}

static int
fl_orphan(void *arg, const mdb_buf_t *b)
{
	static kmem_thread_t kt;
	fl_orphans_t *fo = arg;
	const mdb_heap_t *h = fo->fo_fs->fs_heap;
	uint64_t i;
	uint32_t c;

	if (!b->mb_alloc || b->mb_data == NULL || b->mb_chunk < sizeof (kt))
		return (0);
	for (i = 0; i < h->mh_nthreads; i++)
		if (h->mh_threads[i] == b->mb_addr)
			return (0);	/* a live thread's */
	(void) memcpy(&kt, b->mb_data, sizeof (kt));
	if (kt.kt_flags & KT_DEAD)
		return (0);
	for (c = 0; c < KMEM_CC_MAX; c++) {
		const kmem_cpu_cache_t *cc = &kt.kt_cc[c];

		if (fo->fo_cc[c] == NULL || cc->cc_magsize <= 0 ||
		    (fo->fo_cc[c]->mc_cp.cache_flags & KMF_BUFTAG))
			continue;
		fl_orphan_mag(fo, (uint64_t)(uintptr_t)cc->cc_loaded,
		    cc->cc_rounds, cc->cc_magsize);
		fl_orphan_mag(fo, (uint64_t)(uintptr_t)cc->cc_ploaded,
		    cc->cc_prounds, cc->cc_magsize);
	}
	return (0);
}

static void
fl_orphans(fl_scan_t *fs)
{
	static fl_orphans_t fo;
	mdb_heap_t *h = fs->fs_heap;
	const mdb_cache_t *tc;
	size_t i;

	(void) memset(&fo, 0, sizeof (fo));
	fo.fo_fs = fs;
	if ((tc = mdb_heap_cache_byname(h, "kmem_thread_cache")) == NULL)
		return;
	for (i = 0; i < h->mh_ncaches; i++) {
		int32_t c = h->mh_caches[i].mc_cp.cache_ccidx;

		if (c >= 0 && c < KMEM_CC_MAX)
			fo.fo_cc[c] = &h->mh_caches[i];
	}
	(void) mdb_heap_walk(h, tc, MDB_WALK_ALLOC, fl_orphan, &fo);
	if (fo.fo_rounds != 0)
		lk_compact(&fs->fs_ls);
}

/* Every allocated buffer, sorted; -1 warned. */
static int
fl_table(fl_scan_t *fs)
{
	mdb_heap_t *h = fs->fs_heap;

	if (mdb_heap_walk(h, NULL, MDB_WALK_ALLOC | MDB_WALK_BIG, fl_count,
	    fs) < 0)
		mdb_warn("findleaks: the heap is damaged: buffers past the "
		    "damage are not checked");
	if (lk_init(&fs->fs_ls, &fl_ops, fs, fs->fs_pending + 16) != 0) {
		mdb_warn("findleaks: no memory for a table of %llu buffers",
		    (unsigned long long)fs->fs_pending);
		return (-1);
	}
	fs->fs_valid = true;
	(void) mdb_heap_walk(h, NULL, MDB_WALK_ALLOC | MDB_WALK_BIG, fl_add,
	    fs);
	lk_sort(&fs->fs_ls);
	fl_orphans(fs);
	return (0);
}

/* ------------------------------------------------------------------------
 * The roots (section 2).
 */

static void
fl_exclude(fl_scan_t *fs, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return;
	if (fs->fs_nexcl == fs->fs_maxexcl) {
		size_t n = fs->fs_maxexcl != 0 ? fs->fs_maxexcl * 2 : 64;
		fl_range_t *p = realloc(fs->fs_excl, n * sizeof (*p));

		if (p == NULL)
			return;
		fs->fs_excl = p;
		fs->fs_maxexcl = n;
	}
	fs->fs_excl[fs->fs_nexcl].fr_lo = lo;
	fs->fs_excl[fs->fs_nexcl++].fr_hi = hi;
}

/* Top arenas' spans; every arena's segment structures (their pool). */
static int
fl_seg_span(void *arg, uint64_t addr, const vmem_seg_t *vs)
{
	fl_scan_t *fs = arg;

	(void) addr;
	if (vs->vs_type == VMEM_SPAN)
		fl_exclude(fs, (uint64_t)(uintptr_t)vs->vs_start,
		    (uint64_t)(uintptr_t)vs->vs_end);
	return (0);
}

static uint64_t fl_pool_last;		/* the pool segment last excluded */
static uint64_t fl_pool_arena;		/* the arena walked */

/*
 * A segment structure's mapping, unless it is the arena's own anchor
 * (vm_seg0, inside the vmem_t: the first arenas are a static array, in
 * the program's own bss when the library is linked into it).
 */
static int
fl_seg_pool(void *arg, uint64_t addr, const vmem_seg_t *vs)
{
	fl_scan_t *fs = arg;
	const mdb_seg_t *sg = mdb_tgt_seg(fs->fs_tgt, addr);

	(void) vs;
	if (addr >= fl_pool_arena && addr < fl_pool_arena + sizeof (vmem_t))
		return (0);
	if (sg != NULL && sg->sg_vaddr != fl_pool_last) {
		fl_pool_last = sg->sg_vaddr;
		fl_exclude(fs, sg->sg_vaddr, sg->sg_vaddr + sg->sg_memsz);
	}
	return (0);
}

/* A log ring or the message buffer: its memory is the allocator's. */
static void
fl_exclude_log(fl_scan_t *fs, uint64_t lp)
{
	kmem_log_t lh;

	if (lp != 0 && mdb_tgt_vread(fs->fs_tgt, lp, &lh, sizeof (lh)) == 0 &&
	    lh.lh_magic == KMEM_LOG_MAGIC && lh.lh_size != 0 &&
	    (uint64_t)(uintptr_t)lh.lh_base + lh.lh_size >
	    (uint64_t)(uintptr_t)lh.lh_base)
		fl_exclude(fs, (uint64_t)(uintptr_t)lh.lh_base,
		    (uint64_t)(uintptr_t)lh.lh_base + lh.lh_size);
}

/*
 * The library's writable segment (data and bss), when it is a module of
 * its own: its program headers, read from the file the dump names (the
 * bss is anonymous memory after the file's pages, which the kernel may
 * have merged with a mapping of the program's: only its own bytes go).
 * Without the file, its file-backed pages alone.
 */
/* Does t map file name at start, from offset? */
static bool
fl_file_at(mdb_tgt_t *t, const char *name, uint64_t start, uint64_t offset)
{
	size_t i;

	for (i = 0; i < t->t_nfiles; i++)
		if (t->t_files[i].mf_start == start &&
		    t->t_files[i].mf_offset == offset &&
		    t->t_files[i].mf_name != NULL &&
		    strcmp(t->t_files[i].mf_name, name) == 0)
			return (true);
	return (false);
}

static bool
fl_module_rw(fl_scan_t *fs, const mdb_mapfile_t *mf)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	uint64_t bias = 0;
	bool based = false;
	int fd = open(mf->mf_name, O_RDONLY | O_CLOEXEC), i, n;

	if (fd < 0)
		return (false);
	if (pread(fd, &eh, sizeof (eh), 0) != (ssize_t)sizeof (eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_phentsize != sizeof (Elf64_Phdr) || eh.e_phnum == 0 ||
	    (n = eh.e_phnum < 64 ? eh.e_phnum : 64, pread(fd, ph,
	    n * sizeof (ph[0]), (off_t)eh.e_phoff) !=
	    (ssize_t)(n * sizeof (ph[0])))) {
		(void) close(fd);
		return (false);
	}
	(void) close(fd);
	for (i = 0; i < n && !based; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			bias = mf->mf_start - (ph[i].p_vaddr &
			    ~(uint64_t)(ST_PAGESIZE - 1));
			based = true;
		}
	}
	/*
	 * The module as loaded, not a mapping of the whole file (the
	 * library maps itself to read its symbols): every segment with
	 * file contents is where the bias puts it.
	 */
	for (i = 0; based && i < n; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz != 0)
			based = fl_file_at(fs->fs_tgt, mf->mf_name,
			    (bias + ph[i].p_vaddr) & ~(uint64_t)(ST_PAGESIZE - 1),
			    ph[i].p_offset & ~(uint64_t)(ST_PAGESIZE - 1));
	for (i = 0; based && i < n; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W))
			fl_exclude(fs, (bias + ph[i].p_vaddr) &
			    ~(uint64_t)(ST_PAGESIZE - 1), (bias + ph[i].p_vaddr +
			    ph[i].p_memsz + ST_PAGESIZE - 1) &
			    ~(uint64_t)(ST_PAGESIZE - 1));
	return (based);
}

static void
fl_exclude_module(fl_scan_t *fs)
{
	mdb_tgt_t *t = fs->fs_tgt;
	size_t i;

	for (i = 0; i < t->t_nfiles; i++) {
		const mdb_mapfile_t *mf = &t->t_files[i];
		const char *b;
		size_t j;

		if (mf->mf_name == NULL || mf->mf_offset != 0)
			continue;
		b = strrchr(mf->mf_name, '/');
		if (strncmp(b != NULL ? b + 1 : mf->mf_name, "libslabtrace",
		    12) != 0 || fl_module_rw(fs, mf))
			continue;
		for (j = i; j < t->t_nfiles; j++)
			if (t->t_files[j].mf_name != NULL &&
			    strcmp(t->t_files[j].mf_name, mf->mf_name) == 0)
				fl_exclude(fs, t->t_files[j].mf_start,
				    t->t_files[j].mf_end);
	}
}

static int
fl_range_cmp(const void *a, const void *b)
{
	const fl_range_t *x = a, *y = b;

	return (x->fr_lo < y->fr_lo ? -1 : x->fr_lo > y->fr_lo);
}

/*
 * The sampled firewall's pool (firewall.c, section 9): its slots'
 * headers, and its slots, whose live buffers are read as buffers.
 */
static void
fl_exclude_sampled(fl_scan_t *fs)
{
	mdb_heap_t *h = fs->fs_heap;
	st_firewall_t sf;

	if (h->mh_root.sr_firewall == NULL || mdb_tgt_vread(fs->fs_tgt,
	    (uint64_t)(uintptr_t)h->mh_root.sr_firewall, &sf,
	    sizeof (sf)) != 0 || sf.sf_sample_nslots > 65536 ||
	    sf.sf_sample_hsize > 65536)
		return;
	fl_exclude(fs, sf.sf_sample_hdrs, sf.sf_sample_hdrs +
	    sf.sf_sample_nslots * sf.sf_sample_hsize);
	if (sf.sf_sample_len <= (2 * sf.sf_sample_nslots + 1) * ST_PAGESIZE)
		fl_exclude(fs, sf.sf_sample_base, sf.sf_sample_base +
		    sf.sf_sample_len);
}

static void
fl_exclusions(fl_scan_t *fs)
{
	mdb_heap_t *h = fs->fs_heap;
	size_t i;

	fl_pool_last = 0;
	for (i = 0; i < h->mh_nvmem; i++) {
		if (h->mh_vmem[i].mv_depth == 0)
			(void) mdb_heap_walk_segs(h, &h->mh_vmem[i],
			    fl_seg_span, fs);
		fl_pool_arena = h->mh_vmem[i].mv_addr;
		(void) mdb_heap_walk_segs(h, &h->mh_vmem[i], fl_seg_pool, fs);
	}
	fl_exclude_log(fs, (uint64_t)(uintptr_t)h->mh_root.sr_transaction_log);
	fl_exclude_log(fs, (uint64_t)(uintptr_t)h->mh_root.sr_contents_log);
	fl_exclude_log(fs, (uint64_t)(uintptr_t)h->mh_root.sr_failure_log);
	fl_exclude_log(fs, (uint64_t)(uintptr_t)h->mh_root.sr_slab_log);
	fl_exclude_module(fs);
	fl_exclude_sampled(fs);
	if (fs->fs_snapped)		/* registers: rooted as such */
		fl_exclude(fs, fs->fs_snap.ms_table, fs->fs_snap.ms_table +
		    fs->fs_snap.ms_table_size);
	if (fs->fs_nexcl > 1)
		qsort(fs->fs_excl, fs->fs_nexcl, sizeof (fl_range_t),
		    fl_range_cmp);
}

/* [lo, hi) as roots, between the exclusions; what the dump lacks counted. */
static void
fl_root_range(fl_scan_t *fs, uint64_t lo, uint64_t hi)
{
	size_t i;

	for (i = 0; i < fs->fs_nexcl && lo < hi; i++) {
		const fl_range_t *r = &fs->fs_excl[i];

		if (r->fr_hi <= lo)
			continue;
		if (r->fr_lo >= hi)
			break;
		if (r->fr_lo > lo)
			lk_root(&fs->fs_ls, lo, r->fr_lo - lo);
		lo = r->fr_hi > lo ? r->fr_hi : lo;
	}
	if (lo < hi)
		lk_root(&fs->fs_ls, lo, hi - lo);
}

/* Segment i's first root byte: a stack's pointer, or its start. */
typedef struct fl_seginfo {
	uint64_t fi_from;
	bool fi_live;			/* a live thread's stack is in it */
	bool fi_skip;
} fl_seginfo_t;

static void
fl_stack_at(mdb_tgt_t *t, fl_seginfo_t *fi, uint64_t sp)
{
	const mdb_seg_t *sg = mdb_tgt_seg(t, sp);
	fl_seginfo_t *f;
	uint64_t from;

	if (sg == NULL)
		return;
	f = &fi[sg - t->t_segs];
	from = (sp - (sp - sg->sg_vaddr < FL_REDZONE ? sp - sg->sg_vaddr :
	    FL_REDZONE)) & ~7ULL;
	if (!f->fi_live || from < f->fi_from)
		f->fi_from = from;
	f->fi_live = true;
}

/* Exited threads' stacks (st_root's sr_leak_dead): section 2. */
static void
fl_dead_stacks(fl_scan_t *fs, fl_seginfo_t *fi)
{
	mdb_tgt_t *t = fs->fs_tgt;
	const st_root_t *r = &fs->fs_heap->mh_root;
	uint32_t n = r->sr_leak_ndead, i;
	uint64_t (*dead)[2];

	if (r->sr_leak_dead == NULL || n == 0 || n > FL_MAXDEAD ||
	    (dead = calloc(n, sizeof (*dead))) == NULL)
		return;
	/* One at a time: pages never written are holes in the dump. */
	for (i = 0; i < n; i++)
		(void) mdb_tgt_vread(t, (uint64_t)(uintptr_t)r->sr_leak_dead +
		    i * sizeof (*dead), dead[i], sizeof (*dead));
	for (i = 0; i < n; i++) {
		const mdb_seg_t *sg = dead[i][0] != 0 ?
		    mdb_tgt_seg(t, dead[i][0]) : NULL;
		fl_seginfo_t *f;

		if (sg == NULL || (f = &fi[sg - t->t_segs])->fi_live)
			continue;
		if (dead[i][1] > dead[i][0] && dead[i][1] < sg->sg_vaddr +
		    sg->sg_memsz)
			f->fi_from = dead[i][1] & ~7ULL;
		else
			f->fi_skip = true;
	}
	free(dead);
}

/*
 * A snapshot's threads (section 4): the vector registers of those that
 * stopped; the stack of one that did not, whole (its pointer, when the
 * library knew it, says which mapping).
 */
static void
fl_snap_roots(fl_scan_t *fs, fl_seginfo_t *fi)
{
	mdb_tgt_t *t = fs->fs_tgt;
	const mdb_snap_t *ms = &fs->fs_snap;
	const mdb_seg_t *sg;
	uint64_t words[ST_SNAP_FPREGS / 8];
	uint32_t i;

	for (i = 0; i < ms->ms_nthreads; i++) {
		const st_snap_thread_t *sx = &ms->ms_threads[i];

		if (sx->sx_nregs != 0) {
			(void) memcpy(words, sx->sx_fpregs, sizeof (words));
			lk_root_words(&fs->fs_ls, words, ST_SNAP_FPREGS / 8);
			continue;
		}
		if (sx->sx_regs[FL_SP_REG] != 0 &&
		    (sg = mdb_tgt_seg(t, sx->sx_regs[FL_SP_REG])) != NULL) {
			fi[sg - t->t_segs].fi_live = true;
			fi[sg - t->t_segs].fi_from = sg->sg_vaddr;
		}
	}
}

static void
fl_roots(fl_scan_t *fs)
{
	mdb_tgt_t *t = fs->fs_tgt;
	fl_seginfo_t *fi = calloc(t->t_nsegs + 1, sizeof (*fi));
	size_t i;

	if (fi == NULL) {
		mdb_warn("findleaks: no memory for the roots");
		return;
	}
	for (i = 0; i < t->t_nsegs; i++)
		fi[i].fi_from = t->t_segs[i].sg_vaddr;
	for (i = 0; i < t->t_nthreads; i++) {
		const mdb_thread_t *th = &t->t_threads[i];

		if (th->th_nregs == 0 || th->th_nregs > MDB_NGREGS)
			continue;
		lk_root_words(&fs->fs_ls, th->th_regs, th->th_nregs);
		if (th->th_nregs > FL_SP_REG)
			fl_stack_at(t, fi, th->th_regs[FL_SP_REG]);
	}
	if (fs->fs_snapped)
		fl_snap_roots(fs, fi);
	fl_dead_stacks(fs, fi);
	for (i = 0; i < t->t_nsegs; i++) {
		const mdb_seg_t *sg = &t->t_segs[i];
		uint64_t end = sg->sg_vaddr + sg->sg_memsz;

		if ((sg->sg_flags & (PF_R | PF_W)) != (PF_R | PF_W) ||
		    fi[i].fi_skip)
			continue;
		if (t->t_pid == 0 && sg->sg_filesz < sg->sg_memsz)
			fs->fs_not_in_dump += sg->sg_memsz - sg->sg_filesz;
		fl_root_range(fs, fi[i].fi_from, end);
	}
	free(fi);
}

/* ------------------------------------------------------------------------
 * Rows (section 3).
 */

typedef struct fl_stack {
	uint64_t fk_cache;
	uint64_t fk_time;
	uint32_t fk_depth;
	uint64_t fk_pcs[KMEM_STACK_MAX];
} fl_stack_t;

/* An audit bufctl's cache, time and stack; false if unreadable. */
static bool
fl_bufctl(const fl_scan_t *fs, uint64_t bc, fl_stack_t *fk)
{
	mdb_tgt_t *t = fs->fs_tgt;
	kmem_bufctl_audit_t hdr;

	fk->fk_depth = 0;
	(void) memset(&hdr, 0, sizeof (hdr));	/* older: no bc_astackid */
	if (bc == 0 || mdb_tgt_vread(t, bc, &hdr, KMEM_BUFCTL_AUDIT_V2SIZE) !=
	    0)
		return (false);
	fk->fk_cache = (uint64_t)(uintptr_t)hdr.bc_cache;
	fk->fk_time = hdr.bc_timestamp;
	if (hdr.bc_depth > KMEM_STACK_MAX)
		return (false);
	fk->fk_depth = mdb_bc_stack(t, &fs->fs_root, bc, &hdr, fk->fk_pcs,
	    KMEM_STACK_MAX);
	return (hdr.bc_depth == 0 || fk->fk_depth != 0);
}

static uint64_t
fl_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return (h * 0xff51afd7ed558ccdULL);
}

/* The buffer's cache (0 for a big one), from the heap model. */
static uint64_t
fl_cache_of(fl_scan_t *fs, const lk_buf_t *lb)
{
	mdb_buf_t b;

	if ((lb->lb_kind & FL_BIG) || !mdb_heap_lookup(fs->fs_heap,
	    lb->lb_addr, &b) || b.mb_cache == NULL)
		return (0);
	return (b.mb_cache->mc_addr);
}

/* A row: cache and stack, cache and caller, or cache (and size if big). */
static uint64_t
fl_key(void *arg, const lk_buf_t *lb)
{
	fl_scan_t *fs = arg;
	fl_stack_t fk;
	uint64_t h = fl_mix(0, lb->lb_kind), i;

	if ((lb->lb_kind & ~FL_BIG) == FL_AUDIT &&
	    fl_bufctl(fs, lb->lb_tag, &fk)) {
		h = fl_mix(h, (lb->lb_kind & FL_BIG) ? 0 : fk.fk_cache);
		for (i = 0; i < fk.fk_depth; i++)
			h = fl_mix(h, fk.fk_pcs[i]);
		return (h);
	}
	if (lb->lb_kind & FL_BIG)
		return (fl_mix(h, lk_bytes(lb)));
	h = fl_mix(h, fl_cache_of(fs, lb));
	return (lb->lb_kind == FL_CALLER ? fl_mix(h, lb->lb_tag) : h);
}

/* The first frame outside the allocator (kmlog.c's rule). */
static uint64_t
fl_caller(mdb_tgt_t *t, const fl_stack_t *fk)
{
	uint32_t i;

	for (i = 0; i < fk->fk_depth; i++)
		if (!mdb_pc_in_allocator(t, fk->fk_pcs[i]))
			return (fk->fk_pcs[i]);
	return (fk->fk_depth != 0 ? fk->fk_pcs[fk->fk_depth - 1] : 0);
}

static void
fl_row_fill(fl_scan_t *fs, uint64_t g, fl_row_t *fw)
{
	lk_scan_t *ls = &fs->fs_ls;
	const lk_group_t *lg = &ls->ls_groups[g];
	const lk_buf_t *best = lk_leak(ls, lg->lg_first), *lb;
	fl_stack_t fk;
	uint64_t i, oldest = UINT64_MAX;

	/* The oldest leak is the representative (mdb's choice). */
	for (i = lg->lg_first; (best->lb_kind & ~FL_BIG) == FL_AUDIT &&
	    i < (uint64_t)lg->lg_first + lg->lg_count; i++) {
		lb = lk_leak(ls, i);
		if (fl_bufctl(fs, lb->lb_tag, &fk) &&
		    fk.fk_time < oldest) {
			oldest = fk.fk_time;
			best = lb;
		}
	}
	(void) memset(fw, 0, sizeof (*fw));
	fw->fw_group = g;
	fw->fw_buf = best->lb_addr;
	fw->fw_rep = (best->lb_kind & ~FL_BIG) == FL_AUDIT ? best->lb_tag :
	    best->lb_addr;
	fw->fw_cache = fl_cache_of(fs, best);
	fw->fw_bytes = lg->lg_bytes;
	fw->fw_count = lg->lg_count;
	fw->fw_state = best->lb_state;
	fw->fw_kind = best->lb_kind;
	if ((best->lb_kind & ~FL_BIG) == FL_AUDIT &&
	    fl_bufctl(fs, best->lb_tag, &fk))
		fw->fw_caller = fl_caller(fs->fs_tgt, &fk);
	else if (best->lb_kind == FL_CALLER)
		fw->fw_caller = best->lb_tag;
}

static int
fl_rows(fl_scan_t *fs)
{
	lk_scan_t *ls = &fs->fs_ls;
	uint64_t g;

	if (lk_group(ls, fl_key, fs) != 0) {
		mdb_warn("findleaks: no memory to group the leaks");
		return (-1);
	}
	if (ls->ls_ngroups != 0 && (fs->fs_rows = calloc(ls->ls_ngroups,
	    sizeof (fl_row_t))) == NULL) {
		mdb_warn("findleaks: no memory for %llu rows",
		    (unsigned long long)ls->ls_ngroups);
		return (-1);
	}
	for (g = 0; g < ls->ls_ngroups; g++)
		fl_row_fill(fs, g, &fs->fs_rows[g]);
	fs->fs_nrows = ls->ls_ngroups;
	return (0);
}

/* ------------------------------------------------------------------------
 * The scan.
 */

static double
fl_clock(clockid_t id)
{
	struct timespec ts;

	(void) clock_gettime(id, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* A live process: its snapshot, or one line saying why it is stopped. */
static void
fl_snapshot(fl_scan_t *fs, mdb_tgt_t *t)
{
	char why[256];
	int rc = mdb_proc_snapshot(t, &fs->fs_snap, why, sizeof (why));

	fs->fs_snapped = rc == 0;
	fs->fs_stopped = rc == 1;
	if (rc == 1)
		mdb_warn("findleaks: no snapshot of process %d (%s): it is "
		    "stopped for the scan", (int)t->t_pid, why);
}

/* The scan of t, kept or made (force: made); NULL warned. */
static fl_scan_t *
fl_get(mdb_tgt_t *t, uint32_t flags, bool force)
{
	fl_scan_t *fs = &fl_scan;
	double wall = fl_clock(CLOCK_MONOTONIC),
	    cpu = fl_clock(CLOCK_PROCESS_CPUTIME_ID);
	mdb_heap_t *h;

	if (!force && fs->fs_valid && fs->fs_tgt == t && t->t_pid == 0) {
		/* The model is made again per command: the kept one is gone. */
		if ((fs->fs_heap = mdb_heap_get(t, flags)) == NULL)
			return (NULL);
		return (fs);
	}
	fl_reset(fs);
	if (t->t_pid != 0)
		fl_snapshot(fs, t);
	/* Registers first: a live process stops there, then its heap. */
	if (mdb_tgt_getregs(t) != 0 || (h = mdb_heap_get(t, flags)) == NULL)
		return (NULL);
	fs->fs_tgt = t;
	fs->fs_heap = h;
	fs->fs_depth = h->mh_root.sr_stack_depth;
	fs->fs_root = h->mh_root;
	if (fl_table(fs) != 0) {
		fl_reset(fs);
		return (NULL);
	}
	fl_exclusions(fs);
	fl_roots(fs);
	lk_classify(&fs->fs_ls);
	if (fl_rows(fs) != 0) {
		fl_reset(fs);
		return (NULL);
	}
	fs->fs_wall = fl_clock(CLOCK_MONOTONIC) - wall;
	fs->fs_cpu = fl_clock(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	return (fs);
}

/* ------------------------------------------------------------------------
 * Output.
 */

typedef struct fl_opts {
	bool fo_d, fo_f, fo_v;
	bool fo_match;			/* ADDR::findleaks */
	uint64_t fo_lo, fo_hi;		/* the function's range */
} fl_opts_t;

/* Does row fw's stack (or caller) fall in [fo_lo, fo_hi)? */
static bool
fl_matches(fl_scan_t *fs, const fl_opts_t *fo, const fl_row_t *fw)
{
	fl_stack_t fk;
	uint32_t i;

	if (!fo->fo_match)
		return (true);
	if ((fw->fw_kind & ~FL_BIG) == FL_AUDIT &&
	    fl_bufctl(fs, fw->fw_rep, &fk)) {
		for (i = 0; i < fk.fk_depth; i++)
			if (fk.fk_pcs[i] >= fo->fo_lo &&
			    fk.fk_pcs[i] < fo->fo_hi)
				return (true);
		return (false);
	}
	return (fw->fw_caller >= fo->fo_lo && fw->fw_caller < fo->fo_hi);
}

static const char *
fl_cache_name(fl_scan_t *fs, uint64_t cache, char *buf, size_t len)
{
	const mdb_cache_t *mc = mdb_heap_cache(fs->fs_heap, cache);

	(void) snprintf(buf, len, "%s", mc != NULL ?
	    mc->mc_cp.cache_name : cache == 0 ? "kmem_oversize" : "?");
	return (buf);
}

/*
 * Which table a row goes in: a cache's rows (0 audited: BUFCTL; 1 not:
 * BUFFER), then big buffers' by size (2 audited, 3 not).
 */
#define	FL_NTABLES	4

static int
fl_table_of(const fl_row_t *fw)
{
	return (((fw->fw_kind & FL_BIG) ? 2 : 0) +
	    ((fw->fw_kind & ~FL_BIG) == FL_AUDIT ? 0 : 1));
}

static const char *const fl_headers[FL_NTABLES] = {
	"CACHE             LEAKED           BUFCTL CALLER",
	"CACHE             LEAKED           BUFFER CALLER",
	"BYTES             LEAKED           BUFCTL CALLER",
	"BYTES             LEAKED           BUFFER CALLER",
};

static void
fl_row_print(fl_scan_t *fs, const fl_row_t *fw)
{
	char sym[256];

	if (fw->fw_kind & FL_BIG)
		(void) printf("%16llu", (unsigned long long)(fw->fw_bytes /
		    (fw->fw_count != 0 ? fw->fw_count : 1)));
	else
		(void) printf("%016llx", (unsigned long long)fw->fw_cache);
	(void) printf(" %7u %016llx %s\n", fw->fw_count,
	    (unsigned long long)fw->fw_rep, fw->fw_caller != 0 ?
	    mdb_sym_format(fs->fs_tgt, fw->fw_caller, sym, sizeof (sym)) :
	    "?");
}

/* What a big row's buffers are, by its representative's kind. */
static const char *
fl_big_name(fl_scan_t *fs, uint64_t buf)
{
	mdb_buf_t b;

	if (!mdb_heap_lookup(fs->fs_heap, buf, &b))
		return ("kmem_oversize");
	switch (b.mb_kind) {
	case MDB_BK_FIREWALL:
		return ("firewall");
	case MDB_BK_SAMPLED:
		return ("sampled firewall");
	default:
		return ("kmem_oversize");
	}
}

/* -d: what a row is, then its representative's ::bufctl -v. */
static void
fl_row_detail(fl_scan_t *fs, const fl_row_t *fw)
{
	char name[KMEM_CACHE_NAMELEN + 8];
	const mdb_cache_t *mc = mdb_heap_cache(fs->fs_heap, fw->fw_cache);
	uint64_t each = mc != NULL ? mc->mc_cp.cache_bufsize :
	    fw->fw_bytes / (fw->fw_count != 0 ? fw->fw_count : 1);
	char *argv[] = { (char *)"-v", NULL };
	mdb_cmdctx_t cx;

	(void) printf("%s leak: %u buffer%s, %llu bytes each, %llu bytes "
	    "total\n", (fw->fw_kind & FL_BIG) && fw->fw_cache == 0 ?
	    fl_big_name(fs, fw->fw_buf) :
	    fl_cache_name(fs, fw->fw_cache, name, sizeof (name)),
	    fw->fw_count, fw->fw_count == 1 ? "" : "s",
	    (unsigned long long)each, (unsigned long long)fw->fw_bytes);
	if ((fw->fw_kind & ~FL_BIG) != FL_AUDIT) {
		(void) printf("    buffer %llx (no audit record: "
		    "UMEM_DEBUG=default keeps one)\n",
		    (unsigned long long)fw->fw_buf);
		return;
	}
	(void) memset(&cx, 0, sizeof (cx));
	cx.cx_addr = fw->fw_rep;
	cx.cx_flags = DCMD_ADDRSPEC;
	(void) fflush(stdout);
	(void) dcmd_bufctl(fs->fs_tgt, &cx, 1, argv);
}

static void
fl_stats(fl_scan_t *fs)
{
	const lk_stats_t *st = &fs->fs_ls.ls_stats;
	uint64_t w = st->lt_words != 0 ? st->lt_words : 1;

#define	FL_PCT(n)	(int)((n) * 100 / w), (int)((n) * 1000 / w % 10)
	(void) printf("findleaks: maximum buffers => %llu\n"
	    "findleaks:  actual buffers => %llu\n"
	    "findleaks: \n"
	    "findleaks: potential pointers => %llu\n"
	    "findleaks:     dismissals => %llu (%2d.%1d%%)\n"
	    "findleaks:         misses => %llu (%2d.%1d%%)\n"
	    "findleaks:           dups => %llu (%2d.%1d%%)\n"
	    "findleaks:        follows => %llu (%2d.%1d%%)\n"
	    "findleaks: \n",
	    (unsigned long long)st->lt_maxbufs,
	    (unsigned long long)st->lt_nbufs, (unsigned long long)w,
	    (unsigned long long)st->lt_dismissals, FL_PCT(st->lt_dismissals),
	    (unsigned long long)st->lt_misses, FL_PCT(st->lt_misses),
	    (unsigned long long)st->lt_dups, FL_PCT(st->lt_dups),
	    (unsigned long long)st->lt_follows, FL_PCT(st->lt_follows));
#undef	FL_PCT
	(void) printf("findleaks: roots read => %llu kB (%llu kB not in the "
	    "dump)\n"
	    "findleaks: buffers read => %llu kB (%llu kB unreadable)\n"
	    "findleaks: leaked => %llu direct, %llu indirect\n"
	    "findleaks: peak memory usage => %llu kB\n"
	    "findleaks:  elapsed CPU time => %.3f seconds\n"
	    "findleaks: elapsed wall time => %.3f seconds\n",
	    (unsigned long long)(st->lt_root_bytes >> 10),
	    (unsigned long long)(fs->fs_not_in_dump >> 10),
	    (unsigned long long)(st->lt_buf_bytes >> 10),
	    (unsigned long long)(st->lt_unreadable >> 10),
	    (unsigned long long)st->lt_direct,
	    (unsigned long long)st->lt_indirect,
	    (unsigned long long)(st->lt_memory >> 10), fs->fs_cpu,
	    fs->fs_wall);
	if (fs->fs_snapped)
		(void) printf("findleaks: scanned a snapshot => child %d\n"
		    "findleaks: the program paused => %llu us (its threads "
		    "stopped %llu us, fork %llu us, %u stop%s)\n",
		    (int)fs->fs_snap.ms_child,
		    (unsigned long long)(fs->fs_snap.ms_pause_ns / 1000),
		    (unsigned long long)(fs->fs_snap.ms_park_ns / 1000),
		    (unsigned long long)(fs->fs_snap.ms_fork_ns / 1000),
		    fs->fs_snap.ms_tries, fs->fs_snap.ms_tries == 1 ? "" : "s");
	else if (fs->fs_stopped)
		(void) printf("findleaks: scanned the process => stopped "
		    "for %.3f seconds\n", fs->fs_wall);
}

/* The rows of one state: each table, then the total.  Rows printed. */
static uint64_t
fl_print_state(fl_scan_t *fs, const fl_opts_t *fo, uint8_t state)
{
	uint64_t n = 0, bufs = 0, bytes = 0;
	size_t i;
	int tbl;

	for (tbl = 0; tbl < FL_NTABLES; tbl++) {
		bool hdr = false;

		for (i = 0; i < fs->fs_nrows; i++) {
			const fl_row_t *fw = &fs->fs_rows[i];

			if (fw->fw_state != state || fl_table_of(fw) != tbl ||
			    !fl_matches(fs, fo, fw))
				continue;
			if (!hdr)
				(void) printf("%s\n", fl_headers[tbl]);
			hdr = true;
			fl_row_print(fs, fw);
			n++;
			bufs += fw->fw_count;
			bytes += fw->fw_bytes;
		}
	}
	if (n == 0)
		return (0);
	(void) printf("%s\n%*s %7llu buffer%s, %llu byte%s\n",
	    "------------------------------------------------------------"
	    "------------", FL_HEADER_W, "Total", (unsigned long long)bufs,
	    bufs == 1 ? "" : "s", (unsigned long long)bytes,
	    bytes == 1 ? "" : "s");
	return (n);
}

static void
fl_print(fl_scan_t *fs, const fl_opts_t *fo, uint64_t addr)
{
	char sym[256];
	uint64_t direct, indirect;
	size_t i;

	if (fo->fo_v)
		fl_stats(fs);
	direct = fl_print_state(fs, fo, LK_DIRECT);
	if (direct != 0)
		(void) printf("\n");
	(void) fflush(stdout);
	indirect = 0;
	for (i = 0; i < fs->fs_nrows && indirect == 0; i++)
		indirect = fs->fs_rows[i].fw_state == LK_INDIRECT &&
		    fl_matches(fs, fo, &fs->fs_rows[i]);
	if (indirect) {
		(void) printf("indirect leaks (reached only from the leaks "
		    "above):\n");
		(void) fl_print_state(fs, fo, LK_INDIRECT);
		(void) printf("\n");
	}
	if (direct == 0 && !indirect) {
		if (fo->fo_match)
			(void) printf("findleaks: no memory leaks matching %s "
			    "found\n", mdb_sym_format(fs->fs_tgt, addr, sym,
			    sizeof (sym)));
		else
			(void) printf("findleaks: no memory leaks detected\n");
	}
	if (!fo->fo_d)
		return;
	for (i = 0; i < fs->fs_nrows; i++) {
		if (!fl_matches(fs, fo, &fs->fs_rows[i]))
			continue;
		fl_row_detail(fs, &fs->fs_rows[i]);
		(void) printf("\n");
		(void) fflush(stdout);
	}
}

static void
fl_json_row(fl_scan_t *fs, const fl_row_t *fw)
{
	char sym[256], name[KMEM_CACHE_NAMELEN + 8];

	mj_begin('{', NULL);
	mj_addr("cache", fw->fw_cache);
	mj_str("cache_name", fl_cache_name(fs, fw->fw_cache, name,
	    sizeof (name)));
	mj_u64("leaked", fw->fw_count);
	mj_u64("bytes", fw->fw_bytes);
	if ((fw->fw_kind & ~FL_BIG) == FL_AUDIT)
		mj_addr("bufctl", fw->fw_rep);
	else
		mj_null("bufctl");
	mj_addr("buffer", fw->fw_buf);
	mj_str("caller", fw->fw_caller != 0 ? mdb_sym_format(fs->fs_tgt,
	    fw->fw_caller, sym, sizeof (sym)) : NULL);
	mj_end();
}

static void
fl_json(fl_scan_t *fs, const fl_opts_t *fo)
{
	static const char *const keys[] = { "direct", "indirect" };
	const lk_stats_t *st = &fs->fs_ls.ls_stats;
	uint64_t bufs = 0, bytes = 0;
	size_t i;
	int k;

	mj_begin('{', NULL);
	for (k = 0; k < 2; k++) {
		mj_begin('[', keys[k]);
		for (i = 0; i < fs->fs_nrows; i++) {
			const fl_row_t *fw = &fs->fs_rows[i];

			if (fw->fw_state != (k == 0 ? LK_DIRECT :
			    LK_INDIRECT) || !fl_matches(fs, fo, fw))
				continue;
			fl_json_row(fs, fw);
			bufs += fw->fw_count;
			bytes += fw->fw_bytes;
		}
		mj_end();
	}
	mj_u64("total_buffers", bufs);
	mj_u64("total_bytes", bytes);
	if (fo->fo_v) {
		mj_u64("buffers", st->lt_nbufs);
		mj_u64("potential_pointers", st->lt_words);
		mj_u64("follows", st->lt_follows);
		mj_u64("root_bytes", st->lt_root_bytes);
		mj_u64("unreadable_bytes", st->lt_unreadable);
		mj_u64("memory_bytes", st->lt_memory);
		if (fs->fs_snapped) {
			mj_u64("snapshot_child",
			    (uint64_t)fs->fs_snap.ms_child);
			mj_u64("pause_us", fs->fs_snap.ms_pause_ns / 1000);
			mj_u64("stopped_us", fs->fs_snap.ms_park_ns / 1000);
			mj_u64("stops", fs->fs_snap.ms_tries);
			mj_u64("fork_us", fs->fs_snap.ms_fork_ns / 1000);
		} else if (fs->fs_stopped) {
			mj_u64("stopped_us", (uint64_t)(fs->fs_wall * 1e6));
			mj_u64("stops", 1);
		}
	}
	mj_end();
}

static int
fl_parse(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv,
    fl_opts_t *fo)
{
	char name[256];
	uint64_t start, size;
	int i;
	const char *s;

	(void) memset(fo, 0, sizeof (*fo));
	for (i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return (DCMD_USAGE);
		for (s = argv[i] + 1; *s != '\0'; s++) {
			if (*s == 'd')
				fo->fo_d = true;
			else if (*s == 'f')
				fo->fo_f = true;
			else if (*s == 'v')
				fo->fo_v = true;
			else
				return (DCMD_USAGE);
		}
	}
	if (cx->cx_flags & DCMD_ADDRSPEC) {
		fo->fo_match = true;
		if (mdb_sym_lookup(t, cx->cx_addr, name, sizeof (name), &start,
		    &size) && size != 0) {
			fo->fo_lo = start;
			fo->fo_hi = start + size;
		} else {
			fo->fo_lo = cx->cx_addr;
			fo->fo_hi = cx->cx_addr + 1;
		}
	}
	return (DCMD_OK);
}

int
dcmd_findleaks(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	fl_scan_t *fs;
	fl_opts_t fo;
	size_t i;
	int rc;

	if ((rc = fl_parse(t, cx, argc, argv, &fo)) != DCMD_OK)
		return (rc);
	if ((fs = fl_get(t, cx->cx_flags, fo.fo_f)) == NULL)
		return (DCMD_ERR);
	if (cx->cx_flags & DCMD_PIPE_OUT) {
		for (i = 0; i < fs->fs_nrows; i++)
			if (fl_matches(fs, &fo, &fs->fs_rows[i]))
				(void) printf("%llx\n", (unsigned long long)
				    fs->fs_rows[i].fw_rep);
		return (DCMD_OK);
	}
	if (mdb_json)
		fl_json(fs, &fo);
	else
		fl_print(fs, &fo, cx->cx_addr);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * The leak and leakbuf walkers (kmwalk.c's table names them).
 */

/*
 * Every leak's bufctl (audited) or buffer (leak), or buffer (leakbuf);
 * with an address, only those of the row whose representative it is.
 * 0 done, 1 stopped by fn, -1 warned.
 */
int
mdb_leak_walk(mdb_tgt_t *t, uint32_t flags, bool scoped, uint64_t addr,
    bool bufs, int (*fn)(void *, uint64_t), void *arg)
{
	fl_scan_t *fs = fl_get(t, flags, false);
	lk_scan_t *ls;
	size_t r;
	uint64_t i;
	int rc;

	if (fs == NULL)
		return (-1);
	ls = &fs->fs_ls;
	for (r = 0; r < fs->fs_nrows; r++) {
		const fl_row_t *fw = &fs->fs_rows[r];
		const lk_group_t *lg = &ls->ls_groups[fw->fw_group];

		if (scoped && fw->fw_rep != addr && fw->fw_buf != addr)
			continue;
		for (i = lg->lg_first; i < (uint64_t)lg->lg_first +
		    lg->lg_count; i++) {
			const lk_buf_t *lb = lk_leak(ls, i);

			rc = fn(arg, !bufs && (lb->lb_kind & ~FL_BIG) ==
			    FL_AUDIT ? lb->lb_tag : lb->lb_addr);
			if (rc != 0)
				return (rc);
		}
		if (scoped)
			return (0);
	}
	if (scoped) {
		mdb_warn("%llx is not a leak's representative (::findleaks "
		    "lists them)", (unsigned long long)addr);
		return (-1);
	}
	return (0);
}
