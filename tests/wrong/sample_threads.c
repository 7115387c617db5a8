/*
 * sample_threads: a sampled buffer allocated in one thread, freed in a
 * second and read in a third; the report names each thread's stack.
 * Every thread seeds its own sampling (sample=1: every malloc anyway).
 *
 * env: UMEM_DEBUG=firewall,sample=1
 * signal: SEGV
 * expect: slabtrace: read after free
 * expect: sampled buffer: one malloc in 1 is guarded \(UMEM_DEBUG=firewall,sample=1\)
 * expect: faulting read, thread=[0-9]+:
 * expect: \s*wrong_reader(\+0x[0-9a-f]+)?  (.+/)?sample_threads\.c:[0-9]+
 * expect: previous transaction \(free\) on buffer [0-9a-f]+:
 * expect: \s*freer(\+0x[0-9a-f]+)?  (.+/)?sample_threads\.c:[0-9]+
 * expect: transaction before that \(allocation\) on buffer [0-9a-f]+:
 * expect: \s*maker(\+0x[0-9a-f]+)?  (.+/)?sample_threads\.c:[0-9]+
 * gdb: wrong_reader
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long *volatile shared;

__attribute__((noinline)) static void *
maker(void *arg)
{
	(void) arg;
	shared = malloc(96);
	shared[3] = 3;
	return (NULL);
}

__attribute__((noinline)) static void *
freer(void *arg)
{
	(void) arg;
	free(shared);
	return (NULL);
}

__attribute__((noinline)) static void *
wrong_reader(void *arg)
{
	(void) arg;
	printf("%ld\n", shared[3]);     /* the bug */
	return (NULL);
}

int
main(void)
{
	void *(*fn[3])(void *) = { maker, freer, wrong_reader };
	pthread_t t;
	int i;

	for (i = 0; i < 3; i++) {
		pthread_create(&t, NULL, fn[i], NULL);
		pthread_join(t, NULL);
	}
	return (0);
}
