/*
 * sample_overrun: past the end of a sampled buffer (sample=1: every
 * malloc).  A sampled buffer ends against a guard page, 16-byte aligned:
 *
 *   guard     malloc(64), write p[64]: the guard page, a fault at once
 *   read      malloc(4096), read p[4096]: the guard page
 *   slack     malloc(13), write p[13]: the alignment's slack before the
 *             guard page, redzone bytes checked on free
 *   before    malloc(32), write p[-1]: the page before the buffer holds
 *             redzone bytes, checked on free
 *   noabort   the slack write with UMEM_DEBUG=...,noabort: reported, the
 *             buffer is not freed, the program goes on and exits 0
 *   below     UMEM_OPTIONS=fwbelow: the buffer starts its slot, the write
 *             of p[-1] hits the guard page before it, a fault at once
 *             (the page map leads that page to the slot before: the
 *             nearer buffer is this one)
 *   belowpast fwbelow, malloc(4096), read p[4096]: the guard page after,
 *             this buffer's overrun, not the next slot's underrun
 *
 * variants: guard read slack before noabort below belowpast
 * cflags: -O0
 * env: UMEM_DEBUG=firewall,sample=1
 * env-noabort: UMEM_DEBUG=firewall,sample=1,noabort
 * env-below: UMEM_DEBUG=firewall,sample=1 UMEM_OPTIONS=fwbelow
 * env-belowpast: UMEM_DEBUG=firewall,sample=1 UMEM_OPTIONS=fwbelow
 * signal-below: SEGV
 * signal-belowpast: SEGV
 * expect-below: slabtrace: write before start of buffer
 * expect-below: fault at [0-9a-f]+: 1 bytes before the 32-byte buffer
 * expect-below: sampled buffer: one malloc in 1 is guarded \(UMEM_DEBUG=firewall,sample=1\)
 * expect-below: previous transaction \(allocation\) on buffer [0-9a-f]+:
 * expect-belowpast: slabtrace: read past end of buffer
 * expect-belowpast: fault at [0-9a-f]+: offset 0x1000 of the 4096-byte buffer, past its end
 * signal-guard: SEGV
 * signal-read: SEGV
 * signal-slack: ABRT
 * signal-before: ABRT
 * signal-noabort: none
 * status-noabort: 0
 * dump-noabort: no
 * expect-guard: slabtrace: write past end of buffer
 * expect-guard: fault at [0-9a-f]+: offset 0x40 of the 64-byte buffer, past its end
 * expect-guard: sampled buffer: one malloc in 1 is guarded \(UMEM_DEBUG=firewall,sample=1\)
 * expect-guard: \s*wrong_fill(\+0x[0-9a-f]+)?  (.+/)?sample_overrun\.c:[0-9]+
 * expect-guard: previous transaction \(allocation\) on buffer [0-9a-f]+:
 * expect-read: slabtrace: read past end of buffer
 * expect-read: fault at [0-9a-f]+: offset 0x1000 of the 4096-byte buffer, past its end
 * expect-read: sampled buffer: one malloc in 1 is guarded \(UMEM_DEBUG=firewall,sample=1\)
 * expect-slack: slabtrace: redzone violation: write past end of buffer
 * expect-slack: write at offset 0xd, byte 1 past the end of the 13-byte buffer \(0xbb replaced by 0x01\)
 * expect-slack: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: sampled, 1 in 1
 * expect-slack: previous transaction on buffer [0-9a-f]+:
 * expect-slack: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect-before: slabtrace: redzone violation: write before start of buffer
 * expect-before: write at offset -0x1, before the start of the 32-byte buffer \(0xbb replaced by 0x07\)
 * expect-before: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: sampled, 1 in 1
 * expect-noabort: slabtrace: redzone violation: write past end of buffer
 * expect-noabort: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: sampled, 1 in 1
 * expect-noabort: done
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void
wrong_fill(volatile char *p, size_t n)
{
	size_t i;

	for (i = 0; i <= n; i++)        /* the bug: <= */
		p[i] = 1;
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "guard";
	char *volatile p;

	if (strcmp(v, "read") == 0 || strcmp(v, "belowpast") == 0) {
		p = malloc(4096);
		printf("%d\n", p[4096]);
	} else if (strcmp(v, "slack") == 0 || strcmp(v, "noabort") == 0) {
		p = malloc(13);
		wrong_fill(p, 13);
		free(p);
		fprintf(stderr, "done\n");
	} else if (strcmp(v, "before") == 0 || strcmp(v, "below") == 0) {
		char *volatile q = malloc(48);  /* a neighbour, in use */

		q[0] = 1;
		p = malloc(32);
		p[-1] = 7;
		free(p);
	} else {
		p = malloc(64);
		wrong_fill(p, 64);
		free(p);
	}
	return (0);
}
