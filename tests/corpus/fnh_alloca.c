/*
 * category: fnh
 * bug: a buffer from alloca is freed.
 */
#include <alloca.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static size_t
work(size_t n)
{
#ifdef BAD
	char *volatile tmp = alloca(n);
#else
	char *volatile tmp = malloc(n);
#endif
	size_t len;

	memset(tmp, 'x', n - 1);
	tmp[n - 1] = '\0';
	len = strlen(tmp);
	free(tmp);              /* BAD: alloca memory */
	return (len);
}

int
main(void)
{
	return (work(100) == 99 ? 0 : 1);
}
