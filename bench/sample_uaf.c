/*
 * sample_uaf: many allocations and one use after free, for bench/sample.sh's
 * catch rate.  It builds and tears down linked lists of records of 16 to
 * 512 bytes (SAMPLE_UAF_N allocations in all, default 200,000), and at one
 * point in the middle frees a record and, a few hundred allocations
 * later, reads it through the stale pointer.  Without the sampled firewall
 * the read goes unnoticed (exit 0); a run in which that record was
 * sampled dies of SIGSEGV with a "read after free" report.  Between
 * allocations it works (about 1.4 us), as a program does: some 700,000
 * mallocs a second, under the default rate's bound (firewall.c, section
 * 9), so that at one in 5,000 a record is sampled with probability 1/N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	struct rec *r_next;
	long r_key;
	char r_data[];
};

static unsigned long
next_rand(unsigned long *s)
{
	*s = *s * 6364136223846793005UL + 1442695040888963407UL;
	return (*s >> 33);
}

__attribute__((noinline)) static long
use(struct rec *volatile r)
{
	return (r->r_key);
}

int
main(void)
{
	const char *e = getenv("SAMPLE_UAF_N");
	long n = e != NULL ? atol(e) : 200000, i, j, sum = 0;
	unsigned long seed = 42;
	struct rec *head = NULL, *r, *volatile stale = NULL;

	for (i = 0; i < n; i++) {
		size_t size = sizeof (*r) + next_rand(&seed) % 496;

		r = malloc(size);
		memset(r->r_data, (int)i, size - sizeof (*r));
		for (j = 0; j < 1000; j++)      /* work, as a program does */
			sum += (long)(next_rand(&seed) & 1);
		r->r_key = i;
		r->r_next = head;
		head = r;
		if (i == n / 2) {               /* the bug: free, keep it */
			stale = head;
			head = head->r_next;
			free(stale);
		}
		if (i == n / 2 + 300)
			sum += use(stale);      /* the use after free */
		if (next_rand(&seed) % 64 == 0) {
			while (head != NULL) {  /* tear the list down */
				r = head->r_next;
				sum += head->r_key;
				free(head);
				head = r;
			}
		}
	}
	while (head != NULL) {
		r = head->r_next;
		free(head);
		head = r;
	}
	printf("%d\n", sum != 0);
	return (0);
}
