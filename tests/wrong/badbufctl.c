/*
 * badbufctl: the tag's bufctl pointer is overwritten along with a bxstat
 * that matches it, so only the bufctl's own check can tell.
 *
 * expect: slabtrace: bufctl corrupted
 * expect: buffer=[0-9a-f]+  bufctl=1000  cache: kmem_alloc_64
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(64);

	*(volatile long *)(p + 64 + 8) = 0x1000;                 /* the bug */
	*(volatile long *)(p + 64 + 16) = 0x1000 ^ 0xa110c8edL;
	free(p);
	return (0);
}
