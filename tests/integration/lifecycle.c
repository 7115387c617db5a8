/*
 * lifecycle: the allocator at the edges of a process's life.
 *
 * - A constructor allocates before main (linked statically, it may run
 *   before the allocator's own initialisation: malloc must initialise
 *   itself on first use).
 * - exit() is called while other threads are inside malloc and free; the
 *   atexit handlers and destructors that run then allocate and free too.
 *   The process must exit with the status given to exit(), without a crash
 *   or a hang.  Each round runs in a child of its own, 20 rounds.
 *
 * modes: static preload
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define ROUNDS	20

static char *early_str;
static unsigned char *early_buf;
static void **early_many;
static int report_fd = -1;

__attribute__((constructor(101)))
static void
early_ctor(void)
{
	int i;

	early_buf = malloc(1000);
	early_str = strdup("allocated in a constructor");
	early_many = calloc(100, sizeof (void *));
	if (early_buf == NULL || early_str == NULL || early_many == NULL)
		return;
	memset(early_buf, 0x5e, 1000);
	for (i = 0; i < 100; i++)
		early_many[i] = malloc((size_t)i * 24 + 1);
}

static int
early_ok(void)
{
	int i;

	if (early_buf == NULL || early_str == NULL || early_many == NULL)
		return (0);
	for (i = 0; i < 1000; i++)
		if (early_buf[i] != 0x5e)
			return (0);
	for (i = 0; i < 100; i++)
		if (early_many[i] == NULL)
			return (0);
	return (strcmp(early_str, "allocated in a constructor") == 0);
}

static void
say(const char *s)
{
	if (report_fd >= 0)
		(void) !write(report_fd, s, strlen(s));
}

/* Runs from exit(), while the spinning threads are still running. */
static void
at_exit_handler(void)
{
	void *v[100];
	int i;

	for (i = 0; i < 100; i++) {
		v[i] = malloc((size_t)i * 100 + 8);
		if (v[i] == NULL) {
			say("atexit: malloc failed\n");
			return;
		}
		memset(v[i], i, (size_t)i * 100 + 8);
	}
	for (i = 0; i < 100; i++)
		free(v[i]);
	say(early_ok() ? "A" : "atexit: early blocks corrupted\n");
}

__attribute__((destructor))
static void
late_dtor(void)
{
	int i;

	if (report_fd < 0)
		return;		/* the parent: nothing to check */
	if (!early_ok()) {
		say("destructor: early blocks corrupted\n");
		return;
	}
	for (i = 0; i < 100; i++)
		free(early_many[i]);
	free(early_many);
	free(early_str);
	free(early_buf);
	early_buf = NULL;
	say("D");
}

static void *
spinner(void *arg)
{
	uint64_t x = (uintptr_t)arg * 2654435761u + 1;
	void *held[32] = { NULL };

	for (;;) {
		int k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (int)(x % 32);
		free(held[k]);
		held[k] = malloc(16 + (x >> 8) % (x % 50 == 0 ? 300000 : 2000));
		if (held[k] != NULL)
			((char *)held[k])[0] = 1;
	}
	return (NULL);
}

static void
child(int round, int fd)
{
	struct timespec ts = { 0, (long)(5 + round % 7) * 1000000 };
	pthread_t t;
	intptr_t i;

	report_fd = fd;
	(void) atexit(at_exit_handler);
	for (i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, spinner, (void *)i) != 0)
			_exit(20);
	(void) nanosleep(&ts, NULL);
	exit(round % 2 == 0 ? 0 : 7);
}

int
main(void)
{
	struct rlimit rl = { 0, 0 };
	int round;

	check_allocator_is_slabtrace();
	CHECKF(early_ok(), "blocks allocated by a constructor before main are "
	    "missing or corrupted");
	(void) setrlimit(RLIMIT_CORE, &rl);
	for (round = 0; round < ROUNDS; round++) {
		char out[256];
		int fds[2], status, want = round % 2 == 0 ? 0 : 7;
		ssize_t n, got = 0;
		pid_t pid;

		REQUIRE(pipe(fds) == 0);
		pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			(void) close(fds[0]);
			child(round, fds[1]);
		}
		(void) close(fds[1]);
		while (got < (ssize_t)sizeof (out) - 1 && (n = read(fds[0],
		    out + got, sizeof (out) - 1 - (size_t)got)) > 0)
			got += n;
		out[got] = '\0';
		(void) close(fds[0]);
		REQUIRE(waitpid(pid, &status, 0) == pid);
		CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == want,
		    "round %d: exit(%d) with threads allocating: %s %d",
		    round, want, WIFEXITED(status) ? "exit status" :
		    "killed by signal", WIFEXITED(status) ?
		    WEXITSTATUS(status) : WTERMSIG(status));
		CHECKF(strcmp(out, "AD") == 0, "round %d: the atexit handler "
		    "(A) and the destructor (D) should have run: \"%s\"",
		    round, out);
	}
	return (check_status());
}
