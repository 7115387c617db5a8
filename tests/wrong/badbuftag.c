/*
 * badbuftag: the boundary tag's bxstat word is overwritten.  On free the
 * tag should say "allocated" (the kernel prints the free value either way).
 *
 * expect: slabtrace: boundary tag corrupted
 * expect: bcp \^ bxstat = [0-9a-f]+, should be a110c8ed
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_64
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(64);

	/* the tag follows the buffer: redzone, bufctl, bxstat */
	*(volatile long *)(p + 64 + 16) = 0x1234;        /* the bug */
	free(p);
	return (0);
}
