/*
 * kmlog.c: the debugger's commands on the kmem logs and audit bufctls:
 * ::kmalog, ::kmem_log, ::bufctl, ::allocdby, ::freedby.
 *
 * 1. What they read.  With auditing on (KMF_AUDIT), every allocation and
 *    free copies the buffer's audit bufctl (kmem_bufctl_audit_t: buffer,
 *    cache, slab, time, thread, stack) into the transaction log, a ring
 *    of fixed-size records that st_root names (log.c).  The failure and
 *    slab logs hold the same records for failed allocations and new
 *    slabs.  A record's bc_lastlog points at the buffer's previous
 *    record, so from any bufctl the buffer's history is a chain.
 *
 * 2. Order.  Threads fill the ring a chunk at a time, so records are in
 *    time order within a chunk only: the log is read whole (the chunks
 *    ever claimed) and sorted by bc_timestamp, newest first, as mdb's
 *    kmem_log walker does.  Times print as T-SEC.NSEC before the panic
 *    (sn_mono in the dump's note: the same clock as bc_timestamp), or
 *    before the newest record when the note has no panic time.
 *
 * 3. Distrust.  The dump may hold a torn or overwritten record, a log
 *    header smashed by the bug being chased, or a bc_lastlog chain that
 *    loops.  Every size is bounded before use; a record with no time, no
 *    buffer or an impossible depth is skipped; a history walk stops when
 *    a record no longer describes the same buffer, leaves the ring, or is
 *    not strictly older than the one before it, and never takes more
 *    steps than the ring has records.  A bad address is one line.
 *
 * 4. The caller.  ::bufctl's CALLER is the first frame outside the
 *    allocator: outside libslabtrace.so (the dump's NT_FILE mappings say
 *    which file holds a pc), or, in a program linked with libslabtrace.a,
 *    outside the allocator's own function names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

#define	KML_MAXRECSIZE	4096		/* bytes of one record, at most */
#define	KML_MAXLOGSIZE	(1ULL << 32)	/* bytes of a ring, at most */
#define	KML_HDRSIZE	KMEM_BUFCTL_AUDIT_V2SIZE	/* a record, at least */

/* One audit record, copied out of the target. */
typedef struct kml_bc {
	uint64_t kb_where;		/* its address in the target */
	uint64_t kb_stack[KMEM_STACK_MAX];
	uint32_t kb_depth;		/* frames in kb_stack, bounded */
	kmem_bufctl_audit_t kb_bc;	/* the record (frames: the depot's) */
} kml_bc_t;

/* A log, read and sorted. */
typedef struct kml_log {
	kmem_log_t kl_hdr;
	uint64_t kl_addr;		/* &kmem_*_log in the target */
	uint8_t *kl_data;		/* the records read */
	uint64_t *kl_order;		/* valid record indexes, newest first */
	uint64_t kl_n;			/* in kl_order */
	uint32_t kl_maxdepth;		/* frames a record may hold */
	mdb_tgt_t *kl_tgt;		/* where its stacks are read */
	const st_root_t *kl_root;
} kml_log_t;

/* The state every command starts from. */
typedef struct kml {
	mdb_tgt_t *k_tgt;
	st_root_t k_root;
	uint32_t k_maxdepth;		/* sr_stack_depth, bounded */
	int k_static;			/* -1 unknown; 1 no libslabtrace.so */
} kml_t;

static int
kml_init(mdb_tgt_t *t, kml_t *k)
{
	(void) memset(k, 0, sizeof (*k));
	k->k_tgt = t;
	k->k_static = -1;
	if (!t->t_have_note || t->t_note.sn_root == 0) {
		mdb_warn("not a slabtrace dump: no st_root");
		return (-1);
	}
	if (mdb_tgt_vread(t, t->t_note.sn_root, &k->k_root,
	    sizeof (k->k_root)) != 0) {
		mdb_warn_read(t->t_note.sn_root, sizeof (k->k_root));
		return (-1);
	}
	if (memcmp(k->k_root.sr_magic, ST_ROOT_MAGIC,
	    sizeof (k->k_root.sr_magic)) != 0) {
		mdb_warn("st_root at %llx is corrupt (bad magic)",
		    (unsigned long long)t->t_note.sn_root);
		return (-1);
	}
	k->k_maxdepth = k->k_root.sr_stack_depth;
	if (k->k_maxdepth == 0 || k->k_maxdepth > KMEM_STACK_MAX)
		k->k_maxdepth = KMEM_STACK_MAX;
	return (0);
}

/* ------------------------------------------------------------------------
 * Records and caches.
 */

static bool
kml_rec_valid(const kmem_bufctl_audit_t *bc, uint32_t maxdepth)
{
	return (bc->bc_timestamp != 0 && bc->bc_addr != NULL &&
	    bc->bc_cache != NULL && bc->bc_depth <= maxdepth);
}

/*
 * Fill kb from the record at where, whose fixed part (len bytes, at least
 * KML_HDRSIZE) was copied to p; its frames come from the stack depot
 * (mdb_bc_stack).  A library older than bc_astackid has none.
 */
static void
kml_bc_from(mdb_tgt_t *t, const st_root_t *root, kml_bc_t *kb,
    uint64_t where, const uint8_t *p, size_t len, uint32_t maxdepth)
{
	kb->kb_where = where;
	(void) memset(&kb->kb_bc, 0, sizeof (kb->kb_bc));
	(void) memcpy(&kb->kb_bc, p, len < sizeof (kb->kb_bc) ? len :
	    sizeof (kb->kb_bc));
	if (root->sr_version < ST_ASTACK_VERSION)
		kb->kb_bc.bc_astackid = kb->kb_bc.bc_athread = 0;
	kb->kb_depth = mdb_bc_stack(t, root, where, &kb->kb_bc, kb->kb_stack,
	    maxdepth);
}

/* A bufctl at addr; -1 (errno set) when it cannot be read. */
static int
kml_bc_read(kml_t *k, uint64_t addr, kml_bc_t *kb)
{
	uint8_t buf[sizeof (kmem_bufctl_audit_t)];
	ssize_t got;

	if ((got = mdb_tgt_read(k->k_tgt, addr, buf, sizeof (buf))) < 0)
		return (-1);
	if ((size_t)got < KML_HDRSIZE) {
		errno = MDB_ENODUMP;
		return (-1);
	}
	kml_bc_from(k->k_tgt, &k->k_root, kb, addr, buf, (size_t)got,
	    k->k_maxdepth);
	return (0);
}

/* A cache's name, or "?" when cp does not look like one. */
static const char *
kml_cache_name(kml_t *k, uint64_t cp, char *buf, size_t len)
{
	char name[KMEM_CACHE_NAMELEN];

	if (cp == 0 || (cp & (KMEM_ALIGN - 1)) != 0 ||
	    mdb_tgt_vread(k->k_tgt, cp + offsetof(kmem_cache_t, cache_name),
	    name, sizeof (name)) != 0 ||
	    memchr(name, '\0', sizeof (name)) == NULL)
		return ("?");
	(void) snprintf(buf, len, "%s", name);
	return (buf);
}

/* The size of what a record of log `which` covers: 0 when unknown. */
static uint64_t
kml_span(kml_t *k, uint64_t cp, bool slab)
{
	uint64_t v;

	if (cp == 0 || (cp & (KMEM_ALIGN - 1)) != 0 ||
	    mdb_tgt_vread(k->k_tgt, cp + (slab ?
	    offsetof(kmem_cache_t, cache_slabsize) :
	    offsetof(kmem_cache_t, cache_bufsize)), &v, sizeof (v)) != 0 ||
	    v > (1ULL << 40))
		return (0);
	return (v);
}

/* Does the record's buffer (or slab) contain addr? */
static bool
kml_contains(kml_t *k, const kmem_bufctl_audit_t *bc, uint64_t addr,
    bool slab)
{
	uint64_t base = (uint64_t)(uintptr_t)bc->bc_addr, span;

	if (addr == base)
		return (true);
	if (addr < base)
		return (false);
	span = kml_span(k, (uint64_t)(uintptr_t)bc->bc_cache, slab);
	return (addr - base < span);
}

/*
 * Frames as "function+0xoff", through a small cache: a log repeats the
 * same few hundred pcs, and a symbol lookup costs tens of microseconds.
 */
#define	KML_SYMCACHE	4096		/* slots, a power of two */
#define	KML_SYMLEN	120		/* longer names are not cached */

typedef struct kml_sym {
	const mdb_tgt_t *ks_tgt;
	uint64_t ks_pc;
	char ks_name[KML_SYMLEN];
} kml_sym_t;

static kml_sym_t *kml_symcache;

static const char *
kml_sym(mdb_tgt_t *t, uint64_t pc, char *buf, size_t len)
{
	kml_sym_t *ks;

	if (kml_symcache == NULL &&
	    (kml_symcache = calloc(KML_SYMCACHE, sizeof (kml_sym_t))) == NULL)
		return (mdb_sym_format(t, pc, buf, len));
	ks = &kml_symcache[((pc >> 2) ^ (pc >> 14)) & (KML_SYMCACHE - 1)];
	if (ks->ks_tgt == t && ks->ks_pc == pc)
		return (ks->ks_name);
	(void) mdb_sym_format(t, pc, buf, len);
	if (strlen(buf) < sizeof (ks->ks_name)) {
		ks->ks_tgt = t;
		ks->ks_pc = pc;
		(void) memcpy(ks->ks_name, buf, strlen(buf) + 1);
	}
	return (buf);
}

/* ------------------------------------------------------------------------
 * The allocator's frames.
 */

static const mdb_mapfile_t *
kml_mapfile(mdb_tgt_t *t, uint64_t pc)
{
	size_t lo = 0, hi = t->t_nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const mdb_mapfile_t *mf = &t->t_files[mid];

		if (pc < mf->mf_start)
			hi = mid;
		else if (pc >= mf->mf_end)
			lo = mid + 1;
		else
			return (mf);
	}
	return (NULL);
}

static bool
kml_is_lib(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return (strncmp(base, "libslabtrace", 12) == 0);
}

/* The allocator's entry points and internals, for a static link. */
static bool
kml_is_alloc_name(const char *name)
{
	static const char *const prefix[] = { "kmem_", "umem_", "vmem_",
	    "st_", "slab_", "fw_", "operator new", "operator delete",
	    "malloc", "free", "calloc", "realloc", "reallocarray",
	    "posix_memalign", "aligned_alloc", "memalign", "valloc",
	    "pvalloc", "cfree", NULL };
	int i;

	for (i = 0; prefix[i] != NULL; i++) {
		size_t n = strlen(prefix[i]);

		if (strncmp(name, prefix[i], n) != 0)
			continue;
		/* A prefix ending in '_' or ' ' is a family; others exact. */
		if (prefix[i][n - 1] == '_' || prefix[i][n - 1] == ' ' ||
		    name[n] == '\0' || name[n] == '@')
			return (true);
	}
	return (false);
}

static bool
kml_in_allocator(kml_t *k, uint64_t pc)
{
	mdb_tgt_t *t = k->k_tgt;
	const mdb_mapfile_t *mf;
	char name[512];
	size_t i;

	if (k->k_static < 0) {
		k->k_static = 1;
		for (i = 0; i < t->t_nfiles; i++) {
			if (kml_is_lib(t->t_files[i].mf_name))
				k->k_static = 0;
		}
	}
	if (!k->k_static)
		return ((mf = kml_mapfile(t, pc)) != NULL &&
		    kml_is_lib(mf->mf_name));
	return (mdb_sym_lookup(t, pc, name, sizeof (name), NULL, NULL) &&
	    kml_is_alloc_name(name));
}

/* The same question for proc.c: is this thread inside the allocator? */
bool
mdb_pc_in_allocator(mdb_tgt_t *t, uint64_t pc)
{
	kml_t k;

	(void) memset(&k, 0, sizeof (k));
	k.k_tgt = t;
	k.k_static = -1;
	return (kml_in_allocator(&k, pc));
}

/* The first frame outside the allocator (the last one if none is). */
static uint64_t
kml_caller(kml_t *k, const kml_bc_t *kb)
{
	uint32_t i;

	for (i = 0; i < kb->kb_depth; i++) {
		if (!kml_in_allocator(k, kb->kb_stack[i]))
			return (kb->kb_stack[i]);
	}
	return (kb->kb_depth != 0 ? kb->kb_stack[kb->kb_depth - 1] : 0);
}

/* ------------------------------------------------------------------------
 * Reading a log.
 */

static int
kml_ts_cmp(const void *a, const void *b, void *arg)
{
	const kml_log_t *kl = arg;
	uint64_t ia = *(const uint64_t *)a, ib = *(const uint64_t *)b, ta, tb;

	(void) memcpy(&ta, kl->kl_data + ia * kl->kl_hdr.lh_recsize +
	    offsetof(kmem_bufctl_audit_t, bc_timestamp), sizeof (ta));
	(void) memcpy(&tb, kl->kl_data + ib * kl->kl_hdr.lh_recsize +
	    offsetof(kmem_bufctl_audit_t, bc_timestamp), sizeof (tb));
	if (ta != tb)
		return (ta > tb ? -1 : 1);
	return (ia > ib ? -1 : ia < ib);
}

static void
kml_log_free(kml_log_t *kl)
{
	free(kl->kl_data);
	free(kl->kl_order);
	kl->kl_data = NULL;
	kl->kl_order = NULL;
}

/* The log named name ("transaction", "fail", "slab"), read and sorted. */
static int
kml_log_load(kml_t *k, const char *name, kml_log_t *kl)
{
	mdb_tgt_t *t = k->k_tgt;
	const st_root_t *r = &k->k_root;
	kmem_log_t *lh = &kl->kl_hdr;
	uint64_t used, chunkbytes, c, i, nchunks;

	(void) memset(kl, 0, sizeof (*kl));
	if (strcmp(name, "fail") == 0)
		kl->kl_addr = (uint64_t)(uintptr_t)r->sr_failure_log;
	else if (strcmp(name, "slab") == 0)
		kl->kl_addr = (uint64_t)(uintptr_t)r->sr_slab_log;
	else
		kl->kl_addr = (uint64_t)(uintptr_t)r->sr_transaction_log;
	if (kl->kl_addr == 0 || mdb_tgt_vread(t, kl->kl_addr, lh,
	    sizeof (*lh)) != 0) {
		mdb_warn("cannot read the %s log header at %llx", name,
		    (unsigned long long)kl->kl_addr);
		return (-1);
	}
	if (lh->lh_magic != KMEM_LOG_MAGIC) {
		mdb_warn("the %s log header at %llx is corrupt (bad magic)",
		    name, (unsigned long long)kl->kl_addr);
		return (-1);
	}
	if (lh->lh_base == NULL || lh->lh_nrecs == 0) {
		mdb_warn("no %s log in this dump: the program ran without "
		    "auditing (KMEM_FLAGS=0x1, UMEM_DEBUG=audit)", name);
		return (-1);
	}
	if (lh->lh_recsize < KML_HDRSIZE || lh->lh_recsize > KML_MAXRECSIZE ||
	    lh->lh_size > KML_MAXLOGSIZE || lh->lh_chunk == 0 ||
	    lh->lh_nchunks == 0 ||
	    lh->lh_nrecs > lh->lh_size / lh->lh_recsize ||
	    lh->lh_chunk > lh->lh_nrecs ||
	    lh->lh_nchunks > lh->lh_nrecs / lh->lh_chunk) {
		mdb_warn("the %s log header at %llx is corrupt (sizes)",
		    name, (unsigned long long)kl->kl_addr);
		return (-1);
	}
	/* Older libraries kept the frames in the record. */
	kl->kl_maxdepth = r->sr_version >= ST_DEPOT_VERSION ? k->k_maxdepth :
	    (uint32_t)((lh->lh_recsize - KML_HDRSIZE) / 8);
	if (kl->kl_maxdepth > k->k_maxdepth)
		kl->kl_maxdepth = k->k_maxdepth;
	kl->kl_tgt = t;
	kl->kl_root = r;
	/* Only the chunks ever claimed: the rest was never written. */
	nchunks = lh->lh_next < lh->lh_nchunks ? lh->lh_next : lh->lh_nchunks;
	used = nchunks * lh->lh_chunk;
	chunkbytes = lh->lh_chunk * lh->lh_recsize;
	if ((kl->kl_data = calloc(used != 0 ? used : 1, lh->lh_recsize)) ==
	    NULL || (kl->kl_order = calloc(used != 0 ? used : 1,
	    sizeof (uint64_t))) == NULL) {
		mdb_warn("out of memory for the %s log", name);
		kml_log_free(kl);
		return (-1);
	}
	/* A chunk the dump lacks stays zero: its records are skipped. */
	for (c = 0; c < nchunks; c++) {
		(void) mdb_tgt_read(t, (uint64_t)(uintptr_t)lh->lh_base +
		    c * chunkbytes, kl->kl_data + c * chunkbytes, chunkbytes);
	}
	for (i = 0; i < used; i++) {
		kmem_bufctl_audit_t bc;

		(void) memset(&bc, 0, sizeof (bc));
		(void) memcpy(&bc, kl->kl_data + i * lh->lh_recsize,
		    KML_HDRSIZE);
		if (kml_rec_valid(&bc, kl->kl_maxdepth))
			kl->kl_order[kl->kl_n++] = i;
	}
	qsort_r(kl->kl_order, kl->kl_n, sizeof (uint64_t), kml_ts_cmp, kl);
	return (0);
}

/* The n-th record, newest first. */
static void
kml_log_get(const kml_log_t *kl, uint64_t n, kml_bc_t *kb)
{
	uint64_t i = kl->kl_order[n];

	kml_bc_from(kl->kl_tgt, kl->kl_root, kb,
	    (uint64_t)(uintptr_t)kl->kl_hdr.lh_base + i * kl->kl_hdr.lh_recsize,
	    kl->kl_data + i * kl->kl_hdr.lh_recsize, kl->kl_hdr.lh_recsize,
	    kl->kl_maxdepth);
}

/* What times are relative to: the panic, or the newest record. */
static uint64_t
kml_ref_time(kml_t *k, const kml_log_t *kl)
{
	kml_bc_t kb;

	if (k->k_tgt->t_note.sn_mono != 0)
		return (k->k_tgt->t_note.sn_mono);
	if (kl == NULL || kl->kl_n == 0)
		return (0);
	kml_log_get(kl, 0, &kb);
	return (kb.kb_bc.bc_timestamp);
}

static const char *
kml_which(int argc, char **argv)
{
	if (argc == 0)
		return ("transaction");
	if (argc == 1 && (strcmp(argv[0], "fail") == 0 ||
	    strcmp(argv[0], "slab") == 0 ||
	    strcmp(argv[0], "transaction") == 0))
		return (argv[0]);
	return (NULL);
}

/* ------------------------------------------------------------------------
 * ::kmalog, ::kmem_log
 */

/*
 * One record as JSON (slabtrace-mdb(1)): the bufctl's fields, the caller
 * and the stack; "time_ns" is the signed time from the reference (the
 * panic: negative before it) when ref is not 0.
 */
static void
kml_bc_json(kml_t *k, const kml_bc_t *kb, uint64_t ref)
{
	const kmem_bufctl_audit_t *bc = &kb->kb_bc;
	char cname[KMEM_CACHE_NAMELEN], sym[600];
	uint32_t i;

	mj_begin('{', NULL);
	mj_addr("bufctl", kb->kb_where);
	mj_addr("addr", (uint64_t)(uintptr_t)bc->bc_addr);
	mj_addr("cache", (uint64_t)(uintptr_t)bc->bc_cache);
	mj_str("cache_name", kml_cache_name(k,
	    (uint64_t)(uintptr_t)bc->bc_cache, cname, sizeof (cname)));
	mj_u64("timestamp", bc->bc_timestamp);
	if (ref != 0)
		mj_i64("time_ns", (int64_t)(bc->bc_timestamp - ref));
	mj_u64("thread", bc->bc_thread);
	mj_addr("lastlog", (uint64_t)(uintptr_t)bc->bc_lastlog);
	mj_addr("contents", (uint64_t)(uintptr_t)bc->bc_contents);
	mj_str("caller", kml_sym(k->k_tgt, kml_caller(k, kb), sym,
	    sizeof (sym)));
	mj_begin('[', "stack");
	for (i = 0; i < kb->kb_depth; i++)
		mj_str(NULL, kml_sym(k->k_tgt, kb->kb_stack[i], sym,
		    sizeof (sym)));
	mj_end();
	mj_end();
}

int
dcmd_kmalog(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const char *which = kml_which(argc, argv);
	bool slab, fail;
	kml_log_t kl;
	uint64_t n, ref;
	kml_t k;

	if (which == NULL)
		return (DCMD_USAGE);
	slab = strcmp(which, "slab") == 0;
	fail = strcmp(which, "fail") == 0;
	if (kml_init(t, &k) != 0 || kml_log_load(&k, which, &kl) != 0)
		return (DCMD_ERR);
	ref = kml_ref_time(&k, &kl);
	if (mdb_json)
		mj_begin('[', NULL);
	for (n = 0; n < kl.kl_n; n++) {
		char cname[KMEM_CACHE_NAMELEN], sym[600];
		uint64_t ts, d;
		kml_bc_t kb;
		uint32_t i;

		kml_log_get(&kl, n, &kb);
		if ((cx->cx_flags & DCMD_ADDRSPEC) && (fail ?
		    (uint64_t)(uintptr_t)kb.kb_bc.bc_addr != cx->cx_addr :
		    !kml_contains(&k, &kb.kb_bc, cx->cx_addr, slab)))
			continue;
		if (mdb_json) {
			kml_bc_json(&k, &kb, ref);
			continue;
		}
		ts = kb.kb_bc.bc_timestamp;
		d = ref >= ts ? ref - ts : ts - ref;
		(void) printf("\nT%c%llu.%09llu  addr=%llx  %s\n",
		    ref >= ts ? '-' : '+',
		    (unsigned long long)(d / 1000000000ULL),
		    (unsigned long long)(d % 1000000000ULL),
		    (unsigned long long)(uintptr_t)kb.kb_bc.bc_addr,
		    kml_cache_name(&k, (uint64_t)(uintptr_t)kb.kb_bc.bc_cache,
		    cname, sizeof (cname)));
		for (i = 0; i < kb.kb_depth; i++)
			(void) printf("\t %s\n", kml_sym(t, kb.kb_stack[i],
			    sym, sizeof (sym)));
	}
	if (mdb_json)
		mj_end();
	kml_log_free(&kl);
	return (DCMD_OK);
}

int
dcmd_kmem_log(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const char *which = kml_which(argc, argv);
	kml_log_t kl;
	uint64_t n;
	kml_t k;

	if (which == NULL || (cx->cx_flags & DCMD_ADDRSPEC))
		return (DCMD_USAGE);
	if (kml_init(t, &k) != 0 || kml_log_load(&k, which, &kl) != 0)
		return (DCMD_ERR);
	if (!(cx->cx_flags & DCMD_PIPE_OUT))
		(void) printf("%-16s %-16s %16s %s\n", "ADDR", "BUFADDR",
		    "TIMESTAMP", "THREAD");
	for (n = 0; n < kl.kl_n; n++) {
		kml_bc_t kb;

		kml_log_get(&kl, n, &kb);
		if (cx->cx_flags & DCMD_PIPE_OUT) {
			(void) printf("%llx\n",
			    (unsigned long long)kb.kb_where);
			continue;
		}
		(void) printf("%016llx %016llx %16llx %llu\n",
		    (unsigned long long)kb.kb_where,
		    (unsigned long long)(uintptr_t)kb.kb_bc.bc_addr,
		    (unsigned long long)kb.kb_bc.bc_timestamp,
		    (unsigned long long)kb.kb_bc.bc_thread);
	}
	kml_log_free(&kl);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::bufctl
 */

typedef struct bufctl_opts {
	bool bo_verbose;
	bool bo_history;
	bool bo_noheader;
	bool bo_addronly;		/* into a pipe: the bufctl only */
	bool bo_have_addr, bo_have_caller, bo_have_thread;
	uint64_t bo_addr;		/* -a */
	uint64_t bo_caller_lo;		/* -c: the function's range */
	uint64_t bo_caller_hi;
	uint64_t bo_earliest;		/* -e */
	uint64_t bo_latest;		/* -l */
	uint64_t bo_thread;		/* -t, as mdb reads it (hex) */
	uint64_t bo_thread_dec;		/* ... or as decimal digits */
	bool bo_thread_isdec;
} bufctl_opts_t;

static bool
bufctl_match(kml_t *k, const bufctl_opts_t *bo, const kml_bc_t *kb)
{
	const kmem_bufctl_audit_t *bc = &kb->kb_bc;
	uint32_t i;

	if (bo->bo_have_addr && !kml_contains(k, bc, bo->bo_addr, false))
		return (false);
	if (bc->bc_timestamp < bo->bo_earliest ||
	    bc->bc_timestamp > bo->bo_latest)
		return (false);
	if (bo->bo_have_thread && bc->bc_thread != bo->bo_thread &&
	    !(bo->bo_thread_isdec && bc->bc_thread == bo->bo_thread_dec))
		return (false);
	if (bo->bo_have_caller) {
		for (i = 0; i < kb->kb_depth; i++) {
			if (kb->kb_stack[i] >= bo->bo_caller_lo &&
			    kb->kb_stack[i] < bo->bo_caller_hi)
				break;
		}
		if (i == kb->kb_depth)
			return (false);
	}
	return (true);
}

static void
bufctl_header(const bufctl_opts_t *bo)
{
	if (bo->bo_noheader)
		return;
	if (bo->bo_verbose)
		(void) printf("%16s %16s %16s %16s\n%16s %16s %16s %16s\n",
		    "ADDR", "BUFADDR", "TIMESTAMP", "THREAD",
		    "", "CACHE", "LASTLOG", "CONTENTS");
	else
		(void) printf("%-16s %-16s   %-16s %s %s\n", "ADDR", "BUFADDR",
		    "TIMESTAMP", "THREAD", "CALLER");
}

/*
 * The short form keeps a fixed number of single spaces between fields
 * (the hex ones zero-padded to 16 digits), so that `cut -d " " -f 7`
 * takes CALLER, as on mdb's output in the seed.
 */
static void
bufctl_print(kml_t *k, const bufctl_opts_t *bo, const kml_bc_t *kb)
{
	const kmem_bufctl_audit_t *bc = &kb->kb_bc;
	char sym[600];
	uint32_t i;

	if (bo->bo_addronly) {
		(void) printf("%llx\n", (unsigned long long)kb->kb_where);
		return;
	}
	if (mdb_json) {
		kml_bc_json(k, kb, 0);
		return;
	}
	if (!bo->bo_verbose) {
		(void) printf("%016llx %016llx   %016llx %llu %s\n",
		    (unsigned long long)kb->kb_where,
		    (unsigned long long)(uintptr_t)bc->bc_addr,
		    (unsigned long long)bc->bc_timestamp,
		    (unsigned long long)bc->bc_thread,
		    kml_sym(k->k_tgt, kml_caller(k, kb), sym, sizeof (sym)));
		return;
	}
	(void) printf("%16llx %16llx %16llx %16llu\n%16s %16llx %16llx "
	    "%16llx\n", (unsigned long long)kb->kb_where,
	    (unsigned long long)(uintptr_t)bc->bc_addr,
	    (unsigned long long)bc->bc_timestamp,
	    (unsigned long long)bc->bc_thread, "",
	    (unsigned long long)(uintptr_t)bc->bc_cache,
	    (unsigned long long)(uintptr_t)bc->bc_lastlog,
	    (unsigned long long)(uintptr_t)bc->bc_contents);
	for (i = 0; i < kb->kb_depth; i++)
		(void) printf("%17s%s\n", "", kml_sym(k->k_tgt,
		    kb->kb_stack[i], sym, sizeof (sym)));
	(void) putchar('\n');
}

/* Is addr a record of the transaction log? */
static bool
kml_in_log(const kmem_log_t *lh, uint64_t addr)
{
	uint64_t base = (uint64_t)(uintptr_t)lh->lh_base;

	return (base != 0 && lh->lh_recsize != 0 && addr >= base &&
	    addr - base < lh->lh_nrecs * lh->lh_recsize &&
	    (addr - base) % lh->lh_recsize == 0);
}

/*
 * -h: the buffer's transactions from kb back, newest first, through
 * bc_lastlog (mdb's bufctl_history walker, bounded as section 3 says),
 * each to print (bo NULL: none).  When the log no longer holds the
 * allocation before a free (a busy program overwrites it within a
 * second), the stack the bufctl kept of it (bc_astackid, bc_athread) is
 * left in *kept, at timestamp 0, and true returned: ::bufctl -h prints it
 * last, so `::bufctl -h -a ADDR ! cut -d " " -f 7 | sort -u` still names
 * who allocated; ::explain prints it under its history.
 */
static bool
bufctl_history_walk(kml_t *k, const bufctl_opts_t *bo, const kml_bc_t *first,
    kml_bc_t *kept)
{
	kmem_log_t lh;
	kml_bc_t kb, next;
	uint64_t steps, limit, prev_ts = 0, cur;
	bool have_log, allocated = false;
	uint32_t astack = first->kb_bc.bc_astackid;

	have_log = k->k_root.sr_transaction_log != NULL &&
	    mdb_tgt_vread(k->k_tgt,
	    (uint64_t)(uintptr_t)k->k_root.sr_transaction_log, &lh,
	    sizeof (lh)) == 0 && lh.lh_magic == KMEM_LOG_MAGIC &&
	    lh.lh_recsize >= KML_HDRSIZE && lh.lh_recsize <= KML_MAXRECSIZE &&
	    lh.lh_nrecs <= KML_MAXLOGSIZE / KML_HDRSIZE;
	limit = have_log ? lh.lh_nrecs + 1 : 1;
	kb = *first;
	/* The buffer's own bufctl and its copy in the log: print one. */
	cur = (uint64_t)(uintptr_t)kb.kb_bc.bc_lastlog;
	if (cur != 0 && cur != kb.kb_where && kml_bc_read(k, cur, &next) ==
	    0 && next.kb_bc.bc_addr == kb.kb_bc.bc_addr &&
	    next.kb_bc.bc_cache == kb.kb_bc.bc_cache &&
	    next.kb_bc.bc_slab == kb.kb_bc.bc_slab &&
	    next.kb_bc.bc_timestamp == kb.kb_bc.bc_timestamp &&
	    next.kb_bc.bc_thread == kb.kb_bc.bc_thread)
		kb = next;
	for (steps = 0; steps < limit; steps++) {
		if (prev_ts != 0 && (kb.kb_bc.bc_timestamp >= prev_ts ||
		    kb.kb_bc.bc_depth > k->k_maxdepth))
			break;
		if (bo != NULL && bufctl_match(k, bo, &kb))
			bufctl_print(k, bo, &kb);
		allocated |= kb.kb_bc.bc_stackid == astack;
		prev_ts = kb.kb_bc.bc_timestamp;
		cur = (uint64_t)(uintptr_t)kb.kb_bc.bc_lastlog;
		if (!have_log || !kml_in_log(&lh, cur) ||
		    kml_bc_read(k, cur, &next) != 0 ||
		    next.kb_bc.bc_addr != first->kb_bc.bc_addr ||
		    next.kb_bc.bc_cache != first->kb_bc.bc_cache ||
		    next.kb_bc.bc_slab != first->kb_bc.bc_slab)
			break;
		kb = next;
	}
	if (astack == 0 || allocated)
		return (false);
	*kept = *first;
	kept->kb_bc.bc_stackid = astack;
	kept->kb_bc.bc_depth = k->k_maxdepth;	/* the depot's entry bounds */
	kept->kb_bc.bc_thread = kept->kb_bc.bc_athread;
	kept->kb_bc.bc_timestamp = 0;
	kept->kb_bc.bc_lastlog = NULL;
	kept->kb_bc.bc_contents = NULL;
	kept->kb_depth = mdb_bc_stack(k->k_tgt, &k->k_root, kept->kb_where,
	    &kept->kb_bc, kept->kb_stack, k->k_maxdepth);
	return (kept->kb_depth != 0);
}

static void
bufctl_history(kml_t *k, const bufctl_opts_t *bo, const kml_bc_t *first)
{
	kml_bc_t kept;

	if (bufctl_history_walk(k, bo, first, &kept) &&
	    bufctl_match(k, bo, &kept))
		bufctl_print(k, bo, &kept);
}

/*
 * For ::explain: the allocation the audit bufctl at addr kept, when the
 * transaction log no longer holds it (after ::kmalog's records).
 */
void
mdb_kept_allocation(mdb_tgt_t *t, uint64_t addr)
{
	kml_t k;
	kml_bc_t first, kept;
	char sym[600];
	uint32_t i;

	if (kml_init(t, &k) != 0 || kml_bc_read(&k, addr, &first) != 0 ||
	    !kml_rec_valid(&first.kb_bc, k.k_maxdepth) ||
	    !bufctl_history_walk(&k, NULL, &first, &kept))
		return;
	(void) printf("\nT-?  addr=%llx  (its allocation: the log no longer "
	    "holds it, its bufctl kept the stack; thread %u)\n",
	    (unsigned long long)(uintptr_t)first.kb_bc.bc_addr,
	    first.kb_bc.bc_athread);
	for (i = 0; i < kept.kb_depth; i++)
		(void) printf("\t %s\n", kml_sym(t, kept.kb_stack[i], sym,
		    sizeof (sym)));
}

/* A number or symbol as mdb reads it, for an option. */
static int
kml_opt_value(mdb_tgt_t *t, char opt, const char *text, uint64_t *vp)
{
	if (text == NULL) {
		mdb_warn("option -%c needs a value", opt);
		return (-1);
	}
	return (mdb_eval(t, text, vp));
}

static int
bufctl_opts(mdb_tgt_t *t, int argc, char **argv, bufctl_opts_t *bo)
{
	int i;

	(void) memset(bo, 0, sizeof (*bo));
	bo->bo_latest = UINT64_MAX;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0')
			return (DCMD_USAGE);
		for (a++; *a != '\0'; a++) {
			const char *val;
			uint64_t v;
			char name[512], *end;

			switch (*a) {
			case 'v': bo->bo_verbose = true; continue;
			case 'h': bo->bo_history = true; continue;
			case 'H': bo->bo_noheader = true; continue;
			case 'a': case 'c': case 'e': case 'l': case 't':
				break;
			default:
				return (DCMD_USAGE);
			}
			val = a[1] != '\0' ? a + 1 : argv[++i];
			if (kml_opt_value(t, *a, val, &v) != 0)
				return (DCMD_ERR);
			switch (*a) {
			case 'a':
				bo->bo_have_addr = true;
				bo->bo_addr = v;
				break;
			case 'c':
				bo->bo_have_caller = true;
				if (mdb_sym_lookup(t, v, name, sizeof (name),
				    &bo->bo_caller_lo, &bo->bo_caller_hi) &&
				    bo->bo_caller_hi != 0) {
					bo->bo_caller_hi += bo->bo_caller_lo;
				} else {
					bo->bo_caller_lo = v;
					bo->bo_caller_hi = v + 1;
				}
				break;
			case 'e':
				bo->bo_earliest = v;
				break;
			case 'l':
				bo->bo_latest = v;
				break;
			default:
				bo->bo_have_thread = true;
				bo->bo_thread = v;
				/* A thread id in decimal, as reports print. */
				errno = 0;
				bo->bo_thread_dec = strtoull(val, &end, 10);
				bo->bo_thread_isdec = errno == 0 &&
				    isdigit((unsigned char)*val) &&
				    *end == '\0';
				break;
			}
			break;
		}
	}
	return (DCMD_OK);
}

int
dcmd_bufctl(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	char cname[KMEM_CACHE_NAMELEN];
	bufctl_opts_t bo;
	kml_bc_t kb;
	kml_t k;
	int rc;

	if ((rc = bufctl_opts(t, argc, argv, &bo)) != DCMD_OK)
		return (rc);
	if (!(cx->cx_flags & DCMD_ADDRSPEC)) {
		mdb_warn("::bufctl needs the address of a bufctl");
		return (DCMD_USAGE);
	}
	if (kml_init(t, &k) != 0)
		return (DCMD_ERR);
	if (kml_bc_read(&k, cx->cx_addr, &kb) != 0) {
		mdb_warn_read(cx->cx_addr, KML_HDRSIZE);
		return (DCMD_ERR);
	}
	if (!kml_rec_valid(&kb.kb_bc, k.k_maxdepth) ||
	    strcmp(kml_cache_name(&k, (uint64_t)(uintptr_t)kb.kb_bc.bc_cache,
	    cname, sizeof (cname)), "?") == 0) {
		/* A buffer (::walk kmem_alloc_256 | ::bufctl): its bufctl. */
		uint64_t bc = mdb_heap_bufctl_of(t, cx->cx_flags, cx->cx_addr);

		if (bc == 0 || kml_bc_read(&k, bc, &kb) != 0 ||
		    !kml_rec_valid(&kb.kb_bc, k.k_maxdepth)) {
			mdb_warn("%llx does not look like an audit bufctl "
			    "(nor an audited buffer)",
			    (unsigned long long)cx->cx_addr);
			return (DCMD_ERR);
		}
	}
	if (mdb_piped || !DCMD_HDRSPEC(cx->cx_flags))
		bo.bo_noheader = true;
	if (cx->cx_flags & DCMD_PIPE_OUT)
		bo.bo_noheader = bo.bo_addronly = true;
	if (mdb_json)
		mj_begin('[', NULL);
	else
		bufctl_header(&bo);
	if (bo.bo_history)
		bufctl_history(&k, &bo, &kb);
	else if (bufctl_match(&k, &bo, &kb))
		bufctl_print(&k, &bo, &kb);
	if (mdb_json)
		mj_end();
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::allocdby, ::freedby
 */

/* Was the record written by a free?  Its first frames say. */
static bool
kml_is_free(kml_t *k, const kml_bc_t *kb)
{
	char name[512];
	uint32_t i;

	for (i = 0; i < kb->kb_depth && i < 2; i++) {
		if (!mdb_sym_lookup(k->k_tgt, kb->kb_stack[i], name,
		    sizeof (name), NULL, NULL))
			continue;
		if (strstr(name, "free") != NULL)
			return (true);
		if (strstr(name, "alloc") != NULL)
			return (false);
	}
	return (false);
}

static int
kml_by_thread(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, bool freed)
{
	kml_log_t kl;
	uint64_t n, dec = 0;
	bool isdec = false;
	kml_t k;

	if (argc != 0 || !(cx->cx_flags & DCMD_ADDRSPEC))
		return (DCMD_USAGE);
	if (cx->cx_addrtext != NULL) {
		char *end;

		errno = 0;
		dec = strtoull(cx->cx_addrtext, &end, 10);
		isdec = errno == 0 && *end == '\0' &&
		    isdigit((unsigned char)cx->cx_addrtext[0]);
	}
	if (kml_init(t, &k) != 0 ||
	    kml_log_load(&k, "transaction", &kl) != 0)
		return (DCMD_ERR);
	(void) printf("%-16s %16s %s\n", "BUFCTL", "TIMESTAMP", "CALLER");
	for (n = 0; n < kl.kl_n; n++) {
		char sym[600];
		kml_bc_t kb;

		kml_log_get(&kl, n, &kb);
		if (kb.kb_bc.bc_thread != cx->cx_addr &&
		    !(isdec && kb.kb_bc.bc_thread == dec))
			continue;
		if (kml_is_free(&k, &kb) != freed)
			continue;
		(void) printf("%016llx %16llx %s\n",
		    (unsigned long long)kb.kb_where,
		    (unsigned long long)kb.kb_bc.bc_timestamp,
		    kml_sym(t, kml_caller(&k, &kb), sym, sizeof (sym)));
	}
	kml_log_free(&kl);
	return (DCMD_OK);
}

int
dcmd_allocdby(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	(void) argv;
	return (kml_by_thread(t, cx, argc, false));
}

int
dcmd_freedby(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	(void) argv;
	return (kml_by_thread(t, cx, argc, true));
}

/* The kmem_log walker (kmwalk.c): each record's address, newest first. */
int
mdb_kmlog_walk(mdb_tgt_t *t, const char *which, int (*fn)(void *, uint64_t),
    void *arg)
{
	kml_log_t kl;
	uint64_t n;
	kml_t k;
	int rc = 0;

	if (kml_init(t, &k) != 0 || kml_log_load(&k, which, &kl) != 0)
		return (-1);
	for (n = 0; rc == 0 && n < kl.kl_n; n++)
		rc = fn(arg, (uint64_t)(uintptr_t)kl.kl_hdr.lh_base +
		    kl.kl_order[n] * kl.kl_hdr.lh_recsize);
	kml_log_free(&kl);
	return (rc);
}
