/*
 * category: uafw
 * bug: a freed 16-byte buffer is written (one int at offset 0) and main
 * returns.
 */
#include <stdlib.h>
#include <string.h>

static int *volatile p;

int
main(void)
{
	p = malloc(16);

	memset(p, 0, 16);
	free(p);
#ifdef BAD
	p[0] = 42;
#endif
	return (0);
}
