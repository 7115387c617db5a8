/*
 * realloc.c: buffers that grow by realloc, the two ways programs do it.
 *
 * Strings: a set of buffers appended to in turn by a few bytes at a time,
 * each append a realloc to the exact new length, from 16 bytes up to
 * 1 MiB.  Growing them in turn means a neighbour usually sits right after
 * each buffer, so in-place growth is not free; past the allocator's large
 * threshold, growth becomes a question of remapping or copying.
 *
 * Vectors: many arrays grown by doubling their capacity, as dynamic arrays
 * do, then freed; the pattern repeats so freed capacity gets reused.
 *
 * usage: realloc [SCALE%]
 */
#include "bench.h"

#include <string.h>

#define STRINGS        16
#define STR_MAX        (1 << 20)
#define STR_ROUNDS     6        /* string passes at 100% */
#define VECTORS        2000
#define VEC_MAX_ELEMS  4096     /* elements (ints) after the last doubling */
#define VEC_ROUNDS     40       /* vector passes at 100% */

/* One append: exact-size realloc, as naive string building does. */
static char *
append(char *s, size_t *len, size_t add)
{
	s = realloc(s, *len + add + 1);
	if (s == NULL)
		abort();
	memset(s + *len, 'a' + (int)(add % 26), add);
	*len += add;
	s[*len] = '\0';
	return (s);
}

static uint64_t
grow_strings(bench_rng_t *r)
{
	char *s[STRINGS];
	size_t len[STRINGS];
	uint64_t sum = 0;
	int growing = STRINGS;

	for (int i = 0; i < STRINGS; i++) {
		s[i] = xmalloc_or_die(16);
		len[i] = 0;
		s[i][0] = '\0';
	}
	while (growing > 0) {
		growing = 0;
		for (int i = 0; i < STRINGS; i++) {
			if (len[i] >= STR_MAX)
				continue;
			s[i] = append(s[i], &len[i], rng_range(r, 1, 128));
			growing++;
		}
	}
	for (int i = 0; i < STRINGS; i++) {
		sum += (unsigned char)s[i][len[i] / 2];
		free(s[i]);
	}
	return (sum);
}

static uint64_t
grow_vectors(void)
{
	static int *v[VECTORS];
	uint64_t sum = 0;

	for (size_t cap = 1; cap <= VEC_MAX_ELEMS; cap *= 2) {
		for (int i = 0; i < VECTORS; i++) {
			v[i] = realloc(v[i], cap * sizeof (int));
			if (v[i] == NULL)
				abort();
			/* Fill the new half, as push_back would. */
			for (size_t k = cap / 2; k < cap; k++)
				v[i][k] = (int)k;
		}
	}
	for (int i = 0; i < VECTORS; i++) {
		sum += (uint64_t)v[i][i % VEC_MAX_ELEMS];
		free(v[i]);
		v[i] = NULL;
	}
	return (sum);
}

int
main(int argc, char **argv)
{
	long scale = bench_arg(argc, argv, 1, 100);
	long str_rounds = (STR_ROUNDS * scale + 99) / 100;
	long vec_rounds = (VEC_ROUNDS * scale + 99) / 100;
	bench_rng_t r = { 7 };
	uint64_t sum = 0;

	for (long n = 0; n < str_rounds; n++)
		sum += grow_strings(&r);
	for (long n = 0; n < vec_rounds; n++)
		sum += grow_vectors();
	printf("realloc: string-rounds=%ld vector-rounds=%ld sum=%llu\n",
	    str_rounds, vec_rounds, (unsigned long long)sum);
	return (0);
}
