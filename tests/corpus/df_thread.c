/*
 * category: df
 * bug: a worker thread frees the buffer it was handed, and main frees it
 * again after joining the worker.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *
worker(void *arg)
{
	char *p = arg;

	p[0] = 'w';
	free(p);                /* the worker owns the buffer */
	return (NULL);
}

static char *volatile p;

int
main(void)
{
	pthread_t t;
	p = malloc(96);

	memset(p, 0, 96);
	pthread_create(&t, NULL, worker, p);
	pthread_join(t, NULL);
#ifdef BAD
	free(p);
#endif
	return (0);
}
