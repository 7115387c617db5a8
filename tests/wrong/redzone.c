/*
 * redzone: a one-byte overrun past the requested size is caught on free,
 * though the cache's chunk is larger.  0x1f (with 0x10) works too.
 *
 * env: KMEM_FLAGS=0x1f
 * expect: slabtrace: redzone violation: write past end of buffer
 * expect: write at offset 0x64, byte 1 past the end of the 100-byte buffer \(0xbb replaced by 0x78\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*malloc\+0x[0-9a-f]+(  .*)?
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * gdb: main
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(100);

	((volatile char *)p)[100] = 'x'; /* the bug */
	free(p);
	return (0);
}
