/*
 * category: df
 * bug: a 200000-byte buffer (beyond the largest kmem_alloc cache) is
 * freed twice, with a smaller allocation in between.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile big;
static char *volatile small;

int
main(void)
{
	big = malloc(200000);

	memset(big, 1, 200000);
	free(big);
	small = malloc(64);
	memset(small, 2, 64);
	free(small);
#ifdef BAD
	free(big);
#endif
	return (0);
}
