/*
 * category: fns
 * bug: a parsing loop advances the buffer pointer with ++p, then frees p.
 */
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	char *p = strdup("   indented line");
	char *start = p;
	int spaces = 0;

	while (*p == ' ') {
		++p;
		spaces++;
	}
#ifdef BAD
	free(p);                /* the bug: p moved */
	(void) start;
#else
	free(start);
#endif
	return (spaces == 3 ? 0 : 1);
}
