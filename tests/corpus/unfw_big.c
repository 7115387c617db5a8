/*
 * category: unfw
 * bug: the 8 bytes before a 200000-byte buffer are cleared.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;

int
main(void)
{
	p = malloc(200000);

	memset(p, 1, 200000);
#ifdef BAD
	memset(p - 8, 0, 8);    /* the bug */
#endif
	free(p);
	return (0);
}
