/*
 * category: fnh
 * bug: a program name taken from argv[0] (on the initial stack) is freed
 * like the strdup'd names it is mixed with.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile progname;

int
main(int argc, char **argv)
{
	(void) argc;
#ifdef BAD
	progname = argv[0];     /* the bug: not a heap copy */
#else
	progname = strdup(argv[0]);
#endif
	if (strlen(progname) == 0)
		return (1);
	free(progname);
	return (0);
}
