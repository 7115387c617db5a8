/*
 * category: ovfw
 * bug: memset writes 8 bytes past the end of a 100-byte buffer.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;

int
main(void)
{
	size_t n = 100;
	p = malloc(n);

#ifdef BAD
	memset(p, ' ', n + 8);  /* the bug */
#else
	memset(p, ' ', n);
#endif
	free(p);
	return (0);
}
