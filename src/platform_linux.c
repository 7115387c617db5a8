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
