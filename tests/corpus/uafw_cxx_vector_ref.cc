// category: uafw
// bug: a reference into a std::vector is kept across push_backs that
// reallocate the storage, then written through.
#include <vector>

int
main()
{
	std::vector<long> v;

	v.reserve(4);
	for (long i = 0; i < 4; i++)
		v.push_back(i);
	long &first = v[0];
	for (long i = 0; i < 100; i++)
		v.push_back(i);
#ifdef BAD
	first = 42;             // the bug: the storage was reallocated
#else
	v[0] = 42;
#endif
	(void)first;
	return v.size() == 104 ? 0 : 1;
}
