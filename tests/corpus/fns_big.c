/*
 * category: fns
 * bug: a pointer 4096 bytes into a 200000-byte buffer is freed.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;
static char *volatile body;

int
main(void)
{
	p = malloc(200000);

	memset(p, 0, 200000);
	body = p + 4096;        /* past a "header page" */
#ifdef BAD
	free(body);             /* the bug */
#else
	free(p);
#endif
	return (0);
}
