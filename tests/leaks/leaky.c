/*
 * leaky: programs that leak on purpose, and programs that keep every
 * buffer reachable in the ways a conservative scan must see, one per
 * argv[1] (tests/integration/leaks.sh runs each in every mode and checks
 * the leak report against tests/leaks/expected.txt).
 *
 * Leaks:
 *   lost_local     a buffer whose only pointer was a local of a function
 *                  that returned
 *   overwritten    a pointer overwritten by the next allocation
 *   list           a list whose head is lost: 1 direct, 9 indirect
 *   cycle          two buffers pointing at each other: 1 direct, 1 indirect
 *   thread         lost inside a thread that exited
 *   realloc        a buffer grown by realloc, then lost
 *   freed_parent   a buffer reachable only from a freed one
 *   big            an oversize buffer (300,000 bytes)
 * Reachable (no report):
 *   global         from a global
 *   tls            from the main thread's thread-local storage
 *   tls_thread     from another thread's, the thread blocked in read()
 *   stack_thread   from another thread's stack, blocked in read()
 *   sigblock       the same, the thread blocking every signal: it does
 *                  not stop, and its stack is read as it is found
 *   register       from another thread's register only (r12, x86-64)
 *   interior       from a pointer into the middle of the buffer
 *   mmap           from memory the program mapped itself
 *   filemap        from a private, writable mapping of a file, whose
 *                  second page is past the file's end (reading it would
 *                  be a SIGBUS: the check must not touch it so)
 * Controls (each must leak, or the reachable one above proves nothing):
 *   register_lost  the register cleared
 *   stack_lost     the thread's local cleared before it blocks
 *   mmap_lost      the mapping unmapped
 *
 * With LEAKY_API=1 main calls kmem_leakcheck() itself at its end, with no
 * option set (the allocator without debugging: no buffer tags), and
 * returns 23 when it found leaks.  With LEAKY_CRASH=1 it dies of a
 * SIGSEGV instead, for a dump (vmcore.N) to run ::findleaks on; with
 * LEAKY_WAIT=1 it prints "ready" and waits to be killed (for
 * `slabtrace mdb -p PID`).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

struct node {
	struct node *next;
	long value;
};

static char *volatile current;
static char *volatile global;
static __thread char *volatile tls;
static void *volatile *volatile mapped;
static int pipefd[2];
volatile int leaky_ready;

#define NOINLINE __attribute__((noinline))

/*
 * The compiler must keep p and what it points to (an allocation nobody
 * reads is removed at -O2, leak and all); nothing is kept of p.
 */
NOINLINE static void
use(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE static size_t
lost_local(void)
{
	char *buf = malloc(64);

	snprintf(buf, 64, "value=%d", 42);
	use(buf);
	return (strlen(buf));
}

NOINLINE static void
overwritten(void)
{
	current = malloc(24);
	current = malloc(40);
	free(current);
	current = NULL;
}

NOINLINE static long
list(void)
{
	struct node *head = NULL, *n;
	long sum = 0;
	int i;

	for (i = 0; i < 10; i++) {
		n = malloc(sizeof (*n));
		n->next = head;
		n->value = i;
		head = n;
	}
	for (n = head; n != NULL; n = n->next)
		sum += n->value;
	use(head);
	return (sum);
}

NOINLINE static void
cycle(void)
{
	struct node *a = malloc(sizeof (*a)), *b = malloc(sizeof (*b));

	a->next = b;
	b->next = a;
	a->value = b->value = 7;
	use(a);
}

NOINLINE static void *
worker(void *arg)
{
	char *p = malloc(100);

	memset(p, 'w', 100);
	use(p);
	return (arg);
}

NOINLINE static void
thread(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
}

NOINLINE static void
grow(void)
{
	char *p = malloc(10);

	memset(p, 1, 10);
	p = realloc(p, 1000);
	memset(p, 2, 1000);
	use(p);
}

NOINLINE static void
freed_parent(void)
{
	struct node *parent = malloc(sizeof (*parent));

	parent->next = malloc(sizeof (struct node));
	parent->next->next = NULL;
	use(parent);
	free(parent);
}

NOINLINE static void
big(void)
{
	char *p = malloc(300000);

	memset(p, 3, 300000);
	use(p);
}

/* A thread that keeps p in a local, or in its TLS, and blocks in read(). */
NOINLINE static void *
blocker(void *arg)
{
	char *volatile p = malloc(48);
	char c;

	if (arg == (void *)1) {
		tls = p;
		p = NULL;
	} else if (arg == (void *)2) {
		p = NULL;               /* stack_lost */
	} else if (arg == (void *)3) {
		sigset_t all;

		sigfillset(&all);       /* sigblock */
		pthread_sigmask(SIG_SETMASK, &all, NULL);
	}
	leaky_ready = 1;
	(void) read(pipefd[0], &c, 1);
	return (p);
}

NOINLINE static void
blocked_thread(void *how)
{
	pthread_t t;

	(void) pipe(pipefd);
	pthread_create(&t, NULL, blocker, how);
	while (!leaky_ready)
		usleep(1000);
}

/* Wipe the stack below the caller: what a call left there is gone. */
void scrub(void);

NOINLINE __attribute__((used)) void
scrub(void)
{
	volatile char junk[16384];
	size_t i;

	for (i = 0; i < sizeof (junk); i++)     /* no memset: it is elided */
		junk[i] = 0;
}

#if defined(__x86_64__)
/*
 * A thread whose only pointer to its buffer is r12: malloc's result goes
 * there, the stack below is scrubbed (scrub uses no callee-saved
 * register), and it spins; clear: r12 is cleared first (register_lost).
 * The thread never returns, so the asm may move rsp (aligned, past the
 * red zone) for its calls.
 */
NOINLINE static void *
spinner(void *clear)
{
	__asm__ volatile(
	    "mov %0, %%rbx\n\t"
	    "sub $256, %%rsp\n\t"
	    "and $-16, %%rsp\n\t"
	    "mov $56, %%edi\n\t"
	    "call malloc@PLT\n\t"
	    "mov %%rax, %%r12\n\t"
	    "xor %%eax, %%eax\n\t"
	    "call scrub\n\t"
	    "test %%rbx, %%rbx\n\t"
	    "jz 1f\n\t"
	    "xor %%r12, %%r12\n"
	    "1:\n\t"
	    /* nothing else may hold it: caller-saved and vector registers */
	    "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
	    "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
	    "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"
	    "xor %%r11d, %%r11d\n\t"
	    "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
	    "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
	    "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
	    "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
	    "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
	    "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
	    "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
	    "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15\n\t"
	    "movl $1, leaky_ready(%%rip)\n"
	    "2:\n\t"
	    "pause\n\t"
	    "jmp 2b\n\t"
	    : : "r"(clear) : "rax", "rbx", "rdi", "rsi", "rdx", "rcx", "r8",
	    "r9", "r10", "r11", "r12", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
	    "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
	    "xmm13", "xmm14", "xmm15", "memory", "cc");
	return (NULL);
}
#endif

NOINLINE static void
register_thread(void *clear)
{
	pthread_t t;

	/* the stack must be 16-byte aligned at the call: the asm calls */
	pthread_create(&t, NULL, spinner, clear);
	while (!leaky_ready)
		usleep(1000);
}

NOINLINE static void
in_mapping(int unmap)
{
	mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	mapped[3] = malloc(72);
	if (unmap) {
		munmap((void *)mapped, 4096);
		mapped = NULL;
	}
}

/* A 1-byte file mapped as two pages, the pointer in the first. */
NOINLINE static void
in_file_mapping(void)
{
	char path[] = "/tmp/leaky.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "x", 1) != 1)
		abort();
	mapped = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (mapped == MAP_FAILED)
		abort();
	unlink(path);
	close(fd);
	mapped[3] = malloc(88);
}

static int
api_check(void)
{
	int (*check)(void) = (int (*)(void))dlsym(RTLD_DEFAULT,
	    "kmem_leakcheck");

	if (check == NULL) {
		fprintf(stderr, "leaky: no kmem_leakcheck\n");
		return (2);
	}
	return (check() > 0 ? 23 : 0);
}

/*
 * Die of a SIGSEGV with nothing in the caller-saved registers: the dump's
 * registers are roots, and malloc's last values would still be there.
 */
NOINLINE static void
crash(void)
{
#if defined(__x86_64__)
	__asm__ volatile(
	    "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
	    "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
	    "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"
	    "xor %%r11d, %%r11d\n\t"
	    "movl $1, 8\n\t"
	    : : : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
	    "memory");
#endif
	*(volatile int *)8 = 1;
}

/* The variant, 0; or 2 for an unknown one. */
NOINLINE static int
run(const char *v)
{
	if (strcmp(v, "lost_local") == 0)
		(void) lost_local();
	else if (strcmp(v, "overwritten") == 0)
		overwritten();
	else if (strcmp(v, "list") == 0)
		(void) list();
	else if (strcmp(v, "cycle") == 0)
		cycle();
	else if (strcmp(v, "thread") == 0)
		thread();
	else if (strcmp(v, "realloc") == 0)
		grow();
	else if (strcmp(v, "freed_parent") == 0)
		freed_parent();
	else if (strcmp(v, "big") == 0)
		big();
	else if (strcmp(v, "global") == 0)
		global = malloc(64);
	else if (strcmp(v, "tls") == 0)
		tls = malloc(64);
	else if (strcmp(v, "tls_thread") == 0)
		blocked_thread((void *)1);
	else if (strcmp(v, "stack_thread") == 0)
		blocked_thread((void *)0);
	else if (strcmp(v, "stack_lost") == 0)
		blocked_thread((void *)2);
	else if (strcmp(v, "sigblock") == 0)
		blocked_thread((void *)3);
	else if (strcmp(v, "register") == 0)
		register_thread((void *)0);
	else if (strcmp(v, "register_lost") == 0)
		register_thread((void *)1);
	else if (strcmp(v, "interior") == 0)
		global = (char *)malloc(100) + 50;
	else if (strcmp(v, "mmap") == 0)
		in_mapping(0);
	else if (strcmp(v, "mmap_lost") == 0)
		in_mapping(1);
	else if (strcmp(v, "filemap") == 0)
		in_file_mapping();
	else
		return (2);
	return (0);
}

/*
 * The variant runs 8 KB below main, and its frames are scrubbed after:
 * the stack the checks read later (main's, the exit path's) never holds
 * what the variant's dead frames left behind.
 */
NOINLINE static int
deep(const char *v)
{
	volatile char pad[8192];
	int rc;

	pad[0] = 1;
	rc = run(v);
	scrub();
	return (rc + pad[0] - 1);
}

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "";
	const char *api = getenv("LEAKY_API");

	if (deep(v) != 0) {
		fprintf(stderr, "leaky: unknown variant '%s'\n", v);
		return (2);
	}
	if (api != NULL && api[0] == '1')
		return (api_check());
	if ((api = getenv("LEAKY_CRASH")) != NULL && api[0] == '1')
		crash();
	if ((api = getenv("LEAKY_WAIT")) != NULL && api[0] == '1') {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return (0);
}
