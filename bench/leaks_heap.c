/*
 * leaks_heap: the leak check's benchmark program (bench/leaks.sh).  It
 * makes N live buffers of 16 to 256 bytes, each holding a pointer to the
 * one made before it (a list whose head is in a global), and loses one
 * in every 1000 (1 direct leak each: the list skips it), then checks:
 *   LEAKS_HOW=api     kmem_leakcheck() (slabtrace), timed here
 *   LEAKS_HOW=lsan    __lsan_do_recoverable_leak_check() (a build with
 *                     -fsanitize=leak), timed here
 *   LEAKS_HOW=crash   a SIGSEGV: a dump for ::findleaks (with
 *                     UMEM_OPTIONS=signals,dump=all or debugging)
 *   LEAKS_HOW=wait    "ready", then it waits to be killed (for
 *                     `slabtrace mdb -p PID`, ::findleaks live)
 *   otherwise         nothing: exit (UMEM_OPTIONS=leakcheck checks then;
 *                     valgrind --leak-check=full too)
 * The time goes to stdout as "check_ms N", with "leaked N".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct node {
	struct node *n_next;
	uint64_t n_pad[1];
};

static struct node *volatile head;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i, lost = 0;
	const char *how = getenv("LEAKS_HOW");
	uint64_t seed = 42;
	double t0;
	int found = -1;

	for (i = 0; i < n; i++) {
		size_t size = 16 + (size_t)((seed >> 33) % 241);
		struct node *p = malloc(size);

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memset(p, 0, size);
		if (i % 1000 == 999) {
			lost++;         /* not on the list: a direct leak */
			continue;
		}
		p->n_next = head;
		head = p;
	}
	t0 = now_ms();
	if (how != NULL && strcmp(how, "api") == 0) {
		int (*check)(void) = (int (*)(void))dlsym(RTLD_DEFAULT,
		    "kmem_leakcheck");

		found = check != NULL ? check() : -2;
	} else if (how != NULL && strcmp(how, "lsan") == 0) {
		int (*check)(void) = (int (*)(void))dlsym(RTLD_DEFAULT,
		    "__lsan_do_recoverable_leak_check");

		found = check != NULL ? check() : -2;
	}
	printf("check_ms %.1f\nleaked %ld\nfound %d\n", now_ms() - t0, lost,
	    found);
	fflush(stdout);
	if (how != NULL && strcmp(how, "crash") == 0)
		*(volatile int *)8 = 1;
	if (how != NULL && strcmp(how, "wait") == 0) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return (0);
}
