/*
 * category: uafr
 * bug: a worker frees the buffer it returns to main; main reads it after
 * pthread_join.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
worker(void *arg)
{
	char *msg = malloc(80);

	(void) arg;
	snprintf(msg, 80, "answer=%d", 42);
#ifdef BAD
	free(msg);              /* the bug: it is the thread's result */
#endif
	return (msg);
}

static char *volatile msg;

int
main(void)
{
	pthread_t t;
	void *ret;
	char copy[16];

	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, &ret);
	msg = ret;
	memcpy(copy, msg, sizeof (copy) - 1);
	copy[sizeof (copy) - 1] = '\0';
	printf("%.9s\n", copy);
#ifndef BAD
	free(msg);
#endif
	return (0);
}
