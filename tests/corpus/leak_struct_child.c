/*
 * category: leak
 * bug: a struct is freed without the child buffer it owns.
 */
#include <stdlib.h>
#include <string.h>

struct node {
	int id;
	char *label;
};

__attribute__((noinline)) static void
node_free(struct node *n)
{
#ifndef BAD
	free(n->label);
#endif
	free(n);                /* BAD: the label is lost */
}

int
main(void)
{
	struct node *n = malloc(sizeof (*n));

	n->id = 1;
	n->label = strdup("root node");
	node_free(n);
	return (0);
}
