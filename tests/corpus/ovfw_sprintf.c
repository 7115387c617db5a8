/*
 * category: ovfw
 * bug: sprintf formats a user name into a 16-byte buffer that is too
 * small for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	const char *volatile user = "administrator";
	int id = 1234;
#ifdef BAD
	char *buf = malloc(16);                 /* the bug: too small */
#else
	char *buf = malloc(32);
#endif
	size_t n;

	sprintf(buf, "%s-%d.log", user, id);    /* 22 bytes and a NUL */
	n = strlen(buf);
	free(buf);
	return (n == 22 ? 0 : 1);
}
