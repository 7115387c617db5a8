/*
 * category: uafr
 * bug: an array is summed after it was freed.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static long
sum(const int *a, int n)
{
	long s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += a[i];
	return (s);
}

int
main(void)
{
	int *a = malloc(50 * sizeof (int));
	long s;
	int i;

	for (i = 0; i < 50; i++)
		a[i] = i;
#ifdef BAD
	free(a);
	s = sum(a, 50);         /* the bug */
#else
	s = sum(a, 50);
	free(a);
#endif
	printf("%ld\n", s);
	return (0);
}
