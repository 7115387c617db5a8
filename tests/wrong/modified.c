/*
 * modified: a write to a freed buffer is found when the buffer leaves the
 * quarantine, and reported at the first differing word with the free's
 * stack.
 *
 * expect: slabtrace: buffer modified after being freed
 * expect: modification occurred at offset 0x8 \(0xdeadbeefdeadbeef replaced by 0x42\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_64
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: thread=[0-9]+  time=T-[0-9]+\.[0-9]{9}  slab=[0-9a-f]+  cache: kmem_alloc_64
 * expect: \s*free\+0x[0-9a-f]+(  .*)?
 * expect: \s*wrong_free_it\+0x[0-9a-f]+(  .*)?
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: \s*malloc\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*wrong_alloc_it\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * gdb: wrong_churn
 */
#include <stdlib.h>

__attribute__((noinline)) char *
wrong_alloc_it(void)
{
	char *p = malloc(64);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (p);
}

__attribute__((noinline)) void
wrong_free_it(char *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");      /* no tail call */
}

__attribute__((noinline)) void
wrong_churn(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		void *volatile q = malloc(64);

		free(q);
	}
}

int
main(void)
{
	char *volatile p = wrong_alloc_it();

	wrong_free_it(p);
	((volatile long *)p)[1] = 0x42; /* the bug */
	wrong_churn();
	return (0);
}
