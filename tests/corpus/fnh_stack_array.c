/*
 * category: fnh
 * bug: a release function that frees its argument is given a stack array
 * instead of a heap buffer.
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void
release(char *p)
{
	free(p);
}

int
main(void)
{
	char local[64];
	char *buf;

#ifdef BAD
	buf = local;            /* the bug: a stack buffer */
#else
	buf = malloc(sizeof (local));
#endif
	strcpy(buf, "temporary");
	local[0] = buf[0];
	release(buf);
	return (0);
}
