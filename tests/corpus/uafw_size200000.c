/*
 * category: uafw
 * bug: the first 64 bytes of a freed 200000-byte buffer are cleared; then
 * another buffer of that size is allocated and freed.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;
static char *volatile q;

int
main(void)
{
	p = malloc(200000);

	memset(p, 'p', 200000);
	free(p);
#ifdef BAD
	memset(p, 0, 64);       /* the bug */
#endif
	q = malloc(200000);
	memset(q, 'q', 200000);
	free(q);
	return (0);
}
