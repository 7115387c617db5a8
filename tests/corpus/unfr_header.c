/*
 * category: unfr
 * bug: the program believes the allocator keeps each buffer's length in
 * the word before it, and reads it there.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct blob {
	size_t len;
	char data[];
};

__attribute__((noinline)) static size_t
blob_len(const char *data)
{
#ifdef BAD
	return (((const size_t *)(const void *)data)[-1]);   /* the bug */
#else
	return (((const struct blob *)(const void *)(data -
	    offsetof(struct blob, data)))->len);
#endif
}

int
main(void)
{
	struct blob *b = malloc(sizeof (*b) + 40);
	char *data;

	b->len = 40;
	memset(b->data, 'x', 40);
#ifdef BAD
	data = malloc(40);              /* a bare buffer, no length before it */
	memset(data, 'x', 40);
#else
	data = b->data;
#endif
	printf("%zu\n", blob_len(data) % 1000);
#ifdef BAD
	free(data);
#endif
	free(b);
	return (0);
}
