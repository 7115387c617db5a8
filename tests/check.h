/*
 * check.h: the assertion macros of slabtrace's tests.
 *
 * CHECK(expr) prints "file:line: CHECK(expr) failed" and counts the failure,
 * then carries on, so that one run reports every broken property rather
 * than the first.  CHECKF adds a printf-style note (the size, the address).
 * REQUIRE stops the program at once: use it when going on makes no sense
 * (a NULL pointer about to be written).  A test ends with
 * `return check_status();`.
 *
 * The messages are formatted on the stack and written with write(2): the
 * allocator under test may be the thing that is broken.
 */
#ifndef SLABTRACE_TESTS_CHECK_H
#define SLABTRACE_TESTS_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long check_failures;

__attribute__((format(printf, 1, 2), unused))
static void check_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof (buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof (buf))
		n = sizeof (buf) - 1;
	(void) !write(2, buf, (size_t)n);
}

__attribute__((format(printf, 4, 5), unused))
static void check_fail(const char *file, int line, const char *expr,
    const char *fmt, ...)
{
	char note[512] = "";
	unsigned long n = __atomic_add_fetch(&check_failures, 1,
	    __ATOMIC_RELAXED);
	va_list ap;

	if (n > 50) {
		if (n == 51)
			check_say("(more failures not shown)\n");
		return;
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void) vsnprintf(note, sizeof (note), fmt, ap);
		va_end(ap);
	}
	check_say("%s:%d: CHECK(%s) failed%s%s\n", file, line, expr,
	    note[0] != '\0' ? ": " : "", note);
}

#define CHECK(expr) do {						\
	if (!(expr))							\
		check_fail(__FILE__, __LINE__, #expr, NULL);		\
} while (0)

#define CHECKF(expr, ...) do {						\
	if (!(expr))							\
		check_fail(__FILE__, __LINE__, #expr, __VA_ARGS__);	\
} while (0)

#define REQUIRE(expr) do {						\
	if (!(expr)) {							\
		check_fail(__FILE__, __LINE__, #expr, NULL);		\
		check_say("giving up\n");				\
		_exit(1);						\
	}								\
} while (0)

/* True when the runner says the allocator under test is slabtrace. */
static inline int check_expect_slabtrace(void)
{
	const char *s = getenv("ST_EXPECT_SLABTRACE");

	return (s != NULL && s[0] == '1');
}

#ifdef _GNU_SOURCE
#include <dlfcn.h>
/*
 * Under the runner, make sure malloc really is slabtrace's: a preload that
 * silently failed would otherwise test glibc and pass.  Linked with
 * libslabtrace.a, malloc lives in the test program itself; preloaded, in
 * libslabtrace.so; never in libc.
 */
static inline void check_allocator_is_slabtrace(void)
{
	void *(*volatile fp)(size_t) = malloc;
	Dl_info info;

	if (!check_expect_slabtrace())
		return;
	if (dladdr((void *)fp, &info) == 0 || info.dli_fname == NULL) {
		check_fail(__FILE__, __LINE__, "dladdr(malloc)",
		    "cannot tell where malloc comes from");
		return;
	}
	if (strstr(info.dli_fname, "libc.so") != NULL)
		check_fail(__FILE__, __LINE__, "malloc is slabtrace's",
		    "malloc resolves to %s", info.dli_fname);
}
#endif

/* A fixed-seed pseudo-random sequence for workloads (xorshift64). */
static inline uint64_t check_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*s = x);
}

/* The process's resident size in KiB (/proc/self/statm), or -1. */
static inline long check_rss_kib(void)
{
	long pages = 0, rss = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return (-1);
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	(void) fclose(f);
	return (rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024));
}

static inline int check_status(void)
{
	unsigned long n = __atomic_load_n(&check_failures, __ATOMIC_RELAXED);

	if (n != 0)
		check_say("%lu check(s) failed\n", n);
	return (n == 0 ? 0 : 1);
}

#endif /* SLABTRACE_TESTS_CHECK_H */
