/*
 * category: unfr
 * bug: a moving average over a new[]'d array looks one element back at
 * the first position.
 */
#include <cstdio>

__attribute__((noinline)) static double
smooth(const double *v, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++) {
#ifdef BAD
		s += (v[i] + v[i - 1]) / 2;     /* the bug: v[-1] at i == 0 */
#else
		s += (v[i] + v[i > 0 ? i - 1 : 0]) / 2;
#endif
	}
	return s;
}

int
main()
{
	const int n = 16;
	double *v = new double[n];

	for (int i = 0; i < n; i++)
		v[i] = i;
	std::printf("%.1f\n", smooth(v, n));
	delete[] v;
	return 0;
}
