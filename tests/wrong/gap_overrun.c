/*
 * gap_overrun: writes that jump a buffer's tag into the bytes its cache's
 * alignment leaves after it (the gap), and a write further before a slab's
 * first buffer than its old 16-byte leading redzone: each is reported
 * against the buffer it belongs to (debug.c, section 2).  The old library
 * blamed "field" on the next buffer, as its underflow, at that buffer's
 * free, and did not see "page", "exit" or "first" at all.
 *
 *   field  elements of 64 bytes, one allocated: a field of the element past
 *          the end written (28 bytes past the end, beyond the 24-byte tag,
 *          in kmem_alloc_64's 128-byte chunk); a neighbour allocated after
 *          it; the buffer freed first.
 *   page   a 4096-byte buffer (page-aligned chunks of 8192 bytes) written
 *          31 bytes past its end, then freed.
 *   exit   the same, never freed: the exit verify finds it.
 *   first  an 8-byte buffer, the first of its slab, written 32 bytes
 *          before its start, then freed.
 *   far    a 4096-byte buffer written 2000 bytes past its end (the middle
 *          of the gap's first half), then freed: a free checks only 64
 *          bytes at each end of a gap, so the exit verify finds it.
 *   farunder  the second of two 4096-byte buffers written 1500 bytes
 *          before its start (the gap's second half): the exit verify
 *          blames it, not the first buffer.
 *
 * -O2, under 0xf and UMEM_DEBUG=default.
 *
 * variants: field page exit first far farunder
 * flags: 0xf default
 * expect: slabtrace: redzone violation: write (past end|before start) of buffer
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-field: slabtrace: redzone violation: write past end of buffer
 * expect-field: write at offset 0x5c, byte 29 past the end of the 64-byte buffer \(0xbb replaced by 0x2a\)
 * expect-field: at main\+0x[0-9a-f]+  (.+/)?gap_overrun\.c:[0-9]+
 * expect-page: write at offset 0x101f, byte 32 past the end of the 4096-byte buffer \(0xbb replaced by 0x2a\)
 * expect-page: at main\+0x[0-9a-f]+  (.+/)?gap_overrun\.c:[0-9]+
 * expect-exit: write at offset 0x101f, byte 32 past the end of the 4096-byte buffer \(0xbb replaced by 0x2a\)
 * expect-exit: found by the exit verify \(the whole heap, at exit\)
 * expect-first: write at offset -0x20, before the start of the 8-byte buffer \(0xbb replaced by 0x2a\)
 * expect-first: at main\+0x[0-9a-f]+  (.+/)?gap_overrun\.c:[0-9]+
 * expect-far: write at offset 0x17cf, byte 2000 past the end of the 4096-byte buffer \(0xbb replaced by 0x2a\)
 * expect-far: found by the exit verify \(the whole heap, at exit\)
 * expect-farunder: slabtrace: redzone violation: write before start of buffer
 * expect-farunder: write at offset -0x5dc, before the start of the 4096-byte buffer \(0xbb replaced by 0x2a\)
 * expect-farunder: found by the exit verify \(the whole heap, at exit\)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct elem {
	uint64_t e_key[3];
	uint32_t e_pad;
	uint32_t e_flags;		/* offset 28 */
	uint64_t e_rest[4];
} elem_t;				/* 64 bytes */

__attribute__((noinline)) void *
go_alloc(size_t n)
{
	void *p = malloc(n);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (p);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "field";

	if (strcmp(v, "field") == 0) {
		elem_t *volatile a = go_alloc(sizeof (elem_t));
		char *volatile b = go_alloc(sizeof (elem_t));

		memset(a, 0, sizeof (elem_t));
		memset(b, 0, sizeof (elem_t));
		((volatile uint8_t *)&a[1].e_flags)[0] = 0x2a;  /* the bug */
		free(a);
		free(b);
	} else if (strcmp(v, "page") == 0 || strcmp(v, "exit") == 0) {
		char *volatile p = go_alloc(4096);

		memset(p, 1, 4096);
		((volatile char *)p)[4096 + 31] = 0x2a;         /* the bug */
		if (strcmp(v, "page") == 0)
			free(p);
	} else if (strcmp(v, "far") == 0) {
		char *volatile p = go_alloc(4096);

		memset(p, 1, 4096);
		((volatile char *)p)[4096 + 1999] = 0x2a;       /* the bug */
		free(p);
	} else if (strcmp(v, "farunder") == 0) {
		char *volatile a = go_alloc(4096);
		char *volatile p = go_alloc(4096);

		memset(a, 1, 4096);
		memset(p, 1, 4096);
		((volatile char *)p)[-1500] = 0x2a;             /* the bug */
	} else {
		char *volatile p = go_alloc(8);

		memset(p, 1, 8);
		((volatile char *)p)[-32] = 0x2a;               /* the bug */
		free(p);
	}
	return (0);
}
