// category: unfw
// bug: an int array from new[] is written at index -1.
static int *volatile neighbour;
static int *volatile a;

int
main()
{
	neighbour = new int[4];
	a = new int[4];

	for (int i = 0; i < 4; i++)
		neighbour[i] = a[i] = i;
#ifdef BAD
	a[-1] = 7;              // the bug
#else
	a[3] = 7;
#endif
	delete[] a;
	delete[] neighbour;
	return 0;
}
