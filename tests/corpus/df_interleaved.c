/*
 * category: df
 * bug: the first of three buffers is freed again after the other two
 * were freed and buffers of other sizes were allocated.
 */
#include <stdlib.h>
#include <string.h>

static int *volatile a;
static int *volatile b;
static char *volatile c;
static char *volatile d;

int
main(void)
{
	a = malloc(64);
	b = malloc(64);
	c = malloc(200);

	a[0] = 1;
	b[0] = 2;
	memset(c, 'c', 200);
	free(a);
	free(b);
	free(c);
	d = malloc(1000);
	memset(d, 0, 1000);
	free(d);
#ifdef BAD
	free(a);
#endif
	return (0);
}
