/*
 * badptr: free() of pointers that no malloc returned, in every mode: one
 * clear line naming the pointer, and SIGABRT, every time; never a crash
 * inside the allocator, never a freed buffer handed out twice.
 *
 *   stack static literal   addresses of the program's own memory
 *   mmap                   a page the program mapped itself
 *   random noncanon        an unmapped address; a non-canonical one
 *   deadbeef               the free pattern, as read from freed memory
 *   interior8 interior40   8 and 40 bytes into a 64-byte buffer
 *   slabend                past the last buffer of a slab page
 *   biginterior            4096 bytes into a 300,000-byte buffer
 *   bigend                 the last byte of a 300,000-byte buffer
 *
 * variants: stack static literal mmap random noncanon deadbeef interior8 interior40 slabend biginterior bigend
 * flags: plain 0xf default lite fw
 * env: UMEM_OPTIONS=dump=off
 * dump: no
 * expect: slabtrace: (free\(0x[0-9a-f]+\): (invalid pointer, not (from this allocator|the start of an allocated buffer).*|bad free: free address != alloc address \(0x[0-9a-f]+ in kmem_[a-z_0-9]+\))|bad free: free address != alloc address|invalid free: buffer not in cache)
 * expect-deadbeef: .*pointer was read from freed memory.*
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static char static_buf[64];

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "stack";
	char stack_buf[64];
	char *volatile p = NULL;

	if (strcmp(v, "stack") == 0)
		p = stack_buf;
	else if (strcmp(v, "static") == 0)
		p = static_buf;
	else if (strcmp(v, "literal") == 0)
		p = (char *)"a string literal";
	else if (strcmp(v, "mmap") == 0)
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (strcmp(v, "random") == 0)
		p = (char *)(uintptr_t)0x5a5a5a5a0000ULL;
	else if (strcmp(v, "noncanon") == 0)
		p = (char *)(uintptr_t)0x8000000000001000ULL;
	else if (strcmp(v, "deadbeef") == 0)
		p = (char *)(uintptr_t)0xdeadbeefdeadbeefULL;
	else if (strcmp(v, "interior8") == 0)
		p = (char *)malloc(64) + 8;
	else if (strcmp(v, "interior40") == 0)
		p = (char *)malloc(64) + 40;
	else if (strcmp(v, "slabend") == 0)
		p = (char *)(((uintptr_t)malloc(64) | 4095) - 7);
	else if (strcmp(v, "biginterior") == 0)
		p = (char *)malloc(300000) + 4096;
	else if (strcmp(v, "bigend") == 0)
		p = (char *)malloc(300000) + 299999;
	stack_buf[0] = static_buf[0] = 1;
	free(p);
	return (0);
}
