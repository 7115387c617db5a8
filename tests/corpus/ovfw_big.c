/*
 * category: ovfw
 * bug: a 200000-byte buffer is overflowed by 8 bytes.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;

int
main(void)
{
	size_t n = 200000;
	p = malloc(n);

#ifdef BAD
	memset(p, 0, n + 8);    /* the bug */
#else
	memset(p, 0, n);
#endif
	free(p);
	return (0);
}
