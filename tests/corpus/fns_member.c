/*
 * category: fns
 * bug: the address of a struct's payload member (offset 16) is freed
 * instead of the struct.
 */
#include <stdlib.h>
#include <string.h>

struct packet {
	long seq;
	long len;
	char payload[48];
};

__attribute__((noinline)) static void
free_packet(struct packet *p)
{
#ifdef BAD
	free(p->payload);       /* the bug: p + 16 */
#else
	free(p);
#endif
}

int
main(void)
{
	struct packet *p = malloc(sizeof (*p));

	p->seq = 1;
	p->len = 5;
	memcpy(p->payload, "hello", 5);
	free_packet(p);
	return (0);
}
