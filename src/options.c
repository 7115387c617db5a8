/*
 * options.c: what the environment asks of the allocator, read once at
 * start-up into st_opts (libumem's envvar.c, as a table).
 *
 * 1. Sources.
 *    KMEM_FLAGS    the kernel's kmem_flags word, hex (0x1f) or decimal;
 *                  bits as in slabtrace_impl.h (KMF_*).
 *    UMEM_DEBUG    libumem's words: default, audit[=frames],
 *                  contents[=bytes], guards, verbose, firewall[=minbytes],
 *                  lite, maxverify=bytes, noabort, nosignal, sample[=N]
 *                  (section 8).
 *    UMEM_LOGGING  transaction[=size], contents[=size], fail[=size],
 *                  slab[=size]; sizes take K, M and G suffixes.
 *    UMEM_OPTIONS  dumpdir=DIR, dump=all|heap|off, signals, nosignals,
 *                  stats (the ::kmastat table on stderr at exit),
 *                  mprotect (the firewall changes page protections even
 *                  where the kernel has guard regions: firewall.c, 4.),
 *                  fwalign=N (malloc's firewall buffers N-aligned, so
 *                  that they end at their guard page: firewall.c, 2.),
 *                  fwbelow (the guard page before each firewall
 *                  buffer, which starts its pages: firewall.c, 2.),
 *                  sweep=ms (verify freed buffers this often; 0: never),
 *                  verify / noverify (the whole heap at exit, or not),
 *                  logfile=PATH, json, jsonfile=PATH, symbolize /
 *                  nosymbolize (where reports go and how: report.c),
 *                  leakcheck[=report], exitcode=N, leaksuppress=FILE,
 *                  leaksignal=SIG (leaks at exit and on demand:
 *                  leakcheck.c; leakcheck alone brings LITE, section 3),
 *                  and libumem's backend= and perthread_cache= (accepted;
 *                  this allocator has one backend and sizes its own
 *                  thread caches).
 *    SLABTRACE_STATS=1  the same as UMEM_OPTIONS=stats.
 *    SLABTRACE_RUN set by `slabtrace run`: dump on fatal signals.
 *    Words are separated by commas (libumem also allows spaces).
 *
 * 2. The table.  Each row is a variable, a word, how its value is parsed,
 *    and what it sets; presets (default, guards) are rows that set several
 *    flags.  A mistake is an error, as in ASan and Valgrind, because a
 *    mistake that is only warned about switches checking off in silence:
 *    a word that no row knows, a value that does not parse or is out of
 *    range, a KMEM_FLAGS that is not a number or has a bit we do not know.
 *    The first one found is the only one reported, in one line naming the
 *    variable, the text (escaped) and the valid words, and the program is
 *    not started: exit status 1 (`slabtrace run` checks the same way with
 *    st_options_parse, and exits 2).  An empty variable is no mistake.
 *
 * 3. The kernel's adjustments, applied here for the global flags and again
 *    per cache (debug.c): DEADBEEF and AUDIT imply REDZONE, CONTENTS
 *    brings AUDIT (as UMEM_DEBUG=contents does), LITE excludes AUDIT,
 *    CONTENTS and FIREWALL; leakcheck without any of the debugging flags
 *    brings LITE (its callers name the leaks).  The implications are
 *    silent; what LITE drops,
 *    if it was asked for, is said in one line (a notice), and the program
 *    runs.  0x10 (KMF_STICKY) meant, in the kernel, "these flags override
 *    /etc/system"; the environment is our only source, so it is accepted
 *    and changes nothing.
 *
 * 4. maxverify.  How much of a freed buffer is patterned and verified:
 *    all of it, as libumem does, whichever variable turned debugging on.
 *    The 64-bit kernel's kmem_maxverify is half a page (2048 bytes), and
 *    KMEM_FLAGS once took it, but then a write at offset 2992 of a freed
 *    3000-byte struct went unseen; verifying it all costs 0xf about a
 *    fifth more CPU, most of it on buffers of megabytes (BENCHMARKS.md).
 *    maxverify= sets less.
 *
 * 5. Security.  Every variable is read with secure_getenv (st_os_getenv),
 *    so a setuid or setgid program ignores them all.
 *
 * 6. Notices, once per process tree.  Start-up notices (what LITE dropped;
 *    a hint to run python with PYTHONMALLOC=malloc, whose pymalloc would
 *    keep most of its objects from us) would be repeated by every process
 *    a build or a test script starts.  So after printing one, the library
 *    appends SLABTRACE_NOTED=1 to the environment, and a process that
 *    finds it set stays quiet.  setenv would malloc, so environ is copied
 *    into an array of our own (st_os_map) with the entry added; glibc's
 *    setenv and putenv accept an environ they did not allocate.
 *    `slabtrace run` prints the notice itself and sets the variable.
 *
 * 7. Two callers.  st_options_parse() fills an st_options_t from any
 *    getenv and returns the error or the notice as text: it never prints
 *    and never exits, so the CLI (src/cmd/slabtrace.c, which links this
 *    file over src/cmd/shim.c), the fuzz harness and the unit test can
 *    call it.  st_options_init(), from the library's start-up
 *    (kmem_debug_init), parses into st_opts, prints, and exits on an
 *    error.
 *
 * 8. Sampling.  UMEM_DEBUG=firewall,sample[=N] (or sample alone) is the
 *    sampled firewall for production (firewall.c, section 9): one malloc
 *    in N (default ST_SAMPLE_DEFAULT; sample=1: every one, for tests) gets
 *    a guarded slot, and nothing else is debugged ("firewall" without a
 *    value means every size, sampled or not).  KMF_FIREWALL is dropped
 *    (kmem_debugging stays off, the fast paths stay), and signals are
 *    caught, since its reports are faults.  With other debugging on, the
 *    debug paths take every allocation and sampling does nothing.
 *
 * Parsing runs before the allocator exists: nothing here allocates.
 */
#include <stdarg.h>
#include <string.h>

#include "slabtrace_impl.h"

extern char **environ;

/*
 * Defaults (bytes) for a log named without a size, and when implied.  The
 * transaction log's 4 MiB hold 52,000 records of 80 bytes (their stacks
 * are in the depot): more history than the 8 MiB of 192-byte records with
 * inline stacks held before.
 */
#define ST_LOG_TRANSACTION_DEFAULT      (4UL << 20)
#define ST_LOG_CONTENTS_DEFAULT         (8UL << 20)
#define ST_LOG_FAIL_DEFAULT             (64UL << 10)
#define ST_LOG_SLAB_DEFAULT             (64UL << 10)
#define ST_CONTENTS_DEFAULT             256
#define ST_MAXVERIFY_DEFAULT            UINT64_MAX      /* libumem's */
#define ST_CONTENTS_MAX                 (1UL << 20)     /* per record */
#define ST_LOG_MAX                      (64UL << 30)    /* per log */
#define ST_SAMPLE_DEFAULT               5000    /* sample: one in N (8.) */

#define ST_OPT_DEFAULTS {					\
	.so_stack_depth = KMEM_STACK_DEPTH,			\
	.so_contents = ST_CONTENTS_DEFAULT,			\
	.so_maxverify = ST_MAXVERIFY_DEFAULT,			\
	.so_firewall = UINT64_MAX,				\
	.so_dump = 1,						\
	.so_dump_content = ST_DUMP_ALL,				\
	.so_verify_exit = 1,					\
	.so_sweep_ms = 500,					\
	.so_symbolize = 1,					\
	.so_leak_exitcode = 23,					\
}

st_options_t st_opts = ST_OPT_DEFAULTS;
static const st_options_t st_opt_defaults = ST_OPT_DEFAULTS;

/* One parse: where it goes, and what it has seen. */
typedef struct st_opt_parse {
	st_options_t *sp_opts;          /* filled in */
	st_getenv_t *sp_getenv;
	char *sp_msg;                   /* the error or the notice */
	size_t sp_msglen;
	int sp_error;                   /* an error is in sp_msg: stop */
	int sp_nosignals;               /* "nosignals" given: it wins */
	int sp_dump_given;              /* "dump=" given: it wins */
	uint32_t sp_kmem_flags;         /* KMF_* KMEM_FLAGS asked for */
	uint32_t sp_debug_flags;        /* KMF_* UMEM_DEBUG asked for */
} st_opt_parse_t;

typedef enum st_opt_type {
	OT_FLAGS,       /* set so_kmem_flags bits (value: optional frames/bytes) */
	OT_SIZE,        /* a byte count with K/M/G, required */
	OT_LOG,         /* a log size, optional */
	OT_BOOL,        /* set a uint32_t to 1 */
	OT_CLEAR,       /* set a uint32_t to 0 */
	OT_STRING,      /* copy into a char array */
	OT_DUMP,        /* all | heap | off */
	OT_LEAK,        /* leakcheck[=report] */
	OT_SIGNAL,      /* a signal: USR1, SIGUSR2, 12 */
	OT_IGNORED      /* accepted for libumem compatibility */
} st_opt_type_t;

typedef struct st_opt {
	const char *op_env;             /* variable */
	const char *op_word;            /* word */
	st_opt_type_t op_type;
	uint32_t op_flags;              /* OT_FLAGS: KMF_* to set */
	size_t op_offset;               /* field of st_options_t */
	uint64_t op_default;            /* value when the word has none */
	const char *op_help;            /* shown in the valid-word list */
	uint64_t op_max;                /* largest value taken (0: any) */
} st_opt_t;

#define OFF(f)  offsetof(st_options_t, f)
#define NONE    ((size_t)-1)

static const st_opt_t st_opt_table[] = {
	{ "UMEM_DEBUG", "default", OT_FLAGS,
	    KMF_AUDIT | KMF_CONTENTS | KMF_DEADBEEF | KMF_REDZONE, NONE, 0,
	    "default", 0 },
	{ "UMEM_DEBUG", "audit", OT_FLAGS, KMF_AUDIT, OFF(so_stack_depth),
	    KMEM_STACK_DEPTH, "audit[=frames]", KMEM_STACK_MAX },
	{ "UMEM_DEBUG", "contents", OT_FLAGS, KMF_CONTENTS | KMF_AUDIT,
	    OFF(so_contents), ST_CONTENTS_DEFAULT, "contents[=bytes]",
	    ST_CONTENTS_MAX },
	{ "UMEM_DEBUG", "guards", OT_FLAGS, KMF_DEADBEEF | KMF_REDZONE,
	    NONE, 0, "guards", 0 },
	{ "UMEM_DEBUG", "verbose", OT_BOOL, 0, OFF(so_verbose), 1,
	    "verbose", 0 },
	{ "UMEM_DEBUG", "firewall", OT_SIZE, KMF_FIREWALL, OFF(so_firewall),
	    0, "firewall[=minbytes]", 0 },
	{ "UMEM_DEBUG", "sample", OT_LOG, 0, OFF(so_sample), ST_SAMPLE_DEFAULT,
	    "sample[=N]", 1UL << 32 },
	{ "UMEM_DEBUG", "lite", OT_FLAGS, KMF_LITE, NONE, 0, "lite", 0 },
	{ "UMEM_DEBUG", "maxverify", OT_SIZE, 0, OFF(so_maxverify), 0,
	    "maxverify=bytes", 0 },
	{ "UMEM_DEBUG", "noabort", OT_BOOL, 0, OFF(so_noabort), 1,
	    "noabort", 0 },
	{ "UMEM_DEBUG", "nosignal", OT_BOOL, 0, OFF(so_noabort), 1,
	    "nosignal", 0 },
	{ "UMEM_LOGGING", "transaction", OT_LOG, 0,
	    OFF(so_log_transaction), ST_LOG_TRANSACTION_DEFAULT,
	    "transaction[=size]", ST_LOG_MAX },
	{ "UMEM_LOGGING", "contents", OT_LOG, 0, OFF(so_log_contents),
	    ST_LOG_CONTENTS_DEFAULT, "contents[=size]", ST_LOG_MAX },
	{ "UMEM_LOGGING", "fail", OT_LOG, 0, OFF(so_log_fail),
	    ST_LOG_FAIL_DEFAULT, "fail[=size]", ST_LOG_MAX },
	{ "UMEM_LOGGING", "slab", OT_LOG, 0, OFF(so_log_slab),
	    ST_LOG_SLAB_DEFAULT, "slab[=size]", ST_LOG_MAX },
	{ "UMEM_OPTIONS", "dumpdir", OT_STRING, 0, OFF(so_dumpdir), 0,
	    "dumpdir=DIR", 0 },
	{ "UMEM_OPTIONS", "dump", OT_DUMP, 0, NONE, 0,
	    "dump=all|heap|off", 0 },
	{ "UMEM_OPTIONS", "signals", OT_BOOL, 0, OFF(so_catch_signals), 1,
	    "signals", 0 },
	{ "UMEM_OPTIONS", "nosignals", OT_CLEAR, 0, OFF(so_catch_signals), 0,
	    "nosignals", 0 },
	{ "UMEM_OPTIONS", "stats", OT_BOOL, 0, OFF(so_stats), 1, "stats", 0 },
	{ "UMEM_OPTIONS", "mprotect", OT_BOOL, 0, OFF(so_fw_mprotect), 1,
	    "mprotect", 0 },
	{ "UMEM_OPTIONS", "fwalign", OT_SIZE, 0, OFF(so_fw_align), 0,
	    "fwalign=1|2|4|8|16", 16 },
	{ "UMEM_OPTIONS", "fwbelow", OT_BOOL, 0, OFF(so_fw_below), 1,
	    "fwbelow", 0 },
	{ "UMEM_OPTIONS", "sweep", OT_SIZE, 0, OFF(so_sweep_ms), 0,
	    "sweep=ms", 3600000 },
	{ "UMEM_OPTIONS", "verify", OT_BOOL, 0, OFF(so_verify_exit), 1,
	    "verify", 0 },
	{ "UMEM_OPTIONS", "noverify", OT_CLEAR, 0, OFF(so_verify_exit), 0,
	    "noverify", 0 },
	{ "UMEM_OPTIONS", "logfile", OT_STRING, 0, OFF(so_logfile), 0,
	    "logfile=PATH", 0 },
	{ "UMEM_OPTIONS", "json", OT_BOOL, 0, OFF(so_json), 1, "json", 0 },
	{ "UMEM_OPTIONS", "jsonfile", OT_STRING, 0, OFF(so_jsonfile), 0,
	    "jsonfile=PATH", 0 },
	{ "UMEM_OPTIONS", "symbolize", OT_BOOL, 0, OFF(so_symbolize), 1,
	    "symbolize", 0 },
	{ "UMEM_OPTIONS", "nosymbolize", OT_CLEAR, 0, OFF(so_symbolize), 0,
	    "nosymbolize", 0 },
	{ "UMEM_OPTIONS", "leakcheck", OT_LEAK, 0, OFF(so_leakcheck), 1,
	    "leakcheck[=report]", 0 },
	{ "UMEM_OPTIONS", "exitcode", OT_SIZE, 0, OFF(so_leak_exitcode), 0,
	    "exitcode=N", 255 },
	{ "UMEM_OPTIONS", "leaksuppress", OT_STRING, 0, OFF(so_leaksuppress),
	    0, "leaksuppress=FILE", 0 },
	{ "UMEM_OPTIONS", "leaksignal", OT_SIGNAL, 0, OFF(so_leaksignal), 0,
	    "leaksignal=SIG", 0 },
	{ "SLABTRACE_STATS", "1", OT_BOOL, 0, OFF(so_stats), 1, "1", 0 },
	{ "SLABTRACE_STATS", "0", OT_CLEAR, 0, OFF(so_stats), 0, "0", 0 },
	{ "UMEM_OPTIONS", "backend", OT_IGNORED, 0, NONE, 0,
	    "backend=mmap", 0 },
	{ "UMEM_OPTIONS", "perthread_cache", OT_IGNORED, 0, NONE, 0,
	    "perthread_cache=size", 0 },
};
#define ST_NOPTS        (sizeof (st_opt_table) / sizeof (st_opt_table[0]))

/* The KMEM_FLAGS bits we know, for the message about the others. */
#define KMF_KNOWN       (KMF_AUDIT | KMF_DEADBEEF | KMF_REDZONE | \
    KMF_CONTENTS | KMF_STICKY | KMF_NOMAGAZINE | KMF_FIREWALL | KMF_LITE)
#define ST_KMF_VALID    "valid bits: AUDIT 0x1, DEADBEEF 0x2, REDZONE 0x4, " \
	"CONTENTS 0x8, STICKY 0x10, NOMAGAZINE 0x20, FIREWALL 0x40, LITE 0x100"
/* What LITE drops (the kernel's rule). */
#define KMF_NOT_LITE    (KMF_AUDIT | KMF_CONTENTS | KMF_FIREWALL)

/* ------------------------------------------------------------------------
 * Parsing helpers (no libc that could allocate).
 */

/* Parse a number (0x hex, or decimal) with an optional K/M/G suffix. */
static int
st_parse_size(const char *s, size_t len, int suffixes, uint64_t *valp)
{
	uint64_t v = 0, base = 10, digit;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return (-1);
	for (; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			digit = (uint64_t)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			digit = (uint64_t)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			digit = (uint64_t)(c - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - digit) / base)
			return (-1);
		v = v * base + digit;
	}
	if (i < len && suffixes && i + 1 == len) {
		unsigned shift;

		switch (s[i] | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default: return (-1);
		}
		if (v > (UINT64_MAX >> shift))
			return (-1);
		v <<= shift;
		i++;
	}
	if (i != len)
		return (-1);
	*valp = v;
	return (0);
}

static int
st_word_eq(const char *a, size_t alen, const char *b)
{
	return (strlen(b) == alen && memcmp(a, b, alen) == 0);
}

/*
 * The user's text, quoted safely: control and non-ASCII bytes as \xNN,
 * at most ST_OPT_ECHO_MAX bytes of it, then "...".
 */
#define ST_OPT_ECHO_MAX 64

static size_t
st_opt_echo(char *buf, size_t size, const char *word, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len && i < ST_OPT_ECHO_MAX && n + 8 < size; i++) {
		unsigned char c = (unsigned char)word[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			buf[n++] = (char)c;
		else
			n += st_snprintf(buf + n, size - n, "\\x%02x", c);
	}
	if (i < len && n + 4 < size)
		n += st_snprintf(buf + n, size - n, "...");
	buf[n] = '\0';
	return (n);
}

/*
 * A line into sp_msg: "slabtrace: ", fmt, then tail and a newline; cut to
 * fit, but the tail always shows.
 */
static void
st_opt_vline(st_opt_parse_t *sp, const char *tail, const char *fmt,
    va_list ap)
{
	size_t tlen = strlen(tail), room, n;

	if (sp->sp_msglen < tlen + 32)
		return;
	room = sp->sp_msglen - tlen - 1;        /* room for tail and '\n' */
	n = st_snprintf(sp->sp_msg, room, "slabtrace: ");
	n += st_vsnprintf(sp->sp_msg + n, room - n, fmt, ap);
	if (n > room - 1)
		n = room - 1;
	st_snprintf(sp->sp_msg + n, sp->sp_msglen - n, "%s\n", tail);
}

static void st_opt_error(st_opt_parse_t *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void st_opt_notice(st_opt_parse_t *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The error (only the first one counts): the program will not start. */
static void
st_opt_error(st_opt_parse_t *sp, const char *fmt, ...)
{
	va_list ap;

	if (sp->sp_error)
		return;
	sp->sp_error = 1;
	va_start(ap, fmt);
	st_opt_vline(sp, "; not starting the program", fmt, ap);
	va_end(ap);
}

/* The notice: the program will run. */
static void
st_opt_notice(st_opt_parse_t *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_opt_vline(sp, "", fmt, ap);
	va_end(ap);
}

/* "slabtrace: VAR: what 'word'; valid: ...; not starting the program" */
static void
st_opt_complain(st_opt_parse_t *sp, const char *env, const char *what,
    const char *word, size_t len)
{
	char valid[512], echo[4 * ST_OPT_ECHO_MAX + 8];
	size_t n = 0, i;

	valid[0] = '\0';
	for (i = 0; i < ST_NOPTS && n < sizeof (valid); i++) {
		if (strcmp(st_opt_table[i].op_env, env) == 0)
			n += st_snprintf(valid + n, sizeof (valid) - n, " %s",
			    st_opt_table[i].op_help);
	}
	(void) st_opt_echo(echo, sizeof (echo), word, len);
	st_opt_error(sp, "%s: %s '%s'; valid:%s", env, what, echo, valid);
}

/* ------------------------------------------------------------------------
 * Applying one word.
 */

/* A signal's number from "USR2", "SIGUSR2" or "12"; 0 if none. */
static uint32_t
st_opt_signal(const char *val, size_t vlen)
{
	static const struct {
		const char *name;
		uint32_t sig;
	} sigs[] = {
		{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "USR1", 10 },
		{ "USR2", 12 }, { "ALRM", 14 }, { "TERM", 15 }, { "WINCH", 28 },
	};
	uint64_t v;
	size_t i;

	if (vlen > 3 && memcmp(val, "SIG", 3) == 0) {
		val += 3;
		vlen -= 3;
	}
	for (i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
		if (st_word_eq(val, vlen, sigs[i].name))
			return (sigs[i].sig);
	if (st_parse_size(val, vlen, 0, &v) != 0 || v == 0 || v > 64 ||
	    v == 9 || v == 19)          /* SIGKILL, SIGSTOP */
		return (0);
	return ((uint32_t)v);
}

/* leakcheck[=report] and leaksignal=SIG. */
static void
st_opt_apply_word(st_opt_parse_t *sp, const st_opt_t *op, const char *val,
    size_t vlen, int hasval)
{
	uint32_t *field = (uint32_t *)((char *)sp->sp_opts + op->op_offset);
	uint32_t v;

	if (op->op_type == OT_LEAK) {
		if (!hasval)
			*field = 1;
		else if (st_word_eq(val, vlen, "report"))
			*field = 2;
		else
			st_opt_complain(sp, op->op_env, "bad value in", val -
			    1 - strlen(op->op_word), vlen + 1 +
			    strlen(op->op_word));
		return;
	}
	if (!hasval || (v = st_opt_signal(val, vlen)) == 0) {
		st_opt_complain(sp, op->op_env, hasval ? "bad signal in" :
		    "missing value for", hasval ? val - 1 -
		    strlen(op->op_word) : op->op_word, hasval ? vlen + 1 +
		    strlen(op->op_word) : strlen(op->op_word));
		return;
	}
	*field = v;
}

static void
st_opt_apply(st_opt_parse_t *sp, const st_opt_t *op, const char *val,
    size_t vlen, int hasval)
{
	st_options_t *so = sp->sp_opts;
	char *base = (char *)so;
	uint64_t v = op->op_default;

	switch (op->op_type) {
	case OT_FLAGS:
	case OT_LOG:
	case OT_SIZE:
		if (hasval && op->op_type == OT_FLAGS && op->op_offset == NONE) {
			st_opt_complain(sp, op->op_env, "no value may follow",
			    val - 1 - strlen(op->op_word),
			    vlen + 1 + strlen(op->op_word));
			return;
		}
		if (hasval && st_parse_size(val, vlen, 1, &v) != 0) {
			st_opt_complain(sp, op->op_env, "bad value in", val -
			    1 - strlen(op->op_word), vlen + 1 +
			    strlen(op->op_word));
			return;
		}
		/* "firewall" alone: every size, as KMEM_FLAGS' 0x40. */
		if (op->op_type == OT_SIZE && !hasval &&
		    op->op_offset != OFF(so_firewall)) {
			st_opt_complain(sp, op->op_env, "missing value for",
			    op->op_word, strlen(op->op_word));
			return;
		}
		if (op->op_max != 0 && v > op->op_max) {
			char what[64];

			st_snprintf(what, sizeof (what), "value over %lu in",
			    (unsigned long)op->op_max);
			st_opt_complain(sp, op->op_env, what, val - 1 -
			    strlen(op->op_word), vlen + 1 + strlen(op->op_word));
			return;
		}
		if (op->op_offset == OFF(so_fw_align) && (v == 0 ||
		    (v & (v - 1)) != 0)) {
			st_opt_complain(sp, op->op_env, "not a power of two in",
			    val - 1 - strlen(op->op_word), vlen + 1 +
			    strlen(op->op_word));
			return;
		}
		so->so_kmem_flags |= op->op_flags;
		sp->sp_debug_flags |= op->op_flags;
		if (op->op_offset == NONE)
			return;
		if (op->op_offset == OFF(so_stack_depth))
			*(uint32_t *)(base + op->op_offset) =
			    (uint32_t)ST_MIN(ST_MAX(v, 1), KMEM_STACK_MAX);
		else if (op->op_offset == OFF(so_firewall) && v == UINT64_MAX)
			so->so_firewall = v - 1;        /* UINT64_MAX is "off" */
		else
			*(uint64_t *)(base + op->op_offset) = v;
		/* A size given is kept; a default one grows (log.c). */
		if (hasval && op->op_offset == OFF(so_log_contents))
			so->so_log_fixed |= ST_LOG_FIXED_CONTENTS;
		if (hasval && op->op_offset == OFF(so_log_transaction))
			so->so_log_fixed |= ST_LOG_FIXED_TRANSACTION;
		break;
	case OT_CLEAR:
	case OT_BOOL:
		if (hasval) {
			st_opt_complain(sp, op->op_env, "no value may follow",
			    val - 1 - strlen(op->op_word),
			    vlen + 1 + strlen(op->op_word));
			return;
		}
		if (op->op_offset == OFF(so_catch_signals))
			sp->sp_nosignals = !op->op_default;
		*(uint32_t *)(base + op->op_offset) = (uint32_t)op->op_default;
		break;
	case OT_STRING:
		if (!hasval || vlen == 0 || vlen >= ST_DUMP_STRLEN ||
		    memchr(val, '\0', vlen) != NULL) {
			st_opt_complain(sp, op->op_env, !hasval || vlen == 0 ?
			    "missing value for" : "value of 256 bytes or more "
			    "in", hasval ? val - 1 - strlen(op->op_word) :
			    op->op_word, hasval ? vlen + 1 +
			    strlen(op->op_word) : strlen(op->op_word));
			return;
		}
		st_snprintf(base + op->op_offset, ST_DUMP_STRLEN, "%.*s",
		    (int)vlen, val);
		break;
	case OT_DUMP:
		if (!hasval) {
			st_opt_complain(sp, op->op_env, "missing value for",
			    op->op_word, strlen(op->op_word));
			return;
		}
		if (st_word_eq(val, vlen, "all"))
			so->so_dump_content = ST_DUMP_ALL;
		else if (st_word_eq(val, vlen, "heap"))
			so->so_dump_content = ST_DUMP_HEAP;
		else if (st_word_eq(val, vlen, "off"))
			so->so_dump = 0;
		else {
			st_opt_complain(sp, op->op_env, "bad value in",
			    val - 5, vlen + 5);
			return;
		}
		sp->sp_dump_given = 1;
		break;
	case OT_LEAK:
	case OT_SIGNAL:
		st_opt_apply_word(sp, op, val, vlen, hasval);
		break;
	case OT_IGNORED:
		break;
	}
}

static void
st_opt_word(st_opt_parse_t *sp, const char *env, const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t wlen = eq != NULL ? (size_t)(eq - w) : len;
	size_t i;

	for (i = 0; i < ST_NOPTS; i++) {
		const st_opt_t *op = &st_opt_table[i];

		if (strcmp(op->op_env, env) != 0 ||
		    !st_word_eq(w, wlen, op->op_word))
			continue;
		st_opt_apply(sp, op, eq != NULL ? eq + 1 : w + len,
		    eq != NULL ? len - wlen - 1 : 0, eq != NULL);
		return;
	}
	st_opt_complain(sp, env, "unknown word", w, len);
}

static void
st_opt_words(st_opt_parse_t *sp, const char *env)
{
	const char *s = sp->sp_getenv(env), *w;

	if (s == NULL)
		return;
	while (*s != '\0' && !sp->sp_error) {
		while (*s == ',' || *s == ' ')
			s++;
		for (w = s; *s != '\0' && *s != ',' && *s != ' '; s++)
			continue;
		if (s > w)
			st_opt_word(sp, env, w, (size_t)(s - w));
	}
}

static void
st_opt_kmem_flags(st_opt_parse_t *sp)
{
	st_options_t *so = sp->sp_opts;
	const char *s = sp->sp_getenv("KMEM_FLAGS");
	char echo[4 * ST_OPT_ECHO_MAX + 8];
	uint64_t v;

	if (s == NULL || *s == '\0')
		return;
	(void) st_opt_echo(echo, sizeof (echo), s, strlen(s));
	if (st_parse_size(s, strlen(s), 0, &v) != 0) {
		st_opt_error(sp, "KMEM_FLAGS: '%s' is not a number (hex 0x.. "
		    "or decimal); " ST_KMF_VALID, echo);
		return;
	}
	if (v & ~(uint64_t)KMF_KNOWN) {
		st_opt_error(sp, "KMEM_FLAGS: unknown bits 0x%lx in '%s'; "
		    ST_KMF_VALID, (unsigned long)(v & ~(uint64_t)KMF_KNOWN),
		    echo);
		return;
	}
	sp->sp_kmem_flags = (uint32_t)v;
	so->so_kmem_flags |= (uint32_t)v;
	if (v & KMF_FIREWALL)
		so->so_firewall = 0;            /* all sizes */
}

/* ------------------------------------------------------------------------
 * The kernel's rules between flags, for the process-wide word.
 */

/*
 * LITE given with AUDIT, CONTENTS or FIREWALL: one line saying which
 * variables asked, and what goes.  "KMEM_FLAGS=0x140: LITE excludes ...:
 * FIREWALL dropped".
 */
static void
st_opt_lite_notice(st_opt_parse_t *sp, uint32_t f)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ KMF_AUDIT, "AUDIT" },
		{ KMF_CONTENTS, "CONTENTS" },
		{ KMF_FIREWALL, "FIREWALL" },
	};
	uint32_t drop = f & KMF_NOT_LITE, asked = drop | KMF_LITE;
	char from[64], what[64];
	size_t n = 0, i, k = 0, ndrop = 0;

	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
		ndrop += (drop & names[i].bit) != 0;
	what[0] = '\0';
	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (!(drop & names[i].bit))
			continue;
		n += st_snprintf(what + n, sizeof (what) - n, "%s%s",
		    k == 0 ? "" : k + 1 == ndrop ? " and " : ", ",
		    names[i].name);
		k++;
	}
	if ((sp->sp_kmem_flags & asked) == asked)
		st_snprintf(from, sizeof (from), "KMEM_FLAGS=0x%x",
		    sp->sp_kmem_flags);
	else if ((sp->sp_debug_flags & asked) == asked)
		st_snprintf(from, sizeof (from), "UMEM_DEBUG");
	else
		st_snprintf(from, sizeof (from), "KMEM_FLAGS=0x%x with "
		    "UMEM_DEBUG", sp->sp_kmem_flags);
	st_opt_notice(sp, "%s: LITE excludes AUDIT, CONTENTS and FIREWALL: "
	    "%s dropped", from, what);
}

/* 1 if a notice was made. */
static int
st_opt_adjust(st_opt_parse_t *sp)
{
	st_options_t *so = sp->sp_opts;
	uint32_t f = so->so_kmem_flags;
	int noticed = 0;

	/*
	 * leakcheck alone brings lite's record of each allocation's caller,
	 * so that a leak names its call site (leakcheck.c): lite costs 1.4
	 * times plain slabtrace (BENCHMARKS.md), full stacks (AUDIT) 5.
	 */
	if (so->so_leakcheck && !(f & (KMF_CACHE_DEBUG | KMF_FIREWALL)))
		f |= KMF_LITE;
	/* Sampling (section 8) is the firewall for a few: not debugging. */
	if (so->so_sample != 0) {
		f &= ~KMF_FIREWALL;
		so->so_catch_signals = 1;
	}
	if ((f & KMF_LITE) && (f & KMF_NOT_LITE)) {
		st_opt_lite_notice(sp, f);
		noticed = 1;
		f &= ~KMF_NOT_LITE;
	}
	if (f & KMF_CONTENTS)
		f |= KMF_AUDIT;
	if (f & (KMF_DEADBEEF | KMF_AUDIT))
		f |= KMF_REDZONE;
	if (!(f & KMF_FIREWALL))
		so->so_firewall = UINT64_MAX;
	else if (so->so_firewall == UINT64_MAX)
		so->so_firewall = 0;
	so->so_kmem_flags = f;
	/* The kernel's logs come with auditing unless sized explicitly. */
	if ((f & KMF_AUDIT) && so->so_log_transaction == 0)
		so->so_log_transaction = ST_LOG_TRANSACTION_DEFAULT;
	if ((f & KMF_CONTENTS) && so->so_log_contents == 0)
		so->so_log_contents = ST_LOG_CONTENTS_DEFAULT;
	if ((f & KMF_AUDIT) && so->so_log_fail == 0)
		so->so_log_fail = ST_LOG_FAIL_DEFAULT;
	if ((f & KMF_AUDIT) && so->so_log_slab == 0)
		so->so_log_slab = ST_LOG_SLAB_DEFAULT;
	if (f & (KMF_BUFTAG | KMF_AUDIT | KMF_FIREWALL | KMF_LITE))
		so->so_catch_signals = 1;
	return (noticed);
}

/* ------------------------------------------------------------------------
 * The two entry points (section 7).
 */

int
st_options_parse(st_options_t *so, st_getenv_t *getenv_fn, char *msg,
    size_t msglen)
{
	st_opt_parse_t sp = { .sp_opts = so, .sp_getenv = getenv_fn,
	    .sp_msg = msg, .sp_msglen = msglen };
	const char *run;
	int noticed;

	*so = st_opt_defaults;
	if (msglen > 0)
		msg[0] = '\0';
	st_opt_kmem_flags(&sp);
	st_opt_words(&sp, "UMEM_DEBUG");
	st_opt_words(&sp, "UMEM_LOGGING");
	st_opt_words(&sp, "UMEM_OPTIONS");
	st_opt_words(&sp, "SLABTRACE_STATS");
	if (sp.sp_error)
		return (ST_OPT_ERROR);
	run = getenv_fn("SLABTRACE_RUN");
	if (run != NULL && run[0] == '1')
		so->so_catch_signals = 1;
	noticed = st_opt_adjust(&sp);
	/*
	 * Dumps are written when debugging or under `slabtrace run`, not
	 * for the invalid free that aborts a plain LD_PRELOAD run.
	 */
	if (!sp.sp_dump_given && !so->so_catch_signals)
		so->so_dump = 0;
	if (sp.sp_nosignals)
		so->so_catch_signals = 0;
	return (noticed ? ST_OPT_NOTICE : ST_OPT_OK);
}

/*
 * Python's small objects come from pymalloc, not from us, unless
 * PYTHONMALLOC says malloc: the hint for a python run under plain
 * LD_PRELOAD (`slabtrace run` sets the variable itself).  1 if made.
 */
static int
st_opt_python_hint(char *msg, size_t msglen)
{
	const char *pm = st_os_getenv("PYTHONMALLOC"), *base;
	char exe[512];

	if (pm != NULL && (strcmp(pm, "malloc") == 0 ||
	    strcmp(pm, "malloc_debug") == 0))
		return (0);
	if (st_os_readlink("/proc/self/exe", exe, sizeof (exe)) <= 0)
		return (0);
	base = strrchr(exe, '/');
	base = base != NULL ? base + 1 : exe;
	if (strncmp(base, "python", 6) != 0)
		return (0);
	st_snprintf(msg, msglen, "slabtrace: python: most of its objects "
	    "come from its own allocator (pymalloc) and are not checked; run "
	    "it with PYTHONMALLOC=malloc (slabtrace run does)\n");
	return (1);
}

/* Section 6: children stay quiet.  setenv would malloc. */
static void
st_opt_mark_environ(void)
{
	static char noted[] = ST_NOTED_VAR "=1";
	char **old = environ, **new;
	size_t n = 0;

	while (old != NULL && old[n] != NULL)
		n++;
	if ((new = st_os_map((n + 2) * sizeof (char *), 0)) == NULL)
		return;
	if (n > 0)
		memcpy(new, old, n * sizeof (char *));
	new[n] = noted;
	new[n + 1] = NULL;
	environ = new;
}

void
st_options_init(void)
{
	char msg[ST_OPT_MSG_MAX];
	const char *noted;
	int rc, said = 0;

	rc = st_options_parse(&st_opts, st_os_getenv, msg, sizeof (msg));
	if (rc == ST_OPT_ERROR) {
		st_os_write(2, msg, strlen(msg));
		st_os_exit(1);
	}
	noted = st_os_getenv(ST_NOTED_VAR);
	if (noted != NULL && noted[0] != '\0')
		return;
	if (rc == ST_OPT_NOTICE) {
		st_os_write(2, msg, strlen(msg));
		said = 1;
	}
	if (((st_opts.so_kmem_flags & KMF_CACHE_DEBUG) != 0 ||
	    st_opts.so_firewall != UINT64_MAX) &&
	    st_opt_python_hint(msg, sizeof (msg))) {
		st_os_write(2, msg, strlen(msg));
		said = 1;
	}
	if (said)
		st_opt_mark_environ();
}
