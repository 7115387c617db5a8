/*
 * exiting_threads: threads still on their way out when the program ends.
 * A thread about to exit blocks every signal (the C library does, and so
 * do these, for 1 to 20 ms), so the leak check's stop-the-world cannot
 * stop it; once it has gone there is nothing of it to scan and nothing
 * may be said of it ("thread N did not stop ... it blocks signal 64" was,
 * once in a few hundred runs on a busy machine: tests/corpus's
 * uafw_thread_sleeper).  Twenty children, each with four detached threads
 * that block every signal, sleep and exit while the child's main returns
 * into its exit-time leak check; not one line of report may come of it.
 *
 * modes: preload 0xf
 * env: UMEM_OPTIONS=leakcheck
 * timeout: 300
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CHILDREN        20
#define THREADS         4

static void *
leaver(void *arg)
{
	sigset_t all;
	struct timespec ts = { 0, (long)(uintptr_t)arg * 1000000L };

	(void) sigfillset(&all);
	(void) pthread_sigmask(SIG_BLOCK, &all, NULL);
	(void) nanosleep(&ts, NULL);
	return (NULL);
}

static int
child(unsigned seed)
{
	pthread_attr_t a;
	pthread_t t;
	char *volatile p;
	int i;

	(void) pthread_attr_init(&a);
	(void) pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < THREADS; i++) {
		uintptr_t ms = 1 + (seed * 7 + (unsigned)i * 5) % 20;

		if (pthread_create(&t, &a, leaver, (void *)ms) != 0)
			return (2);
	}
	p = malloc(100);        /* a little heap, freed: nothing leaks */
	memset(p, 1, 100);
	free(p);
	usleep(2000);           /* the threads are blocking, not gone */
	return (0);
}

int
main(void)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < CHILDREN; i++) {
		if ((pid = fork()) == 0)
			exit(child((unsigned)i));
		REQUIRE(pid > 0);
		REQUIRE(waitpid(pid, &status, 0) == pid);
		CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child %d: status %#x", i, status);
	}
	return (check_status());
}
