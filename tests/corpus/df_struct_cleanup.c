/*
 * category: df
 * bug: a cleanup function frees a struct's members without clearing them,
 * and is called twice (error path, then exit path): name is freed twice.
 */
#include <stdlib.h>
#include <string.h>

struct conn {
	int fd;
	char *name;
	char *buf;
};

__attribute__((noinline)) static void
conn_cleanup(struct conn *c)
{
	free(c->name);
	free(c->buf);
#ifndef BAD
	c->name = NULL;
	c->buf = NULL;
#endif
}

int
main(void)
{
	struct conn *c = calloc(1, sizeof (*c));

	c->fd = -1;
	c->name = strdup("database");
	c->buf = malloc(512);
	memset(c->buf, 0, 512);
	if (c->fd < 0)
		conn_cleanup(c);        /* "connect failed" */
	conn_cleanup(c);                /* and the common exit path */
	free(c);
	return (0);
}
