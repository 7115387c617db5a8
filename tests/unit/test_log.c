/*
 * test_log.c: unit test of the contents log's growth with the heap (log.c,
 * section 5), under KMEM_FLAGS=0xf (the test executes itself again with
 * it).
 *
 * Checked here:
 *   - one big buffer does not make the log grow: the oversize arena takes
 *     256 MiB of address space at once, which is not heap in use (it did
 *     count, and a program with a few MiB of heap and one big buffer
 *     carried the whole 8 MiB log in its RSS);
 *   - 200,000 frees with a small heap keep to the first size, which the
 *     ring wraps, and records stay in the chunks in use;
 *   - a heap that grows to 40 MiB of live buffers does grow the log, to at
 *     least a quarter of an eighth of it, and never past the ring.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define SMALL_FREES     200000
#define LIVE_BYTES      (40UL << 20)
#define LIVE_SIZE       (64UL << 10)

extern char **environ;

static uint64_t
chunk_bytes(void)
{
	return (kmem_contents_log.lh_chunk * kmem_contents_log.lh_recsize);
}

static uint64_t
in_use_bytes(void)
{
	return (__atomic_load_n(&kmem_contents_log.lh_nchunks,
	    __ATOMIC_RELAXED) * chunk_bytes());
}

static void
small_frees(long n)
{
	for (long i = 0; i < n; i++) {
		char *volatile p = malloc(64);

		REQUIRE(p != NULL);
		p[0] = (char)i;
		free(p);
	}
}

int
main(int argc, char **argv)
{
	uint64_t first, ring, used;
	void *big;
	void **live;
	size_t nlive = LIVE_BYTES / LIVE_SIZE, i;

	if (getenv("TEST_LOG_AGAIN") == NULL) {
		char *args[] = { argv[0], NULL };
		char *envp[] = { "TEST_LOG_AGAIN=1", "KMEM_FLAGS=0xf",
		    "UMEM_OPTIONS=dump=off", NULL };

		(void) argc;
		execve(argv[0], args, envp);
		execve("/proc/self/exe", args, envp);
		check_say("execve: cannot run again\n");
		return (1);
	}
	REQUIRE((kmem_flags & KMF_CONTENTS) != 0);
	REQUIRE(kmem_contents_log.lh_base != NULL);
	ring = kmem_contents_log.lh_nrecs / kmem_contents_log.lh_chunk *
	    chunk_bytes();
	first = in_use_bytes();
	CHECKF(first < ring, "the log starts whole (%lu of %lu bytes)",
	    (unsigned long)first, (unsigned long)ring);

	big = malloc(1 << 20);          /* the oversize arena's first import */
	REQUIRE(big != NULL);
	memset(big, 1, 1 << 20);
	small_frees(SMALL_FREES);
	used = in_use_bytes();
	CHECKF(used <= 2 * first, "one big buffer and a small heap grew the "
	    "contents log from %lu to %lu bytes (ring %lu)",
	    (unsigned long)first, (unsigned long)used, (unsigned long)ring);
	free(big);

	live = malloc(nlive * sizeof (void *));
	REQUIRE(live != NULL);
	for (i = 0; i < nlive; i++) {
		live[i] = malloc(LIVE_SIZE);
		REQUIRE(live[i] != NULL);
		memset(live[i], 2, LIVE_SIZE);
	}
	small_frees(SMALL_FREES);
	used = in_use_bytes();
	CHECKF(used >= ((LIVE_BYTES >> 3) / 4 < ring ? (LIVE_BYTES >> 3) / 4 :
	    ring), "a heap of %lu bytes left the contents log at %lu bytes",
	    (unsigned long)LIVE_BYTES, (unsigned long)used);
	CHECKF(used <= ring, "the contents log uses %lu bytes of a %lu-byte "
	    "ring", (unsigned long)used, (unsigned long)ring);
	for (i = 0; i < nlive; i++)
		free(live[i]);
	free(live);
	return (check_status());
}
