// category: fnh
// bug: an object on the stack is deleted through a pointer that is
// usually heap-allocated.
#include <cstring>

struct Item {
	int id = 0;
	char name[24] = "item";
};

__attribute__((noinline)) static void
dispose(Item *it)
{
	delete it;
}

int
main()
{
	Item local;
#ifdef BAD
	Item *it = &local;      // the bug: then deleted
#else
	Item *it = new Item(local);
#endif
	it->id = 5;
	dispose(it);
	return 0;
}
