/*
 * test_symtab.c: unit test of the symbolizer (symtab.c).
 *
 * Names from the main program's .symtab (a static function, offset 0 and
 * not), from libc, from the vdso, from a library loaded by dlopen() after
 * the module table was built (its refresh); the module and hex forms;
 * truncation; st_symbol_addr() round trips; eight threads symbolizing at
 * once from a cold start; a signal handler symbolizing while the thread it
 * interrupted holds the symbolizer's lock; fork() from such a handler (the
 * child inherits the lock held and must repair it); ELF files with broken
 * section headers (copies of a real library, dlopen()ed: the loader never
 * reads section headers, we do) must give an answer, not a crash; and the
 * cost of a warm lookup (printed, not checked).
 *
 * timeout: 120
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "slabtrace_impl.h"
#include "check.h"

/* In symtab.c; slabtrace_impl.h will declare them. */
int st_symbol_lookup(uintptr_t pc, const char **namep, uintptr_t *offp,
    const char **modulep);
int st_symbol_addr(const char *name, uintptr_t *addrp);

#define NTHREADS        8
#define NPCS            8

/* Big enough that +0x10 is still inside it. */
static __attribute__((noinline, used)) unsigned long
symtab_target(unsigned long x)
{
	unsigned long h = 1469598103934665603UL;
	int i;

	for (i = 0; i < 8; i++) {
		h ^= x >> i;
		h *= 1099511628211UL;
		__asm__ volatile("" : "+r"(h));
	}
	return (h + x * 7 / 3);
}

static __attribute__((used)) int symtab_static_var = 42;

static const char *
basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return (s != NULL ? s + 1 : path);
}

static const char *
sym(uintptr_t pc)
{
	static char buf[256];

	(void) st_symbolize(pc, buf, sizeof (buf));
	return (buf);
}

static uintptr_t
fnaddr(void *p)
{
	return ((uintptr_t)p);
}

/* ---- concurrency: 8 threads from a cold start ---- */

static uintptr_t pcs[NPCS];
static char results[NTHREADS][NPCS][128];
static pthread_barrier_t barrier;
static unsigned long mismatches;

static void *
worker(void *arg)
{
	long t = (long)arg;
	char buf[128];
	int i, n;

	(void) pthread_barrier_wait(&barrier);
	for (i = 0; i < NPCS; i++)
		(void) st_symbolize(pcs[i], results[t][i],
		    sizeof (results[t][i]));
	(void) pthread_barrier_wait(&barrier);      /* main checks them */
	(void) pthread_barrier_wait(&barrier);
	for (n = 0; n < 20000; n++) {
		i = (int)((n + t) % NPCS);
		(void) st_symbolize(pcs[i], buf, sizeof (buf));
		if (strcmp(buf, results[0][i]) != 0)
			__atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);
	}
	return (NULL);
}

static void
test_threads_cold(void)
{
	pthread_t th[NTHREADS];
	long t;
	int i;

	pcs[0] = fnaddr((void *)symtab_target) + 4;
	pcs[1] = fnaddr(dlsym(RTLD_DEFAULT, "qsort")) + 5;
	pcs[2] = fnaddr(dlsym(RTLD_DEFAULT, "memcpy"));
	pcs[3] = fnaddr(dlsym(RTLD_DEFAULT, "pthread_create")) + 1;
	pcs[4] = 0x10;
	pcs[5] = fnaddr((void *)getauxval(AT_SYSINFO_EHDR)) + 0x10;
	pcs[6] = fnaddr((void *)st_symbolize) + 2;
	pcs[7] = fnaddr((void *)worker);
	REQUIRE(pthread_barrier_init(&barrier, NULL, NTHREADS + 1) == 0);
	for (t = 0; t < NTHREADS; t++)
		REQUIRE(pthread_create(&th[t], NULL, worker, (void *)t) == 0);
	(void) pthread_barrier_wait(&barrier);      /* go, all at once */
	(void) pthread_barrier_wait(&barrier);
	for (t = 0; t < NTHREADS; t++) {
		for (i = 0; i < NPCS; i++) {
			CHECKF(strcmp(results[t][i], results[0][i]) == 0,
			    "thread %ld pc %d: %s vs %s", t, i, results[t][i],
			    results[0][i]);
		}
	}
	for (i = 0; i < NPCS; i++)
		CHECKF(strcmp(results[0][i], sym(pcs[i])) == 0,
		    "cold %s, warm %s", results[0][i], sym(pcs[i]));
	CHECKF(strcmp(results[0][0], "symtab_target+0x4") == 0, "%s",
	    results[0][0]);
	CHECKF(strcmp(results[0][7], "worker") == 0, "%s", results[0][7]);
	(void) pthread_barrier_wait(&barrier);
	for (t = 0; t < NTHREADS; t++)
		(void) pthread_join(th[t], NULL);
	CHECKF(mismatches == 0, "%lu mismatches", mismatches);
	(void) pthread_barrier_destroy(&barrier);
}

/* ---- the main program ---- */

static void
test_main_program(void)
{
	uintptr_t a = fnaddr((void *)symtab_target), off, v;
	const char *name, *mod;
	char exe[4096];
	ssize_t n;

	CHECKF(strcmp(sym(a), "symtab_target") == 0, "%s", sym(a));
	CHECKF(strcmp(sym(a + 0x10), "symtab_target+0x10") == 0, "%s",
	    sym(a + 0x10));
	CHECK(st_symbol_lookup(a + 0x1b, &name, &off, &mod) == 1);
	CHECKF(name != NULL && strcmp(name, "symtab_target") == 0, "%s",
	    name != NULL ? name : "(null)");
	CHECKF(off == 0x1b, "off 0x%lx", (unsigned long)off);
	n = readlink("/proc/self/exe", exe, sizeof (exe) - 1);
	REQUIRE(n > 0);
	exe[n] = '\0';
	CHECKF(mod != NULL && strcmp(mod, basename_of(exe)) == 0, "%s",
	    mod != NULL ? mod : "(null)");

	CHECK(st_symbol_addr("symtab_target", &v) == 1 && v == a);
	CHECK(st_symbol_addr("symtab_static_var", &v) == 1 &&
	    v == (uintptr_t)&symtab_static_var);
	CHECK(st_symbol_addr("st_symbolize", &v) == 1 &&
	    v == fnaddr((void *)st_symbolize));
	CHECK(st_symbol_addr("no_such_symbol_at_all_xyzzy", &v) == 0);
	CHECK(st_symbol_addr("", &v) == 0);
	/* The library's own functions are in the program (static link). */
	CHECKF(strcmp(sym(fnaddr((void *)st_symbol_addr)), "st_symbol_addr") ==
	    0, "%s", sym(fnaddr((void *)st_symbol_addr)));
}

/* ---- libc, the vdso, addresses in no module ---- */

static void
test_libc_vdso_hex(void)
{
	uintptr_t q = fnaddr(dlsym(RTLD_DEFAULT, "qsort")), v, off;
	uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	const char *name, *mod;
	char want[64], buf[64];
	void *page;

	REQUIRE(q != 0);
	CHECKF(strcmp(sym(q + 5), "qsort+0x5") == 0, "%s", sym(q + 5));
	CHECKF(strcmp(sym(q), "qsort") == 0, "%s", sym(q));
	CHECK(st_symbol_lookup(q + 1, &name, &off, &mod) == 1);
	CHECKF(mod != NULL && strncmp(mod, "libc.so", 7) == 0, "%s",
	    mod != NULL ? mod : "(null)");
	CHECK(st_symbol_addr("qsort", &v) == 1 && v == q);

	if (vdso != 0) {
		if (st_symbol_addr("__vdso_clock_gettime", &v) == 1) {
			CHECK(st_symbol_lookup(v + 1, &name, &off, &mod) == 1);
			CHECKF(name != NULL && strstr(name, "clock_gettime") !=
			    NULL && off == 1, "%s+%lx", name != NULL ? name :
			    "(null)", (unsigned long)off);
			CHECKF(mod != NULL && strstr(mod, "vdso") != NULL, "%s",
			    mod != NULL ? mod : "(null)");
			printf("vdso: %s\n", sym(v + 1));
		} else {
			printf("vdso: no __vdso_clock_gettime (not checked)\n");
		}
	}

	CHECKF(strcmp(sym(0x10), "0x10") == 0, "%s", sym(0x10));
	CHECKF(strcmp(sym(0), "0x0") == 0, "%s", sym(0));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	REQUIRE(page != MAP_FAILED);
	(void) munmap(page, 4096);
	(void) snprintf(want, sizeof (want), "0x%lx", (unsigned long)page);
	CHECKF(strcmp(sym((uintptr_t)page + 0), want) == 0, "%s vs %s",
	    sym((uintptr_t)page), want);
	CHECK(st_symbol_lookup((uintptr_t)page, &name, &off, &mod) == 0 &&
	    name == NULL && mod == NULL && off == (uintptr_t)page);

	/* Truncation: always NUL-terminated, returns what was written. */
	memset(buf, 'Z', sizeof (buf));
	CHECK(st_symbolize(q + 5, buf, 1) == 0 && buf[0] == '\0' &&
	    buf[1] == 'Z');
	memset(buf, 'Z', sizeof (buf));
	CHECK(st_symbolize(q + 5, buf, 5) == 4 && strcmp(buf, "qsor") == 0 &&
	    buf[5] == 'Z');
	memset(buf, 'Z', sizeof (buf));
	CHECK(st_symbolize(q + 5, buf, 0) == 0 && buf[0] == 'Z');
	CHECK(st_symbolize(q + 5, NULL, 0) == 0);
	CHECK(st_symbolize(q + 5, buf, 10) == 9 &&
	    strcmp(buf, "qsort+0x5") == 0);
	CHECK(st_symbolize(q + 5, buf, 9) == 8 && strcmp(buf, "qsort+0x") == 0);
	CHECK(st_symbolize(0x12345, buf, 4) == 3 && strcmp(buf, "0x1") == 0);
}

/* ---- dlopen: libm's cos, and a library not loaded before ---- */

static const char *newlib_names[][2] = {
	{ "libz.so.1", "zlibVersion" },
	{ "libgcc_s.so.1", "_Unwind_Backtrace" },
	{ "libcrypt.so.1", "crypt" },
	{ "libresolv.so.2", "__dn_expand" },
};

static char newlib_path[4096];

static void
test_dlopen(void)
{
	uintptr_t a, v, off;
	const char *name, *mod;
	struct link_map *lm;
	void *h, *f;
	size_t i;

	h = dlopen("libm.so.6", RTLD_NOW);
	REQUIRE(h != NULL);
	CHECK(st_symbol_addr("cos", &a) == 1);
	CHECKF(strcmp(sym(a + 3), "cos+0x3") == 0, "%s", sym(a + 3));
	/* dlsym gives the IFUNC's choice: some function of libm. */
	f = dlsym(h, "cos");
	REQUIRE(f != NULL);
	(void) st_symbol_lookup(fnaddr(f), &name, &off, &mod);
	CHECKF(mod != NULL && strcmp(mod, "libm.so.6") == 0, "%s",
	    mod != NULL ? mod : "(null)");
	/* Its own name (.symtab of a debug file) or libm's: not a wrong one. */
	CHECKF(strstr(sym(fnaddr(f)), "cos") != NULL ||
	    strncmp(sym(fnaddr(f)), "libm.so.6+0x", 12) == 0, "%s",
	    sym(fnaddr(f)));
	printf("dlsym(cos) = %s\n", sym(fnaddr(f)));

	/* A library not loaded yet: the table was built, must be refreshed. */
	for (i = 0; i < sizeof (newlib_names) / sizeof (newlib_names[0]); i++) {
		if ((h = dlopen(newlib_names[i][0], RTLD_NOW | RTLD_NOLOAD)) !=
		    NULL) {
			(void) dlclose(h);
			continue;
		}
		if ((h = dlopen(newlib_names[i][0], RTLD_NOW)) == NULL)
			continue;
		if ((f = dlsym(h, newlib_names[i][1])) == NULL) {
			(void) dlclose(h);
			continue;
		}
		break;
	}
	if (i == sizeof (newlib_names) / sizeof (newlib_names[0])) {
		printf("dlopen refresh: no candidate library (not checked)\n");
		return;
	}
	a = fnaddr(f);
	CHECK(st_symbol_lookup(a, &name, &off, &mod) == 1);
	CHECKF(name != NULL && off == 0, "%s", sym(a));
	CHECKF(mod != NULL && strcmp(mod, newlib_names[i][0]) == 0, "%s",
	    mod != NULL ? mod : "(null)");
	CHECK(name != NULL && st_symbol_addr(name, &v) == 1 && v == a);
	CHECKF(strncmp(sym(a + 2), name != NULL ? name : "?", 3) == 0, "%s",
	    sym(a + 2));
	printf("%s %s = %s\n", newlib_names[i][0], newlib_names[i][1],
	    sym(a + 2));
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm->l_name != NULL)
		(void) snprintf(newlib_path, sizeof (newlib_path), "%s",
		    lm->l_name);
	/* Close it (it stays in the index): no crash, whatever is there. */
	(void) dlclose(h);
	(void) sym(a);
	(void) sym(a + 2);
}

/* ---- broken section headers ---- */

static unsigned long long rng = 88172645463325252ULL;

static unsigned long long
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

static unsigned char *
read_file(const char *path, size_t *sizep)
{
	unsigned char *p;
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return (NULL);
	if (fstat(fd, &st) != 0 || (p = malloc((size_t)st.st_size)) == NULL ||
	    read(fd, p, (size_t)st.st_size) != st.st_size) {
		(void) close(fd);
		return (NULL);
	}
	(void) close(fd);
	*sizep = (size_t)st.st_size;
	return (p);
}

/* Load the corrupt copy, symbolize in it; 1 if it could be loaded. */
static int
try_broken(const char *dir, int k, const unsigned char *img, size_t size,
    const char *fn)
{
	char path[512], base[64], buf[128];
	const char *name, *mod;
	uintptr_t off, a;
	size_t n;
	void *h, *f;
	int fd, ok = 0;

	(void) snprintf(base, sizeof (base), "libbroken%d.so", k);
	(void) snprintf(path, sizeof (path), "%s/%s", dir, base);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, img, size) == (ssize_t)size);
	(void) close(fd);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		goto out;
	if ((f = dlsym(h, fn)) != NULL) {
		ok = 1;
		a = fnaddr(f);
		memset(buf, 'Z', sizeof (buf));
		n = st_symbolize(a + 7, buf, sizeof (buf));
		CHECKF(n > 0 && n < sizeof (buf) && buf[n] == '\0' &&
		    strlen(buf) == n, "case %d", k);
		(void) st_symbol_lookup(a + 7, &name, &off, &mod);
		CHECKF(mod != NULL && strcmp(mod, base) == 0, "case %d: %s", k,
		    mod != NULL ? mod : "(null)");
		(void) st_symbol_addr(fn, &off);
		(void) st_symbol_addr("no_such_symbol_at_all_xyzzy", &off);
	}
	(void) dlclose(h);
out:
	(void) unlink(path);
	return (ok);
}

static void
test_broken_elf(void)
{
	unsigned char *orig, *img;
	ElfW(Ehdr) *eh;
	ElfW(Phdr) *ph;
	ElfW(Shdr) *sh, *dyn = NULL, *str;
	size_t size, loadend = 0, i, shend, j, shoff, shnum, dynidx = 0;
	char dir[] = "/tmp/test_symtab.XXXXXX";
	const char *fn = NULL;
	int k = 0, loaded = 0;

	for (i = 0; i < sizeof (newlib_names) / sizeof (newlib_names[0]); i++)
		if (strcmp(basename_of(newlib_path), newlib_names[i][0]) == 0)
			fn = newlib_names[i][1];
	if (newlib_path[0] == '\0' || fn == NULL ||
	    (orig = read_file(newlib_path, &size)) == NULL) {
		printf("broken ELF: no library to copy (not checked)\n");
		return;
	}
	if (mkdtemp(dir) == NULL) {
		printf("broken ELF: no temporary directory (not checked)\n");
		free(orig);
		return;
	}
	img = malloc(size);
	REQUIRE(img != NULL);
	eh = (ElfW(Ehdr) *)orig;
	REQUIRE(eh->e_shoff != 0 && eh->e_shoff + (size_t)eh->e_shnum *
	    sizeof (ElfW(Shdr)) <= size);
	ph = (ElfW(Phdr) *)(orig + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset +
		    ph[i].p_filesz > loadend)
			loadend = ph[i].p_offset + ph[i].p_filesz;
	shoff = eh->e_shoff;
	shnum = eh->e_shnum;
	sh = (ElfW(Shdr) *)(orig + shoff);
	shend = shoff + shnum * sizeof (ElfW(Shdr));
	for (i = 0; i < shnum; i++)
		if (sh[i].sh_type == SHT_DYNSYM)
			dyn = &sh[dynidx = i];
	REQUIRE(dyn != NULL && dyn->sh_link < shnum);

	/* The untouched copy, by another path: the real names. */
	memcpy(img, orig, size);
	loaded += try_broken(dir, k++, img, size, fn);
	/* Truncated after the loaded bytes: no section headers at all. */
	loaded += try_broken(dir, k++, img, loadend, fn);
	/* Header fields. */
#define CASE(stmt) do {                                                 \
	memcpy(img, orig, size);                                        \
	eh = (ElfW(Ehdr) *)img;                                         \
	sh = (ElfW(Shdr) *)(img + shoff);                               \
	dyn = &sh[dynidx];                                              \
	str = &sh[dyn->sh_link];                                        \
	(void) str;                                                     \
	stmt;                                                           \
	loaded += try_broken(dir, k++, img, size, fn);                  \
} while (0)
	CASE(eh->e_shoff = (ElfW(Off))-64);
	CASE(eh->e_shoff = size - 8);
	CASE(eh->e_shoff += 1);
	CASE(eh->e_shnum = 0xffff);
	CASE((eh->e_shnum = 0, sh[0].sh_size = ~0UL));
	CASE(eh->e_shstrndx = 0xfffe);
	CASE(eh->e_shentsize = 12);
	CASE(dyn->sh_offset = size - 8);
	CASE(dyn->sh_offset = ~0UL - 4);
	CASE(dyn->sh_size = ~0UL - 0x1000);
	CASE(dyn->sh_size = size);
	CASE(dyn->sh_link = 0xffff);
	CASE(dyn->sh_link = 0);
	CASE(dyn->sh_entsize = 0);
	CASE(dyn->sh_offset += 3);
	CASE(str->sh_size = ~0UL);
	CASE(str->sh_size = 1);
	CASE(str->sh_offset += 1);
	CASE(str->sh_offset = size - 1);
	CASE((str->sh_offset = dyn->sh_offset, str->sh_size = 64));
	CASE(str->sh_type = SHT_NOBITS);
	CASE(dyn->sh_type = SHT_SYMTAB);
	for (i = 0; i < shnum; i++)
		CASE(sh[i].sh_type = SHT_NOTE);
	CASE(for (j = 0; j < shnum; j++)
		sh[j].sh_type = SHT_NOTE);
	/* Random bytes in the part the loader does not read. */
	for (i = 0; i < 300; i++) {
		CASE(for (j = 0; j < 1 + xorshift() % 64; j++)
			img[loadend + xorshift() % (size - loadend)] =
			    (unsigned char)xorshift());
	}
	for (i = 0; i < 100; i++) {
		CASE(for (j = shoff; j < shend; j++)
			if (xorshift() % 8 == 0)
				img[j] = (unsigned char)xorshift());
	}
#undef CASE
	printf("broken ELF: %d copies of %s, %d loaded and symbolized\n", k,
	    basename_of(newlib_path), loaded);
	CHECK(loaded > k / 2);
	(void) rmdir(dir);
	free(img);
	free(orig);
}

/* ---- signal handlers, and fork() while the lock is held ---- */

static uintptr_t sig_pc;
static volatile sig_atomic_t sig_calls, sig_bad, sig_nfork;
static pid_t sig_pids[16];

static void
on_alarm(int sig)
{
	char buf[64];
	int e = errno;

	(void) sig;
	(void) st_symbolize(sig_pc, buf, sizeof (buf));
	if (strcmp(buf, "qsort+0x5") != 0)
		sig_bad++;
	sig_calls++;
	errno = e;
}

/* The child: no other threads, maybe sym_lock held by the parent's copy. */
static void
on_alarm_fork(int sig)
{
	uintptr_t v;
	char buf[64];
	pid_t pid;
	int e = errno;

	(void) sig;
	if (sig_nfork >= (int)(sizeof (sig_pids) / sizeof (sig_pids[0])))
		return;
	if ((pid = fork()) == 0) {
		(void) signal(SIGALRM, SIG_DFL);
		(void) alarm(20);       /* a deadlock kills the child */
		if (st_symbol_addr("symtab_target", &v) != 1 ||
		    v != fnaddr((void *)symtab_target))
			_exit(2);
		(void) st_symbolize(sig_pc, buf, sizeof (buf));
		if (strcmp(buf, "qsort+0x5") != 0)
			_exit(3);
		_exit(0);
	}
	if (pid > 0)
		sig_pids[sig_nfork++] = pid;
	errno = e;
}

static void
run_with_timer(void (*handler)(int), uint64_t ms, int nfork)
{
	struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { { 0, 0 },
	    { 0, 0 } };
	struct sigaction sa, old;
	uintptr_t v;
	uint64_t end;
	struct timespec ts;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	(void) sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + ms;
	REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
	for (;;) {
		/* Holds sym_lock while it reads every module's symbols. */
		(void) st_symbol_addr("no_such_symbol_at_all_xyzzy", &v);
		(void) st_symbolize(sig_pc, NULL, 0);
		(void) clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec /
		    1000000 >= end && sig_nfork >= nfork)
			break;
	}
	(void) setitimer(ITIMER_REAL, &off, NULL);
	(void) sigaction(SIGALRM, &old, NULL);
}

static void
test_signals_fork(void)
{
	int i, st;

	sig_pc = fnaddr(dlsym(RTLD_DEFAULT, "qsort")) + 5;
	run_with_timer(on_alarm, 300, 0);
	printf("signal handler: %d lookups, %d wrong\n", (int)sig_calls,
	    (int)sig_bad);
	CHECK(sig_calls > 0);
	CHECK(sig_bad == 0);

	run_with_timer(on_alarm_fork, 0, 16);
	for (i = 0; i < sig_nfork; i++) {
		CHECK(waitpid(sig_pids[i], &st, 0) == sig_pids[i]);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child %d: status 0x%x", i, st);
	}
}

/* ---- the cost of a warm lookup ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static void
test_timing(void)
{
	enum { BATCHES = 101, PER = 1000 };
	static uint64_t ns[BATCHES];
	uintptr_t q = fnaddr(dlsym(RTLD_DEFAULT, "qsort")) + 5;
	uintptr_t t = fnaddr((void *)symtab_target) + 4;
	char buf[128];
	uint64_t t0;
	int b, i;

	for (i = 0; i < 1000; i++)
		(void) st_symbolize(i & 1 ? q : t, buf, sizeof (buf));
	for (b = 0; b < BATCHES; b++) {
		t0 = now_ns();
		for (i = 0; i < PER; i++)
			(void) st_symbolize(i & 1 ? q : t, buf, sizeof (buf));
		ns[b] = (now_ns() - t0) / PER;
	}
	qsort(ns, BATCHES, sizeof (ns[0]), cmp_u64);
	printf("warm st_symbolize: median %llu ns per lookup (min %llu, "
	    "max %llu)\n", (unsigned long long)ns[BATCHES / 2],
	    (unsigned long long)ns[0], (unsigned long long)ns[BATCHES - 1]);
	for (b = 0; b < BATCHES; b++) {
		t0 = now_ns();
		for (i = 0; i < PER; i++)
			(void) st_symbolize(0x10 + (uintptr_t)i, buf,
			    sizeof (buf));
		ns[b] = (now_ns() - t0) / PER;
	}
	qsort(ns, BATCHES, sizeof (ns[0]), cmp_u64);
	printf("miss (address in no module): median %llu ns\n",
	    (unsigned long long)ns[BATCHES / 2]);
}

int
main(void)
{
	check_allocator_is_slabtrace();
	test_threads_cold();    /* first: the tables are still cold */
	test_main_program();
	test_libc_vdso_hex();
	test_dlopen();
	test_broken_elf();
	test_signals_fork();
	test_timing();
	return (check_status());
}
