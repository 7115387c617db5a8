/*
 * category: uafr
 * bug: a field of a freed struct is printed.
 */
#include <stdio.h>
#include <stdlib.h>

struct user {
	int uid;
	int gid;
	char name[24];
};

static struct user *volatile u;

int
main(void)
{
	u = malloc(sizeof (*u));
	int gid;

	u->uid = 1000;
	u->gid = 100;
#ifdef BAD
	free(u);
	gid = u->gid;           /* the bug */
#else
	gid = u->gid;
	free(u);
#endif
	printf("gid %d\n", gid);
	return (0);
}
