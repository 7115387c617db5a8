/*
 * free_next: with no debugging, free() of a pointer one buffer too far
 * (the start of the next chunk of the slab, never handed out) is caught
 * on one line, as a free of a free buffer: a new slab's chunks carry
 * malloc's free key (slab.c, kmem_slab_keyed).  The old library put the
 * chunk in a magazine while the slab still had it, and the next mallocs
 * returned one buffer twice.
 *
 *   small  64-byte buffers (a one-page slab, the link in the chunk)
 *   large  640-byte buffers (a two-page slab with external bufctls)
 *   page   4096-byte buffers (an eight-page slab: only the chunk at its
 *          free list's head has the key, the next one to be handed out)
 *
 * After the bad free the program checks that three new buffers are
 * distinct: it exits 3 if one was handed out twice.
 *
 * variants: small large page
 * env: ST_MODE=plain
 * dump: no
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-small: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_64\)
 * expect-large: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_640\)
 * expect-page: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_4096\)
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void
release(void *p)
{
	free(p);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "small";
	size_t n = strcmp(v, "large") == 0 ? 600 : strcmp(v, "page") == 0 ?
	    4096 : 64;
	size_t step = n == 600 ? 640 : n;       /* the chunk */
	char *volatile p = malloc(n);
	char *a, *b, *c;

	memset(p, 1, n);
	release(p + step);                      /* the bug */
	a = malloc(n);
	b = malloc(n);
	c = malloc(n);
	if (a == b || b == c || a == c)
		return (3);
	free(a);
	free(b);
	free(c);
	free(p);
	return (0);
}
