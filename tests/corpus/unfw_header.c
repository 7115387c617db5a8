/*
 * category: unfw
 * bug: code that assumes a length header before every buffer writes it
 * (16 bytes before a plain malloc'd buffer).
 */
#include <stdlib.h>
#include <string.h>

struct hdr {
	size_t len;
	size_t magic;
};

static char *volatile s;

int
main(void)
{
	s = malloc(48);

	strcpy(s, "not a counted string");
#ifdef BAD
	{
		struct hdr *h = (struct hdr *)(void *)s - 1;    /* the bug */
		h->len = strlen(s);
		h->magic = 0x5354;
	}
#endif
	free(s);
	return (0);
}
