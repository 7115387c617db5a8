/*
 * firewall_maps: a long run with a firewall under every buffer stays
 * inside the kernel's map limit (vm.max_map_count): live firewall buffers
 * are capped, freed ones are recycled from the quarantine, and nothing
 * fails where Electric Fence dies with "mprotect() failed".
 *
 * 400,000 allocations, up to 100,000 live at once (more than the 65530
 * mappings a default kernel allows, at two per live buffer), every buffer
 * written in full and checked before it is freed.  Run twice: with guard
 * regions where the kernel has them (then under 1,000 mappings: live
 * buffers cost none), then with UMEM_OPTIONS=mprotect (the program
 * executes itself again).
 *
 * env: UMEM_DEBUG=default,firewall=1 UMEM_OPTIONS=dump=off
 * timeout: 300
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define LIVE    100000
#define TOTAL   400000

static long
map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;

	if (f == NULL)
		return (-1);
	while ((c = getc(f)) != EOF)
		n += (c == '\n');
	fclose(f);
	return (n);
}

static long
max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long v = 65530;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return (v);
}

/* Does this kernel have guard regions (Linux 6.13)? */
static int
kernel_has_guards(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok;

	if (p == MAP_FAILED)
		return (0);
	ok = madvise(p, (size_t)pg, 102 /* MADV_GUARD_INSTALL */) == 0;
	munmap(p, (size_t)pg);
	return (ok);
}

int
main(void)
{
	static unsigned char *live[LIVE];
	static size_t size[LIVE];
	uint64_t s = 12345;
	long i, maps, most = 0, limit = max_map_count();

	check_allocator_is_slabtrace();
	for (i = 0; i < TOTAL; i++) {
		long k = i % LIVE;

		if (live[k] != NULL) {
			size_t j;

			for (j = 0; j < size[k]; j++)
				if (live[k][j] != (unsigned char)k)
					break;
			CHECKF(j == size[k], "buffer %ld corrupted at %zu", k, j);
			free(live[k]);
		}
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		size[k] = 1 + (s >> 33) % 300;
		live[k] = malloc(size[k]);
		REQUIRE(live[k] != NULL);
		memset(live[k], (int)(k & 0xff), size[k]);
		if (i % 20000 == 0 && (maps = map_count()) > most)
			most = maps;
	}
	CHECKF(most < limit, "%ld mappings, the limit is %ld", most, limit);
	/* Guard regions: live buffers cost no mappings of their own. */
	if (getenv("FIREWALL_MAPS_AGAIN") == NULL && kernel_has_guards())
		CHECKF(most < 1000, "%ld mappings with guard regions", most);
	check_say("firewall_maps: at most %ld mappings (limit %ld)\n", most,
	    limit);
	for (i = 0; i < LIVE; i++)
		free(live[i]);
	if (check_status() == 0 && getenv("FIREWALL_MAPS_AGAIN") == NULL) {
		char *argv[] = { "firewall_maps", NULL };

		setenv("FIREWALL_MAPS_AGAIN", "1", 1);
		setenv("UMEM_OPTIONS", "dump=off,mprotect", 1);
		execv("/proc/self/exe", argv);
		CHECKF(0, "exec: %s", strerror(errno));
	}
	return (check_status());
}
