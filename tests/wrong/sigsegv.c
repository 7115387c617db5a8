/*
 * sigsegv: under `slabtrace run` (SLABTRACE_RUN=1) a crash that is not a
 * heap error still panics with a dump, and dies by the same signal.
 *
 * env: SLABTRACE_RUN=1
 * signal: SEGV
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: segmentation violation on address 0x10
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * gdb: wrong_deref
 */
#include <stdlib.h>

struct s { long a, b, c; };

__attribute__((noinline)) long
wrong_deref(struct s *volatile p)
{
	return (p->c);
}

int
main(void)
{
	return ((int)wrong_deref(NULL));
}
