/*
 * sample_pool: the sampled firewall's pool of guarded slots (sample=1,
 * every malloc due), seen from the public interface only:
 *  - a sampled buffer ends within 16 bytes of a page end, 16-aligned;
 *  - with more live buffers than slots (256), the rest are ordinary
 *    buffers and every malloc succeeds (the pool never fails one);
 *  - freed slots are reused, least recently freed first, and the
 *    malloc_usable_size of a sampled buffer is its requested size;
 *  - realloc, calloc, memalign, posix_memalign and aligned_alloc work;
 *  - a freed sampled buffer is inaccessible: a child that reads it dies
 *    of SIGSEGV (with the report; its stderr is silenced here);
 *  - threads allocate and free sampled buffers concurrently;
 *  - fork: the child samples too.
 *
 * modes: preload
 * env: UMEM_DEBUG=firewall,sample=1 UMEM_OPTIONS=dump=off
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define NLIVE   1000
#define PAGE    4096UL


/* Does p (size bytes) end within 16 bytes of its page's end? */
static int
sampled(void *p, size_t size)
{
	uintptr_t end = (uintptr_t)p + size;

	return (((uintptr_t)p & 15) == 0 && (PAGE - (end & (PAGE - 1))) %
	    PAGE < 16 && size > 0);
}

static void *
churn(void *arg)
{
	int i, n = 0;

	(void) arg;
	for (i = 0; i < 20000; i++) {
		char *p = malloc(24 + i % 200);

		memset(p, 1, 24 + i % 200);
		n += sampled(p, 24 + i % 200);
		free(p);
	}
	return ((void *)(intptr_t)n);
}

int
main(void)
{
	static char *live[NLIVE];
	int i, nsampled = 0, st = 0;
	void *q, *r;
	char *volatile stale;
	pthread_t t[4];
	pid_t pid;

	for (i = 0; i < NLIVE; i++) {
		live[i] = malloc(100);
		CHECK(live[i] != NULL);
		memset(live[i], i, 100);
		nsampled += sampled(live[i], 100);
	}
	/* Some were sampled before this loop (stdio's): at most 256 in all. */
	CHECK(nsampled > 200 && nsampled <= 256);
	CHECK(malloc_usable_size(live[0]) == 100);
	for (i = 0; i < NLIVE; i++) {
		CHECK(live[i][99] == (char)i);
		free(live[i]);
	}
	/* The slots are free again: sampled once more. */
	q = malloc(50);
	CHECK(sampled(q, 50));
	r = realloc(q, 60);                     /* moves */
	CHECK(r != q && sampled(r, 60));
	free(r);
	q = calloc(7, 9);
	CHECK(sampled(q, 63));
	for (i = 0; i < 63; i++)
		CHECK(((char *)q)[i] == 0);
	free(q);
	q = memalign(128, 300);
	CHECK(q != NULL && ((uintptr_t)q & 127) == 0);
	free(q);
	CHECK(posix_memalign(&q, 64, 1000) == 0 && ((uintptr_t)q & 63) == 0);
	free(q);
	q = aligned_alloc(256, 512);
	CHECK(q != NULL && ((uintptr_t)q & 255) == 0);
	free(q);
	/* Too big for a slot: an ordinary buffer. */
	q = malloc(100000);
	CHECK(q != NULL);
	memset(q, 1, 100000);
	free(q);
	q = malloc(0);
	CHECK(q != NULL);
	free(q);

	/* A freed one faults. */
	stale = malloc(80);
	CHECK(sampled(stale, 80));
	free(stale);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		(void) *(volatile char *)stale;
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);

	/* fork: the child's mallocs are sampled too. */
	pid = fork();
	if (pid == 0) {
		char *c = malloc(40);

		_exit(sampled(c, 40) ? 0 : 3);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, churn, NULL) == 0);
	for (i = 0; i < 4; i++) {
		void *n;

		CHECK(pthread_join(t[i], &n) == 0);
		CHECK((intptr_t)n > 1000);     /* most are, some wait */
	}
	return (check_status());
}
