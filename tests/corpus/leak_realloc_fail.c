/*
 * category: leak
 * bug: "p = realloc(p, n)": when realloc fails the only pointer to the
 * old buffer is overwritten with NULL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	char *p = malloc(100);
	volatile size_t huge = (size_t)1 << 46;         /* 64 TiB: fails */

	memset(p, 0, 100);
#ifdef BAD
	p = realloc(p, huge);   /* the bug */
	if (p == NULL)
		return (0);     /* "out of memory": the old buffer is lost */
#else
	{
		char *q = realloc(p, huge);

		if (q == NULL) {
			free(p);
			return (0);
		}
		p = q;
	}
#endif
	free(p);
	return (0);
}
