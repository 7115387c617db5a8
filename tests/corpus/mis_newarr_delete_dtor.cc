// category: mis
// bug: an array of objects with a destructor, from new[], is released
// with delete: one destructor runs and operator delete gets a pointer
// past new[]'s element count.
#include <cstdio>

static int live = 0;

struct Slot {
	Slot() { live++; }
	~Slot() { live--; }
	long key = 0;
	long value = 0;
};

static Slot *volatile slots;

int
main()
{
	slots = new Slot[4];

	slots[0].key = 1;
#ifdef BAD
	delete slots;           // the bug
#else
	delete[] slots;
#endif
	std::printf("%d\n", live);
	return 0;
}
