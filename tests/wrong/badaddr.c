/*
 * badaddr: free() of memory that never came from the allocator.
 *
 * expect: slabtrace: free\(0x[0-9a-f]+\): invalid pointer, not from this allocator
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * gdb: main
 */
#include <stdlib.h>

static char not_heap[64];

int
main(void)
{
	char *volatile p = not_heap + 8;

	free(p);                        /* the bug */
	return (0);
}
