/*
 * category: fnh
 * bug: a static scratch array is freed as if it came from malloc.
 */
#include <stdlib.h>
#include <string.h>

static char scratch[128];

__attribute__((noinline)) static char *
get_buffer(size_t n)
{
#ifdef BAD
	(void) n;
	return (scratch);       /* the bug: the caller frees it */
#else
	return (malloc(n));
#endif
}

int
main(void)
{
	char *b = get_buffer(sizeof (scratch));

	memset(b, 0, 128);
	free(b);
	return (0);
}
