/*
 * badsize: kmem_free with a size that is not the one allocated.
 *
 * modes: static
 * expect: slabtrace: bad free: free size != alloc size
 * expect: free size \(104\) != alloc size \(100\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_112
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <slabtrace.h>

int
main(void)
{
	void *volatile buf = kmem_alloc(100, KM_SLEEP);

	kmem_free(buf, 104);            /* the bug */
	return (0);
}
