/*
 * category: df
 * bug: realloc(p, 0) frees p (glibc returns NULL), and p is freed again.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile p;
static void *volatile q;

int
main(void)
{
	p = malloc(32);

	strcpy(p, "shrink me");
	q = realloc(p, 0);      /* frees p; NULL or a new buffer */
#ifdef BAD
	free(p);                /* the bug: p is gone */
	(void) q;
#else
	free(q);
#endif
	return (0);
}
