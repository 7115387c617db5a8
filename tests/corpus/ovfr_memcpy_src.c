/*
 * category: ovfr
 * bug: memcpy copies 56 bytes out of a 48-byte source buffer into a
 * large enough destination.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile src;
static char *volatile dst;

int
main(void)
{
	src = malloc(48);
	dst = malloc(64);
	size_t n = 48;

	memset(src, 's', 48);
#ifdef BAD
	n += 8;                 /* the bug: "plus the header" */
#endif
	memcpy(dst, src, n);
	printf("%c\n", dst[0]);
	free(src);
	free(dst);
	return (0);
}
