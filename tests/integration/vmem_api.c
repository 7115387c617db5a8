/*
 * vmem_api: vmem arenas as a program uses them: an integer-ID allocator, a
 * constrained vmem_xalloc, vmem_add, importing from a source arena and an
 * arena over real memory.
 *
 * modes: static
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "slabtrace.h"
#include "check.h"

static void
test_ids(void)
{
	enum { N = 1000 };
	static unsigned char seen[N + 1];
	static uintptr_t ids[N];
	vmem_t *vmp;
	int i;

	vmp = vmem_create("st_ids", (void *)1, N, 1, NULL, NULL, NULL, 0,
	    VM_SLEEP);
	REQUIRE(vmp != NULL);
	CHECKF(vmem_size(vmp, VMEM_FREE) == N, "fresh arena: %zu free",
	    vmem_size(vmp, VMEM_FREE));
	for (i = 0; i < N; i++) {
		ids[i] = (uintptr_t)vmem_alloc(vmp, 1, VM_NOSLEEP);
		CHECKF(ids[i] >= 1 && ids[i] <= N, "id %zu out of [1, %d]",
		    (size_t)ids[i], N);
		if (ids[i] >= 1 && ids[i] <= N) {
			CHECKF(!seen[ids[i]], "id %zu handed out twice",
			    (size_t)ids[i]);
			seen[ids[i]] = 1;
		}
	}
	CHECK(vmem_alloc(vmp, 1, VM_NOSLEEP) == NULL);
	CHECKF(vmem_size(vmp, VMEM_ALLOC) == N, "%zu allocated",
	    vmem_size(vmp, VMEM_ALLOC));
	CHECK(vmem_size(vmp, VMEM_FREE) == 0);
	CHECK(vmem_size(vmp, VMEM_ALLOC | VMEM_FREE) == N);
	for (i = 0; i < N; i += 2)
		vmem_free(vmp, (void *)ids[i], 1);
	CHECK(vmem_size(vmp, VMEM_FREE) == N / 2);
	/* Runs of two can only come from coalesced neighbours. */
	for (i = 1; i < N; i += 2)
		vmem_free(vmp, (void *)ids[i], 1);
	CHECK(vmem_size(vmp, VMEM_ALLOC) == 0);
	{
		uintptr_t all = (uintptr_t)vmem_alloc(vmp, N, VM_NOSLEEP);

		CHECKF(all == 1, "the whole arena after freeing every id: %zu",
		    (size_t)all);
		if (all != 0)
			vmem_free(vmp, (void *)all, N);
	}
	vmem_destroy(vmp);
}

static void
test_xalloc(void)
{
	const uintptr_t base = 0x10000000, size = 1 << 24;
	void *held[100];
	vmem_t *vmp;
	uintptr_t a;
	size_t align;
	int i;

	vmp = vmem_create("st_xalloc", (void *)base, size, 16, NULL, NULL,
	    NULL, 0, VM_SLEEP);
	REQUIRE(vmp != NULL);
	for (align = 16; align <= (1 << 20); align *= 4) {
		a = (uintptr_t)vmem_xalloc(vmp, 48, align, 0, 0, NULL, NULL,
		    VM_NOSLEEP);
		CHECKF(a >= base && a + 48 <= base + size && a % align == 0,
		    "vmem_xalloc(48, align %zu) = %#zx", align, (size_t)a);
		if (a != 0)
			vmem_xfree(vmp, (void *)a, 48);
	}
	/* phase: a % align == phase. */
	a = (uintptr_t)vmem_xalloc(vmp, 64, 4096, 32, 0, NULL, NULL,
	    VM_NOSLEEP);
	CHECKF(a != 0 && a % 4096 == 32, "phase 32: %#zx", (size_t)a);
	if (a != 0)
		vmem_xfree(vmp, (void *)a, 64);
	/* nocross: [a, a + size) does not cross a 4096 boundary. */
	for (i = 0; i < 100; i++) {
		a = (uintptr_t)vmem_xalloc(vmp, 1008, 16, 0, 4096, NULL, NULL,
		    VM_NOSLEEP);
		CHECKF(a != 0 && a / 4096 == (a + 1007) / 4096,
		    "nocross 4096: %#zx", (size_t)a);
		held[i] = (void *)a;
	}
	for (i = 0; i < 100; i++)
		if (held[i] != NULL)
			vmem_xfree(vmp, held[i], 1008);
	/* Within [minaddr, maxaddr). */
	a = (uintptr_t)vmem_xalloc(vmp, 4096, 16, 0, 0,
	    (void *)(base + 0x800000), (void *)(base + 0x900000), VM_NOSLEEP);
	CHECKF(a >= base + 0x800000 && a + 4096 <= base + 0x900000,
	    "minaddr/maxaddr: %#zx", (size_t)a);
	if (a != 0)
		vmem_xfree(vmp, (void *)a, 4096);
	/* A request that cannot fit fails with VM_NOSLEEP. */
	CHECK(vmem_xalloc(vmp, 2 * size, 16, 0, 0, NULL, NULL,
	    VM_NOSLEEP) == NULL);
	CHECKF(vmem_size(vmp, VMEM_ALLOC) == 0, "%zu bytes still allocated",
	    vmem_size(vmp, VMEM_ALLOC));
	vmem_destroy(vmp);
}

static void
test_add_and_import(void)
{
	vmem_t *parent, *child, *empty;
	void *v[64];
	uintptr_t a;
	int i;

	empty = vmem_create("st_empty", NULL, 0, 8, NULL, NULL, NULL, 0,
	    VM_SLEEP);
	REQUIRE(empty != NULL);
	CHECK(vmem_alloc(empty, 8, VM_NOSLEEP) == NULL);
	CHECK(vmem_add(empty, (void *)0x200000, 0x10000, VM_NOSLEEP) != NULL);
	a = (uintptr_t)vmem_alloc(empty, 0x1000, VM_NOSLEEP);
	CHECKF(a >= 0x200000 && a + 0x1000 <= 0x210000, "after vmem_add: "
	    "%#zx", (size_t)a);
	vmem_free(empty, (void *)a, 0x1000);
	vmem_destroy(empty);

	parent = vmem_create("st_parent", (void *)0x40000000, 1 << 26, 4096,
	    NULL, NULL, NULL, 0, VM_SLEEP);
	REQUIRE(parent != NULL);
	child = vmem_create("st_child", NULL, 0, 16, vmem_alloc, vmem_free,
	    parent, 0, VM_SLEEP);
	REQUIRE(child != NULL);
	for (i = 0; i < 64; i++) {
		a = (uintptr_t)vmem_alloc(child, 16 * (size_t)(i + 1),
		    VM_NOSLEEP);
		CHECKF(a >= 0x40000000 && a < 0x40000000 + (1 << 26),
		    "imported segment %#zx outside the parent", (size_t)a);
		v[i] = (void *)a;
	}
	CHECK(vmem_size(parent, VMEM_ALLOC) > 0);
	CHECK(vmem_size(child, VMEM_ALLOC) == 16 * 64 * 65 / 2);
	for (i = 0; i < 64; i++)
		if (v[i] != NULL)
			vmem_free(child, v[i], 16 * (size_t)(i + 1));
	CHECK(vmem_size(child, VMEM_ALLOC) == 0);
	vmem_destroy(child);
	CHECKF(vmem_size(parent, VMEM_ALLOC) == 0, "the parent still has "
	    "%zu bytes allocated after the child was destroyed",
	    vmem_size(parent, VMEM_ALLOC));
	vmem_destroy(parent);
}

/* An arena over real memory, with quantum caches: buffers are usable. */
static void
test_real_memory(void)
{
	enum { N = 2000 };
	static unsigned char *v[N];
	static size_t sz[N];
	const size_t len = 16 << 20;
	unsigned char *mem;
	vmem_t *vmp;
	uint64_t x = 12345;
	int i;
	size_t j;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(mem != MAP_FAILED);
	vmp = vmem_create("st_real", mem, len, 16, NULL, NULL, NULL, 128,
	    VM_SLEEP);
	REQUIRE(vmp != NULL);
	for (i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sz[i] = 16 * (1 + (x >> 33) % (i % 3 ? 8 : 256));
		v[i] = vmem_alloc(vmp, sz[i], VM_NOSLEEP);
		REQUIRE(v[i] != NULL);
		CHECK(v[i] >= mem && v[i] + sz[i] <= mem + len);
		CHECK(((uintptr_t)v[i] & 15) == 0);
		memset(v[i], i & 0xff, sz[i]);
	}
	for (i = 0; i < N; i++) {
		for (j = 0; j < sz[i]; j++)
			if (v[i][j] != (unsigned char)i)
				break;
		CHECKF(j == sz[i], "segment %p (%zu bytes) overwritten at %zu",
		    (void *)v[i], sz[i], j);
		vmem_free(vmp, v[i], sz[i]);
	}
	vmem_destroy(vmp);
	(void) munmap(mem, len);
}

int
main(void)
{
	check_allocator_is_slabtrace();
	test_ids();
	test_xalloc();
	test_add_and_import();
	test_real_memory();
	return (check_status());
}
