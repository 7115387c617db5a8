/*
 * category: unfr
 * bug: a ring buffer's "previous entry" is computed as head - 1 without
 * wrapping, so with head at 0 it reads the entry before the array.
 */
#include <stdio.h>
#include <stdlib.h>

struct ring {
	int *slots;
	unsigned n, head;
};

__attribute__((noinline)) static int
ring_prev(const struct ring *r)
{
#ifdef BAD
	return (r->slots[(int)r->head - 1]);    /* the bug: no wrap */
#else
	return (r->slots[(r->head + r->n - 1) % r->n]);
#endif
}

int
main(void)
{
	struct ring r = { NULL, 8, 0 };
	unsigned i;

	r.slots = malloc(r.n * sizeof (int));
	for (i = 0; i < r.n; i++)
		r.slots[i] = (int)i * 10;
	printf("%d\n", ring_prev(&r) % 1000);
	free(r.slots);
	return (0);
}
