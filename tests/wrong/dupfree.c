/*
 * dupfree: a buffer freed twice.  (An unknown UMEM_DEBUG word once was
 * named and ignored here; it now stops the program: wrong/badoption.)
 *
 * env: UMEM_DEBUG=default
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*free\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(40);

	free(p);
	free(p);                        /* the bug */
	return (0);
}
