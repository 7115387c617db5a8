/*
 * category: ovfw
 * bug: an array of structs is indexed one past its last element.
 */
#include <stdlib.h>

struct rec {
	int id;
	int score;
	double weight;
};

__attribute__((noinline)) static void
set(struct rec *r, int i, int id)
{
	r[i].id = id;
	r[i].score = 0;
	r[i].weight = 1.0;
}

int
main(void)
{
	int n = 6, i;
	struct rec *recs = malloc(n * sizeof (*recs));

	for (i = 0; i < n; i++)
		set(recs, i, i);
#ifdef BAD
	set(recs, n, -1);       /* the bug: a sentinel with no room */
#endif
	free(recs);
	return (0);
}
