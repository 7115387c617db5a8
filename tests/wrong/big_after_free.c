/*
 * big_after_free: a 1,000,000-byte buffer (above the largest cache) is
 * used after its free, 400,000 bytes in.  Its pages after the first are
 * inaccessible while it waits in the quarantine, so the access faults at
 * once, read or write, under 0xf and UMEM_DEBUG=default, and the report
 * names the offset, the free and the allocation.
 *
 *   write    a write, then the program would exit at once
 *   read     a read, whose value is printed
 *   thread   another thread freed it and waits, idle; main writes
 *
 * variants: write read thread
 * flags: 0xf default
 * signal: SEGV
 * expect: slabtrace: (write|read) after free
 * expect: fault at [0-9a-f]+: offset 0x61a80 of the 1000000-byte buffer
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_oversize
 * expect: faulting (write|read), thread=[0-9]+:
 * expect: \s*big_use\+0x[0-9a-f]+  (.+/)?big_after_free\.c:[0-9]+
 * expect: previous transaction \(free\) on buffer [0-9a-f]+:
 * expect: \s*big_free\+0x[0-9a-f]+  (.+/)?big_after_free\.c:[0-9]+
 * expect: transaction before that \(allocation\) on buffer [0-9a-f]+:
 * expect: \s*big_alloc\+0x[0-9a-f]+  (.+/)?big_after_free\.c:[0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: freed big buffer fault on address 0x[0-9a-f]+ \(heap corruption\)
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * expect-write: slabtrace: write after free
 * expect-read: slabtrace: read after free
 * gdb: big_use
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG_SIZE        1000000
#define BIG_OFF         400000

static char *volatile big;
static int ready[2], never[2];

__attribute__((noinline)) static char *
big_alloc(void)
{
	char *p = malloc(BIG_SIZE);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (p);
}

__attribute__((noinline)) static void
big_free(char *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static int
big_use(int write)
{
	volatile char *p = big;

	if (write) {
		p[BIG_OFF] = 'x';
		return (0);
	}
	return (p[BIG_OFF]);
}

static void *
freer(void *arg)
{
	char c;

	(void) arg;
	big_free(big);
	(void) write(ready[1], "f", 1);
	(void) read(never[0], &c, 1);           /* idle for good */
	return (NULL);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "write";
	pthread_t t;
	char c;

	big = big_alloc();
	memset(big, 7, BIG_SIZE);
	if (strcmp(v, "thread") == 0) {
		if (pipe(ready) != 0 || pipe(never) != 0 ||
		    pthread_create(&t, NULL, freer, NULL) != 0 ||
		    read(ready[0], &c, 1) != 1)
			return (2);
	} else {
		big_free(big);
	}
	if (strcmp(v, "read") == 0)
		printf("%d\n", big_use(0));
	else
		(void) big_use(1);
	return (0);
}
