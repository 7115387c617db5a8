/*
 * options.c: what the environment asks of the allocator, read once at
 * start-up into st_opts (libumem's envvar.c, as a table).
 *
 * 1. Sources.
 *    KMEM_FLAGS    the kernel's kmem_flags word, hex (0x1f) or decimal;
 *                  bits as in slabtrace_impl.h (KMF_*).
 *    UMEM_DEBUG    libumem's words: default, audit[=frames],
 *                  contents[=bytes], guards, verbose, firewall=minbytes,
 *                  lite, maxverify=bytes, noabort, nosignal.
 *    UMEM_LOGGING  transaction[=size], contents[=size], fail[=size],
 *                  slab[=size]; sizes take K, M and G suffixes.
 *    UMEM_OPTIONS  dumpdir=DIR, dump=all|heap|off, signals, nosignals,
 *                  stats (the ::kmastat table on stderr at exit),
 *                  sweep=ms (verify freed buffers this often; 0: never),
 *                  verify / noverify (the whole heap at exit, or not), and
 *                  libumem's backend= and perthread_cache= (accepted;
 *                  this allocator has one backend and sizes its own
 *                  thread caches).
 *    SLABTRACE_STATS=1  the same as UMEM_OPTIONS=stats.
 *    SLABTRACE_RUN set by `slabtrace run`: dump on fatal signals.
 *    Words are separated by commas (libumem also allows spaces).
 *
 * 2. The table.  Each row is a variable, a word, how its value is parsed,
 *    and what it sets; presets (default, guards) are rows that set several
 *    flags.  A word that no row knows, or a value that does not parse, gets
 *    one line on stderr naming it and listing the valid words; everything
 *    else still takes effect.
 *
 * 3. The kernel's adjustments, applied here for the global flags and again
 *    per cache (debug.c): DEADBEEF and AUDIT imply REDZONE, CONTENTS needs
 *    AUDIT, LITE excludes AUDIT and FIREWALL.  0x10 (KMF_STICKY) meant, in
 *    the kernel, "these flags override /etc/system"; the environment is our
 *    only source, so it is accepted and changes nothing.
 *
 * 4. maxverify.  How much of a freed buffer is patterned and verified.
 *    libumem's default is all of it; the 64-bit kernel's kmem_maxverify is
 *    half a page (2048 bytes), and KMEM_FLAGS, the kernel's interface,
 *    takes the kernel's default.  maxverify= sets it either way.
 *
 * 5. Security.  Every variable is read with secure_getenv (st_os_getenv),
 *    so a setuid or setgid program ignores them all.
 *
 * Parsing runs before the allocator exists: nothing here allocates.
 */
#include <string.h>

#include "slabtrace_impl.h"

/* Defaults (bytes) for a log named without a size, and when implied. */
#define ST_LOG_TRANSACTION_DEFAULT      (8UL << 20)
#define ST_LOG_CONTENTS_DEFAULT         (8UL << 20)
#define ST_LOG_FAIL_DEFAULT             (64UL << 10)
#define ST_LOG_SLAB_DEFAULT             (64UL << 10)
#define ST_CONTENTS_DEFAULT             256
#define ST_MAXVERIFY_DEFAULT            UINT64_MAX      /* libumem's */
#define ST_KMEM_MAXVERIFY               2048    /* the 64-bit kernel's */
#define ST_CONTENTS_MAX                 (1UL << 20)     /* per record */
#define ST_LOG_MAX                      (64UL << 30)    /* per log */

st_options_t st_opts = {
	.so_stack_depth = KMEM_STACK_DEPTH,
	.so_contents = ST_CONTENTS_DEFAULT,
	.so_maxverify = ST_MAXVERIFY_DEFAULT,
	.so_firewall = UINT64_MAX,
	.so_dump = 1,
	.so_dump_content = ST_DUMP_ALL,
	.so_verify_exit = 1,
	.so_sweep_ms = 500,
};

typedef enum st_opt_type {
	OT_FLAGS,       /* set so_kmem_flags bits (value: optional frames/bytes) */
	OT_SIZE,        /* a byte count with K/M/G, required */
	OT_LOG,         /* a log size, optional */
	OT_BOOL,        /* set a uint32_t to 1 */
	OT_CLEAR,       /* set a uint32_t to 0 */
	OT_STRING,      /* copy into a char array */
	OT_DUMP,        /* all | heap | off */
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

static int st_opt_nosignals;    /* "nosignals" given: it wins */
static int st_opt_dump_given;   /* "dump=" given: it wins */

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
	    0, "firewall=minbytes", 0 },
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
	{ "UMEM_OPTIONS", "sweep", OT_SIZE, 0, OFF(so_sweep_ms), 0,
	    "sweep=ms", 3600000 },
	{ "UMEM_OPTIONS", "verify", OT_BOOL, 0, OFF(so_verify_exit), 1,
	    "verify", 0 },
	{ "UMEM_OPTIONS", "noverify", OT_CLEAR, 0, OFF(so_verify_exit), 0,
	    "noverify", 0 },
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

/* One line: "slabtrace: VAR: what 'word' ignored; valid: ..." */
static void
st_opt_complain(const char *env, const char *what, const char *word,
    size_t len)
{
	char line[1024], echo[4 * ST_OPT_ECHO_MAX + 8];
	size_t n, i;

	(void) st_opt_echo(echo, sizeof (echo), word, len);
	n = st_snprintf(line, sizeof (line), "slabtrace: %s: %s '%s' "
	    "ignored; valid:", env, what, echo);
	for (i = 0; i < ST_NOPTS && n < sizeof (line); i++) {
		if (strcmp(st_opt_table[i].op_env, env) == 0)
			n += st_snprintf(line + n, sizeof (line) - n, " %s",
			    st_opt_table[i].op_help);
	}
	if (n >= sizeof (line) - 1)
		n = sizeof (line) - 2;
	line[n++] = '\n';
	st_os_write(2, line, n);
}

/* ------------------------------------------------------------------------
 * Applying one word.
 */

static void
st_opt_apply(const st_opt_t *op, const char *val, size_t vlen, int hasval)
{
	char *base = (char *)&st_opts;
	uint64_t v = op->op_default;

	switch (op->op_type) {
	case OT_FLAGS:
	case OT_LOG:
	case OT_SIZE:
		if (hasval && st_parse_size(val, vlen, 1, &v) != 0) {
			st_opt_complain(op->op_env, "bad value in", val - 1 -
			    strlen(op->op_word), vlen + 1 + strlen(op->op_word));
			return;
		}
		if (op->op_type == OT_SIZE && !hasval) {
			st_opt_complain(op->op_env, "missing value for",
			    op->op_word, strlen(op->op_word));
			return;
		}
		if (op->op_max != 0 && v > op->op_max) {
			char what[64];

			st_snprintf(what, sizeof (what), "value over %lu in",
			    (unsigned long)op->op_max);
			st_opt_complain(op->op_env, what, val - 1 -
			    strlen(op->op_word), vlen + 1 + strlen(op->op_word));
			return;
		}
		st_opts.so_kmem_flags |= op->op_flags;
		if (op->op_offset == NONE)
			return;
		if (op->op_offset == OFF(so_stack_depth))
			*(uint32_t *)(base + op->op_offset) =
			    (uint32_t)ST_MIN(ST_MAX(v, 1), KMEM_STACK_MAX);
		else if (op->op_offset == OFF(so_firewall) && v == UINT64_MAX)
			st_opts.so_firewall = v - 1;    /* UINT64_MAX is "off" */
		else
			*(uint64_t *)(base + op->op_offset) = v;
		break;
	case OT_CLEAR:
	case OT_BOOL:
		if (hasval) {
			st_opt_complain(op->op_env, "no value may follow",
			    val - 1 - strlen(op->op_word),
			    vlen + 1 + strlen(op->op_word));
			return;
		}
		if (op->op_offset == OFF(so_catch_signals))
			st_opt_nosignals = !op->op_default;
		*(uint32_t *)(base + op->op_offset) = (uint32_t)op->op_default;
		break;
	case OT_STRING:
		if (!hasval || vlen == 0 || vlen >= ST_DUMP_STRLEN ||
		    memchr(val, '\0', vlen) != NULL) {
			st_opt_complain(op->op_env, !hasval || vlen == 0 ?
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
			st_opt_complain(op->op_env, "missing value for",
			    op->op_word, strlen(op->op_word));
			return;
		}
		if (st_word_eq(val, vlen, "all"))
			st_opts.so_dump_content = ST_DUMP_ALL;
		else if (st_word_eq(val, vlen, "heap"))
			st_opts.so_dump_content = ST_DUMP_HEAP;
		else if (st_word_eq(val, vlen, "off"))
			st_opts.so_dump = 0;
		else {
			st_opt_complain(op->op_env, "bad value in", val - 5,
			    vlen + 5);
			return;
		}
		st_opt_dump_given = 1;  /* only a value that took */
		break;
	case OT_IGNORED:
		break;
	}
}

static void
st_opt_word(const char *env, const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t wlen = eq != NULL ? (size_t)(eq - w) : len;
	size_t i;

	for (i = 0; i < ST_NOPTS; i++) {
		const st_opt_t *op = &st_opt_table[i];

		if (strcmp(op->op_env, env) != 0 ||
		    !st_word_eq(w, wlen, op->op_word))
			continue;
		st_opt_apply(op, eq != NULL ? eq + 1 : w + len,
		    eq != NULL ? len - wlen - 1 : 0, eq != NULL);
		return;
	}
	st_opt_complain(env, "unknown word", w, len);
}

static void
st_opt_words(const char *env)
{
	const char *s = st_os_getenv(env), *w;

	if (s == NULL)
		return;
	while (*s != '\0') {
		while (*s == ',' || *s == ' ')
			s++;
		for (w = s; *s != '\0' && *s != ',' && *s != ' '; s++)
			continue;
		if (s > w)
			st_opt_word(env, w, (size_t)(s - w));
	}
}

static void
st_opt_kmem_flags(void)
{
	const char *s = st_os_getenv("KMEM_FLAGS");
	uint64_t v;

	if (s == NULL || *s == '\0')
		return;
	if (st_parse_size(s, strlen(s), 0, &v) != 0 || v > UINT32_MAX) {
		char echo[4 * ST_OPT_ECHO_MAX + 8];

		(void) st_opt_echo(echo, sizeof (echo), s, strlen(s));
		st_printf(2, "slabtrace: KMEM_FLAGS: '%s' is not a number "
		    "(hex 0x.. or decimal) ignored; valid bits: AUDIT 0x1, "
		    "DEADBEEF 0x2, REDZONE 0x4, CONTENTS 0x8, STICKY 0x10, "
		    "NOMAGAZINE 0x20, FIREWALL 0x40, LITE 0x100\n", echo);
		return;
	}
	if (v & ~(uint64_t)KMF_KNOWN) {
		st_printf(2, "slabtrace: KMEM_FLAGS: unknown bits 0x%lx "
		    "ignored; valid bits: AUDIT 0x1, DEADBEEF 0x2, REDZONE 0x4, "
		    "CONTENTS 0x8, STICKY 0x10, NOMAGAZINE 0x20, FIREWALL 0x40, "
		    "LITE 0x100\n", (unsigned long)(v & ~(uint64_t)KMF_KNOWN));
	}
	st_opts.so_kmem_flags |= (uint32_t)v & KMF_KNOWN;
	st_opts.so_maxverify = ST_KMEM_MAXVERIFY;  /* UMEM_DEBUG may change */
	if (v & KMF_FIREWALL)
		st_opts.so_firewall = 0;        /* all sizes */
}

/* ------------------------------------------------------------------------
 * The kernel's rules between flags, for the process-wide word.
 */
static void
st_opt_adjust(void)
{
	uint32_t f = st_opts.so_kmem_flags;

	if (f & KMF_LITE)
		f &= ~(KMF_AUDIT | KMF_FIREWALL | KMF_CONTENTS);
	if (f & (KMF_DEADBEEF | KMF_AUDIT))
		f |= KMF_REDZONE;
	if (!(f & KMF_AUDIT))
		f &= ~KMF_CONTENTS;
	if (!(f & KMF_FIREWALL))
		st_opts.so_firewall = UINT64_MAX;
	else if (st_opts.so_firewall == UINT64_MAX)
		st_opts.so_firewall = 0;
	st_opts.so_kmem_flags = f;
	/* The kernel's logs come with auditing unless sized explicitly. */
	if ((f & KMF_AUDIT) && st_opts.so_log_transaction == 0)
		st_opts.so_log_transaction = ST_LOG_TRANSACTION_DEFAULT;
	if ((f & KMF_CONTENTS) && st_opts.so_log_contents == 0)
		st_opts.so_log_contents = ST_LOG_CONTENTS_DEFAULT;
	if ((f & KMF_AUDIT) && st_opts.so_log_fail == 0)
		st_opts.so_log_fail = ST_LOG_FAIL_DEFAULT;
	if ((f & KMF_AUDIT) && st_opts.so_log_slab == 0)
		st_opts.so_log_slab = ST_LOG_SLAB_DEFAULT;
	if (f & (KMF_BUFTAG | KMF_AUDIT | KMF_FIREWALL | KMF_LITE))
		st_opts.so_catch_signals = 1;
}

void
st_options_init(void)
{
	const char *run = st_os_getenv("SLABTRACE_RUN");

	st_opt_kmem_flags();
	st_opt_words("UMEM_DEBUG");
	st_opt_words("UMEM_LOGGING");
	st_opt_words("UMEM_OPTIONS");
	st_opt_words("SLABTRACE_STATS");
	if (run != NULL && run[0] == '1')
		st_opts.so_catch_signals = 1;
	st_opt_adjust();
	/*
	 * Dumps are written when debugging or under `slabtrace run`, not
	 * for the invalid free that aborts a plain LD_PRELOAD run.
	 */
	if (!st_opt_dump_given && !st_opts.so_catch_signals)
		st_opts.so_dump = 0;
	if (st_opt_nosignals)
		st_opts.so_catch_signals = 0;
}
