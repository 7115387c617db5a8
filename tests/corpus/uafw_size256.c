/*
 * category: uafw
 * bug: a whole freed 256-byte buffer is overwritten by memset; then
 * 1000 buffers of the same size are allocated and freed one at a time.
 */
#include <stdlib.h>
#include <string.h>

static unsigned char *volatile p;

int
main(void)
{
	p = malloc(256);
	int i;

	memset(p, 1, 256);
	free(p);
#ifdef BAD
	memset(p, 0x3f, 256);   /* the bug */
#endif
	for (i = 0; i < 1000; i++) {
		unsigned char *volatile q = malloc(256);

		q[i % 256] = 1;
		free(q);
	}
	return (0);
}
