/*
 * category: uafw
 * bug: the first field of a freed struct is written, and main returns at
 * once (no allocation follows the write).
 */
#include <stdlib.h>
#include <string.h>

struct job {
	int state;
	int prio;
	char name[32];
	struct job *next;
};

static struct job *volatile j;

int
main(void)
{
	j = calloc(1, sizeof (*j));

	j->prio = 3;
	strcpy(j->name, "backup");
#ifdef BAD
	free(j);
	j->state = 2;           /* the bug: "done", after free */
#else
	j->state = 2;
	free(j);
#endif
	return (0);
}
