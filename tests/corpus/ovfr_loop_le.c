/*
 * category: ovfr
 * bug: an array of 8 ints is summed with "i <= n", reading one element
 * past its end.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static long
sum(const int *a, int n)
{
	long s = 0;
	int i;

#ifdef BAD
	for (i = 0; i <= n; i++)        /* the bug */
#else
	for (i = 0; i < n; i++)
#endif
		s += a[i];
	return (s);
}

int
main(void)
{
	int n = 8, i;
	int *a = malloc(n * sizeof (int));

	for (i = 0; i < n; i++)
		a[i] = 1;
	printf("%ld\n", sum(a, n));
	free(a);
	return (0);
}
