/*
 * slabtrace.c: the slabtrace command.
 *
 * 1. What it is
 *
 * A small front end to the allocator.  Each subcommand is one row of
 * commands[] below (name, function, synopsis, one line of help); the
 * function gets the subcommand's own argc/argv (argv[0] is its name) and
 * returns the process exit status.  Adding a subcommand (e.g. `mdb`) means
 * writing its function and adding one row.
 *
 * 2. `slabtrace run`
 *
 * Runs a program with libslabtrace.so preloaded, so that its malloc family
 * is ours.  The library is looked for, in this order:
 *
 *	DIR/libslabtrace.so          where DIR holds this executable
 *	                             (the build tree: build/slabtrace)
 *	DIR/../lib/libslabtrace.so   the installed layout
 *	                             (PREFIX/bin/slabtrace, PREFIX/lib/...)
 *	SLABTRACE_LIBDIR/libslabtrace.so   if compiled with
 *	                             -DSLABTRACE_LIBDIR="..."
 *
 * The library is prepended to any LD_PRELOAD already set.  The debugging
 * controls (-f, --debug, --logging, --options) are rows of run_options[]:
 * each just sets one environment variable that the library reads at start
 * up.  It also sets SLABTRACE_RUN=1, which makes the library turn fatal
 * signals into panics that leave a crash dump (vmcore.N), as it does when
 * debugging is on, and SLABTRACE_SYMBOLIZER to this executable, whose
 * `symbolize` gives the reports' stacks their file:line (unless set).
 *
 * Before the program starts, the variables it will see (set here or
 * inherited) go through the library's own parser, st_options_parse
 * (src/options.c is linked in, over shim.c): a bad value is refused with
 * the library's one line and status 2, and the program never runs; what
 * the kernel's rules drop (LITE with FIREWALL) is said once, here, and
 * SLABTRACE_NOTED=1 keeps the library and the program's children from
 * saying it again.  Two programs need a word before they run (one line
 * each, and they run): a statically linked one, whose malloc LD_PRELOAD
 * cannot replace (unless libslabtrace.a is in it), and python, whose
 * pymalloc keeps most objects from malloc: PYTHONMALLOC=malloc is set for
 * it unless already set.
 *
 * 3. Exit status
 *
 * Like a shell: 127 if the program or the library cannot be found, 126 if
 * the program cannot be executed, 2 for a usage error (a bad debugging
 * variable is one); otherwise the program's own status, since we exec it.
 *
 * This command is not linked with the allocator: it runs on the C
 * library's malloc.  Of the library's sources only options.c is linked
 * in, over shim.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* setenv, realpath, readlink */
#endif

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>	/* ElfW */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "slabtrace_impl.h"	/* st_options_parse (options.c) */

#ifndef SLABTRACE_VERSION
#define SLABTRACE_VERSION "0.1"
#endif

#define LIBNAME		"libslabtrace.so"

#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NOEXEC	126	/* found but could not be executed */
#define EXIT_NOTFOUND	127	/* program or library not found */

static const char *progname = "slabtrace";

/*
 * ----------------------------------------------------------------------
 * Messages.
 */

static void
errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
errmsg(const char *fmt, ...)
{
	va_list ap;

	(void) fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	(void) vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void) fputc('\n', stderr);
}

/*
 * ----------------------------------------------------------------------
 * The subcommand table.
 */

typedef int subcmd_fn_t(int argc, char **argv);

typedef struct subcmd {
	const char *sc_name;		/* as typed: `slabtrace NAME` */
	subcmd_fn_t *sc_func;		/* returns the exit status */
	const char *sc_synopsis;	/* arguments after the name */
	const char *sc_help;		/* one line */
} subcmd_t;

static int cmd_run(int, char **);
static int cmd_help(int, char **);
static int cmd_version(int, char **);

static const subcmd_t commands[] = {
	{ "run", cmd_run, "[OPTIONS] [--] PROGRAM [ARGS...]",
	    "run PROGRAM with libslabtrace.so preloaded" },
	{ "symbolize", cmd_symbolize,
	    "[-v] [--debuginfod] [-e MODULE [ADDR...]]",
	    "code addresses to functions, files and lines (addr2line -Cfi)" },
	{ "mdb", cmd_mdb, "[-e CMDS] ([PROGRAM] (N | DUMP) | [-S] -p PID)",
	    "debug a crash dump vmcore.N or a live process (mdb's commands)" },
	{ "help", cmd_help, "[COMMAND]",
	    "show this help, or the options of COMMAND" },
	{ "version", cmd_version, "",
	    "print the version" },
	{ NULL, NULL, NULL, NULL }
};

static const subcmd_t *
subcmd_lookup(const char *name)
{
	const subcmd_t *sc;

	for (sc = commands; sc->sc_name != NULL; sc++) {
		if (strcmp(sc->sc_name, name) == 0)
			return (sc);
	}
	return (NULL);
}

/*
 * ----------------------------------------------------------------------
 * The option table of `run`.
 *
 * An option with ro_env set takes a value and exports it as that
 * variable; one without is handled by name in run_parse().
 */

typedef struct run_option {
	char ro_short;			/* -X, or 0 for none */
	const char *ro_long;		/* --NAME, or NULL for none */
	const char *ro_arg;		/* value's name in help, NULL: none */
	const char *ro_env;		/* variable the value is put in */
	const char *ro_help;
} run_option_t;

static const run_option_t run_options[] = {
	{ 'f', "flags", "FLAGS", "KMEM_FLAGS",
	    "debugging flags for every cache, e.g. 0xf" },
	{ 0, "debug", "WORDS", "UMEM_DEBUG",
	    "libumem-style debugging words, e.g. default,verbose" },
	{ 0, "logging", "WORDS", "UMEM_LOGGING",
	    "libumem-style logging words, e.g. transaction,fail" },
	{ 0, "options", "WORDS", "UMEM_OPTIONS",
	    "libumem-style tuning words" },
	{ 0, "leaks", NULL, NULL,
	    "check for leaks at exit: status 23 if any (adds leakcheck to "
	    "UMEM_OPTIONS)" },
	{ 'h', "help", NULL, NULL,
	    "show this help" },
	{ 0, NULL, NULL, NULL, NULL }
};

static const run_option_t *
run_option_short(char c)
{
	const run_option_t *ro;

	for (ro = run_options; ro->ro_help != NULL; ro++) {
		if (ro->ro_short != 0 && ro->ro_short == c)
			return (ro);
	}
	return (NULL);
}

/* Match "--NAME" or "--NAME=VALUE"; *valuep gets VALUE or NULL. */
static const run_option_t *
run_option_long(const char *arg, const char **valuep)
{
	const run_option_t *ro;
	const char *eq = strchr(arg, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

	*valuep = eq != NULL ? eq + 1 : NULL;
	for (ro = run_options; ro->ro_help != NULL; ro++) {
		if (ro->ro_long != NULL && strlen(ro->ro_long) == len &&
		    strncmp(ro->ro_long, arg, len) == 0)
			return (ro);
	}
	return (NULL);
}

/*
 * ----------------------------------------------------------------------
 * Usage.
 */

static void
usage_run_options(FILE *fp)
{
	const run_option_t *ro;
	char left[64];

	for (ro = run_options; ro->ro_help != NULL; ro++) {
		if (ro->ro_short != 0 && ro->ro_long != NULL) {
			(void) snprintf(left, sizeof (left), "-%c, --%s%s%s",
			    ro->ro_short, ro->ro_long,
			    ro->ro_arg != NULL ? "=" : "",
			    ro->ro_arg != NULL ? ro->ro_arg : "");
		} else if (ro->ro_long != NULL) {
			(void) snprintf(left, sizeof (left), "    --%s%s%s",
			    ro->ro_long, ro->ro_arg != NULL ? "=" : "",
			    ro->ro_arg != NULL ? ro->ro_arg : "");
		} else {
			(void) snprintf(left, sizeof (left), "-%c%s%s",
			    ro->ro_short, ro->ro_arg != NULL ? " " : "",
			    ro->ro_arg != NULL ? ro->ro_arg : "");
		}
		(void) fprintf(fp, "  %-24s %s", left, ro->ro_help);
		if (ro->ro_env != NULL)
			(void) fprintf(fp, " (sets %s)", ro->ro_env);
		(void) fputc('\n', fp);
	}
}

static void
usage(FILE *fp)
{
	const subcmd_t *sc;

	(void) fprintf(fp,
	    "usage: %s COMMAND [ARGS...]\n"
	    "       %s --help | --version\n"
	    "\n"
	    "commands:\n", progname, progname);
	for (sc = commands; sc->sc_name != NULL; sc++)
		(void) fprintf(fp, "  %-10s %s\n", sc->sc_name, sc->sc_help);
	(void) fprintf(fp, "\nRun '%s help COMMAND' for a command's options.\n",
	    progname);
}

static void
usage_cmd(FILE *fp, const subcmd_t *sc)
{
	(void) fprintf(fp, "usage: %s %s%s%s\n", progname, sc->sc_name,
	    sc->sc_synopsis[0] != '\0' ? " " : "", sc->sc_synopsis);
	(void) fprintf(fp, "%s.\n", sc->sc_help);
	if (sc->sc_func == cmd_run) {
		(void) fprintf(fp, "\noptions:\n");
		usage_run_options(fp);
	}
	if (sc->sc_func == cmd_symbolize)
		symbolize_usage(fp);
	if (sc->sc_func == cmd_mdb)
		mdb_usage(fp);
}

static int
cmd_help(int argc, char **argv)
{
	const subcmd_t *sc;

	if (argc < 2) {
		usage(stdout);
		return (EXIT_SUCCESS);
	}
	if ((sc = subcmd_lookup(argv[1])) == NULL) {
		errmsg("unknown command '%s' (try '%s help')", argv[1],
		    progname);
		return (EXIT_USAGE);
	}
	usage_cmd(stdout, sc);
	return (EXIT_SUCCESS);
}

static int
cmd_version(int argc, char **argv)
{
	(void) argc;
	(void) argv;
	(void) printf("%s %s\n", progname, SLABTRACE_VERSION);
	return (EXIT_SUCCESS);
}

/*
 * ----------------------------------------------------------------------
 * `run`: finding the library.
 */

/* The directory holding this executable, into dir[size]; 0 or -1. */
static int
self_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= size - 1)
		return (-1);
	dir[n] = '\0';
	if ((slash = strrchr(dir, '/')) == NULL)
		return (-1);
	if (slash == dir)
		slash[1] = '\0';	/* the executable is in "/" */
	else
		*slash = '\0';
	return (0);
}

/*
 * Try DIR/SUB/libslabtrace.so.  On success the canonical path is in
 * path[PATH_MAX] and 0 is returned.  What was tried is appended to
 * looked[lsize] for the error message.
 */
static int
lib_try(const char *dir, const char *sub, char *path, char *looked,
    size_t lsize)
{
	char cand[PATH_MAX];
	size_t used = strlen(looked);
	int n;

	n = snprintf(cand, sizeof (cand), "%s%s%s/%s", dir,
	    sub[0] != '\0' ? "/" : "", sub, LIBNAME);
	if (n < 0 || (size_t)n >= sizeof (cand))
		return (-1);
	(void) snprintf(looked + used, lsize - used, "%s%s",
	    used > 0 ? ", " : "", cand);
	if (access(cand, R_OK) != 0 || realpath(cand, path) == NULL)
		return (-1);
	return (0);
}

static int
lib_find(char *path)
{
	char dir[PATH_MAX];
	char looked[3 * PATH_MAX + 16] = "";

	if (self_dir(dir, sizeof (dir)) == 0) {
		if (lib_try(dir, "", path, looked, sizeof (looked)) == 0 ||
		    lib_try(dir, "../lib", path, looked, sizeof (looked)) == 0)
			return (0);
	}
#ifdef SLABTRACE_LIBDIR
	if (lib_try(SLABTRACE_LIBDIR, "", path, looked, sizeof (looked)) == 0)
		return (0);
#endif
	errmsg("cannot find %s (looked in %s)", LIBNAME,
	    looked[0] != '\0' ? looked : "nowhere: /proc/self/exe unreadable");
	return (-1);
}

/* Put lib in front of LD_PRELOAD.  0 or -1 (message printed). */
static int
preload_set(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	size_t llen = strlen(lib), olen;

	/* ld.so splits LD_PRELOAD at both, and has no escape for either. */
	if (strpbrk(lib, ": \t") != NULL) {
		errmsg("%s: a path with a colon or blank cannot go in "
		    "LD_PRELOAD", lib);
		return (-1);
	}
	if (old == NULL || old[0] == '\0')
		return (setenv("LD_PRELOAD", lib, 1));

	olen = strlen(old);
	if ((val = malloc(llen + 1 + olen + 1)) == NULL) {
		errmsg("out of memory");
		return (-1);
	}
	(void) memcpy(val, lib, llen);
	val[llen] = ':';
	(void) memcpy(val + llen + 1, old, olen + 1);
	if (setenv("LD_PRELOAD", val, 1) != 0) {
		free(val);
		errmsg("cannot set LD_PRELOAD: %s", strerror(errno));
		return (-1);
	}
	free(val);
	return (0);
}

/*
 * ----------------------------------------------------------------------
 * `run`: options and exec.
 */

/* The option as typed, without any "=VALUE" or attached value. */
static const char *
ro_display(const run_option_t *ro, const char *arg)
{
	static char buf[64];

	if (arg[1] == '-')
		(void) snprintf(buf, sizeof (buf), "--%s", ro->ro_long);
	else
		(void) snprintf(buf, sizeof (buf), "-%c", ro->ro_short);
	return (buf);
}

/* Apply one option with its value (NULL if it takes none). */
/* --leaks: "leakcheck" appended to UMEM_OPTIONS (the library's word). */
static int
run_leaks(void)
{
	const char *old = getenv("UMEM_OPTIONS");
	char buf[4096];

	if (old == NULL || old[0] == '\0')
		old = NULL;
	if (snprintf(buf, sizeof (buf), "%s%sleakcheck", old != NULL ? old :
	    "", old != NULL ? "," : "") >= (int)sizeof (buf) ||
	    setenv("UMEM_OPTIONS", buf, 1) != 0) {
		errmsg("cannot set UMEM_OPTIONS: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

static int run_want_leaks;		/* --leaks: after --options */

static int
run_apply(const run_option_t *ro, const char *name, const char *value)
{
	if (ro->ro_env == NULL && strcmp(ro->ro_long, "leaks") == 0) {
		run_want_leaks = 1;
		return (0);
	}
	if (ro->ro_env == NULL) {
		/* The other option without a variable is --help. */
		usage_cmd(stdout, subcmd_lookup("run"));
		exit(EXIT_SUCCESS);
	}
	if (value == NULL || value[0] == '\0') {
		errmsg("run: option '%s' needs a value (%s)", name,
		    ro->ro_arg);
		return (-1);
	}
	if (setenv(ro->ro_env, value, 1) != 0) {
		errmsg("cannot set %s: %s", ro->ro_env, strerror(errno));
		return (-1);
	}
	return (0);
}

static int
run_badopt(const char *arg)
{
	errmsg("run: unknown option '%s' (try '%s help run')", arg, progname);
	return (-1);
}

/*
 * Parse the options of `run`, setting their variables.  Returns the index
 * of PROGRAM in argv, or -1 on a usage error (message printed).  Accepts
 * -f VALUE, -fVALUE, --name=VALUE and --name VALUE.
 */
static int
run_parse(int argc, char **argv)
{
	const run_option_t *ro;
	const char *value;
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0)
			return (i + 1);
		if (arg[0] != '-' || arg[1] == '\0')
			return (i);		/* PROGRAM; "-" is one too */

		if (arg[1] == '-') {
			if ((ro = run_option_long(arg + 2, &value)) == NULL)
				return (run_badopt(arg));
			if (ro->ro_arg == NULL && value != NULL) {
				errmsg("run: option '--%s' takes no value",
				    ro->ro_long);
				return (-1);
			}
		} else {
			if ((ro = run_option_short(arg[1])) == NULL)
				return (run_badopt(arg));
			value = arg[2] != '\0' ? arg + 2 : NULL;
			if (ro->ro_arg == NULL && value != NULL)
				return (run_badopt(arg));
		}
		if (ro->ro_arg != NULL && value == NULL) {
			if (i + 1 >= argc) {
				errmsg("run: option '%s' needs a value (%s)",
				    arg, ro->ro_arg);
				return (-1);
			}
			value = argv[++i];
		}
		if (run_apply(ro, ro_display(ro, arg), value) != 0)
			return (-1);
	}
	return (i);
}

/*
 * ----------------------------------------------------------------------
 * `run`: what the program will meet (section 2).
 */

static const char *
run_getenv(const char *name)
{
	return (getenv(name));
}

/* The variables, through the library's parser.  0, or -1 (refused). */
static int
run_check_env(void)
{
	st_options_t so;
	char msg[ST_OPT_MSG_MAX];
	const char *noted = getenv(ST_NOTED_VAR);

	switch (st_options_parse(&so, run_getenv, msg, sizeof (msg))) {
	case ST_OPT_ERROR:
		(void) fputs(msg, stderr);
		return (-1);
	case ST_OPT_NOTICE:
		if (noted == NULL || noted[0] == '\0')
			(void) fputs(msg, stderr);
		/* If this fails, the library says it again: no harm. */
		(void) setenv(ST_NOTED_VAR, "1", 1);
		break;
	default:
		break;
	}
	return (0);
}

/*
 * The file execvp(prog) runs, into path[PATH_MAX]: prog if it has a slash,
 * else the first executable regular file of that name in PATH (an empty
 * entry is the current directory; no PATH is "/bin:/usr/bin", as glibc).
 * 0, or -1 if there is none.
 */
static int
run_resolve(const char *prog, char *path)
{
	const char *dirs = getenv("PATH"), *p, *end;
	struct stat st;
	int n;

	if (strchr(prog, '/') != NULL) {
		n = snprintf(path, PATH_MAX, "%s", prog);
		return (n > 0 && n < PATH_MAX ? 0 : -1);
	}
	if (prog[0] == '\0')
		return (-1);
	if (dirs == NULL)
		dirs = "/bin:/usr/bin";
	for (p = dirs; ; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		n = snprintf(path, PATH_MAX, "%.*s%s%s", (int)(end - p), p,
		    end > p ? "/" : "", prog);
		if (n > 0 && n < PATH_MAX && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return (0);
		if (*end == '\0')
			return (-1);
	}
}

/* Does the file hold needle (a string of the library's)?  Read in pieces. */
static int
file_contains(FILE *fp, const char *needle)
{
	char buf[65536];
	size_t nlen = strlen(needle), keep = 0, n;

	if (fseek(fp, 0, SEEK_SET) != 0)
		return (0);
	while ((n = fread(buf + keep, 1, sizeof (buf) - keep, fp)) > 0) {
		n += keep;
		if (memmem(buf, n, needle, nlen) != NULL)
			return (1);
		keep = n < nlen - 1 ? n : nlen - 1;
		(void) memmove(buf, buf + n - keep, keep);
	}
	return (0);
}

/*
 * Is path an ELF executable of ours (native class and byte order) with no
 * PT_INTERP, so that no dynamic linker reads LD_PRELOAD for it (static,
 * or static-pie)?  One that holds the library itself (linked with
 * libslabtrace.a; it reads SLABTRACE_NOTED at start-up) is checked as it
 * is, so it does not count.  Anything else, a script included: no.
 */
static int
run_is_static(const char *path)
{
	FILE *fp = fopen(path, "rb");
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	int i, interp = 0, nointerp;

	if (fp == NULL)
		return (0);
	if (fread(&eh, sizeof (eh), 1, fp) != 1 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != (sizeof (void *) == 8 ? ELFCLASS64 :
	    ELFCLASS32) ||
	    eh.e_ident[EI_DATA] != (__BYTE_ORDER__ ==
	    __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    eh.e_phentsize != sizeof (ph) || eh.e_phnum == 0 ||
	    eh.e_phnum == PN_XNUM) {
		(void) fclose(fp);
		return (0);
	}
	for (i = 0; i < eh.e_phnum && !interp; i++) {
		if (fseek(fp, (long)(eh.e_phoff + (ElfW(Off))i * sizeof (ph)),
		    SEEK_SET) != 0 || fread(&ph, sizeof (ph), 1, fp) != 1) {
			(void) fclose(fp);
			return (0);
		}
		interp = ph.p_type == PT_INTERP;
	}
	nointerp = !interp && !file_contains(fp, ST_NOTED_VAR);
	(void) fclose(fp);
	return (nointerp);
}

/* python, python3, python3.12: a name of the interpreter's. */
static int
is_python_name(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base != NULL ? base + 1 : name;
	if (strncmp(base, "python", 6) != 0)
		return (0);
	for (base += 6; *base != '\0'; base++) {
		if ((*base < '0' || *base > '9') && *base != '.')
			return (0);
	}
	return (1);
}

/*
 * Is PROGRAM python: by its name, or a script whose "#!" line names it
 * (directly or through env)?
 */
static int
run_is_python(const char *prog, const char *path)
{
	char line[256], *w, *save = NULL;
	FILE *fp;
	int python = 0;

	if (is_python_name(prog))
		return (1);
	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return (0);
	if (fgets(line, sizeof (line), fp) != NULL && line[0] == '#' &&
	    line[1] == '!') {
		w = strtok_r(line + 2, " \t\n", &save);
		if (w != NULL && strcmp(strrchr(w, '/') != NULL ?
		    strrchr(w, '/') + 1 : w, "env") == 0) {
			do {
				w = strtok_r(NULL, " \t\n", &save);
			} while (w != NULL && w[0] == '-');
		}
		python = w != NULL && is_python_name(w);
	}
	(void) fclose(fp);
	return (python);
}

/* The lines about PROGRAM, and PYTHONMALLOC.  0, or -1. */
static int
run_prepare(const char *prog)
{
	char path[PATH_MAX];
	const char *pm = getenv("PYTHONMALLOC");
	int found = run_resolve(prog, path) == 0;

	if (found && run_is_static(path)) {
		errmsg("%s is statically linked: LD_PRELOAD cannot replace its "
		    "malloc, so nothing will be checked; link it with "
		    "libslabtrace.a (see libslabtrace(3))", prog);
	}
	if ((pm == NULL || pm[0] == '\0') &&
	    run_is_python(prog, found ? path : NULL)) {
		if (setenv("PYTHONMALLOC", "malloc", 1) != 0) {
			errmsg("run: cannot set PYTHONMALLOC: %s",
			    strerror(errno));
			return (-1);
		}
		errmsg("python: PYTHONMALLOC=malloc set, so that Python's "
		    "objects come from malloc and are checked");
	}
	return (0);
}

static int
cmd_run(int argc, char **argv)
{
	char lib[PATH_MAX];
	const char *prog;
	int first, err;

	if ((first = run_parse(argc, argv)) < 0 ||
	    (run_want_leaks && run_leaks() != 0))
		return (EXIT_USAGE);
	if (first >= argc) {
		errmsg("run: no program given");
		usage_cmd(stderr, subcmd_lookup("run"));
		return (EXIT_USAGE);
	}
	if (run_check_env() != 0)
		return (EXIT_USAGE);
	if (lib_find(lib) != 0)
		return (EXIT_NOTFOUND);
	if (preload_set(lib) != 0)
		return (EXIT_NOEXEC);
	/* Fatal signals panic with a dump, as with debugging on. */
	if (setenv("SLABTRACE_RUN", "1", 1) != 0) {
		errmsg("run: cannot set SLABTRACE_RUN: %s", strerror(errno));
		return (EXIT_NOEXEC);
	}
	/* Reports hand their stacks to this command's `symbolize`. */
	if (getenv("SLABTRACE_SYMBOLIZER") == NULL) {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof (self) - 1);

		if (n > 0) {
			self[n] = '\0';
			(void) setenv("SLABTRACE_SYMBOLIZER", self, 1);
		}
	}

	prog = argv[first];
	if (run_prepare(prog) != 0)
		return (EXIT_NOEXEC);
	(void) execvp(prog, &argv[first]);
	err = errno;

	/* As a shell reports it: "not found" only when PATH was searched. */
	if (err == ENOENT && strchr(prog, '/') == NULL) {
		errmsg("%s: command not found", prog);
		return (EXIT_NOTFOUND);
	}
	errmsg("%s: %s", prog, strerror(err));
	return (err == ENOENT || err == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/*
 * ----------------------------------------------------------------------
 * main.
 */

int
main(int argc, char **argv)
{
	const subcmd_t *sc;
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return (EXIT_USAGE);
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	else if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		name = "version";

	if ((sc = subcmd_lookup(name)) == NULL) {
		errmsg("unknown command '%s' (try '%s help')", name, progname);
		return (EXIT_USAGE);
	}
	return (sc->sc_func(argc - 1, argv + 1));
}
