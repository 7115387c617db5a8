/*
 * sample_dupfree: a sampled buffer freed twice (from another thread the
 * second time, or the same), and free() of a pointer inside one.
 *
 *   dup       free() twice
 *   thread    free() in the main thread, again in a second thread
 *   interior  free(p + 16)
 *
 * variants: dup thread interior
 * env: UMEM_DEBUG=firewall,sample=1
 * expect-dup: slabtrace: duplicate free: buffer freed twice
 * expect-thread: slabtrace: duplicate free: buffer freed twice
 * expect-interior: slabtrace: bad free: free address != alloc address
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: sampled, 1 in 1
 * expect-dup: previous transaction on buffer [0-9a-f]+:
 * expect-dup: \s*free\+0x[0-9a-f]+(  .*)?
 * expect-dup: transaction before that on buffer [0-9a-f]+:
 * expect-dup: \s*malloc\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *
freer(void *arg)
{
	free(arg);                      /* the bug, in the thread variant */
	return (NULL);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "dup";
	char *volatile p = malloc(40);
	pthread_t t;

	if (strcmp(v, "interior") == 0) {
		free(p + 16);
		return (0);
	}
	free(p);
	if (strcmp(v, "thread") == 0) {
		pthread_create(&t, NULL, freer, p);
		pthread_join(t, NULL);
	} else {
		free(p);                /* the bug */
	}
	return (0);
}
