/*
 * badroutine: new[] memory given to delete (not delete[]).
 *
 * expect: slabtrace: bad free: freed with the wrong routine
 * expect: buffer allocated with operator new\[\], freed with operator delete
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <cstdlib>

__attribute__((noinline)) static void
release(int *p)
{
	delete p;                       /* the bug: it came from new[] */
}

int
main()
{
	int *volatile a = new int[10];

	release(a);
	return 0;
}
