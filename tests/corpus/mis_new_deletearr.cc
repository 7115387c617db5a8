// category: mis
// bug: a single plain struct from new is released with delete[].
struct Point {
	double x, y;
};

__attribute__((noinline)) static void
release(Point *p)
{
#ifdef BAD
	delete[] p;             // the bug: it came from new
#else
	delete p;
#endif
}

int
main()
{
	Point *p = new Point{1.0, 2.0};

	release(p);
	return 0;
}
