/*
 * dupfree: a buffer freed twice.  An unknown UMEM_DEBUG word is named at
 * start-up and the rest still takes effect.
 *
 * env: UMEM_DEBUG=default,bogus
 * expect: slabtrace: UMEM_DEBUG: unknown word 'bogus'.*
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: kmem_cache_free_debug\+0x[0-9a-f]+
 * expect: main\+0x[0-9a-f]+
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
