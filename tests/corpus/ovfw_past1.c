/*
 * category: ovfw
 * bug: one byte is written just past the end of a 32-byte buffer.
 */
#include <stdlib.h>
#include <string.h>

static unsigned char *volatile p;

int
main(void)
{
	p = malloc(32);

	memset(p, 0, 32);
#ifdef BAD
	p[32] = 0xff;           /* the bug */
#else
	p[31] = 0xff;
#endif
	free(p);
	return (0);
}
