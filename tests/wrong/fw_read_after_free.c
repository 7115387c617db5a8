/*
 * fw_read_after_free: with a firewall, reading a freed buffer faults at
 * the read, and the report names the buffer and its last free.
 * Deadbeef cannot see a read.
 *
 * variants: guard mprotect
 * env: UMEM_DEBUG=default,firewall=1
 * env-mprotect: UMEM_DEBUG=default,firewall=1 UMEM_OPTIONS=mprotect
 * signal: SEGV
 * expect: slabtrace: read after free
 * expect: fault at [0-9a-f]+: offset 0x10 of the 300-byte buffer
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+ \(firewall\)
 * expect: faulting read, thread=[0-9]+:
 * expect: \s*wrong_reader(\+0x[0-9a-f]+)?  (.+/)?fw_read_after_free\.c:[0-9]+
 * expect: previous transaction \(free\) on buffer [0-9a-f]+:
 * expect: thread=[0-9]+  time=T-[0-9]+\.[0-9]{9}  cache: kmem_alloc_[0-9]+
 * expect: \s*free\+0x[0-9a-f]+(  .*)?
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: transaction before that \(allocation\) on buffer [0-9a-f]+:
 * expect: \s*malloc\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: firewall fault on address 0x[0-9a-f]+ \(heap corruption\)
 * gdb: wrong_reader
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long
wrong_reader(volatile long *p)
{
	return (p[2]);
}

int
main(void)
{
	long *volatile p = malloc(300);

	p[2] = 7;
	free(p);
	printf("%ld\n", wrong_reader(p));       /* the bug */
	return (0);
}
