/*
 * category: df
 * bug: a table slot is a shallow copy of another slot, and the cleanup
 * loop frees every slot: the shared string is freed twice.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile names[4];

int
main(void)
{
	int i;

	names[0] = strdup("alpha");
	names[1] = strdup("beta");
#ifdef BAD
	names[2] = names[0];            /* the bug: not a copy */
#else
	names[2] = strdup(names[0]);
#endif
	names[3] = strdup("delta");
	for (i = 0; i < 4; i++)
		free(names[i]);
	return (0);
}
