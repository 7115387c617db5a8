/*
 * fw_realloc: realloc under the firewall.  A buffer that grows moves the
 * first time (a stale pointer faults); moved, it has room after its guard
 * and grows in place a few bytes at a time (string building, linear, not
 * quadratic), its contents kept; an overrun into the slack left by an
 * in-place growth is found at free, one that reaches the guard page
 * faults; a shrink gives pages back, and a write past the new end faults.
 *
 *   stale     p = realloc(q, more): a write through q faults (after free)
 *   stale2    grown in place, then past its room: the old pointer faults
 *   build     a string built a byte at a time to 1 MiB, checked, freed:
 *             no report (exits 0)
 *   slack     grown in place, then one byte written past its end: free
 *             reports the redzone
 *   guard     grown in place, a write at the first byte of the next page
 *             faults past the end
 *   shrink    shrunk by pages, a write at the old end faults
 *   X-mp      X with UMEM_OPTIONS=mprotect (page protection, not guard
 *             regions: firewall.c section 4)
 *
 * variants: stale stale2 build slack guard shrink stale2-mp build-mp guard-mp shrink-mp
 * env-stale2-mp: KMEM_FLAGS=0x4f UMEM_OPTIONS=mprotect
 * env-build-mp: KMEM_FLAGS=0x4f UMEM_OPTIONS=mprotect
 * env-guard-mp: KMEM_FLAGS=0x4f UMEM_OPTIONS=mprotect
 * env-shrink-mp: KMEM_FLAGS=0x4f UMEM_OPTIONS=mprotect
 * signal-build-mp: none
 * status-build-mp: 0
 * dump-build-mp: no
 * expect-stale2-mp: slabtrace: write after free
 * expect-stale2-mp: fault at [0-9a-f]+: offset 0x64 of the 24000-byte buffer
 * expect-guard-mp: slabtrace: write past end of buffer
 * expect-guard-mp: fault at [0-9a-f]+: offset 0x[0-9a-f]+ of the 20010-byte buffer, past its end
 * expect-shrink-mp: slabtrace: write past end of buffer
 * expect-shrink-mp: fault at [0-9a-f]+: offset 0x4e1f of the 5000-byte buffer, past its end
 * env: KMEM_FLAGS=0x4f
 * signal: SEGV
 * signal-build: none
 * status-build: 0
 * dump-build: no
 * signal-slack: ABRT
 * expect-stale: slabtrace: write after free
 * expect-stale: fault at [0-9a-f]+: offset 0x64 of the 20000-byte buffer
 * expect-stale: \s*wrong_store\+0x[0-9a-f]+(  .*)?
 * expect-stale: previous transaction \(free\) on buffer [0-9a-f]+:
 * expect-stale2: slabtrace: write after free
 * expect-stale2: fault at [0-9a-f]+: offset 0x64 of the 24000-byte buffer
 * expect-slack: slabtrace: redzone violation: write past end of buffer
 * expect-slack: write at offset 0x4e2a, byte 1 past the end of the 20010-byte buffer \(0xbb replaced by 0x78\)
 * expect-guard: slabtrace: write past end of buffer
 * expect-guard: fault at [0-9a-f]+: offset 0x[0-9a-f]+ of the 20010-byte buffer, past its end
 * expect-guard: \s*wrong_store\+0x[0-9a-f]+(  .*)?
 * expect-shrink: slabtrace: write past end of buffer
 * expect-shrink: fault at [0-9a-f]+: offset 0x4e1f of the 5000-byte buffer, past its end
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		perror("realloc");
		exit(2);
	}
	return (q);
}

__attribute__((noinline)) static void
wrong_store(volatile char *p, size_t off)
{
	p[off] = 'x';
}

int
main(int argc, char **argv)
{
	char v[16] = "stale";
	char *volatile p, *volatile q;
	size_t n, i;

	if (argc > 1) {
		snprintf(v, sizeof (v), "%s", argv[1]);
		v[strcspn(v, "-")] = '\0';        /* X-mp: X, in another mode */
	}

	p = malloc(20000);
	memset(p, 'a', 20000);
	if (strcmp(v, "stale") == 0) {
		q = xrealloc(p, 20001);
		if (q == p)
			return (3);
		wrong_store(p, 100);
	} else if (strcmp(v, "stale2") == 0) {
		q = xrealloc(p, 20001);         /* moves, room 5000 bytes */
		p = xrealloc(q, 24000);         /* in place */
		if (p != q)
			return (3);
		p = xrealloc(q, 40000);         /* past its room: moves */
		if (p == q)
			return (4);
		wrong_store(q, 100);
	} else if (strcmp(v, "build") == 0) {
		p = xrealloc(p, 20001);
		for (n = 20001; n < (1 << 20); n += 1 + n % 7) {
			p = xrealloc(p, n + 1);
			p[n] = (char)('a' + n % 26);
		}
		for (i = 0; i < 20000; i++)
			if (p[i] != 'a')
				return (5);
		free(p);
		return (0);
	} else if (strcmp(v, "slack") == 0) {
		q = xrealloc(p, 20001);
		p = xrealloc(q, 20010);
		if (p != q)
			return (3);
		wrong_store(p, 20010);
		free(p);
	} else if (strcmp(v, "guard") == 0) {
		q = xrealloc(p, 20001);
		p = xrealloc(q, 20010);
		if (p != q)
			return (3);
		n = 4096 - ((unsigned long)p + 20010) % 4096;
		wrong_store(p, 20010 + n);
	} else if (strcmp(v, "shrink") == 0) {
		q = xrealloc(p, 5000);
		if (q != p)
			return (3);
		wrong_store(p, 19999);
	}
	return (0);
}
