/*
 * category: leak
 * bug: a pointer to a buffer is overwritten with a new allocation before
 * the first buffer is freed.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile current;

int
main(void)
{
	current = strdup("first");
#ifndef BAD
	free(current);
#endif
	current = strdup("second");     /* BAD: "first" is lost */
	free(current);
	return (0);
}
