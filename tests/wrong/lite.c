/*
 * lite: UMEM_DEBUG=lite checks the first word and keeps the last callers.
 *
 * env: UMEM_DEBUG=lite
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: last callers \(newest first\):
 * expect: \s*wrong_lite_free\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>

__attribute__((noinline)) void
wrong_lite_free(void *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");      /* no tail call */
}

int
main(void)
{
	char *volatile p = malloc(80);

	wrong_lite_free(p);
	wrong_lite_free(p);             /* the bug */
	return (0);
}
