/*
 * category: ovfw
 * bug: a buffer allocated for a small struct is cast to a larger one whose
 * last field (8 bytes after the end) is set; the first bytes past the
 * end are left alone.
 *
 * modes: 0xf default fw fwbelow
 * (not lite: lite checks the first byte past the end, which this bug does
 * not touch)
 */
#include <stdlib.h>

struct small {
	long id;
	long flags;
};

struct large {
	long id;
	long flags;
	long reserved;
	long owner;
};

static struct small *volatile s;

int
main(void)
{
	s = malloc(sizeof (struct small));
	struct large *l;

	s->id = 1;
	s->flags = 0;
	l = (struct large *)s;
#ifdef BAD
	l->owner = 1000;        /* the bug: bytes 24..31 of a 16-byte buffer */
#else
	l->flags = 1000;
#endif
	free(s);
	return (0);
}
