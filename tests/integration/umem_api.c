/*
 * umem_api: libumem's interface (umem_alloc and friends, umem caches, the
 * UMEM_NOFAIL callback) as a program written for libumem sees it.
 *
 * modes: static
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umem.h"
#include "check.h"

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

static void
test_alloc(void)
{
	enum { N = 600 };
	static unsigned char *v[N];
	static size_t sz[N];
	size_t n, i, k = 0;

	for (n = 1; n <= 300000 && k < N; n += n / 8 + 1, k++) {
		unsigned char *p = umem_alloc(n, UMEM_DEFAULT);

		REQUIRE(p != NULL);
		CHECKF(((uintptr_t)p & 7) == 0, "umem_alloc(%zu) = %p", n,
		    (void *)p);
		memset(p, 0xee, n);
		umem_free(p, n);
		p = umem_zalloc(n, UMEM_DEFAULT);
		REQUIRE(p != NULL);
		CHECKF(all_zero(p, n), "umem_zalloc(%zu) not zeroed", n);
		memset(p, (int)(k & 0xff), n);
		v[k] = p;
		sz[k] = n;
	}
	for (i = 0; i < k; i++) {
		size_t j;

		for (j = 0; j < sz[i]; j++)
			if (v[i][j] != (unsigned char)i)
				break;
		CHECKF(j == sz[i], "umem_alloc(%zu) buffer %p overwritten at "
		    "%zu", sz[i], (void *)v[i], j);
		umem_free(v[i], sz[i]);
	}

	/* UMEM_NOFAIL allocations that can succeed do. */
	for (n = 8; n <= 65536; n *= 4) {
		unsigned char *p = umem_alloc(n, UMEM_NOFAIL);

		REQUIRE(p != NULL);
		memset(p, 1, n);
		umem_free(p, n);
	}
}

static void
test_alloc_align(void)
{
	size_t align, n;

	for (align = 8; align <= 65536; align *= 2) {
		for (n = 1; n <= 100000; n = n * 5 + 3) {
			unsigned char *p = umem_alloc_align(n, align,
			    UMEM_DEFAULT);

			CHECKF(p != NULL, "umem_alloc_align(%zu, %zu)", n,
			    align);
			if (p == NULL)
				continue;
			CHECKF(((uintptr_t)p & (align - 1)) == 0,
			    "umem_alloc_align(%zu, %zu) = %p", n, align,
			    (void *)p);
			memset(p, 0x3c, n);
			umem_free_align(p, n);
		}
	}
}

static void
test_huge(void)
{
	volatile size_t huge = (size_t)1 << 60;

	CHECK(umem_alloc(huge, UMEM_DEFAULT) == NULL);
	CHECK(umem_zalloc(huge, UMEM_DEFAULT) == NULL);
	CHECK(umem_alloc(SIZE_MAX, UMEM_DEFAULT) == NULL);
	CHECK(umem_alloc_align(huge, 64, UMEM_DEFAULT) == NULL);
}

struct counts {
	long c_ctor;
	long c_dtor;
	long c_bad;
};

#define UMAGIC	0x756d656d756d656dULL

static int
u_ctor(void *buf, void *private, int flags)
{
	struct counts *c = private;

	(void) flags;
	*(uint64_t *)buf = UMAGIC;
	c->c_ctor++;
	return (0);
}

static void
u_dtor(void *buf, void *private)
{
	struct counts *c = private;

	if (*(uint64_t *)buf != UMAGIC)
		c->c_bad++;
	*(uint64_t *)buf = 0;
	c->c_dtor++;
}

static void
test_cache(void)
{
	enum { N = 3000 };
	static uint64_t *held[N];
	struct counts c = { 0, 0, 0 };
	char name[] = "st_umem_cache";
	umem_cache_t *cp;
	int i, r;

	cp = umem_cache_create(name, 120, 8, u_ctor, u_dtor, NULL, &c, NULL,
	    0);
	REQUIRE(cp != NULL);
	for (r = 0; r < 10; r++) {
		for (i = 0; i < N; i++) {
			held[i] = umem_cache_alloc(cp, UMEM_DEFAULT);
			REQUIRE(held[i] != NULL);
			CHECKF(held[i][0] == UMAGIC, "buffer %p not "
			    "constructed", (void *)held[i]);
			held[i][1] = (uint64_t)(r * N + i);
		}
		for (i = 0; i < N; i++) {
			CHECKF(held[i][1] == (uint64_t)(r * N + i),
			    "buffer %p handed out twice", (void *)held[i]);
			umem_cache_free(cp, held[i]);
		}
		if (r == 5)
			umem_reap();
	}
	/* Constructed state survives the magazine layer. */
	CHECKF(c.c_ctor <= 4 * N, "%ld constructor calls for %d live "
	    "buffers at most", c.c_ctor, N);
	umem_cache_destroy(cp);
	CHECKF(c.c_ctor == c.c_dtor, "%ld constructed, %ld destroyed",
	    c.c_ctor, c.c_dtor);
	CHECK(c.c_bad == 0);

	cp = umem_cache_create(name, 256, 0, NULL, NULL, NULL, NULL, NULL,
	    UMC_NOMAGAZINE);
	REQUIRE(cp != NULL);
	for (i = 0; i < N; i++) {
		held[i] = umem_cache_alloc(cp, UMEM_NOFAIL);
		REQUIRE(held[i] != NULL);
		memset(held[i], i, 256);
	}
	for (i = 0; i < N; i++)
		umem_cache_free(cp, held[i]);
	umem_cache_destroy(cp);
}

/*
 * UMEM_NOFAIL: when the allocation cannot be satisfied, the callback
 * decides; UMEM_CALLBACK_EXIT(n) makes the process exit with status n.
 */
static int nofail_fd;
static int nofail_calls;
static int nofail_retries;

static int
nofail_cb(void)
{
	(void) !write(nofail_fd, "c", 1);
	if (nofail_calls++ < nofail_retries)
		return (UMEM_CALLBACK_RETRY);
	return (UMEM_CALLBACK_EXIT(42 + nofail_retries));
}

static void
test_nofail(int retries)
{
	struct rlimit rl = { 0, 0 };
	char buf[16];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	REQUIRE(pipe(fds) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		volatile size_t huge = (size_t)1 << 60;
		void *p;

		(void) setrlimit(RLIMIT_CORE, &rl);
		(void) close(fds[0]);
		nofail_fd = fds[1];
		nofail_retries = retries;
		umem_nofail_callback(nofail_cb);
		p = umem_alloc(huge, UMEM_NOFAIL);
		check_say("umem_alloc(1<<60, UMEM_NOFAIL) returned %p\n", p);
		_exit(99);
	}
	(void) close(fds[1]);
	n = 0;
	for (;;) {
		ssize_t r = read(fds[0], buf + n, sizeof (buf) - (size_t)n);

		if (r <= 0 || (n += r) == (ssize_t)sizeof (buf))
			break;
	}
	(void) close(fds[0]);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 42 + retries,
	    "UMEM_NOFAIL child (callback retries %d): %s %d, expected exit "
	    "%d", retries, WIFEXITED(status) ? "exit status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	    42 + retries);
	CHECKF(n == retries + 1, "the nofail callback ran %zd times, "
	    "expected %d", n, retries + 1);
}

int
main(void)
{
	check_allocator_is_slabtrace();
	test_alloc();
	test_alloc_align();
	test_huge();
	test_cache();
	test_nofail(0);
	test_nofail(1);
	return (check_status());
}
