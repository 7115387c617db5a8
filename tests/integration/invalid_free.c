/*
 * invalid_free: free() of memory that no allocator handed out must stop
 * the program with SIGABRT and one line on stderr,
 *   slabtrace: free(0x...): invalid pointer, not from this allocator
 * and of an address in the allocator's memory where no buffer starts (a
 * big buffer freed twice) with "not the start of an allocated buffer";
 * realloc() of an address inside a buffer names the buffer, as free()
 * does.
 * Each case runs in a child of its own (OpenBSD's regress style).
 *
 * modes: preload static
 */
#define _GNU_SOURCE
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char static_array[256];

/* Hide the pointer's origin from the compiler's free() checks. */
static void *
launder(void *p)
{
	void *volatile v = p;

	return (v);
}

static void
free_stack(void)
{
	char stack_array[64];

	memset(stack_array, 1, sizeof (stack_array));
	free(launder(stack_array + 16));
}

static void
free_static(void)
{
	free(launder(static_array + 32));
}

static void
free_static_start(void)
{
	free(launder(static_array));
}

static void
realloc_static(void)
{
	void *p = realloc(launder(static_array + 64), 100);

	(void) !write(2, "realloc returned\n", 17);
	free(p);
}

/* A big buffer (no cache) freed twice: the page map has forgotten it. */
static void
free_big_twice(void)
{
	void *p = malloc(1 << 20);

	free(launder(p));
	free(launder(p));
}

/* realloc() of an address inside a buffer: named as free() names it. */
static void
realloc_inner(void)
{
	char *p = malloc(100);
	void *q = realloc(launder(p + 8), 200);

	(void) !write(2, "realloc returned\n", 17);
	free(q);
}

static const struct {
	const char *c_name;
	void (*c_func)(void);
	const char *c_regex;
} cases[] = {
	{ "stack", free_stack, "free\\(0x[0-9a-f]*\\): invalid pointer" },
	{ "static", free_static, "free\\(0x[0-9a-f]*\\): invalid pointer" },
	{ "static_start", free_static_start,
	    "free\\(0x[0-9a-f]*\\): invalid pointer" },
	{ "realloc_static", realloc_static,
	    "realloc\\(0x[0-9a-f]*\\): invalid pointer, not from this "
	    "allocator" },
	{ "big_twice", free_big_twice, "free\\(0x[0-9a-f]*\\): invalid "
	    "pointer, not the start of an allocated buffer" },
	{ "realloc_inner", realloc_inner, "realloc\\(0x[0-9a-f]*\\): bad free: "
	    "free address != alloc address \\(0x[0-9a-f]* in kmem_alloc_112\\)" },
};

static void
run_case(int i)
{
	struct rlimit rl = { 0, 0 };
	char out[4096], line[512];
	int fds[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	regex_t re;

	REQUIRE(pipe(fds) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		(void) setrlimit(RLIMIT_CORE, &rl);
		(void) dup2(fds[1], 2);
		(void) close(fds[0]);
		(void) close(fds[1]);
		cases[i].c_func();
		(void) !write(2, "free returned\n", 14);
		_exit(0);
	}
	(void) close(fds[1]);
	while (n < sizeof (out) - 1 &&
	    (r = read(fds[0], out + n, sizeof (out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	(void) close(fds[0]);
	REQUIRE(waitpid(pid, &status, 0) == pid);

	CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "case %s: child %s %d, expected SIGABRT",
	    cases[i].c_name, WIFSIGNALED(status) ? "killed by signal" :
	    "exited with", WIFSIGNALED(status) ? WTERMSIG(status) :
	    WEXITSTATUS(status));
	REQUIRE(regcomp(&re, cases[i].c_regex, REG_EXTENDED | REG_NOSUB) == 0);
	(void) snprintf(line, sizeof (line), "%.400s", out);
	CHECKF(regexec(&re, out, 0, NULL, 0) == 0,
	    "case %s: stderr does not match /%s/; it was:\n%s",
	    cases[i].c_name, cases[i].c_regex, line);
	regfree(&re);
}

int
main(int argc, char **argv)
{
	size_t i;

	check_allocator_is_slabtrace();
	for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
		if (argc < 2 || strcmp(argv[1], cases[i].c_name) == 0)
			run_case((int)i);
	return (check_status());
}
