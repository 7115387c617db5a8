/*
 * test_options.c: unit test of the option parser, st_options_parse()
 * (options.c), through a getenv of its own.
 *
 * Each case is an environment and what must come of it: ST_OPT_OK with no
 * message, ST_OPT_NOTICE with one line (LITE dropped something), or
 * ST_OPT_ERROR with one line naming the variable and the bad text, saying
 * the program is not started.  Also: the first error is the only one
 * (a later bad word, or a bad word in a later variable, changes nothing);
 * a long bad word is cut and the line still ends as it must; the flags
 * the kernel's rules give (CONTENTS brings AUDIT and REDZONE, LITE drops
 * FIREWALL); and that parsing never touches st_opts, the running
 * allocator's own options.
 */
#include <string.h>

#include "../check.h"
#include "slabtrace_impl.h"

#define NVARS   6

static const char *t_env[NVARS][2];     /* name, value */

static const char *
t_getenv(const char *name)
{
	int i;

	for (i = 0; i < NVARS && t_env[i][0] != NULL; i++) {
		if (strcmp(t_env[i][0], name) == 0)
			return (t_env[i][1]);
	}
	return (NULL);
}

/* "VAR=value" strings, up to NVARS of them, then NULL. */
static int
t_parse(st_options_t *so, char *msg, const char *const *vars)
{
	int i;

	memset(t_env, 0, sizeof (t_env));
	for (i = 0; i < NVARS && vars[i] != NULL; i++) {
		static char names[NVARS][32];
		const char *eq = strchr(vars[i], '=');

		REQUIRE(eq != NULL && (size_t)(eq - vars[i]) < sizeof (names[0]));
		memcpy(names[i], vars[i], (size_t)(eq - vars[i]));
		names[i][eq - vars[i]] = '\0';
		t_env[i][0] = names[i];
		t_env[i][1] = eq + 1;
	}
	return (st_options_parse(so, t_getenv, msg, ST_OPT_MSG_MAX));
}

/* A message is one line: "slabtrace: ", printable, one '\n' at the end. */
static int
t_one_line(const char *msg)
{
	size_t n = strlen(msg), i;

	if (n < 12 || strncmp(msg, "slabtrace: ", 11) != 0 ||
	    msg[n - 1] != '\n')
		return (0);
	for (i = 0; i + 1 < n; i++) {
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] >= 0x7f)
			return (0);
	}
	return (1);
}

typedef struct t_case {
	const char *tc_vars[4];
	int tc_rc;
	const char *tc_want[3];         /* substrings of the message */
} t_case_t;

static const t_case_t t_cases[] = {
	{ { NULL }, ST_OPT_OK, { NULL } },
	{ { "KMEM_FLAGS=", "UMEM_DEBUG=", "UMEM_OPTIONS=,, ,", NULL },
	    ST_OPT_OK, { NULL } },
	{ { "KMEM_FLAGS=0x1f", "UMEM_LOGGING=transaction=1M,fail", NULL },
	    ST_OPT_OK, { NULL } },
	{ { "UMEM_DEBUG=default,verbose,firewall=4k", NULL }, ST_OPT_OK,
	    { NULL } },
	{ { "KMEM_FLAGS=banana", NULL }, ST_OPT_ERROR,
	    { "slabtrace: KMEM_FLAGS: 'banana' is not a number",
	    "valid bits: AUDIT 0x1", "LITE 0x100; not starting the program\n" } },
	{ { "KMEM_FLAGS=0x10000", NULL }, ST_OPT_ERROR,
	    { "slabtrace: KMEM_FLAGS: unknown bits 0x10000 in '0x10000'",
	    "not starting the program", NULL } },
	{ { "KMEM_FLAGS=0x100000000", NULL }, ST_OPT_ERROR,
	    { "unknown bits 0x100000000", NULL } },
	{ { "KMEM_FLAGS=0xf ", NULL }, ST_OPT_ERROR,
	    { "'0xf ' is not a number", NULL } },
	{ { "UMEM_DEBUG=banana", NULL }, ST_OPT_ERROR,
	    { "slabtrace: UMEM_DEBUG: unknown word 'banana'; valid: default "
	    "audit[=frames]", "; not starting the program\n", NULL } },
	{ { "UMEM_DEBUG=audit=zz", NULL }, ST_OPT_ERROR,
	    { "UMEM_DEBUG: bad value in 'audit=zz'", NULL } },
	{ { "UMEM_DEBUG=audit=65", NULL }, ST_OPT_ERROR,
	    { "UMEM_DEBUG: value over 64 in 'audit=65'", NULL } },
	{ { "UMEM_DEBUG=maxverify", NULL }, ST_OPT_ERROR,
	    { "UMEM_DEBUG: missing value for 'maxverify'", NULL } },
	{ { "UMEM_DEBUG=firewall", NULL }, ST_OPT_OK, { NULL } },
	{ { "UMEM_DEBUG=lite=1", NULL }, ST_OPT_ERROR,
	    { "UMEM_DEBUG: no value may follow 'lite=1'", NULL } },
	{ { "UMEM_DEBUG=noabort=1", NULL }, ST_OPT_ERROR,
	    { "UMEM_DEBUG: no value may follow 'noabort=1'", NULL } },
	{ { "UMEM_LOGGING=transaction=1Q", NULL }, ST_OPT_ERROR,
	    { "UMEM_LOGGING: bad value in 'transaction=1Q'; valid: "
	    "transaction[=size]", NULL } },
	{ { "UMEM_LOGGING=transaction=65G", NULL }, ST_OPT_ERROR,
	    { "value over 68719476736 in 'transaction=65G'", NULL } },
	{ { "UMEM_OPTIONS=sweep=99999999", NULL }, ST_OPT_ERROR,
	    { "UMEM_OPTIONS: value over 3600000 in 'sweep=99999999'", NULL } },
	{ { "UMEM_OPTIONS=dump=some", NULL }, ST_OPT_ERROR,
	    { "UMEM_OPTIONS: bad value in 'dump=some'", NULL } },
	{ { "UMEM_OPTIONS=dumpdir=", NULL }, ST_OPT_ERROR,
	    { "UMEM_OPTIONS: missing value for 'dumpdir='", NULL } },
	{ { "SLABTRACE_STATS=yes", NULL }, ST_OPT_ERROR,
	    { "SLABTRACE_STATS: unknown word 'yes'; valid: 1 0;", NULL } },
	{ { "UMEM_DEBUG=\x01\\'x", NULL }, ST_OPT_ERROR,
	    { "unknown word '\\x01\\x5c\\x27x'", NULL } },
	/* The first error only. */
	{ { "UMEM_DEBUG=default,banana,apple", NULL }, ST_OPT_ERROR,
	    { "'banana'", NULL } },
	{ { "KMEM_FLAGS=zz", "UMEM_DEBUG=banana", NULL }, ST_OPT_ERROR,
	    { "KMEM_FLAGS: 'zz'", NULL } },
	{ { "UMEM_OPTIONS=pear", "UMEM_DEBUG=banana", NULL }, ST_OPT_ERROR,
	    { "UMEM_DEBUG: unknown word 'banana'", NULL } },
	/* What LITE drops. */
	{ { "KMEM_FLAGS=0x140", NULL }, ST_OPT_NOTICE,
	    { "slabtrace: KMEM_FLAGS=0x140: LITE excludes AUDIT, CONTENTS and "
	    "FIREWALL: FIREWALL dropped\n", NULL } },
	{ { "KMEM_FLAGS=0x10f", NULL }, ST_OPT_NOTICE,
	    { ": AUDIT and CONTENTS dropped\n", NULL } },
	{ { "UMEM_DEBUG=lite,firewall=8", NULL }, ST_OPT_NOTICE,
	    { "slabtrace: UMEM_DEBUG: LITE excludes", "FIREWALL dropped\n",
	    NULL } },
	{ { "KMEM_FLAGS=0x100", "UMEM_DEBUG=audit", NULL }, ST_OPT_NOTICE,
	    { "KMEM_FLAGS=0x100 with UMEM_DEBUG: ", ": AUDIT dropped\n",
	    NULL } },
	{ { "UMEM_DEBUG=lite", NULL }, ST_OPT_OK, { NULL } },
	{ { "KMEM_FLAGS=0x8", NULL }, ST_OPT_OK, { NULL } },
	{ { "KMEM_FLAGS=0x2", NULL }, ST_OPT_OK, { NULL } },
};

static void
t_cases_run(void)
{
	char msg[ST_OPT_MSG_MAX];
	st_options_t so;
	size_t i, j;

	for (i = 0; i < sizeof (t_cases) / sizeof (t_cases[0]); i++) {
		const t_case_t *tc = &t_cases[i];
		int rc = t_parse(&so, msg, tc->tc_vars);

		CHECKF(rc == tc->tc_rc, "case %zu (%s): rc %d, expected %d: %s",
		    i, tc->tc_vars[0] != NULL ? tc->tc_vars[0] : "none", rc,
		    tc->tc_rc, msg);
		if (tc->tc_rc == ST_OPT_OK) {
			CHECKF(msg[0] == '\0', "case %zu: a message: %s", i,
			    msg);
			continue;
		}
		CHECKF(t_one_line(msg), "case %zu: not one line: %s", i, msg);
		CHECKF((strstr(msg, "not starting the program") != NULL) ==
		    (tc->tc_rc == ST_OPT_ERROR), "case %zu: %s", i, msg);
		for (j = 0; j < 3 && tc->tc_want[j] != NULL; j++)
			CHECKF(strstr(msg, tc->tc_want[j]) != NULL,
			    "case %zu: no \"%s\" in: %s", i, tc->tc_want[j],
			    msg);
	}
}

/* A bad word of 1000 bytes: 64 of them echoed, and the line still ends. */
static void
t_long_word(void)
{
	static char val[1100];
	const char *vars[2] = { val, NULL };
	char msg[ST_OPT_MSG_MAX];
	st_options_t so;

	memset(val, 'b', sizeof (val) - 1);
	memcpy(val, "UMEM_OPTIONS=", 13);
	CHECK(t_parse(&so, msg, vars) == ST_OPT_ERROR);
	CHECKF(t_one_line(msg), "%s", msg);
	CHECKF(strstr(msg, "bbbb...'; valid: ") != NULL, "%s", msg);
	CHECKF(strstr(msg, "; not starting the program\n") != NULL, "%s", msg);
}

/* The flags the kernel's rules leave. */
static void
t_flags(void)
{
	const char *contents[] = { "KMEM_FLAGS=0x8", NULL };
	const char *litefw[] = { "KMEM_FLAGS=0x140", NULL };
	const char *umemfw[] = { "UMEM_DEBUG=guards,firewall=4096", NULL };
	char msg[ST_OPT_MSG_MAX];
	st_options_t so;

	(void) t_parse(&so, msg, contents);
	CHECKF(so.so_kmem_flags == (KMF_CONTENTS | KMF_AUDIT | KMF_REDZONE),
	    "0x8 gave 0x%x", so.so_kmem_flags);
	CHECK(so.so_log_transaction != 0 && so.so_log_contents != 0);
	(void) t_parse(&so, msg, litefw);
	CHECKF(so.so_kmem_flags == KMF_LITE, "0x140 gave 0x%x",
	    so.so_kmem_flags);
	CHECK(so.so_firewall == UINT64_MAX);
	(void) t_parse(&so, msg, umemfw);
	CHECK(so.so_kmem_flags & KMF_FIREWALL);
	CHECK(so.so_firewall == 4096);
}

int
main(void)
{
	st_options_t before = st_opts;

	t_cases_run();
	t_long_word();
	t_flags();
	CHECK(memcmp(&before, &st_opts, sizeof (before)) == 0);
	return (check_status());
}
