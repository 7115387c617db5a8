// category: mis
// bug: a buffer from malloc (through a C-style helper) is released with
// delete.
#include <cstdlib>
#include <cstring>

struct Header {
	int version;
	int flags;
};

extern "C" __attribute__((noinline)) Header *
header_new(void)
{
	Header *h = static_cast<Header *>(std::malloc(sizeof (Header)));
	h->version = 1;
	h->flags = 0;
	return h;
}

int
main()
{
	Header *h = header_new();

#ifdef BAD
	delete h;               // the bug: it came from malloc
#else
	std::free(h);
#endif
	return 0;
}
