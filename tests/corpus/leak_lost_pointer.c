/*
 * category: leak
 * bug: the only pointer to a malloc'd buffer goes out of scope without
 * being freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static size_t
format_len(int v)
{
	char *buf = malloc(64);
	size_t n;

	snprintf(buf, 64, "value=%d", v);
	n = strlen(buf);
#ifndef BAD
	free(buf);
#endif
	return (n);             /* BAD: buf is lost */
}

int
main(void)
{
	return (format_len(42) == 8 ? 0 : 1);
}
