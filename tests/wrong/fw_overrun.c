/*
 * fw_overrun: KMEM_FLAGS with FIREWALL (0x40): every buffer ends against
 * an inaccessible page; a write one past the end faults at the write.
 *
 * variants: guard mprotect
 * env: KMEM_FLAGS=0x4f
 * env-mprotect: KMEM_FLAGS=0x4f UMEM_OPTIONS=mprotect
 * signal: SEGV
 * expect: slabtrace: write past end of buffer
 * expect: fault at [0-9a-f]+: offset 0x1000 of the 4096-byte buffer, past its end
 * expect: faulting write, thread=[0-9]+:
 * expect: \s*wrong_fill\+0x[0-9a-f]+(  .*)?
 * expect: previous transaction \(allocation\) on buffer [0-9a-f]+:
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: firewall fault .*
 * gdb: wrong_fill
 */
#include <stdlib.h>

__attribute__((noinline)) void
wrong_fill(volatile char *p, size_t n)
{
	size_t i;

	for (i = 0; i <= n; i++)        /* the bug: <= */
		p[i] = 1;
}

int
main(void)
{
	char *volatile p = malloc(4096);

	wrong_fill(p, 4096);
	free(p);
	return (0);
}
