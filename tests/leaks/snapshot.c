/*
 * snapshot: a live, busy program for ::findleaks on a snapshot
 * (tests/integration/mdb_findleaks_snapshot.sh; leakcheck.c, section 7).
 *
 *   snapshot [NBUFS [NWORKERS]]
 *
 * It keeps NBUFS buffers (default 100,000; 16 to 256 bytes) reachable
 * from a global table, loses exactly two things (a list of ten 16-byte
 * nodes whose head is lost: 1 direct and 9 indirect leaks; one 48-byte
 * buffer: 1 direct), and runs on:
 *   - NWORKERS threads (default 3) that allocate and free without end,
 *     every buffer in a ring of a global table or in a register, and one
 *     kept only on the thread's own stack: each step adds one to the
 *     progress counter;
 *   - a thread that forks a child exiting 7 and waits for any child
 *     (waitpid(-1)), with a SIGCHLD handler: it must get exactly its own
 *     child, status 7 ("wait: BAD ..." otherwise);
 *   - the main thread watches the library's snapshot children (children
 *     of the thread named slabtrace-leaks): for each, "snapshot PID:
 *     progress N" when it is gone, N the steps the workers made while it
 *     lived (the program was not stopped for the scan).
 * It prints "ready PID" when set up.  SIGTERM: "forks N bad N" and exit.
 * SNAP_FORKCHILD=1: after a second, it also forks a child that prints
 * "child PID" and waits (one thread: the others did not come along, with
 * their magazines; they wait with no buffer in a register meanwhile);
 * SIGUSR2 there (leaksignal=) checks it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RING    64
#define MAXW    16

struct node {
	struct node *n_next;
	uint64_t n_pad;
};

static void **volatile table;           /* the reachable heap */
static void *volatile rings[MAXW][RING];
static volatile uint64_t progress;
static volatile long forks, bad;
static volatile int hold, held;         /* the workers wait, for a fork */
static volatile sig_atomic_t chld, done;

static void
nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	(void) nanosleep(&ts, NULL);
}

/* 1 direct + 9 indirect. */
static __attribute__((noinline)) void
lose_list(void)
{
	struct node *volatile head = NULL;
	int i;

	for (i = 0; i < 10; i++) {
		volatile struct node *n = malloc(sizeof (*n));

		n->n_next = head;       /* volatile: gcc keeps the stores */
		n->n_pad = 0;
		head = (struct node *)n;
	}
	head = NULL;
}

static __attribute__((noinline)) void
lose_one(void)
{
	char *volatile p = malloc(48);

	memset(p, 1, 48);
	p = NULL;
}

static void *
worker(void *arg)
{
	long w = (long)arg;
	uint64_t seed = (uint64_t)w * 7919 + 1;
	char *volatile keep = malloc(100);      /* on this stack only */
	unsigned i = 0;

	memset(keep, 2, 100);
	for (;;) {
		if (hold) {     /* nothing in a register: fork_child's wait */
			(void) __atomic_add_fetch(&held, 1, __ATOMIC_SEQ_CST);
			while (hold)
				nap_us(100);
			(void) __atomic_sub_fetch(&held, 1, __ATOMIC_SEQ_CST);
		}
		size_t size = 16 + (size_t)((seed >> 33) % 241);
		void *p = malloc(size), *old;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memset(p, 3, size);
		old = rings[w][i % RING];
		rings[w][i % RING] = p;
		free(old);
		i++;
		(void) __atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
		if ((i & 1023) == 0)
			nap_us(50);
	}
	return (NULL);
}

static void
on_chld(int sig)
{
	(void) sig;
	chld++;
}

static void
on_term(int sig)
{
	(void) sig;
	done = 1;
}

static void *
forker(void *arg)
{
	(void) arg;
	for (;;) {
		int status = 0;
		pid_t pid = fork(), got;

		if (pid == 0)
			_exit(7);
		if (pid < 0) {
			bad++;
			nap_us(10000);
			continue;
		}
		while ((got = waitpid(-1, &status, 0)) < 0 && errno == EINTR)
			continue;
		if (got != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 7) {
			char line[96];
			int n = snprintf(line, sizeof (line), "wait: BAD %d "
			    "(forked %d, status %#x)\n", (int)got, (int)pid,
			    status);

			(void) write(1, line, (size_t)n);
			bad++;
		}
		forks++;
		nap_us(2000);
	}
	return (NULL);
}

/* The checker thread's id (its name is slabtrace-leaks), or 0. */
static long
checker_tid(void)
{
	char path[300], name[32];
	struct dirent *de;
	long tid = 0;
	DIR *d = opendir("/proc/self/task");

	while (d != NULL && tid == 0 && (de = readdir(d)) != NULL) {
		int fd;
		ssize_t n;

		(void) snprintf(path, sizeof (path), "/proc/self/task/%s/comm",
		    de->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		n = read(fd, name, sizeof (name) - 1);
		(void) close(fd);
		if (n > 0 && strncmp(name, "slabtrace-leaks", 15) == 0)
			tid = atol(de->d_name);
	}
	if (d != NULL)
		(void) closedir(d);
	return (tid);
}

/* The first child of thread tid, or 0. */
static long
child_of(long tid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	(void) snprintf(path, sizeof (path), "/proc/self/task/%ld/children",
	    tid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return (0);
	n = read(fd, buf, sizeof (buf) - 1);
	(void) close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	return (atol(buf));
}

static void
watch(void)
{
	long tid = 0, seen = 0, now;
	uint64_t first = 0, last = 0;

	while (!done) {
		nap_us(500);
		if (tid == 0 && (tid = checker_tid()) == 0)
			continue;
		now = child_of(tid);
		if (now != 0 && now != seen) {
			if (seen != 0)
				(void) printf("snapshot %ld: progress %llu\n",
				    seen, (unsigned long long)(last - first));
			seen = now;
			first = last = progress;
		} else if (now != 0) {
			last = progress;
		} else if (seen != 0) {
			(void) printf("snapshot %ld: progress %llu\n", seen,
			    (unsigned long long)(last - first));
			(void) fflush(stdout);
			seen = 0;
		}
	}
}

/*
 * The workers wait with nothing in flight (every buffer in the rings or
 * on a stack), so that the child, which keeps none of them, leaks nothing
 * more than the parent.
 */
static void
fork_child(long nw)
{
	pid_t pid;

	nap_us(1000000);
	(void) fflush(stdout);
	hold = 1;
	while (__atomic_load_n(&held, __ATOMIC_SEQ_CST) != nw)
		nap_us(100);
	pid = fork();
	if (pid != 0) {
		hold = 0;
		return;
	}
	(void) printf("child %d\n", (int)getpid());
	(void) fflush(stdout);
	while (!done)
		pause();
	_exit(0);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, w, i;
	long nw = argc > 2 ? atol(argv[2]) : 3;
	const char *fc = getenv("SNAP_FORKCHILD");
	struct sigaction sa;
	pthread_t t;

	if (nw < 1 || nw > MAXW)
		nw = 3;
	(void) setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART;
	(void) sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = on_term;
	(void) sigaction(SIGTERM, &sa, NULL);
	table = calloc((size_t)n, sizeof (void *));
	for (i = 0; i < n; i++) {
		size_t size = 16 + (size_t)(i * 37 % 241);

		table[i] = malloc(size);
		memset(table[i], 4, size);
	}
	lose_list();
	lose_one();
	for (w = 0; w < nw; w++)
		(void) pthread_create(&t, NULL, worker, (void *)w);
	(void) pthread_create(&t, NULL, forker, NULL);
	if (fc != NULL && fc[0] == '1')
		fork_child(nw);
	(void) printf("ready %d\n", (int)getpid());
	(void) fflush(stdout);
	watch();
	(void) printf("forks %ld bad %ld sigchld %d\n", (long)forks, (long)bad,
	    (int)chld);
	(void) fflush(stdout);
	_exit(0);
}
