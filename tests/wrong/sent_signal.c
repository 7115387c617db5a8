/*
 * sent_signal: a SIGSEGV sent with raise() (as Python's faulthandler does
 * once its own report is written) is no fault: its siginfo holds the
 * sender's pid, not an address, and the panic line says so instead of
 * naming a bogus address.
 *
 * env: SLABTRACE_RUN=1
 * signal: SEGV
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: segmentation violation, sent by process [0-9]+ \(not a fault\)
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * gdb: raise
 */
#include <signal.h>

int
main(void)
{
	(void) raise(SIGSEGV);
	return (0);
}
