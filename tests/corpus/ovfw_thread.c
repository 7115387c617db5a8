/*
 * category: ovfw
 * bug: a worker thread writes a 24-byte record (with its terminator) into
 * a 24-byte buffer main gave it; main frees it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *
worker(void *arg)
{
	char *out = arg;

	memcpy(out, "thread-7:result=1234567", 24);     /* 23 and a NUL */
	return (NULL);
}

static char *volatile out;

int
main(void)
{
	pthread_t t;
#ifdef BAD
	out = malloc(23);        /* the bug: the NUL */
#else
	out = malloc(24);
#endif

	pthread_create(&t, NULL, worker, out);
	pthread_join(t, NULL);
	free(out);
	return (0);
}
