/*
 * alloc_kept: a buffer allocated long before it is freed (200,000
 * allocations and frees in between, more than the transaction log holds),
 * then written after its free: the report still names who allocated it,
 * and when, from what its bufctl kept (bc_astackid, bc_athread, bc_atime),
 * where the log's record of the allocation was overwritten long ago.  Variants: "exit", the program
 * exits right after the write (the exit verify finds it); "next", the
 * buffer's size is allocated again, which finds it.  Under 0xf and
 * UMEM_DEBUG=default.
 *
 * variants: exit next
 * flags: 0xf default
 * expect: slabtrace: buffer modified after being freed
 * expect: modification occurred at offset 0x10 \(0xdeadbeefdeadbeef replaced by 0xdeadbeefdeadbe5a\)
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*free\+0x[0-9a-f]+(  .*)?
 * expect: \s*kept_free_it\+0x[0-9a-f]+  (.+/)?alloc_kept\.c:[0-9]+
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: thread=[0-9]+  time=T-[0-9]+\.[0-9]{9}  slab=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: \s*malloc\+0x[0-9a-f]+(  .*)?
 * expect: \s*kept_alloc_it\+0x[0-9a-f]+  (.+/)?alloc_kept\.c:[0-9]+
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?alloc_kept\.c:[0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-exit: found by the exit verify \(the whole heap, at exit\)
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *
kept_alloc_it(void)
{
	char *p = malloc(48);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (p);
}

__attribute__((noinline)) void
kept_free_it(char *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");      /* no tail call */
}

/* Another size: the buffer stays where it is, the log fills. */
__attribute__((noinline)) void
kept_churn(int n)
{
	for (int i = 0; i < n; i++) {
		void *volatile q = malloc(200);

		free(q);
	}
}

int
main(int argc, char **argv)
{
	char *p = kept_alloc_it();

	memset(p, 1, 48);
	kept_churn(200000);
	kept_free_it(p);
	((volatile char *)p)[16] = 0x5a;		/* the bug */
	if (argc > 1 && strcmp(argv[1], "next") == 0) {
		for (int i = 0; i < 1000; i++) {
			void *volatile q = malloc(48);

			free(q);
		}
	}
	return (0);
}
