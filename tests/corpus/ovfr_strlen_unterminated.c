/*
 * category: ovfr
 * bug: strlen runs off the end of a 10-byte buffer filled without a
 * terminating NUL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile id;

int
main(void)
{
#ifdef BAD
	id = malloc(10);
	memcpy(id, "0123456789", 10);           /* the bug: no NUL */
#else
	id = malloc(11);
	memcpy(id, "0123456789", 11);
#endif
	printf("%zu\n", strlen(id));
	free(id);
	return (0);
}
