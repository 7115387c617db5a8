/*
 * category: unfw
 * bug: a long is stored at index -1 of a long array: the 8 bytes before
 * the buffer.
 */
#include <stdlib.h>

static long *volatile prev;
static long *volatile a;
static long *volatile next;

int
main(void)
{
	prev = malloc(64);
	a = malloc(64);
	next = malloc(64);
	int i;

	for (i = 0; i < 8; i++)
		prev[i] = a[i] = next[i] = i;
#ifdef BAD
	a[-1] = -1;             /* the bug */
#else
	a[0] = -1;
#endif
	free(a);
	free(prev);
	free(next);
	return (0);
}
