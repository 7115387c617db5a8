/*
 * fuzz_cmd.c: a libFuzzer target for the debugger's command language
 * (src/mdb/mdb.c: addresses and expressions, ",COUNT", "::dcmd ARGS",
 * "$c", "ADDR/FMT", quotes, ';') and every command's argument parsing
 * (src/mdb/cmds.c, kmlog.c).  The input is one line of commands, run on a
 * dump opened once (FUZZ_CMD_CORE, default the seed
 * tests/fuzz/corpus/core/threads_dupfree under ST_ROOT or the current
 * directory: headers and notes, no memory, so reads fail the way a
 * truncated dump's do) without symbols.  A line with '!' is cut there: the
 * shell is not ours to fuzz.  Output goes to /dev/null.
 *
 * tests/integration/fuzz_cmd.sh builds and runs it (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdb/mdb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mdb_tgt_t *fz_tgt;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_CMD_CORE"), *root = getenv("ST_ROOT");
	char buf[4096], err[1024];

	(void) argc;
	(void) argv;
	if (path == NULL) {
		(void) snprintf(buf, sizeof (buf), "%s%stests/fuzz/corpus/core/"
		    "threads_dupfree", root != NULL ? root : "",
		    root != NULL ? "/" : "");
		path = buf;
	}
	if ((fz_tgt = mdb_tgt_open_core(path, NULL, err, sizeof (err))) ==
	    NULL) {
		(void) fprintf(stderr, "fuzz_cmd: %s: %s\n", path, err);
		exit(1);
	}
	if (freopen("/dev/null", "w", stdout) == NULL)
		exit(1);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *bang;

	if (line == NULL)
		return (0);
	memcpy(line, data, size);
	line[size] = '\0';
	if ((bang = strchr(line, '!')) != NULL)
		*bang = '\0';
	(void) mdb_run_line(fz_tgt, line);
	mdb_quit_requested = false;
	free(line);
	return (0);
}
