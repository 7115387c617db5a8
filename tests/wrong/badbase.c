/*
 * badbase: free() of a pointer inside a buffer.
 *
 * expect: slabtrace: bad free: free address != alloc address
 * expect: free address \(0x[0-9a-f]+\) != alloc address \(0x[0-9a-f]+\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(200);

	free(p + 16);                   /* the bug */
	return (0);
}
