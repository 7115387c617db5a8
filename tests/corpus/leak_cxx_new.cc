// category: leak
// bug: an object from new is never deleted (its only pointer is lost).
#include <cstdio>
#include <cstring>

struct Record {
	int id;
	char name[48];
};

__attribute__((noinline)) static int
make_and_use(int id)
{
	Record *r = new Record;

	r->id = id;
	std::snprintf(r->name, sizeof (r->name), "record-%d", id);
	int n = (int)std::strlen(r->name);
#ifndef BAD
	delete r;
#endif
	return n;               // BAD: r is lost
}

int
main()
{
	return make_and_use(7) == 8 ? 0 : 1;
}
