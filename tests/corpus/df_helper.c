/*
 * category: df
 * bug: a parsing helper frees the line on its error path, and the caller,
 * which owns the line, frees it too.
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static int
parse(char *line)
{
	if (line[0] != '#')
		return (0);
#ifdef BAD
	free(line);             /* the bug: the caller owns it */
#endif
	return (-1);
}

int
main(void)
{
	char *line = strdup("# a comment, not a setting");
	int bad = 0;

	if (parse(line) < 0)
		bad++;
	free(line);
	return (bad == 1 ? 0 : 1);
}
