/*
 * category: ovfw
 * bug: a global buffer kept until exit (never freed) is overflowed by
 * its string terminator.
 */
#include <stdlib.h>
#include <string.h>

static char *volatile banner;

int
main(void)
{
	const char *text = "slabtrace 1.0 ready";   /* 19 characters */
	size_t n = strlen(text);

#ifdef BAD
	banner = malloc(n);                     /* the bug: no room for NUL */
#else
	banner = malloc(n + 1);
#endif
	memcpy(banner, text, n);
	banner[n] = '\0';
	return (0);
}
