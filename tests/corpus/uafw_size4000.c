/*
 * category: uafw
 * bug: the first int of a freed 4000-byte buffer is written; then buffers
 * of several sizes, 4000 among them, are allocated and freed.
 */
#include <stdlib.h>
#include <string.h>

static int *volatile p;

int
main(void)
{
	p = malloc(4000);
	static const size_t sizes[] = { 32, 4000, 500, 4000, 4000, 64 };
	void *keep[6];
	int i;

	memset(p, 0, 4000);
	free(p);
#ifdef BAD
	p[0] = -1;              /* the bug */
#endif
	for (i = 0; i < 6; i++) {
		keep[i] = malloc(sizes[i]);
		memset(keep[i], 0, sizes[i]);
	}
	for (i = 0; i < 6; i++)
		free(keep[i]);
	return (0);
}
