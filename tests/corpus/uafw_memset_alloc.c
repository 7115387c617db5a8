/*
 * category: uafw
 * bug: a freed 64-byte buffer is cleared with memset, then the program
 * keeps allocating buffers of the same size.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile buf;

int
main(void)
{
	buf = malloc(64);
	char *keep[200];
	int i;

	strcpy(buf, "session token");
#ifdef BAD
	free(buf);
	memset(buf, 0, 64);     /* the bug: "scrub the secret", too late */
#else
	memset(buf, 0, 64);
	free(buf);
#endif
	for (i = 0; i < 200; i++) {
		keep[i] = malloc(64);
		memset(keep[i], i, 64);
	}
	for (i = 0; i < 200; i++)
		free(keep[i]);
	return (0);
}
