/*
 * platform_linux.c: the platform contract (platform.h) for Linux and glibc.
 *
 * Every function here is safe to call from inside the allocator: none of
 * them allocates with malloc.  Mappings are anonymous and private; aligned
 * mappings are made by over-mapping and trimming both ends.  The clock,
 * st_os_now_ns(), reads the TSC where it can: see "The clock" below.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

void
st_lock_init(st_lock_t *lk)
{
	(void) pthread_mutex_init(&lk->lk_mutex, NULL);
}

void
st_lock(st_lock_t *lk)
{
	(void) pthread_mutex_lock(&lk->lk_mutex);
}

int
st_trylock(st_lock_t *lk)
{
	return (pthread_mutex_trylock(&lk->lk_mutex) == 0);
}

void
st_unlock(st_lock_t *lk)
{
	(void) pthread_mutex_unlock(&lk->lk_mutex);
}

size_t
st_os_pagesize(void)
{
	return ((size_t)sysconf(_SC_PAGESIZE));
}

/*
 * The record of our mappings, so that a dump can keep the allocator's
 * memory alone (dump.c, section 4).  Ranges are merged with neighbours
 * as they come; an unmap trims or splits them.  With more live ranges
 * than ST_OS_NRANGES the record gives up (st_os_ranges_lost) and callers
 * are told it cannot say.  Writers take st_os_ranges_lock, a spin lock
 * holding the owner's thread id (nothing here can wait on the allocator);
 * a signal handler that maps while its thread holds it does not wait for
 * itself: it gives the record up instead.  The dumper reads without it.
 */
#define ST_OS_NRANGES   4096
static struct st_os_range {
	uintptr_t r_lo, r_hi;           /* [lo, hi); lo == hi: free slot */
} st_os_ranges[ST_OS_NRANGES];
static uint32_t st_os_nranges;          /* slots ever used */
static int st_os_ranges_lost;
static uint64_t st_os_ranges_lock;      /* owner's thread id, 0 if free */

static inline void
st_os_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* 1: taken; 0: this thread holds it already (a signal handler). */
static int
st_os_ranges_enter(void)
{
	uint64_t me = st_os_thread_id(), none = 0;

	while (!__atomic_compare_exchange_n(&st_os_ranges_lock, &none, me, 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		if (none == me) {
			__atomic_store_n(&st_os_ranges_lost, 1,
			    __ATOMIC_RELAXED);
			return (0);
		}
		st_os_relax();
		none = 0;
	}
	return (1);
}

static void
st_os_ranges_exit(void)
{
	__atomic_store_n(&st_os_ranges_lock, 0, __ATOMIC_RELEASE);
}

static void
st_os_ranges_prefork(void)
{
	(void) st_os_ranges_enter();
}

/* A free slot, or NULL (and the record is lost). */
static struct st_os_range *
st_os_range_slot(void)
{
	uint32_t i;

	for (i = 0; i < st_os_nranges; i++)
		if (st_os_ranges[i].r_lo == st_os_ranges[i].r_hi)
			return (&st_os_ranges[i]);
	if (st_os_nranges < ST_OS_NRANGES)
		return (&st_os_ranges[st_os_nranges++]);
	st_os_ranges_lost = 1;
	return (NULL);
}

static void
st_os_range_add(void *addr, size_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	struct st_os_range *r = NULL;
	uint32_t i;

	if (!st_os_ranges_enter())
		return;
	for (i = 0; i < st_os_nranges && r == NULL; i++) {
		if (st_os_ranges[i].r_lo == st_os_ranges[i].r_hi)
			continue;
		if (st_os_ranges[i].r_hi == lo)
			(r = &st_os_ranges[i])->r_hi = hi;
		else if (st_os_ranges[i].r_lo == hi)
			(r = &st_os_ranges[i])->r_lo = lo;
	}
	if (r == NULL && (r = st_os_range_slot()) != NULL) {
		r->r_hi = hi;
		__atomic_store_n(&r->r_lo, lo, __ATOMIC_RELEASE);
	}
	st_os_ranges_exit();
}

static void
st_os_range_remove(void *addr, size_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	struct st_os_range *r, *n;
	uint32_t i;

	if (!st_os_ranges_enter())
		return;
	for (i = 0; i < st_os_nranges; i++) {
		r = &st_os_ranges[i];
		if (r->r_lo >= hi || r->r_hi <= lo || r->r_lo == r->r_hi)
			continue;
		if (r->r_lo < lo && r->r_hi > hi) {
			/* A hole in the middle: keep the top in a new slot. */
			if ((n = st_os_range_slot()) != NULL) {
				n->r_hi = r->r_hi;
				n->r_lo = hi;
			}
			r->r_hi = lo;
		} else if (r->r_lo < lo) {
			r->r_hi = lo;
		} else if (r->r_hi > hi) {
			r->r_lo = hi;
		} else {
			r->r_lo = r->r_hi = 0;
		}
	}
	st_os_ranges_exit();
}

int
st_os_mapped_by_us(uintptr_t start, uintptr_t end)
{
	uint32_t i, n = __atomic_load_n(&st_os_nranges, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&st_os_ranges_lost, __ATOMIC_RELAXED))
		return (-1);
	for (i = 0; i < n; i++)
		if (st_os_ranges[i].r_lo < end && st_os_ranges[i].r_hi > start &&
		    st_os_ranges[i].r_lo != st_os_ranges[i].r_hi)
			return (1);
	return (0);
}

/*
 * An anonymous private mapping of size bytes aligned to align, made by
 * over-mapping and trimming both ends, and entered in the record.
 */
static void *
st_os_mmap_aligned(size_t size, size_t align, int prot)
{
	size_t pagesize = st_os_pagesize();
	size_t len = size + (align > pagesize ? align - pagesize : 0);
	char *p, *aligned;

	if (len < size)
		return (NULL);
	p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	    -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
	if (align <= pagesize) {
		st_os_range_add(p, len);
		return (p);
	}
	aligned = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (aligned != p)
		(void) munmap(p, (size_t)(aligned - p));
	if (aligned + size != p + len)
		(void) munmap(aligned + size, (size_t)(p + len - aligned - size));
	st_os_range_add(aligned, size);
	return (aligned);
}

void *
st_os_map(size_t size, size_t align)
{
	return (st_os_mmap_aligned(size, align, PROT_READ | PROT_WRITE));
}

void
st_os_unmap(void *addr, size_t size)
{
	st_os_range_remove(addr, size);
	(void) munmap(addr, size);
}

void *
st_os_map_scratch(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return (p == MAP_FAILED ? NULL : p);
}

void
st_os_unmap_scratch(void *addr, size_t size)
{
	(void) munmap(addr, size);
}

uint64_t
st_os_memory_total(void)
{
	struct sysinfo si;

	if (sysinfo(&si) != 0)
		return (UINT64_MAX);
	return (((uint64_t)si.totalram + si.totalswap) * si.mem_unit);
}

long
st_os_read_self(void *dst, uintptr_t src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };

	return ((long)syscall(SYS_process_vm_readv, (long)getpid(), &local,
	    1UL, &remote, 1UL, 0UL));
}

int
st_os_decommit(void *addr, size_t size)
{
	return (madvise(addr, size, MADV_DONTNEED) == 0 ? 0 : -1);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23          /* Linux 5.14 */
#endif

/*
 * One system call instead of a page fault per page: where page table
 * changes are costly (a paravirtual MMU: 16 us a fault), 15-30% of a
 * firewall buffer's cost.  An older kernel's EINVAL leaves the faults.
 */
void
st_os_populate(void *addr, size_t size)
{
	(void) madvise(addr, size, MADV_POPULATE_WRITE);
}

void *
st_os_remap(void *addr, size_t oldsize, size_t newsize)
{
	void *p = mremap(addr, oldsize, newsize, MREMAP_MAYMOVE);

	if (p == MAP_FAILED)
		return (NULL);
	st_os_range_remove(addr, oldsize);
	st_os_range_add(p, newsize);
	return (p);
}

/* ------------------------------------------------------------------------
 * The clock: st_os_now_ns(), and st_os_stamp_ns() for the audit.
 *
 * 1. Why.  With auditing on, every allocation and every free stamps a time,
 *    and clock_gettime(CLOCK_MONOTONIC) costs ~28 ns even through the vDSO
 *    (it reads the TSC with a fence, then scales it).  Where the TSC can be
 *    trusted we read it ourselves (rdtsc, ~11 ns) and scale it with a line
 *    fitted to CLOCK_MONOTONIC; elsewhere we call clock_gettime.  The result
 *    is CLOCK_MONOTONIC nanoseconds either way: the dump's debugger turns
 *    stamps into wall time with a (monotonic, realtime) pair taken at start.
 *
 * 2. When the TSC is used: x86-64 only, and only if
 *      - the kernel's clocksource (/sys/.../current_clocksource) is "tsc"
 *        and the CPU says the TSC is invariant (CPUID 0x80000007 EDX bit 8)
 *        or we run under a hypervisor (CPUID 1 ECX bit 31), which often
 *        hides that bit while the host keeps the TSC invariant; or
 *      - it is a hypervisor's clock computed from the TSC (kvm-clock,
 *        Hyper-V's TSC page), the TSC is invariant, and clock_gettime is
 *        answered in the vDSO (a call under CLK_VDSO_NS; a system call
 *        costs 1.8 us on one such guest).  The vDSO reads these clocks only
 *        when the host vouches that the TSC is in step across vCPUs
 *        (PVCLOCK_TSC_STABLE_BIT), and then CLOCK_MONOTONIC is the TSC
 *        scaled by the host's parameters: our line and the kernel's share
 *        one counter, as with "tsc".  (Such guests often boot with
 *        tsc=unstable, which only keeps the kernel on kvm-clock.)  On
 *        one, test_clock measured st_os_now_ns at 27 ns a call against
 *        clock_gettime's 33; if the host later withdraws the bit (a
 *        migration), the rate check of section 4 is what notices; or
 *      - that file cannot be read, on bare metal with the invariant bit.
 *    Any other clocksource, or a hypervisor clock the vDSO does not
 *    serve, means the kernel has rejected the TSC (not in step across
 *    CPUs, stopped by its watchdog), and so do we.  When the clocksource
 *    is "tsc", CLOCK_MONOTONIC is itself the TSC scaled, so our line and
 *    the kernel's share one counter.
 *
 * 3. The line.  now = ck_ns0 + ((tsc - ck_tsc0) * ck_mult >> CLK_SHIFT),
 *    used only while tsc - ck_tsc0 < ck_limit (CLK_INTERVAL_NS worth of
 *    ticks, 100 ms).  The first call that finds the line used up re-anchors
 *    it: it reads a (tsc, CLOCK_MONOTONIC) pair, measures the rate since the
 *    previous pair, and starts a new line from (tsc, max(real, top)), where
 *    top is the old line's value at its limit: no caller can have been given
 *    more than top, so time never steps back at a re-anchor.  When the old
 *    line ran ahead of the real clock, the new slope is the measured rate
 *    slowed just enough to meet the real clock at the new limit (the
 *    kernel's own NTP steering, in small); when it ran behind, the new line
 *    starts on the real clock (a step forward).
 *
 * 4. States (ck_mode): CLK_UNKNOWN until the first call; then CLK_SYSCALL
 *    for good if the TSC is not usable (no line, ck_limit 0: a call then
 *    reads no TSC, whose fence would cost as much again as clock_gettime
 *    under a hypervisor's kvm-clock); else CLK_CALIBRATING, in which
 *    calls return clock_gettime until CLK_CAL_NS have passed since the
 *    first pair, and then CLK_TSC.  A measured rate that is not within 1/64
 *    of the previous one (suspend, a TSC that jumped, a new host after
 *    migration) sends the clock back to CLK_CALIBRATING.
 *
 * 5. Guarantees, when the TSC is used:
 *    - Accuracy: the error is the noise of one pair (under 100 ns: the
 *      narrowest of CLK_PAIR_TRIES rdtsc/clock_gettime/rdtsc windows) plus
 *      the interval times how much CLOCK_MONOTONIC's own rate changed
 *      since the last interval (NTP): 1 ppm gives 100 ns, the 500 ppm
 *      limit of adjtimex frequency corrections 50 us.  test_clock sees
 *      under 100 ns against clock_gettime.  A line that ran ahead is
 *      steered back over the next interval rather than stepped.  A caller
 *      that comes long after the limit gets a fresh line: idle time never
 *      adds error.
 *    - One thread never sees time go backwards: each thread returns the
 *      larger of the line (or clock_gettime) and the last value it
 *      returned (clk_last, in TLS).  Where the TSC is not used, the result
 *      is clock_gettime's, exactly.
 *    - Between threads, a stamp taken after another thread's stamp (the
 *      two ordered by a lock or an atomic) may be smaller by twice the
 *      error above, plus the TSC skew between CPUs that the kernel
 *      tolerated.  rdtsc alone may read the counter before an earlier
 *      load that missed the cache has completed, such as the one that
 *      took the lock, and so stamp a free before the allocation it
 *      followed (test_clock provoked that, by up to 2 us, in up to 8% of
 *      handoffs); so st_os_now_ns fences the read (lfence; rdtsc, as the
 *      vDSO and illumos' tsc_read do), at 18-22 ns a call in a loop
 *      instead of 11.  In the allocator the fence costs far more: it
 *      waits for every store and load in flight (the audit's log copies,
 *      the patterns), and took 24% of a malloc/free loop under
 *      KMEM_FLAGS=0xf.  So the audit's stamps come from st_os_stamp_ns,
 *      unfenced, which orders what the log must show in order another
 *      way: its caller passes the stamp of the event the new one follows
 *      (the buffer's previous transaction, read from its bufctl), and the
 *      stamp is made larger than that, by 1 ns if it has to be.  A
 *      buffer's history is then in order whatever threads and CPUs it
 *      crossed; stamps of unrelated events in two threads may be out of
 *      order by the out-of-order window (a few us at most).
 *
 * 6. Concurrency.  The line is published under a seqlock, ck_word: even
 *    when stable; odd while one writer updates it, with the writer's pid in
 *    the high 32 bits.  Readers copy the fields and check the word did not
 *    change; a reader that finds the word odd or changed, or a writer that
 *    loses the race, calls clock_gettime instead: nothing ever waits, so
 *    the clock is async-signal-safe (a signal handler that interrupts the
 *    writer on its own thread just takes clock_gettime).  The writer's
 *    work is a few system calls (the first time, reading the clocksource
 *    with the raw open/read helpers: no stdio, no malloc) and otherwise a
 *    few clock_gettime calls.
 *
 * 7. fork and early use.  The state starts zeroed (CLK_UNKNOWN, limit 0),
 *    which sends the first caller down the slow path: nothing needs
 *    initializing before main, and the first call may come from malloc
 *    while the program is being loaded.  A child forked while another
 *    thread held the word odd would find it odd forever; a caller that
 *    finds the word odd with a pid other than its own takes the word over
 *    and starts again from CLK_UNKNOWN.
 */

#define CLK_NS_PER_SEC          1000000000ULL

#if defined(__x86_64__)

#include <cpuid.h>

#define CLK_SHIFT               32      /* ck_mult: ns per tick << 32 */
#define CLK_CAL_NS              10000000ULL    /* first calibration: 10 ms */
#define CLK_INTERVAL_NS         100000000ULL   /* re-anchor every 100 ms */
#define CLK_PAIR_TRIES          4       /* keep the narrowest of these */
#define CLK_RATE_SLACK          6       /* rate may change by 1/64 */
#define CLK_VDSO_NS             200     /* a clock_gettime in user space */

enum {
	CLK_UNKNOWN = 0,        /* no call yet */
	CLK_SYSCALL,            /* the TSC is not usable: clock_gettime */
	CLK_CALIBRATING,        /* clock_gettime, measuring the TSC's rate */
	CLK_TSC                 /* the line */
};

typedef struct st_clock {
	uint64_t ck_word;       /* seqlock: even; odd | writer pid << 32 */
	uint64_t ck_tsc0;       /* the line's anchor: a TSC value ... */
	uint64_t ck_ns0;        /* ... and the time it stands for */
	uint64_t ck_mult;       /* the line's slope: ns per tick << CLK_SHIFT */
	uint64_t ck_limit;      /* ticks past ck_tsc0 it may be used; 0: none */
	uint64_t ck_mode;       /* CLK_* */
	uint64_t ck_rtsc;       /* the last pair measured: TSC ... */
	uint64_t ck_rns;        /* ... and CLOCK_MONOTONIC */
	uint64_t ck_rate;       /* the rate measured up to that pair */
} st_clock_t;

static st_clock_t st_clock __attribute__((aligned(64)));
static __thread uint64_t clk_last __attribute__((tls_model("initial-exec")));

#define CLK_LOAD(f)     __atomic_load_n(&st_clock.f, __ATOMIC_RELAXED)
#define CLK_STORE(f, v) __atomic_store_n(&st_clock.f, (v), __ATOMIC_RELAXED)

#endif /* __x86_64__ */

static uint64_t
clk_syscall_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * CLK_NS_PER_SEC + (uint64_t)ts.tv_nsec);
}

#if defined(__x86_64__)

static inline uint64_t
clk_rdtsc(void)
{
	uint32_t lo, hi;

	/* lfence: not before the loads that came first (section 5). */
	__asm__ __volatile__("lfence; rdtsc" : "=a" (lo), "=d" (hi) ::
	    "memory");
	return ((uint64_t)hi << 32 | lo);
}

/* The fast path's read: no fence (section 5). */
static inline uint64_t
clk_rdtsc_nofence(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a" (lo), "=d" (hi));
	return ((uint64_t)hi << 32 | lo);
}

static inline uint64_t
clk_scale(uint64_t ticks, uint64_t mult)
{
	return ((uint64_t)(((unsigned __int128)ticks * mult) >> CLK_SHIFT));
}

/* ns per tick << CLK_SHIFT from one pair to another; 0 if not forward. */
static uint64_t
clk_rate(uint64_t tsc0, uint64_t ns0, uint64_t tsc1, uint64_t ns1)
{
	if ((int64_t)(tsc1 - tsc0) <= 0 || (int64_t)(ns1 - ns0) <= 0)
		return (0);
	return ((uint64_t)(((unsigned __int128)(ns1 - ns0) << CLK_SHIFT) /
	    (tsc1 - tsc0)));
}

/*
 * CLOCK_MONOTONIC and the TSC at (about) the same instant: the middle of
 * the narrowest rdtsc / clock_gettime / rdtsc window of a few, so that an
 * interrupt or a preemption in one of them does not count.
 */
static uint64_t
clk_pair(uint64_t *tscp)
{
	uint64_t best = UINT64_MAX, ns = 0, t0, t1, n;
	int i;

	*tscp = 0;
	for (i = 0; i < CLK_PAIR_TRIES; i++) {
		t0 = clk_rdtsc();
		n = clk_syscall_ns();
		t1 = clk_rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tscp = t0 + best / 2;
			ns = n;
		}
	}
	return (ns);
}

/*
 * 1 if the kernel's clocksource is the TSC, 2 if it is a hypervisor's clock
 * computed from the TSC (kvm-clock, Hyper-V's TSC page), 0 if another, -1
 * if unknown.
 */
static int
clk_source_is_tsc(void)
{
	char buf[32];
	long n;
	int fd;

	fd = st_os_open_read(
	    "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	if (fd < 0)
		return (-1);
	n = st_os_read(fd, buf, sizeof (buf));
	st_os_close(fd);
	if (n <= 0)
		return (-1);
	if ((n == 10 && memcmp(buf, "kvm-clock\n", 10) == 0) ||
	    (n == 28 && memcmp(buf, "hyperv_clocksource_tsc_page\n", 28) == 0))
		return (2);
	return (n >= 3 && memcmp(buf, "tsc", 3) == 0 &&
	    (n == 3 || buf[3] == '\n'));
}

/*
 * Is clock_gettime answered in user space (the vDSO), not by a system
 * call?  The cheapest of a few back-to-back calls, against CLK_VDSO_NS.
 */
static int
clk_vdso_fast(void)
{
	uint64_t a, b, best = UINT64_MAX;
	int i;

	a = clk_syscall_ns();
	for (i = 0; i < 8; i++) {
		b = clk_syscall_ns();
		if (b - a < best)
			best = b - a;
		a = b;
	}
	return (best < CLK_VDSO_NS);
}

/* Section 2: may we read the TSC ourselves? */
static int
clk_tsc_usable(void)
{
	unsigned a, b, c, d;
	int invariant = 0, hypervisor = 0, source, saved = errno;

	if (__get_cpuid(1, &a, &b, &c, &d))
		hypervisor = (c >> 31) & 1;
	if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000007 &&
	    __get_cpuid(0x80000007, &a, &b, &c, &d))
		invariant = (d >> 8) & 1;
	source = clk_source_is_tsc();
	if (source == 2)
		source = invariant && clk_vdso_fast() ? 1 : 0;
	errno = saved;
	if (source == 1)
		return (invariant || hypervisor);
	return (source < 0 && invariant && !hypervisor);
}

static uint64_t
clk_pid_word(uint64_t word)
{
	return ((uint64_t)(uint32_t)getpid() << 32 | (uint32_t)word);
}

/* Take the write side from the even word we read; 0 if someone was first. */
static int
clk_lock(uint64_t word)
{
	if (!__atomic_compare_exchange_n(&st_clock.ck_word, &word,
	    clk_pid_word(word + 1), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return (0);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return (1);
}

static void
clk_unlock(void)
{
	uint64_t word = __atomic_load_n(&st_clock.ck_word, __ATOMIC_RELAXED);

	__atomic_store_n(&st_clock.ck_word, (uint64_t)(uint32_t)(word + 1),
	    __ATOMIC_RELEASE);
}

/* Start (or restart) measuring the TSC's rate from the pair (tsc, ns). */
static void
clk_calibrate(uint64_t tsc, uint64_t ns)
{
	CLK_STORE(ck_limit, 0);
	CLK_STORE(ck_rtsc, tsc);
	CLK_STORE(ck_rns, ns);
	CLK_STORE(ck_rate, 0);
	CLK_STORE(ck_mode, CLK_CALIBRATING);
}

/*
 * A new line from the pair (tsc, ns), the rate measured up to it, and top,
 * the most the old line can have given anyone (section 3).  Returns the
 * line's value at its anchor.
 */
static uint64_t
clk_anchor(uint64_t tsc, uint64_t ns, uint64_t rate, uint64_t top)
{
	uint64_t limit = (CLK_INTERVAL_NS << CLK_SHIFT) / rate;
	uint64_t ns0 = top > ns ? top : ns, ahead = ns0 - ns;

	if (limit == 0)
		limit = 1;
	if (ahead > CLK_INTERVAL_NS / 2)
		ahead = CLK_INTERVAL_NS / 2;
	CLK_STORE(ck_tsc0, tsc);
	CLK_STORE(ck_ns0, ns0);
	/* Meet the real clock (ns + interval) at the limit. */
	CLK_STORE(ck_mult, rate - (uint64_t)(((unsigned __int128)ahead <<
	    CLK_SHIFT) / limit));
	CLK_STORE(ck_limit, limit);
	CLK_STORE(ck_rtsc, tsc);
	CLK_STORE(ck_rns, ns);
	CLK_STORE(ck_rate, rate);
	CLK_STORE(ck_mode, CLK_TSC);
	return (ns0);
}

/*
 * The writer: from the state as it was when we took the word (ck is our
 * copy of it), move to the next one.  Returns the time to give the caller.
 */
static uint64_t
clk_update(const st_clock_t *ck)
{
	uint64_t tsc, ns, rate, d, top;

	ns = clk_pair(&tsc);
	switch (ck->ck_mode) {
	case CLK_UNKNOWN:       /* also after a fork took the word over */
		CLK_STORE(ck_limit, 0);
		if (clk_tsc_usable())
			clk_calibrate(tsc, ns);
		else
			CLK_STORE(ck_mode, CLK_SYSCALL);
		return (ns);
	case CLK_CALIBRATING:
		rate = clk_rate(ck->ck_rtsc, ck->ck_rns, tsc, ns);
		if (rate == 0)
			clk_calibrate(tsc, ns);
		else if (ns - ck->ck_rns >= CLK_CAL_NS)
			(void) clk_anchor(tsc, ns, rate, 0);
		return (ns);
	case CLK_TSC:
		d = tsc - ck->ck_tsc0;
		if ((int64_t)d < 0)
			d = 0;
		if (d > ck->ck_limit)
			d = ck->ck_limit;
		top = ck->ck_ns0 + clk_scale(d, ck->ck_mult);
		rate = clk_rate(ck->ck_rtsc, ck->ck_rns, tsc, ns);
		if (rate == 0 || (rate > ck->ck_rate ? rate - ck->ck_rate :
		    ck->ck_rate - rate) > ck->ck_rate >> CLK_RATE_SLACK) {
			clk_calibrate(tsc, ns);
			return (ns);
		}
		return (clk_anchor(tsc, ns, rate, top));
	default:
		return (ns);
	}
}

/*
 * A consistent copy of the state, with the word it was read under; 0 if a
 * writer was at work (the word odd) or came and went while we read.
 */
static int
clk_snapshot(st_clock_t *ck)
{
	ck->ck_word = __atomic_load_n(&st_clock.ck_word, __ATOMIC_ACQUIRE);
	ck->ck_tsc0 = CLK_LOAD(ck_tsc0);
	ck->ck_ns0 = CLK_LOAD(ck_ns0);
	ck->ck_mult = CLK_LOAD(ck_mult);
	ck->ck_limit = CLK_LOAD(ck_limit);
	ck->ck_mode = CLK_LOAD(ck_mode);
	ck->ck_rtsc = CLK_LOAD(ck_rtsc);
	ck->ck_rns = CLK_LOAD(ck_rns);
	ck->ck_rate = CLK_LOAD(ck_rate);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return ((ck->ck_word & 1) == 0 &&
	    __atomic_load_n(&st_clock.ck_word, __ATOMIC_RELAXED) ==
	    ck->ck_word);
}

/*
 * The word is odd.  If the writer's pid is not ours, it was a thread of the
 * parent we were forked from and will never finish: take the word over and
 * start again (section 7).  Otherwise it is at work; do without the line.
 */
static uint64_t
clk_busy(uint64_t word)
{
	st_clock_t ck = { .ck_mode = CLK_UNKNOWN };
	uint64_t ns;

	if ((word & 1) == 0 || word >> 32 == (uint32_t)getpid() ||
	    !__atomic_compare_exchange_n(&st_clock.ck_word, &word,
	    clk_pid_word(word + 2), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return (clk_syscall_ns());
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ns = clk_update(&ck);
	clk_unlock();
	return (ns);
}

/* Anything but a current line (section 4); kept out of the fast path. */
static __attribute__((noinline)) uint64_t
clk_slow(void)
{
	st_clock_t ck;
	uint64_t d, ns;

	if (!clk_snapshot(&ck))
		return (clk_busy(ck.ck_word));
	switch (ck.ck_mode) {
	case CLK_SYSCALL:
		return (clk_syscall_ns());
	case CLK_CALIBRATING:
		ns = clk_syscall_ns();
		if (ns - ck.ck_rns < CLK_CAL_NS)
			return (ns);
		break;
	case CLK_TSC:
		d = clk_rdtsc() - ck.ck_tsc0;
		if (d < ck.ck_limit)    /* another thread just re-anchored */
			return (ck.ck_ns0 + clk_scale(d, ck.ck_mult));
		/*
		 * A TSC a little before the anchor: read early (no fence) or
		 * on a CPU slightly behind the one that anchored.
		 */
		if ((int64_t)d < 0 && -d < ck.ck_limit)
			return (ck.ck_ns0);
		break;
	default:
		break;
	}
	if (!clk_lock(ck.ck_word))
		return (clk_syscall_ns());
	ns = clk_update(&ck);
	clk_unlock();
	return (ns);
}

/* The line's value now, or clk_slow's; fenced or not (section 5). */
static inline uint64_t
clk_now(int fenced)
{
	uint64_t word, tsc0, ns0, mult, limit, d;

	word = __atomic_load_n(&st_clock.ck_word, __ATOMIC_ACQUIRE);
	tsc0 = CLK_LOAD(ck_tsc0);
	ns0 = CLK_LOAD(ck_ns0);
	mult = CLK_LOAD(ck_mult);
	limit = CLK_LOAD(ck_limit);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* No line (clock_gettime's mode): no TSC read, which costs a fence. */
	if (limit != 0 && (word & 1) == 0 &&
	    (d = (fenced ? clk_rdtsc() : clk_rdtsc_nofence()) - tsc0) < limit &&
	    __atomic_load_n(&st_clock.ck_word, __ATOMIC_RELAXED) == word)
		return (ns0 + clk_scale(d, mult));
	return (clk_slow());
}

uint64_t
st_os_now_ns(void)
{
	uint64_t ns = clk_now(1);

	/* Never backwards for one thread (section 5). */
	if (ns < clk_last)
		return (clk_last);
	clk_last = ns;
	return (ns);
}

/*
 * The audit's stamp (section 5): unfenced, and after `after`, the stamp of
 * the event it follows (the buffer's previous transaction).  An `after`
 * further ahead than CLK_AFTER_MAX is not a stamp (a record's memory that
 * held something else: a bufctl's first use on recycled pages) and is not
 * followed, or one such word would carry the thread's clock with it.
 */
#define CLK_AFTER_MAX   10000000ULL     /* 10 ms: far over any CPU skew */

uint64_t
st_os_stamp_ns(uint64_t after)
{
	uint64_t ns = clk_now(0);

	if (ns <= after && after - ns < CLK_AFTER_MAX)
		ns = after + 1;
	if (ns < clk_last)
		return (clk_last);
	clk_last = ns;
	return (ns);
}

#else /* __x86_64__ */

/* As on x86-64 (section 5): never backwards for one thread. */
static __thread uint64_t clk_last __attribute__((tls_model("initial-exec")));

uint64_t
st_os_now_ns(void)
{
	uint64_t ns = clk_syscall_ns();

	if (ns < clk_last)
		return (clk_last);
	clk_last = ns;
	return (ns);
}

uint64_t
st_os_stamp_ns(uint64_t after)
{
	uint64_t ns = clk_syscall_ns();

	if (ns <= after && after - ns < 10000000ULL)
		ns = after + 1;
	if (ns < clk_last)
		return (clk_last);
	clk_last = ns;
	return (ns);
}

#endif /* __x86_64__ */

int
st_os_cpu_wide(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d, lo, hi;

	/* AVX and OSXSAVE, then the OS saves the YMM state, then AVX2. */
	if (!__get_cpuid(1, &a, &b, &c, &d) || (c & (3U << 27)) != (3U << 27))
		return (0);
	__asm__ volatile ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	(void) hi;
	if ((lo & 6) != 6 || __get_cpuid_max(0, NULL) < 7)
		return (0);
	__cpuid_count(7, 0, a, b, c, d);
	return ((b >> 5) & 1);
#else
	return (0);
#endif
}

/* getrandom(2), or, where it cannot answer, the clock and addresses. */
uint64_t
st_os_random(void)
{
	uint64_t v = 0, x;
	long n = syscall(SYS_getrandom, &v, sizeof (v), GRND_NONBLOCK);

	if (n != (long)sizeof (v)) {
		x = st_os_now_ns() ^ (uint64_t)(uintptr_t)&v ^
		    ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)st_os_random;
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdULL;
		x ^= x >> 33;
		x *= 0xc4ceb9fe1a85ec53ULL;
		v = x ^ (x >> 33);
	}
	return (v);
}

uint64_t
st_os_thread_id(void)
{
	return ((uint64_t)syscall(SYS_gettid));
}

int
st_os_thread_start(void *(*fn)(void *), void *arg, const char *name)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rc;

	(void) sigfillset(&all);
	if (pthread_attr_init(&attr) != 0)
		return (-1);
	(void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void) pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, fn, arg);
	(void) pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void) pthread_attr_destroy(&attr);
	if (rc != 0)
		return (-1);
	(void) pthread_setname_np(t, name);
	return (0);
}

/* membarrier(2)'s commands (linux/membarrier.h), for older headers. */
#define ST_MEMBARRIER_PRIVATE_EXPEDITED                 (1 << 3)
#define ST_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED        (1 << 4)

int
st_os_membarrier_register(void)
{
#ifdef SYS_membarrier
	if (syscall(SYS_membarrier,
	    ST_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
	    syscall(SYS_membarrier, ST_MEMBARRIER_PRIVATE_EXPEDITED, 0, 0) == 0)
		return (0);
#endif
	return (-1);
}

int
st_os_membarrier(void)
{
#ifdef SYS_membarrier
	if (syscall(SYS_membarrier, ST_MEMBARRIER_PRIVATE_EXPEDITED, 0, 0) == 0)
		return (0);
#endif
	return (-1);
}

static pthread_key_t st_thread_key;

int
st_os_thread_key_create(void (*destructor)(void *))
{
	return (pthread_key_create(&st_thread_key, destructor));
}

void
st_os_thread_key_set(void *value)
{
	(void) pthread_setspecific(st_thread_key, value);
}

/*
 * The record of our ranges is held across fork, taken after the caller's
 * locks (handlers registered first prepare last), which a thread holding
 * one of them may need before it maps.
 */
int
st_os_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	if (pthread_atfork(st_os_ranges_prefork, st_os_ranges_exit,
	    st_os_ranges_exit) != 0)
		return (-1);
	return (pthread_atfork(prepare, parent, child));
}

void
st_os_write(int fd, const char *buf, size_t len)
{
	int saved = errno;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
	errno = saved;
}

const char *
st_os_getenv(const char *name)
{
	return (secure_getenv(name));
}

/* A signal context's pc and stack pointer. */
uintptr_t
st_os_uc_pc(const void *ucv)
{
	const ucontext_t *uc = ucv;

#if defined(__x86_64__)
	return ((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
	return ((uintptr_t)uc->uc_mcontext.pc);
#else
	(void) uc;
	return (0);
#endif
}

uintptr_t
st_os_uc_sp(const void *ucv)
{
	const ucontext_t *uc = ucv;

#if defined(__x86_64__)
	return ((uintptr_t)uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
	return ((uintptr_t)uc->uc_mcontext.sp);
#else
	(void) uc;
	return (0);
#endif
}

/*
 * The C library's sigaction: fault.c interposes sigaction() for the
 * program (its section 4), and our own calls must not go through that.
 */
extern int __sigaction(int sig, const struct sigaction *act,
    struct sigaction *old);

int
st_os_sigaction(int sig, const void *act, void *old)
{
	return (__sigaction(sig, act, old));
}

void
st_os_die_by_signal(int sig)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;

	(void) __sigaction(sig, &sa, NULL);
	(void) sigemptyset(&set);
	(void) sigaddset(&set, sig);
	(void) sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void) syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
	st_os_exit(128 + sig);
}

int
st_os_signal_default(int sig)
{
	struct sigaction sa;

	return (__sigaction(sig, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
	    sa.sa_handler == SIG_DFL);
}

int
st_os_execve(const char *path, char *const argv[], char *const envp[])
{
	/* The system call: execve() is ours (verify.c) and verifies. */
	return ((int)syscall(SYS_execve, path, argv, envp));
}

int
st_os_catch_signal(int sig, st_os_sighandler_t *handler)
{
	return (st_os_catch_signal_old(sig, handler, NULL));
}

/* The same, leaving the action it replaced in *old (a struct sigaction). */
int
st_os_catch_signal_old(int sig, st_os_sighandler_t *handler, void *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof (sa));
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(void *)handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	(void) sigfillset(&sa.sa_mask);
	return (__sigaction(sig, &sa, old));
}

void
st_os_abort(void)
{
	/* abort() may flush stdio, which can take locks we hold: go direct. */
	st_os_die_by_signal(SIGABRT);
}

void
st_os_exit(int status)
{
	/* Not _exit(): ours (verify.c) would verify the heap first. */
	for (;;)
		(void) syscall(SYS_exit_group, status);
}

void
st_os_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL),
	    (long)(ns % 1000000000ULL) };

	(void) nanosleep(&ts, NULL);
}

uint64_t
st_os_realtime_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

int
st_os_cpu(void)
{
	unsigned cpu = 0;

	if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0)
		return (-1);
	return ((int)cpu);
}

uint32_t
st_os_pid(void)
{
	return ((uint32_t)getpid());
}

/* ------------------------------------------------------------------------
 * Files.
 */

int
st_os_errno(void)
{
	return (errno);
}

/*
 * Our files never take descriptors 0, 1 or 2: in a program that closed
 * stderr, a dump opened as fd 2 would receive the reports written to it.
 */
static int
st_os_fd_high(int fd)
{
	int nfd, saved;

	if (fd < 0 || fd > 2)
		return (fd);
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	(void) close(fd);
	errno = saved;
	return (nfd);
}

int
st_os_open_read(const char *path)
{
	return (st_os_fd_high(open(path, O_RDONLY | O_CLOEXEC)));
}

int
st_os_create_excl(const char *path)
{
	return (st_os_fd_high(open(path, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)));
}

int
st_os_open_append(const char *path)
{
	return (st_os_fd_high(open(path, O_WRONLY | O_CREAT | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600)));
}

int
st_os_mkdir(const char *path)
{
	return (mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1);
}

int
st_os_executable(const char *path)
{
	return (access(path, X_OK) == 0);
}

/*
 * vfork: the child shares our memory until it execs, so it only makes
 * system calls, and all signals stay blocked until every handler is back
 * to its default (else one of ours could run in the child, on our memory).
 */
int
st_os_spawn(const char *path, char *const argv[], char *const envp[],
    int *fdp, uint32_t *pidp)
{
	sigset_t all, old;
	int sv[2], saved = errno;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return (-1);
	(void) sigfillset(&all);
	(void) pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		struct sigaction sa;
		int sig, null;

		(void) memset(&sa, 0, sizeof (sa));
		sa.sa_handler = SIG_DFL;
		for (sig = 1; sig < NSIG; sig++)
			(void) sigaction(sig, &sa, NULL);
		(void) sigprocmask(SIG_SETMASK, &old, NULL);
		null = open("/dev/null", O_WRONLY);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 ||
		    (null >= 0 && dup2(null, 2) < 0))
			st_os_exit(127);
		(void) st_os_execve(path, argv, envp);
		st_os_exit(127);
	}
	(void) pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void) close(sv[1]);
	if (pid < 0) {
		(void) close(sv[0]);
		errno = saved;
		return (-1);
	}
	*fdp = st_os_fd_high(sv[0]);
	*pidp = (uint32_t)pid;
	errno = saved;
	return (0);
}

int
st_os_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

long
st_os_recv_wait(int fd, void *buf, size_t len, uint64_t timeout_ns)
{
	uint64_t end = st_os_now_ns() + timeout_ns;
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		uint64_t now = st_os_now_ns();
		int r;

		if (now >= end)
			return (-1);
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)((end - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return ((long)n);
	}
}

void
st_os_reap(uint32_t pid, int kill_it)
{
	int status;

	if (kill_it)
		(void) kill((pid_t)pid, SIGKILL);
	(void) waitpid((pid_t)pid, &status, kill_it ? 0 : WNOHANG);
}

long
st_os_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return ((long)n);
}

long
st_os_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do {
		n = pread(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return ((long)n);
}

long
st_os_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += (size_t)n;
	}
	return ((long)done);
}

long
st_os_lseek(int fd, int64_t off, int whence)
{
	return ((long)lseek(fd, (off_t)off, whence));
}

void
st_os_close(int fd)
{
	(void) close(fd);
}

int64_t
st_os_file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return (-1);
	return ((int64_t)st.st_size);
}

int64_t
st_os_file_disk(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return (-1);
	return ((int64_t)st.st_blocks * 512);
}

void *
st_os_map_file(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);

	return (p == MAP_FAILED ? NULL : p);
}

long
st_os_readlink(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len > 0 ? len - 1 : 0);

	if (n >= 0 && len > 0)
		buf[n] = '\0';
	return ((long)n);
}

int
st_os_protect(void *addr, size_t size, int prot)
{
	return (mprotect(addr, size, prot == ST_PROT_NONE ? PROT_NONE :
	    PROT_READ | PROT_WRITE));
}

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102     /* Linux 6.13 */
#define MADV_GUARD_REMOVE	103
#endif

int
st_os_guard(void *addr, size_t size, int on)
{
	return (madvise(addr, size, on ? MADV_GUARD_INSTALL :
	    MADV_GUARD_REMOVE));
}

void *
st_os_reserve(size_t size, size_t align)
{
	return (st_os_mmap_aligned(size, align, PROT_NONE));
}

static void
st_copy(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; len > 0 && i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i];
	if (len > 0)
		dst[i] = '\0';
}

void
st_os_uname(char *host, char *release, char *machine, size_t len)
{
	struct utsname u;

	if (uname(&u) != 0)
		memset(&u, 0, sizeof (u));
	st_copy(host, u.nodename, len);
	st_copy(release, u.release, len);
	st_copy(machine, u.machine, len);
}
