/*
 * test_os_ranges.c: unit test of the record of the allocator's own mappings
 * (st_os_mapped_by_us, platform_linux.c), which a dump with content "heap"
 * uses to keep the allocator's memory and leave out the program's.
 *
 * A mapping made by st_os_map or st_os_reserve is ours, whole; an unmap in
 * its middle leaves both ends ours and the hole not; the program's own
 * mmap is not ours; a fork while another thread maps keeps the record
 * usable in the child.  Last, more separate ranges than the record holds
 * make it answer "cannot say" (-1), never a wrong "no".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define PG      4096UL

static uintptr_t
U(void *p)
{
	return ((uintptr_t)p);
}

static void
test_map_unmap(void)
{
	char *p = st_os_map(64 * PG, 0), *r, *mine;

	REQUIRE(p != NULL);
	CHECK(st_os_mapped_by_us(U(p), U(p) + 64 * PG) == 1);
	CHECK(st_os_mapped_by_us(U(p) + 63 * PG, U(p) + 64 * PG) == 1);
	/* A hole in the middle. */
	st_os_unmap(p + 16 * PG, 16 * PG);
	CHECK(st_os_mapped_by_us(U(p), U(p) + 16 * PG) == 1);
	CHECK(st_os_mapped_by_us(U(p) + 16 * PG, U(p) + 32 * PG) == 0);
	CHECK(st_os_mapped_by_us(U(p) + 32 * PG, U(p) + 64 * PG) == 1);
	st_os_unmap(p, 16 * PG);
	st_os_unmap(p + 32 * PG, 32 * PG);
	CHECK(st_os_mapped_by_us(U(p), U(p) + 64 * PG) == 0);
	/* Aligned mappings and reservations. */
	r = st_os_map(8 * PG, 2UL << 20);
	REQUIRE(r != NULL);
	CHECK(st_os_mapped_by_us(U(r), U(r) + 8 * PG) == 1);
	st_os_unmap(r, 8 * PG);
	CHECK(st_os_mapped_by_us(U(r), U(r) + 8 * PG) == 0);
	r = st_os_reserve(1UL << 30, 1UL << 21);
	REQUIRE(r != NULL);
	CHECK(st_os_mapped_by_us(U(r) + (512UL << 20), U(r) +
	    (512UL << 20) + PG) == 1);
	/* The program's own. */
	mine = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	REQUIRE(mine != MAP_FAILED);
	CHECK(st_os_mapped_by_us(U(mine), U(mine) + 16 * PG) == 0);
	(void) munmap(mine, 16 * PG);
}

/* Threads that map and unmap while the main thread forks. */
static volatile int stop;

static void *
churner(void *arg)
{
	(void) arg;
	while (!stop) {
		void *p = st_os_map(PG, 0);

		if (p != NULL)
			st_os_unmap(p, PG);
	}
	return (NULL);
}

static void
test_fork(void)
{
	pthread_t t[2];
	int i, status;

	kmem_init_slow();       /* registers the fork handlers */
	for (i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, churner, NULL) == 0);
	for (i = 0; i < 50; i++) {
		pid_t pid = fork();

		REQUIRE(pid >= 0);
		if (pid == 0) {
			char *p = st_os_map(PG, 0);

			_exit(p != NULL && st_os_mapped_by_us(U(p), U(p) + PG)
			    == 1 ? 0 : 1);
		}
		alarm(60);      /* a child stuck on the record's lock */
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
		alarm(0);
	}
	stop = 1;
	for (i = 0; i < 2; i++)
		(void) pthread_join(t[i], NULL);
}

/* Separate one-page ranges (every other page of a run) past the record. */
static void
test_overflow(void)
{
	size_t n = 5000, i;
	char *p = st_os_map(2 * n * PG, 0);

	REQUIRE(p != NULL);
	for (i = 0; i < n; i++)
		st_os_unmap(p + (2 * i + 1) * PG, PG);
	CHECK(st_os_mapped_by_us(U(p), U(p) + PG) == -1);
	/* -1, not 0: a dump then keeps everything rather than lose ours. */
	CHECK(st_os_mapped_by_us(U(p) + PG, U(p) + 2 * PG) == -1);
}

int
main(void)
{
	test_map_unmap();
	test_fork();
	test_overflow();
	return (check_status());
}
