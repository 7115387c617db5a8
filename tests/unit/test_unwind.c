/*
 * test_unwind.c: st_stack_capture and st_stack_capture_uc (unwind.c).
 *
 * The functions whose frames are looked for are built -O2 without frame
 * pointers (the default on x86-64; forced with gcc's optimize attribute), so
 * only the DWARF unwinder can walk them.  A PC is "in" function f when f is
 * the nearest of the known functions at or below it, less than 4 KiB away;
 * the stacks are also compared with glibc's backtrace().
 *
 * The cases: five frames (twice: cold, then cached); through qsort in
 * libc; from a signal handler, on the thread's stack and on an alternate
 * stack, with both entry points; another thread; max and skip; a profiler
 * (a 50 us timer's SIGPROF anywhere, every sample must reach prof_work);
 * 8 threads x 100000 captures, whose stacks must be complete, then again
 * while objects are dlopen'ed and dlclose'd and SIGUSR2 handlers capture;
 * the per-thread memo: three call chains in turn at random depths, each
 * capture the same as the first of its kind, while a timer's handler
 * captures in the middle of them, then while it siglongjmps out of them.
 *
 * timeout: 120
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "slabtrace_impl.h"
#include "check.h"
#include "proftimer.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NOFP __attribute__((noinline, noclone, optimize("omit-frame-pointer")))
#else
#define NOFP __attribute__((noinline))
#endif

#define DEPTH	64

static volatile int sink;

/* ---- the functions looked for, and where they are ---- */

typedef struct {
	uintptr_t pcs[DEPTH];
	uint32_t n;
	void *bt[DEPTH];
	int nbt;
} stack_t_;

uint32_t chain1(stack_t_ *s, int mode);
uint32_t chain2(stack_t_ *s, int mode);
uint32_t chain3(stack_t_ *s, int mode);
uint32_t chain4(stack_t_ *s, int mode);
uint32_t chain5(stack_t_ *s, int mode);
uint32_t test_chain(void);
void test_qsort(void);
void capture_here(stack_t_ *s, int mode);
int qsort_cmp(const void *a, const void *b);
void qsort_caller(void);
void raiser(void);
void test_signal(int altstack);
void *thread_main(void *arg);
void test_thread(void);
void test_max_skip(void);
uint32_t rec(uintptr_t *pcs, uint32_t max, uint32_t skip, int d);
void *stress_main(void *arg);
void prof_work(uint64_t until);
uint32_t memo_a(uintptr_t *pcs, int d);
uint32_t memo_b(uintptr_t *pcs, int d);
uint32_t memo_c(uintptr_t *pcs, int d);
uint32_t memo_run(int c, uintptr_t *pcs, int d);
void memo_handler(int sig);
void test_memo(void);
uint32_t id_leaf(uintptr_t *ref, uint32_t *refn, uint32_t max, int d);
uint32_t id_x(uintptr_t *ref, uint32_t *refn, uint32_t max, int d);
uint32_t id_y(uintptr_t *ref, uint32_t *refn, uint32_t max, int d);
uint32_t id_one(uint64_t x);
uint32_t id_g(uint32_t (*fn)(uintptr_t *, uint32_t *, uint32_t, int),
    uintptr_t *ref, uint32_t *refn, uint32_t max, int d);
uint32_t id_h(uint32_t (*fn)(uintptr_t *, uint32_t *, uint32_t, int),
    uintptr_t *ref, uint32_t *refn, uint32_t max, int d);
void id_switches(void);
void id_handler(int sig);
void test_memo_id(void);
int main(void);

static void handler(int sig, siginfo_t *si, void *uc);

static const struct {
	const char *kf_name;
	void *kf_addr;
} known[] = {
#define K(f)	{ #f, (void *)f }
	K(chain1), K(chain2), K(chain3), K(chain4), K(chain5), K(test_chain),
	K(test_qsort), K(qsort_cmp), K(qsort_caller), K(raiser),
	K(test_signal), K(thread_main), K(test_thread), K(test_max_skip),
	K(rec), K(stress_main), K(main), K(handler), K(capture_here),
	K(prof_work), K(memo_a), K(memo_b), K(memo_c), K(memo_run),
	K(test_memo), K(memo_handler), K(id_leaf), K(id_x), K(id_y),
	K(id_one), K(id_handler), K(test_memo_id), K(id_g), K(id_h),
	K(id_switches),
#undef K
};
#define NKNOWN	(sizeof (known) / sizeof (known[0]))

/* The known function holding pc, or NULL. */
static const char *
func_of(uintptr_t pc)
{
	uintptr_t best = 0;
	const char *name = NULL;
	size_t i;

	for (i = 0; i < NKNOWN; i++) {
		uintptr_t a = (uintptr_t)known[i].kf_addr;

		if (a < pc && a > best) {	/* a return address > start */
			best = a;
			name = known[i].kf_name;
		}
	}
	return (best != 0 && pc - best < 4096 ? name : NULL);
}

static int
in_func(uintptr_t pc, const char *name)
{
	const char *f = func_of(pc);

	return (f != NULL && strcmp(f, name) == 0);
}

/* The first index >= from whose pc is in name, or -1. */
static int
find_func(const uintptr_t *pcs, uint32_t n, uint32_t from, const char *name)
{
	uint32_t i;

	for (i = from; i < n; i++)
		if (in_func(pcs[i], name))
			return ((int)i);
	return (-1);
}

static void
dump(const char *what, const uintptr_t *pcs, uint32_t n)
{
	uint32_t i;

	check_say("%s: %u frames\n", what, n);
	for (i = 0; i < n; i++) {
		Dl_info di;
		const char *f = func_of(pcs[i]);

		if (f == NULL && dladdr((void *)pcs[i], &di) != 0)
			f = di.dli_sname != NULL ? di.dli_sname : di.dli_fname;
		check_say("  %2u %#lx %s\n", i, (unsigned long)pcs[i],
		    f != NULL ? f : "?");
	}
}

/* ---- 1. five frames without frame pointers ---- */

NOFP void
capture_here(stack_t_ *s, int mode)
{
	(void) mode;
	s->n = st_stack_capture(s->pcs, DEPTH, 0);
	s->nbt = backtrace(s->bt, DEPTH);
}

NOFP uint32_t
chain5(stack_t_ *s, int mode)
{
	s->n = st_stack_capture(s->pcs, DEPTH, 0);
	if (mode == 0)
		s->nbt = backtrace(s->bt, DEPTH);
	sink += (int)s->n;
	return (s->n + 1);
}

NOFP uint32_t
chain4(stack_t_ *s, int mode)
{
	uint32_t r = chain5(s, mode);

	sink += (int)r;
	return (r + 1);
}

NOFP uint32_t
chain3(stack_t_ *s, int mode)
{
	uint32_t r = chain4(s, mode);

	sink += (int)r;
	return (r + 1);
}

NOFP uint32_t
chain2(stack_t_ *s, int mode)
{
	uint32_t r = chain3(s, mode);

	sink += (int)r;
	return (r + 1);
}

NOFP uint32_t
chain1(stack_t_ *s, int mode)
{
	uint32_t r = chain2(s, mode);

	sink += (int)r;
	return (r + 1);
}

static void
check_chain(const stack_t_ *s, const char *outer, const char *what)
{
	static const char *names[] = { "chain5", "chain4", "chain3", "chain2",
	    "chain1" };
	int i, bad = 0;

	CHECKF(s->n >= 6, "%s: %u frames", what, s->n);
	for (i = 0; i < 5 && (uint32_t)i < s->n; i++) {
		CHECKF(in_func(s->pcs[i], names[i]), "%s: frame %d not in %s",
		    what, i, names[i]);
		bad |= !in_func(s->pcs[i], names[i]);
	}
	if (s->n > 5) {
		CHECKF(in_func(s->pcs[5], outer), "%s: frame 5 not in %s",
		    what, outer);
		bad |= !in_func(s->pcs[5], outer);
	}
	if (bad)
		dump(what, s->pcs, s->n);
}

/* Frames 1... must be backtrace()'s frames 1... (frame 0 is the call site). */
static void
check_vs_backtrace(const stack_t_ *s, const char *what)
{
	uint32_t i, m = ST_MIN(s->n, (uint32_t)s->nbt);
	uint32_t same = 0;

	CHECKF(m >= 2, "%s: %u frames, backtrace %d", what, s->n, s->nbt);
	for (i = 1; i < m; i++) {
		if (s->pcs[i] != (uintptr_t)s->bt[i])
			break;
		same++;
	}
	/* backtrace() may stop earlier or later at the outermost frame. */
	CHECKF(same + 2 >= m, "%s: only %u of %u frames match backtrace()",
	    what, same, m - 1);
	if (same + 2 < m) {
		dump("ours", s->pcs, s->n);
		dump("backtrace", (const uintptr_t *)s->bt, (uint32_t)s->nbt);
	}
}

NOFP uint32_t
test_chain(void)
{
	stack_t_ s;
	uint32_t r;

	memset(&s, 0, sizeof (s));
	r = chain1(&s, 0);
	sink += (int)r;
	check_chain(&s, "test_chain", "chain");
	check_vs_backtrace(&s, "chain");
	CHECK(find_func(s.pcs, s.n, 5, "main") == 6);
	/* Again, from the cache. */
	memset(&s, 0, sizeof (s));
	r = chain1(&s, 0);
	check_chain(&s, "test_chain", "chain (cached)");
	check_vs_backtrace(&s, "chain (cached)");
	return (r + (uint32_t)sink);
}

/* ---- 2. through qsort, in libc ---- */

static stack_t_ qs;
static int qs_taken;

NOFP int
qsort_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!qs_taken) {
		qs_taken = 1;
		capture_here(&qs, 0);
	}
	return ((x > y) - (x < y));
}

NOFP void
qsort_caller(void)
{
	int v[64], i;

	for (i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	qsort(v, 64, sizeof (int), qsort_cmp);
	sink += v[0];
}

NOFP void
test_qsort(void)
{
	int c, m;

	qs_taken = 0;
	qsort_caller();
	sink++;
	REQUIRE(qs_taken);
	c = find_func(qs.pcs, qs.n, 0, "qsort_cmp");
	CHECKF(c == 1, "qsort_cmp at %d", c);	/* 0 is capture_here */
	c = find_func(qs.pcs, qs.n, 2, "qsort_caller");
	CHECKF(c >= 3, "qsort_caller at %d", c);	/* libc in between */
	m = find_func(qs.pcs, qs.n, 0, "test_qsort");
	CHECKF(c >= 0 && m == c + 1, "test_qsort at %d", m);
	CHECK(find_func(qs.pcs, qs.n, 0, "main") == m + 1);
	if (c < 3 || m != c + 1)
		dump("qsort", qs.pcs, qs.n);
	check_vs_backtrace(&qs, "qsort");
}

/* ---- 3. signal handlers, on the thread's stack and on an altstack ---- */

static stack_t_ sig_h, sig_uc;
static uintptr_t sig_rip;

static void
handler(int sig, siginfo_t *si, void *uc)
{
	(void) sig; (void) si;
	sig_h.n = st_stack_capture(sig_h.pcs, DEPTH, 0);
	sig_uc.n = st_stack_capture_uc(uc, sig_uc.pcs, DEPTH);
	sig_rip = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

NOFP void
raiser(void)
{
	raise(SIGUSR1);
	sink++;
}

NOFP void
test_signal(int altstack)
{
	const char *what = altstack ? "signal (altstack)" : "signal";
	struct sigaction sa;
	stack_t ss, old;
	void *mem = NULL;
	int r, t;

	memset(&sa, 0, sizeof (sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | (altstack ? SA_ONSTACK : 0);
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
	if (altstack) {
		mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		REQUIRE(mem != MAP_FAILED);
		ss.ss_sp = mem;
		ss.ss_size = 65536;
		ss.ss_flags = 0;
		REQUIRE(sigaltstack(&ss, &old) == 0);
	}
	memset(&sig_h, 0, sizeof (sig_h));
	memset(&sig_uc, 0, sizeof (sig_uc));
	raiser();
	sink++;

	CHECKF(sig_h.n > 0 && in_func(sig_h.pcs[0], "handler"), "%s", what);
	r = find_func(sig_h.pcs, sig_h.n, 1, "raiser");
	t = find_func(sig_h.pcs, sig_h.n, 1, "test_signal");
	CHECKF(r > 1 && t == r + 1, "%s: raiser at %d, test_signal at %d",
	    what, r, t);
	if (r <= 1 || t != r + 1)
		dump(what, sig_h.pcs, sig_h.n);

	CHECKF(sig_uc.n > 0 && sig_uc.pcs[0] == sig_rip, "%s: uc", what);
	r = find_func(sig_uc.pcs, sig_uc.n, 0, "raiser");
	t = find_func(sig_uc.pcs, sig_uc.n, 0, "test_signal");
	CHECKF(r > 0 && t == r + 1, "%s: uc: raiser at %d, test_signal at %d",
	    what, r, t);
	if (r <= 0 || t != r + 1)
		dump(what, sig_uc.pcs, sig_uc.n);
	/* The uc stack is the handler's stack past the trampoline. */
	if (sig_h.n >= 2 && sig_uc.n >= 1) {
		int j = find_func(sig_h.pcs, sig_h.n, 0, "raiser");
		int k = find_func(sig_uc.pcs, sig_uc.n, 0, "raiser");

		CHECKF(j >= 0 && k >= 0 && sig_h.n - (uint32_t)j ==
		    sig_uc.n - (uint32_t)k, "%s: handler and uc differ", what);
	}
	if (altstack) {
		ss.ss_flags = SS_DISABLE;
		REQUIRE(sigaltstack(&ss, NULL) == 0);
		munmap(mem, 65536);
	}
	signal(SIGUSR1, SIG_DFL);
}

/* ---- 4. another thread ---- */

NOFP void *
thread_main(void *arg)
{
	stack_t_ *s = arg;
	uint32_t r = chain1(s, 0);

	sink += (int)r;
	return (NULL);
}

NOFP void
test_thread(void)
{
	static stack_t_ s;
	pthread_t t;

	memset(&s, 0, sizeof (s));
	REQUIRE(pthread_create(&t, NULL, thread_main, &s) == 0);
	pthread_join(t, NULL);
	sink++;
	check_chain(&s, "thread_main", "thread");
	check_vs_backtrace(&s, "thread");
	CHECKF(s.n < DEPTH, "thread: %u frames, the stack did not end", s.n);
}

/* ---- 5. max and skip ---- */

NOFP void
test_max_skip(void)
{
	uintptr_t full[DEPTH], part[DEPTH];
	uint32_t n, m, i;

	n = st_stack_capture(full, DEPTH, 0);
	CHECKF(n >= 3, "%u frames", n);
	CHECK(in_func(full[0], "test_max_skip"));
	CHECK(in_func(full[1], "main"));

	m = st_stack_capture(part, DEPTH, 2);
	CHECKF(m + 2 == n, "skip 2: %u frames of %u", m, n);
	for (i = 0; i < m && i + 2 < n; i++)
		CHECKF(part[i] == full[i + 2], "skip 2: frame %u", i);

	m = st_stack_capture(part, DEPTH, 1);
	CHECKF(m + 1 == n && in_func(part[0], "main"), "skip 1");

	m = st_stack_capture(part, 2, 0);
	CHECKF(m == 2 && in_func(part[0], "test_max_skip") &&
	    part[1] == full[1], "max 2: %u", m);
	m = st_stack_capture(part, 1, 1);
	CHECKF(m == 1 && part[0] == full[1], "max 1 skip 1: %u", m);
	CHECK(st_stack_capture(part, 0, 0) == 0);
	CHECK(st_stack_capture(part, DEPTH, 1000) == 0);
	m = st_stack_capture(part, DEPTH, n - 1);
	CHECKF(m == 1 && part[0] == full[n - 1], "skip n - 1: %u", m);
	sink++;
}

/* ---- 6. many threads, signals, dlopen ---- */

#define STRESS_THREADS	8
#define STRESS_CAPTURES	100000

static volatile int stress_dlopen;	/* phase 2: objects come and go */
static unsigned long stress_short;	/* incomplete stacks in phase 1 */

NOFP uint32_t
rec(uintptr_t *pcs, uint32_t max, uint32_t skip, int d)
{
	uint32_t r;

	if (d == 0)
		r = st_stack_capture(pcs, max, skip);	/* not a tail call */
	else
		r = rec(pcs, max, skip, d - 1);
	sink += (int)r;
	return (r);
}

static void
stress_handler(int sig)
{
	uintptr_t pcs[DEPTH];

	(void) sig;
	if (st_stack_capture(pcs, DEPTH, 0) == 0)
		__atomic_add_fetch(&stress_short, 1, __ATOMIC_RELAXED);
}

NOFP void *
stress_main(void *arg)
{
	uintptr_t pcs[DEPTH];
	uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	uint32_t i, n, max, skip;
	int d, k, r, bad;

	for (i = 0; i < STRESS_CAPTURES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = (int)(x % 24);
		max = 1 + (uint32_t)((x >> 8) % DEPTH);
		skip = (uint32_t)((x >> 16) % 4);
		n = rec(pcs, max, skip, d);
		if (n > max) {
			__atomic_add_fetch(&stress_short, 1000000,
			    __ATOMIC_RELAXED);
			continue;
		}
		if (stress_dlopen)
			continue;
		/* rec(0) ... rec(d), then stress_main, less skip frames. */
		r = d + 1 - (int)skip;
		bad = 0;
		for (k = 0; k < r && (uint32_t)k < n; k++)
			bad |= !in_func(pcs[k], "rec");
		if (r >= 0 && (uint32_t)r < n)
			bad |= !in_func(pcs[r], "stress_main");
		if (n < max && (int)n < r + 2)
			bad = 1;
		if (bad && __atomic_add_fetch(&stress_short, 1,
		    __ATOMIC_RELAXED) < 3) {
			check_say("d %d skip %u max %u\n", d, skip, max);
			dump("stress", pcs, n);
		}
	}
	return (NULL);
}

static void
stress(int phase)
{
	pthread_t t[STRESS_THREADS];
	int i, j;

	stress_dlopen = phase;
	for (i = 0; i < STRESS_THREADS; i++)
		REQUIRE(pthread_create(&t[i], NULL, stress_main,
		    (void *)(uintptr_t)(i + 1)) == 0);
	if (phase) {
		/* Load and unload, and interrupt the captures with signals. */
		for (j = 0; j < 200; j++) {
			void *h = dlopen("libresolv.so.2", RTLD_NOW |
			    RTLD_LOCAL);

			if (h != NULL)
				dlclose(h);
			for (i = 0; i < STRESS_THREADS; i++)
				(void) pthread_kill(t[i], SIGUSR2);
			usleep(200);
		}
	}
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
}

static void
test_stress(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = stress_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR2, &sa, NULL) == 0);
	stress_short = 0;
	stress(0);
	CHECKF(stress_short == 0, "%lu incomplete stacks", stress_short);
	stress_short = 0;
	stress(1);
	CHECKF(stress_short < 1000000, "a capture overran max");
	check_say("stress: %lu short stacks with dlopen and signals\n",
	    stress_short % 1000000);
}

/* ---- 7. a profiler: SIGPROF anywhere, unwound from the ucontext ---- */

static unsigned long prof_samples, prof_found, prof_bad;
static uintptr_t prof_miss[8][DEPTH];
static uint32_t prof_missn[8];

static void
prof_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t pcs[DEPTH], hp[DEPTH];
	const ucontext_t *u = uc;
	uintptr_t rip = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
	uint32_t n, m;

	(void) sig; (void) si;
	n = st_stack_capture_uc(uc, pcs, DEPTH);
	m = st_stack_capture(hp, DEPTH, 0);
	prof_samples++;
	if (n == 0 || pcs[0] != rip || m < 2)
		prof_bad++;
	if (find_func(pcs, n, 0, "prof_work") >= 0 &&
	    find_func(hp, m, 0, "prof_work") >= 0) {
		prof_found++;
	} else if (prof_samples - prof_found <= 8) {
		prof_missn[prof_samples - prof_found - 1] = n;
		memcpy(prof_miss[prof_samples - prof_found - 1], pcs,
		    n * sizeof (uintptr_t));
	}
}

NOFP void
prof_work(uint64_t until)
{
	struct timespec ts;
	char buf[256];
	int v[256], i;

	do {
		for (i = 0; i < 256; i++)
			v[i] = (i * 7919) % 256;
		qsort(v, 256, sizeof (int), qsort_cmp);
		memmove(buf + 1, buf, sizeof (buf) - 1);
		(void) snprintf(buf, sizeof (buf), "%d %d", v[0], v[255]);
		free(malloc((size_t)v[3] + 1));
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec <
	    until);
}

static void
test_profile(void)
{
	struct timespec ts;
	timer_t tid;
	uint32_t i;

	qs_taken = 1;
	tid = prof_timer(NULL, prof_handler, 50000);	/* 50 us apart */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	prof_work((uint64_t)ts.tv_sec * 1000000000ULL +
	    (uint64_t)ts.tv_nsec + 1000000000ULL);
	timer_delete(tid);
	signal(SIGPROF, SIG_DFL);
	check_say("profile: %lu samples, %lu reach prof_work\n",
	    prof_samples, prof_found);
	CHECK(prof_samples > 100);
	CHECK(prof_bad == 0);
	CHECKF(prof_found * 100 >= prof_samples * 99,
	    "%lu of %lu samples reach prof_work", prof_found, prof_samples);
	for (i = 0; i < 8 && i < prof_samples - prof_found; i++)
		dump("profile, incomplete", prof_miss[i], prof_missn[i]);
}

/* ---- 8. the per-thread memo: chains in turn, handlers in the middle ---- */

#define MEMO_DEPTH	20
#define MEMO_CAPTURES	300000

static uintptr_t memo_ref[3][MEMO_DEPTH][DEPTH];
static uint32_t memo_refn[3][MEMO_DEPTH];
static unsigned long memo_sigs, memo_sigbad, memo_jumps;
static uintptr_t memo_sigpcs[DEPTH];
static uint32_t memo_sign;
static volatile int memo_jump;
static sigjmp_buf memo_env;

NOFP uint32_t
memo_a(uintptr_t *pcs, int d)
{
	uint32_t r = d == 0 ? st_stack_capture(pcs, DEPTH, 0) :
	    memo_a(pcs, d - 1);

	sink += (int)r;
	return (r);
}

NOFP uint32_t
memo_b(uintptr_t *pcs, int d)
{
	uint32_t r = d == 0 ? st_stack_capture(pcs, DEPTH, 0) :
	    memo_b(pcs, d - 1);

	sink += (int)r * 3;
	return (r);
}

NOFP uint32_t
memo_c(uintptr_t *pcs, int d)
{
	uint32_t r = d == 0 ? st_stack_capture(pcs, DEPTH, 0) :
	    memo_c(pcs, d - 1);

	sink += (int)r * 5;
	return (r);
}

NOFP uint32_t
memo_run(int c, uintptr_t *pcs, int d)
{
	uint32_t r;

	if (c == 0)
		r = memo_a(pcs, d);
	else
		r = c == 1 ? memo_b(pcs, d) : memo_c(pcs, d);
	sink += (int)r;
	return (r);
}

/* A capture of its own in the middle of the main loop's, at other depths. */
void
memo_handler(int sig)
{
	static const char *names[] = { "memo_a", "memo_b", "memo_c" };
	uintptr_t pcs[DEPTH];
	int c = (int)(memo_sigs % 3), d = (int)(memo_sigs * 7 % MEMO_DEPTH);
	int k, bad;
	uint32_t n;

	(void) sig;
	memo_sigs++;
	n = memo_run(c, pcs, d);
	for (k = 0, bad = n < (uint32_t)d + 3; k <= d && !bad; k++)
		bad = !in_func(pcs[k], names[c]);
	/* What lies above the handler may be anywhere, ld.so included. */
	if (bad || !in_func(pcs[d + 1], "memo_run") ||
	    !in_func(pcs[d + 2], "memo_handler")) {
		if (memo_sigbad++ == 0) {
			memcpy(memo_sigpcs, pcs, sizeof (pcs));
			memo_sign = n;
		}
	}
	if (memo_jump && memo_sigs % 2 == 0) {
		memo_jumps++;
		siglongjmp(memo_env, 1);
	}
}

NOFP void
test_memo(void)
{
	uintptr_t pcs[DEPTH], badpcs[DEPTH];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	volatile unsigned long bad = 0, i;
	timer_t tid;
	volatile uint32_t badn = 0;
	volatile int badc = 0, badd = 0;
	uint32_t n;
	int c, d;

	for (c = 0; c < 3; c++) {
		for (d = 0; d < MEMO_DEPTH; d++) {
			stack_t_ s;

			memset(&s, 0, sizeof (s));
			s.n = memo_run(c, s.pcs, d);
			memcpy(memo_ref[c][d], s.pcs, sizeof (s.pcs));
			memo_refn[c][d] = s.n;
			CHECKF(s.n >= (uint32_t)d + 4 && find_func(s.pcs, s.n,
			    (uint32_t)d + 1, "test_memo") == d + 2,
			    "memo: chain %d depth %d: %u frames", c, d, s.n);
		}
	}
	tid = prof_timer(memo_handler, NULL, 20000);
	for (i = 0; i < 2 * MEMO_CAPTURES; i++) {
		/* From the middle, out of the captures too. */
		memo_jump = 0;
		if (i >= MEMO_CAPTURES && sigsetjmp(memo_env, 1) != 0)
			continue;
		memo_jump = i >= MEMO_CAPTURES;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c = (int)(x % 3);
		d = (int)((x >> 8) % MEMO_DEPTH);
		n = memo_run(c, pcs, d);
		/*
		 * All the same but the return address into test_memo, up to
		 * main's.  Not beyond: in this static executable (no
		 * .eh_frame_hdr) the C library's frames above main are found
		 * by the frame-pointer walk, from whatever main, built without
		 * frame pointers, left in rbp, which depends on the path it
		 * took (a siglongjmp back into it, or not).
		 */
		if (n < (uint32_t)d + 4 || memcmp(pcs, memo_ref[c][d],
		    (size_t)(d + 2) * sizeof (uintptr_t)) != 0 ||
		    pcs[d + 3] != memo_ref[c][d][d + 3]) {
			if (bad++ == 0) {
				badc = c;
				badd = d;
				badn = n;
				memcpy(badpcs, pcs, sizeof (badpcs));
			}
		}
	}
	timer_delete(tid);
	signal(SIGPROF, SIG_DFL);
	if (bad > 0) {
		check_say("memo: chain %d depth %d\n", badc, badd);
		dump("memo", badpcs, badn);
		dump("expected", memo_ref[badc][badd], memo_refn[badc][badd]);
	}
	check_say("memo: %lu captures, %lu handler captures, %lu jumps\n",
	    (unsigned long)i, memo_sigs, memo_jumps);
	CHECKF(bad == 0, "memo: %lu captures differ", (unsigned long)bad);
	CHECKF(memo_sigbad == 0, "memo: %lu bad handler captures",
	    memo_sigbad);
	if (memo_sigbad > 0)
		dump("memo, handler", memo_sigpcs, memo_sign);
	CHECK(memo_sigs > 100 && memo_jumps > 10);
}

/*
 * st_stack_capture_id: a call chain captured again takes the id of the
 * last capture that read the same memo way whole (unwind.c, uw_walk_id).
 * The traps: the same leaf chain at the same depth under two callers
 * whose frames have the same size (all frames but an outer one alike),
 * and a max that ends the capture on the very frame that differs (the
 * one the walk does not look up).  Plain captures in between rewrite the
 * memo, and a timer's handler captures, with and without an id, in the
 * middle of them.  Each id's stack must be the plain capture's.
 */
#define ID_CAPTURES	200000

static volatile int id_in_handler;
static unsigned long id_bad, id_hits;

NOFP uint32_t
id_leaf(uintptr_t *ref, uint32_t *refn, uint32_t max, int d)
{
	uint32_t r, n = 0;

	if (d > 0) {
		r = id_leaf(ref, refn, max, d - 1);
		sink += (int)r;
		return (r);
	}
	*refn = st_stack_capture(ref, DEPTH, 0);
	if (max == 0) {
		/* To the caller's frame: the one that differs, the last. */
		int k = find_func(ref, *refn, 0, "id_x");

		if (k < 0)
			k = find_func(ref, *refn, 0, "id_y");
		max = k < 0 ? 1 : (uint32_t)k + 1;
	}
	if (*refn > max)
		*refn = max;
	r = st_stack_capture_id(max, 0, &n);
	sink += (int)n;
	return (r);
}

/* Identical but for their constants: the same frame size. */
NOFP uint32_t
id_x(uintptr_t *ref, uint32_t *refn, uint32_t max, int d)
{
	uint32_t r = id_leaf(ref, refn, max, d);

	sink += (int)r * 7;
	return (r);
}

NOFP uint32_t
id_y(uintptr_t *ref, uint32_t *refn, uint32_t max, int d)
{
	uint32_t r = id_leaf(ref, refn, max, d);

	sink += (int)r * 11;
	return (r);
}

/* Does id's stack match ref (but for pc 0: two call sites in id_leaf)? */
static int
id_same(uint32_t id, const uintptr_t *ref, uint32_t refn)
{
	uint32_t n;
	const uintptr_t *pcs = st_depot_get(id, &n);

	return (pcs != NULL && n == refn && n > 0 &&
	    in_func(pcs[0], "id_leaf") &&
	    memcmp(pcs + 1, ref + 1, (n - 1) * sizeof (uintptr_t)) == 0);
}

/* Count and show (the first) an id whose stack is not ref's. */
static void
id_check(uint32_t id, const uintptr_t *ref, uint32_t refn, uint32_t max,
    int d)
{
	if (!id_same(id, ref, refn) && id_bad++ == 0) {
		uint32_t n;
		const uintptr_t *pcs = st_depot_get(id, &n);

		check_say("memo id: max %u depth %d, id %u%s\n", max, d, id,
		    id_in_handler ? " (in the handler)" : "");
		dump("expected", ref, refn);
		if (pcs != NULL)
			dump("id's", pcs, n);
	}
}

NOFP uint32_t
id_one(uint64_t x)
{
	uintptr_t ref[DEPTH];
	/* max 0: to the caller's frame (id_leaf) */
	uint32_t refn = 0, id, max = (uint32_t)(x >> 16) % 24;
	int d = (int)((x >> 8) % 3);

	id = (x & 1) ? id_x(ref, &refn, max, d) : id_y(ref, &refn, max, d);
	id_check(id, ref, refn, max, d);
	return (id);
}

/* g and h call fn from one call site, whatever fn is. */
typedef uint32_t id_fn_t(uintptr_t *, uint32_t *, uint32_t, int);

NOFP uint32_t
id_g(id_fn_t *fn, uintptr_t *ref, uint32_t *refn, uint32_t max, int d)
{
	id_fn_t *volatile f = fn;
	uint32_t r = f(ref, refn, max, d);

	sink += (int)r * 13;
	return (r);
}

NOFP uint32_t
id_h(id_fn_t *fn, uintptr_t *ref, uint32_t *refn, uint32_t max, int d)
{
	id_fn_t *volatile f = fn;
	uint32_t r = f(ref, refn, max, d);

	sink += (int)r * 17;
	return (r);
}

/*
 * Two switches between the memo's ways in one capture: A = g(x), B =
 * h(y), A again, then C = g(y), whose frame 1 is in y as B's, and whose
 * frames from 2 on are A's (g calls x and y from one call site).  C must
 * not take A's id.
 */
NOFP void
id_switches(void)
{
	static id_fn_t *const inner[4] = { id_x, id_y, id_x, id_y };
	uintptr_t ref[DEPTH];
	uint32_t refn, i, k, id;

	for (i = 0; i < 3000; i++) {
		for (k = 0; k < 4; k++) {
			int d = (int)(i % 3);

			refn = 0;
			id = k == 1 ? id_h(inner[k], ref, &refn, 24, d) :
			    id_g(inner[k], ref, &refn, 24, d);
			id_check(id, ref, refn, 24, d);
		}
	}
}

void
id_handler(int sig)
{
	static uint64_t hx = 0x9e3779b97f4a7c15ULL;

	(void) sig;
	hx ^= hx << 13;
	hx ^= hx >> 7;
	hx ^= hx << 17;
	id_in_handler = 1;
	(void) id_one(hx);
	id_in_handler = 0;
}

NOFP void
test_memo_id(void)
{
	uint64_t x = 0x2545f4914f6cdd1dULL;
	uint32_t last = 0, id;
	unsigned long i;
	timer_t tid;

	tid = prof_timer(id_handler, NULL, 50000);
	for (i = 0; i < ID_CAPTURES; i++) {
		/*
		 * Runs of the same chain (ids reused), then a change; every
		 * other run ends on the caller's frame, which is all that
		 * tells id_x's stack from id_y's.
		 */
		if (i % 4 == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (i % 8 == 0)
				x &= ~(uint64_t)0xffff0000;
		}
		id = id_one(x);
		id_hits += id == last;
		last = id;
	}
	timer_delete(tid);
	signal(SIGPROF, SIG_DFL);
	check_say("memo id: %lu captures, %lu the same as the last\n", i,
	    id_hits);
	CHECKF(id_bad == 0, "memo id: %lu ids name another stack", id_bad);
	id_switches();
	CHECKF(id_bad == 0, "memo id: %lu ids name another stack, with two "
	    "switches", id_bad);
	CHECK(id_hits > ID_CAPTURES / 2);
}

int
main(void)
{
	test_chain();
	test_qsort();
	test_signal(0);
	test_signal(1);
	test_thread();
	test_max_skip();
	test_profile();
	test_memo();
	test_memo_id();
	test_stress();
	return (check_status());
}
