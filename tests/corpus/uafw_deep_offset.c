/*
 * category: uafw
 * bug: a total at offset 3000 of a freed 3008-byte struct is updated;
 * then structs of the same size are allocated.
 *
 * modes: 0xf default fw fwbelow
 * (not lite, which checks the first word only)
 */
#include <stdlib.h>
#include <string.h>

struct stats {
	unsigned char hist[3000];
	long total;
};

static struct stats *volatile s;

int
main(void)
{
	s = calloc(1, sizeof (*s));
	struct stats *more[10];
	int i;

	s->hist[7]++;
#ifdef BAD
	free(s);
	s->total++;             /* the bug */
#else
	s->total++;
	free(s);
#endif
	for (i = 0; i < 10; i++)
		more[i] = calloc(1, sizeof (struct stats));
	for (i = 0; i < 10; i++)
		free(more[i]);
	return (0);
}
