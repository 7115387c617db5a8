/*
 * category: uafr
 * bug: the start of a freed 200000-byte buffer is summed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *volatile p;

int
main(void)
{
	p = malloc(200000);
	long s = 0;
	int i;

	memset(p, 0, 200000);
	for (i = 0; i < 100; i++)
		p[i] = i;
#ifdef BAD
	free(p);
#endif
	for (i = 0; i < 100; i++)
		s += p[i];      /* BAD: after free */
#ifndef BAD
	free(p);
#endif
	printf("%ld\n", s);
	return (0);
}
