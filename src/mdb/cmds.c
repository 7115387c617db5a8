/*
 * cmds.c: the debugger's commands on the process as a whole: ::status,
 * ::msgbuf, ::stack ($c), ::threads, ::regs ($r), ::dis, ::help, ::dcmds,
 * $q.  The kmem commands (::kmalog, ::bufctl, ::kmastat, ...) come next,
 * in files of their own.
 *
 * Every command has the same skeleton, as an mdb dcmd does: the target,
 * the address context (ADDR, COUNT, whether given), its own arguments;
 * it parses its options, reads the target through target.c only
 * (mdb_tgt_vread and friends), prints to stdout, says what went wrong on
 * one line (mdb_warn) and returns DCMD_OK, DCMD_ERR or DCMD_USAGE.
 *
 * The allocator's structures are read as the allocator declares them
 * (slabtrace_impl.h): the dump's note gives &st_root, st_root gives the
 * message buffer; each is checked by its magic before it is believed,
 * and every size read from the dump is bounded before it is used.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <sys/user.h>
#endif
#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

#include "mdb.h"

#define	MSGBUF_MAX	(64ULL << 20)	/* the most of a ring we read */
#define	DIS_DEFAULT	16		/* instructions, at a non-function */
#define	DIS_MAXFUNC	(256U << 10)	/* bytes of one function */

#if defined(__x86_64__)
#define	REG_PC_INDEX	(offsetof(struct user_regs_struct, rip) / 8)
#elif defined(__aarch64__)
#define	REG_PC_INDEX	32
#endif

static const char *
sig_name(int sig, char *buf, size_t len)
{
	const char *ab = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (ab != NULL)
		(void) snprintf(buf, len, "SIG%s", ab);
	else
		(void) snprintf(buf, len, "%d", sig);
	return (buf);
}

/* The thread a command is about: TID given, or the panicking one. */
static const mdb_thread_t *
cmd_thread(mdb_tgt_t *t, const mdb_cmdctx_t *cx)
{
	const mdb_thread_t *th;
	uint64_t dec;
	char *end;

	if (mdb_tgt_getregs(t) != 0)
		return (NULL);
	if (t->t_nthreads == 0) {
		mdb_warn("no thread with registers");
		return (NULL);
	}
	if (!(cx->cx_flags & DCMD_ADDRSPEC))
		return (&t->t_threads[0]);
	if (cx->cx_addr <= UINT32_MAX &&
	    (th = mdb_tgt_thread(t, (uint32_t)cx->cx_addr)) != NULL)
		return (th);
	/* A decimal TID as the reports print it. */
	if (cx->cx_addrtext != NULL) {
		errno = 0;
		dec = strtoull(cx->cx_addrtext, &end, 10);
		if (errno == 0 && *end == '\0' && dec <= UINT32_MAX &&
		    (th = mdb_tgt_thread(t, (uint32_t)dec)) != NULL)
			return (th);
	}
	mdb_warn("no thread %llx (0t%llu) with registers %s",
	    (unsigned long long)cx->cx_addr,
	    (unsigned long long)cx->cx_addr,
	    t->t_pid != 0 ? "in the process" : "in the dump");
	return (NULL);
}

/*
 * <REG in an expression: a register of the panicking thread (the first
 * with registers), by its name in ::regs without the '%'.
 */
int
mdb_reg_value(mdb_tgt_t *t, const char *name, uint64_t *valp)
{
#if defined(__x86_64__)
	static const struct { const char *rn_name; size_t rn_off; } names[] = {
#define	R(n)	{ #n, offsetof(struct user_regs_struct, n) / 8 }
		R(rax), R(rbx), R(rcx), R(rdx), R(rsi), R(rdi), R(rbp),
		R(rsp), R(r8), R(r9), R(r10), R(r11), R(r12), R(r13), R(r14),
		R(r15), R(rip), R(eflags), R(cs), R(ss), R(ds), R(es), R(fs),
		R(gs), R(fs_base), R(gs_base), R(orig_rax),
#undef R
		{ "rflags", offsetof(struct user_regs_struct, eflags) / 8 },
		{ "pc", offsetof(struct user_regs_struct, rip) / 8 },
		{ "sp", offsetof(struct user_regs_struct, rsp) / 8 },
		{ "fp", offsetof(struct user_regs_struct, rbp) / 8 },
	};
#elif defined(__aarch64__)
	static const struct { const char *rn_name; size_t rn_off; } names[] = {
		{ "sp", 31 }, { "pc", 32 }, { "fp", 29 }, { "lr", 30 },
	};
#endif
	const mdb_thread_t *th;
	size_t i;

	if (mdb_tgt_getregs(t) != 0)
		return (-1);
	if (t->t_nthreads == 0) {
		mdb_warn("no thread with registers for <%s", name);
		return (-1);
	}
	th = &t->t_threads[0];
	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (strcmp(names[i].rn_name, name) == 0 &&
		    names[i].rn_off < th->th_nregs) {
			*valp = th->th_regs[names[i].rn_off];
			return (0);
		}
	}
#if defined(__aarch64__)
	if (name[0] == 'x' && isdigit((unsigned char)name[1])) {
		unsigned long n = strtoul(name + 1, NULL, 10);

		if (n < 31 && n < th->th_nregs) {
			*valp = th->th_regs[n];
			return (0);
		}
	}
#endif
	mdb_warn("no register named %s", name);
	return (-1);
}

/* ------------------------------------------------------------------------
 * ::status
 */

void
mdb_status_flags(uint32_t flags)
{
	static const struct { uint32_t f; const char *n; } names[] = {
		{ KMF_AUDIT, "AUDIT" }, { KMF_DEADBEEF, "DEADBEEF" },
		{ KMF_REDZONE, "REDZONE" }, { KMF_CONTENTS, "CONTENTS" },
		{ KMF_STICKY, "STICKY" }, { KMF_NOMAGAZINE, "NOMAGAZINE" },
		{ KMF_FIREWALL, "FIREWALL" }, { KMF_LITE, "LITE" },
		{ KMF_HASH, "HASH" }, { KMF_RANDOMIZE, "RANDOMIZE" },
	};
	const char *sep = " (";
	size_t i;

	(void) printf("kmem_flags: 0x%x", flags);
	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (flags & names[i].f) {
			(void) printf("%s%s", sep, names[i].n);
			sep = "|";
		}
	}
	(void) printf("%s\n", flags != 0 ? ")" : "");
}

/* ::status -j: the same facts, one object (slabtrace-mdb(1), JSON). */
static int
status_json(mdb_tgt_t *t)
{
	const st_dump_note_t *sn = &t->t_note;
	char sig[32];

	mj_begin('{', NULL);
	mj_str("dump", t->t_path);
	mj_str("target", t->t_ops->to_name);
	mj_bool("slabtrace", t->t_have_note);
	if (t->t_have_note) {
		mj_str("host", sn->sn_host);
		mj_str("release", sn->sn_release);
		mj_str("machine", sn->sn_machine);
		mj_str("program", t->t_program != NULL ? t->t_program :
		    sn->sn_program);
		mj_u64("pid", sn->sn_pid);
		mj_str("argv", sn->sn_cmdline);
		mj_str("panic", sn->sn_panic);
		mj_u64("panic_time_ns", sn->sn_time);
		mj_u64("panic_thread", sn->sn_tid);
		if (sn->sn_signo != 0) {
			mj_str("signal", sig_name(sn->sn_signo, sig,
			    sizeof (sig)));
			mj_addr("fault_addr", sn->sn_fault_addr);
		} else {
			mj_null("signal");
			mj_null("fault_addr");
		}
		mj_addr("kmem_flags", sn->sn_kmem_flags);
		mj_str("content", sn->sn_content == ST_DUMP_ALL ? "all" :
		    sn->sn_content == ST_DUMP_HEAP ? "heap" : "unknown");
		mj_u64("version", sn->sn_version);
		mj_u64("threads_unstopped", sn->sn_nunstopped);
	} else if (t->t_have_psinfo) {
		mj_str("argv", t->t_psargs);
	}
	mj_u64("threads", t->t_nthreads);
	mj_end();
	return (DCMD_OK);
}

int
dcmd_status(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const st_dump_note_t *sn = &t->t_note;
	char sig[32], when[64];
	struct tm tm;
	time_t sec;

	(void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if (t->t_pid != 0)
		return (mdb_proc_status(t));
	if (mdb_json)
		return (status_json(t));
	if (!t->t_have_note) {
		(void) printf("debugging core file %s (64-bit)\n",
		    t->t_path != NULL ? t->t_path : "(memory)");
		if (t->t_have_psinfo)
			(void) printf("initial argv: %s\n", t->t_psargs);
		(void) printf("not a slabtrace dump: no slabtrace note\n");
		(void) printf("threads: %zu\n", t->t_nthreads);
		return (DCMD_OK);
	}
	(void) printf("debugging crash dump %s (64-bit) from %s\n",
	    t->t_path != NULL ? t->t_path : "(memory)", sn->sn_host);
	(void) printf("operating system: %s (%s)\n", sn->sn_release,
	    sn->sn_machine);
	(void) printf("program: %s (pid %u)\n", t->t_program != NULL ?
	    t->t_program : sn->sn_program, sn->sn_pid);
	(void) printf("initial argv: %s\n", sn->sn_cmdline);
	(void) printf("panic message: %s\n", sn->sn_panic);
	sec = (time_t)(sn->sn_time / 1000000000ULL);
	if (gmtime_r(&sec, &tm) != NULL &&
	    strftime(when, sizeof (when), "%Y-%m-%d %H:%M:%S", &tm) > 0)
		(void) printf("panic time: %s.%09llu UTC\n", when,
		    (unsigned long long)(sn->sn_time % 1000000000ULL));
	(void) printf("panic thread: %u\n", sn->sn_tid);
	if (sn->sn_signo != 0)
		(void) printf("fatal signal: %s (%s), addr=%llx\n",
		    sig_name(sn->sn_signo, sig, sizeof (sig)),
		    sigdescr_np(sn->sn_signo) != NULL ?
		    sigdescr_np(sn->sn_signo) : "unknown signal",
		    (unsigned long long)sn->sn_fault_addr);
	else
		(void) printf("fatal signal: none (a heap corruption "
		    "report)\n");
	mdb_status_flags(sn->sn_kmem_flags);
	(void) printf("dump content: %s\n", sn->sn_content == ST_DUMP_ALL ?
	    "all memory" : sn->sn_content == ST_DUMP_HEAP ?
	    "allocator memory, stacks and data only" : "unknown");
	(void) printf("dump version: %u\n", sn->sn_version);
	(void) printf("threads: %zu with registers", t->t_nthreads);
	if (sn->sn_nunstopped != 0)
		(void) printf(", %u did not stop (no registers)",
		    sn->sn_nunstopped);
	(void) printf("\n");
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::msgbuf
 */

/* st_root, from the dump's note, checked. */
static int
read_root(mdb_tgt_t *t, st_root_t *root)
{
	if (!t->t_have_note || t->t_note.sn_root == 0) {
		mdb_warn("not a slabtrace dump: no st_root");
		return (-1);
	}
	if (mdb_tgt_vread(t, t->t_note.sn_root, root, sizeof (*root)) != 0) {
		mdb_warn_read(t->t_note.sn_root, sizeof (*root));
		return (-1);
	}
	if (memcmp(root->sr_magic, ST_ROOT_MAGIC, sizeof (root->sr_magic)) !=
	    0) {
		mdb_warn("st_root at %llx is corrupt (bad magic)",
		    (unsigned long long)t->t_note.sn_root);
		return (-1);
	}
	return (0);
}

int
dcmd_msgbuf(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	st_root_t root;
	st_msgbuf_t mb;
	uint64_t mbaddr, len, start, skip = 0;
	char *buf;

	(void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if (read_root(t, &root) != 0)
		return (DCMD_ERR);
	mbaddr = (uint64_t)(uintptr_t)root.sr_msgbuf;
	if (mdb_tgt_vread(t, mbaddr, &mb, sizeof (mb)) != 0) {
		mdb_warn_read(mbaddr, sizeof (mb));
		return (DCMD_ERR);
	}
	if (mb.mb_magic != ST_MSGBUF_MAGIC || mb.mb_size == 0 ||
	    mb.mb_size > MSGBUF_MAX) {
		mdb_warn("message buffer at %llx is corrupt",
		    (unsigned long long)mbaddr);
		return (DCMD_ERR);
	}
	/* The ring unrolled: oldest byte first. */
	len = mb.mb_next < mb.mb_size ? mb.mb_next : mb.mb_size;
	start = mb.mb_next < mb.mb_size ? 0 : mb.mb_next % mb.mb_size;
	if ((buf = malloc(len + 1)) == NULL) {
		mdb_warn("out of memory");
		return (DCMD_ERR);
	}
	if (mdb_tgt_vread(t, (uint64_t)(uintptr_t)mb.mb_base + start, buf,
	    len - start) != 0 || mdb_tgt_vread(t,
	    (uint64_t)(uintptr_t)mb.mb_base, buf + (len - start), start) != 0) {
		mdb_warn_read((uint64_t)(uintptr_t)mb.mb_base, len);
		free(buf);
		return (DCMD_ERR);
	}
	buf[len] = '\0';
	if (mb.mb_next > mb.mb_size) {
		char *nl = memchr(buf, '\n', len);

		skip = nl != NULL ? (uint64_t)(nl - buf) + 1 : 0;
	}
	(void) printf("MESSAGE\n");
	(void) fwrite(buf + skip, 1, len - skip, stdout);
	if (len > skip && buf[len - 1] != '\n')
		(void) putchar('\n');
	free(buf);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::stack, ::threads
 */

typedef struct stack_arg {
	mdb_tgt_t *sa_tgt;
	bool sa_verbose;
	bool sa_fp;			/* -f ($C): each frame's frame pointer */
} stack_arg_t;

/* A frame of ::stack -j: {"pc", "function", "offset", "source"}. */
static void
stack_frame_json(stack_arg_t *sa, uint64_t pc, uint64_t at)
{
	char name[512], src[600];
	uint64_t start;

	mj_begin('{', NULL);
	mj_addr("pc", pc);
	if (mdb_sym_lookup(sa->sa_tgt, at, name, sizeof (name), &start,
	    NULL)) {
		mj_str("function", name);
		mj_u64("offset", pc - start);
	} else {
		mj_null("function");
		mj_null("offset");
	}
	if (mdb_sym_srcline(sa->sa_tgt, at, src, sizeof (src)))
		mj_str("source", src);
	else
		mj_null("source");
	mj_end();
}

static bool
stack_frame(void *arg, uint64_t pc, bool activation)
{
	stack_arg_t *sa = arg;
	char name[512], off[32], src[600];
	uint64_t at = activation || pc == 0 ? pc : pc - 1, start;

	if (mdb_json) {
		stack_frame_json(sa, pc, at);
		return (true);
	}
	/*
	 * mdb's $C: the frame pointer, which a frame that keeps one has
	 * pointing at its saved caller's one and the return address above;
	 * where the unwinder does not know it, the stack pointer.
	 */
	if (sa->sa_fp)
		(void) printf("%016llx ", (unsigned long long)
		    (mdb_frame_fp_known ? mdb_frame_fp : mdb_frame_sp));
	if (mdb_sym_lookup(sa->sa_tgt, at, name, sizeof (name), &start,
	    NULL)) {
		mdb_fmt_off(pc - start, off, sizeof (off));
		(void) printf("%s%s()", name, off);
	} else {
		(void) printf("%llx()", (unsigned long long)pc);
	}
	if (sa->sa_verbose && mdb_sym_srcline(sa->sa_tgt, at, src,
	    sizeof (src)))
		(void) printf("  %s", src);
	(void) putchar('\n');
	return (true);
}

int
dcmd_stack(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	stack_arg_t sa = { t, false, false };
	const mdb_thread_t *th;
	char err[256];
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			sa.sa_verbose = true;
		else if (strcmp(argv[i], "-f") == 0)
			sa.sa_fp = true;
		else
			return (DCMD_USAGE);
	}
	if ((th = cmd_thread(t, cx)) == NULL)
		return (DCMD_ERR);
	if (mdb_json) {
		mj_begin('{', NULL);
		mj_u64("tid", th->th_tid);
		mj_begin('[', "frames");
	}
	if (mdb_sym_stack(t, th->th_tid, stack_frame, &sa, err,
	    sizeof (err)) < 0) {
		mdb_warn("%s", err);
		return (DCMD_ERR);
	}
	if (mdb_json) {
		mj_end();
		mj_end();
	}
	return (DCMD_OK);
}

int
dcmd_threads(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	size_t i;

	(void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if (mdb_tgt_getregs(t) != 0)
		return (DCMD_ERR);
	if (mdb_json)
		mj_begin('[', NULL);
	else
		(void) printf("  %-9s %-8s %s\n", "TID", "SIGNAL", "PC");
	for (i = 0; i < t->t_nthreads; i++) {
		const mdb_thread_t *th = &t->t_threads[i];
		char sig[32], pc[600];

		if (th->th_cursig != 0)
			(void) sig_name(th->th_cursig, sig, sizeof (sig));
		else
			(void) snprintf(sig, sizeof (sig), "-");
		if (mdb_json) {
			mj_begin('{', NULL);
			mj_u64("tid", th->th_tid);
			mj_bool("panic", i == 0 && t->t_have_note &&
			    t->t_pid == 0);
			if (th->th_cursig != 0)
				mj_str("signal", sig);
			else
				mj_null("signal");
			mj_addr("pc", th->th_regs[REG_PC_INDEX]);
			mj_str("function", mdb_sym_format(t,
			    th->th_regs[REG_PC_INDEX], pc, sizeof (pc)));
			mj_end();
			continue;
		}
		(void) printf("%c %-9u %-8s %s\n", i == 0 ? '*' : ' ',
		    th->th_tid, sig, mdb_sym_format(t,
		    th->th_regs[REG_PC_INDEX], pc, sizeof (pc)));
	}
	if (mdb_json) {
		mj_end();
		return (DCMD_OK);
	}
	if (t->t_have_note && t->t_note.sn_nunstopped != 0)
		(void) printf("(%u more did not stop: no registers)\n",
		    t->t_note.sn_nunstopped);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::regs: mdb's layout for the machine.
 */

#if defined(__x86_64__)
static void
regs_print(mdb_tgt_t *t, const mdb_thread_t *th)
{
	struct user_regs_struct r;
	char sym[600];
	uint64_t fl;

	(void) memcpy(&r, th->th_regs, sizeof (r));
	fl = r.eflags;
	(void) printf("%%rax = 0x%016llx\t%%r8  = 0x%016llx\n", r.rax, r.r8);
	(void) printf("%%rbx = 0x%016llx\t%%r9  = 0x%016llx\n", r.rbx, r.r9);
	(void) printf("%%rcx = 0x%016llx\t%%r10 = 0x%016llx\n", r.rcx,
	    r.r10);
	(void) printf("%%rdx = 0x%016llx\t%%r11 = 0x%016llx\n", r.rdx,
	    r.r11);
	(void) printf("%%rsi = 0x%016llx\t%%r12 = 0x%016llx\n", r.rsi,
	    r.r12);
	(void) printf("%%rdi = 0x%016llx\t%%r13 = 0x%016llx\n", r.rdi,
	    r.r13);
	(void) printf("%25s\t%%r14 = 0x%016llx\n", "", r.r14);
	(void) printf("%25s\t%%r15 = 0x%016llx\n\n", "", r.r15);
	(void) printf("%%cs = 0x%04llx\t%%fs = 0x%04llx\t%%gs = 0x%04llx\n",
	    r.cs, r.fs, r.gs);
	(void) printf("%%ds = 0x%04llx\t%%es = 0x%04llx\t%%ss = 0x%04llx\n\n",
	    r.ds, r.es, r.ss);
	(void) printf("%%rip = 0x%016llx %s\n", r.rip,
	    mdb_sym_format(t, r.rip, sym, sizeof (sym)));
	(void) printf("%%rbp = 0x%016llx\n", r.rbp);
	(void) printf("%%rsp = 0x%016llx\n\n", r.rsp);
	(void) printf("%%rflags = 0x%08llx\n", (unsigned long long)fl);
	(void) printf("  id=%u vip=%u vif=%u ac=%u vm=%u rf=%u nt=%u "
	    "iopl=0x%x\n", (unsigned)(fl >> 21) & 1, (unsigned)(fl >> 20) & 1,
	    (unsigned)(fl >> 19) & 1, (unsigned)(fl >> 18) & 1,
	    (unsigned)(fl >> 17) & 1, (unsigned)(fl >> 16) & 1,
	    (unsigned)(fl >> 14) & 1, (unsigned)(fl >> 12) & 3);
	(void) printf("  status=<%s,%s,%s,%s,%s,%s,%s,%s,%s>\n\n",
	    fl & 0x800 ? "OF" : "of", fl & 0x400 ? "DF" : "df",
	    fl & 0x200 ? "IF" : "if", fl & 0x100 ? "TF" : "tf",
	    fl & 0x80 ? "SF" : "sf", fl & 0x40 ? "ZF" : "zf",
	    fl & 0x10 ? "AF" : "af", fl & 0x4 ? "PF" : "pf",
	    fl & 0x1 ? "CF" : "cf");
	(void) printf("%%gsbase = 0x%016llx\n", r.gs_base);
	(void) printf("%%fsbase = 0x%016llx\n", r.fs_base);
	(void) printf("%%orig_rax = 0x%llx\n", r.orig_rax);
}
#else
static void
regs_print(mdb_tgt_t *t, const mdb_thread_t *th)
{
	char sym[600];
	uint32_t i;

	for (i = 0; i < 31 && i < th->th_nregs; i++)
		(void) printf("%%x%-2u = 0x%016llx%s", i,
		    (unsigned long long)th->th_regs[i], i % 2 ? "\n" : "\t");
	(void) printf("\n%%sp  = 0x%016llx\n",
	    (unsigned long long)th->th_regs[31]);
	(void) printf("%%pc  = 0x%016llx %s\n",
	    (unsigned long long)th->th_regs[32],
	    mdb_sym_format(t, th->th_regs[32], sym, sizeof (sym)));
	(void) printf("%%pstate = 0x%08llx\n",
	    (unsigned long long)th->th_regs[33]);
}
#endif

int
dcmd_regs(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const mdb_thread_t *th;

	(void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if ((th = cmd_thread(t, cx)) == NULL)
		return (DCMD_ERR);
	regs_print(t, th);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * ::dis (capstone)
 */

#ifdef HAVE_CAPSTONE
/* mdb's operands: "%rdx,(%rax)", no space after a comma. */
static void
dis_operands(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < len; in++) {
		if (*in == ' ' && o > 0 && out[o - 1] == ',')
			continue;
		out[o++] = *in;
	}
	out[o] = '\0';
}

/* A call's or a jump's target, named: " <function+0xoff>". */
static void
dis_target(mdb_tgt_t *t, const char *mnemonic, const char *ops)
{
	char name[600];
	uint64_t target;
	char *end;

	if ((mnemonic[0] != 'j' && strncmp(mnemonic, "call", 4) != 0 &&
	    mnemonic[0] != 'b') || strncmp(ops, "0x", 2) != 0)
		return;
	target = strtoull(ops, &end, 16);
	if (*end != '\0' || !mdb_sym_lookup(t, target, name, sizeof (name),
	    NULL, NULL))
		return;
	(void) printf(" <%s>", mdb_sym_format(t, target, name,
	    sizeof (name)));
}

int
mdb_dis(mdb_tgt_t *t, uint64_t addr, uint64_t count, bool whole)
{
	char name[512], label[600], off[32], ops[256];
	uint64_t start, size, len;
	uint8_t *code;
	csh cs;
	cs_insn *insn;
	size_t n, i;
	ssize_t got;

#if defined(__x86_64__)
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
#else
	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &cs) != CS_ERR_OK) {
#endif
		mdb_warn("cannot start the disassembler");
		return (DCMD_ERR);
	}
#if defined(__x86_64__)
	(void) cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
#endif
	if (whole && mdb_sym_lookup(t, addr, name, sizeof (name), &start,
	    &size) && start == addr && size != 0) {
		len = size < DIS_MAXFUNC ? size : DIS_MAXFUNC;
		count = 0;
	} else {
		len = count * 16;
	}
	if ((code = malloc(len)) == NULL) {
		(void) cs_close(&cs);
		mdb_warn("out of memory");
		return (DCMD_ERR);
	}
	if ((got = mdb_tgt_read(t, addr, code, len)) <= 0) {
		mdb_warn_read(addr, (size_t)len);
		free(code);
		(void) cs_close(&cs);
		return (DCMD_ERR);
	}
	n = cs_disasm(cs, code, (size_t)got, addr, count, &insn);
	if (n == 0)
		mdb_warn("cannot disassemble at %llx",
		    (unsigned long long)addr);
	for (i = 0; i < n; i++) {
		if (mdb_sym_lookup(t, insn[i].address, name, sizeof (name),
		    &start, NULL)) {
			mdb_fmt_off(insn[i].address - start, off,
			    sizeof (off));
			(void) snprintf(label, sizeof (label), "%s%s:", name,
			    off);
		} else {
			(void) snprintf(label, sizeof (label), "0x%llx:",
			    (unsigned long long)insn[i].address);
		}
		mdb_pad(stdout, label, 23);
		(void) putchar(' ');
		dis_operands(insn[i].op_str, ops, sizeof (ops));
		if (ops[0] != '\0')
			(void) printf("%-6s %s", insn[i].mnemonic, ops);
		else
			(void) printf("%s", insn[i].mnemonic);
		dis_target(t, insn[i].mnemonic, ops);
		(void) putchar('\n');
	}
	if (n != 0)
		cs_free(insn, n);
	free(code);
	(void) cs_close(&cs);
	return (n != 0 ? DCMD_OK : DCMD_ERR);
}
#else
int
mdb_dis(mdb_tgt_t *t, uint64_t addr, uint64_t count, bool whole)
{
	(void) t, (void) addr, (void) count, (void) whole;
	mdb_warn("::dis: this slabtrace was built without capstone");
	return (DCMD_ERR);
}
#endif

int
dcmd_dis(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	uint64_t count = DIS_DEFAULT;
	bool whole = true;
	char *end;

	if (cx->cx_flags & DCMD_COUNTSPEC) {
		count = cx->cx_count;
		whole = false;
	}
	if (argc == 2 && strcmp(argv[0], "-n") == 0) {
		count = strtoull(argv[1], &end, 0);
		if (*end != '\0')
			return (DCMD_USAGE);
		whole = false;
	} else if (argc != 0) {
		return (DCMD_USAGE);
	}
	if (!(cx->cx_flags & DCMD_ADDRSPEC)) {
		mdb_warn("::dis needs an address");
		return (DCMD_USAGE);
	}
	if (count == 0 || count > 100000)
		count = DIS_DEFAULT;
	return (mdb_dis(t, cx->cx_addr, count, whole));
}

/* ------------------------------------------------------------------------
 * ::help, ::dcmds, $q
 */

int
dcmd_dcmds(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const mdb_dcmd_t *dc;
	char head[96];

	(void) t, (void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	for (dc = mdb_dcmds; dc->dc_name != NULL; dc++) {
		(void) snprintf(head, sizeof (head), "  ::%s %s", dc->dc_name,
		    dc->dc_usage);
		mdb_pad(stdout, head, 28);
		(void) printf(" - %s%s\n", dc->dc_help,
		    (dc->dc_flags & MDB_DC_JSON) ? " (JSON)" : "");
	}
	return (DCMD_OK);
}

int
dcmd_help(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	const mdb_dcmd_t *dc;
	const char *name;

	if (argc == 0) {
		(void) printf(
		    "Each line holds commands separated by ';':\n"
		    "  [ADDR][,COUNT]::CMD [ARGS]  run a command\n"
		    "  $c  $r  $q                 stack, registers, quit\n"
		    "  ADDR[,COUNT]/FMT           memory: K J X x B d E p a s "
		    "i\n"
		    "  ADDR=FMT                   a value: K J X x d p a\n"
		    "  CMD1 | CMD2                CMD2 for each address CMD1 "
		    "prints\n"
		    "  CMD ! SHELL                CMD's output through the "
		    "shell\n"
		    "ADDR is hex (0t for decimal), a symbol, sym+off or '.'.\n"
		    "-j after a command marked (JSON) prints JSON instead.\n"
		    "::help CMD describes one command.\n\n"
		    "Available commands:\n");
		return (dcmd_dcmds(t, cx, 0, argv));
	}
	if (argc != 1)
		return (DCMD_USAGE);
	name = argv[0];
	if (strncmp(name, "::", 2) == 0)
		name += 2;
	else if (strcmp(name, "$c") == 0 || strcmp(name, "$C") == 0)
		name = "stack";
	else if (strcmp(name, "$r") == 0)
		name = "regs";
	else if (strcmp(name, "$q") == 0)
		name = "quit";
	for (dc = mdb_dcmds; dc->dc_name != NULL; dc++) {
		if (strcmp(dc->dc_name, name) == 0)
			break;
	}
	if (dc->dc_name == NULL) {
		mdb_warn("unknown command: %s", argv[0]);
		return (DCMD_ERR);
	}
	(void) printf("\nNAME\n  %s - %s\n\nSYNOPSIS\n  [addr]::%s %s%s\n\n"
	    "DESCRIPTION\n", dc->dc_name, dc->dc_help, dc->dc_name,
	    dc->dc_usage, (dc->dc_flags & MDB_DC_JSON) ? " [-j]" : "");
	for (name = dc->dc_descr; *name != '\0'; ) {
		size_t n = strcspn(name, "\n");

		(void) printf("  %.*s\n", (int)n, name);
		name += n + (name[n] == '\n');
	}
	(void) putchar('\n');
	return (DCMD_OK);
}

int
dcmd_quit(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	(void) t, (void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	mdb_quit_requested = true;
	return (DCMD_OK);
}
