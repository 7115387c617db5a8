/*
 * tight.c: the worst case for per-call overhead, malloc(n) followed at
 * once by free(), in a tight loop, for a few sizes.  Nothing is live, so
 * this times the fast path alone: the magazine (or tcache) round trip and
 * whatever locking, size lookup or debug work sits on it.
 *
 * usage: tight [SCALE%]
 */
#include "bench.h"

#define PAIRS  12000000L   /* malloc/free pairs per size at 100% */

static const size_t sizes[] = { 16, 64, 256, 1024, 4096 };

int
main(int argc, char **argv)
{
	long pairs = PAIRS / 100 * bench_arg(argc, argv, 1, 100);

	for (size_t s = 0; s < sizeof (sizes) / sizeof (sizes[0]); s++) {
		for (long n = 0; n < pairs; n++) {
			unsigned char *p = xmalloc_or_die(sizes[s]);

			p[0] = 1;	/* a real caller writes what it gets */
			bench_escape(p);
			free(p);
		}
	}
	printf("tight: sizes=%zu pairs=%ld\n",
	    sizeof (sizes) / sizeof (sizes[0]), pairs);
	return (0);
}
