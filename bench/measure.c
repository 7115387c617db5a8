/*
 * measure.c: run one command and report its wall time, CPU time and peak
 * RSS, the numbers run.sh compares.  It replaces /usr/bin/time so the suite
 * needs no extra package, and it sets the allocator's environment
 * (LD_PRELOAD, KMEM_FLAGS, ...) only in the child: the wrapper itself never
 * runs on the allocator under test, so a crash is always the child's.
 *
 * usage: measure [-o FILE] [-t SECS] [-i FILE] [-e VAR=VALUE]... -- CMD ARGS
 *
 * Writes one line to FILE (default stderr):
 *   wall=S cpu=S user=S sys=S maxrss_kb=N status=ok|exit:N|signal:N|timeout
 * and exits with the child's status (128+signal if it was killed).
 */
#define _DEFAULT_SOURCE		/* wait4() and putenv() are not POSIX */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ENV 64

static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: measure [-o FILE] [-t SECS] [-i FILE] "
	    "[-e VAR=VALUE]... -- CMD [ARGS]\n");
	exit(2);
}

static unsigned
parse_secs(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end != '\0' || end == s)
		usage();
	return ((unsigned)v);
}

/* In the child: environment, stdin, then exec.  Never returns. */
static void
child(char **env, int nenv, const char *in, char **cmd)
{
	for (int i = 0; i < nenv; i++)
		if (putenv(env[i]) != 0)
			_exit(126);
	if (in != NULL) {
		int fd = open(in, O_RDONLY);

		if (fd < 0 || dup2(fd, 0) < 0) {
			perror(in);
			_exit(126);
		}
		close(fd);
	}
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	_exit(127);
}

/* Wait for pid; past the deadline, kill it and say so. */
static int
reap(pid_t pid, struct rusage *ru)
{
	int status;

	while (wait4(pid, &status, 0, ru) < 0) {
		if (errno != EINTR) {
			perror("wait4");
			exit(1);
		}
		if (timed_out)
			kill(pid, SIGKILL);
	}
	return (status);
}

static double
tv_sec(struct timeval tv)
{
	return ((double)tv.tv_sec + (double)tv.tv_usec * 1e-6);
}

static int
report(FILE *out, double wall, const struct rusage *ru, int status)
{
	char what[32];
	int rc;

	if (timed_out) {
		snprintf(what, sizeof (what), "timeout");
		rc = 124;
	} else if (WIFSIGNALED(status)) {
		snprintf(what, sizeof (what), "signal:%d", WTERMSIG(status));
		rc = 128 + WTERMSIG(status);
	} else if (WEXITSTATUS(status) != 0) {
		snprintf(what, sizeof (what), "exit:%d", WEXITSTATUS(status));
		rc = WEXITSTATUS(status);
	} else {
		snprintf(what, sizeof (what), "ok");
		rc = 0;
	}
	fprintf(out, "wall=%.4f cpu=%.4f user=%.4f sys=%.4f maxrss_kb=%ld "
	    "status=%s\n", wall, tv_sec(ru->ru_utime) + tv_sec(ru->ru_stime),
	    tv_sec(ru->ru_utime), tv_sec(ru->ru_stime), ru->ru_maxrss, what);
	return (rc);
}

int
main(int argc, char **argv)
{
	char *env[MAX_ENV];
	int nenv = 0, opt;
	const char *outpath = NULL, *in = NULL;
	unsigned timeout = 0;
	struct sigaction sa;
	struct rusage ru;
	double t0, t1;
	FILE *out = stderr;
	pid_t pid;
	int status;

	while ((opt = getopt(argc, argv, "+o:t:i:e:")) != -1) {
		switch (opt) {
		case 'o': outpath = optarg; break;
		case 't': timeout = parse_secs(optarg); break;
		case 'i': in = optarg; break;
		case 'e':
			if (nenv == MAX_ENV || strchr(optarg, '=') == NULL)
				usage();
			env[nenv++] = optarg;
			break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	if (outpath != NULL && (out = fopen(outpath, "w")) == NULL) {
		perror(outpath);
		return (1);
	}
	/* No SA_RESTART: the alarm must interrupt wait4(). */
	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	t0 = now_sec();
	if ((pid = fork()) < 0) {
		perror("fork");
		return (1);
	}
	if (pid == 0)
		child(env, nenv, in, &argv[optind]);
	alarm(timeout);
	status = reap(pid, &ru);
	t1 = now_sec();
	status = report(out, t1 - t0, &ru, status);
	if (out != stderr)
		fclose(out);
	return (status);
}
