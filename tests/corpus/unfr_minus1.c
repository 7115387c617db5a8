/*
 * category: unfr
 * bug: an array of 8 ints is summed from index -1, reading the word
 * before it; the sum is printed and the program carries on.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static long
sum(const int *a, int n)
{
	long s = 0;
	int i;

#ifdef BAD
	for (i = -1; i < n; i++)        /* the bug */
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
