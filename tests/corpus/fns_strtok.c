/*
 * category: fns
 * bug: the second token from strtok on a strdup'd line is freed, not the
 * line.
 */
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	char *line = strdup("key = value");
	char *key = strtok(line, " =");
	char *value = strtok(NULL, " =");
	int ok = key != NULL && value != NULL && strcmp(value, "value") == 0;

#ifdef BAD
	free(value);            /* the bug */
#else
	free(line);
#endif
	return (ok ? 0 : 1);
}
