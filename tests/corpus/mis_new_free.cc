// category: mis
// bug: an int from new is released with free().
#include <cstdlib>

static long *volatile n;

int
main()
{
	n = new long(42);

#ifdef BAD
	std::free(n);           // the bug
#else
	delete n;
#endif
	return 0;
}
