/*
 * category: fnh
 * bug: a configuration pointer that falls back to a global default struct
 * is always freed.
 */
#include <stdlib.h>
#include <string.h>

struct config {
	int verbose;
	int retries;
	char path[64];
};

struct config default_config = { 0, 3, "/etc/app.conf" };

__attribute__((noinline)) static struct config *
load_config(int have_file)
{
	struct config *c;

	if (!have_file)
#ifdef BAD
		return (&default_config);       /* the bug: then freed */
#else
		return (memcpy(malloc(sizeof (*c)), &default_config,
		    sizeof (*c)));
#endif
	c = calloc(1, sizeof (*c));
	return (c);
}

int
main(void)
{
	struct config *c = load_config(0);
	int r = c->retries;

	free(c);
	return (r == 3 ? 0 : 1);
}
