/*
 * category: unfw
 * bug: "replace the last element" on an empty array stores at
 * count - 1 = -1.
 */
#include <stdlib.h>

struct stack {
	int *items;
	int count;
};

__attribute__((noinline)) static void
replace_top(struct stack *s, int v)
{
#ifdef BAD
	s->items[s->count - 1] = v;     /* the bug: count may be 0 */
#else
	if (s->count > 0)
		s->items[s->count - 1] = v;
#endif
}

static struct stack *volatile stk;
static int *volatile before;

int
main(void)
{
	before = malloc(16 * sizeof (int));
	before[0] = 0;
	stk = malloc(sizeof (struct stack));
	stk->items = malloc(16 * sizeof (int));
	stk->count = 0;
	replace_top(stk, 99);
	free(stk->items);
	free(stk);
	free(before);
	return (0);
}
