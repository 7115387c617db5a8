// category: uafr
// bug: a virtual function is called on a deleted object (its vtable
// pointer is read from freed memory).
#include <cstdio>

struct Shape {
	virtual ~Shape() {}
	virtual double area() const = 0;
};

struct Square : Shape {
	explicit Square(double s) : side(s) {}
	double area() const override { return side * side; }
	double side;
};

__attribute__((noinline)) static double
area_of(const Shape *s)
{
	return s->area();
}

static Shape *volatile s;

int
main()
{
	s = new Square(3);
	double a;

#ifdef BAD
	delete s;
	a = area_of(s);         // the bug
#else
	a = area_of(s);
	delete s;
#endif
	std::printf("%g\n", a);
	return 0;
}
