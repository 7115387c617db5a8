/*
 * category: ovfw
 * bug: a string is copied into malloc(strlen(s)), one byte short for its
 * terminating NUL.
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static char *
dup(const char *s)
{
#ifdef BAD
	char *d = malloc(strlen(s));            /* the bug: no room for NUL */
#else
	char *d = malloc(strlen(s) + 1);
#endif
	strcpy(d, s);
	return (d);
}

int
main(void)
{
	char *d = dup("0123456789abcdef0123456789abcdef");    /* 32 */
	size_t n = strlen(d);

	free(d);
	return (n == 32 ? 0 : 1);
}
