/*
 * category: df
 * bug: a buffer is freed, then freed again on the next line.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;

int
main(void)
{
	p = malloc(40);

	strcpy(p, "hello, world");
	free(p);
#ifdef BAD
	free(p);
#endif
	return (0);
}
