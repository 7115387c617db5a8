/*
 * sample_cxx: operator new's buffers are sampled too (sample=1): a
 * member read through a deleted object faults, at -O2, and the report
 * has the delete's and the new's stacks.
 *
 *   object   new, delete, read a member
 *   array    new[], delete[], write an element
 *
 * variants: object array
 * env: UMEM_DEBUG=firewall,sample=1
 * signal: SEGV
 * expect-object: slabtrace: read after free
 * expect-array: slabtrace: write after free
 * expect: sampled buffer: one malloc in 1 is guarded \(UMEM_DEBUG=firewall,sample=1\)
 * expect: previous transaction \(free\) on buffer [0-9a-f]+:
 * expect: \s*operator delete.*
 * expect: transaction before that \(allocation\) on buffer [0-9a-f]+:
 * expect: \s*operator new.*
 * gdb-object: wrong_read
 * gdb-array: wrong_write
 */
#include <cstdio>
#include <cstring>

struct thing {
	long t_a, t_b, t_c;
	virtual ~thing() {}
};

__attribute__((noinline)) static long
wrong_read(thing *volatile t)
{
	return (t->t_b);
}

__attribute__((noinline)) static void
wrong_write(int *volatile a)
{
	a[3] = 2;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "array") == 0) {
		int *volatile a = new int[50];

		a[3] = 1;
		delete[] a;
		wrong_write(a);                 /* the bug */
		return (0);
	}
	thing *volatile t = new thing();

	t->t_b = 4;
	delete t;
	std::printf("%ld\n", wrong_read(t));    /* the bug */
	return (0);
}
