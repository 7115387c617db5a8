/*
 * mdb_heap.c: the debugger benchmark's program (bench/mdb.sh).  It holds
 * N live buffers (argv[1], default 1,000,000) of sizes spread over the
 * small caches (16 to 512 bytes, a deterministic mix), frees every
 * tenth one so that the slabs and magazines hold free buffers too, leaks
 * every hundredth (its only pointer overwritten) so that a leak scan
 * has something to find, and then dies on a SIGSEGV: slabtrace writes
 * vmcore.N with the whole heap in it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void **volatile bufs;

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000, i;
	uint32_t x = 12345;

	if ((bufs = calloc(n, sizeof (void *))) == NULL)
		return (1);
	for (i = 0; i < n; i++) {
		size_t size;

		x = x * 1103515245 + 12345;
		size = 16 + ((x >> 8) % 32) * 16;
		if ((bufs[i] = malloc(size)) == NULL)
			return (1);
		memset(bufs[i], (int)(i & 0x7f), size);
	}
	for (i = 0; i < n; i += 10) {
		free(bufs[i]);
		bufs[i] = NULL;
	}
	for (i = 5; i < n; i += 100)
		bufs[i] = NULL;
	(void) printf("%zu buffers\n", n);
	(void) fflush(stdout);
	*(volatile int *)(uintptr_t)8 = 1;
	return (0);
}
