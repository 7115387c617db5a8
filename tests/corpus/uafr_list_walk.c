/*
 * category: uafr
 * bug: a list is freed with "for (n = head; n; n = n->next) free(n)",
 * which reads n->next from the node it just freed.
 */
#include <stdlib.h>

struct node {
	int value;
	struct node *next;
};

int
main(void)
{
	struct node *head = NULL, *n, *next;
	int i;

	for (i = 0; i < 10; i++) {
		n = malloc(sizeof (*n));
		n->value = i;
		n->next = head;
		head = n;
	}
#ifdef BAD
	for (n = head; n != NULL; n = n->next)  /* the bug */
		free(n);
	(void) next;
#else
	for (n = head; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
#endif
	return (0);
}
