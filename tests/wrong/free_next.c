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
 *   page2  the same, two buffers too far: a chunk without the key, caught
 *          as past the slab's high-water mark (slab.c, section 5)
 *   page7  the same, seven too far, the slab's last chunk
 *   reused a buffer freed first, so that the free list's head is one
 *          handed out before; then three too far
 *
 * After the bad free the program checks that three new buffers are
 * distinct: it exits 3 if one was handed out twice.
 *
 * variants: small large page page2 page7 reused
 * env: ST_MODE=plain
 * dump: no
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-small: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_64\)
 * expect-large: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_640\)
 * expect-page: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_4096\)
 * expect-page2: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_4096\)
 * expect-page7: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_4096\)
 * expect-reused: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_4096\)
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
	size_t n = strcmp(v, "large") == 0 ? 600 : strncmp(v, "page", 4) ==
	    0 || strcmp(v, "reused") == 0 ? 4096 : 64;
	size_t step = n == 600 ? 640 : n;       /* the chunk */
	size_t far = strcmp(v, "page2") == 0 ? 2 : strcmp(v, "page7") == 0 ?
	    7 : strcmp(v, "reused") == 0 ? 3 : 1;
	char *volatile p = malloc(n);
	char *a, *b, *c;

	memset(p, 1, n);
	if (strcmp(v, "reused") == 0) {
		char *volatile q = malloc(n);

		memset(q, 2, n);
		free(q);
	}
	release(p + far * step);                /* the bug */
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
