/*
 * mdb.c: `slabtrace mdb`, the debugger's command language, its prompt and
 * its table of commands.
 *
 * 1. Invocation.
 *
 *	slabtrace mdb [-e CMDS] N              vmcore.N in this directory
 *	slabtrace mdb [-e CMDS] DUMP           any dump file
 *	slabtrace mdb [-e CMDS] PROGRAM DUMP   the program has moved
 *
 *    With -e the commands (separated by ';' or newlines) run and the
 *    debugger exits: status 0, or 1 when a command failed.  Otherwise a
 *    "> " prompt reads lines from stdin, with line editing and history
 *    (libedit) when stdin is a terminal and the build has libedit.  A dump
 *    that cannot be read is one line and status 1; a usage error status 2.
 *
 * 2. The language: a subset of mdb's, one command at a time:
 *
 *	[ADDR][,COUNT]::dcmd [ARGS...]   a command of the table below
 *	[ADDR]$c  $C  $r  $q            stack, stack, registers, quit
 *	ADDR[,COUNT]/FMT                 print memory: K or J (8 bytes, hex),
 *	                                 X (4), x (2), B (1), p (8, as a
 *	                                 symbol), s (a string), i (an
 *	                                 instruction); a count may lead FMT
 *	ADDR=FMT                         print the value ADDR itself: K J X x
 *	                                 (hex), d (decimal), p or a (symbol)
 *	CMD ! shell-command              CMD's output through /bin/sh -c
 *	! shell-command                  run it
 *
 *    ADDR and COUNT are expressions: terms joined by + and -, a term a
 *    number (hex, as mdb reads it by default, with or without 0x; 0t for
 *    decimal), "." (the last address given), or a symbol name.  A word
 *    that is a hex number is a number ("add" is 0xadd): mdb's rule.  A
 *    command that fails says so on one line ("mdb: ...") and the prompt
 *    comes back.
 *
 * 3. Pipes to the shell.  As in mdb, everything after '!' to the end of
 *    the line (';' included) is a shell command; the command before it runs with its stdout going to the
 *    shell's stdin, and the debugger waits for the shell.  SIGPIPE is
 *    ignored, so a shell that stops reading (head) ends the output, not
 *    the debugger.
 *
 * 4. The table.  mdb_dcmds[] below: name, usage, a line of help, the
 *    function (in cmds.c), and the description ::help NAME prints.  A
 *    table of walkers will join it with the kmem commands.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_LIBEDIT
#include <histedit.h>
#endif

#include "mdb.h"
#include "../cmd/cmd.h"

#define	MDB_MAXARGS	64

const mdb_dcmd_t mdb_dcmds[] = {
	{ "allocdby", "", "list bufctls allocated by a thread",
	    dcmd_allocdby,
	    "THREAD::allocdby lists the transaction log's allocations by\n"
	    "thread THREAD (a thread id: hex as mdb reads numbers, or the\n"
	    "decimal id the reports print), newest first: BUFCTL (the log\n"
	    "record), TIMESTAMP and CALLER (the first frame outside the\n"
	    "allocator).  Needs auditing (KMEM_FLAGS=0x1)." },
	{ "bufctl", "[-vhH] [-a ADDR] [-c CALLER] [-e EARLIEST] [-l LATEST] "
	    "[-t THREAD]", "print or filter an audit bufctl", dcmd_bufctl,
	    "ADDR::bufctl prints the audit bufctl at ADDR (a buffer's bufctl\n"
	    "or a transaction log record): ADDR, BUFADDR, TIMESTAMP, THREAD\n"
	    "and CALLER, the first frame outside the allocator.  Fields are\n"
	    "separated so that `cut -d \" \" -f 7` takes CALLER.\n"
	    "  -v  the long form: CACHE, LASTLOG, CONTENTS and the stack\n"
	    "  -h  the buffer's history: every transaction, newest first,\n"
	    "      following bc_lastlog through the transaction log\n"
	    "  -H  no header line (none either under CMD ! SHELL)\n"
	    "  -a ADDR      only bufctls of the buffer containing ADDR\n"
	    "  -c CALLER    only those whose stack holds function CALLER\n"
	    "  -e EARLIEST  only those at or after timestamp EARLIEST\n"
	    "  -l LATEST    only those at or before timestamp LATEST\n"
	    "  -t THREAD    only those of thread THREAD" },
	{ "dcmds", "", "list available debugger commands", dcmd_dcmds,
	    "Lists every command with its usage and a line of help." },
	{ "dis", "[-n COUNT]", "disassemble near addr", dcmd_dis,
	    "ADDR::dis disassembles the function that starts at ADDR, whole;\n"
	    "at any other address COUNT instructions (,COUNT or -n; default\n"
	    "16).  AT&T syntax, each line \"symbol+offset: instruction\".\n"
	    "Code the dump left out is read from the mapped files." },
	{ "freedby", "", "list bufctls freed by a thread", dcmd_freedby,
	    "THREAD::freedby: as ::allocdby, for the frees." },
	{ "help", "[command]", "list commands or give help on one",
	    dcmd_help,
	    "Without an argument, how the language works and the commands;\n"
	    "with one, that command's usage and description." },
	{ "kmalog", "[fail | slab]", "print the kmem transaction log",
	    dcmd_kmalog,
	    "The transaction log (or the failure or slab log), newest first:\n"
	    "for each record \"T-SEC.NSEC  addr=BUFFER  CACHE\" (the time\n"
	    "before the panic) and its stack, one frame a line.  ADDR::kmalog\n"
	    "prints only the records whose buffer (slab, for the slab log)\n"
	    "contains ADDR.  Needs auditing (KMEM_FLAGS=0x1)." },
	{ "kmem_log", "[fail | slab]", "print the raw kmem log",
	    dcmd_kmem_log,
	    "The log's records, newest first, one a line: the record's\n"
	    "address (a bufctl for ::bufctl), the buffer, the timestamp and\n"
	    "the thread." },
	{ "msgbuf", "", "print the allocator's message buffer", dcmd_msgbuf,
	    "Prints every report the allocator wrote (st_msgbuf, found\n"
	    "through st_root from the dump's note), oldest first.  When the\n"
	    "ring wrapped, the oldest partial line is dropped." },
	{ "quit", "", "quit the debugger", dcmd_quit,
	    "Same as $q." },
	{ "regs", "", "print a thread's registers", dcmd_regs,
	    "TID::regs prints thread TID's registers as the dump has them;\n"
	    "without TID, the panicking thread's.  Same as $r." },
	{ "stack", "[-v]", "print a thread's stack backtrace", dcmd_stack,
	    "TID::stack unwinds thread TID from its registers in the dump;\n"
	    "without TID, the panicking thread.  One frame a line,\n"
	    "\"function+0xoffset()\"; -v adds the file and line when the\n"
	    "module has debugging information.  TID is a number like any\n"
	    "other (hex; 0t for decimal); a TID in decimal digits that names\n"
	    "no thread read as hex is taken as decimal.  $c and $C are\n"
	    "::stack." },
	{ "status", "", "print a summary of the dump", dcmd_status,
	    "The dump file, the program, its pid and arguments, the host\n"
	    "and OS release, the panic message, time and thread, the fatal\n"
	    "signal, kmem_flags, what the dump holds, its version, and the\n"
	    "threads." },
	{ "threads", "", "list the threads in the dump", dcmd_threads,
	    "One line per thread with registers: its id (decimal), the\n"
	    "signal it stopped with, and its pc as a symbol.  The panicking\n"
	    "thread is first, marked '*'.  Threads that did not stop (no\n"
	    "registers) are counted on a last line." },
	{ NULL, NULL, NULL, NULL, NULL }
};

static uint64_t mdb_dot;		/* ".": the last address given */
static bool mdb_dot_set;
bool mdb_quit_requested;
bool mdb_piped;			/* output goes to "! shell" */

void
mdb_warn(const char *fmt, ...)
{
	va_list ap;

	(void) fflush(stdout);
	(void) fputs("mdb: ", stderr);
	va_start(ap, fmt);
	(void) vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void) fputc('\n', stderr);
}

void
mdb_warn_read(uint64_t addr, size_t len)
{
	mdb_warn("failed to read %zu byte%s at %llx: %s", len,
	    len == 1 ? "" : "s", (unsigned long long)addr,
	    mdb_tgt_strerror(errno));
}

void
mdb_pad(FILE *fp, const char *s, int col)
{
	int n = fprintf(fp, "%s", s);

	while (n++ < col)
		(void) fputc(' ', fp);
}

static const mdb_dcmd_t *
dcmd_lookup(const char *name)
{
	const mdb_dcmd_t *dc;

	for (dc = mdb_dcmds; dc->dc_name != NULL; dc++) {
		if (strcmp(dc->dc_name, name) == 0)
			return (dc);
	}
	return (NULL);
}

/* ------------------------------------------------------------------------
 * Expressions.
 */

static bool
is_word(int c)
{
	return (isalnum(c) || c == '_' || c == '.' || c == '@');
}

/* A number in mdb's syntax: hex; 0x hex; 0t decimal; 0o octal. */
static bool
parse_number(const char *w, uint64_t *valp)
{
	int base = 16;
	uint64_t v = 0;

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X'))
		w += 2;
	else if (w[0] == '0' && (w[1] == 't' || w[1] == 'T'))
		w += 2, base = 10;
	else if (w[0] == '0' && (w[1] == 'o' || w[1] == 'O'))
		w += 2, base = 8;
	if (*w == '\0')
		return (false);
	for (; *w != '\0'; w++) {
		int d;

		if (isdigit((unsigned char)*w))
			d = *w - '0';
		else if (isxdigit((unsigned char)*w))
			d = tolower((unsigned char)*w) - 'a' + 10;
		else
			return (false);
		if (d >= base || v > (UINT64_MAX - (uint64_t)d) /
		    (uint64_t)base)
			return (false);
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*valp = v;
	return (true);
}

static int
parse_term(mdb_tgt_t *t, const char **sp, uint64_t *valp)
{
	const char *s = *sp;
	char word[256];
	size_t n = 0;

	while (is_word((unsigned char)s[n]))
		n++;
	if (n == 0) {
		mdb_warn("syntax error near \"%.20s\"", s);
		return (-1);
	}
	if (n >= sizeof (word)) {
		mdb_warn("name too long: \"%.20s...\"", s);
		return (-1);
	}
	(void) memcpy(word, s, n);
	word[n] = '\0';
	*sp = s + n;
	if (strcmp(word, ".") == 0) {
		*valp = mdb_dot;
		return (0);
	}
	if (parse_number(word, valp))
		return (0);
	if (isdigit((unsigned char)word[0])) {
		mdb_warn("bad number: %s", word);
		return (-1);
	}
	if (!mdb_sym_byname(t, word, valp)) {
		mdb_warn("unknown symbol: %s", word);
		return (-1);
	}
	return (0);
}

static int
parse_expr(mdb_tgt_t *t, const char **sp, uint64_t *valp)
{
	uint64_t v, w;
	const char *s = *sp;

	if (parse_term(t, &s, &v) != 0)
		return (-1);
	while (*s == '+' || *s == '-') {
		char op = *s++;

		if (parse_term(t, &s, &w) != 0)
			return (-1);
		v = op == '+' ? v + w : v - w;
	}
	*sp = s;
	*valp = v;
	return (0);
}

int
mdb_eval(mdb_tgt_t *t, const char *text, uint64_t *valp)
{
	const char *s = text;

	if (parse_expr(t, &s, valp) != 0)
		return (-1);
	if (*s != '\0') {
		mdb_warn("syntax error near \"%.20s\"", s);
		return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------------
 * Formats: ADDR/FMT and ADDR=FMT.
 */

static void
fmt_label(mdb_tgt_t *t, uint64_t addr)
{
	char buf[600], sym[560], off[32];
	uint64_t start;

	if (mdb_sym_lookup(t, addr, sym, sizeof (sym), &start, NULL)) {
		mdb_fmt_off(addr - start, off, sizeof (off));
		(void) snprintf(buf, sizeof (buf), "%s%s:", sym, off);
	} else {
		(void) snprintf(buf, sizeof (buf), "0x%llx:",
		    (unsigned long long)addr);
	}
	/* To the next tab stop, as mdb's tab expansion puts it. */
	mdb_pad(stdout, buf, (int)((strlen(buf) / 8 + 1) * 8));
}

static int
fmt_memory(mdb_tgt_t *t, uint64_t addr, uint64_t count, char fmt)
{
	size_t size, perline;
	uint64_t i;

	switch (fmt) {
	case 'K': case 'J': size = 8; perline = 2; break;
	case 'p': size = 8; perline = 1; break;
	case 'X': size = 4; perline = 4; break;
	case 'x': size = 2; perline = 8; break;
	case 'B': size = 1; perline = 16; break;
	case 's': {
		char str[4096];

		for (i = 0; i < count; i++) {
			ssize_t n = mdb_tgt_readstr(t, addr, str,
			    sizeof (str));

			if (n < 0) {
				mdb_warn_read(addr, 1);
				return (DCMD_ERR);
			}
			fmt_label(t, addr);
			(void) printf("%s\n", str);
			addr += (uint64_t)n + 1;
		}
		return (DCMD_OK);
	}
	case 'i':
		return (mdb_dis(t, addr, count, false));
	default:
		mdb_warn("unknown format: '%c' (K J X x B p s i)", fmt);
		return (DCMD_ERR);
	}
	for (i = 0; i < count; i++) {
		uint64_t a = addr + i * size, v = 0;
		char sym[600];

		if (mdb_tgt_vread(t, a, &v, size) != 0) {
			if (i % perline != 0)
				(void) putchar('\n');
			mdb_warn_read(a, size);
			return (DCMD_ERR);
		}
		if (i % perline == 0)
			fmt_label(t, a);
		if (fmt == 'p')
			(void) printf("%s", mdb_sym_format(t, v, sym,
			    sizeof (sym)));
		else
			(void) printf("%-*llx", (int)(size * 2),
			    (unsigned long long)v);
		if (i % perline == perline - 1 || i + 1 == count)
			(void) putchar('\n');
		else
			(void) putchar(' ');
	}
	return (DCMD_OK);
}

static int
fmt_value(mdb_tgt_t *t, uint64_t v, char fmt)
{
	char sym[600];

	switch (fmt) {
	case 'K': case 'J': case 'X': case 'x':
		(void) printf("%llx\n", (unsigned long long)v);
		return (DCMD_OK);
	case 'd':
		(void) printf("%lld\n", (long long)v);
		return (DCMD_OK);
	case 'p': case 'a':
		(void) printf("%s\n", mdb_sym_format(t, v, sym, sizeof (sym)));
		return (DCMD_OK);
	default:
		mdb_warn("unknown format: '%c' (K J X x d p a)", fmt);
		return (DCMD_ERR);
	}
}

/* ------------------------------------------------------------------------
 * Commands.
 */

/* Split args in place on white space; quotes group, as a shell's do. */
static int
split_args(char *s, char **argv, int max)
{
	int argc = 0;

	for (;;) {
		char *out;
		char q = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return (argc);
		if (argc == max) {
			mdb_warn("too many arguments");
			return (-1);
		}
		argv[argc++] = out = s;
		while (*s != '\0' && (q != 0 || !isspace((unsigned char)*s))) {
			if (q == 0 && (*s == '\'' || *s == '"'))
				q = *s++;
			else if (q != 0 && *s == q)
				q = 0, s++;
			else
				*out++ = *s++;
		}
		if (q != 0) {
			mdb_warn("unterminated quote");
			return (-1);
		}
		if (*s != '\0')
			s++;
		*out = '\0';
	}
}

static int
run_dcmd(mdb_tgt_t *t, const mdb_dcmd_t *dc, mdb_cmdctx_t *cx, char *args)
{
	char *argv[MDB_MAXARGS + 1];
	int argc, rc;

	if ((argc = split_args(args, argv, MDB_MAXARGS)) < 0)
		return (DCMD_ERR);
	argv[argc] = NULL;
	rc = dc->dc_func(t, cx, argc, argv);
	if (rc == DCMD_USAGE) {
		mdb_warn("usage: %s::%s %s",
		    (cx->cx_flags & DCMD_ADDRSPEC) ? "[addr]" : "",
		    dc->dc_name, dc->dc_usage);
		rc = DCMD_ERR;
	}
	return (rc);
}

/* One command, without its shell part. */
static int
run_cmd(mdb_tgt_t *t, char *cmd)
{
	mdb_cmdctx_t cx = { 0, 1, 0, NULL };
	const char *s = cmd;
	char addrtext[64];

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return (DCMD_OK);
	if (is_word((unsigned char)*s)) {
		const char *start = s;

		if (parse_expr(t, &s, &cx.cx_addr) != 0)
			return (DCMD_ERR);
		(void) snprintf(addrtext, sizeof (addrtext), "%.*s",
		    (int)(s - start), start);
		cx.cx_addrtext = addrtext;
		cx.cx_flags |= DCMD_ADDRSPEC;
		mdb_dot = cx.cx_addr;
		mdb_dot_set = true;
	}
	if (*s == ',') {
		s++;
		if (parse_expr(t, &s, &cx.cx_count) != 0)
			return (DCMD_ERR);
		cx.cx_flags |= DCMD_COUNTSPEC;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (s[0] == ':' && s[1] == ':') {
		char name[64];
		const mdb_dcmd_t *dc;
		size_t n = 0;

		s += 2;
		while (n + 1 < sizeof (name) &&
		    (isalnum((unsigned char)s[n]) || s[n] == '_'))
			n++;
		(void) memcpy(name, s, n);
		name[n] = '\0';
		if ((dc = dcmd_lookup(name)) == NULL ||
		    (s[n] != '\0' && !isspace((unsigned char)s[n]))) {
			mdb_warn("unknown command: ::%.*s", (int)strcspn(s,
			    " \t"), s);
			return (DCMD_ERR);
		}
		return (run_dcmd(t, dc, &cx, (char *)s + n));
	}
	if (s[0] == '$' && s[1] != '\0') {
		const char *name = NULL;

		switch (s[1]) {
		case 'c': case 'C': name = "stack"; break;
		case 'r': name = "regs"; break;
		case 'q': name = "quit"; break;
		default: break;
		}
		if (name == NULL) {
			mdb_warn("unknown command: %.2s", s);
			return (DCMD_ERR);
		}
		return (run_dcmd(t, dcmd_lookup(name), &cx, (char *)s + 2));
	}
	if ((s[0] == '/' || s[0] == '=') && s[1] != '\0') {
		char op = s[0];
		uint64_t count = cx.cx_count;

		s++;
		if (isdigit((unsigned char)*s)) {
			char *end;

			count = strtoull(s, &end, 10);
			s = end;
		}
		if (s[0] == '\0' || (s[1] != '\0' &&
		    !isspace((unsigned char)s[1]))) {
			mdb_warn("bad format: %s", s);
			return (DCMD_ERR);
		}
		if (!(cx.cx_flags & DCMD_ADDRSPEC)) {
			if (!mdb_dot_set) {
				mdb_warn("no address for %c%c", op, s[0]);
				return (DCMD_ERR);
			}
			cx.cx_addr = mdb_dot;
		}
		if (op == '=')
			return (fmt_value(t, cx.cx_addr, s[0]));
		if (count > 65536)
			count = 65536;
		return (fmt_memory(t, cx.cx_addr, count, s[0]));
	}
	if (*s == '\0')
		return (DCMD_OK);	/* an address alone sets "." */
	mdb_warn("unknown command: %s", s);
	return (DCMD_ERR);
}

/* CMD ! SHELL: CMD's stdout into /bin/sh -c SHELL. */
static int
run_piped(mdb_tgt_t *t, char *cmd, const char *shell)
{
	int fds[2], saved, status, rc;
	pid_t pid;

	(void) fflush(stdout);
	if (pipe(fds) != 0) {
		mdb_warn("cannot make a pipe: %s", strerror(errno));
		return (DCMD_ERR);
	}
	if ((pid = fork()) == -1) {
		mdb_warn("cannot fork: %s", strerror(errno));
		(void) close(fds[0]);
		(void) close(fds[1]);
		return (DCMD_ERR);
	}
	if (pid == 0) {
		(void) dup2(fds[0], 0);
		(void) close(fds[0]);
		(void) close(fds[1]);
		(void) signal(SIGPIPE, SIG_DFL);
		(void) execl("/bin/sh", "sh", "-c", shell, (char *)NULL);
		_exit(127);
	}
	(void) close(fds[0]);
	saved = dup(1);
	(void) dup2(fds[1], 1);
	(void) close(fds[1]);
	mdb_piped = true;
	rc = run_cmd(t, cmd);
	mdb_piped = false;
	(void) fflush(stdout);
	clearerr(stdout);
	(void) dup2(saved, 1);
	(void) close(saved);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
	return (rc);
}

/* A line: commands separated by ';', each with its optional "! shell". */
int
mdb_run_line(mdb_tgt_t *t, char *line)
{
	int rc = DCMD_OK;
	char *s = line;

	while (*s != '\0' && !mdb_quit_requested) {
		char *cmd = s, q = 0;
		int r;

		for (; *s != '\0'; s++) {
			if (q != 0) {
				if (*s == q)
					q = 0;
			} else if (*s == '\'' || *s == '"') {
				q = *s;
			} else if (*s == ';' || *s == '!' || *s == '\n') {
				break;
			}
		}
		if (*s == '!') {
			/* The shell gets the rest of the line, ';' and all. */
			char *shell = s + 1, *nl = strchr(shell, '\n');

			*s = '\0';
			s = nl != NULL ? nl + 1 : shell + strlen(shell);
			if (nl != NULL)
				*nl = '\0';
			r = run_piped(t, cmd, shell);
		} else {
			if (*s != '\0')
				*s++ = '\0';
			r = run_cmd(t, cmd);
		}
		(void) fflush(stdout);
		if (r != DCMD_OK)
			rc = r;
	}
	return (rc);
}

/* ------------------------------------------------------------------------
 * The prompt.
 */

#ifdef HAVE_LIBEDIT
static char *
mdb_prompt(EditLine *el)
{
	(void) el;
	return ((char *)"> ");
}

static void
repl_edit(mdb_tgt_t *t)
{
	EditLine *el = el_init("slabtrace-mdb", stdin, stdout, stderr);
	History *h = history_init();
	HistEvent ev;
	const char *line;
	int n;

	(void) el_set(el, EL_PROMPT, mdb_prompt);
	(void) el_set(el, EL_EDITOR, "emacs");
	(void) history(h, &ev, H_SETSIZE, 1000);
	(void) el_set(el, EL_HIST, history, h);
	while (!mdb_quit_requested && (line = el_gets(el, &n)) != NULL) {
		char *copy = strdup(line);

		if (copy == NULL)
			break;
		if (strspn(copy, " \t\n") != strlen(copy))
			(void) history(h, &ev, H_ENTER, line);
		(void) mdb_run_line(t, copy);
		free(copy);
	}
	history_end(h);
	el_end(el);
}
#endif

static void
repl(mdb_tgt_t *t)
{
	char *line = NULL;
	size_t cap = 0;

#ifdef HAVE_LIBEDIT
	if (isatty(0) && isatty(1)) {
		repl_edit(t);
		return;
	}
#endif
	while (!mdb_quit_requested) {
		(void) fputs("> ", stdout);
		(void) fflush(stdout);
		if (getline(&line, &cap, stdin) < 0)
			break;
		(void) mdb_run_line(t, line);
	}
	free(line);
	if (!mdb_quit_requested)
		(void) putchar('\n');
}

/* ------------------------------------------------------------------------
 * `slabtrace mdb`.
 */

void
mdb_usage(FILE *fp)
{
	(void) fprintf(fp,
	    "  N               open vmcore.N in the current directory\n"
	    "  DUMP            open the dump file DUMP\n"
	    "  PROGRAM DUMP    and read PROGRAM's symbols (it has moved)\n"
	    "  -e CMDS         run CMDS (';' or newlines between) and exit\n"
	    "At the prompt, ::help lists the commands; see slabtrace-mdb(1).\n");
}

int
cmd_mdb(int argc, char **argv)
{
	const char *cmds = NULL, *program = NULL, *dump;
	char path[64], err[1024];
	mdb_tgt_t *t;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "+e:h")) != -1) {
		switch (c) {
		case 'e':
			cmds = optarg;
			break;
		case 'h':
			(void) printf("usage: slabtrace mdb [-e CMDS] "
			    "[PROGRAM] (N | DUMP)\n");
			mdb_usage(stdout);
			return (0);
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		goto usage;
	if (argc == 2)
		program = argv[0];
	dump = argv[argc - 1];
	if (dump[0] != '\0' && strspn(dump, "0123456789") == strlen(dump) &&
	    strlen(dump) < 12) {
		(void) snprintf(path, sizeof (path), "vmcore.%s", dump);
		dump = path;
	}
	(void) signal(SIGPIPE, SIG_IGN);
	err[0] = '\0';
	if ((t = mdb_tgt_open_core(dump, program, err, sizeof (err))) ==
	    NULL) {
		mdb_warn("%s", err);
		return (1);
	}
	if (mdb_sym_init(t, err, sizeof (err)) != 0)
		mdb_warn("%s: %s (addresses print in hex)", dump, err);
	if (cmds != NULL) {
		char *copy = strdup(cmds);

		if (copy == NULL || mdb_run_line(t, copy) != DCMD_OK)
			rc = 1;
		free(copy);
	} else {
		repl(t);
	}
	(void) fflush(stdout);
	mdb_tgt_close(t);
	return (rc);
usage:
	(void) fprintf(stderr, "usage: slabtrace mdb [-e CMDS] [PROGRAM] "
	    "(N | DUMP)\n");
	return (2);
}
