/*
 * churn.c: single-threaded random churn over a live set.  Sizes follow a
 * skewed mix, mostly small with a long tail, roughly what a C program's
 * heap sees: 70% in 8..128, 20% in 129..1024, 8% up to 4 KiB, 2% up to
 * 64 KiB.  Each step picks a random slot of the live set and frees it if
 * it is full or fills it if it is empty, so the set hovers at half full
 * while fragmenting the heap the way long-running programs do.
 *
 * usage: churn [SCALE%]
 */
#include "bench.h"

#define LIVE_SLOTS  20000
#define OPS         16000000L  /* steps at 100% */

static size_t
pick_size(bench_rng_t *r)
{
	unsigned pct = (unsigned)(rng_next(r) % 100);

	if (pct < 70)
		return (rng_range(r, 8, 128));
	if (pct < 90)
		return (rng_range(r, 129, 1024));
	if (pct < 98)
		return (rng_range(r, 1025, 4096));
	return (rng_range(r, 4097, 65536));
}

int
main(int argc, char **argv)
{
	long ops = OPS / 100 * bench_arg(argc, argv, 1, 100);
	void **slot = calloc(LIVE_SLOTS, sizeof (void *));
	bench_rng_t r = { 42 };
	uint64_t sum = 0;

	if (slot == NULL)
		abort();
	for (long n = 0; n < ops; n++) {
		size_t i = rng_next(&r) % LIVE_SLOTS;

		if (slot[i] != NULL) {
			sum += *(unsigned char *)slot[i];
			free(slot[i]);
			slot[i] = NULL;
		} else {
			size_t size = pick_size(&r);

			slot[i] = xmalloc_or_die(size);
			bench_touch(slot[i], size);
		}
	}
	for (int i = 0; i < LIVE_SLOTS; i++)
		free(slot[i]);
	free(slot);
	printf("churn: ops=%ld sum=%llu\n", ops, (unsigned long long)sum);
	return (0);
}
