/*
 * category: unfw
 * bug: a buffer is handed out as if a 32-byte header had been allocated
 * in front of it, and the header is written there: 32 bytes before the
 * start of the program's only buffer of its size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hdr {
	uint64_t magic;
	uint64_t len;
	uint64_t owner;
	uint64_t next;
};

__attribute__((noinline)) static void
stamp(struct hdr *h, size_t len)
{
	h->magic = 0x48445221;
	h->len = len;
}

int
main(void)
{
	size_t len = 20;
	char *data = malloc(len);
#ifndef BAD
	char *block = malloc(sizeof (struct hdr));
#endif

	if (data == NULL)
		return (1);
	memset(data, 'x', len);
#ifdef BAD
	stamp((struct hdr *)(void *)data - 1, len);     /* the bug */
#else
	if (block == NULL)
		return (1);
	stamp((struct hdr *)(void *)block, len);
	free(block);
#endif
	printf("%.*s\n", (int)len, data);
	free(data);
	return (0);
}
