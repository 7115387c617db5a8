/*
 * category: unfr
 * bug: a string is copied backwards with the index off by one: the last
 * step reads the byte before the source buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void
reverse_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
#ifdef BAD
		dst[i] = src[n - i - 2];        /* the bug: src[-1] last */
#else
		dst[i] = src[n - i - 1];
#endif
	dst[n] = '\0';
}

int
main(void)
{
	const char *word = "allocator";
	size_t n = strlen(word);
	char *src = malloc(n), *dst = malloc(n + 1);

	memcpy(src, word, n);
	reverse_copy(dst, src, n);
	printf("%s\n", dst);
	free(src);
	free(dst);
	return (0);
}
