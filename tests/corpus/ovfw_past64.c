/*
 * category: ovfw
 * bug: a loop writes 64 bytes past the end of a 256-byte buffer, over
 * the memory after it; the buffer is freed before its neighbour.
 */
#include <stdlib.h>

static unsigned char *volatile p;
static unsigned char *volatile q;

int
main(void)
{
	p = malloc(256);
	q = malloc(256);
	int i, n = 256;

	for (i = 0; i < n; i++)
		q[i] = 1;
#ifdef BAD
	for (i = 0; i < n + 64; i++)    /* the bug */
#else
	for (i = 0; i < n; i++)
#endif
		p[i] = (unsigned char)i;
	free(p);
	free(q);
	return (0);
}
