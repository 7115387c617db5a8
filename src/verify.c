/*
 * verify.c: a bound on when a freed buffer is verified, whatever the
 * program does next, and the whole heap verified at exit (kmem_verify).
 *
 * 1. Why.  debug.c verifies a freed buffer's 0xdeadbeef pattern when the
 *    buffer is allocated again.  In the kernel that happens soon: any CPU's
 *    next allocation may reuse it.  Here a freed buffer waits in its
 *    thread's quarantine and magazines, which only that thread reuses: a
 *    thread that stops freeing, or a program that ends, would never have
 *    its last frees checked, and a write after free would go unseen.  So:
 *      - the sweep: every kmem_sweep_ms (UMEM_OPTIONS=sweep=N, default
 *        500 ms), every thread's quarantine and magazines, the depots
 *        that received magazines and the slabs that received buffers since
 *        the last sweep are verified (a background thread does it, started
 *        by the first sweep due; where no thread can be made, the freeing
 *        threads do it themselves);
 *      - a thread's quarantine and magazines when it exits;
 *      - at exit (after the atexit handlers and every ELF destructor:
 *        kmem_verify_init registers it before the dynamic linker's own
 *        exit handler) the whole heap: every free buffer's pattern, every
 *        allocated buffer's redzone, every tag (kmem_verify(), which a
 *        program may also call); the same from the ends that skip the
 *        atexit handlers (_exit, quick_exit, exec, SIGTERM: see "The
 *        ends that skip the atexit handlers" below);
 *        and before a dump is written.
 *    A finding is reported like any other (kmem_error), with a "found ..."
 *    line, then the panic and the dump, unless noabort.
 *
 * 2. Stopping the world.  A verifier reads buffers that other threads
 *    write as they allocate and free (the pattern becomes 0xbaddcafe, the
 *    tag turns from free to allocated): it must not look at a buffer in
 *    the middle of that.  Every debugged operation (malloc and free and
 *    their family, kmem_alloc, kmem_cache_alloc of a debugged cache, the
 *    lite fast paths, a thread's exit, kmem_reap) runs between
 *    kmem_op_enter() and kmem_op_exit(), which count it in the thread's
 *    kt_busy.  kmem_world_stop() raises kmem_stopped and waits until no
 *    other thread's count is above zero; a thread entering an operation
 *    sees the flag and waits outside until kmem_world_resume().  The two
 *    sides are Dekker's: the thread stores its count then loads the flag,
 *    the verifier stores the flag then loads the counts, each with a full
 *    fence between, so at least one sees the other.  The threads' fence is
 *    the verifier's membarrier(2) (MEMBARRIER_CMD_PRIVATE_EXPEDITED: every
 *    running thread of the process executes a full barrier), so that an
 *    operation pays a compiler barrier only; where the kernel has no
 *    membarrier, every operation fences (kmem_op_fence).  Nested operations (a
 *    constructor or a signal handler that allocates) only count.  Exited
 *    threads share kmem_thread_dead's count.  A thread that stays inside
 *    an operation longer than the wait (stopped by a debugger, blocked in
 *    a constructor) makes the verifier give up that round, never wait
 *    forever.  The cost, in debugging only: a store and a load per
 *    operation (with a fence where there is no membarrier).
 *
 * 3. Locking.  kmem_verify_lock serialises verifiers and comes before all
 *    of the allocator's locks.  No debugged operation takes
 *    kmem_thread_lock (a thread's state is made before its first
 *    operation counts), so the verifier may hold it while it waits.  The
 *    walks take the cache list, thread, depot and slab locks in the lock
 *    order (slab.c, section 7) against what runs outside operations
 *    (cache creation and destruction).  Findings are gathered first and
 *    reported after the walk, still with the world stopped, so the buffer
 *    a report names is as it was found.  Before a dump, the walk only tries
 *    the locks: a fatal signal may have interrupted their holder.
 *
 * 4. Cost.  The sweep reads what it verifies: the quarantines and
 *    magazines of every thread (a few hundred buffers each), and only the
 *    changed depots and slabs.  When nothing was freed since the last
 *    sweep it waits up to KV_IDLE_SWEEPS periods before looking again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* RTLD_NEXT, environ */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slabtrace_impl.h"
#include "umem.h"

#define ST_EXPORT       __attribute__((visibility("default")))

/* Tunables. */
uint64_t kmem_stop_wait_ns = 200000000ULL;      /* a sweep gives up after */
uint64_t kmem_stop_wait_exit_ns = 2000000000ULL; /* exit, kmem_verify() */
uint64_t kmem_stop_wait_dump_ns = 500000000ULL; /* before a dump */
uint64_t kmem_stop_wait_fork_ns = 100000000ULL; /* fork: then the child
                                                   verifies nothing */
#define KV_FINDINGS_MAX 16      /* problems one walk reports in full */
#define KV_TICK_FREES   256     /* a thread looks at the clock this often */
#define KV_TICK_EARLY   KMEM_SWEEP_TICK /* ... until the sweeper runs */
#define KV_IDLE_SWEEPS  8       /* periods between sweeps of an idle heap */

volatile uint32_t kmem_stopped;         /* a verifier stops the world */
int kmem_op_fence = 1;                  /* until membarrier is known good */
static uint64_t kmem_stopper;           /* ... this thread */
static st_lock_t kmem_verify_lock = ST_LOCK_INITIALIZER;
static __thread uint32_t kmem_dead_depth /* this thread's part of */
    __attribute__((tls_model("initial-exec"))); /* kmem_thread_dead's */

static uint64_t kmem_sweep_last;        /* time of the last sweep */
static uint64_t kmem_sweep_frees;       /* frees the last sweep saw */
int kmem_sweeper;                       /* 0 none, 1 running, -1 cannot */
int kmem_sweeper_wanted;                /* ... start it, next allocation */
static volatile int kmem_exiting;
static uint32_t kmem_verify_pid;        /* ours, not a vfork child's */
static __thread int kmem_fork_stopped  /* this thread's fork stopped it */
    __attribute__((tls_model("initial-exec"))); /* (two threads may fork) */
static int kmem_torn;                   /* a child whose heap may be torn */

/* What a walk found; one at a time, under kmem_verify_lock. */
typedef struct kv_walk {
	kmem_errinfo_t kw_found[KV_FINDINGS_MAX];
	uint32_t kw_nfound;             /* in kw_found */
	uint32_t kw_free_only;          /* skip allocated buffers */
	uint64_t kw_nbad;               /* found in all */
	uint64_t kw_nbufs;              /* buffers looked at */
} kv_walk_t;

static kv_walk_t kv_walk;

/* Take lk; careful: only try (its holder may be the code we interrupted). */
static int
kv_lock(st_lock_t *lk, int careful)
{
	if (careful)
		return (st_trylock(lk));
	st_lock(lk);
	return (1);
}

/* ------------------------------------------------------------------------
 * Operations (section 2).
 */

/* A thread without state of its own: made now, or the shared count. */
kmem_thread_t *
kmem_op_enter_slow(void)
{
	kmem_thread_t *kt = kmem_thread_self_slow();

	if (kt != &kmem_thread_dead)
		return (kmem_op_enter());
	for (;;) {
		(void) __atomic_add_fetch(&kmem_thread_dead.kt_busy, 1,
		    __ATOMIC_SEQ_CST);
		if (kmem_dead_depth++ > 0 || !__atomic_load_n(&kmem_stopped,
		    __ATOMIC_SEQ_CST) || __atomic_load_n(&kmem_stopper,
		    __ATOMIC_RELAXED) == st_os_thread_id())
			return (&kmem_thread_dead);
		kmem_dead_depth--;
		(void) __atomic_sub_fetch(&kmem_thread_dead.kt_busy, 1,
		    __ATOMIC_RELEASE);
		while (__atomic_load_n(&kmem_stopped, __ATOMIC_ACQUIRE))
			st_os_sleep_ns(20000);
	}
}

void
kmem_op_exit_dead(void)
{
	kmem_dead_depth--;
	(void) __atomic_sub_fetch(&kmem_thread_dead.kt_busy, 1,
	    __ATOMIC_RELEASE);
}

/* The world is being stopped: wait outside, unless we are stopping it. */
void
kmem_op_wait(kmem_thread_t *kt)
{
	for (;;) {
		if (__atomic_load_n(&kmem_stopper, __ATOMIC_RELAXED) ==
		    kt->kt_tid)
			return;
		__atomic_store_n(&kt->kt_busy, 0, __ATOMIC_RELEASE);
		while (__atomic_load_n(&kmem_stopped, __ATOMIC_ACQUIRE))
			st_os_sleep_ns(20000);
		__atomic_store_n(&kt->kt_busy, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&kmem_stopped, __ATOMIC_RELAXED))
			return;
	}
}

void
kmem_world_resume(void)
{
	__atomic_store_n(&kmem_stopper, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&kmem_stopped, 0, __ATOMIC_RELEASE);
	st_unlock(&kmem_verify_lock);
}

/*
 * Stop every debugged operation but the caller's.  1: stopped (the caller
 * holds kmem_verify_lock until kmem_world_resume); 0: another verifier
 * holds it (careful) or a thread stayed inside longer than timeout_ns.
 */
int
kmem_world_stop(uint64_t timeout_ns, int careful)
{
	uint64_t me = st_os_thread_id(), deadline = 0, now, busy;
	uint32_t dead;

	if (!kv_lock(&kmem_verify_lock, careful))
		return (0);
	__atomic_store_n(&kmem_stopper, me, __ATOMIC_RELAXED);
	__atomic_store_n(&kmem_stopped, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* The other threads' half of the fence (section 2). */
	if (!kmem_op_fence && st_os_membarrier() != 0)
		st_panic("membarrier failed after it worked");
	for (;;) {
		busy = kmem_thread_busy_any(NULL, careful);
		dead = __atomic_load_n(&kmem_thread_dead.kt_busy,
		    __ATOMIC_ACQUIRE);
		if (busy == 0 && dead <= kmem_dead_depth)
			return (1);
		now = st_os_now_ns();
		if (deadline == 0)
			deadline = now + timeout_ns;
		else if (now >= deadline)
			break;
		st_os_sleep_ns(50000);
	}
	if (st_opts.so_verbose)
		st_msg("heap verify skipped: thread %lu stayed "
		    "inside the allocator\n", (unsigned long)(busy != 0 &&
		    busy != UINT64_MAX ? busy : 0));
	kmem_world_resume();
	return (0);
}

/* ------------------------------------------------------------------------
 * Walks and reports.
 */

static void
kv_walk_reset(kv_walk_t *kw, int free_only)
{
	kw->kw_nfound = 0;
	kw->kw_free_only = (uint32_t)free_only;
	kw->kw_nbad = 0;
	kw->kw_nbufs = 0;
}

static void
kv_visit(kmem_cache_t *cp, void *buf, void *arg)
{
	kv_walk_t *kw = arg;
	kmem_errinfo_t ei;
	uint32_t i;

	kw->kw_nbufs++;
	if (kmem_debug_verify_buf(cp, buf, (int)kw->kw_free_only, &ei) == 0)
		return;
	for (i = 0; i < kw->kw_nfound; i++)
		if (kw->kw_found[i].ei_base == buf)
			return;         /* met twice in one walk */
	kw->kw_nbad++;
	if (kw->kw_nfound < KV_FINDINGS_MAX)
		kw->kw_found[kw->kw_nfound++] = ei;
}

/* A problem found by firewall.c's walk (big buffers, live slack). */
static void
kv_found(const kmem_errinfo_t *ei, void *arg)
{
	kv_walk_t *kw = arg;
	uint32_t i;

	for (i = 0; i < kw->kw_nfound; i++)
		if (kw->kw_found[i].ei_base == ei->ei_base)
			return;
	kw->kw_nbad++;
	if (kw->kw_nfound < KV_FINDINGS_MAX)
		kw->kw_found[kw->kw_nfound++] = *ei;
}

/* Every debugged cache's every chunk, or its changed depot and slabs. */
static void
kv_walk_caches(kv_walk_t *kw, int all, int careful)
{
	kmem_cache_t *cp;

	if (!kv_lock(&kmem_cache_list_lock, careful))
		return;
	for (cp = kmem_null_cache.cache_next; cp != &kmem_null_cache;
	    cp = cp->cache_next) {
		if (!(cp->cache_flags & KMF_BUFTAG))
			continue;
		if (all) {
			(void) kmem_slab_visit(cp, 0, kv_visit, kw, careful);
			continue;
		}
		if (!(cp->cache_flags & KMF_DEADBEEF))
			continue;
		if (cp->cache_depot_puts != cp->cache_depot_swept)
			(void) kmem_depot_visit_free(cp, kv_visit, kw, careful);
		if (cp->cache_dirty != 0)
			(void) kmem_slab_visit(cp, 1, kv_visit, kw, careful);
	}
	st_unlock(&kmem_cache_list_lock);
}

/*
 * Report what a walk found (found: how), without panicking; with
 * noabort, free buffers found modified are patterned again so that the
 * next walk does not report them twice.  Returns the number found.
 */
static uint64_t
kv_report(kv_walk_t *kw, const char *found)
{
	uint32_t i;

	for (i = 0; i < kw->kw_nfound; i++) {
		kmem_errinfo_t *ei = &kw->kw_found[i];

		ei->ei_found = found;
		ei->ei_nopanic = 1;
		kmem_error(ei);
	}
	if (kw->kw_nbad > kw->kw_nfound)
		st_msg("and %lu more problems %s\n",
		    (unsigned long)(kw->kw_nbad - kw->kw_nfound), found);
	return (kw->kw_nbad);
}

/*
 * The process goes on (noabort): pattern again the free buffers reported,
 * so that the next sweep does not report them twice.  Only then: a dump
 * must show the bytes the bug wrote, not our repair.
 */
static void
kv_repattern(kv_walk_t *kw)
{
	uint32_t i;

	for (i = 0; i < kw->kw_nfound; i++) {
		kmem_errinfo_t *ei = &kw->kw_found[i];

		/* (a big buffer's header is its bufctl: it is not a chunk) */
		if (ei->ei_error == KMERR_MODIFIED && ei->ei_bufctl == NULL)
			kmem_debug_repattern(ei->ei_cache, ei->ei_base);
	}
}

/* After findings: the panic and the dump, as any report, unless noabort. */
static void
kv_panic(kv_walk_t *kw)
{
	if (st_opts.so_noabort || kw->kw_nbad == 0)
		return;
	kmem_panic_buf = kw->kw_found[0].ei_base;
	st_panic_dump("heap corruption detected", NULL, 0, 0);
	st_os_abort();
}

static const char *const kv_found_text[] = {
	[KV_CALL] = "by kmem_verify()",
	[KV_EXIT] = "by the exit verify (the whole heap, at exit)",
	[KV_DUMP] = "by the heap verify before the dump",
	[KV_EXEC] = "by the exit verify (the whole heap, before exec)",
	[KV_SIGNAL] = ("by the exit verify (the whole heap, at a signal "
	    "that ends the process)"),
};

/*
 * The whole heap: every chunk of every debugged cache.  The number of
 * problems found (reported; unless noabort, the first ends in a panic,
 * but before a dump, which is one already).
 */
uint32_t
kmem_verify_heap(int how)
{
	int careful = how == KV_DUMP || how == KV_SIGNAL;
	uint64_t n;

	if (!kmem_ready || !(kmem_flags & (KMF_BUFTAG | KMF_LITE)) ||
	    kmem_torn || __atomic_load_n(&kmem_stopper, __ATOMIC_RELAXED) ==
	    st_os_thread_id())
		return (0);             /* a report of ours is panicking */
	if (!kmem_world_stop(how == KV_DUMP ? kmem_stop_wait_dump_ns :
	    kmem_stop_wait_exit_ns, careful))
		return (0);
	kv_walk_reset(&kv_walk, 0);
	kv_walk_caches(&kv_walk, 1, careful);
	(void) st_firewall_visit(1, careful, kv_found, &kv_walk);
	n = kv_report(&kv_walk, kv_found_text[how]);
	if (how == KV_DUMP)
		return ((uint32_t)n);   /* stays stopped: the dump follows */
	kv_panic(&kv_walk);
	kv_repattern(&kv_walk);
	kmem_world_resume();
	return ((uint32_t)ST_MIN(n, UINT32_MAX));
}

/* ------------------------------------------------------------------------
 * The sweep (section 1).
 */

static void
kmem_sweep(void)
{
	uint64_t frees, now = st_os_now_ns();
	char found[96];

	if (kmem_torn)
		return;
	(void) kmem_thread_busy_any(&frees, 0);
	if (frees == kmem_sweep_frees && now - kmem_sweep_last <
	    KV_IDLE_SWEEPS * st_opts.so_sweep_ms * 1000000ULL)
		return;                 /* nothing freed: look less often */
	if (!kmem_world_stop(kmem_stop_wait_ns, 0))
		return;
	kv_walk_reset(&kv_walk, 1);
	(void) kmem_thread_visit_free(kv_visit, &kv_walk, 0);
	kv_walk_caches(&kv_walk, 0, 0);
	(void) st_firewall_visit(0, 0, kv_found, &kv_walk);
	st_snprintf(found, sizeof (found), "by the sweep (freed buffers are "
	    "verified every %lu ms)", (unsigned long)st_opts.so_sweep_ms);
	(void) kv_report(&kv_walk, found);
	kv_panic(&kv_walk);
	kv_repattern(&kv_walk);
	kmem_sweep_last = st_os_now_ns();
	kmem_sweep_frees = frees;
	kmem_world_resume();
}

static void *
kmem_sweeper_main(void *arg)
{
	(void) arg;
	while (!kmem_exiting) {
		st_os_sleep_ns(st_opts.so_sweep_ms * 1000000ULL);
		if (!kmem_exiting)
			kmem_sweep();
	}
	return (NULL);
}

/*
 * May a free() called from pc start a thread?  Not one from the C library
 * or the dynamic linker: glibc frees a dead thread's TLS with its
 * stack-cache lock held, which pthread_create takes.
 */
static int
kv_caller_may_start(uintptr_t pc)
{
	static const char *const system[] = { "libc.so", "libc-", "ld-linux",
	    "ld-", "libpthread" };
	const char *name, *module, *base, *s;
	uintptr_t off;
	size_t i;

	if (pc == 0 || !st_symbol_lookup(pc, &name, &off, &module) ||
	    module == NULL)
		return (0);
	for (base = s = module; *s != '\0'; s++)
		if (*s == '/')
			base = s + 1;
	for (i = 0; i < sizeof (system) / sizeof (system[0]); i++)
		if (strncmp(base, system[i], strlen(system[i])) == 0)
			return (0);
	return (1);
}

/*
 * A debugged free, after its operation.  Until the sweeper runs, is a
 * sweep due (the process has lived a period)?  The first one due starts
 * the sweeper thread: not sooner, so that a short-lived process, and the
 * start of every process (where sandboxes unshare, which a second thread
 * forbids), keep a single thread.  A process that has threads already
 * (kmem_threads_made) starts it at once: a thread that frees, writes
 * after its free and then waits for good would otherwise leave nothing
 * to start it.  A free() from the C library leaves it
 * to the next debugged allocation (kmem_sweeper_start).  A thread looks
 * at the clock at every free (a clock read is 2% of a free under 0xf),
 * but in lite mode only at its first KMEM_SWEEP_EAGER and every
 * KV_TICK_EARLY after (a clock read on every free doubled the cost of
 * lite's): a program that freed once and then every 50 ms never started
 * it when the look came every 64 frees.  If no thread can be made, the
 * freeing threads sweep themselves, looking at the clock every
 * KV_TICK_FREES.
 */
void
kmem_sweep_tick_slow(kmem_thread_t *kt, uintptr_t caller)
{
	uint64_t now;
	int state = __atomic_load_n(&kmem_sweeper, __ATOMIC_RELAXED);

	if (state > 0 || st_opts.so_sweep_ms == 0 || kmem_exiting ||
	    kmem_sweeper_wanted || (state < 0 && kt->kt_frees % KV_TICK_FREES
	    != 1))
		return;
	now = st_os_now_ns();
	if (now - __atomic_load_n(&kmem_sweep_last, __ATOMIC_RELAXED) <
	    st_opts.so_sweep_ms * 1000000ULL && (state != 0 ||
	    __atomic_load_n(&kmem_threads_made, __ATOMIC_RELAXED) <= 1))
		return;
	if (state != 0)
		kmem_sweep();
	else if (kv_caller_may_start(caller))
		kmem_sweeper_start();
	else
		__atomic_store_n(&kmem_sweeper_wanted, 1, __ATOMIC_RELAXED);
}

/* A debugged allocation saw kmem_sweeper_wanted: start the thread. */
void
kmem_sweeper_start(void)
{
	int none = 0;

	__atomic_store_n(&kmem_sweeper_wanted, 0, __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&kmem_sweeper, &none, 1, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	if (st_os_thread_start(kmem_sweeper_main, NULL,
	    ST_SWEEP_NAME) != 0)
		__atomic_store_n(&kmem_sweeper, -1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------
 * A thread's exit, the process's exit, fork.
 */

/*
 * The exiting thread's quarantine and magazines, by the thread itself,
 * inside an operation (a verifier may be waiting for it while it holds
 * kmem_verify_lock): so with a walk of its own, on its own stack.
 */
void
kmem_verify_thread_exit(kmem_thread_t *kt)
{
	kv_walk_t kw;

	kv_walk_reset(&kw, 1);
	kmem_thread_visit_self(kt, kv_visit, &kw);
	(void) kv_report(&kw, "when the freeing thread exited");
	kv_panic(&kw);
	kv_repattern(&kw);
}

static void
kmem_verify_at_exit(void *arg)
{
	(void) arg;
	int64_t leaks = 0;

	kmem_exiting = 1;
	/*
	 * The leaks first (leakcheck.c): this thread's stack is one of their
	 * roots, and the verify's walk would leave heap addresses in it.
	 */
	if (st_opts.so_leakcheck)
		leaks = st_leak_at_exit();
	if (st_opts.so_verify_exit)
		(void) kmem_verify_heap(KV_EXIT);
	/* What noabort let go on: the count, as the last line. */
	(void) st_report_summary();
	st_leak_exit(leaks);            /* the status, if leaks were found */
}

/*
 * The ends that skip the atexit handlers, and so the exit verify: a
 * program that ends with one of them right after a bug would take the bug
 * with it.  Each verifies the heap first (and ends in the report and the
 * dump, as at exit), but not the leak check: a fork child that ends with
 * _exit holds its parent's heap, whose blocks its parent still owns.
 *   - _exit() and _Exit(), a fork child's usual end, a test harness's
 *     quick one (glibc's exit() calls its own _exit, not this one);
 *   - quick_exit(): a handler registered with at_quick_exit at start-up,
 *     so it runs after the program's own;
 *   - the exec family, which replace the process (not in a fork child,
 *     whose heap its parent will verify: fork then exec is how programs
 *     start others);
 *   - SIGTERM, SIGINT and SIGHUP where their action is the default (a
 *     harness's timeout, ^C on a hung program): the handler verifies,
 *     carefully (the signal may have interrupted anything), then dies by
 *     the same signal, so the exit status is unchanged.  A program that
 *     installs its own handler replaces ours.
 * Never where it cannot be safe: in a vfork child (or any child fork's
 * handlers did not see: the pid is not ours), which shares its parent's
 * memory and threads; from a signal handler that interrupted an
 * operation of this thread (its state is half made); from a report of
 * ours.  The interposers are weak, so that a fully static program links
 * with libc.a's own.
 */
static int kmem_forked;                 /* a fork child */

static void
kmem_verify_quick_exit(int how)
{
	kmem_thread_t *kt = kmem_thread_self;

	if (!kmem_ready || !st_opts.so_verify_exit || kmem_exiting ||
	    !(kmem_flags & (KMF_BUFTAG | KMF_LITE)) ||
	    st_os_pid() != kmem_verify_pid)
		return;
	if (kt == &kmem_thread_dead ? kmem_dead_depth != 0 :
	    kt != NULL && kt->kt_busy != 0)
		return;
	if (how != KV_EXEC)     /* which may fail: the program goes on */
		kmem_exiting = 1;
	(void) kmem_verify_heap(how);
}

ST_EXPORT __attribute__((weak, noreturn)) void
_exit(int status)
{
	kmem_verify_quick_exit(KV_EXIT);
	st_os_exit(status);
}

ST_EXPORT __attribute__((weak, noreturn)) void
_Exit(int status)
{
	kmem_verify_quick_exit(KV_EXIT);
	st_os_exit(status);
}

static void
kmem_verify_at_quick_exit(void)
{
	kmem_verify_quick_exit(KV_EXIT);
}

/* Before an exec (not in a fork child). */
static void
kmem_verify_exec(void)
{
	if (!kmem_forked)
		kmem_verify_quick_exit(KV_EXEC);
}

ST_EXPORT __attribute__((weak)) int
execve(const char *path, char *const argv[], char *const envp[])
{
	kmem_verify_exec();
	return (st_os_execve(path, argv, envp));
}

ST_EXPORT __attribute__((weak)) int
execv(const char *path, char *const argv[])
{
	kmem_verify_exec();
	return (st_os_execve(path, argv, environ));
}

ST_EXPORT __attribute__((weak)) int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	int (*next)(const char *, char *const [], char *const []);

	kmem_verify_exec();
	/* The C library's own: it searches PATH. */
	*(void **)&next = dlsym(RTLD_NEXT, "execvpe");
	if (next == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (next(file, argv, envp));
}

ST_EXPORT __attribute__((weak)) int
execvp(const char *file, char *const argv[])
{
	return (execvpe(file, argv, environ));
}

/*
 * The list forms: argv built on the stack (exec after vfork may not
 * allocate), then the vector forms.  `env` is execle's.
 */
#define KMEM_EXEC_ARGV(arg, ap, argv, env)                              \
	size_t n_ = 1;                                                  \
	va_list c_;                                                     \
	va_copy(c_, ap);                                                \
	while (va_arg(c_, char *) != NULL)                              \
		n_++;                                                   \
	va_end(c_);                                                     \
	char *argv[n_ + 1];                                             \
	argv[0] = (char *)(arg);                                        \
	for (size_t i_ = 1; i_ <= n_; i_++)                             \
		argv[i_] = va_arg(ap, char *);                          \
	if (env != NULL)                                                \
		*(env) = va_arg(ap, char **)

ST_EXPORT __attribute__((weak)) int
execl(const char *path, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	KMEM_EXEC_ARGV(arg, ap, argv, (char ***)NULL);
	va_end(ap);
	return (execv(path, argv));
}

ST_EXPORT __attribute__((weak)) int
execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	KMEM_EXEC_ARGV(arg, ap, argv, (char ***)NULL);
	va_end(ap);
	return (execvp(file, argv));
}

ST_EXPORT __attribute__((weak)) int
execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp = NULL;

	va_start(ap, arg);
	KMEM_EXEC_ARGV(arg, ap, argv, &envp);
	va_end(ap);
	return (execve(path, argv, envp));
}

static const int kmem_term_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void
kmem_verify_on_signal(int sig, void *si, void *uc)
{
	(void) si;
	(void) uc;
	kmem_verify_quick_exit(KV_SIGNAL);
	st_os_die_by_signal(sig);
}

/*
 * From the library's constructor, which runs before the program's
 * __libc_start_main registers the dynamic linker's exit handler: ours,
 * registered with no DSO (so that it is not run when our own destructors
 * are), therefore runs after every atexit handler, static destructor and
 * ELF destructor.
 */
/*
 * From kmem_init_slow, while the process has one thread: may operations
 * leave their fence to the verifier's membarrier?
 */
void
kmem_verify_early_init(void)
{
	kmem_op_fence = st_os_membarrier_register() != 0;
}

void
kmem_verify_init(void)
{
	extern int __cxa_atexit(void (*)(void *), void *, void *);
	size_t i;

	kmem_verify_pid = st_os_pid();
	kmem_sweep_last = st_os_now_ns();
	if ((kmem_flags & (KMF_BUFTAG | KMF_LITE)) || st_opts.so_leakcheck)
		(void) __cxa_atexit(kmem_verify_at_exit, NULL, NULL);
	if ((kmem_flags & (KMF_BUFTAG | KMF_LITE)) && st_opts.so_verify_exit) {
		(void) at_quick_exit(kmem_verify_at_quick_exit);
		for (i = 0; st_opts.so_catch_signals && i <
		    sizeof (kmem_term_signals) / sizeof (kmem_term_signals[0]);
		    i++)
			if (st_os_signal_default(kmem_term_signals[i]))
				(void) st_os_catch_signal(kmem_term_signals[i],
				    kmem_verify_on_signal);
	}
	st_leak_init();         /* leaksignal= (leakcheck.c) */
}

/*
 * fork.  A child inherits the heap as the other threads left it, and one
 * half way through an operation (a free patterning its buffer) leaves it
 * torn: the child's verify would call that buffer modified after free (a
 * fork child that ends with _exit verified, 1 in 30 under
 * tests/stress/fork_alloc).  So fork stops the world first, as a verify
 * does (kmem.c's prepare handler, before any other lock); if a thread
 * stays inside the allocator past kmem_stop_wait_fork_ns, fork goes on
 * and the child, whose heap may be torn, verifies nothing (kmem_torn).
 */

void
kmem_verify_fork_prepare(void)
{
	kmem_fork_stopped = 0;
	if (kmem_ready && (kmem_flags & (KMF_BUFTAG | KMF_LITE)) &&
	    __atomic_load_n(&kmem_stopper, __ATOMIC_RELAXED) !=
	    st_os_thread_id())
		kmem_fork_stopped = kmem_world_stop(kmem_stop_wait_fork_ns, 0);
}

void
kmem_verify_fork_parent(void)
{
	if (kmem_fork_stopped)
		kmem_world_resume();
	kmem_fork_stopped = 0;
}

void
kmem_verify_fork_child(void)
{
	kmem_torn = kmem_ready && (kmem_flags & (KMF_BUFTAG | KMF_LITE)) &&
	    !kmem_fork_stopped;
	kmem_fork_stopped = 0;
	st_lock_init(&kmem_verify_lock);
	kmem_stopper = 0;
	kmem_stopped = 0;
	kmem_sweeper = 0;               /* the thread did not come along */
	kmem_sweeper_wanted = 0;
	/* Only this thread came: its own count is its depth. */
	kmem_thread_dead.kt_busy = kmem_dead_depth;
	/* A new address space: register it (one thread: no race). */
	if (!kmem_op_fence)
		kmem_op_fence = st_os_membarrier_register() != 0;
	kmem_sweep_last = st_os_now_ns();
	kmem_verify_pid = st_os_pid();
	kmem_forked = 1;
	st_leak_fork_child();   /* leaksignal='s thread (leakcheck.c) */
}

/* ------------------------------------------------------------------------
 * The interface: kmem_verify(), umem_verify().
 */

ST_EXPORT int
kmem_verify(void)
{
	uint32_t n;

	if (!kmem_ready)
		kmem_init_slow();
	n = kmem_verify_heap(KV_CALL);
	return (n > INT32_MAX ? INT32_MAX : (int)n);
}

ST_EXPORT int
umem_verify(void)
{
	return (kmem_verify());
}
