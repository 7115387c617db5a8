// category: uafr
// bug: a std::string_view refers to a temporary std::string (long enough
// to be on the heap) that was destroyed; printing it reads freed memory.
#include <cstdio>
#include <string>
#include <string_view>

__attribute__((noinline)) static std::string
make_path(const char *dir)
{
	return std::string(dir) + "/subdirectory/of/some/length/file.txt";
}

int
main()
{
#ifdef BAD
	std::string_view p = make_path("/var/tmp");     // the bug
#else
	std::string keep = make_path("/var/tmp");
	std::string_view p = keep;
#endif
	unsigned sum = 0;
	for (char c : p)
		sum += (unsigned char)c;
	std::printf("%u\n", sum);
	return 0;
}
