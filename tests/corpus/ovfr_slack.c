/*
 * category: ovfr
 * bug: the byte just past the end of a 10-byte buffer is read.
 *
 * modes: none
 * (a firewall buffer must stay 16-byte aligned for malloc, so a 10-byte
 * one ends 6 bytes before its guard page: a read of that slack cannot
 * fault, as the README says; valgrind and ASan catch it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile p;

int
main(void)
{
	p = malloc(10);
	int i, sum = 0;

	memset(p, 1, 10);
#ifdef BAD
	for (i = 0; i <= 10; i++)       /* the bug */
#else
	for (i = 0; i < 10; i++)
#endif
		sum += p[i];
	printf("%d\n", sum);
	free(p);
	return (0);
}
