/*
 * category: ovfr
 * bug: a search loop over an array of 4 structs reads the key of a fifth.
 */
#include <stdio.h>
#include <stdlib.h>

struct kv {
	long key;
	long value;
};

__attribute__((noinline)) static long
lookup(const struct kv *t, int n, long key)
{
	int i;

#ifdef BAD
	for (i = 0; i <= n; i++)        /* the bug */
#else
	for (i = 0; i < n; i++)
#endif
		if (t[i].key == key)
			return (t[i].value);
	return (-1);
}

int
main(void)
{
	struct kv *t = malloc(4 * sizeof (*t));
	int i;

	for (i = 0; i < 4; i++) {
		t[i].key = i;
		t[i].value = i * i;
	}
	printf("%ld\n", lookup(t, 4, 99));      /* not there: all are read */
	free(t);
	return (0);
}
