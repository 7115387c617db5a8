/*
 * category: fnh
 * bug: the address of a member of a struct on the stack is freed.
 */
#include <stdlib.h>
#include <string.h>

struct request {
	int id;
	char *body;             /* heap */
	char inline_body[32];   /* or inline, for short bodies */
};

__attribute__((noinline)) static void
request_set(struct request *r, const char *s)
{
	strcpy(r->inline_body, s);
#ifdef BAD
	r->body = r->inline_body;       /* then freed as if heap */
#else
	r->body = strdup(s);
#endif
}

int
main(void)
{
	struct request r;

	r.id = 1;
	request_set(&r, "GET /");
	free(r.body);           /* BAD: &r.inline_body[0] */
	return (0);
}
