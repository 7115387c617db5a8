/*
 * category: ovfw
 * modes: 0xf default fw fwbelow
 * bug: a loop stamps the flags field of the element one past the end of
 * an array of 64-byte records: the write lands 32 bytes past the buffer,
 * beyond the allocator's tag right after it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct slot {
	uint64_t key[4];
	uint32_t flags;         /* offset 32 */
	uint32_t refs;
	uint64_t pad[3];
};

__attribute__((noinline)) static void
mark(struct slot *s, int i)
{
	s[i].flags = 1;
}

int
main(void)
{
	int n = 4, i;
	struct slot *slots = calloc(n, sizeof (*slots));

	if (slots == NULL)
		return (1);
#ifdef BAD
	for (i = 0; i <= n; i++)        /* the bug: <= */
#else
	for (i = 0; i < n; i++)
#endif
		mark(slots, i);
	for (i = 0; i < n; i++)
		slots[0].refs += slots[i].flags;
	printf("%u marked\n", slots[0].refs);
	free(slots);
	return (0);
}
