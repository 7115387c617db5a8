/*
 * category: uafr
 * bug: a string is freed and then duplicated with strdup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile name;

int
main(void)
{
	name = strdup("/etc/slabtrace/config.ini");
	char *copy;

#ifdef BAD
	free(name);
	copy = strdup(name);    /* the bug */
#else
	copy = strdup(name);
	free(name);
#endif
	printf("%zu\n", strlen(copy) > 0 ? (size_t)1 : (size_t)0);
	free(copy);
	return (0);
}
