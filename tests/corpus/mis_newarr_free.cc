// category: mis
// bug: a char array from new[] is handed to C code that frees it with
// free().
#include <cstdlib>
#include <cstring>

extern "C" __attribute__((noinline)) void
c_consume(char *s)
{
	s[0] = 'H';
	std::free(s);           // C code: it frees what it is given
}

int
main()
{
	const char *msg = "hello";
#ifdef BAD
	char *copy = new char[std::strlen(msg) + 1];    // the bug
#else
	char *copy = static_cast<char *>(std::malloc(std::strlen(msg) + 1));
#endif
	std::strcpy(copy, msg);
	c_consume(copy);
	return 0;
}
