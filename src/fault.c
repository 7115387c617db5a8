/*
 * fault.c: fatal signals become panics, like a kernel's bad trap.
 *
 * 1. When.  With debugging on, or the sampled firewall (firewall.c,
 *    section 9: its reports are faults), or under `slabtrace run`
 *    (SLABTRACE_RUN=1), or with UMEM_OPTIONS=signals, the allocator
 *    catches SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT when it starts
 *    (UMEM_OPTIONS=nosignals prevents it).  A program that installs its
 *    own handlers later replaces ours for SIGILL, SIGFPE and SIGABRT; for
 *    SIGSEGV and SIGBUS ours stays and passes on what is not ours to
 *    report (section 4).
 *
 * 2. What.  A fault in a firewall buffer's pages, or a sampled slot's,
 *    is a heap error: it is reported by firewall.c (read or write, after
 *    free or past the end, the buffer, its history, and whether it was
 *    sampled).  Any other fatal signal is reported as what it is, with
 *    the faulting address.  On x86-64 a general protection
 *    fault (a non-canonical address, such as a pointer read from memory
 *    filled with '?', 0x3f3f3f3f3f3f3f3f) arrives with no address; the
 *    faulting instruction's memory operand is decoded from the registers
 *    to name it, as the seed's first dump does.  Then the panic line, the
 *    faulting thread's stack, the dump (dump.c), and death by the same
 *    signal with its default action, so the exit status is unchanged.
 *
 * 3. Safety.  The handler allocates nothing and calls only async-signal-
 *    safe functions plus our own no-allocation code.  A second fatal
 *    signal while panicking kills the process: at once in the thread
 *    that dumps (the dump writer faulted); in another thread only once
 *    the dump is written, with that thread's registers at its fault in
 *    it (st_dump_hold, dump.c section 7).
 *
 * 4. The program's own SIGSEGV and SIGBUS handlers.  A program or a
 *    library that installs one after us (gcc's crash handler, a crash
 *    reporter in a server running the sampled firewall) would take the
 *    faults the firewall and the sampled slots exist to report, and the
 *    report would be lost.  So while ours are installed, sigaction(),
 *    signal() and sysv_signal() for those two signals record the
 *    program's action instead of installing it and give the recorded one
 *    back as the current action; calls for other signals go to the C
 *    library.  The action recorded first is the one ours replaced.  A
 *    fault in a guarded page of ours, or on an address one of our
 *    patterns makes (a pointer read from freed memory), is ours to
 *    report, whatever the program installed.  Any other goes to the
 *    program's action as the kernel would deliver it: its handler is
 *    called with one argument or three (SA_SIGINFO), under the mask of
 *    the fault plus its sa_mask and the signal (unless SA_NODEFER),
 *    after the action is reset if SA_RESETHAND; if it returns, the
 *    instruction runs again.  SIG_DFL or SIG_IGN: our report, and death
 *    by the signal, as before.  The record is a seqlock: the handler
 *    reads it without a lock, writers take turns on a spin word (a
 *    writer interrupted by a signal handler that sets the same action on
 *    its own thread is not waited for).  The C library's internal calls
 *    (abort, system) do not come here; nor does the raw system call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "slabtrace_impl.h"

static const struct {
	int fs_signo;
	const char *fs_name;
	const char *fs_what;
} st_fault_signals[] = {
	{ SIGSEGV, "SIGSEGV", "segmentation violation" },
	{ SIGBUS, "SIGBUS", "bus error" },
	{ SIGILL, "SIGILL", "illegal instruction" },
	{ SIGFPE, "SIGFPE", "arithmetic exception" },
	{ SIGABRT, "SIGABRT", "abort" },
};
#define ST_NFAULT_SIGNALS \
	(sizeof (st_fault_signals) / sizeof (st_fault_signals[0]))

/* ------------------------------------------------------------------------
 * x86-64: the memory operand of the faulting instruction.
 */
#if defined(__x86_64__)
static const int st_gregs_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/*
 * Decode the ModRM memory operand at pc: 1 and the address in *addrp, or
 * 0 if the instruction has none we understand (VEX/EVEX, string and moffs
 * forms, RIP-relative operands, which cannot be non-canonical anyway).
 */
static int
st_decode_operand(const ucontext_t *uc, uintptr_t *addrp)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *p = (const uint8_t *)g[REG_RIP];
	uint8_t rex = 0, modrm, mod, rm, sib;
	uint64_t addr = 0;
	int i;

	for (i = 0; i < 14; i++, p++) {         /* legacy prefixes */
		uint8_t b = *p;

		if (b != 0x66 && b != 0x67 && b != 0xf0 && b != 0xf2 &&
		    b != 0xf3 && b != 0x2e && b != 0x36 && b != 0x3e &&
		    b != 0x26 && b != 0x64 && b != 0x65)
			break;
	}
	if ((*p & 0xf0) == 0x40)
		rex = *p++;
	if (*p == 0xc4 || *p == 0xc5 || *p == 0x62)
		return (0);                     /* VEX, EVEX */
	if (*p == 0x0f) {
		p++;
		if (*p == 0x38 || *p == 0x3a)
			p++;
	} else if ((*p >= 0xa0 && *p <= 0xa7) || (*p >= 0xaa && *p <= 0xaf)) {
		return (0);                     /* moffs, string ops */
	}
	p++;                                    /* the opcode */
	modrm = *p++;
	mod = modrm >> 6;
	rm = (modrm & 7) | ((rex & 1) << 3);
	if (mod == 3)
		return (0);
	if ((modrm & 7) == 4) {                 /* SIB */
		uint8_t idx, base;

		sib = *p++;
		idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
		base = (sib & 7) | ((rex & 1) << 3);
		if (idx != 4)
			addr += (uint64_t)g[st_gregs_of[idx]] << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			int32_t d;

			memcpy(&d, p, 4);
			p += 4;
			addr += (uint64_t)(int64_t)d;
		} else {
			addr += (uint64_t)g[st_gregs_of[base]];
		}
	} else if (mod == 0 && (modrm & 7) == 5) {
		return (0);                     /* RIP-relative */
	} else {
		addr += (uint64_t)g[st_gregs_of[rm]];
	}
	if (mod == 1) {
		addr += (uint64_t)(int64_t)(int8_t)*p;
	} else if (mod == 2) {
		int32_t d;

		memcpy(&d, p, 4);
		addr += (uint64_t)(int64_t)d;
	}
	*addrp = (uintptr_t)addr;
	return (1);
}

static int
st_fault_is_write(const ucontext_t *uc)
{
	return ((uc->uc_mcontext.gregs[REG_ERR] & 2) != 0);
}
#else
static int
st_decode_operand(const ucontext_t *uc, uintptr_t *addrp)
{
	(void) uc;
	(void) addrp;
	return (0);
}

static int
st_fault_is_write(const ucontext_t *uc)
{
	(void) uc;
	return (-1);
}
#endif

/* ------------------------------------------------------------------------
 * Section 4: the program's actions for SIGSEGV and SIGBUS.
 */
static void st_fault_handler(int sig, void *siv, void *ucv);
#define ST_EXPORT       __attribute__((visibility("default")))

typedef struct st_chain {
	uint32_t ch_seq;                /* odd while written */
	struct sigaction ch_sa;         /* the program's action */
} st_chain_t;

static st_chain_t st_chain[2];          /* SIGSEGV, SIGBUS */
static int st_chain_on;                 /* our handlers are installed */
static uint64_t st_chain_writer;        /* spin word: the writer's tid */

static st_chain_t *
st_chain_of(int sig)
{
	if (!__atomic_load_n(&st_chain_on, __ATOMIC_ACQUIRE))
		return (NULL);
	return (sig == SIGSEGV ? &st_chain[0] : sig == SIGBUS ? &st_chain[1] :
	    NULL);
}

/* A copy of ch's action; 0 if a writer kept it busy. */
static int
st_chain_get(st_chain_t *ch, struct sigaction *sa)
{
	uint32_t seq;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		seq = __atomic_load_n(&ch->ch_seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		memcpy(sa, &ch->ch_sa, sizeof (*sa));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ch->ch_seq, __ATOMIC_RELAXED) == seq)
			return (1);
	}
	return (0);
}

/* Record act (NULL: none) as ch's action, the old one in *old. */
static void
st_chain_set(st_chain_t *ch, const struct sigaction *act,
    struct sigaction *old)
{
	uint64_t me = st_os_thread_id(), none = 0;
	int locked = 0, tries;

	for (tries = 0; tries < 1000000 && !locked; tries++) {
		none = 0;
		locked = __atomic_compare_exchange_n(&st_chain_writer, &none,
		    me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
		if (!locked && none == me)
			break;          /* our own thread, interrupted */
	}
	if (old != NULL && !st_chain_get(ch, old)) {
		memset(old, 0, sizeof (*old));  /* never torn: SIG_DFL */
		old->sa_handler = SIG_DFL;
	}
	if (act != NULL) {
		__atomic_fetch_add(&ch->ch_seq, 1, __ATOMIC_ACQ_REL);
		memcpy(&ch->ch_sa, act, sizeof (*act));
		__atomic_fetch_add(&ch->ch_seq, 1, __ATOMIC_RELEASE);
	}
	if (locked)
		__atomic_store_n(&st_chain_writer, 0, __ATOMIC_RELEASE);
}

static int
st_chain_is_handler(const struct sigaction *sa)
{
	return (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

/*
 * Is this fault ours to report: in a page the firewall or a sampled slot
 * guards, or on an address of one of our patterns?
 */
static int
st_fault_ours(int sig, const siginfo_t *si, const ucontext_t *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;

	if (si->si_code <= 0)           /* sent, not a fault */
		return (0);
#if defined(__x86_64__)
	if (sig == SIGSEGV && si->si_code == SI_KERNEL && addr == 0 &&
	    !st_decode_operand(uc, &addr))
		return (0);
#else
	(void) sig;
	(void) uc;
#endif
	return (st_firewall_owns(addr) || kmem_pattern_story(addr) != NULL);
}

/*
 * A fault that is not ours, and the program has a handler for it: call
 * it as the kernel would have (section 4).  0 if it is ours after all.
 */
static int
st_chain_deliver(int sig, siginfo_t *si, ucontext_t *uc)
{
	st_chain_t *ch = st_chain_of(sig);
	struct sigaction pa, dfl;
	sigset_t mask, saved;

	if (ch == NULL || !st_chain_get(ch, &pa) || !st_chain_is_handler(&pa) ||
	    ((pa.sa_flags & SA_SIGINFO) && pa.sa_sigaction ==
	    (void (*)(int, siginfo_t *, void *))(void *)st_fault_handler) ||
	    st_fault_ours(sig, si, uc))
		return (0);
	if (pa.sa_flags & SA_RESETHAND) {
		memset(&dfl, 0, sizeof (dfl));
		dfl.sa_handler = SIG_DFL;
		st_chain_set(ch, &dfl, NULL);
	}
	(void) sigorset(&mask, &uc->uc_sigmask, &pa.sa_mask);
	if (!(pa.sa_flags & SA_NODEFER))
		(void) sigaddset(&mask, sig);
	(void) pthread_sigmask(SIG_SETMASK, &mask, &saved);
	if (pa.sa_flags & SA_SIGINFO)
		pa.sa_sigaction(sig, si, uc);
	else
		pa.sa_handler(sig);
	(void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return (1);
}

ST_EXPORT int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	st_chain_t *ch = st_chain_of(sig);

	if (ch == NULL)
		return (st_os_sigaction(sig, act, old));
	st_chain_set(ch, act, old);
	return (0);
}

extern __sighandler_t bsd_signal(int sig, __sighandler_t handler);
extern __sighandler_t __sysv_signal(int sig, __sighandler_t handler);

/* signal() and sysv_signal() for our two: their actions, recorded. */
static __sighandler_t
st_chain_signal(st_chain_t *ch, int sig, __sighandler_t handler, int flags)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	(void) sigemptyset(&sa.sa_mask);
	if (!(flags & SA_NODEFER))
		(void) sigaddset(&sa.sa_mask, sig);
	st_chain_set(ch, &sa, &old);
	return (old.sa_handler);
}

ST_EXPORT __sighandler_t
signal(int sig, __sighandler_t handler)
{
	st_chain_t *ch = st_chain_of(sig);

	if (ch == NULL)
		return (bsd_signal(sig, handler));
	return (st_chain_signal(ch, sig, handler, SA_RESTART));
}

ST_EXPORT __sighandler_t
sysv_signal(int sig, __sighandler_t handler)
{
	st_chain_t *ch = st_chain_of(sig);

	if (ch == NULL)
		return (__sysv_signal(sig, handler));
	return (st_chain_signal(ch, sig, handler, SA_RESETHAND | SA_NODEFER));
}

/* ------------------------------------------------------------------------
 * The handler.
 */

static void
st_fault_handler(int sig, void *siv, void *ucv)
{
	const siginfo_t *si = siv;
	const ucontext_t *uc = ucv;
	uintptr_t addr = (uintptr_t)si->si_addr;
	char msg[200], sym[128];
	const char *name = "signal", *what = "fatal signal";
	size_t i;
	int fw;

	/* Not ours, and the program has a handler for it (section 4). */
	if ((sig == SIGSEGV || sig == SIGBUS) &&
	    st_chain_deliver(sig, (siginfo_t *)siv, (ucontext_t *)ucv))
		return;
	if (__atomic_exchange_n(&st_panicking, 1, __ATOMIC_ACQ_REL)) {
		/* A fault while panicking: another thread's dump first. */
		st_dump_hold(uc, sig);
		st_os_die_by_signal(sig);
	}
	for (i = 0; i < ST_NFAULT_SIGNALS; i++) {
		if (st_fault_signals[i].fs_signo == sig) {
			name = st_fault_signals[i].fs_name;
			what = st_fault_signals[i].fs_what;
		}
	}
	if (si->si_code <= 0 && sig != SIGABRT) {
		/* kill(), raise(), sigqueue(): no fault, no address. */
		st_snprintf(msg, sizeof (msg), "%s: %s, sent by process %ld "
		    "(not a fault)", name, what, (long)si->si_pid);
		addr = 0;
	} else if ((sig == SIGSEGV || sig == SIGBUS) &&
	    si->si_code == SI_KERNEL && addr == 0 &&
	    st_decode_operand(uc, &addr)) {
		/* x86-64 #GP: the address is the operand's. */
		(void) st_report_symbolize(st_os_uc_pc(uc), sym, sizeof (sym));
		st_snprintf(msg, sizeof (msg), "%s: general protection fault "
		    "on address 0x%lx, pc=%s", name, (unsigned long)addr, sym);
		what = "general protection fault";
	} else if (sig == SIGSEGV && (fw = st_firewall_fault(addr, uc,
	    st_fault_is_write(uc))) != 0) {
		st_snprintf(msg, sizeof (msg), "%s: %s fault on address "
		    "0x%lx (heap corruption)", name, fw == 1 ? "firewall" :
		    "freed big buffer", (unsigned long)addr);
	} else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	    sig == SIGFPE) {
		st_snprintf(msg, sizeof (msg), "%s: %s on address 0x%lx", name,
		    what, (unsigned long)addr);
	} else {
		st_snprintf(msg, sizeof (msg), "%s: %s", name, what);
	}
	/* A pointer from one of our patterns: say what the fault means. */
	st_report_panic_begin(msg, sig);
	if ((sig == SIGSEGV || sig == SIGBUS) &&
	    kmem_pattern_story(addr) != NULL) {
		uintptr_t pcs[KMEM_STACK_MAX];
		uint32_t n = st_stack_capture_uc(uc, pcs, KMEM_STACK_MAX);

		st_msg("%s on address 0x%lx: %s\n", what,
		    (unsigned long)addr, kmem_pattern_story(addr));
		st_report_where(pcs, n, ST_STACK_EXACT);
		kmem_suspect_freed((const void *)addr, uc);
	}
	st_panic_dump(msg, uc, sig, addr);
	st_os_die_by_signal(sig);
}

void
st_fault_init(void)
{
	size_t i;

	if (!st_opts.so_catch_signals)
		return;
	for (i = 0; i < ST_NFAULT_SIGNALS; i++) {
		int sig = st_fault_signals[i].fs_signo;
		struct sigaction old;

		memset(&old, 0, sizeof (old));
		old.sa_handler = SIG_DFL;
		if (st_os_catch_signal_old(sig, st_fault_handler, &old) == 0 &&
		    (sig == SIGSEGV || sig == SIGBUS) &&
		    !((old.sa_flags & SA_SIGINFO) && old.sa_sigaction ==
		    (void (*)(int, siginfo_t *, void *))(void *)
		    st_fault_handler))
			/* What ours replaced is the program's (section 4). */
			st_chain_set(&st_chain[sig == SIGBUS], &old, NULL);
	}
	__atomic_store_n(&st_chain_on, 1, __ATOMIC_RELEASE);
}
