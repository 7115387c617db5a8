/*
 * fw_below: UMEM_OPTIONS=fwbelow puts the firewall's guard page before
 * each buffer (Electric Fence's EF_PROTECT_BELOW), so that an access
 * before a buffer's start faults at once; by default the guard page is
 * after the buffer and a read before it is not caught.
 *
 * Variants:
 *   read      a loop that starts one byte early reads p[-1] of a 10-byte
 *             buffer: the read faults, reported as before its start;
 *   write     a header written 16 bytes before a 100-byte buffer;
 *   default   the read of p[-1] without fwbelow: no fault, no report (the
 *             lead byte is read; the program sees a wrong sum, exits 3);
 *   pastpage  fwbelow, a 4096-byte buffer and another right after it: a
 *             write 8 bytes past the first's end lands in the second's
 *             guard page and is reported as the first's overrun (the
 *             nearer buffer), with the first's allocation;
 *   slack     fwbelow, a write one past a 10-byte buffer lands in its
 *             page's slack: found when it is freed;
 *   realloc   a buffer grown by realloc to 5000 bytes (it moves, with
 *             room after it) and to 9000 (in place, into the room), its
 *             bytes kept, then read at [-1];
 *   mprotect  read, with page protections instead of guard regions;
 *   zero      fwbelow, malloc(0)'s first byte read: a buffer of no bytes
 *             keeps its guard page after it, so the read faults (at the
 *             page's start there would be a whole page of slack to read).
 *
 * variants: read write default pastpage slack realloc mprotect zero
 * env: KMEM_FLAGS=0x4f UMEM_OPTIONS=fwbelow
 * env-default: KMEM_FLAGS=0x4f
 * env-mprotect: KMEM_FLAGS=0x4f UMEM_OPTIONS=fwbelow,mprotect
 * signal: SEGV
 * expect-read: slabtrace: read before start of buffer
 * expect-read: fault at [0-9a-f]+: 1 bytes before the 10-byte buffer
 * expect-read: faulting read, thread=[0-9]+:
 * expect-read: \s*wrong_sum\+0x[0-9a-f]+(  .*)?
 * expect-read: previous transaction \(allocation\) on buffer [0-9a-f]+:
 * expect-mprotect: slabtrace: read before start of buffer
 * expect-mprotect: fault at [0-9a-f]+: 1 bytes before the 10-byte buffer
 * expect-realloc: slabtrace: read before start of buffer
 * expect-realloc: fault at [0-9a-f]+: 1 bytes before the 9000-byte buffer
 * expect-write: slabtrace: write before start of buffer
 * expect-write: fault at [0-9a-f]+: 16 bytes before the 100-byte buffer
 * expect-write: \s*wrong_header(\+0x[0-9a-f]+)?(  .*)?
 * signal-default: none
 * status-default: 3
 * dump-default: no
 * expect-pastpage: slabtrace: write past end of buffer
 * expect-pastpage: fault at [0-9a-f]+: offset 0x1008 of the 4096-byte buffer, past its end
 * expect-pastpage: \s*wrong_fill\+0x[0-9a-f]+(  .*)?
 * expect-zero: slabtrace: read past end of buffer
 * expect-zero: fault at [0-9a-f]+: offset 0x0 of the 0-byte buffer, past its end
 * expect-zero: \s*wrong_peek(\+0x[0-9a-f]+)?(  .*)?
 * signal-slack: ABRT
 * expect-slack: slabtrace: redzone violation: write past end of buffer
 * gdb: main
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) int
wrong_sum(volatile const char *p, long n)
{
	int s = 0;
	long i;

	for (i = -1; i < n; i++)        /* the bug: starts at -1 */
		s += p[i];
	return (s);
}

__attribute__((noinline)) void
wrong_header(volatile char *p)
{
	/* the bug: a length header written where the allocation is not */
	*(volatile long *)(p - 16) = 100;
}

__attribute__((noinline)) void
wrong_fill(volatile char *p, size_t n)
{
	p[n + 8] = 1;                   /* the bug: past the end */
}

__attribute__((noinline)) int
wrong_peek(volatile const char *p)
{
	return (p[0]);                  /* the bug: malloc(0) has no bytes */
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "read";

	if (strcmp(v, "read") == 0 || strcmp(v, "default") == 0 ||
	    strcmp(v, "mprotect") == 0) {
		volatile char *p = malloc(10);

		memset((char *)p, 1, 10);
		if (wrong_sum(p, 10) != 10)
			return (3);
		free((void *)p);
	} else if (strcmp(v, "write") == 0) {
		volatile char *p = malloc(100);

		wrong_header(p);
		free((void *)p);
	} else if (strcmp(v, "pastpage") == 0) {
		volatile char *a = malloc(4096), *b = malloc(4096);

		memset((char *)b, 2, 4096);
		wrong_fill(a, 4096);
		free((void *)a);
		free((void *)b);
	} else if (strcmp(v, "realloc") == 0) {
		char *p = malloc(10), *q;
		size_t i;

		memset(p, 7, 10);
		p = realloc(p, 5000);
		q = p == NULL ? NULL : realloc(p, 9000);
		if (q == NULL)
			return (4);
		for (i = 0; i < 10; i++)
			if (q[i] != 7)
				return (5);
		memset(q + 10, 1, 8990);
		if (wrong_sum(q, 9000) != 70 + 8990)
			return (3);
		free(q);
	} else if (strcmp(v, "zero") == 0) {
		volatile char *p = malloc(0);

		if (p != NULL && wrong_peek(p) == 0x5a)
			return (3);
		free((void *)p);
	} else if (strcmp(v, "slack") == 0) {
		volatile char *p = malloc(10);

		p[10] = 1;                      /* the bug */
		free((void *)p);
	}
	return (0);
}
