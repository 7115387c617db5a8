/*
 * category: fns
 * bug: a buffer is freed at p + 1.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;
static char *volatile s;

int
main(void)
{
	p = malloc(32);

	strcpy(p, "#comment");
	s = p + 1;              /* skip the '#' */
#ifdef BAD
	free(s);                /* the bug */
#else
	free(p);
#endif
	return (0);
}
