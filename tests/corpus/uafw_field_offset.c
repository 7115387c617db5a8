/*
 * category: uafw
 * bug: a counter at offset 40 of a freed struct is incremented, then main
 * returns.
 *
 * modes: 0xf default fw fwbelow
 * (not lite: lite checks only the first word of a freed buffer, as the
 * README says, and this write is at offset 40)
 */
#include <stdlib.h>
#include <string.h>

struct entry {
	char key[40];
	long hits;
};

static struct entry *volatile e;

int
main(void)
{
	e = malloc(sizeof (*e));

	strcpy(e->key, "index.html");
	e->hits = 1;
#ifdef BAD
	free(e);
	e->hits++;              /* the bug */
#else
	e->hits++;
	free(e);
#endif
	return (0);
}
