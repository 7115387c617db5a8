/*
 * fw_align: a read of the byte after a 10-byte buffer under the firewall.
 * malloc's alignment leaves 6 bytes of slack before the guard page, so by
 * default the read cannot fault (tests/corpus/ovfr_slack); with
 * UMEM_OPTIONS=fwalign=1 the buffer ends at its guard page and the read
 * faults at once.  Variants: exact (fwalign=1: the fault, reported),
 * slack (no fwalign: no report, the program sums 11 bytes and exits 3),
 * calloc (fwalign=1 through calloc: a 13-byte buffer, read at 13), and
 * badvalue (fwalign=3: one line saying what is wrong, exit 1).
 *
 * variants: exact slack calloc badvalue
 * env: KMEM_FLAGS=0x4f UMEM_OPTIONS=fwalign=1
 * env-slack: KMEM_FLAGS=0x4f
 * env-badvalue: KMEM_FLAGS=0x4f UMEM_OPTIONS=fwalign=3
 * signal: SEGV
 * expect-exact: slabtrace: read past end of buffer
 * expect-exact: fault at [0-9a-f]+: offset 0xa of the 10-byte buffer, past its end
 * expect-exact: \s*wrong_sum\+0x[0-9a-f]+(  .*)?
 * expect-calloc: slabtrace: read past end of buffer
 * expect-calloc: fault at [0-9a-f]+: offset 0xd of the 13-byte buffer, past its end
 * signal-slack: none
 * status-slack: 3
 * dump-slack: no
 * signal-badvalue: none
 * status-badvalue: 1
 * dump-badvalue: no
 * expect-badvalue: [s]labtrace: UMEM_OPTIONS: not a power of two in .fwalign=3.; valid: .* fwalign=1.2.4.8.16 .*; not starting the program
 * gdb: wrong_sum
 */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) int
wrong_sum(volatile const char *p, size_t n)
{
	int s = 0;
	size_t i;

	for (i = 0; i <= n; i++)        /* the bug: <= */
		s += p[i];
	return (s);
}

int
main(int argc, char **argv)
{
	int c = argc > 1 && strcmp(argv[1], "calloc") == 0;
	size_t n = c ? 13 : 10;
	volatile char *p = c ? calloc(1, n) : malloc(n);

	memset((char *)p, 1, n);
	if (wrong_sum(p, n) != (int)n)
		return (3);
	free((void *)p);
	return (0);
}
