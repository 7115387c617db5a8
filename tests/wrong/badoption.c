/*
 * badoption: a mistake in a debugging variable is an error, not a warning
 * that leaves checking off: the library stops the program before main,
 * with exit status 1, no dump and one line naming the variable and the
 * bad text.  The program would double-free (a report, SIGABRT) if it ran.
 * The line starts "slabtrace: ", with no [PID] (the program never ran, and
 * `slabtrace run` prints the same line): "[s]" keeps the runner from
 * taking the expect lines' "slabtrace: " for the reports' "slabtrace[PID]: ".
 *
 * signal: none
 * status: 1
 * dump: no
 * variants: kflags kbits dword dvalue lvalue osweep stats
 * env-kflags: KMEM_FLAGS=banana
 * expect-kflags: [s]labtrace: KMEM_FLAGS: 'banana' is not a number .*; not starting the program
 * env-kbits: KMEM_FLAGS=0x1000f
 * expect-kbits: [s]labtrace: KMEM_FLAGS: unknown bits 0x10000 in '0x1000f'; valid bits: .*; not starting the program
 * env-dword: UMEM_DEBUG=default,banana
 * expect-dword: [s]labtrace: UMEM_DEBUG: unknown word 'banana'; valid: default audit\[=frames\] .*; not starting the program
 * env-dvalue: UMEM_DEBUG=audit=zz
 * expect-dvalue: [s]labtrace: UMEM_DEBUG: bad value in 'audit=zz'; valid: .*; not starting the program
 * env-lvalue: KMEM_FLAGS=0xf UMEM_LOGGING=transaction=1Q
 * expect-lvalue: [s]labtrace: UMEM_LOGGING: bad value in 'transaction=1Q'; valid: transaction\[=size\] .*; not starting the program
 * env-osweep: KMEM_FLAGS=0xf UMEM_OPTIONS=sweep=99999999
 * expect-osweep: [s]labtrace: UMEM_OPTIONS: value over 3600000 in 'sweep=99999999'; valid: .*; not starting the program
 * env-stats: KMEM_FLAGS=0xf SLABTRACE_STATS=yes
 * expect-stats: [s]labtrace: SLABTRACE_STATS: unknown word 'yes'; valid: 1 0; not starting the program
 */
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	char *volatile p;

	(void) fprintf(stderr, "badoption: main ran\n");
	p = malloc(40);
	free(p);
	free(p);                        /* the bug, if we ever get here */
	return (0);
}
