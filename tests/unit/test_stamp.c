/*
 * test_stamp.c: unit test of the audit's stamps, st_os_stamp_ns(after)
 * (platform_linux.c, "The clock", section 5).
 *
 * The stamp reads the TSC without a fence, so it may be a little early
 * against another thread's; what the log must show in order, a buffer's
 * history, is ordered by `after`, the stamp of the event it follows.
 * Checked here:
 *   - a stamp is larger than `after`, even when `after` is in the future,
 *     and the thread's later stamps and st_os_now_ns() do not go back;
 *   - it is CLOCK_MONOTONIC nanoseconds: between two clock_gettime calls,
 *     give or take TOL (the out-of-order window, far under 50 us);
 *   - 4 threads pass "buffers" to each other through atomics, each stamp
 *     taken with the buffer's last stamp as `after`: every buffer's stamps
 *     strictly increase, however the threads and CPUs interleave.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define TOL             (50 * 1000ULL)          /* ns */
#define NTHREADS        4
#define NBUFS           64
#define HANDOFFS        200000

static uint64_t
mono(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static void
test_after(void)
{
	uint64_t now = st_os_now_ns(), future = now + 1000000, s, t, prev;
	int i;

	s = st_os_stamp_ns(future);
	CHECKF(s > future, "stamp %lu after %lu", (unsigned long)s,
	    (unsigned long)future);
	t = st_os_now_ns();
	CHECKF(t >= s, "now %lu after a stamp of %lu went back",
	    (unsigned long)t, (unsigned long)s);
	for (prev = st_os_stamp_ns(0), i = 0; i < 1000000; i++) {
		s = st_os_stamp_ns(0);
		if (s < prev) {
			CHECKF(0, "stamp %lu after %lu: backwards",
			    (unsigned long)s, (unsigned long)prev);
			break;
		}
		prev = s;
	}
}

static void
test_accuracy(void)
{
	uint64_t a, v, c, worst = 0;
	int i;

	for (i = 0; i < 1000000; i++) {
		a = mono();
		v = st_os_stamp_ns(0);
		c = mono();
		if (v + TOL < a || v > c + TOL) {
			CHECKF(0, "stamp %lu outside [%lu, %lu]",
			    (unsigned long)v, (unsigned long)a,
			    (unsigned long)c);
			break;
		}
		if (v < a && a - v > worst)
			worst = a - v;
		if (v > c && v - c > worst)
			worst = v - c;
	}
	printf("accuracy: worst %lu ns outside the clock_gettime window\n",
	    (unsigned long)worst);
}

/* A "buffer": its last stamp; 0 while a thread holds it. */
static uint64_t bufs[NBUFS];
static uint64_t disorder;

static void *
handoff(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	int i;

	for (i = 0; i < HANDOFFS; i++) {
		uint64_t last, s;
		uint32_t b;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		b = (uint32_t)(seed % NBUFS);
		/* Take the buffer (as a free takes it from a magazine). */
		last = __atomic_exchange_n(&bufs[b], 0, __ATOMIC_ACQ_REL);
		if (last == 0)
			continue;               /* another thread has it */
		s = st_os_stamp_ns(last);
		if (s <= last)
			__atomic_fetch_add(&disorder, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&bufs[b], s, __ATOMIC_RELEASE);
	}
	return (NULL);
}

static void
test_handoff(void)
{
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NBUFS; i++)
		bufs[i] = st_os_stamp_ns(0);
	for (i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&t[i], NULL, handoff,
		    (void *)(uintptr_t)(i + 1)) == 0);
	for (i = 0; i < NTHREADS; i++)
		(void) pthread_join(t[i], NULL);
	CHECKF(disorder == 0, "%lu stamps not after their buffer's last",
	    (unsigned long)disorder);
	printf("handoff: %d threads, %d buffers, %lu out of order\n",
	    NTHREADS, NBUFS, (unsigned long)disorder);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* Past the clock's first calibration (10 ms). */
	while (st_os_now_ns() == 0)
		continue;
	{
		uint64_t t0 = mono();

		while (mono() - t0 < 50 * 1000000ULL)
			(void) st_os_stamp_ns(0);
	}
	test_after();
	test_accuracy();
	test_handoff();
	return (check_status());
}
