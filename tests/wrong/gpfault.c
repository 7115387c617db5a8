/*
 * gpfault: a pointer loaded from memory filled with '?' is not canonical;
 * x86-64 reports a general protection fault with no address, and the
 * panic message decodes it from the faulting instruction, as in the
 * seed's first dump.
 *
 * env: SLABTRACE_RUN=1
 * signal: SEGV
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: general protection fault on address 0x3f3f3f3f3f3f3f3f, pc=wrong_store\+0x[0-9a-f]+
 * gdb: wrong_store
 */
#include <stdlib.h>
#include <string.h>

struct node { long v; struct node *next; };

__attribute__((noinline)) void
wrong_store(struct node *n)
{
	n->next->v = 1;
}

int
main(void)
{
	struct node *volatile n = malloc(sizeof (*n));

	memset(n, '?', sizeof (*n));    /* the bug */
	wrong_store(n);
	return (0);
}
