/*
 * noabort: UMEM_DEBUG=noabort reports and goes on, with no panic and no
 * dump.
 *
 * env: UMEM_DEBUG=default,noabort
 * signal: none
 * status: 3
 * dump: no
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: slabtrace: redzone violation: write past end of buffer
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(40), *volatile q = malloc(24);

	free(p);
	free(p);
	((volatile char *)q)[24] = 1;
	free(q);
	return (3);
}
