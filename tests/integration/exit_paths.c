/*
 * exit_paths: the ends that skip atexit (verify.c: _exit, _Exit,
 * quick_exit, the exec family, SIGTERM, SIGINT and SIGHUP) verify the heap
 * and then do exactly what they do without slabtrace: the exit status, the
 * signal a process dies by, the program's at_quick_exit handlers, the
 * environment and arguments an exec passes, an exec that fails and
 * returns, a program's own SIGTERM handler.  No bug here: any report
 * fails the test.  The process execs itself too (not a fork child: the
 * heap is verified before the exec).
 *
 * modes: preload 0xf default lite fw
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int qpipe[2];

static void
on_quick(void)
{
	(void) write(qpipe[1], "q", 1);
}

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void) sig;
	got_term = 1;
}

/* Run fn in a fork child (with some heap to verify); its wait status. */
static int
child(void (*fn)(void))
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		char *volatile keep[64];

		for (int i = 0; i < 64; i++) {
			keep[i] = malloc(16 + 37 * (size_t)i);
			memset(keep[i], i, 16);
		}
		free(keep[3]);
		fn();
		_exit(99);
	}
	REQUIRE(pid > 0);
	REQUIRE(waitpid(pid, &st, 0) == pid);
	return (st);
}

static void c_exit9(void) { _exit(9); }
static void c_Exit4(void) { _Exit(4); }
static void c_quick5(void)
{
	(void) at_quick_exit(on_quick);
	quick_exit(5);
}
static void c_term(void) { (void) raise(SIGTERM); }
static void c_int(void) { (void) kill(getpid(), SIGINT); pause(); }
static void c_hup(void) { (void) kill(getpid(), SIGHUP); pause(); }
static void c_execlp7(void)
{
	(void) execlp("sh", "sh", "-c", "exit 7", (char *)NULL);
}
static void c_execle(void)
{
	char *env[] = { "FOO=bar", NULL };

	(void) execle("/bin/sh", "sh", "-c", "test \"$FOO\" = bar && exit 6",
	    (char *)NULL, env);
}
static void c_execv(void)
{
	char *argv[] = { "sh", "-c", "exit $#", "sh", "a", "b", NULL };

	(void) execv("/bin/sh", argv);
}
static void c_execvp(void)
{
	char *argv[] = { "sh", "-c", "exit 3", NULL };

	(void) execvp("sh", argv);
}
static void c_execve(void)
{
	char *argv[] = { "sh", "-c", "exit $BAR", NULL };
	char *env[] = { "BAR=11", NULL };

	(void) execve("/bin/sh", argv, env);
}
static void c_execfail(void)
{
	/* It fails and returns; the program goes on allocating. */
	int r = execl("/nonexistent/prog", "prog", (char *)NULL);
	int e = errno;
	char *p = malloc(100);

	memset(p, 1, 100);
	free(p);
	_exit(r == -1 && e == ENOENT ? 12 : 13);
}
static void c_ownterm(void)
{
	(void) signal(SIGTERM, on_term);
	(void) raise(SIGTERM);
	_exit(got_term ? 14 : 15);
}

int
main(int argc, char **argv)
{
	char c = 0;
	int st;

	if (argc > 1 && strcmp(argv[1], "again") == 0)
		return (check_status());        /* exec'd by ourselves */
	REQUIRE(pipe(qpipe) == 0);
	st = child(c_exit9);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 9, "_exit: %#x", st);
	st = child(c_Exit4);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 4, "_Exit: %#x", st);
	st = child(c_quick5);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 5, "quick_exit: %#x", st);
	CHECK(read(qpipe[0], &c, 1) == 1 && c == 'q');
	st = child(c_term);
	CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "SIGTERM: %#x", st);
	st = child(c_int);
	CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "SIGINT: %#x", st);
	st = child(c_hup);
	CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP, "SIGHUP: %#x", st);
	st = child(c_execlp7);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 7, "execlp: %#x", st);
	st = child(c_execle);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 6, "execle: %#x", st);
	st = child(c_execv);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 2, "execv: %#x", st);
	st = child(c_execvp);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 3, "execvp: %#x", st);
	st = child(c_execve);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 11, "execve: %#x", st);
	st = child(c_execfail);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 12, "failed exec: %#x", st);
	st = child(c_ownterm);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 14, "own handler: %#x", st);
	if (check_status() != 0)
		return (check_status());
	/* The process itself, with its heap, becomes itself again. */
	(void) execl("/proc/self/exe", argv[0], "again", (char *)NULL);
	CHECKF(0, "exec of itself failed: %s", strerror(errno));
	return (check_status());
}
