// category: ovfr
// bug: a std::vector of 8 ints is read at v[v.size()] with operator[].
#include <cstdio>
#include <vector>

__attribute__((noinline)) static int
last(const std::vector<int> &v)
{
#ifdef BAD
	return v[v.size()];     // the bug
#else
	return v[v.size() - 1];
#endif
}

int
main()
{
	std::vector<int> v(8, 5);

	std::printf("%d\n", last(v));
	return 0;
}
