/*
 * category: ovfw
 * bug: an int array is allocated with malloc(n) instead of
 * malloc(n * sizeof (int)) and filled: 48 bytes past the end are written.
 */
#include <stdlib.h>

static int *volatile v;

int
main(void)
{
	int n = 16, i;
#ifdef BAD
	v = malloc(n);            /* the bug */
#else
	v = malloc(n * sizeof (int));
#endif

	for (i = 0; i < n; i++)
		v[i] = -1;
	free(v);
	return (0);
}
