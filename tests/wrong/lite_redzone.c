/*
 * lite_redzone: lite mode's fused free path (debug.c, section 6) still
 * catches a one-byte overrun past the requested size, and names the
 * program's caller of malloc in the tag's history.
 *
 * env: UMEM_DEBUG=lite
 * expect: slabtrace: redzone violation: write past end of buffer
 * expect: write at offset 0x64, byte 1 past the end of the 100-byte buffer \(0xbb replaced by 0x78\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: last callers \(newest first\):
 * expect: \s*lite_get\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * gdb: main
 */
#include <stdlib.h>

__attribute__((noinline)) char *
lite_get(size_t n)
{
	char *p = malloc(n);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (p);
}

int
main(void)
{
	char *volatile p = lite_get(100);

	((volatile char *)p)[100] = 'x'; /* the bug */
	free(p);
	return (0);
}
