// category: mis
// bug: a string from strdup (malloc) is released with delete[].
#include <cstdlib>
#include <cstring>

static char *volatile s;

int
main()
{
	s = strdup("configuration");
	int ok = std::strlen(s) == 13;

#ifdef BAD
	delete[] s;             // the bug
#else
	std::free(s);
#endif
	return ok ? 0 : 1;
}
