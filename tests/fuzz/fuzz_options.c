/*
 * fuzz_options.c: a libFuzzer target for the option parser (src/options.c).
 *
 * Build (tests/integration/fuzz_options.sh does this into build/fuzz/):
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -Iinclude \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -o build/fuzz/fuzz_options tests/fuzz/fuzz_options.c src/print.c
 *
 * The parser's file is included, and driven through st_options_parse(),
 * which fills an st_options_t from a getenv and returns the error or the
 * notice as text: it never prints and never exits (the library's
 * st_options_init() does that, after it; it is never called here).
 * print.c is linked as it is; this file provides the few platform
 * functions the two need (st_os_getenv, st_os_write, st_os_abort, and
 * st_os_exit, st_os_map and st_os_readlink, which only st_options_init
 * uses) and kmem_error, which print.c's st_error calls.
 *
 * 1. The input.  Cut at its NUL bytes into fields (n NULs, n + 1
 *    fields), the values of KMEM_FLAGS, UMEM_DEBUG, UMEM_LOGGING,
 *    UMEM_OPTIONS, SLABTRACE_STATS and SLABTRACE_RUN in that order.  A
 *    field that is missing (fewer NULs) or that is the single byte 0xff is
 *    an unset variable (st_os_getenv returns NULL); any other field, the
 *    empty one included, is the variable's value.  Fields after the sixth
 *    are ignored.  Each value is copied into a heap block of exactly its
 *    size, so that AddressSanitizer sees a read before or after it.
 *
 * 2. What is checked, after st_options_parse() (abort() on a violation,
 *    with one line on stderr saying which):
 *    - when it accepted the input (ST_OPT_OK or ST_OPT_NOTICE), the
 *      fields it filled: so_stack_depth in [1, KMEM_STACK_MAX];
 *      so_contents <= 1 MiB; each so_log_* <= 64 GiB; so_kmem_flags only
 *      known KMF bits, and the kernel's rules between them (LITE excludes
 *      AUDIT, CONTENTS and FIREWALL; DEADBEEF or AUDIT imply REDZONE;
 *      CONTENTS implies AUDIT); so_firewall is "none" (UINT64_MAX) exactly
 *      when FIREWALL is off; the logs auditing needs exist; so_dumpdir is
 *      NUL-terminated within ST_DUMP_STRLEN; so_dump_content is
 *      ST_DUMP_ALL or ST_DUMP_HEAP; the booleans are 0 or 1;
 *      so_sweep_ms * 1000000 (ns) times a few does not overflow;
 *    - the arithmetic that later code does with them, redone here with
 *      overflow checks: kmem_log_create's record size (rounded to 16),
 *      number of records, mapping size (rounded to the page), chunks, for
 *      the four logs (log.c), and the contents record (max(contents, 16)
 *      rounded to 16) and cache_contents (debug.c);
 *    - the message: none with ST_OPT_OK; with the others exactly one line
 *      ending in '\n', at most 1024 bytes, "slabtrace: " first, printable
 *      ASCII only before the newline; a quoted 'word' in it decodes (\xNN
 *      escapes) to at most 64 bytes of the named variable's value, plus
 *      "..." when cut; an error ends "; not starting the program", a
 *      notice is LITE's ("LITE excludes ...: X dropped", LITE kept);
 *    - determinism: parsing the same input again gives the same result,
 *      options and message (no stale state);
 *    - errors are the first one's, and only mistakes are errors: the
 *      input's units, in the order the parser reads them (KMEM_FLAGS,
 *      then each word of the other variables as st_opt_words cuts them
 *      at ',' and ' '), are parsed each alone; the first that is an error
 *      alone gives the very message of the whole input, and if none is
 *      (up to 16 units an input), the whole input is no error either.
 *      No error is lost, none is made up, and a later mistake never
 *      replaces the first.
 *
 * FUZZ_OPTIONS_ECHO=1 in the environment copies the parser's message to
 * stderr and prints the options parsed (for looking at one input:
 * FUZZ_OPTIONS_ECHO=1 ./fuzz_options FILE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/options.c"

/* ------------------------------------------------------------------------
 * The environment, cut from the input.
 */

#define FZ_NVARS        6
#define FZ_ABSENT       0xff    /* a field of this one byte: unset */

static const char *const fz_names[FZ_NVARS] = {
	"KMEM_FLAGS", "UMEM_DEBUG", "UMEM_LOGGING", "UMEM_OPTIONS",
	"SLABTRACE_STATS", "SLABTRACE_RUN",
};

/* An environment: each value in a heap block of exactly its size. */
typedef struct fz_env {
	char *fe_val[FZ_NVARS];         /* NULL: unset */
	size_t fe_len[FZ_NVARS];
} fz_env_t;

static fz_env_t fz_input;               /* the input's */
static const fz_env_t *fz_cur = &fz_input;      /* what getenv sees */

static void
fz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
fz_print_env(const char *title, const fz_env_t *e)
{
	int i;

	fprintf(stderr, "fuzz_options: %s:\n", title);
	for (i = 0; i < FZ_NVARS; i++) {
		size_t j;

		fprintf(stderr, "  %s", fz_names[i]);
		if (e->fe_val[i] == NULL) {
			fprintf(stderr, " unset\n");
			continue;
		}
		fprintf(stderr, "='");
		for (j = 0; j < e->fe_len[i]; j++) {
			unsigned char c = (unsigned char)e->fe_val[i][j];

			if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
				fputc(c, stderr);
			else
				fprintf(stderr, "\\x%02x", c);
		}
		fprintf(stderr, "'\n");
	}
}

static void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_options: invariant violated: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fz_print_env("the input was", &fz_input);
	if (fz_cur != &fz_input)
		fz_print_env("the environment parsed was", fz_cur);
	abort();
}

static void
fz_env_setvar(fz_env_t *e, int i, const char *s, size_t len)
{
	e->fe_val[i] = malloc(len + 1);
	if (e->fe_val[i] == NULL)
		abort();
	memcpy(e->fe_val[i], s, len);
	e->fe_val[i][len] = '\0';
	e->fe_len[i] = len;
}

static void
fz_env_from_input(fz_env_t *e, const uint8_t *data, size_t size)
{
	size_t pos = 0;         /* where field i starts; > size: no field i */
	int i;

	memset(e, 0, sizeof (*e));
	for (i = 0; i < FZ_NVARS; i++, pos++) {
		const uint8_t *end;
		size_t len;

		if (pos > size)
			continue;
		end = memchr(data + pos, '\0', size - pos);
		len = end != NULL ? (size_t)(end - (data + pos)) : size - pos;
		if (!(len == 1 && data[pos] == FZ_ABSENT))
			fz_env_setvar(e, i, (const char *)data + pos, len);
		pos += len;
	}
}

static void
fz_env_free(fz_env_t *e)
{
	int i;

	for (i = 0; i < FZ_NVARS; i++)
		free(e->fe_val[i]);
	memset(e, 0, sizeof (*e));
}

const char *
st_os_getenv(const char *name)
{
	static int warned;
	int i;

	for (i = 0; i < FZ_NVARS; i++) {
		if (strcmp(name, fz_names[i]) == 0)
			return (fz_cur->fe_val[i]);
	}
	if (!warned) {
		warned = 1;
		fprintf(stderr, "fuzz_options: warning: the parser reads %s, "
		    "which this harness does not set; add it to fz_names\n",
		    name);
	}
	return (NULL);
}

/* ------------------------------------------------------------------------
 * The messages.
 */

#define FZ_MSG_MAX      1024
#define FZ_ECHO_MAX     64      /* bytes of the user's text echoed */

static int fz_echo;                     /* FUZZ_OPTIONS_ECHO=1 */

/* The variable a message names: "slabtrace: NAME: ..." */
static int
fz_msg_var(const char *buf, size_t len)
{
	static const char prefix[] = "slabtrace: ";
	size_t p = sizeof (prefix) - 1;
	int i;

	for (i = 0; i < FZ_NVARS; i++) {
		size_t n = strlen(fz_names[i]);

		if (p + n + 2 <= len && memcmp(buf + p, fz_names[i], n) == 0 &&
		    buf[p + n] == ':' && buf[p + n + 1] == ' ')
			return (i);
	}
	return (-1);
}

static int
fz_hex(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* The first 'quoted' text of a message is the user's, escaped and cut. */
static void
fz_check_quote(const char *buf, size_t len, int var)
{
	const char *q = memchr(buf, '\'', len), *e;
	char dec[4 * FZ_ECHO_MAX + 8];
	size_t n = 0;

	if (q == NULL)
		return;
	q++;
	e = memchr(q, '\'', (size_t)(buf + len - q));
	if (e == NULL)
		fz_fail("message has an unmatched quote: %.*s", (int)len, buf);
	while (q < e) {
		if (n >= sizeof (dec))
			fz_fail("quoted text over %zu bytes: %.*s",
			    sizeof (dec), (int)len, buf);
		if (*q == '\\') {
			int h, l;

			if (e - q < 4 || q[1] != 'x' ||
			    (h = fz_hex(q[2])) < 0 || (l = fz_hex(q[3])) < 0)
				fz_fail("bad escape in quoted text: %.*s",
				    (int)len, buf);
			dec[n++] = (char)(h << 4 | l);
			q += 4;
		} else {
			dec[n++] = *q++;
		}
	}
	if (var < 0)
		fz_fail("a quoted word but no variable named: %.*s",
		    (int)len, buf);
	if (fz_cur->fe_val[var] == NULL)
		fz_fail("a message quotes %s, which is unset: %.*s",
		    fz_names[var], (int)len, buf);
	if (n <= FZ_ECHO_MAX && memmem(fz_cur->fe_val[var],
	    fz_cur->fe_len[var], dec, n) != NULL)
		return;         /* all of the word, or a short part of it */
	if (n == FZ_ECHO_MAX + 3 && memcmp(dec + FZ_ECHO_MAX, "...", 3) == 0 &&
	    memmem(fz_cur->fe_val[var], fz_cur->fe_len[var], dec,
	    FZ_ECHO_MAX) != NULL)
		return;         /* the first 64 bytes, then "..." */
	fz_fail("the quoted text (%zu bytes decoded) is not at most %d bytes "
	    "of the value of %s: %.*s", n, FZ_ECHO_MAX, fz_names[var],
	    (int)len, buf);
}

/* The message of a parse that returned rc (section 2). */
static void
fz_check_msg(int rc, const char *buf)
{
	static const char stop[] = "; not starting the program\n";
	size_t len = strnlen(buf, ST_OPT_MSG_MAX), i;

	if (fz_echo == 1)
		fwrite(buf, 1, len, stderr);
	if (len == ST_OPT_MSG_MAX)
		fz_fail("a message not NUL-terminated within %d bytes",
		    ST_OPT_MSG_MAX);
	if (rc == ST_OPT_OK) {
		if (len != 0)
			fz_fail("a message with ST_OPT_OK: %s", buf);
		return;
	}
	if (rc != ST_OPT_NOTICE && rc != ST_OPT_ERROR)
		fz_fail("st_options_parse returned %d", rc);
	if (len == 0)
		fz_fail("no message with %s", rc == ST_OPT_ERROR ? "an error" :
		    "a notice");
	if ((rc == ST_OPT_ERROR) != (len >= sizeof (stop) - 1 &&
	    memcmp(buf + len - (sizeof (stop) - 1), stop,
	    sizeof (stop) - 1) == 0))
		fz_fail("%s, and the message %s \"%.*s\": %s", rc ==
		    ST_OPT_ERROR ? "an error" : "a notice", rc ==
		    ST_OPT_ERROR ? "does not end" : "ends",
		    (int)sizeof (stop) - 2, stop, buf);
	if (rc == ST_OPT_NOTICE && (strstr(buf, ": LITE excludes AUDIT, "
	    "CONTENTS and FIREWALL: ") == NULL ||
	    memcmp(buf + len - 9, " dropped\n", 9) != 0))
		fz_fail("a notice that is not LITE's: %s", buf);
	if (len > FZ_MSG_MAX)
		fz_fail("a message of %zu bytes (over %d)", len, FZ_MSG_MAX);
	if (buf[len - 1] != '\n')
		fz_fail("a message not ending in a newline (%zu bytes): %.*s",
		    len, (int)len, buf);
	for (i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 || c >= 0x7f)
			fz_fail("byte 0x%02x at offset %zu of a message: %.*s",
			    c, i, (int)len, buf);
	}
	if (len < 11 || memcmp(buf, "slabtrace: ", 11) != 0)
		fz_fail("a message not starting \"slabtrace: \": %.*s",
		    (int)len, buf);
	fz_check_quote(buf, len, fz_msg_var(buf, len));
}

/*
 * What print.c and st_options_init need besides: nothing here may be
 * reached, st_options_parse never prints.
 */
void
st_os_write(int fd, const char *buf, size_t len)
{
	fz_fail("st_os_write(%d) called by the parser: %.*s", fd, (int)len,
	    buf);
}

void
st_os_abort(void)
{
	fz_fail("st_os_abort() called by the parser");
}

void
st_os_exit(int status)
{
	fz_fail("st_os_exit(%d) called by the parser", status);
}

void *
st_os_map(size_t size, size_t align)
{
	fz_fail("st_os_map(%zu, %zu) called by the parser", size, align);
}

long
st_os_readlink(const char *path, char *buf, size_t len)
{
	(void) buf;
	fz_fail("st_os_readlink(%s, %zu) called by the parser", path, len);
}

void
kmem_error(const kmem_errinfo_t *ei)
{
	(void) ei;
	fz_fail("kmem_error() called by the parser");
}

/* ------------------------------------------------------------------------
 * The invariants.
 */

#define FZ_KMF_KNOWN    (KMF_AUDIT | KMF_DEADBEEF | KMF_REDZONE | \
    KMF_CONTENTS | KMF_STICKY | KMF_NOMAGAZINE | KMF_FIREWALL | KMF_LITE)
#define FZ_CONTENTS_MAX (1UL << 20)
#define FZ_LOG_MAX      (64UL << 30)
#define FZ_SWEEP_ROOM   1024    /* verify.c's KV_IDLE_SWEEPS is 8 */

static uint64_t
fz_roundup(uint64_t x, uint64_t a, const char *what)
{
	if (x > UINT64_MAX - (a - 1))
		fz_fail("%s: rounding %llu up to %llu overflows", what,
		    (unsigned long long)x, (unsigned long long)a);
	return (ST_P2ROUNDUP(x, a));
}

/* kmem_log_create (log.c), redone with checks. */
static void
fz_check_log(const char *name, uint64_t size, uint64_t recsize)
{
	uint64_t rec, nrecs, bytes, mapped, lnrecs, chunk, nchunks;

	rec = fz_roundup(recsize, 16, name);
	if (rec == 0 || rec < recsize || rec % 16 != 0)
		fz_fail("%s log: record size %llu from %llu", name,
		    (unsigned long long)rec, (unsigned long long)recsize);
	if (size == 0)
		return;                 /* no log */
	nrecs = ST_MAX(size / rec, 16);
	if (__builtin_mul_overflow(nrecs, rec, &bytes))
		fz_fail("%s log: %llu records of %llu bytes overflow", name,
		    (unsigned long long)nrecs, (unsigned long long)rec);
	mapped = fz_roundup(bytes, ST_PAGESIZE, name);
	if (mapped == 0 || mapped < bytes || mapped % ST_PAGESIZE != 0)
		fz_fail("%s log: mapping size %llu for %llu bytes", name,
		    (unsigned long long)mapped, (unsigned long long)bytes);
	/* Not much over what was asked (or 16 records), and not absurd. */
	if (mapped > ST_MAX(size, 16 * rec) + ST_PAGESIZE ||
	    mapped > FZ_LOG_MAX + ST_PAGESIZE)
		fz_fail("%s log: %llu bytes mapped for a size of %llu", name,
		    (unsigned long long)mapped, (unsigned long long)size);
	lnrecs = mapped / rec;
	if (lnrecs < 16 || lnrecs < nrecs)
		fz_fail("%s log: %llu records", name,
		    (unsigned long long)lnrecs);
	chunk = ST_MAX(ST_MIN(64, lnrecs / 8), 1);
	nchunks = lnrecs / chunk;
	if (nchunks == 0 || chunk * nchunks > lnrecs)
		fz_fail("%s log: %llu chunks of %llu records", name,
		    (unsigned long long)nchunks, (unsigned long long)chunk);
}

static void
fz_check_options(const st_options_t *o)
{
	uint32_t f = o->so_kmem_flags;
	uint64_t audit, crec;

	if (o->so_stack_depth < 1 || o->so_stack_depth > KMEM_STACK_MAX)
		fz_fail("so_stack_depth %u not in [1, %d]", o->so_stack_depth,
		    KMEM_STACK_MAX);
	if (o->so_contents > FZ_CONTENTS_MAX)
		fz_fail("so_contents %llu over 1 MiB",
		    (unsigned long long)o->so_contents);
	if (o->so_log_transaction > FZ_LOG_MAX ||
	    o->so_log_contents > FZ_LOG_MAX || o->so_log_fail > FZ_LOG_MAX ||
	    o->so_log_slab > FZ_LOG_MAX)
		fz_fail("a log over 64 GiB: transaction %llu contents %llu "
		    "fail %llu slab %llu",
		    (unsigned long long)o->so_log_transaction,
		    (unsigned long long)o->so_log_contents,
		    (unsigned long long)o->so_log_fail,
		    (unsigned long long)o->so_log_slab);
	if (f & ~(uint32_t)FZ_KMF_KNOWN)
		fz_fail("so_kmem_flags 0x%x has unknown bits 0x%x", f,
		    f & ~(uint32_t)FZ_KMF_KNOWN);
	if ((f & KMF_LITE) && (f & (KMF_AUDIT | KMF_CONTENTS | KMF_FIREWALL)))
		fz_fail("so_kmem_flags 0x%x: LITE with AUDIT, CONTENTS or "
		    "FIREWALL", f);
	if ((f & (KMF_DEADBEEF | KMF_AUDIT)) && !(f & KMF_REDZONE))
		fz_fail("so_kmem_flags 0x%x: DEADBEEF or AUDIT without REDZONE",
		    f);
	if ((f & KMF_CONTENTS) && !(f & KMF_AUDIT))
		fz_fail("so_kmem_flags 0x%x: CONTENTS without AUDIT", f);
	if (!(f & KMF_FIREWALL) != (o->so_firewall == UINT64_MAX))
		fz_fail("so_kmem_flags 0x%x with so_firewall %llu", f,
		    (unsigned long long)o->so_firewall);
	if ((f & KMF_AUDIT) && (o->so_log_transaction == 0 ||
	    o->so_log_fail == 0 || o->so_log_slab == 0))
		fz_fail("AUDIT without its logs");
	if ((f & KMF_CONTENTS) && o->so_log_contents == 0)
		fz_fail("CONTENTS without the contents log");
	if (memchr(o->so_dumpdir, '\0', ST_DUMP_STRLEN) == NULL)
		fz_fail("so_dumpdir not NUL-terminated within %d bytes",
		    ST_DUMP_STRLEN);
	if (o->so_dump_content != ST_DUMP_ALL &&
	    o->so_dump_content != ST_DUMP_HEAP)
		fz_fail("so_dump_content %u", o->so_dump_content);
	if (o->so_noabort > 1 || o->so_verbose > 1 ||
	    o->so_catch_signals > 1 || o->so_dump > 1 || o->so_stats > 1 ||
	    o->so_verify_exit > 1)
		fz_fail("a boolean not 0 or 1: noabort %u verbose %u "
		    "catch_signals %u dump %u stats %u verify_exit %u",
		    o->so_noabort, o->so_verbose, o->so_catch_signals,
		    o->so_dump, o->so_stats, o->so_verify_exit);
	/* verify.c: (a few) * so_sweep_ms * 1000000 ns, with room to spare. */
	if (o->so_sweep_ms > UINT64_MAX / (1000000ULL * FZ_SWEEP_ROOM))
		fz_fail("so_sweep_ms %llu: %llu * ms * 1000000 overflows",
		    (unsigned long long)o->so_sweep_ms,
		    (unsigned long long)FZ_SWEEP_ROOM);

	/* The sizes log.c and debug.c compute from them. */
	audit = sizeof (kmem_bufctl_audit_t);
	fz_check_log("transaction", o->so_log_transaction, audit);
	fz_check_log("contents", o->so_log_contents,
	    ST_MAX(o->so_contents, 16));
	fz_check_log("fail", o->so_log_fail, audit);
	fz_check_log("slab", o->so_log_slab, audit);
	crec = fz_roundup(ST_MAX(o->so_contents, 16), 16, "contents record");
	if (crec == 0 || crec < o->so_contents || crec > FZ_CONTENTS_MAX)
		fz_fail("contents record of %llu bytes for contents=%llu",
		    (unsigned long long)crec,
		    (unsigned long long)o->so_contents);
	/* cache_contents = MIN(bufsize, so_contents) fits in one record. */
	if (ST_MIN((uint64_t)KMEM_MAXBUF, o->so_contents) > crec)
		fz_fail("cache_contents over the contents record");
}

/* ------------------------------------------------------------------------
 * The target.
 */

typedef struct fz_result {
	st_options_t fr_opts;
	int fr_rc;                      /* ST_OPT_* */
	char fr_msg[ST_OPT_MSG_MAX];
} fz_result_t;

/* Parse e, checking the message. */
static void
fz_parse(const fz_env_t *e, fz_result_t *r)
{
	const fz_env_t *saved = fz_cur;

	memset(r, 0, sizeof (*r));
	fz_cur = e;
	r->fr_rc = st_options_parse(&r->fr_opts, st_os_getenv, r->fr_msg,
	    sizeof (r->fr_msg));
	fz_check_msg(r->fr_rc, r->fr_msg);
	fz_cur = saved;
}

/* Which fields of two parses differ, for the report. */
static void
fz_print_diff(const st_options_t *a, const st_options_t *b)
{
#define FZ_DIFF(f)      if (a->f != b->f) fprintf(stderr,               \
	"fuzz_options:   " #f ": %llu the first time, %llu the second\n", \
	(unsigned long long)a->f, (unsigned long long)b->f)
	FZ_DIFF(so_kmem_flags);
	FZ_DIFF(so_stack_depth);
	FZ_DIFF(so_contents);
	FZ_DIFF(so_maxverify);
	FZ_DIFF(so_firewall);
	FZ_DIFF(so_log_transaction);
	FZ_DIFF(so_log_contents);
	FZ_DIFF(so_log_fail);
	FZ_DIFF(so_log_slab);
	FZ_DIFF(so_noabort);
	FZ_DIFF(so_verbose);
	FZ_DIFF(so_catch_signals);
	FZ_DIFF(so_dump);
	FZ_DIFF(so_dump_content);
	FZ_DIFF(so_stats);
	FZ_DIFF(so_verify_exit);
	FZ_DIFF(so_sweep_ms);
#undef FZ_DIFF
	if (memcmp(a->so_dumpdir, b->so_dumpdir, sizeof (a->so_dumpdir)) != 0)
		fprintf(stderr, "fuzz_options:   so_dumpdir differs\n");
}

/* What a parse gave, for FUZZ_OPTIONS_ECHO=1. */
static void
fz_print_options(const st_options_t *o)
{
	fprintf(stderr, "fuzz_options: kmem_flags 0x%x stack_depth %u "
	    "contents %llu maxverify %llu firewall %llu\n"
	    "fuzz_options: logs: transaction %llu contents %llu fail %llu "
	    "slab %llu\n"
	    "fuzz_options: noabort %u verbose %u catch_signals %u dump %u "
	    "dump_content %u stats %u verify_exit %u sweep_ms %llu\n"
	    "fuzz_options: dumpdir '%s'\n", o->so_kmem_flags,
	    o->so_stack_depth, (unsigned long long)o->so_contents,
	    (unsigned long long)o->so_maxverify,
	    (unsigned long long)o->so_firewall,
	    (unsigned long long)o->so_log_transaction,
	    (unsigned long long)o->so_log_contents,
	    (unsigned long long)o->so_log_fail,
	    (unsigned long long)o->so_log_slab, o->so_noabort, o->so_verbose,
	    o->so_catch_signals, o->so_dump, o->so_dump_content, o->so_stats,
	    o->so_verify_exit, (unsigned long long)o->so_sweep_ms,
	    memchr(o->so_dumpdir, '\0', ST_DUMP_STRLEN) != NULL ?
	    o->so_dumpdir : "(not terminated)");
}

/*
 * The first mistake is the error, and only mistakes are errors (section 2):
 * the input's units, in the order the parser reads them, each parsed
 * alone.  At most FZ_UNIT_CHECKS units an input, so that long inputs stay
 * fast.
 */
#define FZ_UNIT_CHECKS  16

/*
 * Unit s[0..len) of variable i, alone: 1 if it is the first mistake (and
 * checked so), 0 if it is no mistake.
 */
static int
fz_check_unit(const fz_result_t *full, int i, const char *s, size_t len)
{
	static fz_result_t alone;
	size_t off = (size_t)(s - fz_input.fe_val[i]);
	fz_env_t e;

	memset(&e, 0, sizeof (e));
	fz_env_setvar(&e, i, s, len);
	fz_parse(&e, &alone);
	fz_env_free(&e);
	if (alone.fr_rc != ST_OPT_ERROR)
		return (0);
	if (full->fr_rc != ST_OPT_ERROR)
		fz_fail("%zu bytes at offset %zu of %s are an error alone, but "
		    "the whole input is not: %s", len, off, fz_names[i],
		    alone.fr_msg);
	if (strcmp(alone.fr_msg, full->fr_msg) != 0)
		fz_fail("the error is not the first mistake's (%zu bytes at "
		    "offset %zu of %s):\n  alone: %s  whole: %s", len, off,
		    fz_names[i], alone.fr_msg, full->fr_msg);
	return (1);
}

static void
fz_check_first_error(const fz_result_t *full)
{
	const fz_env_t *in = &fz_input;
	int i, checks = 1;

	if (in->fe_val[0] != NULL && in->fe_len[0] > 0 &&
	    fz_check_unit(full, 0, in->fe_val[0], in->fe_len[0]))
		return;
	for (i = 1; i < FZ_NVARS - 1; i++) {
		const char *s = in->fe_val[i], *w;

		if (s == NULL)
			continue;
		/* The words as st_opt_words cuts them. */
		while (*s != '\0') {
			while (*s == ',' || *s == ' ')
				s++;
			for (w = s; *s != '\0' && *s != ',' && *s != ' '; s++)
				continue;
			if (s == w)
				continue;
			if (checks++ >= FZ_UNIT_CHECKS)
				return;         /* cannot tell */
			if (fz_check_unit(full, i, w, (size_t)(s - w)))
				return;
		}
	}
	if (full->fr_rc == ST_OPT_ERROR)
		fz_fail("an error, but no part of the input is one alone: %s",
		    full->fr_msg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e = getenv("FUZZ_OPTIONS_ECHO");

	(void) argc;
	(void) argv;
	fz_echo = e != NULL && e[0] == '1';
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fz_result_t first, again;
	int echo = fz_echo;

	fz_env_from_input(&fz_input, data, size);

	fz_parse(&fz_input, &first);
	if (echo)
		fz_print_options(&first.fr_opts);
	if (first.fr_rc != ST_OPT_ERROR)
		fz_check_options(&first.fr_opts);
	if (first.fr_rc == ST_OPT_NOTICE && !(first.fr_opts.so_kmem_flags &
	    KMF_LITE))
		fz_fail("LITE's notice, and LITE is off: %s", first.fr_msg);

	fz_echo = 0;                    /* once is enough */
	fz_parse(&fz_input, &again);
	if (first.fr_rc != again.fr_rc ||
	    strcmp(first.fr_msg, again.fr_msg) != 0 ||
	    memcmp(&first.fr_opts, &again.fr_opts,
	    sizeof (first.fr_opts)) != 0) {
		fz_print_diff(&first.fr_opts, &again.fr_opts);
		fz_fail("a second parse of the same input differs (%d, then "
		    "%d)", first.fr_rc, again.fr_rc);
	}

	fz_check_first_error(&first);
	fz_echo = echo;

	fz_env_free(&fz_input);
	return (0);
}
