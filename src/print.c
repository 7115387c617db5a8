/*
 * print.c: formatted output that never allocates, and the one error
 * function through which every user error is reported.
 *
 * 1. Why our own formatter.  We run inside malloc: stdio may allocate and
 *    takes locks a crashing thread may hold.  st_snprintf() understands the
 *    subset of printf we use (%s %c %d %i %u %x %p %% with the l, ll, z
 *    length modifiers, a field width, '-' and '0' flags) and writes into a
 *    caller's buffer; st_printf() formats into a stack buffer and write(2)s.
 *
 * 2. Errors.  st_error(KMERR_*, cache, buf, routine) is the only place a user
 *    error becomes words, so the wording is fixed per error code (the
 *    kernel's, where it has one) and the debugger can rely on it.  Every
 *    error is fatal: it prints the report and aborts.
 */
#include <stdarg.h>
#include <string.h>

#include "slabtrace_impl.h"

typedef struct st_out {
	char *so_buf;
	size_t so_len;
	size_t so_pos;          /* would-be length, may exceed so_len */
} st_out_t;

static void
out_char(st_out_t *o, char c)
{
	if (o->so_pos + 1 < o->so_len)
		o->so_buf[o->so_pos] = c;
	o->so_pos++;
}

static void
out_pad(st_out_t *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void
out_field(st_out_t *o, const char *s, size_t n, int width, int left,
    char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left)
		out_pad(o, pad, fill);
	while (n-- > 0)
		out_char(o, *s++);
	if (left)
		out_pad(o, ' ', fill);
}

/* Digits of v in base, most significant first, into tmp; returns count. */
static size_t
fmt_digits(char *tmp, uint64_t v, unsigned base)
{
	char rev[24];
	size_t n = 0, i;

	do {
		rev[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	for (i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return (n);
}

static void
out_number(st_out_t *o, uint64_t v, int neg, unsigned base, int width,
    int left, char pad)
{
	char tmp[26];
	size_t n = 0;

	if (neg)
		tmp[n++] = '-';
	n += fmt_digits(tmp + n, v, base);
	out_field(o, tmp, n, width, left, left ? ' ' : pad);
}

size_t
st_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	st_out_t o = { buf, len, 0 };

	for (; *fmt != '\0'; fmt++) {
		int left = 0, width = 0, lng = 0, prec = -1;
		char pad = ' ';
		const char *s;
		int64_t sv;
		uint64_t uv;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = 1;
			else
				pad = '0';
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == '.') {      /* precision: strings only */
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng = 1;
		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			out_field(&o, s, prec >= 0 ? strnlen(s, (size_t)prec) :
			    strlen(s), width, left, ' ');
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case 'd':
		case 'i':
			sv = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			out_number(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv,
			    sv < 0, 10, width, left, pad);
			break;
		case 'u':
		case 'x':
			uv = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			out_number(&o, uv, 0, *fmt == 'u' ? 10 : 16, width,
			    left, pad);
			break;
		case 'p':
			uv = (uintptr_t)va_arg(ap, void *);
			out_char(&o, '0');
			out_char(&o, 'x');
			out_number(&o, uv, 0, 16, width, left, pad);
			break;
		case '%':
			out_char(&o, '%');
			break;
		default:        /* unknown conversion: print it as is */
			out_char(&o, '%');
			if (*fmt == '\0')
				fmt--;
			else
				out_char(&o, *fmt);
			break;
		}
	}
	if (len > 0)
		buf[o.so_pos < len ? o.so_pos : len - 1] = '\0';
	return (o.so_pos);
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

static void
st_vprintf(int fd, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n = st_vsnprintf(buf, sizeof (buf), fmt, ap);

	st_os_write(fd, buf, n < sizeof (buf) ? n : sizeof (buf) - 1);
}

void
st_printf(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_vprintf(fd, fmt, ap);
	va_end(ap);
}

void
st_panic(const char *fmt, ...)
{
	va_list ap;

	st_printf(2, "slabtrace: panic: ");
	va_start(ap, fmt);
	st_vprintf(2, fmt, ap);
	va_end(ap);
	st_printf(2, "\n");
	st_os_abort();
}

void
st_assert_fail(const char *expr, const char *file, int line)
{
	st_panic("assertion failed: %s, file: %s, line: %d", expr, file,
	    line);
}

uint64_t
st_scan_hex(const char **sp)
{
	const char *s = *sp;
	uint64_t v = 0;

	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			v = v << 4 | (uint64_t)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			v = v << 4 | (uint64_t)(*s - 'a' + 10);
		else
			break;
	}
	*sp = s;
	return (v);
}

uint64_t
st_scan_dec(const char **sp)
{
	const char *s = *sp;
	uint64_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	*sp = s;
	return (v);
}

/*
 * A report about buf (cp's, as far as the caller knows): the fields every
 * report has, the rest zero.  Returns 1, for the checks that return
 * "found one".
 */
int
kmem_errinfo_init(kmem_errinfo_t *ei, kmem_error_t error, kmem_cache_t *cp,
    void *buf)
{
	memset(ei, 0, sizeof (*ei));
	ei->ei_error = error;
	ei->ei_cache = ei->ei_realcache = cp;
	ei->ei_buf = ei->ei_base = buf;
	return (1);
}

/* The error function of the non-debug paths: see kmem_error (debug.c). */
void
st_error(kmem_error_t error, kmem_cache_t *cp, void *buf, const char *routine)
{
	kmem_errinfo_t ei;

	(void) kmem_errinfo_init(&ei, error, cp, buf);
	ei.ei_routine = routine;
	kmem_error(&ei);
}
