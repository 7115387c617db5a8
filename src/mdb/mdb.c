/*
 * mdb.c: `slabtrace mdb`, the debugger's command language, its prompt and
 * its table of commands.
 *
 * 1. Invocation.
 *
 *	slabtrace mdb [-e CMDS] N              vmcore.N in this directory
 *	slabtrace mdb [-e CMDS] DUMP           any dump file
 *	slabtrace mdb [-e CMDS] PROGRAM DUMP   the program has moved
 *	slabtrace mdb [-e CMDS] [-S] -p PID    a live process (proc.c; -S:
 *	                                       stopped for each command)
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
 *	                                 X (4), x (2), B (1), d (4, signed
 *	                                 decimal), E (8, decimal), p (8, as
 *	                                 a symbol), s (a string), i (an
 *	                                 instruction), a (ADDR itself as a
 *	                                 symbol); a count may lead FMT
 *	ADDR=FMT                         print the value ADDR itself: K J X x
 *	                                 (hex), d (decimal), p or a (symbol),
 *	                                 s or c (its bytes as characters)
 *	CMD1 | CMD2                      CMD2 once for each address CMD1
 *	                                 prints (section 3)
 *	CMD ! shell-command              CMD's output through /bin/sh -c
 *	! shell-command                  run it
 *
 *    ADDR and COUNT are expressions: terms joined by + and -, a term a
 *    number (hex, as mdb reads it by default, with or without 0x; 0t for
 *    decimal), "." (the last address given), a symbol name, or <REG (a
 *    register of the panicking thread: <rip, <rax).  Writes (/w /W /Z
 *    /v) and process control (:c, :s) are refused: the target is only
 *    ever read.  A word that is a hex number is a number ("add" is
 *    0xadd): mdb's rule.  A command that fails says so on one line
 *    ("mdb: ...") and the prompt comes back.
 *
 * 3. Pipes.  As in mdb, everything after '!' to the end of the line
 *    (';' included) is a shell command; the command before it runs with
 *    its stdout going to the shell's stdin, and the debugger waits for the
 *    shell.  SIGPIPE is ignored, so a shell that stops reading (head) ends
 *    the output, not the debugger.  With -P, a line's output to a terminal
 *    goes through $PAGER the same way.
 *
 *    Pipes between commands, as in mdb: CMD1 | CMD2 runs CMD1 with
 *    DCMD_PIPE_OUT (it prints addresses only, one a line: ::walk), reads
 *    the first word of each line as an address, and runs CMD2 once per
 *    address with DCMD_PIPE and DCMD_LOOP (DCMD_LOOPFIRST the first time,
 *    so that a table's header is printed once).  The output goes through
 *    a temporary file, not memory held by a pipe, so a walk of a million
 *    buffers costs the disk cache, not a buffer that grows.
 *
 * 4. JSON (json.c).  -o json on the command line, or -j among a
 *    command's arguments, makes a command whose row has MDB_DC_JSON print
 *    one JSON value instead of its table; -j to another is an error.
 *
 * 5. The table.  mdb_dcmds[] below: name, usage, a line of help, the
 *    function (in cmds.c), and the description ::help NAME prints.  The
 *    walkers (::walk, ::walkers) are a table of their own in kmwalk.c,
 *    over the heap model of kmem.c.
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
#include <time.h>
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
	    "allocator).  Needs auditing (KMEM_FLAGS=0x1).", 0 },
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
	    "  -t THREAD    only those of thread THREAD", MDB_DC_JSON },
	{ "dcmds", "", "list available debugger commands", dcmd_dcmds,
	    "Lists every command with its usage and a line of help.", 0 },
	{ "dis", "[-n COUNT]", "disassemble near addr", dcmd_dis,
	    "ADDR::dis disassembles the function that starts at ADDR, whole;\n"
	    "at any other address COUNT instructions (,COUNT or -n; default\n"
	    "16).  AT&T syntax, each line \"symbol+offset: instruction\".\n"
	    "Code the dump left out is read from the mapped files.", 0 },
	{ "findleaks", "[-dfv]", "search for potential memory leaks",
	    dcmd_findleaks,
	    "A conservative scan, as mdb's leaky: every allocated buffer that\n"
	    "no root reaches (registers, the live part of every stack, the\n"
	    "writable data of every module, the program's own mappings),\n"
	    "directly or through other buffers.  One row per cache and stack\n"
	    "(or lite's caller; or cache alone): CACHE, LEAKED (buffers),\n"
	    "BUFCTL (the oldest leak's; BUFFER when not audited), CALLER; big\n"
	    "buffers by size.  Direct leaks first, then the indirect ones\n"
	    "(reached only from leaks: a lost list is one row and its nodes),\n"
	    "then Total N buffers, M bytes.  ADDR::findleaks: only the leaks\n"
	    "whose stack holds the function at ADDR.  -d: each row's\n"
	    "::bufctl -v; -v: the scan's statistics; -f: scan again (the\n"
	    "result is kept for the next ::findleaks and the leak and leakbuf\n"
	    "walkers).  A live process is stopped while it is scanned.",
	    MDB_DC_JSON },
	{ "explain", "", "what an address is and what happened to it",
	    dcmd_explain,
	    "ADDR::explain says everything the dump knows about ADDR: what\n"
	    "it is (::whatis -a); for a heap buffer, whether it is intact\n"
	    "(redzone, tag, the 0xdeadbeef pattern of a free buffer, every\n"
	    "modified word listed), its history (every transaction the\n"
	    "logs hold, newest first, with stacks), its neighbours in the\n"
	    "slab with their last callers, and every word in memory that\n"
	    "points into it (the allocator's own records counted only).", 0 },
	{ "freedby", "", "list bufctls freed by a thread", dcmd_freedby,
	    "THREAD::freedby: as ::allocdby, for the frees.", 0 },
	{ "help", "[command]", "list commands or give help on one",
	    dcmd_help,
	    "Without an argument, how the language works and the commands;\n"
	    "with one, that command's usage and description.", 0 },
	{ "kgrep", "[-m MASK] VALUE", "find words in memory equal to a value",
	    dcmd_kgrep,
	    "VALUE::kgrep or ::kgrep VALUE prints the address of every\n"
	    "8-byte aligned word of the memory the dump holds that equals\n"
	    "VALUE (after masking both with MASK, -m): who points at a\n"
	    "buffer, where a handle was stored.  One address a line, so it\n"
	    "feeds a pipe (::kgrep BUF | ::whatis).", MDB_DC_JSON },
	{ "kmalog", "[fail | slab]", "print the kmem transaction log",
	    dcmd_kmalog,
	    "The transaction log (or the failure or slab log), newest first:\n"
	    "for each record \"T-SEC.NSEC  addr=BUFFER  CACHE\" (the time\n"
	    "before the panic) and its stack, one frame a line.  ADDR::kmalog\n"
	    "prints only the records whose buffer (slab, for the slab log)\n"
	    "contains ADDR.  Needs auditing (KMEM_FLAGS=0x1).", MDB_DC_JSON },
	{ "kmastat", "[-kmg]", "kernel memory allocator stats", dcmd_kmastat,
	    "One row per cache: buffer size, buffers in use (not on a slab's\n"
	    "free list, nor in a magazine or quarantine), buffers in slabs,\n"
	    "memory in its slabs, allocations succeeded and failed; a Total\n"
	    "line per arena that backs caches; then the vmem arenas, each\n"
	    "indented under its source: memory in use, total, imported,\n"
	    "allocations.  -k, -m, -g: memory in KB, MB, GB.", MDB_DC_JSON },
	{ "kmausers", "[-ef] [CACHE ...]", "current medium and large users "
	    "of the kmem allocator", dcmd_kmausers,
	    "Groups the allocated buffers of audited caches (and big buffers)\n"
	    "by the stack that allocated them and prints, largest first,\n"
	    "\"N bytes for M allocations with data size S:\" and the stack.\n"
	    "Only groups of 8192 bytes or 100 allocations, unless -e; -f\n"
	    "first prints every buffer (size, addr, thread, cache and\n"
	    "stack).  CACHE names restrict it to those caches.  Needs\n"
	    "auditing (KMEM_FLAGS=0x1).", MDB_DC_JSON },
	{ "kmem_cache", "[-n NAME]", "print kernel memory caches",
	    dcmd_kmem_cache,
	    "ADDR NAME FLAG CFLAG BUFSIZE BUFTOTL for every cache (ADDR: the\n"
	    "kmem_cache_t; FLAG: its KMF_* flags; CFLAG: its creation flags;\n"
	    "BUFTOTL: buffers in its slabs).  ADDR::kmem_cache prints one;\n"
	    "-n NAME the cache of that name.  In a pipe, the addresses.",
	    MDB_DC_JSON },
	{ "kmem_log", "[fail | slab]", "print the raw kmem log",
	    dcmd_kmem_log,
	    "The log's records, newest first, one a line: the record's\n"
	    "address (a bufctl for ::bufctl), the buffer, the timestamp and\n"
	    "the thread.", 0 },
	{ "kmem_slabs", "[-v] [-n NAME]", "display slab usage per kmem cache",
	    dcmd_kmem_slabs,
	    "Per cache: slabs, partial slabs, buffers, unused buffers and the\n"
	    "waste (slab bytes not holding allocated buffers).  -v adds how\n"
	    "many slabs are complete, partial and empty, and the partial\n"
	    "slabs' buffers in use in list order.  ADDR::kmem_slabs or -n\n"
	    "NAME: one cache.", MDB_DC_JSON },
	{ "kmem_verify", "", "check integrity of kmem-managed memory",
	    dcmd_kmem_verify,
	    "Every cache's slab lists, and in caches with buffer tags\n"
	    "(KMEM_FLAGS 0x2/0x4, UMEM_DEBUG=guards or lite) every buffer:\n"
	    "a free buffer's 0xdeadbeef pattern, an allocated one's redzone\n"
	    "(0xfeedface, the 0xbb padding after its size), the 0xbb before\n"
	    "it, its tag's bxstat and bufctl.  One row per cache: \"clean\" or\n"
	    "\"N corrupt buffers\".  ADDR::kmem_verify (a cache) lists each\n"
	    "corrupt buffer: what is wrong, where, what belongs there and\n"
	    "what is there.", MDB_DC_JSON },
	{ "msgbuf", "", "print the allocator's message buffer", dcmd_msgbuf,
	    "Prints every report the allocator wrote (st_msgbuf, found\n"
	    "through st_root from the dump's note), oldest first.  When the\n"
	    "ring wrapped, the oldest partial line is dropped.", 0 },
	{ "quit", "", "quit the debugger", dcmd_quit,
	    "Same as $q.", 0 },
	{ "regs", "", "print a thread's registers", dcmd_regs,
	    "TID::regs prints thread TID's registers as the dump has them;\n"
	    "without TID, the panicking thread's.  Same as $r.", 0 },
	{ "release", "", "resume a live process ::stop stopped",
	    dcmd_release,
	    "With -p PID: lets the process run again after ::stop.  Its\n"
	    "threads are detached (PTRACE_DETACH) with any signal that came\n"
	    "for them meanwhile.", 0 },
	{ "stack", "[-fv]", "print a thread's stack backtrace", dcmd_stack,
	    "TID::stack unwinds thread TID from its registers in the dump;\n"
	    "without TID, the panicking thread.  One frame a line,\n"
	    "\"function+0xoffset()\"; -v adds the file and line when the\n"
	    "module has debugging information.  TID is a number like any\n"
	    "other (hex; 0t for decimal); a TID in decimal digits that names\n"
	    "no thread read as hex is taken as decimal.  -f puts each\n"
	    "frame's frame pointer first (%rbp as the unwinder restored it,\n"
	    "or the stack pointer where it cannot).  $c is ::stack, $C\n"
	    "::stack -f.",
	    MDB_DC_JSON },
	{ "stop", "", "stop a live process until ::release", dcmd_stop,
	    "With -p PID: stops every thread (PTRACE_SEIZE and\n"
	    "PTRACE_INTERRUPT, no SIGSTOP) and keeps them stopped across\n"
	    "commands, for a consistent view of the heap, until ::release\n"
	    "or until the debugger exits, however it exits.  Without it a\n"
	    "live process is read as it runs; -S stops it for each command.",
	    0 },
	{ "status", "", "print a summary of the dump", dcmd_status,
	    "The dump file, the program, its pid and arguments, the host\n"
	    "and OS release, the panic message, time and thread, the fatal\n"
	    "signal, kmem_flags, what the dump holds, its version, and the\n"
	    "threads.", MDB_DC_JSON },
	{ "threads", "", "list the threads in the dump", dcmd_threads,
	    "One line per thread with registers: its id (decimal), the\n"
	    "signal it stopped with, and its pc as a symbol.  The panicking\n"
	    "thread is first, marked '*'.  Threads that did not stop (no\n"
	    "registers) are counted on a last line.", MDB_DC_JSON },
	{ "vmem", "", "print a vmem_t", dcmd_vmem,
	    "ADDR NAME INUSE TOTAL SUCCEED FAIL for every arena, each\n"
	    "indented under the arena it imports from; ADDR::vmem one arena.\n"
	    "In a pipe, the addresses.", MDB_DC_JSON },
	{ "vmem_seg", "[-m MIN] [-M MAX] [-T TYPE]", "print or filter a "
	    "vmem_seg", dcmd_vmem_seg,
	    "ADDR::vmem_seg prints the segment at ADDR: ADDR TYPE (ALLC,\n"
	    "FREE, SPAN, ROTR) START END SIZE; with an arena's address, all\n"
	    "of its segments.  -m, -M: only sizes from MIN, up to MAX; -T:\n"
	    "only that type.  ::walk vmem_seg ARENA | ::vmem_seg works too.",
	    MDB_DC_JSON },
	{ "walk", "NAME [VAR]", "walk data structure", dcmd_walk,
	    "Prints the address of every object the walker NAME visits, one\n"
	    "a line, to feed a pipe (::walk kmem_alloc_256 | ::bufctl) or a\n"
	    "shell (! wc -l).  ADDR::walk NAME scopes it: a cache for kmem,\n"
	    "freemem, bufctl, freectl, kmem_slab; an arena for vmem_seg,\n"
	    "vmem_alloc, vmem_free.  A cache's name walks its allocated\n"
	    "buffers.  ::walkers lists them.  VAR is accepted for mdb's\n"
	    "sake; there are no variables.", 0 },
	{ "walkers", "", "list available walkers", dcmd_walkers,
	    "Every walker with a line of help, then one per cache (its\n"
	    "allocated buffers).", MDB_DC_JSON },
	{ "whatis", "[-aq]", "given an address, return information",
	    dcmd_whatis,
	    "ADDR::whatis says what ADDR is: a buffer of a cache (\"ADDR is\n"
	    "BUF+OFF, allocated from CACHE\" or \"freed from\", with where a\n"
	    "free buffer waits and, when audited, its last transaction as\n"
	    "::bufctl -v prints it), an oversize or firewall buffer, slab\n"
	    "metadata, a thread's stack, a symbol of a module (data, bss,\n"
	    "text), or an allocated vmem segment.  -a: every source that\n"
	    "knows it, not only the first; -q: no transaction.  Piped\n"
	    "addresses are each looked up.", MDB_DC_JSON },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static uint64_t mdb_dot;		/* ".": the last address given */
static bool mdb_dot_set;
bool mdb_quit_requested;
bool mdb_piped;			/* output goes to "! shell" */
bool mdb_json_all;			/* -o json */

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
	bool reg = false;

	if (*s == '<') {	/* <REG: a register's value */
		reg = true;
		s++;
	}
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
	if (reg)
		return (mdb_reg_value(t, word, valp));
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
	case 'a': {	/* the address itself, as a symbol: "main+0x10:" */
		char sym[600];

		(void) printf("%s:\n", mdb_sym_format(t, addr, sym,
		    sizeof (sym)));
		return (DCMD_OK);
	}
	case 'd': size = 4; perline = 4; break;
	case 'E': size = 8; perline = 2; break;
	default:
		mdb_warn("unknown format: '%c' (K J X x B d E p a s i)", fmt);
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
		else if (fmt == 'd')
			(void) printf("%-11d", (int32_t)v);
		else if (fmt == 'E')
			(void) printf("%-20llu", (unsigned long long)v);
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
	case 's': case 'c': {	/* the value's bytes as characters */
		int i;

		for (i = 0; i < (fmt == 'c' ? 1 : 8); i++) {
			unsigned char ch = (unsigned char)(v >> (8 * i));

			if (ch == '\0')
				break;
			(void) putchar(isprint(ch) ? ch : '.');
		}
		(void) putchar('\n');
		return (DCMD_OK);
	}
	default:
		mdb_warn("unknown format: '%c' (K J X x d p a s c)", fmt);
		return (DCMD_ERR);
	}
}

/* ------------------------------------------------------------------------
 * Progress: a long command (a walk of every cache, a scan of all memory)
 * says how far it is on stderr, when stderr is a terminal and the command
 * has run for a second: one line rewritten in place at most four times a
 * second, erased when the command ends.  SLABTRACE_MDB_PROGRESS=1 shows
 * it on any stderr at once (the tests).
 */
static uint64_t mdb_cmd_start;		/* this command's start, ns */
static uint64_t mdb_progress_last;	/* the last line's time */
static bool mdb_progress_shown;

static uint64_t
mdb_now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

void
mdb_progress(const char *what, uint64_t done, uint64_t total)
{
	const char *env = getenv("SLABTRACE_MDB_PROGRESS");
	bool forced = env != NULL && strcmp(env, "1") == 0;
	uint64_t now = mdb_now_ns();

	if (!forced && (!isatty(2) || now - mdb_cmd_start < 1000000000ULL ||
	    now - mdb_progress_last < 250000000ULL))
		return;
	mdb_progress_last = now;
	mdb_progress_shown = true;
	(void) fprintf(stderr, isatty(2) ? "\r%s: %llu of %llu\033[K" :
	    "%s: %llu of %llu\n", what, (unsigned long long)done,
	    (unsigned long long)total);
}

static void
mdb_progress_end(void)
{
	if (mdb_progress_shown && isatty(2))
		(void) fputs("\r\033[K", stderr);
	mdb_progress_shown = false;
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

/*
 * -j among the arguments (taken out, before a "--"), or -o json on the
 * command line: JSON for a command that has it (MDB_DC_JSON).  Never into
 * a pipe of addresses.  The new argc, or -1 warned.
 */
static int
json_option(const mdb_dcmd_t *dc, const mdb_cmdctx_t *cx, int argc,
    char **argv)
{
	bool asked = false;
	int i, j;

	for (i = j = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-j") == 0)
			asked = true;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	mdb_json = false;
	if (asked && !(dc->dc_flags & MDB_DC_JSON)) {
		mdb_warn("::%s has no JSON output", dc->dc_name);
		return (-1);
	}
	if ((asked || mdb_json_all) && (dc->dc_flags & MDB_DC_JSON) &&
	    !(cx->cx_flags & DCMD_PIPE_OUT))
		mdb_json = true;
	return (j);
}

static int
run_dcmd(mdb_tgt_t *t, const mdb_dcmd_t *dc, mdb_cmdctx_t *cx, char *args)
{
	char *argv[MDB_MAXARGS + 1];
	int argc, rc;

	if ((argc = split_args(args, argv, MDB_MAXARGS)) < 0)
		return (DCMD_ERR);
	argv[argc] = NULL;
	argc = json_option(dc, cx, argc, argv);
	if (argc < 0)
		return (DCMD_ERR);
	mdb_cmd_start = mdb_now_ns();
	mdb_progress_last = 0;
	rc = dc->dc_func(t, cx, argc, argv);
	mdb_progress_end();
	if (mdb_json)
		mj_reset();
	mdb_json = false;
	if (rc == DCMD_USAGE) {
		mdb_warn("usage: %s::%s %s",
		    (cx->cx_flags & DCMD_ADDRSPEC) ? "[addr]" : "",
		    dc->dc_name, dc->dc_usage);
		rc = DCMD_ERR;
	}
	return (rc);
}

/*
 * One command, without its pipes or its shell part.  pflags: DCMD_PIPE*
 * and DCMD_LOOP*, with paddr the address a pipe gave (DCMD_PIPE).
 */
static int
run_cmd(mdb_tgt_t *t, char *cmd, uint32_t pflags, uint64_t paddr)
{
	mdb_cmdctx_t cx = { 0, 1, 0, NULL };
	const char *s = cmd;
	char addrtext[64];

	cx.cx_flags = pflags;
	if (pflags & DCMD_PIPE) {
		cx.cx_addr = paddr;
		cx.cx_flags |= DCMD_ADDRSPEC;
		mdb_dot = paddr;
		mdb_dot_set = true;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return (DCMD_OK);
	if (is_word((unsigned char)*s) || *s == '<') {
		if (pflags & DCMD_PIPE) {
			mdb_warn("an address before a command that a pipe "
			    "gives addresses to: %s", s);
			return (DCMD_ERR);
		}
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
	if (s[0] == ':' && isalpha((unsigned char)s[1])) {
		mdb_warn("%.2s: slabtrace mdb does not control or change its "
		    "target (a dump, or a process it only reads)", s);
		return (DCMD_ERR);
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
		if (s[1] == 'C') {	/* $C: with the frames' frame pointers */
			char args[1024];

			(void) snprintf(args, sizeof (args), "-f %s", s + 2);
			return (run_dcmd(t, dcmd_lookup(name), &cx, args));
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
		if (op == '/' && strchr("vwWZ", s[0]) != NULL) {
			mdb_warn("/%c writes memory: slabtrace mdb never writes "
			    "to its target", s[0]);
			return (DCMD_ERR);
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

/*
 * The addresses a command printed into fp: the first word of each line
 * that reads as a number (a header line, if a command printed one, is
 * not an address).  *np of them, in a malloc'd array.
 */
static uint64_t *
pipe_addrs(FILE *fp, size_t *np)
{
	uint64_t *v = NULL, *nv, a;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL, word[64];

	rewind(fp);
	while (getline(&line, &len, fp) >= 0) {
		if (sscanf(line, " %63s", word) != 1 ||
		    !parse_number(word, &a))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((nv = realloc(v, cap * sizeof (*v))) == NULL) {
				mdb_warn("out of memory for a pipe's "
				    "addresses");
				break;
			}
			v = nv;
		}
		v[n++] = a;
	}
	free(line);
	*np = n;
	return (v);
}

/* Run cmd with its stdout into fp, emptied first. */
static int
run_captured(mdb_tgt_t *t, FILE *fp, char *cmd, uint32_t pflags,
    uint64_t paddr)
{
	int saved, rc;

	(void) fflush(stdout);
	if (ftruncate(fileno(fp), 0) != 0 || (saved = dup(1)) == -1) {
		mdb_warn("cannot pipe between commands: %s", strerror(errno));
		return (DCMD_ERR);
	}
	rewind(fp);
	(void) dup2(fileno(fp), 1);
	rc = run_cmd(t, cmd, pflags | DCMD_PIPE_OUT, paddr);
	(void) fflush(stdout);
	clearerr(stdout);
	(void) dup2(saved, 1);
	(void) close(saved);
	return (rc);
}

/*
 * CMD1 | CMD2 | ...: each command's output addresses (DCMD_PIPE_OUT) are
 * given one at a time to the next (DCMD_PIPE, DCMD_LOOP, DCMD_LOOPFIRST
 * on the first), as in mdb.  The last command's output is the line's.
 */
static int
run_pipeline(mdb_tgt_t *t, char *cmd)
{
	char *stages[16], *s, q = 0;
	uint64_t *addrs = NULL;
	size_t naddrs = 0, i;
	int nst = 0, k, rc = DCMD_OK;

	stages[nst++] = cmd;
	for (s = cmd; *s != '\0'; s++) {
		if (q != 0) {
			if (*s == q)
				q = 0;
		} else if (*s == '\'' || *s == '"') {
			q = *s;
		} else if (*s == '|') {
			if (nst == 16) {
				mdb_warn("more than 16 commands in a pipe");
				return (DCMD_ERR);
			}
			*s = '\0';
			stages[nst++] = s + 1;
		}
	}
	if (nst == 1)
		return (run_cmd(t, cmd, 0, 0));
	for (k = 0; k < nst && rc == DCMD_OK; k++) {
		bool last = k == nst - 1;
		uint64_t *next = NULL;
		size_t nnext = 0;
		FILE *fp = NULL;

		if (!last && (fp = tmpfile()) == NULL) {
			mdb_warn("cannot pipe between commands: %s",
			    strerror(errno));
			rc = DCMD_ERR;
			break;
		}

		for (i = 0; i < (k == 0 ? 1 : naddrs); i++) {
			char *text = strdup(stages[k]);	/* split in place */
			uint32_t fl = 0;
			int r;

			if (text == NULL) {
				mdb_warn("out of memory");
				rc = DCMD_ERR;
				break;
			}
			if (k > 0)
				fl = DCMD_PIPE | DCMD_LOOP |
				    (i == 0 ? DCMD_LOOPFIRST : 0);
			if (last) {
				r = run_cmd(t, text, fl, k > 0 ? addrs[i] : 0);
			} else if ((r = run_captured(t, fp, text, fl,
			    k > 0 ? addrs[i] : 0)) == DCMD_OK) {
				uint64_t *v, *nv;
				size_t n;

				v = pipe_addrs(fp, &n);
				nv = n == 0 ? NULL : realloc(next,
				    (nnext + n) * sizeof (*next));
				if (nv != NULL) {
					(void) memcpy(nv + nnext, v,
					    n * sizeof (*v));
					next = nv;
					nnext += n;
				}
				free(v);
			}
			free(text);
			if (r != DCMD_OK) {
				rc = r;
				break;
			}
			if (mdb_quit_requested)
				break;
		}
		if (fp != NULL)
			(void) fclose(fp);
		free(addrs);
		addrs = next;
		naddrs = nnext;
	}
	free(addrs);
	return (rc);
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
	rc = run_pipeline(t, cmd);
	mdb_piped = false;
	(void) fflush(stdout);
	clearerr(stdout);
	(void) dup2(saved, 1);
	(void) close(saved);
	/* The command is done: a live process need not wait for the shell. */
	mdb_tgt_end(t);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
	return (rc);
}

/*
 * A command between the target's begin and end: on a live process, what
 * it stopped is resumed when it ends (proc.c, section 3).
 */
static int
run_framed(mdb_tgt_t *t, char *cmd, const char *shell)
{
	int r;

	if (shell == NULL && cmd[strspn(cmd, " \t\n")] == '\0')
		return (DCMD_OK);
	if (mdb_tgt_begin(t) != 0)
		return (DCMD_ERR);
	r = shell != NULL ? run_piped(t, cmd, shell) : run_pipeline(t, cmd);
	mdb_tgt_end(t);
	return (r);
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
			r = run_framed(t, cmd, shell);
		} else {
			if (*s != '\0')
				*s++ = '\0';
			r = run_framed(t, cmd, NULL);
		}
		(void) fflush(stdout);
		if (r != DCMD_OK)
			rc = r;
	}
	return (rc);
}

/* ------------------------------------------------------------------------
 * The pager (-P): a line's output through $PAGER (default "less -FRX")
 * when stdout is a terminal, only when asked, one pager per line so that
 * the prompt comes back after it.
 */
static bool mdb_pager_asked;

static FILE *
pager_begin(int *savedp)
{
	const char *pager = getenv("PAGER");
	FILE *fp;

	*savedp = -1;
	if (!mdb_pager_asked || !isatty(1))
		return (NULL);
	if (pager == NULL || *pager == '\0')
		pager = "less -FRX";
	(void) fflush(stdout);
	if ((fp = popen(pager, "w")) == NULL) {
		mdb_warn("cannot start the pager %s: %s", pager,
		    strerror(errno));
		return (NULL);
	}
	if ((*savedp = dup(1)) == -1) {
		(void) pclose(fp);
		return (NULL);
	}
	(void) dup2(fileno(fp), 1);
	return (fp);
}

static void
pager_end(FILE *fp, int saved)
{
	if (fp == NULL)
		return;
	(void) fflush(stdout);
	clearerr(stdout);
	(void) dup2(saved, 1);
	(void) close(saved);
	(void) pclose(fp);
}

/* A line, through the pager if asked. */
static int
run_line_paged(mdb_tgt_t *t, char *line)
{
	int saved, rc;
	FILE *fp = pager_begin(&saved);

	rc = mdb_run_line(t, line);
	pager_end(fp, saved);
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
		(void) run_line_paged(t, copy);
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
		(void) run_line_paged(t, line);
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
	    "  -p PID          the live process PID (under slabtrace)\n"
	    "  -S              with -p: stop it for each command\n"
	    "  -e CMDS         run CMDS (';' or newlines between) and exit\n"
	    "  -o json         JSON from every command that has it\n"
	    "  -P              output to a terminal through $PAGER (less)\n"
	    "At the prompt, ::help lists the commands; see slabtrace-mdb(1).\n");
}

int
cmd_mdb(int argc, char **argv)
{
	const char *cmds = NULL, *program = NULL, *dump;
	char path[64], err[1024], *end;
	mdb_tgt_t *t;
	int c, rc = 0;
	long pid = 0;
	bool stop_each = false;

	optind = 1;
	while ((c = getopt(argc, argv, "+e:ho:p:PS")) != -1) {
		switch (c) {
		case 'e':
			cmds = optarg;
			break;
		case 'P':
			mdb_pager_asked = true;
			break;
		case 'p':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    pid <= 0 || pid > INT32_MAX) {
				mdb_warn("-p %s: not a process id", optarg);
				return (2);
			}
			break;
		case 'S':
			stop_each = true;
			break;
		case 'o':
			if (strcmp(optarg, "json") != 0) {
				mdb_warn("-o %s: the only output format is "
				    "json", optarg);
				return (2);
			}
			mdb_json_all = true;
			break;
		case 'h':
			(void) printf("usage: slabtrace mdb [-e CMDS] [-o json] [-P] "
			    "([PROGRAM] (N | DUMP) | -p PID [-S])\n");
			mdb_usage(stdout);
			return (0);
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (pid != 0 || stop_each) {
		if (pid == 0 || argc != 0)
			goto usage;
		(void) signal(SIGPIPE, SIG_IGN);
		if ((t = mdb_tgt_open_proc((pid_t)pid, stop_each, err,
		    sizeof (err))) == NULL) {
			mdb_warn("%s", err);
			return (1);
		}
		goto run;
	}
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
run:
	if (cmds != NULL) {
		char *copy = strdup(cmds);

		if (copy == NULL || run_line_paged(t, copy) != DCMD_OK)
			rc = 1;
		free(copy);
	} else {
		repl(t);
	}
	(void) fflush(stdout);
	mdb_tgt_close(t);
	return (rc);
usage:
	(void) fprintf(stderr, "usage: slabtrace mdb [-e CMDS] [-o json] [-P] "
	    "([PROGRAM] (N | DUMP) | -p PID [-S])\n");
	return (2);
}
