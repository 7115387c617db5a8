/*
 * large.c: big buffers, allocated, filled and freed again and again.
 *
 * Two patterns a program with big buffers follows:
 *   - one at a time: a 4-24 MiB buffer is allocated, every page of it
 *     written, and freed, 300 times (a read buffer sized to each input);
 *   - a live set: 20 slots each holding a 5-25 MiB buffer; each step
 *     replaces a random slot's buffer with a new one of a random size,
 *     every page written (as malloc-large in mimalloc-bench does).
 * An allocator that gives every freed big buffer's pages back to the OS
 * faults every page in again; one that keeps them reuses them.
 *
 * usage: large [SCALE%]
 */
#include "bench.h"

#include <string.h>

#define MIB             ((size_t)1 << 20)
#define SINGLE_ROUNDS   300
#define SLOTS           20
#define SLOT_STEPS      600

static uint64_t
fill(unsigned char *p, size_t size)
{
	memset(p, (int)(size & 0x7f), size);
	bench_escape(p);
	return (p[size / 2]);
}

int
main(int argc, char **argv)
{
	long scale = bench_arg(argc, argv, 1, 100);
	long single = SINGLE_ROUNDS * scale / 100, steps = SLOT_STEPS *
	    scale / 100, i;
	unsigned char *slot[SLOTS] = { NULL };
	bench_rng_t r = { 42 };
	uint64_t sum = 0;

	for (i = 0; i < single; i++) {
		size_t size = rng_range(&r, 4 * MIB, 24 * MIB);
		unsigned char *p = xmalloc_or_die(size);

		sum += fill(p, size);
		free(p);
	}
	for (i = 0; i < steps; i++) {
		size_t size = rng_range(&r, 5 * MIB, 25 * MIB);
		size_t k = rng_range(&r, 0, SLOTS - 1);
		unsigned char *p = xmalloc_or_die(size);

		sum += fill(p, size);
		free(slot[k]);
		slot[k] = p;
	}
	for (i = 0; i < SLOTS; i++)
		free(slot[i]);
	printf("large: rounds=%ld steps=%ld sum=%llu\n", single, steps,
	    (unsigned long long)sum);
	return (0);
}
