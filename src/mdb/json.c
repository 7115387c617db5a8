/*
 * json.c: the debugger's JSON output (-o json on the command line, -j
 * among a command's arguments).
 *
 * 1. Why.  A table made for eyes and `cut` is a poor interface for a CI
 *    system or a script: columns move, names have spaces, a header
 *    line must be skipped.  Every command that prints a table or a
 *    record (MDB_DC_JSON in its mdb_dcmds[] row) can instead print one
 *    JSON value, with one stable schema documented in slabtrace-mdb(1):
 *    a table is an array of objects whose keys are its columns'
 *    names in snake_case; a record is an object.  Addresses are strings
 *    "0x..." (JSON numbers lose precision above 2^53), counts and sizes
 *    are numbers.
 *
 * 2. The writer.  A stack of open containers, each knowing whether it
 *    has had a member (for the commas).  mj_begin opens one, mj_end
 *    closes it; closing the outermost prints a newline, so that each
 *    command's output is one line of JSON (jq and `json.loads` per line
 *    both work).  Keys are given inside objects and are NULL inside
 *    arrays.  Strings are escaped per RFC 8259: quote, backslash, and
 *    every control character; bytes above 0x7f pass through (a name
 *    in the target is whatever bytes it holds: a byte that is not
 *    valid UTF-8 is written as \u00XX of its value, so the output
 *    always parses).
 *
 * 3. Misuse.  Nesting deeper than MJ_MAXDEPTH or an mj_end too many is
 *    a bug in a command; it is ignored rather than crashing, and the
 *    output may then not parse (the golden tests parse every command's).
 */
#include <inttypes.h>
#include <stdio.h>

#include "mdb.h"

#define	MJ_MAXDEPTH	32

bool mdb_json;

static int mj_depth;			/* open containers */
static char mj_close[MJ_MAXDEPTH];	/* '}' or ']' for each */
static bool mj_had[MJ_MAXDEPTH];	/* has a member already */

/* The length of a valid UTF-8 sequence at s (of at most n bytes), or 0. */
static size_t
mj_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	return (len);
}

static void
mj_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0, u;

	while (s[n] != '\0')
		n++;
	(void) putchar('"');
	while (n > 0) {
		if (*s == '"' || *s == '\\') {
			(void) printf("\\%c", *s);
		} else if (*s == '\n') {
			(void) fputs("\\n", stdout);
		} else if (*s == '\t') {
			(void) fputs("\\t", stdout);
		} else if (*s < 0x20 || *s == 0x7f) {
			(void) printf("\\u%04x", *s);
		} else if (*s >= 0x80) {
			if ((u = mj_utf8_len(s, n)) == 0) {
				(void) printf("\\u%04x", *s);
			} else {
				(void) fwrite(s, 1, u, stdout);
				s += u;
				n -= u;
				continue;
			}
		} else {
			(void) putchar(*s);
		}
		s++;
		n--;
	}
	(void) putchar('"');
}

/* The comma and the key before a member. */
static void
mj_member(const char *key)
{
	if (mj_depth > 0) {
		if (mj_had[mj_depth - 1])
			(void) putchar(',');
		mj_had[mj_depth - 1] = true;
		if (key != NULL && mj_close[mj_depth - 1] == '}') {
			mj_string(key);
			(void) putchar(':');
		}
	}
}

void
mj_begin(char open, const char *key)
{
	if (mj_depth >= MJ_MAXDEPTH)
		return;
	mj_member(key);
	(void) putchar(open == '[' ? '[' : '{');
	mj_close[mj_depth] = open == '[' ? ']' : '}';
	mj_had[mj_depth] = false;
	mj_depth++;
}

void
mj_end(void)
{
	if (mj_depth == 0)
		return;
	mj_depth--;
	(void) putchar(mj_close[mj_depth]);
	if (mj_depth == 0)
		(void) putchar('\n');
}

void
mj_str(const char *key, const char *s)
{
	mj_member(key);
	if (s == NULL)
		(void) fputs("null", stdout);
	else
		mj_string(s);
}

void
mj_u64(const char *key, uint64_t v)
{
	mj_member(key);
	(void) printf("%" PRIu64, v);
}

void
mj_i64(const char *key, int64_t v)
{
	mj_member(key);
	(void) printf("%" PRId64, v);
}

void
mj_addr(const char *key, uint64_t v)
{
	mj_member(key);
	(void) printf("\"0x%" PRIx64 "\"", v);
}

void
mj_bool(const char *key, bool v)
{
	mj_member(key);
	(void) fputs(v ? "true" : "false", stdout);
}

void
mj_null(const char *key)
{
	mj_member(key);
	(void) fputs("null", stdout);
}

/* A command ended (or failed) with containers open: close them. */
void
mj_reset(void)
{
	while (mj_depth > 0)
		mj_end();
}
