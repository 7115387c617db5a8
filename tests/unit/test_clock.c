/*
 * test_clock.c: unit test of the clock, st_os_now_ns() (platform_linux.c).
 *
 * st_os_now_ns() must return CLOCK_MONOTONIC nanoseconds, whether it reads
 * the TSC and scales it or calls clock_gettime.  Each stamp here is taken
 * between two clock_gettime calls (a, stamp, c) and must fall within
 * [a - TOL, c + TOL]: a preemption only widens the window, while a wrong
 * scale shows up as a stamp outside it.  The runs last longer than the
 * clock's re-anchoring interval (100 ms), many times over, so they cross
 * re-anchors; one run starts after an idle gap longer than the interval.
 * TOL (50 us) is far above the expected error (under 1 us) and below what
 * a multiplier off by 0.1% gives (100 us at the end of an interval; 1% gives
 * 1 ms).  The report lines give the error seen in narrow windows.
 *
 * Also: time never goes backwards for one thread; 4 threads at once, each
 * stamp no smaller (less TOL) than any stamp another thread published
 * before it (the unfenced rdtsc makes a few smaller by up to ~2 us: see
 * platform_linux.c); stamps from a signal handler that interrupts
 * stamping; a forked child; and the cost of a call against clock_gettime's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define MS              1000000ULL
#define TOL             (50 * 1000ULL)          /* ns */
#define NTHREADS        4
#define NARROW          150                     /* ns: a tight window */

static volatile uint64_t sink;          /* keeps the timing loops */

static uint64_t
mono(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* The worst error seen, for the report: stamp before a, or after c. */
typedef struct errstat {
	uint64_t es_samples;
	uint64_t es_early;      /* most a - stamp */
	uint64_t es_late;       /* most stamp - c */
	uint64_t es_backwards;  /* stamps smaller than the one before */
	uint64_t es_narrow;     /* samples with c - a <= NARROW */
	int64_t es_lo, es_hi;   /* their stamp - (a + c) / 2, extremes */
} errstat_t;

/*
 * One sandwiched stamp: a <= stamp <= c, give or take TOL.  Returns the
 * stamp; prev is this thread's previous one (0: none).
 */
static uint64_t
sample(errstat_t *es, uint64_t prev, const char *what)
{
	uint64_t a, v, c;

	a = mono();
	v = st_os_now_ns();
	c = mono();
	es->es_samples++;
	if (v < a && a - v > es->es_early)
		es->es_early = a - v;
	if (v > c && v - c > es->es_late)
		es->es_late = v - c;
	if (v < prev)
		es->es_backwards++;
	if (c - a <= NARROW) {
		int64_t off = (int64_t)(v - a) - (int64_t)(c - a) / 2;

		if (es->es_narrow++ == 0 || off < es->es_lo)
			es->es_lo = off;
		if (es->es_narrow == 1 || off > es->es_hi)
			es->es_hi = off;
	}
	CHECKF(v + TOL >= a && v <= c + TOL,
	    "%s: stamp %llu not in [%llu, %llu] (%+lld ns from the middle)",
	    what, (unsigned long long)v, (unsigned long long)a,
	    (unsigned long long)c,
	    (long long)(v - a) - (long long)(c - a) / 2);
	CHECKF(v >= prev, "%s: went back %llu ns", what,
	    (unsigned long long)(prev - v));
	return (v);
}

static void
report(const char *what, const errstat_t *es)
{
	printf("%s: %llu samples, worst early %llu ns, worst late %llu ns; "
	    "%llu in windows <= %d ns: stamp - middle in [%lld, %lld] ns\n",
	    what, (unsigned long long)es->es_samples,
	    (unsigned long long)es->es_early, (unsigned long long)es->es_late,
	    (unsigned long long)es->es_narrow, NARROW,
	    (long long)es->es_lo, (long long)es->es_hi);
}

/* Sample for ms milliseconds; returns the last stamp. */
static uint64_t
run(errstat_t *es, uint64_t ms, uint64_t prev, const char *what)
{
	uint64_t end = mono() + ms * MS;

	while (mono() < end)
		prev = sample(es, prev, what);
	return (prev);
}

/* ~1.2 s in one thread: a dozen re-anchors; then after an idle gap. */
static void
test_accuracy(void)
{
	errstat_t es = { 0 };
	uint64_t last;

	last = run(&es, 1200, 0, "single thread");
	report("single thread", &es);
	CHECK(es.es_backwards == 0);

	/* Longer than an interval without a call: the next must be right. */
	memset(&es, 0, sizeof (es));
	(void) usleep(350 * 1000);
	last = sample(&es, last, "after 350 ms idle");
	(void) usleep(120 * 1000);
	last = sample(&es, last, "after 120 ms idle");
	(void) run(&es, 300, last, "after idle");
	report("after idle", &es);
}

/* ------------------------------------------------------------------------
 * Threads.
 */

static uint64_t published;              /* the largest stamp so far */
static volatile int go;

typedef struct worker {
	pthread_t w_thread;
	errstat_t w_es;
	uint64_t w_calls;
	uint64_t w_crossless;   /* stamps below a published one */
	uint64_t w_crossfail;   /* ... by more than TOL */
	uint64_t w_crossworst;
} worker_t;

static void *
worker(void *arg)
{
	worker_t *w = arg;
	uint64_t prev = 0, end, g, v, m;
	unsigned i = 0;

	while (!go)
		;
	end = mono() + 600 * MS;
	while (mono() < end) {
		if (++i % 64 == 0) {
			prev = sample(&w->w_es, prev, "thread");
			continue;
		}
		/* Any stamp published before ours: ours is not smaller. */
		g = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
		v = st_os_now_ns();
		w->w_calls++;
		if (v < prev)
			w->w_es.es_backwards++;
		prev = v;
		if (v < g) {
			w->w_crossless++;
			if (g - v > w->w_crossworst)
				w->w_crossworst = g - v;
			if (g - v > TOL)
				w->w_crossfail++;
		}
		m = __atomic_load_n(&published, __ATOMIC_RELAXED);
		while (v > m && !__atomic_compare_exchange_n(&published, &m, v,
		    1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
	}
	return (NULL);
}

static void
test_threads(void)
{
	worker_t w[NTHREADS];
	uint64_t worst = 0, calls = 0, less = 0;
	errstat_t all = { 0 };
	int i;

	memset(w, 0, sizeof (w));
	for (i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&w[i].w_thread, NULL, worker,
		    &w[i]) == 0);
	go = 1;
	for (i = 0; i < NTHREADS; i++) {
		(void) pthread_join(w[i].w_thread, NULL);
		CHECKF(w[i].w_es.es_backwards == 0, "thread %d: %llu", i,
		    (unsigned long long)w[i].w_es.es_backwards);
		CHECKF(w[i].w_crossfail == 0, "thread %d: %llu stamps more "
		    "than %llu ns below one already published (worst %llu)", i,
		    (unsigned long long)w[i].w_crossfail,
		    (unsigned long long)TOL,
		    (unsigned long long)w[i].w_crossworst);
		if (w[i].w_crossworst > worst)
			worst = w[i].w_crossworst;
		calls += w[i].w_calls;
		less += w[i].w_crossless;
		all.es_samples += w[i].w_es.es_samples;
		if (w[i].w_es.es_early > all.es_early)
			all.es_early = w[i].w_es.es_early;
		if (w[i].w_es.es_late > all.es_late)
			all.es_late = w[i].w_es.es_late;
		if (w[i].w_es.es_narrow > 0 && (all.es_narrow == 0 ||
		    w[i].w_es.es_lo < all.es_lo))
			all.es_lo = w[i].w_es.es_lo;
		if (w[i].w_es.es_narrow > 0 && (all.es_narrow == 0 ||
		    w[i].w_es.es_hi > all.es_hi))
			all.es_hi = w[i].w_es.es_hi;
		all.es_narrow += w[i].w_es.es_narrow;
	}
	report("4 threads", &all);
	printf("4 threads: %llu stamps, %llu below an earlier published "
	    "stamp, by at most %llu ns\n", (unsigned long long)calls,
	    (unsigned long long)less, (unsigned long long)worst);
}

/* ------------------------------------------------------------------------
 * A signal handler that stamps while the thread it interrupts stamps.
 */

static volatile uint64_t sig_main_last;        /* main's last stamp */
static volatile uint64_t sig_count, sig_bad, sig_far;

static void
on_alarm(int sig)
{
	uint64_t before = sig_main_last, a = mono(), v = st_os_now_ns();
	uint64_t c = mono();

	(void) sig;
	sig_count++;
	if (v < before)
		sig_bad++;
	if (v + TOL < a || v > c + TOL)
		sig_far++;
}

static void
test_signals(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	uint64_t end = mono() + 400 * MS, prev = 0, v;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_alarm;
	REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0);
	REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
	while (mono() < end) {
		v = st_os_now_ns();
		CHECK(v >= prev);
		sig_main_last = prev = v;
	}
	(void) setitimer(ITIMER_REAL, &off, NULL);
	printf("signals: %llu handler stamps\n",
	    (unsigned long long)sig_count);
	CHECK(sig_count > 0);
	CHECKF(sig_bad == 0, "%llu handler stamps below the interrupted "
	    "thread's last", (unsigned long long)sig_bad);
	CHECKF(sig_far == 0, "%llu handler stamps off by more than TOL",
	    (unsigned long long)sig_far);
}

/* A forked child keeps the clock, and its first stamp follows ours. */
static void
test_fork(void)
{
	uint64_t before = st_os_now_ns();
	int status;
	pid_t pid;

	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		errstat_t es = { 0 };

		CHECK(st_os_now_ns() >= before);
		(void) run(&es, 250, 0, "forked child");
		_exit(check_status());
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status 0x%x", status);
}

/*
 * ns per call of 10M calls, of st_os_now_ns and of clock_gettime: printed
 * for the log, never asserted (a busy machine makes any bound flaky; the
 * benchmarks compare speeds).
 */
static void
test_cost(void)
{
	const uint64_t n = 10000000;
	uint64_t t0, ours = UINT64_MAX, theirs = UINT64_MAX, t, i;
	int round;

	for (round = 0; round < 3; round++) {
		t0 = mono();
		for (i = 0; i < n / 5; i++)
			sink += st_os_now_ns();
		t = mono() - t0;
		ours = t < ours ? t : ours;
		t0 = mono();
		for (i = 0; i < n / 5; i++)
			sink += mono();
		t = mono() - t0;
		theirs = t < theirs ? t : theirs;
	}
	t0 = mono();
	for (i = 0; i < n; i++)
		sink += st_os_now_ns();
	t = mono() - t0;
	printf("cost: st_os_now_ns %.1f ns/call (10M: %.1f), "
	    "clock_gettime %.1f ns/call\n", (double)ours / (double)(n / 5),
	    (double)t / (double)n, (double)theirs / (double)(n / 5));
}

int
main(void)
{
	errstat_t es = { 0 };

	setvbuf(stdout, NULL, _IONBF, 0);
	/* Past the clock's first calibration (10 ms), and its first calls. */
	(void) run(&es, 50, 0, "warm-up");
	test_accuracy();
	test_threads();
	test_signals();
	test_fork();
	test_cost();
	return (check_status());
}
