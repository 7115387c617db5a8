/*
 * bench.h: the few helpers the slabtrace benchmarks share.
 *
 * Header-only on purpose: every benchmark is one .c file built with one cc
 * command, so run.sh needs no build system.  Include this file first: it
 * sets the feature-test macro the POSIX clock and thread calls need.
 */
#ifndef BENCH_H
#define BENCH_H

#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/*
 * A per-thread random stream (splitmix64).  Fixed seeds make every run do
 * the same work, so allocators are compared on identical request streams.
 */
typedef struct bench_rng {
	uint64_t br_state;
} bench_rng_t;

static inline uint64_t
rng_next(bench_rng_t *r)
{
	uint64_t z = (r->br_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Uniform in [lo, hi]; the modulo bias is irrelevant for a benchmark. */
static inline size_t
rng_range(bench_rng_t *r, size_t lo, size_t hi)
{
	return (lo + (size_t)(rng_next(r) % (hi - lo + 1)));
}

static inline double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

/*
 * Tell the compiler the pointer escapes.  Without this, gcc and clang may
 * delete a malloc/free pair whose memory is never observed, and the
 * benchmark would time an empty loop.
 */
static inline void
bench_escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Write both ends of an object, as a real user would touch it. */
static inline void
bench_touch(void *p, size_t size)
{
	unsigned char *c = p;

	c[0] = (unsigned char)size;
	c[size - 1] = (unsigned char)(size >> 8);
	bench_escape(p);
}

/*
 * Parse argv[idx] as a positive integer, or return def when absent.  The
 * SCALE argument is a percentage of the default work: run.sh passes a small
 * one under callgrind so a run takes seconds there, not minutes.
 */
static inline long
bench_arg(int argc, char **argv, int idx, long def)
{
	char *end;
	long v;

	if (idx >= argc)
		return (def);
	v = strtol(argv[idx], &end, 10);
	if (*end != '\0' || v <= 0) {
		fprintf(stderr, "%s: bad argument '%s' (want a positive "
		    "integer)\n", argv[0], argv[idx]);
		exit(2);
	}
	return (v);
}

static inline void *
xmalloc_or_die(size_t size)
{
	void *p = malloc(size);

	if (p == NULL) {
		fprintf(stderr, "malloc(%zu) failed\n", size);
		abort();
	}
	return (p);
}

#endif /* BENCH_H */
