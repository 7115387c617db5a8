/*
 * category: ovfw
 * bug: a struct is copied with memcpy using the size of a larger struct
 * than the one allocated.
 */
#include <stdlib.h>
#include <string.h>

struct hdr {
	int type;
	int len;
};

struct msg {
	struct hdr h;
	char body[24];
};

static struct hdr *volatile h;

int
main(void)
{
	struct msg m = { { 1, 24 }, "payload" };

#ifdef BAD
	h = malloc(sizeof (struct hdr));
	memcpy(h, &m, sizeof (m));              /* the bug: sizeof (msg) */
#else
	h = malloc(sizeof (struct msg));
	memcpy(h, &m, sizeof (m));
#endif
	free(h);
	return (0);
}
