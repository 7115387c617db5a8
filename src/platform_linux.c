/*
 * platform_linux.c: the platform contract (platform.h) for Linux and glibc.
 *
 * Every function here is safe to call from inside the allocator: none of
 * them allocates with malloc.  Mappings are anonymous and private; aligned
 * mappings are made by over-mapping and trimming both ends.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

void
st_lock_init(st_lock_t *lk)
{
	(void) pthread_mutex_init(&lk->lk_mutex, NULL);
}

void
st_lock(st_lock_t *lk)
{
	(void) pthread_mutex_lock(&lk->lk_mutex);
}

int
st_trylock(st_lock_t *lk)
{
	return (pthread_mutex_trylock(&lk->lk_mutex) == 0);
}

void
st_unlock(st_lock_t *lk)
{
	(void) pthread_mutex_unlock(&lk->lk_mutex);
}

size_t
st_os_pagesize(void)
{
	return ((size_t)sysconf(_SC_PAGESIZE));
}

void *
st_os_map(size_t size, size_t align)
{
	size_t pagesize = st_os_pagesize();
	size_t len = size + (align > pagesize ? align - pagesize : 0);
	char *p, *aligned;

	if (len < size)
		return (NULL);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
	if (align <= pagesize)
		return (p);
	aligned = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (aligned != p)
		(void) munmap(p, (size_t)(aligned - p));
	if (aligned + size != p + len)
		(void) munmap(aligned + size, (size_t)(p + len - aligned - size));
	return (aligned);
}

void
st_os_unmap(void *addr, size_t size)
{
	(void) munmap(addr, size);
}

void
st_os_decommit(void *addr, size_t size)
{
	(void) madvise(addr, size, MADV_DONTNEED);
}

void *
st_os_remap(void *addr, size_t oldsize, size_t newsize)
{
	void *p = mremap(addr, oldsize, newsize, MREMAP_MAYMOVE);

	return (p == MAP_FAILED ? NULL : p);
}

uint64_t
st_os_now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

uint64_t
st_os_thread_id(void)
{
	return ((uint64_t)syscall(SYS_gettid));
}

static pthread_key_t st_thread_key;

int
st_os_thread_key_create(void (*destructor)(void *))
{
	return (pthread_key_create(&st_thread_key, destructor));
}

void
st_os_thread_key_set(void *value)
{
	(void) pthread_setspecific(st_thread_key, value);
}

int
st_os_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	return (pthread_atfork(prepare, parent, child));
}

void
st_os_write(int fd, const char *buf, size_t len)
{
	int saved = errno;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
	errno = saved;
}

const char *
st_os_getenv(const char *name)
{
	return (secure_getenv(name));
}

void
st_os_die_by_signal(int sig)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;

	(void) sigaction(sig, &sa, NULL);
	(void) sigemptyset(&set);
	(void) sigaddset(&set, sig);
	(void) sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void) syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
	_exit(128 + sig);
}

int
st_os_catch_signal(int sig, st_os_sighandler_t *handler)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof (sa));
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(void *)handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	(void) sigfillset(&sa.sa_mask);
	return (sigaction(sig, &sa, NULL));
}

void
st_os_abort(void)
{
	/* abort() may flush stdio, which can take locks we hold: go direct. */
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;

	(void) sigaction(SIGABRT, &sa, NULL);
	(void) sigemptyset(&set);
	(void) sigaddset(&set, SIGABRT);
	(void) sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void) raise(SIGABRT);
	_exit(128 + SIGABRT);
}

void
st_os_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL),
	    (long)(ns % 1000000000ULL) };

	(void) nanosleep(&ts, NULL);
}

uint64_t
st_os_realtime_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

int
st_os_cpu(void)
{
	unsigned cpu = 0;

	if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0)
		return (-1);
	return ((int)cpu);
}

uint32_t
st_os_pid(void)
{
	return ((uint32_t)getpid());
}

/* ------------------------------------------------------------------------
 * Files.
 */

int
st_os_errno(void)
{
	return (errno);
}

int
st_os_open_read(const char *path)
{
	return (open(path, O_RDONLY | O_CLOEXEC));
}

int
st_os_create_excl(const char *path)
{
	return (open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600));
}

long
st_os_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return ((long)n);
}

long
st_os_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do {
		n = pread(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return ((long)n);
}

long
st_os_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += (size_t)n;
	}
	return ((long)done);
}

long
st_os_lseek(int fd, int64_t off, int whence)
{
	return ((long)lseek(fd, (off_t)off, whence));
}

void
st_os_close(int fd)
{
	(void) close(fd);
}

int64_t
st_os_file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return (-1);
	return ((int64_t)st.st_size);
}

void *
st_os_map_file(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);

	return (p == MAP_FAILED ? NULL : p);
}

long
st_os_readlink(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len > 0 ? len - 1 : 0);

	if (n >= 0 && len > 0)
		buf[n] = '\0';
	return ((long)n);
}

int
st_os_protect(void *addr, size_t size, int prot)
{
	return (mprotect(addr, size, prot == ST_PROT_NONE ? PROT_NONE :
	    PROT_READ | PROT_WRITE));
}

void *
st_os_reserve(size_t size, size_t align)
{
	size_t pagesize = st_os_pagesize();
	size_t len = size + (align > pagesize ? align - pagesize : 0);
	char *p, *aligned;

	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
	aligned = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (align <= pagesize)
		return (p);
	if (aligned > p)
		(void) munmap(p, (size_t)(aligned - p));
	if (aligned + size < p + len)
		(void) munmap(aligned + size, (size_t)(p + len - aligned - size));
	return (aligned);
}

static void
st_copy(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; len > 0 && i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i];
	if (len > 0)
		dst[i] = '\0';
}

void
st_os_uname(char *host, char *release, char *machine, size_t len)
{
	struct utsname u;

	if (uname(&u) != 0)
		memset(&u, 0, sizeof (u));
	st_copy(host, u.nodename, len);
	st_copy(release, u.release, len);
	st_copy(machine, u.machine, len);
}
