/*
 * badcache: a buffer freed to a cache it did not come from.
 *
 * modes: static
 * expect: slabtrace: buffer freed to wrong cache
 * expect: buffer was allocated from wrong_a,
 * expect: caller attempting free to wrong_b\.
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: wrong_b
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: thread=[0-9]+  time=T-[0-9]+\.[0-9]{9}  slab=[0-9a-f]+  cache: wrong_a
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <slabtrace.h>

int
main(void)
{
	kmem_cache_t *a = kmem_cache_create("wrong_a", 48, 0, NULL, NULL,
	    NULL, NULL, NULL, 0);
	kmem_cache_t *b = kmem_cache_create("wrong_b", 48, 0, NULL, NULL,
	    NULL, NULL, NULL, 0);
	void *volatile buf = kmem_cache_alloc(a, KM_SLEEP);

	kmem_cache_free(b, buf);        /* the bug */
	return (0);
}
