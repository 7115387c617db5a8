/*
 * df_plain: a double free with no debugging at all is caught on one line
 * (glibc catches it too; the buffer must never be handed out twice).
 *
 *   now       free(p); free(p)
 *   between   free(p); free(q); free(p)
 *   helper    the second free in another function, after 100 mallocs
 *             and frees of other sizes
 *   thread    the second free from another thread
 *
 * variants: now between helper thread
 * env: ST_MODE=plain
 * dump: no
 * expect: slabtrace: free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_32\)
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *volatile shared;

__attribute__((noinline)) static void
release(void *p)
{
	free(p);
}

static void *
freer(void *arg)
{
	(void) arg;
	free(shared);
	return (NULL);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "now";
	char *volatile p = malloc(32), *volatile q = malloc(32);
	pthread_t t;
	int i;

	memset(p, 1, 32);
	free(p);
	if (strcmp(v, "now") == 0) {
		free(p);
	} else if (strcmp(v, "between") == 0) {
		free(q);
		free(p);
	} else if (strcmp(v, "helper") == 0) {
		for (i = 0; i < 100; i++) {
			void *volatile r = malloc(100 + i);

			free(r);
		}
		release(p);
	} else if (strcmp(v, "thread") == 0) {
		shared = p;
		pthread_create(&t, NULL, freer, NULL);
		pthread_join(t, NULL);
	}
	p = malloc(32);
	q = malloc(32);
	return (p == q ? 3 : 0);
}
