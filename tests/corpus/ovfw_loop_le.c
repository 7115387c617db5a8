/*
 * category: ovfw
 * bug: an array of 10 ints is filled with "i <= n", one element too many.
 */
#include <stdlib.h>

static int *volatile a;

int
main(void)
{
	int n = 10;
	a = malloc(n * sizeof (int));
	long s = 0;
	int i;

#ifdef BAD
	for (i = 0; i <= n; i++)        /* the bug */
#else
	for (i = 0; i < n; i++)
#endif
		a[i] = i;
	for (i = 0; i < n; i++)
		s += a[i];
	free(a);
	return (s == 45 ? 0 : 1);
}
