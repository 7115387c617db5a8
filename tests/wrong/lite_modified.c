/*
 * lite_modified: lite mode's fused malloc path (debug.c, section 6) finds
 * the first word of a freed buffer changed, and leaves the report to the
 * general path: the free's caller is the newest in the history.
 *
 * env: UMEM_DEBUG=lite
 * expect: slabtrace: buffer modified after being freed
 * expect: modification occurred at offset 0x0 \(0xdeadbeefdeadbeef replaced by 0x3f3f3f3f3f3f3f3f\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_224
 * expect: last callers \(newest first\):
 * expect: \s*lite_put\+0x[0-9a-f]+(  .*)?
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>

__attribute__((noinline)) void
lite_put(void *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");      /* no tail call */
}

int
main(void)
{
	long *volatile p = malloc(200);
	void *volatile q;

	lite_put(p);
	((volatile long *)p)[0] = 0x3f3f3f3f3f3f3f3fL;  /* the bug */
	q = malloc(200);
	return (q == NULL);
}
