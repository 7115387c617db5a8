/*
 * category: unfw
 * bug: a string reversal loops with "i <= len" and stores the source's
 * NUL at index -1 of the destination.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void
reverse(char *dst, const char *src, size_t len)
{
	size_t i;

#ifdef BAD
	for (i = 0; i <= len; i++)      /* the bug */
#else
	for (i = 0; i < len; i++)
#endif
		dst[len - 1 - i] = src[i];
	dst[len] = '\0';
}

int
main(void)
{
	const char *s = "stressed";
	size_t len = strlen(s);
	char *r = malloc(len + 1);

	reverse(r, s, len);
	printf("%s\n", r);
	free(r);
	return (0);
}
