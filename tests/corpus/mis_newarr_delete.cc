// category: mis
// bug: an int array from new[] is released with delete (not delete[]).
#include <cstring>

static int *volatile a;

int
main()
{
	a = new int[10];

	std::memset(a, 0, 10 * sizeof (int));
#ifdef BAD
	delete a;               // the bug
#else
	delete[] a;
#endif
	return 0;
}
