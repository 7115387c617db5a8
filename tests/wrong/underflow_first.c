/*
 * underflow_first: a write one byte before a buffer that is the first of
 * its slab (the program's only allocation of its size), reported as an
 * underflow with the size asked: the slab keeps a leading redzone before
 * its first buffer too (slab.c, section 4), where it used to start the
 * buffer at the slab's first byte when its colour was 0 and the write
 * went unseen.  Variants: "exit", the buffer is never freed (the exit
 * verify finds it); "free", free() finds it.  -O2, under 0xf, the firewall,
 * UMEM_DEBUG=default and lite.
 *
 * variants: exit free
 * flags: 0xf default lite fw
 * expect: slabtrace: redzone violation: write before start of buffer
 * expect: write at offset -0x1, before the start of the 3000-byte buffer \(0xbb replaced by 0x2a\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_3072
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-exit: found by the exit verify \(the whole heap, at exit\)
 * expect-free: at main\+0x[0-9a-f]+  (.+/)?underflow_first\.c:[0-9]+
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *
uf_alloc(size_t n)
{
	char *p = malloc(n);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (p);
}

int
main(int argc, char **argv)
{
	char *p = uf_alloc(3000);

	memset(p, 1, 3000);
	((volatile char *)p)[-1] = 0x2a;		/* the bug */
	if (argc > 1 && strcmp(argv[1], "free") == 0)
		free(p);
	return (0);
}
