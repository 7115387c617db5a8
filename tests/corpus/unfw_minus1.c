/*
 * category: unfw
 * bug: the byte before a 32-byte buffer (index -1) is written; the
 * buffers around it are freed afterwards.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile b[4];

int
main(void)
{
	int i;

	for (i = 0; i < 4; i++) {
		b[i] = malloc(32);
		memset(b[i], 'a', 32);
	}
#ifdef BAD
	b[2][-1] = 0;           /* the bug */
#else
	b[2][0] = 0;
#endif
	for (i = 0; i < 4; i++)
		free(b[i]);
	return (0);
}
