// category: df
// bug: a class owning a malloc'd string has no copy constructor (rule of
// three); a copy passed by value frees the string, then the original does.
#include <cstdlib>
#include <cstring>

class Name {
public:
	explicit Name(const char *s) : s_(strdup(s)) {}
#ifndef BAD
	Name(const Name &o) : s_(strdup(o.s_)) {}
#endif
	Name &operator=(const Name &) = delete;
	~Name() { std::free(s_); }
	const char *c_str() const { return s_; }
private:
	char *s_;
};

__attribute__((noinline)) static size_t
length(Name n)
{
	return std::strlen(n.c_str());
}

int
main()
{
	Name a("slabtrace");

	return length(a) == 9 ? 0 : 1;
}
