/*
 * quick_exit: a write to a freed buffer, then the program ends by _exit()
 * or _Exit(), which skip the atexit handlers (and so the exit verify that
 * runs from one): the library's own _exit verifies the heap first.  The
 * write fills the first 8 bytes with '?' (lite checks only the first word).
 *
 *   _exit    scribble, then _exit(0) from a nested function
 *   Exit     the same with _Exit(0)
 *   thread   another thread freed the buffer and waits, idle, on a pipe;
 *            main scribbles and calls _exit
 *   handler  scribble, then raise(SIGTERM): its handler calls _exit(1)
 *   vfork    a vfork child calls _exit at once (it shares our memory: it
 *            must not verify, nor hang); then the parent scribbles and
 *            calls _exit
 *   fork     a fork child scribbles and calls _exit: the child's verify
 *            reports it and dumps; the parent exits 3 if the child died by
 *            SIGABRT
 *   quick    quick_exit(0) (the verify is an at_quick_exit handler)
 *   exec     execl("/bin/true"): the process is replaced
 *   term     SIGTERM, as a harness's timeout sends it, to a process that
 *            then waits for good (nothing else would find the write)
 *   slow     a quiet program: a free every 50 ms for 2 s (the sweep must
 *            start and find it, though the program freed only 40 times),
 *            then it waits for good
 *
 * variants: _exit Exit thread handler vfork fork quick exec term slow
 * flags: 0xf default lite
 * timeout: 60
 * expect: slabtrace: buffer modified after being freed
 * expect: modification occurred at offset 0x0 \(0xdeadbeefdeadbeef replaced by 0x3f3f3f3f3f3f3f3f\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: [a-z_0-9]+
 * expect: found by (the exit verify|the sweep) \(.*\)
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * expect-_exit: found by the exit verify \(the whole heap, at exit\)
 * expect-quick: found by the exit verify \(the whole heap, at exit\)
 * expect-exec: found by the exit verify \(the whole heap, before exec\)
 * expect-term: found by the exit verify \(the whole heap, at a signal that ends the process\)
 * expect-slow: found by the sweep \(freed buffers are verified every 500 ms\)
 * signal-fork: none
 * status-fork: 3
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct rec {
	long r_a, r_b, r_c;
	char r_pad[104];
};

static struct rec *volatile target;
static int ready[2], never[2];      /* the freeing thread's pipes */

static void
scribble(void)
{
	memset((void *)target, '?', 8);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void
leave(int how)
{
	if (how == 'E')
		_Exit(0);
	_exit(0);
}

static void
on_term(int sig)
{
	(void) sig;
	_exit(1);
}

static void *
freer(void *arg)
{
	char c;

	(void) arg;
	free((void *)target);
	(void) write(ready[1], "f", 1);
	(void) read(never[0], &c, 1);           /* idle for good */
	return (NULL);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "_exit";
	pthread_t t;
	pid_t pid;
	int st;
	char c;

	target = malloc(sizeof (struct rec));
	memset((void *)target, 1, sizeof (struct rec));
	if (strcmp(v, "thread") == 0) {
		if (pipe(ready) != 0 || pipe(never) != 0 ||
		    pthread_create(&t, NULL, freer, NULL) != 0)
			return (2);
		if (read(ready[0], &c, 1) != 1)
			return (2);
		scribble();
		leave(0);
	}
	free((void *)target);
	if (strcmp(v, "handler") == 0) {
		(void) signal(SIGTERM, on_term);
		scribble();
		(void) raise(SIGTERM);
		return (2);
	}
	if (strcmp(v, "vfork") == 0) {
		pid = vfork();
		if (pid == 0)
			_exit(7);
		if (pid < 0 || waitpid(pid, &st, 0) != pid ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 7)
			return (2);
		scribble();
		leave(0);
	}
	if (strcmp(v, "fork") == 0) {
		pid = fork();
		if (pid == 0) {
			scribble();
			leave(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return (2);
		return (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT ? 3 : 4);
	}
	scribble();
	if (strcmp(v, "quick") == 0)
		quick_exit(0);
	if (strcmp(v, "exec") == 0) {
		execl("/bin/true", "true", (char *)NULL);
		return (2);
	}
	if (strcmp(v, "term") == 0) {
		(void) kill(getpid(), SIGTERM);
		for (;;)
			pause();
	}
	if (strcmp(v, "slow") == 0) {
		for (int i = 0; i < 40; i++) {
			void *volatile q = malloc(200);

			usleep(50000);
			free(q);
		}
		for (;;)
			pause();
	}
	leave(strcmp(v, "Exit") == 0 ? 'E' : 0);
	return (2);
}
