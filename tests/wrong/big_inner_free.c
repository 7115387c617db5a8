/*
 * big_inner_free: free() of an address inside a 300,000-byte buffer
 * (above the largest cache), 5,000 bytes in: past the buffer's first page,
 * which is all the page map leads to its header, so it was reported as a
 * pointer not from this allocator, with no history.  It must be the free
 * of an address inside the buffer, naming it and its allocation.
 *
 *   live     the buffer is allocated
 *   freed    the buffer was freed before (it waits in the quarantine)
 *
 * variants: live freed
 * flags: 0xf default
 * expect: slabtrace: bad free: free address != alloc address
 * expect: free address \(0x[0-9a-f]+\) != alloc address \(0x[0-9a-f]+\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_oversize
 * expect: at bif_release\+0x[0-9a-f]+  (.+/)?big_inner_free\.c:[0-9]+
 * expect: \s*bif_make\+0x[0-9a-f]+  (.+/)?big_inner_free\.c:[0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>
#include <string.h>

struct table {
	long t_count;
	char t_rows[300000 - sizeof (long)];
};

__attribute__((noinline)) static struct table *
bif_make(void)
{
	struct table *t = malloc(sizeof (*t));

	__asm__ volatile("" ::: "memory");
	return (t);
}

/* Frees a row by mistake, instead of the table. */
__attribute__((noinline)) static void
bif_release(struct table *t)
{
	free(&t->t_rows[5000]);
	__asm__ volatile("" ::: "memory");
}

int
main(int argc, char **argv)
{
	struct table *volatile t = bif_make();

	memset(t, 0, sizeof (*t));
	if (argc > 1 && strcmp(argv[1], "freed") == 0)
		free(t);
	bif_release(t);
	return (0);
}
