/*
 * shim.c: what src/options.c needs from the library, on the C library.
 *
 * `slabtrace run` checks the debugging variables with the library's own
 * parser (st_options_parse), so that a bad value is refused before the
 * program starts, in the same words, from the same table.  options.c is
 * compiled into the command as it is; it calls a few functions of print.c
 * (the formatter) and platform_linux.c (the OS), which would bring the
 * allocator with them.  This file gives those few on the C library
 * instead: the command runs on the C library's malloc, so it may.
 *
 * st_options_init(), the library's start-up path, is linked but never
 * called here: the functions only it uses (st_os_exit, st_os_map,
 * st_os_readlink, st_os_getenv) are here so that the link succeeds, and
 * do what the library's do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* secure_getenv */
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slabtrace_impl.h"

size_t
st_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	return (n < 0 ? 0 : (size_t)n);
}

size_t
st_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = st_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return (n);
}

void
st_os_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
}

const char *
st_os_getenv(const char *name)
{
	return (secure_getenv(name));
}

void
st_os_exit(int status)
{
	_exit(status);
}

void *
st_os_map(size_t size, size_t align)
{
	void *p;

	(void) align;		/* only ever 0 from options.c */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
