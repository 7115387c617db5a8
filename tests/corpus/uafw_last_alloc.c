/*
 * category: uafw
 * bug: after the program's last allocation and free, the last freed
 * buffer is written to.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile bufs[8];

int
main(void)
{
	int i;

	for (i = 0; i < 8; i++) {
		bufs[i] = malloc(48 + 16 * i);
		memset(bufs[i], 'a' + i, 48 + 16 * i);
	}
#ifndef BAD
	bufs[7][0] = 0;
#endif
	for (i = 0; i < 8; i++)
		free(bufs[i]);
#ifdef BAD
	bufs[7][0] = 0;         /* the bug: after the last free */
#endif
	return (0);
}
