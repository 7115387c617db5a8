// category: ovfw
// bug: an array from new[] is written one element past its end.
static long *volatile a;

int
main()
{
	int n = 8;
	a = new long[n];

#ifdef BAD
	for (int i = 0; i <= n; i++)    // the bug
#else
	for (int i = 0; i < n; i++)
#endif
		a[i] = i;
	delete[] a;
	return 0;
}
