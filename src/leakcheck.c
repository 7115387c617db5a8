/*
 * leakcheck.c: the leak check in the library: at exit (UMEM_OPTIONS=
 * leakcheck, `slabtrace run --leaks`), on demand (kmem_leakcheck(),
 * umem_leakcheck(), UMEM_OPTIONS=leaksignal=SIG), with LeakSanitizer's
 * report and exit status.  The scan itself is leaky.c's, shared with the
 * debugger's ::findleaks; this file feeds it the live heap and the roots,
 * and says what it found.
 *
 * 1. When.  At exit: verify.c's exit handler (registered from our
 *    constructor, before the program's __libc_start_main registers the
 *    dynamic linker's, so it runs after every atexit handler, static
 *    destructor and ELF destructor) calls st_leak_at_exit() before the
 *    exit verify (whose walk would leave heap addresses in the stack slots
 *    this thread's frames reuse), and st_leak_exit() after it.  Leaks
 *    found, and leakcheck (not leakcheck=report): the process exits with
 *    exitcode=N (default 23, LSan's), through exit() again, which glibc
 *    allows from an exit handler: our handler is the last, so only the
 *    flush of stdio and _exit follow.  On demand: the
 *    calling thread (kmem_leakcheck), or a thread of ours that a signal
 *    wakes (leaksignal=SIG: started at start-up, all signals blocked; the
 *    handler only wakes it, since a check cannot run in a handler that may
 *    have interrupted malloc).  The program goes on.
 *
 * 2. Stopping the world.  Debugged operations are stopped first
 *    (verify.c's kmem_world_stop, which also keeps the sweep thread and
 *    other checks out), then every other thread is parked with dump.c's
 *    real-time signal (st_world_park), which leaves us its registers.  A
 *    parked thread may hold an allocator lock, or be in the middle of a
 *    lock-free magazine operation: every walk here only tries the locks,
 *    and when one is busy the threads are let go for a millisecond and the
 *    whole collection starts again (LC_TRIES times within LC_TRIES_NS,
 *    then the check says it could not run: it never waits for ever).  A
 *    buffer caught between a magazine round and the program's register
 *    (malloc's last instruction) is in the thread's registers, which are
 *    roots; one caught between
 *    free's store of the round and its count looks allocated, and if the
 *    program dropped its pointer already it is reported: a race of a few
 *    instructions, with a thread that was freeing while another exited.
 *    A thread that does not park (it blocks the signal, or is stopped by
 *    a debugger) is named on one line by dump.c; its stack is then read
 *    whole, as an anonymous mapping, without its registers, and every read
 *    goes through st_os_read_self (process_vm_readv), so that memory it
 *    unmaps meanwhile is a failed read, not a fault.
 *
 * 3. The buffers (leaky's table).  Every cache but the allocator's own
 *    (KMC_PRIVATE: slabs, bufctls, magazines, threads, quantum caches):
 *    every chunk of its partial and complete slabs (its empty slabs hold
 *    none) that is allocated.  With buffer tags the tag says so (bxstat
 *    = bufctl ^ KMEM_BUFTAG_ALLOC; magazine rounds and quarantined buffers
 *    are tagged free).  Without, a chunk is free when it is on its slab's
 *    free list, or a round of a magazine (every thread's loaded and
 *    previous ones, every depot's full ones): the table takes the slabs'
 *    other chunks, then the rounds are found in it and dropped.  Then the
 *    oversize buffers (kmem_oversize_arena's allocated segments whose
 *    first page the page map marks PM_BIG) and the firewall's and big
 *    buffers (its live list).  Each buffer's tag says where its
 *    allocation is described: an audit bufctl (AUDIT, and every firewall
 *    or big buffer), the caller lite mode keeps in the tag, or only its
 *    cache.  Without tags a small slab's allocated chunk may still hold
 *    its old free-list link in its last word: that word is not scanned
 *    when it is one (lc_stale_links).
 *
 * 4. The roots.  /proc/self/maps, read after the stop.  Readable and
 *    writable mappings only; not the allocator's (st_os_mapped_by_us: its
 *    arenas, logs, firewall reservation), not the scanner's own scratch
 *    memory, not the library's own data segment (when it is a module of
 *    its own), not device memory, not shared file mappings (a file cut
 *    short under them would fault); [heap], anonymous and private file
 *    mappings are.  A mapping holding a thread's stack pointer is read
 *    from that pointer (less the ABI's red zone) to its end: the live part
 *    of the stack, and above it, for glibc's threads, the thread's control
 *    block with its static TLS and its pthread_getspecific slots (dynamic
 *    TLS and the rest hang off those, in buffers, and are followed).  The
 *    calling thread's stack is read from its caller's frame up (our own
 *    frames hold heap addresses the walk just met), with the callee-saved
 *    registers as the public entry point found them (LC_ENTRY).  A parked
 *    thread's registers, its general ones and its vector ones (a struct
 *    copied through SSE), come from its signal context.  An exited
 *    thread's stack, which glibc keeps for its next thread, is not read
 *    (every thread leaves its stack pointer at exit: st_leak_thread_exit),
 *    only its control block.  A file mapping is read through
 *    st_os_read_self: its pages past the file's end would fault.
 *    Untouched pages of large ranges (/proc/self/pagemap: neither present
 *    nor swapped) are skipped, so a 64 GB reservation, or buffer, costs
 *    no time.  Freed buffers and quarantines are neither roots nor
 *    buffers: a buffer pointed to only from a freed one is leaked.
 *
 * 5. The report, in LeakSanitizer's shape and through report.c (the
 *    "slabtrace[PID]: " prefix, the symbolizer, JSON): one group per
 *    allocation stack (AUDIT), caller (lite), or cache and size (neither:
 *    the line says UMEM_DEBUG=default gives stacks), direct leaks first,
 *    biggest first, then the indirect ones, then
 *        N byte(s) leaked in M allocation(s).
 *    Suppressions (leaksuppress=FILE): lines "leak:PATTERN", matched
 *    against the function names (as the symbol table has them: C++ names
 *    mangled, so a plain name matches inside them) and module paths of a
 *    group's stack, or against its cache's name; PATTERN is a substring,
 *    with * for anything, ^ and $ to anchor it.  A suppressed leak's
 *    indirect leaks are suppressed with it.  The file is mapped (no
 *    malloc) at each check.
 *
 * 6. What can go wrong.  Memory for the table (36 bytes a buffer, leaky.c
 *    section 3) comes from st_os_map_scratch: if there is none, one line
 *    says so and the check does not run.  A heap larger than the count
 *    made after the stop (it cannot grow while stopped) is reported as
 *    buffers not checked.  A word that looks like a pointer hides a leak;
 *    a pointer the program keeps only in a file, a pipe, another process
 *    or in an encoded form makes one appear.
 *
 * 7. Snapshots for the debugger (::findleaks on `slabtrace mdb -p PID`).
 *    The debugger never writes to its target, and a scan of a big heap
 *    takes seconds: it asks instead for a copy of the heap, made by fork,
 *    which it scans while the program runs on.  The request is leaksignal=
 *    SIG sent with sigqueue(3) and the value ST_SNAP_REQUEST (a plain
 *    kill still asks for a check); the handler leaves the sender's pid
 *    (si_pid, said by the kernel) for the checker thread.  Only with
 *    leaksignal=: then the signal and the thread are ours already, and a
 *    program that did not ask gives up neither a signal nor a thread (a
 *    handler cannot fork safely itself: the world must be stopped first).
 *    The debugger falls back to stopping the process for the scan.
 *      The thread stops the world as a check does (section 2; a walk's
 *    locks are only tried, and the stop is made again while one is busy),
 *    copies every thread's registers, as NT_PRSTATUS lays them out, with
 *    their vector registers, into a scratch mapping (the checker thread
 *    first: its stack from its caller's frame), forks, and lets the world
 *    go: the program's pause, published in ss_pause_ns, is the stop, the
 *    copy and the fork (the page tables), not the scan.  Its cost after
 *    the pause: a copy-on-write fault on each page the program writes
 *    while the child lives.  It then publishes the child in st_root's
 *    sr_leak_snap (ss_pid, ss_for, ss_seq last), and waits for it.
 *      The child is a raw clone(2) with no exit signal: no atfork handler
 *    runs (a parked thread may hold any lock, and the child takes none),
 *    the program gets no SIGCHLD, and its wait(2) and waitpid(-1) never
 *    see it (only __WALL or __WCLONE would); the checker thread reaps it.
 *    The child runs only system calls: it blocks every signal, asks for
 *    SIGKILL when the checker thread dies (PR_SET_PDEATHSIG: the process
 *    exits), closes the program's descriptors (a pipe's reader must see
 *    its end when the program closes it), and waits, never touching the
 *    heap, until the requester dies (a pidfd, or kill(0) polled), or
 *    LC_SNAP_LIFE_S, then exit_group (no atexit handler, no stdio
 *    flush).  The debugger kills it when its command ends.  The locks
 *    the world stop holds are released in the parent at once; the
 *    child's copies stay taken, and it never looks at them.  One child at
 *    a time: while it lives the checker thread waits for it, and a check
 *    or snapshot asked meanwhile comes after (a second requester asking
 *    at the same moment may be lost: its debugger then stops the process
 *    instead).
 *
 * 8. fork.  A child of the program's fork() has one thread: the checker
 *    thread of leaksignal= is started again in it (st_leak_fork_child,
 *    from kmem's fork handler), and a check there, without tags, does not
 *    call the rounds of the magazines of the threads that did not come
 *    along (magazine.c abandons them) leaks: their kmem_thread_t are
 *    still allocated in kmem_thread_cache, off the thread list, and their
 *    rounds are taken out of the table as any other thread's.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/procfs.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/futex.h>

#include "slabtrace_impl.h"
#include "leaky.h"

#define ST_EXPORT       __attribute__((visibility("default")))

/* Tunables. */
#define LC_TRIES        200     /* collections tried while locks are busy */
#define LC_TRIES_NS     2000000000ULL   /* ... for at most this long */
#define LC_RETRY_NS     1000000ULL      /* ... with this pause between */
#define LC_REDZONE      128     /* below a stopped thread's sp (x86-64) */
#define LC_PM_BATCH     4096    /* pagemap entries per read */
#define LC_NEXCL        16      /* ranges never read as roots */
#define LC_NSUPP        256     /* suppression patterns */
#define LC_FREEMAP      65536   /* chunks of a slab, at most */
#define LC_MAXREGS      8       /* the caller's registers kept */
#define LC_NDEAD        1024    /* exited threads' stacks remembered */
#define LC_SNAP_LIFE_S  600     /* a snapshot's child lives at most */
#define LC_SNAP_MAXFD   65536   /* ... closes these without close_range */

/* lb_kind: what lb_tag is. */
#define LC_CACHE        0       /* the cache (no stack) */
#define LC_CALLER       1       /* the caller's pc (lite) */
#define LC_AUDIT        2       /* a kmem_bufctl_audit_t */
#define LC_OVERSIZE     3       /* 0: an oversize buffer, no record */

/* Why a check runs, for the report's first line. */
#define LC_EXIT         0
#define LC_CALL         1
#define LC_SIGNAL       2

/* One line of /proc/self/maps that may be a root. */
typedef struct lc_map {
	uint64_t lm_start;
	uint64_t lm_end;
	uint64_t lm_from;               /* a stack: read from here */
	uint16_t lm_root;               /* 1: read it */
	uint16_t lm_live;               /* a live thread's stack is in it */
	uint16_t lm_anon;               /* anonymous (a thread stack can be) */
	uint16_t lm_file;               /* a file's: read it carefully */
} lc_map_t;

typedef struct lc_supp {
	const char *ls_pat;             /* in the mapped file */
	uint32_t ls_len;
	uint32_t ls_hits;               /* groups it suppressed */
} lc_supp_t;

/* One check at a time (lc_lock): its state is static. */
typedef struct lc_state {
	lk_scan_t lc_scan;
	int lc_why;                     /* LC_EXIT, ... */
	int lc_safe;                    /* read through st_os_read_self */
	int lc_vm_ok;                   /* ... which works here */
	uint64_t lc_careful_lo;         /* ... and this root: a file's */
	uint64_t lc_careful_hi;
	int lc_full;                    /* the table was too small */
	int lc_busy;                    /* a walk met a busy lock */
	uint64_t lc_entry_sp;           /* the caller's stack, from here */
	uint64_t lc_entry_regs[LC_MAXREGS]; /* ... and its registers */
	uint32_t lc_entry_nregs;
	uint64_t lc_t0;
	uint64_t lc_excl[LC_NEXCL][2];  /* never roots: [lo, hi) */
	uint32_t lc_nexcl;
	lc_map_t *lc_maps;
	uint32_t lc_nmaps;
	size_t lc_maps_size;
	int lc_pmfd;                    /* /proc/self/pagemap, or -1 */
	uint64_t lc_pm_first;           /* page of lc_pm[0] */
	uint64_t lc_pm_n;               /* entries in lc_pm */
	lc_supp_t lc_supp[LC_NSUPP];
	uint32_t lc_nsupp;
	void *lc_suppfile;              /* the mapped file */
	size_t lc_suppsize;
	uint64_t lc_leaks, lc_bytes;    /* reported */
	uint64_t lc_sleaks, lc_sbytes;  /* suppressed */
} lc_state_t;

static lc_state_t lc_state;
static st_lock_t lc_lock = ST_LOCK_INITIALIZER;
static uint64_t lc_freemap[LC_FREEMAP / 64];
static char lc_line[8192];              /* /proc/self/maps reader */
static uint64_t lc_pm[LC_PM_BATCH];

/* ------------------------------------------------------------------------
 * Memory for the scanner, and reading (leaky's lk_ops_t).
 */

static void
lc_exclude(lc_state_t *lc, uint64_t lo, uint64_t hi)
{
	if (lc->lc_nexcl < LC_NEXCL && lo < hi) {
		lc->lc_excl[lc->lc_nexcl][0] = lo;
		lc->lc_excl[lc->lc_nexcl++][1] = hi;
	}
}

static void *
lc_map(void *arg, size_t size)
{
	lc_state_t *lc = arg;
	void *p;

	if (lc->lc_nexcl >= LC_NEXCL)
		return (NULL);  /* it would be read as a root */
	if ((p = st_os_map_scratch(size)) != NULL)
		lc_exclude(lc, (uintptr_t)p, (uintptr_t)p + size);
	return (p);
}

static void
lc_unmap(void *arg, void *p, size_t size)
{
	lc_state_t *lc = arg;
	uint32_t i;

	st_os_unmap_scratch(p, size);
	for (i = 0; i < lc->lc_nexcl; i++) {
		if (lc->lc_excl[i][0] != (uintptr_t)p)
			continue;
		lc->lc_excl[i][0] = lc->lc_excl[--lc->lc_nexcl][0];
		lc->lc_excl[i][1] = lc->lc_excl[lc->lc_nexcl][1];
		break;
	}
}

static const void *
lc_read(void *arg, uint64_t addr, size_t len, void *scratch)
{
	lc_state_t *lc = arg;

	if (!lc->lc_vm_ok || (!lc->lc_safe && (addr < lc->lc_careful_lo ||
	    addr >= lc->lc_careful_hi)))
		return ((const void *)(uintptr_t)addr);
	return (st_os_read_self(scratch, (uintptr_t)addr, len) == (long)len ?
	    scratch : NULL);
}

/*
 * The first page at or after addr that was ever touched (present or
 * swapped, says /proc/self/pagemap), read LC_PM_BATCH entries at a time
 * and kept, so that a dense range costs one read per batch.
 */
static uint64_t
lc_skip(void *arg, uint64_t addr, uint64_t end)
{
	lc_state_t *lc = arg;
	uint64_t page = addr / ST_PAGESIZE, last = (end + ST_PAGESIZE - 1) /
	    ST_PAGESIZE;
	long got;

	if (lc->lc_pmfd < 0)
		return (addr);
	for (; page < last; page++) {
		if (page < lc->lc_pm_first || page >= lc->lc_pm_first +
		    lc->lc_pm_n) {
			got = st_os_pread(lc->lc_pmfd, lc_pm, ST_MIN(last - page,
			    LC_PM_BATCH) * sizeof (uint64_t), page *
			    sizeof (uint64_t));
			if (got < (long)sizeof (uint64_t))
				return (ST_MAX(addr, page * ST_PAGESIZE));
			lc->lc_pm_first = page;
			lc->lc_pm_n = (uint64_t)got / sizeof (uint64_t);
		}
		if ((lc_pm[page - lc->lc_pm_first] >> 62) != 0)
			return (ST_MAX(addr, page * ST_PAGESIZE));
	}
	return (end);
}

static const lk_ops_t lc_ops = { lc_map, lc_unmap, lc_read, lc_skip };

/* ------------------------------------------------------------------------
 * The buffers (section 3).
 */

/* One allocated chunk of a cache into the table. */
static void
lc_add_chunk(lc_state_t *lc, kmem_cache_t *cp, char *buf)
{
	uint32_t slack = 0;
	uint64_t tag = (uintptr_t)cp;
	uint8_t kind = LC_CACHE;

	if (cp->cache_flags & KMF_BUFTAG) {
		kmem_buftag_t *btp = (kmem_buftag_t *)(buf + cp->cache_buftag);

		slack = (uint32_t)(cp->cache_bufsize - ST_MIN(
		    kmem_debug_size(cp, buf), cp->cache_bufsize));
		if (cp->cache_flags & KMF_AUDIT) {
			tag = (uintptr_t)btp->bt_bufctl;
			kind = LC_AUDIT;
		} else if ((cp->cache_flags & KMF_LITE) &&
		    ((kmem_buftag_lite_t *)btp)->bt_history[0] != 0) {
			tag = ((kmem_buftag_lite_t *)btp)->bt_history[0];
			kind = LC_CALLER;
		}
	}
	if (lk_add(&lc->lc_scan, (uintptr_t)buf, cp->cache_bufsize, tag, slack,
	    kind) != 0)
		lc->lc_full = 1;
}

/* The chunks on sp's free list, as bits of lc_freemap (no tags). */
static void
lc_slab_freemap(kmem_cache_t *cp, kmem_slab_t *sp, uintptr_t first)
{
	kmem_bufctl_t *bcp;
	uint32_t n = 0;

	memset(lc_freemap, 0, (ST_MIN(sp->slab_chunks, LC_FREEMAP) + 63) / 64 *
	    sizeof (uint64_t));
	for (bcp = sp->slab_head; bcp != NULL && n++ < sp->slab_chunks;
	    bcp = bcp->bc_next) {
		uintptr_t buf = (cp->cache_flags & KMF_HASH) ?
		    (uintptr_t)bcp->bc_addr : (uintptr_t)bcp - cp->cache_bufctl;
		uint64_t i = (buf - first) / cp->cache_chunksize;

		if (buf >= first && i < ST_MIN(sp->slab_chunks, LC_FREEMAP))
			lc_freemap[i / 64] |= 1ULL << (i % 64);
	}
}

static void
lc_collect_slab(lc_state_t *lc, kmem_cache_t *cp, kmem_slab_t *sp)
{
	uintptr_t first = (uintptr_t)sp->slab_base + sp->slab_color;
	uint32_t i, n = ST_MIN(sp->slab_chunks, LC_FREEMAP);
	int tagged = (cp->cache_flags & KMF_BUFTAG) != 0;

	if (!tagged)
		lc_slab_freemap(cp, sp, first);
	for (i = 0; i < n; i++) {
		char *buf = (char *)(first + i * cp->cache_chunksize);

		if (tagged) {
			kmem_buftag_t *btp = (kmem_buftag_t *)(buf +
			    cp->cache_buftag);

			if (((intptr_t)btp->bt_bufctl ^ btp->bt_bxstat) !=
			    (intptr_t)KMEM_BUFTAG_ALLOC)
				continue;
		} else if (lc_freemap[i / 64] & (1ULL << (i % 64))) {
			continue;
		}
		lc_add_chunk(lc, cp, buf);
	}
}

/* A program's cache: its allocated chunks; 0 if its lock was busy. */
static int
lc_collect_cache(lc_state_t *lc, kmem_cache_t *cp)
{
	kmem_slab_t *sp;
	int l;

	if (!st_trylock(&cp->cache_lock))
		return (0);
	for (l = 0; l < 2; l++)
		for (sp = l == 0 ? cp->cache_partial : cp->cache_complete;
		    sp != NULL; sp = sp->slab_next)
			lc_collect_slab(lc, cp, sp);
	st_unlock(&cp->cache_lock);
	return (1);
}

static int
lc_program_cache(const kmem_cache_t *cp)
{
	return (!(cp->cache_cflags & (KMC_PRIVATE | KMC_QCACHE)));
}

static int
lc_collect_caches(lc_state_t *lc)
{
	kmem_cache_t *cp;
	int ok = 1;

	if (!st_trylock(&kmem_cache_list_lock))
		return (0);
	for (cp = kmem_null_cache.cache_next; ok && cp != &kmem_null_cache;
	    cp = cp->cache_next)
		if (lc_program_cache(cp))
			ok = lc_collect_cache(lc, cp);
	st_unlock(&kmem_cache_list_lock);
	return (ok);
}

/* A magazine round: a free buffer, out of the table (no tags). */
static void
lc_round(kmem_cache_t *cp, void *buf, void *arg)
{
	lk_buf_t *lb = lk_find(&((lc_state_t *)arg)->lc_scan,
	    (uintptr_t)buf);

	(void) cp;
	if (lb != NULL && lb->lb_addr == (uintptr_t)buf)
		lb->lb_state = LK_FREE;
}

static void
lc_oversize(uintptr_t start, uintptr_t end, void *arg)
{
	lc_state_t *lc = arg;
	uintptr_t pm = pagemap_lookup(start);

	(void) end;
	if ((pm & PM_TAGS) != PM_BIG)
		return;         /* a big buffer: the firewall's walk has it */
	if (lk_add(&lc->lc_scan, start, kmem_oversize_size(pm), 0, 0,
	    LC_OVERSIZE) != 0)
		lc->lc_full = 1;
}

static void
lc_firewall(void *buf, uint64_t size, const kmem_bufctl_audit_t *alloc,
    void *arg)
{
	lc_state_t *lc = arg;

	if (lk_add(&lc->lc_scan, (uintptr_t)buf, ST_MAX(size, 1),
	    (uintptr_t)alloc, size == 0, alloc != NULL ? LC_AUDIT :
	    LC_OVERSIZE) != 0)
		lc->lc_full = 1;
}

static void
lc_count_segment(uintptr_t start, uintptr_t end, void *arg)
{
	(void) start;
	(void) end;
	(*(uint64_t *)arg)++;
}

static void
lc_count_fw(void *buf, uint64_t size, const kmem_bufctl_audit_t *alloc,
    void *arg)
{
	(void) buf;
	(void) size;
	(void) alloc;
	(*(uint64_t *)arg)++;
}

/*
 * Section 8: in a child of the program's fork, the threads that did not
 * come along left their kmem_thread_t allocated in kmem_thread_cache and
 * off the thread list; their magazines' rounds are free buffers.
 */
static int lc_forked;                   /* this process is a fork child */

static int
lc_thread_listed(const kmem_thread_t *kt)
{
	const kmem_thread_t *p;

	if (kt == &kmem_thread_dead)
		return (1);
	for (p = kmem_thread_list.kt_next; p != &kmem_thread_list;
	    p = p->kt_next)
		if (p == kt)
			return (1);
	return (0);
}

static void
lc_orphan_rounds(lc_state_t *lc, kmem_cache_t *const *cc,
    const kmem_thread_t *kt)
{
	uint32_t i;
	int32_t j;

	for (i = 0; i < KMEM_CC_MAX; i++) {
		const kmem_cpu_cache_t *c = &kt->kt_cc[i];

		if (cc[i] == NULL || (cc[i]->cache_flags & KMF_BUFTAG) ||
		    c->cc_magsize <= 0)
			continue;
		for (j = 0; c->cc_loaded != NULL && j < ST_MIN(c->cc_rounds,
		    c->cc_magsize); j++)
			lc_round(cc[i], c->cc_loaded->mag_round[j], lc);
		for (j = 0; c->cc_ploaded != NULL && j < ST_MIN(c->cc_prounds,
		    c->cc_magsize); j++)
			lc_round(cc[i], c->cc_ploaded->mag_round[j], lc);
	}
}

/* 1 done (or nothing to do); 0 a lock was busy. */
static int
lc_orphans(lc_state_t *lc)
{
	kmem_cache_t *cc[KMEM_CC_MAX], *cp, *tc = NULL;
	kmem_slab_t *sp;
	uint32_t i;
	int l;

	if (!lc_forked)
		return (1);
	memset(cc, 0, sizeof (cc));
	if (!st_trylock(&kmem_cache_list_lock))
		return (0);
	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		if (cp->cache_ccidx >= 0 && cp->cache_ccidx < KMEM_CC_MAX)
			cc[cp->cache_ccidx] = cp;
		if (strcmp(cp->cache_name, "kmem_thread_cache") == 0)
			tc = cp;
	}
	st_unlock(&kmem_cache_list_lock);
	if (tc == NULL || (tc->cache_flags & KMF_BUFTAG))
		return (1);
	if (!st_trylock(&tc->cache_lock))
		return (0);
	for (l = 0; l < 2; l++) {
		for (sp = l == 0 ? tc->cache_partial : tc->cache_complete;
		    sp != NULL; sp = sp->slab_next) {
			uintptr_t first = (uintptr_t)sp->slab_base +
			    sp->slab_color;

			uint32_t n = ST_MIN(sp->slab_chunks, LC_FREEMAP);

			lc_slab_freemap(tc, sp, first);
			for (i = 0; i < n; i++) {
				const kmem_thread_t *kt = (const void *)(first +
				    i * tc->cache_chunksize);

				if (!(lc_freemap[i / 64] & (1ULL << (i % 64)))
				    && !lc_thread_listed(kt))
					lc_orphan_rounds(lc, cc, kt);
			}
		}
	}
	st_unlock(&tc->cache_lock);
	return (1);
}

/* How many buffers there can be (the world is stopped); 0 if busy. */
static uint64_t
lc_estimate(void)
{
	uint64_t n = 0, segs = 0, fws = 0;
	kmem_cache_t *cp;

	if (!st_trylock(&kmem_cache_list_lock))
		return (0);
	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next)
		if (lc_program_cache(cp))
			n += cp->cache_buftotal;
	st_unlock(&kmem_cache_list_lock);
	if (!vmem_walk_alloc(kmem_oversize_arena, lc_count_segment, &segs) ||
	    !st_firewall_visit_live(lc_count_fw, &fws))
		return (0);
	n += segs + fws;
	return (n + n / 16 + 1024);
}

/*
 * A small slab without tags keeps a free chunk's link in its last word
 * (slab.c, section 3), and malloc does not clear it: an allocated chunk
 * may still hold the address of the chunk that was next on the free list
 * then, and that one may be a leak now.  A last word that is exactly the
 * link slot of another chunk of the same slab is that stale link, not
 * the program's pointer (which would point to a chunk's start, or inside
 * it, hardly to its last word): it is not scanned.
 */
static void
lc_stale_links(lc_state_t *lc)
{
	lk_scan_t *ls = &lc->lc_scan;
	uint64_t i;

	for (i = 0; i < ls->ls_nbufs; i++) {
		lk_buf_t *lb = &ls->ls_bufs[i];
		const kmem_cache_t *cp = (const kmem_cache_t *)lb->lb_tag;
		uintptr_t v, first;
		const kmem_slab_t *sp;

		if (lb->lb_kind != LC_CACHE || (cp->cache_flags &
		    (KMF_HASH | KMF_BUFTAG)) || cp->cache_bufctl + 8 !=
		    cp->cache_chunksize || lb->lb_size < cp->cache_chunksize)
			continue;
		v = *(const uintptr_t *)(lb->lb_addr + cp->cache_bufctl);
		sp = (const kmem_slab_t *)pagemap_lookup(lb->lb_addr);
		if (v < cp->cache_bufctl || ST_P2ALIGN(v, ST_PAGESIZE) !=
		    ST_P2ALIGN(lb->lb_addr, ST_PAGESIZE) || sp == NULL ||
		    ((uintptr_t)sp & PM_TAGS))
			continue;
		first = (uintptr_t)sp->slab_base + sp->slab_color;
		v -= cp->cache_bufctl;
		if (v >= first && v != lb->lb_addr &&
		    (v - first) % cp->cache_chunksize == 0)
			lk_noscan(lb, sizeof (uintptr_t));
	}
}

/*
 * Every allocated buffer, sorted.  1 done; 0 a lock was busy (try again
 * later); -1 no memory for the table.
 */
static int
lc_collect(lc_state_t *lc)
{
	lk_scan_t *ls = &lc->lc_scan;
	uint64_t max = lc_estimate();

	if (max == 0)
		return (0);
	if (lk_init(ls, &lc_ops, lc, max) != 0)
		return (-1);
	lc->lc_full = 0;
	if (!lc_collect_caches(lc) ||
	    !vmem_walk_alloc(kmem_oversize_arena, lc_oversize, lc) ||
	    !st_firewall_visit_live(lc_firewall, lc)) {
		lk_fini(ls);
		return (0);
	}
	lk_sort(ls);
	if (!kmem_rounds_visit(lc_round, lc) || !lc_orphans(lc)) {
		lk_fini(ls);
		return (0);
	}
	lk_compact(ls);
	lc_stale_links(lc);
	return (1);
}

/* ------------------------------------------------------------------------
 * The roots (section 4).
 */

/* The library's own writable segment, when it is a module of its own. */
static void
lc_exclude_self(lc_state_t *lc)
{
	extern char __ehdr_start[] __attribute__((visibility("hidden")));
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)__ehdr_start;
	const Elf64_Phdr *ph;
	uintptr_t bias = (uintptr_t)__ehdr_start;
	uint32_t i;

	/* Linked into the program: its data is the program's. */
	if (kmem_pc_is_ours((uintptr_t)getauxval(AT_PHDR)))
		return;
	ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W))
			lc_exclude(lc, ST_P2ALIGN(bias + ph[i].p_vaddr,
			    ST_PAGESIZE), ST_P2ROUNDUP(bias + ph[i].p_vaddr +
			    ph[i].p_memsz, ST_PAGESIZE));
}

/* Is a line's mapping one whose words may be roots?  See section 4. */
static int
lc_map_wanted(const char *perms, const char *name, uint64_t inode)
{
	if (perms[0] != 'r' || perms[1] != 'w')
		return (0);
	if (name[0] == '[')
		return (strcmp(name, "[heap]") == 0 ||
		    strncmp(name, "[stack", 6) == 0 ||
		    strncmp(name, "[anon", 5) == 0);
	if (name[0] == '\0' || inode == 0)
		return (1);
	if (strncmp(name, "/dev/", 5) == 0)
		return (strncmp(name, "/dev/zero", 9) == 0 ||
		    strncmp(name, "/dev/shm/", 9) == 0);
	if (perms[3] == 's')
		return (strncmp(name, "/memfd:", 7) == 0 ||
		    strncmp(name, "/SYSV", 5) == 0);
	return (1);
}

/* One line "lo-hi perms off dev inode name" into the table, if wanted. */
static void
lc_map_line(lc_state_t *lc, const char *s)
{
	uint64_t lo, hi, inode;
	const char *perms;
	lc_map_t *m;

	lo = st_scan_hex(&s);
	if (*s++ != '-')
		return;
	hi = st_scan_hex(&s);
	if (*s++ != ' ' || strlen(s) < 5 || hi <= lo)
		return;
	perms = s;
	for (s += 5; *s == ' '; s++)
		continue;
	(void) st_scan_hex(&s);                 /* offset */
	for (; *s == ' '; s++)
		continue;
	for (; *s != ' ' && *s != '\0'; s++)    /* device */
		continue;
	for (; *s == ' '; s++)
		continue;
	inode = st_scan_dec(&s);
	for (; *s == ' '; s++)
		continue;
	if (!lc_map_wanted(perms, s, inode) || st_os_mapped_by_us(lo, hi) != 0)
		return;
	if (lc->lc_nmaps >= lc->lc_maps_size / sizeof (lc_map_t))
		return;
	m = &lc->lc_maps[lc->lc_nmaps++];
	m->lm_start = lo;
	m->lm_end = hi;
	m->lm_from = lo;
	m->lm_root = 1;
	m->lm_live = 0;
	m->lm_anon = s[0] == '\0';
	m->lm_file = s[0] == '/' && inode != 0;
}

/*
 * Read /proc/self/maps line by line, each to fn (NULL: count them); the
 * number of lines, or -1.  No allocation: a line buffer, and the table
 * sized from a first count.  A line longer than the buffer is cut.
 */
static long
lc_maps_read(lc_state_t *lc, void (*fn)(lc_state_t *, const char *))
{
	int fd = st_os_open_read("/proc/self/maps"), skip = 0;
	size_t len = 0, rest;
	long n, lines = 0;
	char *s, *nl;

	if (fd < 0)
		return (-1);
	while ((n = st_os_read(fd, lc_line + len, sizeof (lc_line) - 1 -
	    len)) >= 0) {
		len += (size_t)n;
		lc_line[len] = '\0';
		for (s = lc_line; (nl = memchr(s, '\n', (size_t)(lc_line +
		    len - s))) != NULL; s = nl + 1) {
			*nl = '\0';
			if (fn != NULL && !skip)
				fn(lc, s);
			lines += !skip;
			skip = 0;
		}
		rest = (size_t)(lc_line + len - s);
		if (n == 0) {
			if (rest > 0 && !skip && fn != NULL)
				fn(lc, s);      /* a last, unended line */
			lines += rest > 0 && !skip;
			break;
		}
		if (rest == sizeof (lc_line) - 1) {
			rest = 0;               /* overlong: drop the line */
			skip = 1;
		}
		memmove(lc_line, s, rest);
		len = rest;
	}
	st_os_close(fd);
	return (n < 0 ? -1 : lines);
}

static int
lc_maps_load(lc_state_t *lc)
{
	long lines = lc_maps_read(lc, NULL);

	if (lines < 0)
		return (-1);
	lc->lc_maps_size = ST_P2ROUNDUP((size_t)(lines + 64) *
	    sizeof (lc_map_t), ST_PAGESIZE);
	if ((lc->lc_maps = lc_map(lc, lc->lc_maps_size)) == NULL) {
		lc->lc_maps_size = 0;
		return (-1);
	}
	lc->lc_nmaps = 0;
	return (lc_maps_read(lc, lc_map_line) < 0 ? -1 : 0);
}

/* The mapping holding addr, or NULL (the table is in address order). */
static lc_map_t *
lc_map_of(lc_state_t *lc, uint64_t addr)
{
	uint32_t lo = 0, hi = lc->lc_nmaps;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		lc_map_t *m = &lc->lc_maps[mid];

		if (addr < m->lm_start)
			hi = mid;
		else if (addr >= m->lm_end)
			lo = mid + 1;
		else
			return (m);
	}
	return (NULL);
}

/* A live thread's stack pointer: its mapping is read from there up. */
static void
lc_stack_at(lc_state_t *lc, uint64_t sp)
{
	lc_map_t *m = lc_map_of(lc, sp);
	uint64_t from;

	if (m == NULL)
		return;
	from = ST_P2ALIGN(sp - ST_MIN(LC_REDZONE, sp - m->lm_start), 8);
	if (!m->lm_live || from < m->lm_from)
		m->lm_from = from;
	m->lm_live = 1;
}

/*
 * A thread that did not stop: where is its stack?  The kernel says, for
 * one in a system call (/proc/self/task/T/syscall: "NR args... SP PC").
 * Its mapping is then read whole (the thread runs), and is live.
 */
static uint64_t
lc_task_sp(uint32_t tid)
{
	char path[64], line[256];
	const char *s = line;
	uint64_t v = 0;
	long n;
	int fd, field;

	(void) st_snprintf(path, sizeof (path), "/proc/self/task/%u/syscall",
	    tid);
	if ((fd = st_os_open_read(path)) < 0)
		return (0);
	n = st_os_read(fd, line, sizeof (line) - 1);
	st_os_close(fd);
	if (n <= 0 || line[0] < '0' || line[0] > '9')
		return (0);     /* "running", or unreadable */
	line[n] = '\0';
	for (field = 0; field < 8 && *s != '\0'; field++) {
		while (*s == ' ')
			s++;
		if (s[0] == '0' && s[1] == 'x')
			s += 2;
		v = st_scan_hex(&s);
	}
	return (field == 8 ? v : 0);
}

static void
lc_stack_unstopped(lc_state_t *lc, uint32_t tid)
{
	uint64_t sp = lc_task_sp(tid);
	lc_map_t *m;

	if (sp != 0 && (m = lc_map_of(lc, sp)) != NULL)
		m->lm_live = 1;
}

/*
 * Exited threads' stacks: glibc keeps them mapped for its next threads,
 * with the dead thread's last frames in them.  Each thread that exits
 * leaves its stack pointer here (kmem_thread_exit); a mapping that holds
 * one and no live thread's stack is not read.
 */
static uint64_t lc_dead[LC_NDEAD][2];   /* its sp, its thread pointer */
static uint32_t lc_dead_next;

/* The thread's control block (glibc's struct pthread starts there). */
static uintptr_t
lc_thread_pointer(void)
{
	uintptr_t tp = 0;

#if defined(__x86_64__)
	__asm__("mov %%fs:0, %0" : "=r"(tp));
#endif
	return (tp);
}

void
st_leak_thread_exit(void)
{
	uint32_t i = __atomic_fetch_add(&lc_dead_next, 1, __ATOMIC_RELAXED) %
	    LC_NDEAD;

	__atomic_store_n(&lc_dead[i][1], lc_thread_pointer(),
	    __ATOMIC_RELAXED);
	__atomic_store_n(&lc_dead[i][0], (uintptr_t)__builtin_frame_address(0),
	    __ATOMIC_RELAXED);
}

/*
 * A dead thread's stack is not read; its control block, which glibc
 * keeps with the stack for its next thread (and the thread-local storage
 * vector it points to, allocated by the dynamic linker), is: from the
 * thread pointer up, when it is in the same mapping.
 */
static void
lc_skip_dead_stacks(lc_state_t *lc)
{
	uint32_t i;
	lc_map_t *m;

	for (i = 0; i < LC_NDEAD; i++) {
		uintptr_t sp = __atomic_load_n(&lc_dead[i][0],
		    __ATOMIC_RELAXED);
		uintptr_t tp = __atomic_load_n(&lc_dead[i][1],
		    __ATOMIC_RELAXED);

		if (sp == 0 || (m = lc_map_of(lc, sp)) == NULL ||
		    m->lm_live || !m->lm_anon)
			continue;
		if (tp > sp && tp < m->lm_end)
			m->lm_from = ST_MAX(m->lm_from, ST_P2ALIGN(tp, 8));
		else
			m->lm_root = 0;
	}
}

/* [lo, hi) as roots, in the pieces between the excluded ranges. */
static void
lc_root_range(lc_state_t *lc, uint64_t lo, uint64_t hi)
{
	uint32_t i;

	for (i = 0; i < lc->lc_nexcl && lo < hi; i++) {
		uint64_t elo = lc->lc_excl[i][0], ehi = lc->lc_excl[i][1];

		if (ehi <= lo || elo >= hi)
			continue;
		if (elo > lo)
			lc_root_range(lc, lo, elo);     /* depth <= LC_NEXCL */
		lo = ehi;
	}
	if (lo < hi)
		lk_root(&lc->lc_scan, lo, hi - lo);
}

/* A stopped thread's registers: general ones, then the vector ones. */
static void
lc_root_context(lc_state_t *lc, const void *ucv)
{
	const ucontext_t *uc = ucv;
	uintptr_t regs[ST_UC_NREGS];
	uint64_t words[ST_UC_NREGS];
	uint32_t i, n = st_uc_regs(uc, regs);

	for (i = 0; i < n; i++)
		words[i] = regs[i];
	lk_root_words(&lc->lc_scan, words, n);
#if defined(__x86_64__)
	if (uc->uc_mcontext.fpregs != NULL)
		lk_root(&lc->lc_scan, (uintptr_t)uc->uc_mcontext.fpregs,
		    sizeof (*uc->uc_mcontext.fpregs));
	lc_stack_at(lc, (uintptr_t)uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
	lc_stack_at(lc, (uintptr_t)uc->uc_mcontext.sp);
#endif
}

static void
lc_roots(lc_state_t *lc, uint32_t nthreads)
{
	uint32_t i, tid;
	int stopped;

	lk_root_words(&lc->lc_scan, lc->lc_entry_regs, lc->lc_entry_nregs);
	lc_stack_at(lc, lc->lc_entry_sp);
	for (i = 1; i < nthreads; i++) {
		const void *uc = st_world_thread(i, &tid, &stopped);

		if (uc != NULL)
			lc_root_context(lc, uc);
		else if (stopped < 0)
			lc_stack_unstopped(lc, tid);
	}
	lc_skip_dead_stacks(lc);
	for (i = 0; i < lc->lc_nmaps; i++) {
		lc_map_t *m = &lc->lc_maps[i];

		if (!m->lm_root)
			continue;
		/*
		 * A file's pages past its end fault (SIGBUS) when touched:
		 * read a file mapping (a loaded object's data, or one the
		 * program made) through st_os_read_self, which fails instead.
		 */
		if (m->lm_file) {
			lc->lc_careful_lo = m->lm_from;
			lc->lc_careful_hi = m->lm_end;
		}
		lc_root_range(lc, m->lm_from, m->lm_end);
		lc->lc_careful_lo = lc->lc_careful_hi = 0;
	}
}

/* ------------------------------------------------------------------------
 * Groups and suppressions (section 5).
 */

static uint64_t
lc_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return (h * 0xff51afd7ed558ccdULL);
}

/* A leak's group: its stack from the allocator's entry point, ... */
static uint64_t
lc_key(void *arg, const lk_buf_t *lb)
{
	uint64_t h = lc_mix(0, lb->lb_kind);

	(void) arg;
	switch (lb->lb_kind) {
	case LC_AUDIT: {
		const kmem_bufctl_audit_t *bcp = (const void *)lb->lb_tag;
		uint32_t n, i;
		const uintptr_t *pcs = kmem_bc_stack(bcp, &n);

		for (i = st_report_entry_frame(pcs, n); i < n; i++)
			h = lc_mix(h, pcs[i]);
		return (h);
	}
	case LC_CALLER:
		return (lc_mix(h, lb->lb_tag));
	default:        /* the cache and the size */
		return (lc_mix(lc_mix(h, lb->lb_tag), lk_bytes(lb)));
	}
}

/* Does PATTERN (substring; * any; ^ $ anchors) match s? */
static int
lc_glob(const char *p, size_t plen, const char *s)
{
	const char *star = NULL, *back = NULL, *pe = p + plen;
	int anchored = plen > 0 && *p == '^', tail = 0;

	if (anchored)
		p++;
	if (pe > p && pe[-1] == '$') {
		pe--;
		tail = 1;
	}
	if (!anchored) {                /* a substring: "*pattern" */
		star = p;
		back = s;
	}
	for (;;) {
		if (p < pe && *p == '*') {
			star = ++p;
			back = s;
			continue;
		}
		if (p == pe && (!tail || *s == '\0'))
			return (1);
		if (p < pe && *s != '\0' && *p == *s) {
			p++;
			s++;
			continue;
		}
		if (star == NULL || *back == '\0')
			return (0);
		p = star;
		s = ++back;
	}
}

static int
lc_supp_match(lc_state_t *lc, const char *s)
{
	uint32_t i;

	for (i = 0; s != NULL && i < lc->lc_nsupp; i++) {
		if (lc_glob(lc->lc_supp[i].ls_pat, lc->lc_supp[i].ls_len, s)) {
			lc->lc_supp[i].ls_hits++;
			return (1);
		}
	}
	return (0);
}

static int
lc_supp_pc(lc_state_t *lc, uintptr_t pc)
{
	const char *name = NULL, *module = NULL;
	uintptr_t off;

	if (!st_symbol_lookup(pc, &name, &off, &module))
		return (lc_supp_match(lc, module));
	return (lc_supp_match(lc, name) || lc_supp_match(lc, module));
}

static const char *
lc_cache_name(const lk_buf_t *lb)
{
	uintptr_t pm;

	if (lb->lb_kind == LC_CACHE)
		return (kmem_cache_name_safe((kmem_cache_t *)lb->lb_tag));
	if (lb->lb_kind == LC_AUDIT)
		return (kmem_cache_name_safe(((const kmem_bufctl_audit_t *)
		    lb->lb_tag)->bc_cache));
	pm = pagemap_lookup(lb->lb_addr);
	if (pm != 0 && !(pm & PM_TAGS))
		return (kmem_cache_name_safe(((kmem_slab_t *)pm)->slab_cache));
	return ("kmem_oversize");
}

/* Is this leak's stack (or cache) suppressed? */
static int
lc_suppressed(lc_state_t *lc, const lk_buf_t *lb)
{
	const kmem_bufctl_audit_t *bcp;
	const uintptr_t *pcs;
	uint32_t i, n;

	if (lb->lb_kind == LC_CALLER)
		return (lc_supp_pc(lc, lb->lb_tag - 1) ||
		    lc_supp_match(lc, lc_cache_name(lb)));
	if (lb->lb_kind != LC_AUDIT)
		return (lc_supp_match(lc, lc_cache_name(lb)));
	bcp = (const void *)lb->lb_tag;
	pcs = kmem_bc_stack(bcp, &n);
	for (i = st_report_entry_frame(pcs, n); i < n; i++)
		if (lc_supp_pc(lc, pcs[i] - (i > 0)))
			return (1);
	return (0);
}

/* leaksuppress=FILE: its leak: lines, the file mapped (no malloc). */
static void
lc_supp_load(lc_state_t *lc)
{
	const char *path = st_opts.so_leaksuppress, *s, *end, *nl;
	int64_t size;
	int fd;

	lc->lc_nsupp = 0;
	if (path[0] == '\0')
		return;
	if ((fd = st_os_open_read(path)) < 0 || (size =
	    st_os_file_size(fd)) < 0 || (size > 0 && (lc->lc_suppfile =
	    st_os_map_file(fd, (size_t)size)) == NULL)) {
		st_msg("leaksuppress: cannot read %s (errno %d); no leak is "
		    "suppressed\n", path, st_os_errno());
		if (fd >= 0)
			st_os_close(fd);
		return;
	}
	st_os_close(fd);
	lc->lc_suppsize = (size_t)size;
	for (s = lc->lc_suppfile, end = s + size; s < end; s = nl + 1) {
		const char *e;

		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		for (; s < nl && (*s == ' ' || *s == '\t'); s++)
			continue;
		for (e = nl; e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'); e--)
			continue;
		if (e == s || *s == '#')
			continue;
		if (e - s <= 5 || strncmp(s, "leak:", 5) != 0) {
			st_msg("leaksuppress: %s: '%.*s' is not leak:PATTERN; "
			    "ignored\n", path, (int)ST_MIN(e - s, 64), s);
			continue;
		}
		if (lc->lc_nsupp < LC_NSUPP) {
			lc->lc_supp[lc->lc_nsupp].ls_pat = s + 5;
			lc->lc_supp[lc->lc_nsupp].ls_len = (uint32_t)(e - s - 5);
			lc->lc_supp[lc->lc_nsupp++].ls_hits = 0;
		}
	}
}

static void
lc_supp_unload(lc_state_t *lc)
{
	/* Not st_os_unmap: its record's lock may be a stopped thread's. */
	if (lc->lc_suppfile != NULL)
		st_os_unmap_scratch(lc->lc_suppfile, lc->lc_suppsize);
	lc->lc_suppfile = NULL;
	lc->lc_nsupp = 0;
}

/* Group, take the suppressed groups out, group again. */
static void
lc_group(lc_state_t *lc)
{
	lk_scan_t *ls = &lc->lc_scan;
	uint64_t g;
	int any = 0;

	if (lk_group(ls, lc_key, lc) != 0)
		return;
	for (g = 0; lc->lc_nsupp > 0 && g < ls->ls_ngroups; g++) {
		if (lc_suppressed(lc, lk_leak(ls, ls->ls_groups[g].lg_first))) {
			lk_suppress(ls, g);
			any = 1;
		}
	}
	if (any)
		(void) lk_group(ls, lc_key, lc);
}

/* ------------------------------------------------------------------------
 * The report (section 5).
 */

/* The group's oldest leak (mdb's representative), by its record's time. */
static const lk_buf_t *
lc_representative(lk_scan_t *ls, const lk_group_t *lg)
{
	const lk_buf_t *best = lk_leak(ls, lg->lg_first), *lb;
	uint64_t i;

	if (best->lb_kind != LC_AUDIT)
		return (best);
	for (i = lg->lg_first + 1; i < (uint64_t)lg->lg_first + lg->lg_count;
	    i++) {
		lb = lk_leak(ls, i);
		if (((const kmem_bufctl_audit_t *)lb->lb_tag)->bc_timestamp <
		    ((const kmem_bufctl_audit_t *)best->lb_tag)->bc_timestamp)
			best = lb;
	}
	return (best);
}

static void
lc_report_group(lc_state_t *lc, const lk_group_t *lg)
{
	lk_scan_t *ls = &lc->lc_scan;
	const lk_buf_t *lb = lc_representative(ls, lg);
	const char *what = lb->lb_state == LK_DIRECT ? "Direct" : "Indirect";
	char title[96];

	st_snprintf(title, sizeof (title), "%s leak of %lu byte(s) in %u "
	    "object(s)", what, (unsigned long)lg->lg_bytes, lg->lg_count);
	if (lb->lb_kind == LC_AUDIT) {
		const kmem_bufctl_audit_t *bcp = (const void *)lb->lb_tag;
		uint32_t n;
		const uintptr_t *pcs = kmem_bc_stack(bcp, &n);

		st_msg("\n%s allocated from:\n", title);
		st_report_stack(title, bcp->bc_thread, 0, pcs, n, 0, "    ");
	} else if (lb->lb_kind == LC_CALLER) {
		uintptr_t pc = lb->lb_tag;

		st_msg("\n%s allocated from:\n", title);
		st_report_stack(title, 0, 0, &pc, 1, 0, "    ");
		st_msg("    (%s; the caller only: UMEM_DEBUG=default records "
		    "the whole stack)\n", lc_cache_name(lb));
	} else {
		st_msg("\n%s from %s (no stack: UMEM_DEBUG=default records "
		    "them)\n", title, lc_cache_name(lb));
	}
}

static const char *const lc_why_text[] = {
	[LC_EXIT] = "at exit",
	[LC_CALL] = "by kmem_leakcheck()",
	[LC_SIGNAL] = "on signal",
};

/* The whole report; the leaks reported (not suppressed). */
static uint64_t
lc_report(lc_state_t *lc)
{
	lk_scan_t *ls = &lc->lc_scan;
	uint64_t g;

	lc->lc_leaks = lc->lc_bytes = 0;
	for (g = 0; g < ls->ls_ngroups; g++) {
		lc->lc_leaks += ls->ls_groups[g].lg_count;
		lc->lc_bytes += ls->ls_groups[g].lg_bytes;
	}
	if (lc->lc_leaks == 0 && ls->ls_stats.lt_suppressed == 0 &&
	    !st_opts.so_verbose)
		return (0);
	st_report_begin("memory leaks", -1, NULL);
	if (lc->lc_leaks > 0)
		st_msg("detected memory leaks (the leak check %s)\n",
		    lc_why_text[lc->lc_why]);
	for (g = 0; g < ls->ls_ngroups; g++)
		lc_report_group(lc, &ls->ls_groups[g]);
	if (lc->lc_full)
		st_msg("\nthe heap grew past the table: some buffers were not "
		    "checked\n");
	if (lc->lc_leaks > 0)
		st_msg("\n%lu byte(s) leaked in %lu allocation(s).\n",
		    (unsigned long)lc->lc_bytes, (unsigned long)lc->lc_leaks);
	else if (st_opts.so_verbose)
		st_msg("no memory leaks (the leak check %s)\n",
		    lc_why_text[lc->lc_why]);
	if (ls->ls_stats.lt_suppressed > 0)
		st_msg("suppressed: %lu allocation(s) (leaksuppress=%s)\n",
		    (unsigned long)ls->ls_stats.lt_suppressed,
		    st_opts.so_leaksuppress);
	if (st_opts.so_verbose)
		st_msg("leak check: %lu buffers, %lu KB of roots, %lu KB of "
		    "buffers read, %lu KB of memory, %lu ms\n",
		    (unsigned long)ls->ls_stats.lt_nbufs,
		    (unsigned long)(ls->ls_stats.lt_root_bytes >> 10),
		    (unsigned long)(ls->ls_stats.lt_buf_bytes >> 10),
		    (unsigned long)(ls->ls_stats.lt_memory >> 10),
		    (unsigned long)((st_os_now_ns() - lc->lc_t0) / 1000000));
	st_report_end(NULL);
	return (lc->lc_leaks);
}

/* ------------------------------------------------------------------------
 * The check (sections 1 and 2).
 */

/* Park the others and collect the buffers; nthreads, or -1 (said why). */
static int
lc_stop_and_collect(lc_state_t *lc)
{
	uint64_t t0 = st_os_now_ns();
	int n, rc = 0, tries;

	for (tries = 0; tries < LC_TRIES && st_os_now_ns() - t0 < LC_TRIES_NS;
	    tries++) {
		if ((n = st_world_park()) < 0)
			return (-1);
		lc->lc_safe = st_world_unstopped() > 0;
		if ((rc = lc_collect(lc)) == 1)
			return (n);
		st_world_unpark();
		if (rc < 0) {
			st_msg("leak check not run: no memory for its table\n");
			return (-1);
		}
		st_os_sleep_ns(LC_RETRY_NS);
	}
	st_msg("leak check not run: the allocator's locks stayed busy\n");
	return (-1);
}

/* Process_vm_readv may be refused (seccomp): then read in place. */
static void
lc_check_safe(lc_state_t *lc)
{
	uint64_t probe = 0, word = 1;

	lc->lc_vm_ok = st_os_read_self(&probe, (uintptr_t)&word,
	    sizeof (word)) == (long)sizeof (word);
}

static uint64_t
lc_run(lc_state_t *lc, uint32_t nthreads)
{
	lk_scan_t *ls = &lc->lc_scan;

	lc_check_safe(lc);
	lc_exclude_self(lc);
	lc->lc_pmfd = st_os_open_read("/proc/self/pagemap");
	if (lc_maps_load(lc) != 0) {
		st_msg("leak check not run: cannot read /proc/self/maps\n");
		return (0);
	}
	lc_roots(lc, nthreads);
	lk_classify(ls);
	lc_supp_load(lc);
	lc_group(lc);
	return (lc_report(lc));
}

/*
 * A check (why: LC_*), with the caller's stack from entry_sp up.  The
 * leaks reported, or -1 if it could not run.
 */
static int64_t
lc_check(int why, uint64_t entry_sp, const uint64_t *regs, uint32_t nregs)
{
	lc_state_t *lc = &lc_state;
	int stopped, n;
	uint64_t leaks;

	if (!kmem_ready || !st_trylock(&lc_lock))
		return (-1);
	memset(lc, 0, sizeof (*lc));
	lc->lc_why = why;
	lc->lc_entry_sp = entry_sp;
	memcpy(lc->lc_entry_regs, regs, ST_MIN(nregs, LC_MAXREGS) *
	    sizeof (uint64_t));
	lc->lc_entry_nregs = ST_MIN(nregs, LC_MAXREGS);
	lc->lc_pmfd = -1;
	lc->lc_t0 = st_os_now_ns();
	stopped = kmem_world_stop(2000000000ULL, 0);
	if ((n = lc_stop_and_collect(lc)) < 0) {
		if (stopped)
			kmem_world_resume();
		st_unlock(&lc_lock);
		return (-1);
	}
	leaks = lc_run(lc, (uint32_t)n);
	if (lc->lc_pmfd >= 0)
		st_os_close(lc->lc_pmfd);
	lk_fini(&lc->lc_scan);
	if (lc->lc_maps != NULL)
		lc_unmap(lc, lc->lc_maps, lc->lc_maps_size);
	lc_supp_unload(lc);
	st_world_unpark();
	if (stopped)
		kmem_world_resume();
	st_unlock(&lc_lock);
	return ((int64_t)leaks);
}

/*
 * The public entry points give the scan their caller's frame and the
 * callee-saved registers as they found them (section 4), and nothing of
 * their own frame: on the way out of the process, the exit verify's walk
 * has just left heap addresses in the very stack slots our frame reuses.
 * Frame pointers are kept in these functions (__builtin_frame_address),
 * so the caller's frame starts two words above ours.  The registers are
 * stored before the body can change them (x86-64: rdi, a caller-saved
 * register, holds where); elsewhere, their spill in our frame is read.
 */
#if defined(__x86_64__)
#define LC_NREGS        6
#define LC_ENTRY(regs, sp) do {                                         \
	__asm__ volatile("mov %%rbx, 0(%0)\n\tmov %%rbp, 8(%0)\n\t"      \
	    "mov %%r12, 16(%0)\n\tmov %%r13, 24(%0)\n\t"                  \
	    "mov %%r14, 32(%0)\n\tmov %%r15, 40(%0)" : : "D"(regs) :       \
	    "memory");                                                  \
	(sp) = (uintptr_t)__builtin_frame_address(0) + 16;              \
} while (0)
#else
#define LC_NREGS        1
#define LC_ENTRY(regs, sp) do {                                         \
	__builtin_unwind_init();                                        \
	(regs)[0] = 0;                                                  \
	(sp) = ST_P2ALIGN((uintptr_t)&(regs)[0], 8);                    \
} while (0)
#endif

__attribute__((noinline)) int64_t
st_leak_at_exit(void)
{
	uint64_t regs[LC_NREGS];
	uintptr_t sp;

	LC_ENTRY(regs, sp);
	return (lc_check(LC_EXIT, sp, regs, LC_NREGS));
}

/* After the exit verify: the status leaks ask for (section 1). */
void
st_leak_exit(int64_t leaks)
{
	if (leaks > 0 && st_opts.so_leakcheck == 1)
		exit((int)st_opts.so_leak_exitcode);
}

__attribute__((noinline)) ST_EXPORT int
kmem_leakcheck(void)
{
	uint64_t regs[LC_NREGS];
	uintptr_t sp;
	int64_t n;

	LC_ENTRY(regs, sp);
	if (!kmem_ready)
		kmem_init_slow();
	n = lc_check(LC_CALL, sp, regs, LC_NREGS);
	return (n < 0 ? -1 : (int)ST_MIN(n, INT32_MAX));
}

ST_EXPORT int
umem_leakcheck(void)
{
	return (kmem_leakcheck());
}

/* ------------------------------------------------------------------------
 * leaksignal=SIG: a thread of ours runs the check the signal asks for,
 * or takes the debugger's snapshot (section 7).
 */

static uint32_t lc_signals;             /* the futex: signals received */
static uint32_t lc_check_asked;         /* ... that ask for a check */
static int32_t lc_snap_asked;           /* ... a snapshot, for this pid */
static st_leak_snap_t lc_snap;          /* st_root.sr_leak_snap */

static void
lc_signal_handler(int sig, void *info, void *uc)
{
	const siginfo_t *si = info;

	(void) sig;
	(void) uc;
	if (si != NULL && si->si_code == SI_QUEUE &&
	    si->si_value.sival_int == ST_SNAP_REQUEST && si->si_pid > 0)
		__atomic_store_n(&lc_snap_asked, (int32_t)si->si_pid,
		    __ATOMIC_RELAXED);
	else
		(void) __atomic_add_fetch(&lc_check_asked, 1, __ATOMIC_RELAXED);
	(void) __atomic_add_fetch(&lc_signals, 1, __ATOMIC_RELEASE);
	(void) syscall(SYS_futex, &lc_signals, FUTEX_WAKE_PRIVATE, 1, NULL,
	    NULL, 0);
}

static __attribute__((noinline)) void
lc_signal_check(void)
{
	uint64_t regs[LC_NREGS];
	uintptr_t sp;

	LC_ENTRY(regs, sp);
	(void) lc_check(LC_SIGNAL, sp, regs, LC_NREGS);
}

/*
 * The walks' locks, only tried (section 2): 1 when none is held, so that
 * the child's heap is whole.  A parked thread in a lock-free magazine
 * operation is the race section 2 describes.
 */
static int
lc_snap_quiet(void)
{
	kmem_cache_t *cp;
	vmem_t *vmp;
	uint64_t nfw = 0;
	int ok = 1;

	if (!st_trylock(&kmem_cache_list_lock))
		return (0);
	for (cp = kmem_null_cache.cache_next; ok && cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		if ((ok = st_trylock(&cp->cache_lock)) != 0)
			st_unlock(&cp->cache_lock);
		if (ok && (ok = st_trylock(&cp->cache_depot_lock)) != 0)
			st_unlock(&cp->cache_depot_lock);
	}
	st_unlock(&kmem_cache_list_lock);
	for (vmp = vmem_list; ok && vmp != NULL; vmp = vmp->vm_next)
		if ((ok = st_trylock(&vmp->vm_lock)) != 0)
			st_unlock(&vmp->vm_lock);
	return (ok && st_firewall_visit_live(lc_count_fw, &nfw));
}

/*
 * Park the others, with the walks' locks free: nthreads, or -1.  *parked:
 * when the stop that held began; lc_snap.ss_tries: the stops made.
 */
static int
lc_snap_park(uint64_t *parked)
{
	uint64_t t0 = st_os_now_ns();
	uint32_t tries;
	int n;

	for (tries = 0; tries < LC_TRIES && st_os_now_ns() - t0 < LC_TRIES_NS;
	    tries++) {
		*parked = st_os_now_ns();
		lc_snap.ss_tries = tries + 1;
		if ((n = st_world_park()) < 0)
			return (-1);
		if (lc_snap_quiet())
			return (n);
		st_world_unpark();
		st_os_sleep_ns(LC_RETRY_NS);
	}
	return (-1);
}

/* A parked thread's registers, as NT_PRSTATUS has them (dump.c's). */
static void
lc_snap_context(st_snap_thread_t *sx, const void *ucv)
{
	const ucontext_t *uc = ucv;

	_Static_assert(ST_SNAP_NREGS * sizeof (uint64_t) >=
	    sizeof (elf_gregset_t), "pr_reg");
	st_context_gregs(uc, sx->sx_regs, 0, 0);
	sx->sx_nregs = sizeof (elf_gregset_t) / sizeof (uint64_t);
#if defined(__x86_64__)
	if (uc->uc_mcontext.fpregs != NULL)
		memcpy(sx->sx_fpregs, uc->uc_mcontext.fpregs, ST_MIN(sizeof (
		    *uc->uc_mcontext.fpregs), sizeof (sx->sx_fpregs)));
#endif
}

#if defined(__x86_64__)
#define LC_SNAP_SP      19      /* rsp in pr_reg */
#elif defined(__aarch64__)
#define LC_SNAP_SP      31
#endif

/*
 * The table the child inherits: this thread (its caller's frame and the
 * registers LC_ENTRY found), then every other thread of the stop: its
 * registers, or (it did not stop) none, with the stack pointer the kernel
 * says when it is in a system call.  The threads written.
 */
static uint32_t
lc_snap_fill(st_snap_thread_t *tab, uint32_t n, uint64_t sp,
    const uint64_t *regs)
{
	uint32_t i, k = 1, tid;
	int stopped;

	tab[0].sx_tid = (uint32_t)st_os_thread_id();
#if defined(__x86_64__)
	{
		struct user_regs_struct r;

		memset(&r, 0, sizeof (r));
		r.rbx = regs[0];
		r.rbp = regs[1];
		r.r12 = regs[2];
		r.r13 = regs[3];
		r.r14 = regs[4];
		r.r15 = regs[5];
		r.rsp = sp;
		memcpy(tab[0].sx_regs, &r, sizeof (r));
		tab[0].sx_nregs = sizeof (r) / sizeof (uint64_t);
	}
#elif defined(__aarch64__)
	tab[0].sx_regs[LC_SNAP_SP] = sp;
	tab[0].sx_nregs = 34;
	(void) regs;
#else
	(void) sp;
	(void) regs;
#endif
	for (i = 1; i < n; i++) {
		const void *uc = st_world_thread(i, &tid, &stopped);

		if (uc == NULL && stopped >= 0)
			continue;       /* gone */
		tab[k].sx_tid = tid;
		if (uc != NULL)
			lc_snap_context(&tab[k], uc);
#if defined(LC_SNAP_SP)
		else
			tab[k].sx_regs[LC_SNAP_SP] = lc_task_sp(tid);
#endif
		k++;
	}
	return (k);
}

/*
 * The program's descriptors, which the child would hold open (a pipe's
 * reader would not see its end until the child dies).
 */
static void
lc_snap_close_fds(void)
{
	long fd;

#if defined(SYS_close_range)
	if (syscall(SYS_close_range, 0U, ~0U, 0U) == 0)
		return;
#endif
	for (fd = 0; fd < LC_SNAP_MAXFD; fd++)
		(void) syscall(SYS_close, fd);
}

/*
 * The child (section 7): system calls only (glibc's view of this thread
 * is the parent's: no raise, no pthread_*), never the heap, then
 * exit_group.  It lives until the requester dies, or LC_SNAP_LIFE_S.
 */
static __attribute__((noreturn)) void
lc_snap_child(int32_t requester, long parent)
{
	uint64_t all = ~0ULL;
	struct timespec ts, nap = { 0, 50000000 };
	long fd = -1;
	uint32_t t, k;

	(void) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL,
	    sizeof (all));
	(void) syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != parent)
		(void) syscall(SYS_exit_group, 0);
	lc_snap_close_fds();
#if defined(SYS_pidfd_open)
	fd = syscall(SYS_pidfd_open, requester, 0);
#endif
	for (t = 0; t < LC_SNAP_LIFE_S; t++) {
		if (fd >= 0) {
			struct pollfd pfd = { (int)fd, POLLIN, 0 };

			ts.tv_sec = 1;          /* ppoll writes what is left */
			ts.tv_nsec = 0;
			if (syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 0) != 0)
				break;  /* it exited (or ppoll failed) */
			continue;
		}
		for (k = 0; k < 20; k++)
			(void) syscall(SYS_nanosleep, &nap, NULL);
		if (syscall(SYS_kill, requester, 0) != 0 && errno == ESRCH)
			break;
	}
	for (;;)
		(void) syscall(SYS_exit_group, 0);
}

/* The answer: every field, then ss_seq (the debugger polls it). */
static void
lc_snap_answer(int32_t requester, long pid, uint32_t err)
{
	st_leak_snap_t *ss = &lc_snap;

	ss->ss_pid = pid > 0 ? (int32_t)pid : 0;
	ss->ss_for = requester;
	ss->ss_error = err;
	(void) __atomic_add_fetch(&ss->ss_seq, 1, __ATOMIC_RELEASE);
}

/*
 * A snapshot for requester (section 7): stop, copy the registers, fork,
 * go on; publish the child, and reap it when it ends.  The pause: from
 * the world stop (debugged operations wait from there) to its end, and
 * the last stop of every thread within it (the others, while a walk's
 * lock was busy, were let go after a look).
 */
static __attribute__((noinline)) void
lc_snapshot(int32_t requester)
{
	st_leak_snap_t *ss = &lc_snap;
	uint64_t regs[LC_NREGS], t0, tf, parked = 0;
	uintptr_t sp;
	st_snap_thread_t *tab = NULL;
	size_t size = 0;
	uint32_t err = ST_SNAP_EOK;
	long pid = -1, parent = syscall(SYS_getpid);
	int stopped, n, status;

	LC_ENTRY(regs, sp);
	t0 = st_os_now_ns();
	ss->ss_threads = 0;
	ss->ss_nthreads = 0;
	ss->ss_fork_ns = ss->ss_park_ns = 0;
	stopped = kmem_world_stop(2000000000ULL, 0);
	if ((n = lc_snap_park(&parked)) < 0) {
		err = ST_SNAP_EBUSY;
	} else {
		size = ST_P2ROUNDUP((size_t)n * sizeof (*tab), ST_PAGESIZE);
		if ((tab = st_os_map_scratch(size)) == NULL) {
			err = ST_SNAP_ENOMEM;
		} else {
			ss->ss_nthreads = lc_snap_fill(tab, (uint32_t)n, sp,
			    regs);
			ss->ss_threads = (uintptr_t)tab;
			tf = st_os_now_ns();
			/* fork without SIGCHLD, and no atfork handler */
			pid = syscall(SYS_clone, 0UL, 0UL, NULL, NULL, 0UL);
			if (pid == 0)
				lc_snap_child(requester, parent);
			ss->ss_fork_ns = st_os_now_ns() - tf;
			if (pid < 0)
				err = ST_SNAP_EFORK;
		}
		st_world_unpark();
		ss->ss_park_ns = st_os_now_ns() - parked;
	}
	if (stopped)
		kmem_world_resume();
	ss->ss_pause_ns = st_os_now_ns() - t0;
	lc_snap_answer(requester, pid, err);
	if (tab != NULL)
		st_os_unmap_scratch(tab, size); /* the child has its copy */
	if (pid <= 0)
		return;
	while (syscall(SYS_wait4, pid, &status, __WALL, NULL) < 0 &&
	    errno == EINTR)
		continue;
	__atomic_store_n(&ss->ss_pid, 0, __ATOMIC_RELEASE);
}

static void *
lc_signal_main(void *arg)
{
	uint32_t seen = 0, now;
	int32_t who;

	(void) arg;
	for (;;) {
		now = __atomic_load_n(&lc_signals, __ATOMIC_ACQUIRE);
		if (now == seen) {
			(void) syscall(SYS_futex, &lc_signals,
			    FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
			continue;
		}
		seen = now;
		if ((who = __atomic_exchange_n(&lc_snap_asked, 0,
		    __ATOMIC_RELAXED)) != 0)
			lc_snapshot(who);
		if (__atomic_exchange_n(&lc_check_asked, 0,
		    __ATOMIC_RELAXED) != 0)
			lc_signal_check();
	}
	return (NULL);
}

static void
lc_signal_start(void)
{
	if (st_os_thread_start(lc_signal_main, NULL, "slabtrace-leaks") != 0)
		st_msg("leaksignal: cannot start the leak check's thread; "
		    "signal %u does nothing\n", st_opts.so_leaksignal);
}

/*
 * From start-up (verify.c's kmem_verify_init): the dead stacks for the
 * debugger's ::findleaks; the thread of leaksignal=, and the snapshots'
 * answers (ss_signal 0: none are taken).
 */
void
st_leak_init(void)
{
	st_root.sr_leak_dead = &lc_dead[0][0];
	st_root.sr_leak_ndead = LC_NDEAD;
	st_root.sr_leak_snap = &lc_snap;
	st_root.sr_leak_snapver = ST_SNAP_VERSION;
	if (st_opts.so_leaksignal == 0)
		return;
	if (st_os_thread_start(lc_signal_main, NULL, "slabtrace-leaks") != 0 ||
	    st_os_catch_signal((int)st_opts.so_leaksignal,
	    lc_signal_handler) != 0) {
		st_msg("leaksignal: cannot start the leak check's thread; "
		    "signal %u does nothing\n", st_opts.so_leaksignal);
		return;
	}
	lc_snap.ss_signal = st_opts.so_leaksignal;
}

/*
 * A child of the program's fork (kmem's fork handler, through verify.c):
 * one thread, ours not among them (section 8).  The handler is inherited.
 */
void
st_leak_fork_child(void)
{
	lc_forked = 1;
	st_lock_init(&lc_lock);
	lc_signals = lc_check_asked = 0;
	lc_snap_asked = 0;
	lc_snap.ss_pid = lc_snap.ss_for = 0;
	if (lc_snap.ss_signal != 0)
		lc_signal_start();
}
