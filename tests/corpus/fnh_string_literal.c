/*
 * category: fnh
 * bug: a name is either strdup'd or a string literal default, and it is
 * always freed.
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static char *
user_name(const char *env)
{
	if (env != NULL)
		return (strdup(env));
#ifdef BAD
	return ("nobody");      /* the bug: the caller frees it */
#else
	return (strdup("nobody"));
#endif
}

static char *volatile name;

int
main(void)
{
	name = user_name(NULL);
	size_t n = strlen(name);

	free(name);
	return (n == 6 ? 0 : 1);
}
