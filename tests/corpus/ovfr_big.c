/*
 * category: ovfr
 * bug: the int just past the end of a 200000-byte buffer is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *volatile p;

int
main(void)
{
	int n = 50000;                  /* 200000 bytes */
	p = malloc(n * sizeof (int));

	memset(p, 0, n * sizeof (int));
#ifdef BAD
	printf("%d\n", p[n]);           /* the bug */
#else
	printf("%d\n", p[n - 1]);
#endif
	free(p);
	return (0);
}
