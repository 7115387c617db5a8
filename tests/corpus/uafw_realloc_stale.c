/*
 * category: uafw
 * bug: a buffer is grown with realloc, and the old pointer is written
 * through after realloc moved it.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile buf;

int
main(void)
{
	buf = malloc(16);
	char *grown;
	size_t n;

	strcpy(buf, "abc");
	grown = realloc(buf, 4096);
#ifdef BAD
	buf[0] = 'X';           /* the bug: the old pointer */
#else
	grown[0] = 'X';
#endif
	n = strlen(grown);
	free(grown);
	return (n == 3 ? 0 : 1);
}
