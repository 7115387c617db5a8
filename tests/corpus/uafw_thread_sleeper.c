/*
 * category: uafw
 * bug: a worker frees a buffer it published and goes to sleep; main
 * writes to it and returns while the worker still sleeps.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *volatile shared;
static pthread_barrier_t ready;

static void *
worker(void *arg)
{
	char *p = malloc(256);

	(void) arg;
	memset(p, 0, 256);
	shared = p;
#ifdef BAD
	free(p);                /* the bug: main still uses it */
#endif
	pthread_barrier_wait(&ready);
	usleep(300000);         /* idle: nothing reuses the buffer */
	return (NULL);
}

int
main(void)
{
	pthread_t t;

	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	pthread_barrier_wait(&ready);
	strcpy(shared, "written by main");
#ifndef BAD
	free(shared);
#endif
	return (0);             /* the worker is still asleep */
}
