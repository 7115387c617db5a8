/*
 * report.c: how a report reaches the developer.  debug.c, firewall.c and
 * fault.c decide what is wrong and say it in the kernel's words through
 * st_msg(); this file decides where the words go, how stacks read, and
 * what is said at the end.
 *
 * 1. Where.  Every line of a report goes to stderr prefixed with
 *    "slabtrace[PID]: ", so that reports of several processes interleaved
 *    on one terminal stay apart and `grep 'slabtrace\['` finds all of them.
 *    UMEM_OPTIONS=logfile=PATH sends them to PATH.PID instead (PATH with %p
 *    is expanded instead; "stderr" and "stdout" name those streams), as
 *    ASan's log_path; stderr then gets one line saying where they went.
 *    The message buffer (log.c), which the dump carries, keeps the lines
 *    without the prefix, as the kernel's does.
 *
 * 2. Stacks.  A stack recorded inside the allocator starts with the
 *    allocator's own frames (kmem_cache_free_debug, st_free_internal...).
 *    A report starts it at the program's call into the allocator: the
 *    outermost frame of a run of our frames at the top of the stack is
 *    kept (free, operator delete, kmem_cache_alloc), the ones inside it
 *    are not, as ASan starts at its interceptor.  UMEM_DEBUG=verbose
 *    keeps them all.  When the library is linked into the program (the
 *    static archive) our frames cannot be told from the program's by
 *    address, and nothing is cut.
 *
 * 3. Names, files and lines.  A frame reads
 *        Registry::~Registry()+0x42  registry.cc:16
 *    with the function demangled and its inlined callees on lines of their
 *    own above it ("[inlined]").  Reading DWARF and demangling need memory,
 *    and a report may run in a signal handler or with the heap corrupt, so
 *    it is not done here: the PCs go to a helper process, `slabtrace
 *    symbolize` (libdw and the C++ demangler, on the C library's malloc),
 *    as ASan hands its PCs to llvm-symbolizer.  It is started (vfork and
 *    exec, platform.h's st_os_spawn) at a report's first stack and ended
 *    with the report (a program that goes on and wait()s for its own
 *    children must not find ours), one query line "FILE<TAB>ADDR" per frame, one
 *    answer of "FUNCTION<TAB>FILE<TAB>LINE" lines ended by an empty line.
 *    Should it be missing, slow (RP_SYMZ_WAIT_NS for one answer) or dead,
 *    the frame reads as symtab.c names it, "function+0xoff", with the
 *    module's name when there is no symbol.  It is found by
 *    SLABTRACE_SYMBOLIZER (which `slabtrace run` sets), else beside the
 *    library (the build tree) or in ../bin from it (installed).  A setuid
 *    program starts nothing; UMEM_OPTIONS=nosymbolize turns it off.
 *
 * 4. JSON.  UMEM_OPTIONS=json writes each report also as one JSON object on
 *    one line, after the text, to where the text goes; jsonfile=PATH writes
 *    them to PATH.PID instead.  The schema is in umem_debug(3): kind,
 *    error, buffer, cache, offset, bytes, the stacks with their frames
 *    (function, file, line, module), thread, time, panic, dump, and the
 *    whole text.  It is built while the text is printed, in static buffers
 *    (a report holds the report lock), and written at st_report_end().
 *
 * 5. Counting.  Each report counts its kind; st_report_summary() prints
 *    the ASan-like last line, "N errors detected (...); see vmcore.N", when
 *    the process panics and at exit when noabort let it go on.
 *
 * Nothing here allocates; everything runs under the report lock (debug.c)
 * or in the one panicking thread.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/auxv.h>

#include "slabtrace_impl.h"

#define RP_PREFIX_MAX   32              /* "slabtrace[4194304]: " */
#define RP_INLINE_MAX   4               /* inlined frames shown per pc */
#define RP_NAME_MAX     192
#define RP_SYMZ_WAIT_NS (10ULL * 1000000000)    /* one answer */
#define RP_SYMZ_TRIES   2               /* failures before giving up */
#define RP_JSON_HEAD    4096
#define RP_JSON_STACKS  (96 * 1024)
#define RP_JSON_TEXT    (32 * 1024)
#define RP_JSON_FRAME   1024            /* room a frame's record may need */
#define RP_NKINDS       ST_REPORT_NKINDS

/* ------------------------------------------------------------------------
 * 1. Where the lines go.
 */

static int rp_bol = 1;                  /* the next byte starts a line */
static int rp_logfd = -1;               /* logfile=, or -1 */
static uint32_t rp_logpid;              /* whose rp_logfd it is */
static int rp_jsonfd = -1;              /* jsonfile=, or -1 */
static uint32_t rp_jsonpid;
static char rp_logpath[ST_DUMP_STRLEN + 16];

/* PATH.PID, or PATH with %p replaced. */
static void
rp_path_expand(char *out, size_t len, const char *path, uint32_t pid)
{
	const char *pc = strstr(path, "%p");

	if (pc != NULL)
		st_snprintf(out, len, "%.*s%u%s", (int)(pc - path), path,
		    (unsigned)pid, pc + 2);
	else
		st_snprintf(out, len, "%s.%u", path, (unsigned)pid);
}

/* The fd a file option names, opened on first use in each process. */
static int
rp_file_fd(const char *opt, int *fdp, uint32_t *pidp, char *path,
    size_t pathlen)
{
	uint32_t pid = st_os_pid();

	if (strcmp(opt, "stderr") == 0)
		return (2);
	if (strcmp(opt, "stdout") == 0)
		return (1);
	if (*fdp >= 0 && *pidp == pid)
		return (*fdp);
	if (*fdp >= 0)
		st_os_close(*fdp);      /* the parent's, inherited by fork */
	rp_path_expand(path, pathlen, opt, pid);
	*fdp = st_os_open_append(path);
	*pidp = pid;
	return (*fdp);
}

static int
rp_log_fd(void)
{
	int fd, was = rp_logfd >= 0 && rp_logpid == st_os_pid();

	if (st_opts.so_logfile[0] == '\0')
		return (2);
	fd = rp_file_fd(st_opts.so_logfile, &rp_logfd, &rp_logpid,
	    rp_logpath, sizeof (rp_logpath));
	if (fd < 0) {
		st_printf(2, "slabtrace[%u]: cannot open the log file %s "
		    "(errno %d): reports go to stderr\n", (unsigned)st_os_pid(),
		    rp_logpath, st_os_errno());
		st_opts.so_logfile[0] = '\0';
		return (2);
	}
	if (!was && fd > 2)
		st_printf(2, "slabtrace[%u]: reports go to %s\n",
		    (unsigned)st_os_pid(), rp_logpath);
	return (fd);
}

static void rp_text_add(const char *buf, size_t len);

/* Lines of text, each prefixed, to the report's file descriptor. */
void
st_report_out(const char *buf, size_t len)
{
	char out[2048], prefix[RP_PREFIX_MAX];
	size_t n = 0, plen, i;
	int fd = rp_log_fd();

	rp_text_add(buf, len);
	plen = st_snprintf(prefix, sizeof (prefix), "slabtrace[%u]: ",
	    (unsigned)st_os_pid());
	for (i = 0; i < len; i++) {
		if (n + plen + 1 >= sizeof (out)) {
			st_os_write(fd, out, n);
			n = 0;
		}
		if (rp_bol) {
			memcpy(out + n, prefix, plen);
			n += plen;
			rp_bol = 0;
		}
		out[n++] = buf[i];
		if (buf[i] == '\n')
			rp_bol = 1;
	}
	st_os_write(fd, out, n);
}

/* ------------------------------------------------------------------------
 * 4 (first half). The JSON record, built as the report is printed.
 */

static int rp_open;                     /* a report is being written */
static int rp_said_time;                /* a "time=T-" was printed */
static uint64_t rp_now;                 /* when the open report began */
static char rp_head[RP_JSON_HEAD];
static size_t rp_headlen;
static char rp_stacks[RP_JSON_STACKS];
static size_t rp_stackslen;
static char rp_text[RP_JSON_TEXT];
static size_t rp_textlen;
static uint32_t rp_nstacks;

typedef struct rp_buf {
	char *rb_buf;
	size_t rb_size;
	size_t *rb_len;
} rp_buf_t;

/*
 * Append n bytes, if they fit with RP_RESERVE bytes to spare: the reserve
 * is for the closing brackets and quotes (rp_close), so that a record cut
 * short by a full buffer is still valid JSON, only shorter.
 */
#define RP_RESERVE      64

static int
rp_fits(const rp_buf_t *b, size_t n)
{
	return (*b->rb_len + n + RP_RESERVE <= b->rb_size);
}

static void
rp_put(rp_buf_t *b, const char *s, size_t n)
{
	if (!rp_fits(b, n))
		return;
	memcpy(b->rb_buf + *b->rb_len, s, n);
	*b->rb_len += n;
}

static void rp_putstr(rp_buf_t *b, const char *s, size_t len);
static void rp_putf(rp_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ,"key":"value" whole, or nothing. */
static void
rp_putkv(rp_buf_t *b, const char *key, const char *s, size_t len)
{
	if (!rp_fits(b, strlen(key) + 16))
		return;
	rp_putf(b, ",\"%s\":", key);
	rp_putstr(b, s, len);
}

/* Closing bytes: into the reserve if need be. */
static void
rp_close(rp_buf_t *b, const char *s)
{
	size_t n = strlen(s);

	if (*b->rb_len + n <= b->rb_size) {
		memcpy(b->rb_buf + *b->rb_len, s, n);
		*b->rb_len += n;
	}
}

static void
rp_putf(rp_buf_t *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = st_vsnprintf(tmp, sizeof (tmp), fmt, ap);
	va_end(ap);
	rp_put(b, tmp, ST_MIN(n, sizeof (tmp) - 1));
}

/* A JSON string: quoted, with control bytes and quotes escaped. */
static void
rp_putstr(rp_buf_t *b, const char *s, size_t len)
{
	char esc[8];
	size_t i;

	if (!rp_fits(b, 8)) {
		rp_close(b, "\"\"");
		return;
	}
	rp_put(b, "\"", 1);
	for (i = 0; i < len && s[i] != '\0' && rp_fits(b, 8); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			rp_put(b, esc, 2);
		} else if (c == '\n') {
			rp_put(b, "\\n", 2);
		} else if (c < 0x20 || c == 0x7f) {
			rp_put(b, esc, st_snprintf(esc, sizeof (esc),
			    "\\u%04x", c));
		} else {
			rp_put(b, (const char *)&s[i], 1);
		}
	}
	rp_close(b, "\"");
}

static void
rp_text_add(const char *buf, size_t len)
{
	size_t room;

	if (!rp_open)
		return;
	room = sizeof (rp_text) - rp_textlen;
	if (len > room)
		len = room;
	memcpy(rp_text + rp_textlen, buf, len);
	rp_textlen += len;
}

static const char *const rp_error_names[RP_NKINDS] = {
	[KMERR_MODIFIED] = "modified",
	[KMERR_REDZONE] = "redzone",
	[KMERR_DUPFREE] = "duplicate_free",
	[KMERR_BADADDR] = "bad_address",
	[KMERR_BADBUFTAG] = "bad_buftag",
	[KMERR_BADBUFCTL] = "bad_bufctl",
	[KMERR_BADCACHE] = "wrong_cache",
	[KMERR_BADSIZE] = "bad_size",
	[KMERR_BADBASE] = "bad_base",
	[KMERR_BADROUTINE] = "wrong_routine",
	[ST_REPORT_SIGNAL] = "fatal_signal",
	[ST_REPORT_FIREWALL] = "firewall_fault",
};

/* 5: counts by kind, for the summary. */
static uint64_t rp_count[RP_NKINDS];
static char rp_kind_text[RP_NKINDS][160];     /* the first one's words */
static uint8_t rp_order[RP_NKINDS];     /* kinds, in order of first sight */
static uint32_t rp_norder;
static char rp_dumppath[ST_DUMP_STRLEN + 32];

/*
 * A report begins: kind is its first line's words, error its KMERR_* or
 * ST_REPORT_* (-1: a panic after reports already counted and ended), ei
 * its details if it has them.
 */
void
st_report_begin(const char *kind, int error, const kmem_errinfo_t *ei)
{
	rp_buf_t h = { rp_head, sizeof (rp_head), &rp_headlen };

	if (rp_open)
		st_report_end(NULL);    /* one of several findings */
	if (error >= RP_NKINDS)
		error = ST_REPORT_SIGNAL;
	if (error >= 0) {
		__atomic_fetch_add(&rp_count[error], 1, __ATOMIC_RELAXED);
		if (rp_kind_text[error][0] == '\0') {
			st_snprintf(rp_kind_text[error],
			    sizeof (rp_kind_text[error]), "%s", kind);
			if (rp_norder < RP_NKINDS)
				rp_order[rp_norder++] = (uint8_t)error;
		}
	}
	rp_open = 1;
	rp_now = st_os_now_ns();
	rp_headlen = rp_stackslen = rp_textlen = 0;
	rp_nstacks = 0;
	rp_putf(&h, "{\"slabtrace\":1,\"pid\":%u,\"thread\":%lu,"
	    "\"time_ns\":%lu,\"kind\":", (unsigned)st_os_pid(),
	    (unsigned long)st_os_thread_id(),
	    (unsigned long)st_os_realtime_ns());
	rp_putstr(&h, kind, strlen(kind));
	if (error >= 0)
		rp_putf(&h, ",\"error\":\"%s\"", rp_error_names[error]);
	if (ei == NULL)
		return;
	if (ei->ei_routine != NULL) {
		rp_putkv(&h, "routine", ei->ei_routine, strlen(ei->ei_routine));
	}
	rp_putf(&h, ",\"address\":\"%p\"", ei->ei_buf);
	if (ei->ei_base != NULL)
		rp_putf(&h, ",\"buffer\":\"%p\"", ei->ei_base);
	if (ei->ei_cache != NULL || ei->ei_realcache != NULL) {
		const char *name = kmem_cache_name_safe(ei->ei_realcache !=
		    NULL ? ei->ei_realcache : ei->ei_cache);

		rp_putkv(&h, "cache", name, strlen(name));
	}
	switch (ei->ei_error) {
	case KMERR_MODIFIED:
	case KMERR_REDZONE:
		rp_putf(&h, ",\"offset\":%ld,\"old\":\"0x%lx\",\"new\":"
		    "\"0x%lx\"", (long)ei->ei_off, (unsigned long)ei->ei_old,
		    (unsigned long)ei->ei_new);
		if (ei->ei_error == KMERR_REDZONE && ei->ei_alloc_size !=
		    UINT64_MAX)
			rp_putf(&h, ",\"size\":%lu",
			    (unsigned long)ei->ei_alloc_size);
		break;
	case KMERR_BADSIZE:
		rp_putf(&h, ",\"free_size\":%lu,\"size\":%lu",
		    (unsigned long)ei->ei_size,
		    (unsigned long)ei->ei_alloc_size);
		break;
	default:
		break;
	}
	if (ei->ei_found != NULL) {
		rp_putkv(&h, "found", ei->ei_found, strlen(ei->ei_found));
	}
}

/* ------------------------------------------------------------------------
 * 3. The symbolizer process.
 */

typedef struct rp_loc {
	char rl_func[RP_NAME_MAX];      /* demangled, or "" */
	char rl_file[RP_NAME_MAX];      /* "" when unknown */
	uint32_t rl_line;
} rp_loc_t;

static struct {
	int sz_fd;                      /* our end, or -1 */
	uint32_t sz_pid;                /* the helper */
	uint32_t sz_owner;              /* the process that started it */
	uint32_t sz_failures;           /* helpers that died or timed out */
	int sz_said;                    /* "no symbolizer" said */
	char sz_path[ST_DUMP_STRLEN * 4];
} rp_symz = { .sz_fd = -1 };

static char rp_ans[8192];               /* one answer */
static rp_loc_t rp_locs[RP_INLINE_MAX];

/* Where `slabtrace symbolize` is: 1 if found. */
static int
rp_symz_find(void)
{
	static const char *const rel[] = { "slabtrace", "../bin/slabtrace" };
	const char *env = st_os_getenv("SLABTRACE_SYMBOLIZER"), *lib;
	uintptr_t link;
	size_t i, dlen;

	if (env != NULL && env[0] == '/' && strlen(env) <
	    sizeof (rp_symz.sz_path)) {
		(void) strcpy(rp_symz.sz_path, env);
		return (st_os_executable(rp_symz.sz_path));
	}
	if (!st_symbol_module((uintptr_t)rp_symz_find, &lib, &link) ||
	    strrchr(lib, '/') == NULL)
		return (0);
	dlen = (size_t)(strrchr(lib, '/') - lib) + 1;
	for (i = 0; i < sizeof (rel) / sizeof (rel[0]); i++) {
		if (dlen + strlen(rel[i]) + 1 > sizeof (rp_symz.sz_path))
			continue;
		memcpy(rp_symz.sz_path, lib, dlen);
		(void) strcpy(rp_symz.sz_path + dlen, rel[i]);
		if (st_os_executable(rp_symz.sz_path))
			return (1);
	}
	return (0);
}

static void
rp_symz_stop(int kill)
{
	if (rp_symz.sz_fd < 0)
		return;
	st_os_close(rp_symz.sz_fd);
	rp_symz.sz_fd = -1;
	if (rp_symz.sz_owner == st_os_pid())
		st_os_reap(rp_symz.sz_pid, kill);
}

/* A live helper of this process: 1, or 0 when there is none to be had. */
static int
rp_symz_ready(void)
{
	static char *const envp[] = { "LC_ALL=C", NULL };
	char *argv[] = { rp_symz.sz_path, "symbolize", NULL };

	if (!st_opts.so_symbolize || getauxval(AT_SECURE))
		return (0);
	if (rp_symz.sz_fd >= 0 && rp_symz.sz_owner == st_os_pid())
		return (1);
	if (rp_symz.sz_fd >= 0) {               /* a fork's inheritance */
		st_os_close(rp_symz.sz_fd);
		rp_symz.sz_fd = -1;
	}
	if (rp_symz.sz_failures >= RP_SYMZ_TRIES)
		return (0);
	if (!rp_symz_find() || st_os_spawn(rp_symz.sz_path, argv, envp,
	    &rp_symz.sz_fd, &rp_symz.sz_pid) != 0) {
		rp_symz.sz_failures = RP_SYMZ_TRIES;
		if (!rp_symz.sz_said) {
			rp_symz.sz_said = 1;
			st_msg("(no `slabtrace symbolize` to be found: stacks "
			    "without file:line; set SLABTRACE_SYMBOLIZER)\n");
		}
		return (0);
	}
	rp_symz.sz_owner = st_os_pid();
	return (1);
}

/* Copy field [s, e) of an answer line into dst. */
static void
rp_field(char *dst, size_t size, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	if (strcmp(dst, "??") == 0)
		dst[0] = '\0';
}

/* Parse one answer into rp_locs: the count of frames. */
static uint32_t
rp_symz_parse(const char *a, size_t len)
{
	const char *end = a + len, *nl, *t1, *t2;
	uint32_t n = 0;

	while (a < end && *a != '\n' && n < RP_INLINE_MAX) {
		const char *line;

		if ((nl = memchr(a, '\n', (size_t)(end - a))) == NULL)
			break;
		t1 = memchr(a, '\t', (size_t)(nl - a));
		t2 = t1 != NULL ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) :
		    NULL;
		if (t2 == NULL)
			break;
		rp_field(rp_locs[n].rl_func, RP_NAME_MAX, a, t1);
		rp_field(rp_locs[n].rl_file, RP_NAME_MAX, t1 + 1, t2);
		line = t2 + 1;
		rp_locs[n].rl_line = (uint32_t)st_scan_dec(&line);
		if (rp_locs[n].rl_func[0] != '\0' ||
		    rp_locs[n].rl_file[0] != '\0')
			n++;
		a = nl + 1;
	}
	return (n);
}

/* Ask about addr in path: the frames found (0: none, or no helper). */
static uint32_t
rp_symz_ask(const char *path, uintptr_t addr)
{
	char q[ST_DUMP_STRLEN * 4 + 32];
	size_t qn, have = 0;
	long r;

	if (!rp_symz_ready())
		return (0);
	qn = st_snprintf(q, sizeof (q), "%s\t%lx\n", path,
	    (unsigned long)addr);
	if (qn >= sizeof (q) || memchr(path, '\n', strlen(path)) != NULL)
		return (0);
	if (st_os_send(rp_symz.sz_fd, q, qn) != 0)
		goto dead;
	for (;;) {
		if (have == sizeof (rp_ans))    /* too long: keep the head */
			have = sizeof (rp_ans) / 2;
		r = st_os_recv_wait(rp_symz.sz_fd, rp_ans + have,
		    sizeof (rp_ans) - have, RP_SYMZ_WAIT_NS);
		if (r <= 0)
			goto dead;
		have += (size_t)r;
		if ((have >= 2 && rp_ans[have - 1] == '\n' &&
		    rp_ans[have - 2] == '\n') || (have == 1 && rp_ans[0] ==
		    '\n'))
			return (rp_symz_parse(rp_ans, have));
	}
dead:
	rp_symz.sz_failures++;
	rp_symz_stop(1);
	return (0);
}

/* ------------------------------------------------------------------------
 * 2. Stacks.
 */

/* Is pc in the library's own text (and the library a module apart)? */
static int
rp_pc_ours(uintptr_t pc)
{
	static int linked_in = -1;

	if (linked_in < 0)
		linked_in = kmem_pc_is_ours((uintptr_t)getauxval(AT_PHDR));
	return (!linked_in && kmem_pc_is_ours(pc));
}

/*
 * The allocator's entry point the program called (free, operator delete):
 * the outermost of the run of our frames at the top; 0 if there is none.
 */
uint32_t
st_report_entry_frame(const uintptr_t *pcs, uint32_t n)
{
	uint32_t i;

	if (n == 0 || !rp_pc_ours(pcs[0]))
		return (0);
	for (i = 0; i + 1 < n && rp_pc_ours(pcs[i + 1]); i++)
		continue;
	return (i + 1 < n ? i : 0);     /* all ours: a thread of ours */
}

/* The first frame to show: the entry point, unless verbose. */
uint32_t
st_report_first_frame(const uintptr_t *pcs, uint32_t n)
{
	return (st_opts.so_verbose ? 0 : st_report_entry_frame(pcs, n));
}

/* A C++ name to demangle: symtab's mangled ones only. */
static int
rp_mangled(const char *name)
{
	return (name != NULL && name[0] == '_' && name[1] == 'Z');
}

/*
 * "function+0xoff" for a faulting pc (the panic line's pc=), demangled as
 * a stack's frames are: symtab's C++ names are mangled, and the
 * symbolizer names the function the pc is in.
 */
size_t
st_report_symbolize(uintptr_t pc, char *buf, size_t len)
{
	const char *name = NULL, *module = NULL, *path;
	uintptr_t off = 0, link;
	uint32_t nloc;

	if (st_symbol_lookup(pc, &name, &off, &module) && rp_mangled(name) &&
	    st_symbol_module(pc, &path, &link) &&
	    (nloc = rp_symz_ask(path, link)) > 0 &&
	    rp_locs[nloc - 1].rl_func[0] != '\0')
		return (st_snprintf(buf, len, "%s+0x%lx",
		    rp_locs[nloc - 1].rl_func, (unsigned long)off));
	return (st_symbolize(pc, buf, len));
}

static void
rp_json_frame(rp_buf_t *b, uintptr_t pc, const char *func, uintptr_t off,
    const char *file, uint32_t line, const char *module, int inlined,
    int first)
{
	rp_putf(b, "%s{\"pc\":\"%p\"", first ? "" : ",", (void *)pc);
	if (func != NULL) {
		rp_putkv(b, "function", func, strlen(func));
		if (!inlined)
			rp_putf(b, ",\"offset\":\"0x%lx\"", (unsigned long)off);
	}
	if (file != NULL && file[0] != '\0') {
		rp_putkv(b, "file", file, strlen(file));
		rp_putf(b, ",\"line\":%u", line);
	}
	if (module != NULL) {
		rp_putkv(b, "module", module, strlen(module));
	}
	if (inlined)
		rp_put(b, ",\"inlined\":true", 15);
	rp_close(b, "}");
}

/*
 * Print a stack: title (NULL: none) describes it for the JSON record,
 * thread and when (0: unknown) too.  ST_STACK_EXACT: pcs[0] is a faulting
 * pc, not a return address.
 */
void
st_report_stack(const char *title, uint64_t thread, uint64_t when,
    const uintptr_t *pcs, uint32_t n, uint32_t flags, const char *indent)
{
	rp_buf_t b = { rp_stacks, sizeof (rp_stacks), &rp_stackslen };
	uint32_t i, first = st_report_first_frame(pcs, n), nloc, k;
	int nframes = 0, ours;
	/* JSON only for a stack that fits its header; frames while room. */
	int json = rp_open && rp_fits(&b, RP_JSON_FRAME);

	if (when != 0)
		rp_said_time = 1;
	if (json) {
		rp_putf(&b, "%s{\"title\":", rp_nstacks++ ? "," : "");
		rp_putstr(&b, title != NULL ? title : "stack",
		    title != NULL ? strlen(title) : 5);
		if (thread != 0)
			rp_putf(&b, ",\"thread\":%lu", (unsigned long)thread);
		if (when != 0) {
			uint64_t now = st_report_now();

			rp_putf(&b, ",\"ago_ns\":%lu", (unsigned long)(now >
			    when ? now - when : 0));
		}
		rp_put(&b, ",\"frames\":[", 11);
	}
	for (i = first; i < n; i++) {
		const char *name = NULL, *module = NULL, *path;
		uintptr_t off = 0, q = pcs[i], link;
		char sym[RP_NAME_MAX + 32], loc[RP_NAME_MAX + 32];

		if (i > 0 || !(flags & ST_STACK_EXACT))
			q--;            /* the call, not what follows it */
		(void) st_symbol_lookup(pcs[i], &name, &off, &module);
		nloc = 0;
		if (st_symbol_module(q, &path, &link))
			nloc = rp_symz_ask(path, link);
		/*
		 * Inlined frames first, innermost first: all but the last.
		 * Not for our own frame (the program's call into us): its
		 * name is what the program called, its lines are ours.
		 */
		ours = rp_pc_ours(pcs[i]);
		for (k = 0; !ours && !(flags & ST_STACK_ONELINE) &&
		    k + 1 < nloc; k++) {
			st_msg("%s[inlined] %s  %s:%u\n", indent,
			    rp_locs[k].rl_func[0] != '\0' ? rp_locs[k].rl_func :
			    "??", rp_locs[k].rl_file[0] != '\0' ?
			    rp_locs[k].rl_file : "??",
			    rp_locs[k].rl_line);
			if (json && rp_fits(&b, RP_JSON_FRAME))
				rp_json_frame(&b, pcs[i], rp_locs[k].rl_func,
				    0, rp_locs[k].rl_file, rp_locs[k].rl_line,
				    NULL, 1, nframes++ == 0);
		}
		/* The function itself: its symbol, demangled if C++. */
		if (name != NULL && rp_mangled(name) && nloc > 0 &&
		    rp_locs[nloc - 1].rl_func[0] != '\0')
			name = rp_locs[nloc - 1].rl_func;
		if (name != NULL && off != 0)
			st_snprintf(sym, sizeof (sym), "%s+0x%lx", name,
			    (unsigned long)off);
		else if (name != NULL)
			st_snprintf(sym, sizeof (sym), "%s", name);
		else
			(void) st_symbolize(pcs[i], sym, sizeof (sym));
		if (ours && module != NULL)
			st_snprintf(loc, sizeof (loc), "  (%s)", module);
		else if (nloc > 0 && rp_locs[nloc - 1].rl_file[0] != '\0')
			st_snprintf(loc, sizeof (loc), "  %s:%u",
			    rp_locs[nloc - 1].rl_file,
			    rp_locs[nloc - 1].rl_line);
		else if (name != NULL && module != NULL)
			st_snprintf(loc, sizeof (loc), "  (%s)", module);
		else
			loc[0] = '\0';
		st_msg("%s%s%s\n", indent, sym, loc);
		if (json && rp_fits(&b, RP_JSON_FRAME))
			rp_json_frame(&b, pcs[i], name != NULL ? name : sym,
			    off, nloc > 0 && !ours ? rp_locs[nloc - 1].rl_file :
			    NULL, nloc > 0 ? rp_locs[nloc - 1].rl_line : 0,
			    module, 0, nframes++ == 0);
	}
	if (json)
		rp_close(&b, "]}");
	if (!rp_open)
		rp_symz_stop(1);        /* (a stack outside a report) */
}

/* A source file of the system's (a library's header), not the program's. */
static int
rp_system_file(const char *file)
{
	return (strncmp(file, "/usr/", 5) == 0 || strncmp(file, "../", 3) == 0 ||
	    strncmp(file, "./", 2) == 0);
}

/*
 * One line, "at main+0x64  prog.c:13": where the program made the call or
 * the access being reported.  From pcs[0] (ST_STACK_EXACT: a faulting pc)
 * up, the first frame whose source is the program's own, not a system
 * header's (a std::vector's deallocate inlined into the program is said
 * by the stack that follows); the first frame if none is.
 */
void
st_report_where(const uintptr_t *pcs, uint32_t n, uint32_t flags)
{
	uint32_t i, k, pick = 0, nloc;
	uintptr_t link;
	const char *path;

	if (n == 0)
		return;
	for (i = 0; i < n && i < 8; i++) {
		uintptr_t q = pcs[i] - (i > 0 || !(flags & ST_STACK_EXACT));

		if (!st_symbol_module(q, &path, &link) ||
		    (nloc = rp_symz_ask(path, link)) == 0)
			continue;
		for (k = 0; k < nloc; k++) {
			if (rp_locs[k].rl_file[0] != '\0' &&
			    !rp_system_file(rp_locs[k].rl_file))
				break;
		}
		if (k < nloc) {
			pick = i;
			break;
		}
	}
	st_report_stack("at", st_os_thread_id(), 0, &pcs[pick], 1,
	    (pick == 0 ? flags : 0) | ST_STACK_ONELINE, "at ");
}

/* ------------------------------------------------------------------------
 * 4 (second half) and 5: the end of a report, and of the process.
 */

/*
 * "Now" for a report's times (T-): when it began, so that the time the
 * symbolizer takes to start does not age the transactions printed later.
 */
uint64_t
st_report_now(void)
{
	return (rp_open ? rp_now : st_os_now_ns());
}

/* A panic with no report open (a signal, or after verify's reports). */
void
st_report_panic_begin(const char *msg, int signo)
{
	if (!rp_open)
		st_report_begin(msg, signo != 0 ? ST_REPORT_SIGNAL : -1, NULL);
}

void
st_report_dump(const char *path)
{
	st_snprintf(rp_dumppath, sizeof (rp_dumppath), "%s", path);
}

void
st_report_end(const char *panic)
{
	static char tail[RP_JSON_TEXT * 2 + 1024];
	char path[ST_DUMP_STRLEN + 16];
	size_t taillen = 0;
	rp_buf_t tl = { tail, sizeof (tail), &taillen };
	int fd;

	if (!rp_open)
		return;
	rp_open = 0;
	/*
	 * The helper is our child: a program that goes on (noabort) and
	 * waits for its own children with wait() would wait for it too, for
	 * ever.  So it lives for one report only.
	 */
	rp_symz_stop(1);
	if (!st_opts.so_json && st_opts.so_jsonfile[0] == '\0')
		return;
	if (st_opts.so_jsonfile[0] != '\0')
		fd = rp_file_fd(st_opts.so_jsonfile, &rp_jsonfd, &rp_jsonpid,
		    path, sizeof (path));
	else
		fd = rp_log_fd();
	if (fd < 0)
		return;
	rp_close(&tl, "]");
	if (panic != NULL) {
		rp_putkv(&tl, "panic", panic, strlen(panic));
	}
	if (rp_dumppath[0] != '\0') {
		rp_putkv(&tl, "dump", rp_dumppath, strlen(rp_dumppath));
	}
	rp_putkv(&tl, "text", rp_text, rp_textlen);
	rp_close(&tl, "}\n");
	st_os_write(fd, rp_head, rp_headlen);
	st_os_write(fd, ",\"stacks\":[", 11);
	st_os_write(fd, rp_stacks, rp_stackslen);
	st_os_write(fd, tail, taillen);
}

/*
 * Once per process, before the first panic line or at the end of the
 * first report that goes on, if it showed a transaction's time: what T-
 * and panic[cpuN] mean.
 */
void
st_report_legend(void)
{
	static int said;

	if (!rp_said_time || said++)
		return;
	st_msg("(time=T-S: S seconds before this report; "
	    "panic[cpuC]/thread=T: the CPU and the thread that found it)\n");
}

/* A fork child: its own errors, its own log file and helper. */
void
st_report_fork_child(void)
{
	memset(rp_count, 0, sizeof (rp_count));
	memset(rp_kind_text, 0, sizeof (rp_kind_text));
	rp_norder = 0;
	rp_dumppath[0] = '\0';
	rp_open = 0;
	rp_bol = 1;
	rp_symz.sz_failures = 0;
}

/* "N errors detected (...); see vmcore.N": 0 if there were none. */
int
st_report_summary(void)
{
	char line[1024];
	size_t n;
	uint64_t total = 0;
	int i, kinds = 0;

	for (i = 0; i < RP_NKINDS; i++)
		total += rp_count[i];
	if (total == 0)
		return (0);
	n = st_snprintf(line, sizeof (line), "%lu error%s detected (",
	    (unsigned long)total, total == 1 ? "" : "s");
	for (i = 0; i < (int)rp_norder && n < sizeof (line); i++) {
		int k = rp_order[i];

		n += st_snprintf(line + n, sizeof (line) - n, "%s%lu %s",
		    kinds++ ? ", " : "", (unsigned long)rp_count[k],
		    rp_kind_text[k]);
	}
	if (n < sizeof (line))
		n += st_snprintf(line + n, sizeof (line) - n, ")%s%s\n",
		    rp_dumppath[0] != '\0' ? "; see " : "", rp_dumppath);
	st_msg("%s", line);
	return (1);
}
