// category: mis
// bug: an object with a destructor, made with new, is released with
// free(): the destructor never runs and the routine is wrong.
#include <cstdio>
#include <cstdlib>

static int open_files = 0;

class File {
public:
	File() { open_files++; }
	~File() { open_files--; }
	int fd = 3;
	char mode[12] = "r";
};

static File *volatile f;

int
main()
{
	f = new File;

#ifdef BAD
	std::free(f);           // the bug
#else
	delete f;
#endif
	std::printf("%d\n", open_files);
	return 0;
}
