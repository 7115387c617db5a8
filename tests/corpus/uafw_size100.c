/*
 * category: uafw
 * bug: a string is copied into a freed 100-byte buffer; then 100 buffers
 * of the same size are allocated and freed.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;

int
main(void)
{
	p = malloc(100);
	char *more[100];
	int i;

	memset(p, 0, 100);
#ifdef BAD
	free(p);
	strcpy(p, "late");      /* the bug */
#else
	strcpy(p, "late");
	free(p);
#endif
	for (i = 0; i < 100; i++) {
		more[i] = malloc(100);
		more[i][0] = (char)i;
	}
	for (i = 0; i < 100; i++)
		free(more[i]);
	return (0);
}
