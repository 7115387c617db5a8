/*
 * category: uafw
 * bug: an object is created with one reference but released by two
 * holders: the second release decrements the count of a freed object.
 */
#include <stdlib.h>
#include <string.h>

struct obj {
	int refs;
	char data[60];
};

__attribute__((noinline)) static void
obj_release(struct obj *o)
{
	if (--o->refs == 0)
		free(o);
}

int
main(void)
{
	struct obj *o = malloc(sizeof (*o));

	strcpy(o->data, "shared");
#ifdef BAD
	o->refs = 1;            /* the bug: the second holder took none */
#else
	o->refs = 2;
#endif
	obj_release(o);         /* holder one */
	obj_release(o);         /* holder two */
	return (0);
}
