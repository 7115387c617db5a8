/*
 * test_dump.c: unit test of the crash dump writer (dump.c).
 *
 * Each dump is written by a forked child (a dump is what a dying process
 * does), into a fresh directory; the parent reads the file back as an ELF
 * core: the header, the notes (NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE
 * and ours, NT_SLABTRACE), and memory at known addresses (a global, a heap
 * buffer).  Then, when gdb is installed, `gdb -batch -ex bt` must show the
 * child's named functions, for a dump of the current registers and for one
 * taken from a SIGSEGV handler's ucontext.
 *
 * Also: vmcore.N numbering, a symbolic link in the way (skipped, never
 * followed), what "all" and "heap" include (shared memory, MADV_DONTDUMP,
 * text), an untouched reservation left as a hole, a directory that does
 * not exist or cannot be written, RLIMIT_FSIZE (a short write ends the dump
 * cleanly), two threads dumping at once, and the time for 100 MB.
 *
 * Every thread's registers: a child with a thread in read(2), one
 * spinning and one that blocks every signal dumps twice; each dump has
 * the dumping thread's NT_PRSTATUS first, then those of the two threads
 * that stopped (the spinner's pc in its loop, each thread's fs_base its
 * own), a "did not stop" line for the third, sn_nthreads 3 and
 * sn_nunstopped 1; after each dump the threads run again and the parking
 * signal has its default action back.
 *
 * timeout: 300
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "slabtrace_impl.h"
#include "check.h"

#define CHILD_FAILED    100             /* exit status: st_dump_write -1 */
#define HEAPBUF_SIZE    (256 * 1024)
#define SHM_SIZE        (4 * 4096)

static char testdir[200];
static char exe[4096];
static const char *exebase;            /* its last component */
static int have_gdb;

/* Memory the dumps must (or must not) contain, set up before the forks. */
volatile uint64_t test_marker = 0x5eedfacecafef00dULL;
static unsigned char *heapbuf;          /* from slabtrace's malloc */
static unsigned char *shmbuf;           /* MAP_SHARED | MAP_ANONYMOUS */
static unsigned char *nodumpbuf;        /* MADV_DONTDUMP */
static unsigned char *anonbuf;          /* the program's own mmap */
static volatile uint64_t *results;      /* shared page: children report */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* ------------------------------------------------------------------------
 * Children.
 */

/* The dump directory for the next child, and what it should contain. */
static void
child_setup(const char *dir)
{
	uint64_t v = 0x5eedfacecafef00dULL ^ (uint64_t)getpid();

	(void) snprintf(st_opts.so_dumpdir, sizeof (st_opts.so_dumpdir), "%s",
	    dir);
	test_marker = v;
	memcpy(heapbuf, "child-was-here", 14);
	memcpy(heapbuf + 14, &v, sizeof (v));
}

static int
child_exit_code(int rc)
{
	return (rc < 0 ? CHILD_FAILED : rc);
}

/*
 * Run fn in a child with its stderr captured into err; the child's exit
 * status (or 128 + signal), -1 if it could not run.  A child that hangs
 * is killed by SIGALRM after 60 seconds.
 */
static int
run_child(int (*fn)(void *), void *arg, char *err, size_t errlen,
    pid_t *pidp)
{
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return (-1);
	if ((pid = fork()) < 0)
		return (-1);
	if (pid == 0) {
		(void) close(fds[0]);
		(void) dup2(fds[1], 2);
		(void) alarm(60);
		_exit(fn(arg));
	}
	(void) close(fds[1]);
	while ((n = read(fds[0], err + got, errlen - 1 - got)) > 0 &&
	    (got += (size_t)n) < errlen - 1)
		continue;
	err[got] = '\0';
	(void) close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	if (pidp != NULL)
		*pidp = pid;
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

/* A chain of named frames for gdb to find. */
__attribute__((noinline)) static int
dump_inner(const char *msg)
{
	int rc = st_dump_write(msg, NULL, 0, 0);

	__asm__ volatile("" ::: "memory");      /* no tail call */
	return (rc);
}

__attribute__((noinline)) static int
dump_middle(const char *msg)
{
	int rc = dump_inner(msg);

	__asm__ volatile("" ::: "memory");
	return (rc);
}

__attribute__((noinline)) static int
dump_outer(const char *msg)
{
	int rc = dump_middle(msg);

	__asm__ volatile("" ::: "memory");
	return (rc);
}

static int
child_plain(void *arg)
{
	child_setup(testdir);
	return (child_exit_code(dump_outer(arg)));
}

static int
child_heap(void *arg)
{
	child_setup(testdir);
	st_opts.so_dump_content = ST_DUMP_HEAP;
	return (child_exit_code(dump_outer(arg)));
}

static int
child_dir(void *arg)
{
	child_setup(arg);
	return (child_exit_code(st_dump_write("no dir", NULL, 0, 0)));
}

static int
child_fsize(void *arg)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 };

	(void) arg;
	child_setup(testdir);
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return (99);
	return (child_exit_code(st_dump_write("fsize", NULL, 0, 0)));
}

static void *
dump_thread(void *arg)
{
	*(int *)arg = st_dump_write("two threads", NULL, 0, 0);
	return (NULL);
}

static int
child_threads(void *arg)
{
	pthread_t t[2];
	int rc[2] = { -2, -2 }, i;

	(void) arg;
	child_setup(testdir);
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, dump_thread, &rc[i]) != 0)
			return (98);
	for (i = 0; i < 2; i++)
		(void) pthread_join(t[i], NULL);
	results[0] = (uint64_t)rc[0];
	results[1] = (uint64_t)rc[1];
	return (rc[0] >= 0 && rc[1] >= 0 && rc[0] != rc[1] ? 0 : 97);
}

/*
 * Threads to stop: one in read(2), one spinning, one blocking every
 * signal (it cannot stop).  results[10..12]: their thread ids, [13..15]:
 * their pthread_self() (fs_base on x86-64).
 */
static int stop_fds[2];
static volatile uint64_t stop_spins;
static volatile int stop_ready;

__attribute__((noinline)) static void
stop_spin_here(void)
{
	for (;;)
		stop_spins++;
}

static void *
stop_thread(void *arg)
{
	int i = (int)(intptr_t)arg;
	char c;

	results[10 + i] = (uint64_t)gettid();
	results[13 + i] = (uint64_t)pthread_self();
	if (i == 2) {
		sigset_t all;

		(void) sigfillset(&all);
		(void) pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	__atomic_add_fetch(&stop_ready, 1, __ATOMIC_SEQ_CST);
	if (i == 1)
		stop_spin_here();
	while (read(stop_fds[0], &c, 1) != 0)
		continue;
	return (NULL);
}

/* Signals SIGRTMIN..SIGRTMAX with an action other than the default. */
static int
rt_handled(void)
{
	struct sigaction sa;
	int sig, n = 0;

	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		n += sigaction(sig, NULL, &sa) == 0 &&
		    ((sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL);
	return (n);
}

static int
child_stopped(void *arg)
{
	pthread_t t;
	uint64_t before;
	int i, rc1, rc2;

	child_setup(arg);
	if (pipe(stop_fds) != 0)
		return (99);
	for (i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, stop_thread,
		    (void *)(intptr_t)i) != 0)
			return (99);
	while (__atomic_load_n(&stop_ready, __ATOMIC_SEQ_CST) < 3)
		(void) usleep(1000);
	(void) usleep(20000);
	rc1 = st_dump_write("stopped", NULL, 0, 0);
	results[16] = (uint64_t)rt_handled();
	before = stop_spins;
	(void) usleep(20000);
	results[17] = stop_spins != before;     /* going again */
	rc2 = st_dump_write("stopped again", NULL, 0, 0);
	results[18] = (uint64_t)rt_handled();
	return (rc1 == 0 && rc2 == 1 ? 0 : 97);
}

/*
 * 100 MB of heap, a 1 GB reservation of which one page is touched, and a
 * 2 GB one never touched: holes, which cost neither time nor disk.
 */
static int
child_big(void *arg)
{
	size_t size = 100UL << 20, resv = 1UL << 30;
	unsigned char *p = malloc(size), *r, *r2;
	uint64_t t0;
	int rc;

	(void) arg;
	child_setup(testdir);
	r = mmap(NULL, resv, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	r2 = mmap(NULL, 2 * resv, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == NULL || r == MAP_FAILED || r2 == MAP_FAILED)
		return (99);
	results[8] = (uint64_t)(uintptr_t)r2;
	memset(p, 0xa5, size);
	memcpy(r + resv / 2, "touched", 8);
	results[2] = (uint64_t)(uintptr_t)p;
	results[3] = (uint64_t)(uintptr_t)r;
	t0 = now_ns();
	rc = st_dump_write("big", NULL, 0, 0);
	results[0] = now_ns() - t0;
	return (child_exit_code(rc));
}

/*
 * Pages that cannot be read (a private file mapping past the end of its
 * file: write(2) from them fails with EFAULT), and more mappings than the
 * dumper's static table holds.
 */
static int
child_odd(void *arg)
{
	size_t i, n = 3000;
	char path[1024], page[4096];
	unsigned char *p, *q;
	int fd;

	(void) arg;
	child_setup(testdir);
	(void) snprintf(path, sizeof (path), "%s/onepage", testdir);
	memset(page, 'f', sizeof (page));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, page, sizeof (page)) != (ssize_t)sizeof (page))
		return (99);
	p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	q = mmap(NULL, 2 * n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || q == MAP_FAILED)
		return (99);
	p[0] = 'X';             /* a modified page: the mapping is dumped */
	for (i = 0; i < n; i++) {
		q[2 * i * 4096] = (unsigned char)(i | 1);
		if (mprotect(q + (2 * i + 1) * 4096, 4096, PROT_NONE) != 0)
			return (99);
	}
	results[5] = (uint64_t)(uintptr_t)p;
	results[6] = (uint64_t)(uintptr_t)q;
	results[7] = n;
	return (child_exit_code(st_dump_write("odd", NULL, 0, 0)));
}

/* The signal path: a fault, and a dump from the handler's ucontext. */
static void
segv_handler(int sig, siginfo_t *si, void *uc)
{
	_exit(child_exit_code(st_dump_write("segv test", uc, sig,
	    (uintptr_t)si->si_addr)));
}

__attribute__((noinline)) static void
fault_here(volatile char *p)
{
	*p = 1;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void
fault_outer(volatile char *p)
{
	fault_here(p);
	__asm__ volatile("" ::: "memory");
}

static int
child_segv(void *arg)
{
	size_t altsize = 16384 + (size_t)sysconf(_SC_MINSIGSTKSZ);
	struct sigaction sa;
	stack_t ss;
	char *page;

	(void) arg;
	child_setup(testdir);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* A small alternate stack: the dumper must fit in it. */
	ss.ss_sp = mmap(NULL, altsize, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	ss.ss_size = altsize;
	ss.ss_flags = 0;
	if (page == MAP_FAILED || ss.ss_sp == MAP_FAILED ||
	    sigaltstack(&ss, NULL) != 0)
		return (99);
	results[4] = (uint64_t)(uintptr_t)page;
	memset(&sa, 0, sizeof (sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	(void) sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGSEGV, &sa, NULL);
	fault_outer(page);
	return (98);
}

/* ------------------------------------------------------------------------
 * Reading a core file.
 */

typedef struct core {
	int co_fd;
	int64_t co_size;                /* bytes in the file */
	int64_t co_blocks;              /* bytes on disk */
	Elf64_Ehdr co_eh;
	Elf64_Phdr *co_ph;
	char *co_notes;
	uint64_t co_notesz;
} core_t;

static void
core_close(core_t *c)
{
	if (c->co_fd >= 0)
		(void) close(c->co_fd);
	free(c->co_ph);
	free(c->co_notes);
	memset(c, 0, sizeof (*c));
	c->co_fd = -1;
}

/*
 * Open and check the ELF header and program headers; 0 if sound.  In a
 * truncated dump (complete = 0) a PT_LOAD may have only part of its memory
 * (p_filesz < p_memsz), but never claims bytes past the end of the file.
 */
static int
core_open(core_t *c, const char *path, int complete)
{
	struct stat st;
	size_t phsz;
	int i, bad = 0;

	memset(c, 0, sizeof (*c));
	if ((c->co_fd = open(path, O_RDONLY)) < 0 || fstat(c->co_fd, &st) != 0)
		return (-1);
	c->co_size = st.st_size;
	c->co_blocks = (int64_t)st.st_blocks * 512;
	if (pread(c->co_fd, &c->co_eh, sizeof (c->co_eh), 0) !=
	    (ssize_t)sizeof (c->co_eh))
		return (-1);
	CHECK(memcmp(c->co_eh.e_ident, ELFMAG, SELFMAG) == 0);
	CHECK(c->co_eh.e_ident[EI_CLASS] == ELFCLASS64);
	CHECK(c->co_eh.e_type == ET_CORE);
#if defined(__x86_64__)
	CHECK(c->co_eh.e_machine == EM_X86_64);
#elif defined(__aarch64__)
	CHECK(c->co_eh.e_machine == EM_AARCH64);
#endif
	CHECK(c->co_eh.e_phentsize == sizeof (Elf64_Phdr));
	if (c->co_eh.e_phnum < 2)
		return (-1);
	phsz = (size_t)c->co_eh.e_phnum * sizeof (Elf64_Phdr);
	c->co_ph = malloc(phsz);
	if (pread(c->co_fd, c->co_ph, phsz, (off_t)c->co_eh.e_phoff) !=
	    (ssize_t)phsz)
		return (-1);
	CHECK(c->co_ph[0].p_type == PT_NOTE);
	c->co_notesz = c->co_ph[0].p_filesz;
	c->co_notes = malloc(c->co_notesz);
	if (pread(c->co_fd, c->co_notes, c->co_notesz,
	    (off_t)c->co_ph[0].p_offset) != (ssize_t)c->co_notesz)
		return (-1);
	for (i = 1; i < c->co_eh.e_phnum; i++) {
		const Elf64_Phdr *p = &c->co_ph[i];

		bad += p->p_type != PT_LOAD;
		/* (writable memory may end before its last, untouched page) */
		bad += p->p_filesz != 0 && (p->p_offset % 4096 != 0 ||
		    (complete && p->p_filesz != p->p_memsz &&
		    !(p->p_flags & PF_W)));
		bad += (int64_t)(p->p_offset + p->p_filesz) > c->co_size;
		bad += p->p_filesz > p->p_memsz;
		bad += i > 1 && p->p_vaddr < c->co_ph[i - 1].p_vaddr +
		    c->co_ph[i - 1].p_memsz;
	}
	CHECKF(bad == 0, "%s: %d bad program headers", path, bad);
	return (0);
}

/* The desc of the first note name/type, or NULL. */
static const void *
core_note(const core_t *c, const char *name, uint32_t type, size_t *szp)
{
	uint64_t off = 0;

	while (off + sizeof (Elf64_Nhdr) <= c->co_notesz) {
		const Elf64_Nhdr *nh = (const void *)(c->co_notes + off);
		const char *nm = (const char *)(nh + 1);
		uint64_t desc = off + sizeof (*nh) + ((nh->n_namesz + 3) & ~3U);

		if (desc + nh->n_descsz > c->co_notesz)
			break;
		if (nh->n_type == type && nh->n_namesz == strlen(name) + 1 &&
		    memcmp(nm, name, nh->n_namesz) == 0) {
			if (szp != NULL)
				*szp = nh->n_descsz;
			return (c->co_notes + desc);
		}
		off = desc + ((nh->n_descsz + 3) & ~3U);
	}
	return (NULL);
}

/* The PT_LOAD that covers addr, or NULL. */
static const Elf64_Phdr *
core_load(const core_t *c, uint64_t addr)
{
	int i;

	for (i = 1; i < c->co_eh.e_phnum; i++)
		if (addr >= c->co_ph[i].p_vaddr &&
		    addr < c->co_ph[i].p_vaddr + c->co_ph[i].p_memsz)
			return (&c->co_ph[i]);
	return (NULL);
}

/* Memory of the dumped process; 0, or -1 if the dump does not have it. */
static int
core_read(const core_t *c, uint64_t addr, void *buf, size_t len)
{
	const Elf64_Phdr *p = core_load(c, addr);

	if (p == NULL || addr + len > p->p_vaddr + p->p_filesz)
		return (-1);
	return (pread(c->co_fd, buf, len, (off_t)(p->p_offset + addr -
	    p->p_vaddr)) == (ssize_t)len ? 0 : -1);
}

static void
core_path(char *buf, size_t len, const char *dir, int n)
{
	(void) snprintf(buf, len, "%s/vmcore.%d", dir, n);
}

/* The checks every dump of a child must pass. */
static void
check_core(const char *path, pid_t pid, const char *panic, int signo,
    uint32_t content, uint64_t t0)
{
	const st_dump_note_t *sn;
	const struct elf_prstatus *pr;
	const struct elf_prpsinfo *ps;
	const uint64_t *nf;
	unsigned char buf[64];
	uint64_t v, expect = 0x5eedfacecafef00dULL ^ (uint64_t)pid;
	struct stat st;
	size_t sz;
	core_t c;

	CHECKF(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	CHECKF(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
	    "%s: mode %o", path, (unsigned)st.st_mode);
	if (core_open(&c, path, 1) != 0) {
		CHECKF(0, "%s: not a readable core file", path);
		core_close(&c);
		return;
	}

	sn = core_note(&c, ST_NOTE_NAME, NT_SLABTRACE, &sz);
	CHECKF(sn != NULL && sz == sizeof (*sn), "%s: no SLABTRACE note", path);
	if (sn != NULL) {
		CHECK(memcmp(sn->sn_magic, ST_DUMP_MAGIC, 16) == 0);
		CHECKF(sn->sn_pid == (uint32_t)pid, "pid %u", sn->sn_pid);
		CHECK(sn->sn_tid != 0);
		CHECKF(strcmp(sn->sn_panic, panic) == 0, "panic '%s'",
		    sn->sn_panic);
		CHECK(sn->sn_root == (uint64_t)(uintptr_t)&st_root);
		CHECK(sn->sn_signo == signo);
		CHECK(sn->sn_content == content);
		CHECK(sn->sn_kmem_flags == st_opts.so_kmem_flags);
		CHECKF(strcmp(sn->sn_program, exe) == 0, "program '%s'",
		    sn->sn_program);
		CHECK(strstr(sn->sn_cmdline, exebase) != NULL);
		CHECK(sn->sn_time >= t0 && sn->sn_time <= now_ns());
		CHECK(sn->sn_mono != 0 && sn->sn_release[0] != '\0');
		CHECK(sn->sn_version == ST_DUMP_VERSION);
		CHECK(sn->sn_nthreads >= 1);
	}
	pr = core_note(&c, "CORE", NT_PRSTATUS, &sz);
	CHECKF(pr != NULL && sz == sizeof (*pr), "%s: no NT_PRSTATUS", path);
	if (pr != NULL) {
		CHECK(sn == NULL || pr->pr_pid == (pid_t)sn->sn_tid);
		CHECK(pr->pr_cursig == signo);
	}
	ps = core_note(&c, "CORE", NT_PRPSINFO, &sz);
	CHECKF(ps != NULL && sz == sizeof (*ps), "%s: no NT_PRPSINFO", path);
	if (ps != NULL) {
		CHECK(ps->pr_pid == pid);
		CHECK(strncmp(ps->pr_fname, exebase, 15) == 0);
	}
	CHECKF(core_note(&c, "CORE", NT_AUXV, &sz) != NULL && sz > 16 &&
	    sz % 16 == 0, "%s: no NT_AUXV", path);
	nf = core_note(&c, "CORE", NT_FILE, &sz);
	CHECKF(nf != NULL && sz > 16, "%s: no NT_FILE", path);
	if (nf != NULL) {
		/* count, page size, triples, then the names: ours is one. */
		const char *names = (const char *)(nf + 2 + 3 * nf[0]);
		const char *end = (const char *)nf + sz;
		int found = 0;

		CHECK(nf[0] > 0 && nf[1] == (uint64_t)sysconf(_SC_PAGESIZE));
		for (; names < end; names += strlen(names) + 1)
			found |= strcmp(names, exe) == 0;
		CHECK(found);
	}

	/* A global (the program's data segment) and the heap. */
	CHECKF(core_read(&c, (uintptr_t)&test_marker, &v, sizeof (v)) == 0 &&
	    v == expect, "%s: test_marker", path);
	CHECKF(core_read(&c, (uintptr_t)heapbuf, buf, 22) == 0 &&
	    memcmp(buf, "child-was-here", 14) == 0 &&
	    memcmp(buf + 14, &expect, 8) == 0, "%s: heap buffer", path);
	/* The text is left to the files; MADV_DONTDUMP is left out. */
	CHECK(core_load(&c, (uintptr_t)dump_inner) != NULL &&
	    core_load(&c, (uintptr_t)dump_inner)->p_filesz == 0);
	CHECK(core_load(&c, (uintptr_t)nodumpbuf) != NULL &&
	    core_load(&c, (uintptr_t)nodumpbuf)->p_filesz == 0);
	/*
	 * Shared memory and the program's own anonymous mappings: in "all",
	 * not in "heap", which holds the allocator's memory only.
	 */
	if (content == ST_DUMP_ALL) {
		CHECKF(core_read(&c, (uintptr_t)shmbuf, buf, 16) == 0 &&
		    memcmp(buf, "shared-memory!!", 16) == 0, "%s: shm", path);
		CHECKF(core_read(&c, (uintptr_t)anonbuf, buf, 16) == 0 &&
		    memcmp(buf, "program-anon!!!", 16) == 0, "%s: anon", path);
	} else {
		CHECKF(core_read(&c, (uintptr_t)shmbuf, buf, 16) != 0,
		    "%s: shm in a heap dump", path);
		CHECKF(core_read(&c, (uintptr_t)anonbuf, buf, 16) != 0,
		    "%s: the program's mmap in a heap dump", path);
	}
	core_close(&c);
}

/* gdb's `bt` of a dump must name each function in want (NULL-ended). */
static void
check_gdb(const char *core, const char *const *want)
{
	char cmd[8192], out[16384];
	size_t got = 0, n;
	FILE *f;
	int i;

	if (!have_gdb)
		return;
	(void) snprintf(cmd, sizeof (cmd), "%sgdb -batch -nx -ex bt '%s' '%s' "
	    "2>&1", system("command -v timeout >/dev/null 2>&1") == 0 ?
	    "timeout 120 " : "", exe, core);
	if ((f = popen(cmd, "r")) == NULL) {
		CHECKF(0, "popen: %s", strerror(errno));
		return;
	}
	while ((n = fread(out + got, 1, sizeof (out) - 1 - got, f)) > 0)
		got += n;
	out[got] = '\0';
	(void) pclose(f);
	for (i = 0; want[i] != NULL; i++)
		CHECKF(strstr(out, want[i]) != NULL,
		    "gdb bt of %s has no %s:\n%s", core, want[i], out);
}

/* ------------------------------------------------------------------------
 * The tests.
 */

static void
test_plain(void)
{
	static const char *const want[] = { "st_dump_write", "dump_inner",
	    "dump_middle", "dump_outer", "main", NULL };
	char err[4096], path[1024], line[2048];
	uint64_t t0 = now_ns();
	pid_t pid;
	int rc;

	rc = run_child(child_plain, "test panic", err, sizeof (err), &pid);
	CHECKF(rc == 0, "first dump: child status %d: %s", rc, err);
	core_path(path, sizeof (path), testdir, 0);
	(void) snprintf(line, sizeof (line), "slabtrace[%d]: dumping to %s, "
	    "content: all, done (", (int)pid, path);
	CHECKF(strncmp(err, line, strlen(line)) == 0 && strstr(err,
	    " on disk") != NULL, "stderr: %s", err);
	(void) snprintf(line, sizeof (line), ")\nslabtrace[%d]: read it "
	    "with: gdb ", (int)pid);
	CHECKF(strstr(err, line) != NULL && strstr(err, path) != NULL,
	    "stderr: %s", err);
	check_core(path, pid, "test panic", 0, ST_DUMP_ALL, t0);
	check_gdb(path, want);

	rc = run_child(child_plain, "second", err, sizeof (err), &pid);
	CHECKF(rc == 1, "second dump: child status %d: %s", rc, err);
	core_path(path, sizeof (path), testdir, 1);
	check_core(path, pid, "second", 0, ST_DUMP_ALL, t0);
}

/* vmcore.2 and vmcore.3 are symbolic links: skipped, never followed. */
static void
test_symlink(void)
{
	char err[4096], path[1024], target[1024], precious[1024], buf[16];
	struct stat st;
	pid_t pid;
	int rc, fd;

	(void) snprintf(target, sizeof (target), "%s/missing", testdir);
	(void) snprintf(precious, sizeof (precious), "%s/precious", testdir);
	fd = open(precious, O_WRONLY | O_CREAT | O_EXCL, 0644);
	REQUIRE(fd >= 0 && write(fd, "precious", 8) == 8);
	(void) close(fd);
	core_path(path, sizeof (path), testdir, 2);
	REQUIRE(symlink(target, path) == 0);
	core_path(path, sizeof (path), testdir, 3);
	REQUIRE(symlink(precious, path) == 0);

	rc = run_child(child_plain, "after links", err, sizeof (err), &pid);
	CHECKF(rc == 4, "child status %d: %s", rc, err);
	CHECK(lstat(target, &st) != 0 && errno == ENOENT);
	fd = open(precious, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof (buf)) == 8 &&
	    memcmp(buf, "precious", 8) == 0);
	(void) close(fd);
	core_path(path, sizeof (path), testdir, 2);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	core_path(path, sizeof (path), testdir, 4);
	check_core(path, pid, "after links", 0, ST_DUMP_ALL, 0);
}

static void
test_signal(void)
{
	static const char *const want[] = { "fault_here", "fault_outer",
	    "child_segv", "SIGSEGV", NULL };
	const struct elf_prstatus *pr;
	const st_dump_note_t *sn;
	char err[4096], path[1024];
	pid_t pid;
	core_t c;
	int rc;

	rc = run_child(child_segv, NULL, err, sizeof (err), &pid);
	CHECKF(rc == 5, "child status %d: %s", rc, err);
	core_path(path, sizeof (path), testdir, 5);
	check_core(path, pid, "segv test", SIGSEGV, ST_DUMP_ALL, 0);
	if (core_open(&c, path, 1) == 0) {
		sn = core_note(&c, ST_NOTE_NAME, NT_SLABTRACE, NULL);
		CHECK(sn != NULL && sn->sn_fault_addr == results[4]);
		pr = core_note(&c, "CORE", NT_PRSTATUS, NULL);
#if defined(__x86_64__)
		/* The registers are the fault's: rip is in fault_here. */
		CHECK(pr != NULL && pr->pr_reg[16] >= (uintptr_t)fault_here &&
		    pr->pr_reg[16] < (uintptr_t)fault_here + 64);
#else
		(void) pr;
#endif
	}
	core_close(&c);
	check_gdb(path, want);
}

static void
test_heap(void)
{
	static const char *const want[] = { "st_dump_write", "dump_outer",
	    "main", NULL };
	char err[4096], path[1024];
	pid_t pid;
	int rc;

	rc = run_child(child_heap, "heap only", err, sizeof (err), &pid);
	CHECKF(rc == 6, "child status %d: %s", rc, err);
	CHECKF(strstr(err, "content: heap") != NULL, "stderr: %s", err);
	core_path(path, sizeof (path), testdir, 6);
	check_core(path, pid, "heap only", 0, ST_DUMP_HEAP, 0);
	/* The loader's list of objects is kept: gdb finds the stack. */
	check_gdb(path, want);
}

/* Where no dump can go: one line, no file, no hang. */
static void
test_bad_dir(const char *dir, const char *reason)
{
	char err[4096], line[1024];
	int rc;

	pid_t pid;

	rc = run_child(child_dir, (void *)dir, err, sizeof (err), &pid);
	CHECKF(rc == CHILD_FAILED, "%s: child status %d: %s", dir, rc, err);
	(void) snprintf(line, sizeof (line), "slabtrace[%d]: cannot write "
	    "dump to %s: %s\n", (int)pid, dir, reason);
	CHECKF(strcmp(err, line) == 0, "stderr: '%s', wanted '%s'", err,
	    line);
}

static void
test_bad_dirs(void)
{
	char dir[1024];
	int fd;

	(void) snprintf(dir, sizeof (dir), "%s/no/such/dir", testdir);
	test_bad_dir(dir, "no such file or directory");
	(void) snprintf(dir, sizeof (dir), "%s/precious", testdir);
	test_bad_dir(dir, "not a directory");
	(void) snprintf(dir, sizeof (dir), "%s/readonly", testdir);
	REQUIRE(mkdir(dir, 0500) == 0);
	if (geteuid() == 0) {
		check_say("test_dump: running as root, skipping the "
		    "unwritable-directory case\n");
	} else {
		test_bad_dir(dir, "permission denied");
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		CHECK(fd >= 0);
		(void) close(fd);
	}
	(void) chmod(dir, 0700);
	(void) rmdir(dir);
}

/* RLIMIT_FSIZE: the write fails (EFBIG); the headers are kept. */
static void
test_fsize(void)
{
	char err[4096], path[1024];
	struct stat st;
	core_t c;
	int rc;

	rc = run_child(child_fsize, NULL, err, sizeof (err), NULL);
	CHECKF(rc == CHILD_FAILED, "child status %d: %s", rc, err);
	CHECKF(strstr(err, "cannot write dump to") != NULL &&
	    strstr(err, "file too large (vmcore.7 kept, truncated") != NULL,
	    "stderr: %s", err);
	core_path(path, sizeof (path), testdir, 7);
	/* Cut at the limit, or before it where a hole would have been. */
	CHECKF(stat(path, &st) == 0 && st.st_size > 4096 &&
	    st.st_size <= 64 * 1024, "size %lld", (long long)st.st_size);
	if (core_open(&c, path, 0) == 0)
		CHECK(core_note(&c, ST_NOTE_NAME, NT_SLABTRACE, NULL) != NULL);
	core_close(&c);
	(void) unlink(path);
}

static void
test_threads(void)
{
	char err[4096];
	int rc;

	rc = run_child(child_threads, NULL, err, sizeof (err), NULL);
	CHECKF(rc == 0, "child status %d (dumps %d, %d): %s", rc,
	    (int)results[0], (int)results[1], err);
}

static void
test_odd(void)
{
	char err[4096], path[1024];
	unsigned char buf[8];
	uint64_t i, bad = 0;
	pid_t pid;
	core_t c;
	int rc;

	rc = run_child(child_odd, NULL, err, sizeof (err), &pid);
	CHECKF(rc == 9, "child status %d: %s", rc, err);
	CHECKF(strstr(err, ", 3 unreadable pages left out)\n") != NULL,
	    "stderr: %s", err);
	core_path(path, sizeof (path), testdir, 9);
	check_core(path, pid, "odd", 0, ST_DUMP_ALL, 0);
	if (core_open(&c, path, 1) != 0) {
		CHECKF(0, "%s: cannot read", path);
		core_close(&c);
		return;
	}
	CHECK(c.co_eh.e_phnum > 2 * results[7]);
	CHECK(core_read(&c, results[5], buf, 2) == 0 && buf[0] == 'X' &&
	    buf[1] == 'f');
	CHECK(core_read(&c, results[5] + 3 * 4096, buf, 8) == 0 &&
	    buf[0] == 0 && buf[7] == 0);
	for (i = 0; i < results[7]; i++) {
		bad += core_read(&c, results[6] + 2 * i * 4096, buf, 1) != 0 ||
		    buf[0] != (unsigned char)(i | 1);
		bad += core_read(&c, results[6] + (2 * i + 1) * 4096, buf,
		    1) == 0;
	}
	CHECKF(bad == 0, "%lu of %lu small mappings wrong",
	    (unsigned long)bad, (unsigned long)results[7]);
	core_close(&c);
	(void) unlink(path);
}

static void
test_big(void)
{
	char err[4096], path[1024];
	unsigned char buf[8];
	int rc, n;
	core_t c;

	rc = run_child(child_big, NULL, err, sizeof (err), NULL);
	n = rc;
	CHECKF(rc >= 0 && rc < CHILD_FAILED, "child status %d: %s", rc, err);
	if (rc < 0 || rc >= CHILD_FAILED)
		return;
	core_path(path, sizeof (path), testdir, n);
	if (core_open(&c, path, 1) == 0) {
		check_say("test_dump: 100 MB heap + 3 GB reserved: dumped in "
		    "%.3f s, %lld MB file, %lld MB on disk\n",
		    (double)results[0] / 1e9, (long long)(c.co_size >> 20),
		    (long long)(c.co_blocks >> 20));
		CHECKF(results[0] < 20000000000ULL, "dump took %.1f s",
		    (double)results[0] / 1e9);
		/*
		 * At least the heap and the reservation up to its touched
		 * page: untouched pages at a mapping's end are left out of
		 * the file, and whether the kernel merges the two
		 * reservations (and in which order) depends on the layout.
		 */
		CHECK(c.co_size > (512LL << 20) + (100LL << 20));
		CHECKF(c.co_blocks < (400LL << 20), "%lld MB on disk",
		    (long long)(c.co_blocks >> 20));
		CHECK(core_read(&c, results[2] + (50UL << 20), buf, 8) == 0 &&
		    buf[0] == 0xa5 && buf[7] == 0xa5);
		CHECK(core_read(&c, results[3] + (1UL << 29), buf, 8) == 0 &&
		    memcmp(buf, "touched", 8) == 0);
		CHECK(core_read(&c, results[3] + 4096, buf, 8) == 0 &&
		    buf[0] == 0 && buf[7] == 0);
		CHECK(core_read(&c, results[8] + (1UL << 30), buf, 8) == 0 &&
		    buf[0] == 0 && buf[7] == 0);
	} else {
		CHECKF(0, "%s: cannot read", path);
	}
	core_close(&c);
	(void) unlink(path);
}

/* A dump of child_stopped: who has registers, who is named. */
static void
check_stopped(const char *dir, int n, pid_t pid, const char *panic,
    const char *err)
{
	const st_dump_note_t *sn;
	char path[1024], line[256];
	uint64_t seen = 0;
	size_t off;
	int nprs = 0;
	core_t c;

	core_path(path, sizeof (path), dir, n);
	(void) snprintf(line, sizeof (line), "slabtrace[%d]: thread %d did not "
	    "stop; dumped without its registers (", (int)pid,
	    (int)results[12]);
	CHECKF(strstr(err, line) != NULL, "stderr: %s", err);
	if (core_open(&c, path, 1) != 0) {
		CHECKF(0, "%s: not a readable core file", path);
		core_close(&c);
		return;
	}
	sn = core_note(&c, ST_NOTE_NAME, NT_SLABTRACE, NULL);
	CHECKF(sn != NULL && strcmp(sn->sn_panic, panic) == 0 &&
	    sn->sn_version == ST_DUMP_VERSION && sn->sn_nthreads == 3 &&
	    sn->sn_nunstopped == 1, "%s: note: threads %u, not stopped %u",
	    path, sn != NULL ? sn->sn_nthreads : 0,
	    sn != NULL ? sn->sn_nunstopped : 0);
	/* Every NT_PRSTATUS, in order. */
	for (off = 0; off + sizeof (Elf64_Nhdr) <= c.co_notesz; ) {
		const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(c.co_notes + off);
		const struct elf_prstatus *pr = (const void *)(c.co_notes +
		    off + sizeof (*nh) + ((nh->n_namesz + 3) & ~3U));
		int i;

		off += sizeof (*nh) + ((nh->n_namesz + 3) & ~3U) +
		    ((nh->n_descsz + 3) & ~3U);
		if (nh->n_type != NT_PRSTATUS)
			continue;
		if (nprs++ == 0) {
			CHECKF(pr->pr_pid == pid, "first NT_PRSTATUS is %d",
			    (int)pr->pr_pid);
			continue;
		}
		for (i = 0; i < 3 && (uint64_t)pr->pr_pid != results[10 + i];
		    i++)
			continue;
		CHECKF(i < 2, "NT_PRSTATUS of thread %d", (int)pr->pr_pid);
		if (i >= 2)
			continue;
		seen |= 1U << i;
		CHECK(pr->pr_cursig == 0);
#if defined(__x86_64__)
		CHECKF(pr->pr_reg[21] == results[13 + i], "thread %d: fs_base "
		    "%llx, not %llx", (int)pr->pr_pid,
		    (unsigned long long)pr->pr_reg[21],
		    (unsigned long long)results[13 + i]);
		if (i == 1)
			CHECKF(pr->pr_reg[16] >= (uintptr_t)stop_spin_here &&
			    pr->pr_reg[16] < (uintptr_t)stop_spin_here + 64,
			    "the spinner's pc %llx",
			    (unsigned long long)pr->pr_reg[16]);
#endif
	}
	CHECKF(nprs == 3 && seen == 3, "%d NT_PRSTATUS notes", nprs);
	core_close(&c);
}

static void
test_stopped(void)
{
	char dir[512], err[8192], path[1024];
	pid_t pid;
	int rc, i;

	(void) snprintf(dir, sizeof (dir), "%s/stopped", testdir);
	REQUIRE(mkdir(dir, 0700) == 0);
	rc = run_child(child_stopped, dir, err, sizeof (err), &pid);
	CHECKF(rc == 0, "child status %d: %s", rc, err);
	check_stopped(dir, 0, pid, "stopped", err);
	check_stopped(dir, 1, pid, "stopped again", err);
	CHECKF(results[16] == 0 && results[18] == 0, "real-time signals "
	    "handled after the dumps: %d, %d", (int)results[16],
	    (int)results[18]);
	CHECK(results[17] == 1);
	if (check_status() == 0) {
		for (i = 0; i < 2; i++) {
			core_path(path, sizeof (path), dir, i);
			(void) unlink(path);
		}
		(void) rmdir(dir);
	}
}

static void
remove_tree(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void) snprintf(path, sizeof (path), "%s/%s", dir, de->d_name);
		(void) unlink(path);
	}
	(void) closedir(d);
	(void) rmdir(dir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	ssize_t n;

	check_allocator_is_slabtrace();
	(void) snprintf(testdir, sizeof (testdir), "%s/test_dump.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	REQUIRE(mkdtemp(testdir) != NULL);
	n = readlink("/proc/self/exe", exe, sizeof (exe) - 1);
	REQUIRE(n > 0);
	exe[n] = '\0';
	exebase = strrchr(exe, '/') != NULL ? strrchr(exe, '/') + 1 : exe;
	have_gdb = system("command -v gdb >/dev/null 2>&1") == 0;
	if (!have_gdb)
		check_say("test_dump: gdb not installed, skipping the gdb "
		    "checks\n");

	heapbuf = malloc(HEAPBUF_SIZE);
	shmbuf = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	nodumpbuf = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	anonbuf = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	REQUIRE(anonbuf != MAP_FAILED);
	memcpy(anonbuf, "program-anon!!!", 16);
	results = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	REQUIRE(heapbuf != NULL && shmbuf != MAP_FAILED &&
	    nodumpbuf != MAP_FAILED && results != MAP_FAILED);
	memset(heapbuf, 0x11, HEAPBUF_SIZE);
	memcpy(shmbuf, "shared-memory!!", 16);
	memcpy(nodumpbuf, "do-not-dump", 12);
	REQUIRE(madvise(nodumpbuf, SHM_SIZE, MADV_DONTDUMP) == 0);

	test_plain();           /* vmcore.0, vmcore.1 */
	test_symlink();         /* vmcore.2, .3 links; vmcore.4 */
	test_signal();          /* vmcore.5 */
	test_heap();            /* vmcore.6 */
	test_fsize();           /* vmcore.7, truncated */
	test_bad_dirs();
	test_threads();         /* vmcore.7, vmcore.8 */
	test_odd();             /* vmcore.9 */
	test_big();             /* vmcore.9 again */
	test_stopped();         /* stopped/vmcore.0, stopped/vmcore.1 */

	if (check_status() == 0)
		remove_tree(testdir);
	else
		check_say("test_dump: dumps kept in %s\n", testdir);
	return (check_status());
}
