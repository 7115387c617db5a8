/*
 * fw_own_handler: a program with its own SIGSEGV handler, as gcc's cc1
 * and crash reporters have.  A fault in a firewall buffer is still
 * reported by us; any other fault goes to the program's handler, which is
 * what sigaction() says is installed.
 *
 * Variants: overrun, a sigaction() handler and a read one past a
 * firewall buffer's end (128 bytes: no slack
 * before the guard page); bsdsignal, the same handler set with signal();
 * null, a store through NULL, which the program's handler takes (it exits
 * 3); query, sigaction(SIGSEGV, NULL, &old) gives the program's handler;
 * resethand, an SA_RESETHAND handler that returns: the store faults again
 * and then takes the default action (our report, death by SIGSEGV);
 * sampled, overrun's read under the sampled firewall (sample=1), the
 * production case: a server's crash handler must not take the report.
 *
 * variants: overrun bsdsignal null query resethand sampled
 * env: KMEM_FLAGS=0x4f
 * env-sampled: UMEM_DEBUG=firewall,sample=1
 * expect-sampled: slabtrace: read past end of buffer
 * expect-sampled: sampled buffer: one malloc in 1 is guarded .*
 * signal: SEGV
 * expect-overrun: slabtrace: read past end of buffer
 * expect-overrun: fault at [0-9a-f]+: offset 0x80 of the 128-byte buffer, past its end
 * expect-overrun: \s*wrong_read\+0x[0-9a-f]+(  .*)?
 * expect-bsdsignal: slabtrace: read past end of buffer
 * expect-bsdsignal: fault at [0-9a-f]+: offset 0x80 of the 128-byte buffer, past its end
 * signal-null: none
 * dump-null: no
 * status-null: 3
 * expect-null: program handler: SIGSEGV at 0x8
 * signal-query: none
 * dump-query: no
 * status-query: 0
 * expect-query: query: the program's handler is installed
 * expect-resethand: program handler: SIGSEGV at 0x8
 * expect-resethand: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: segmentation violation on address 0x8
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
say(const char *s)
{
	(void) !write(2, s, strlen(s));
}

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	char buf[64] = "program handler: SIGSEGV at 0x";
	unsigned long a = (unsigned long)si->si_addr;
	size_t n = strlen(buf);
	int shift;

	(void) sig;
	(void) uc;
	for (shift = 60; shift > 0 && ((a >> shift) & 0xf) == 0; shift -= 4)
		continue;
	for (; shift >= 0; shift -= 4)
		buf[n++] = "0123456789abcdef"[(a >> shift) & 0xf];
	buf[n++] = '\n';
	(void) !write(2, buf, n);
}

static void
on_segv_exit(int sig, siginfo_t *si, void *uc)
{
	on_segv(sig, si, uc);
	_exit(3);
}

static void
on_segv_plain(int sig)
{
	(void) sig;
	say("program handler (signal)\n");
	_exit(4);
}

__attribute__((noinline)) int
wrong_read(volatile const char *p, size_t n)
{
	return (p[n]);          /* the bug: one past the end */
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "overrun";
	struct sigaction sa, old;
	volatile char *p = malloc(128);
	volatile int *volatile nul = (volatile int *)8;

	memset(&sa, 0, sizeof (sa));
	sa.sa_sigaction = strcmp(v, "resethand") == 0 ? on_segv : on_segv_exit;
	sa.sa_flags = SA_SIGINFO;
	if (strcmp(v, "resethand") == 0)
		sa.sa_flags |= SA_RESETHAND;
	if (strcmp(v, "bsdsignal") == 0)
		(void) signal(SIGSEGV, on_segv_plain);
	else
		(void) sigaction(SIGSEGV, &sa, NULL);
	if (strcmp(v, "query") == 0) {
		memset(&old, 0, sizeof (old));
		if (sigaction(SIGSEGV, NULL, &old) == 0 &&
		    (old.sa_flags & SA_SIGINFO) &&
		    old.sa_sigaction == on_segv_exit)
			say("query: the program's handler is installed\n");
		return (0);
	}
	if (strcmp(v, "null") == 0 || strcmp(v, "resethand") == 0)
		*nul = 1;
	return (wrong_read(p, 128));
}
