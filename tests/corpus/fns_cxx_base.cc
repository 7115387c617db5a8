// category: fns
// bug: an object is deleted through its second base class, which has no
// virtual destructor: operator delete gets the address of that base
// subobject, inside the buffer.
struct Named {
	char name[16] = "n";
};

struct Counted {
#ifndef BAD
	virtual ~Counted() = default;
#endif
	long count = 0;
};

struct Thing : Named, Counted {
	long extra = 0;
};

__attribute__((noinline)) static void
destroy(Counted *c)
{
	delete c;               // BAD: not the start of the Thing
}

int
main()
{
	Thing *t = new Thing;

	t->count = 1;
	destroy(t);
	return 0;
}
