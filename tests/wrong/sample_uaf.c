/*
 * sample_uaf: the sampled firewall (UMEM_DEBUG=firewall,sample=N) with
 * sample=1, so that every malloc is sampled: a use after free faults at
 * the guilty access, and the report gives the buffer's free and
 * allocation stacks and says the buffer was sampled.  Every way to get
 * a buffer from the malloc family is one variant:
 *
 *   read      malloc, free, read
 *   write     malloc, free, write
 *   calloc    calloc, free, read
 *   memalign  memalign(64), free, write
 *   posix     posix_memalign(32), free, read
 *   realloc   realloc moves a sampled buffer: the old pointer is freed
 *   exit      the write after free is the program's last act
 *
 * variants: read write calloc memalign posix realloc exit
 * env: UMEM_DEBUG=firewall,sample=1
 * signal: SEGV
 * expect-read: slabtrace: read after free
 * expect-calloc: slabtrace: read after free
 * expect-posix: slabtrace: read after free
 * expect-realloc: slabtrace: read after free
 * expect-write: slabtrace: write after free
 * expect-memalign: slabtrace: write after free
 * expect-exit: slabtrace: write after free
 * expect: fault at [0-9a-f]+: offset 0x[0-9a-f]+ of the [0-9]+-byte buffer
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: sampled, 1 in 1 \(firewall\)
 * expect: sampled buffer: one malloc in 1 is guarded \(UMEM_DEBUG=firewall,sample=1\)
 * expect: faulting (read|write), thread=[0-9]+:
 * expect: \s*wrong_(reader|writer)(\+0x[0-9a-f]+)?  (.+/)?sample_uaf\.c:[0-9]+
 * expect: previous transaction \(free\) on buffer [0-9a-f]+:
 * expect: \s*(free|realloc)\+0x[0-9a-f]+(  .*)?
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: transaction before that \(allocation\) on buffer [0-9a-f]+:
 * expect: \s*(malloc|calloc|memalign|posix_memalign)\+0x[0-9a-f]+(  .*)?
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: firewall fault on address 0x[0-9a-f]+ \(heap corruption\)
 * gdb-read: wrong_reader
 * gdb-calloc: wrong_reader
 * gdb-posix: wrong_reader
 * gdb-realloc: wrong_reader
 * gdb-write: wrong_writer
 * gdb-memalign: wrong_writer
 * gdb-exit: wrong_writer
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) long
wrong_reader(volatile long *p)
{
	return (p[2]);
}

__attribute__((noinline)) void
wrong_writer(volatile long *p)
{
	p[1] = 42;
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "read";
	long *volatile p;
	void *q;

	if (strcmp(v, "calloc") == 0) {
		p = calloc(10, 24);
		free(p);
		printf("%ld\n", wrong_reader(p));
	} else if (strcmp(v, "memalign") == 0) {
		p = memalign(64, 100);
		if (((unsigned long)p & 63) != 0)
			return (1);
		free(p);
		wrong_writer(p);
	} else if (strcmp(v, "posix") == 0) {
		if (posix_memalign(&q, 32, 72) != 0 ||
		    ((unsigned long)q & 31) != 0)
			return (1);
		p = q;
		free(p);
		printf("%ld\n", wrong_reader(p));
	} else if (strcmp(v, "realloc") == 0) {
		p = malloc(40);
		p[2] = 5;
		q = realloc(p, 48);    /* fits, but a sampled one moves */
		if (q == p || ((long *)q)[2] != 5)
			return (1);
		printf("%ld\n", wrong_reader(p));
	} else if (strcmp(v, "write") == 0) {
		p = malloc(200);
		free(p);
		wrong_writer(p);
		printf("not reached\n");
	} else if (strcmp(v, "exit") == 0) {
		p = malloc(24);
		free(p);
		wrong_writer(p);
		return (0);
	} else {
		p = malloc(300);
		p[2] = 7;
		free(p);
		printf("%ld\n", wrong_reader(p));
	}
	return (0);
}
