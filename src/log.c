/*
 * log.c: the kernel's kmem logs and the message buffer, in memory, so that
 * a crash dump carries them and the debugger can read them (::kmalog,
 * ::msgbuf, ::bufctl -h).
 *
 * 1. The logs.  Four rings of fixed-size records, each allocated once at
 *    start-up with st_os_map (never from the allocator, which they
 *    describe):
 *      transaction  a copy of a buffer's audit bufctl at each allocation
 *                   and free (KMF_AUDIT): thread, time, stack
 *                   (its id in the stack depot, depot.c);
 *      contents     the first bytes of each freed buffer (KMF_CONTENTS);
 *      fail         an audit record for each failed allocation;
 *      slab         an audit record for each slab created.
 *    UMEM_LOGGING sizes them (options.c); a log of size 0 does not exist
 *    and kmem_log_enter() on it returns NULL.
 *
 * 2. Writing without a lock.  As in the kernel, whose CPUs each fill a
 *    chunk of the log, the ring is cut into chunks of lh_chunk records
 *    (KMEM_LOG_CHUNK, fewer for a small log) and a thread claims a whole
 *    chunk with one atomic fetch-and-add of lh_next (slot lh_next modulo
 *    lh_nchunks), then fills it record by record through a thread-local
 *    cursor: no shared cache line is written per record.  Records are
 *    therefore in time order only within a chunk; readers sort them by
 *    timestamp.  A writer overtaken by a whole lap of the ring, or a
 *    signal handler logging in the middle of its thread's write, can leave
 *    a torn record; the debugger checks records (their bc_addr, bc_cache)
 *    before trusting them, as mdb does.
 *
 * 3. History chains.  A record is a copy of the bufctl, whose bc_lastlog
 *    pointed at the buffer's previous record; so from a bufctl the whole
 *    history of a buffer is walked record by record, until a record no
 *    longer describes the same buffer (it was overwritten).
 *
 * 4. The message buffer.  Every report (debug.c) goes to stderr and into
 *    st_msgbuf, a ring of text in the library's own data, which ::msgbuf
 *    prints from a dump.  Writers claim bytes with fetch-and-add too.
 *
 * 5. The transaction and contents logs grow with the heap.  Unless
 *    UMEM_LOGGING sized it, such a log (4 MiB of 80-byte records and 8 MiB
 *    of 256-byte ones with KMEM_FLAGS=0xf) has
 *    its whole ring mapped at start-up, but writers use only its first
 *    lh_nchunks chunks: KMEM_LOG_MIN bytes at first, raised as the heap
 *    grows to keep the ring at 1/2^KMEM_LOG_HEAP_SHIFT of the heap's
 *    memory in use, the caches' slabs and the big buffers (at least
 *    doubling each time), up to the whole ring.
 *    A small program then neither carries it whole in its RSS (pages are
 *    committed as chunks are first claimed, and a busy program claims
 *    them all within a second) nor streams every free's 256 bytes
 *    through memory that no cache holds.  The check is made when a
 *    thread claims a chunk; lh_nchunks only grows, so every record ever
 *    written stays inside the first lh_nchunks chunks, which is all the
 *    readers (the debugger, kmem_log_find) look at.  The whole rings had
 *    been 4.5 of the 7.6 MiB that bench/tight kept under 0xf (glibc's:
 *    1.3).  What a report needs of the transaction log does not depend
 *    on its size: a freed buffer's allocation (the transaction before the
 *    free) is printed from its bufctl's bc_astackid, bc_athread and
 *    bc_atime when a busy program has overwritten the record (a few busy
 *    threads overwrite 512 KiB within 30 ms; tests/wrong/seed_kbad). The
 *    debugger's history of a buffer (::bufctl -h) is then shorter in a
 *    small program; UMEM_LOGGING=transaction=SIZE keeps a fixed one.
 *    KMEM_LOG_MIN is 128 KiB (1,600 transactions, 500 frees' contents):
 *    at 512 KiB the two rings were a third of what a small program kept
 *    under 0xf beyond glibc's footprint (bench/tight's peak 4.3 MB, 3.5
 *    at 128 KiB; cache_scratch's 3.5, 2.8).  Its CPU time did not
 *    change measurably.
 */
#include <stdarg.h>
#include <string.h>

#include "slabtrace_impl.h"

kmem_log_t kmem_transaction_log = { .lh_name = "transaction" };
kmem_log_t kmem_contents_log = { .lh_name = "contents" };
kmem_log_t kmem_failure_log = { .lh_name = "fail" };
kmem_log_t kmem_slab_log = { .lh_name = "slab" };

static char st_msgbuf_data[ST_MSGBUF_SIZE];
st_msgbuf_t st_msgbuf = {
	.mb_magic = ST_MSGBUF_MAGIC,
	.mb_base = st_msgbuf_data,
	.mb_size = ST_MSGBUF_SIZE,
};

#define KMEM_LOG_CHUNK  64      /* records a thread claims at once */
#define KMEM_NLOGS      4
#define KMEM_LOG_MIN    (128UL << 10)   /* a growing log's first size */
#define KMEM_LOG_HEAP_SHIFT     3       /* ... then 1/8 of the heap */

/* The logs that grow with the heap (section 5), by cursor index. */
static uint8_t kmem_log_grows[KMEM_NLOGS];

/* Each thread's place in each log: the next record, and its chunk's end. */
typedef struct kmem_log_cursor {
	uint8_t *lc_next;
	uint8_t *lc_end;
} kmem_log_cursor_t;

static __thread kmem_log_cursor_t kmem_log_cursor[KMEM_NLOGS]
    __attribute__((tls_model("initial-exec")));

static void
kmem_log_create(kmem_log_t *lp, uint64_t size, uint64_t recsize, int grows)
{
	uint64_t nrecs;

	lp->lh_magic = KMEM_LOG_MAGIC;
	lp->lh_recsize = ST_P2ROUNDUP(recsize, 16);
	if (size == 0)
		return;
	nrecs = ST_MAX(size / lp->lh_recsize, 16);
	size = ST_P2ROUNDUP(nrecs * lp->lh_recsize, ST_PAGESIZE);
	lp->lh_base = st_os_map(size, 0);
	if (lp->lh_base == NULL) {
		st_printf(2, "slabtrace: cannot map the %s log (%lu bytes); "
		    "going on without it\n", lp->lh_name, (unsigned long)size);
		return;
	}
	lp->lh_size = size;
	lp->lh_nrecs = size / lp->lh_recsize;
	/* At least 8 chunks, so that a few threads do not wrap the ring. */
	lp->lh_chunk = ST_MAX(ST_MIN(KMEM_LOG_CHUNK, lp->lh_nrecs / 8), 1);
	lp->lh_nchunks = lp->lh_nrecs / lp->lh_chunk;
	if (grows)      /* section 5: KMEM_LOG_MIN, but 8 chunks at least */
		lp->lh_nchunks = ST_MIN(lp->lh_nchunks, ST_MAX(8,
		    KMEM_LOG_MIN / (lp->lh_chunk * lp->lh_recsize)));
}

void
kmem_log_init(void)
{
	uint64_t audit = KMEM_LOG_RECSIZE;

	kmem_log_grows[0] = !(st_opts.so_log_fixed &
	    ST_LOG_FIXED_TRANSACTION);
	kmem_log_grows[1] = !(st_opts.so_log_fixed & ST_LOG_FIXED_CONTENTS);
	kmem_log_create(&kmem_transaction_log, st_opts.so_log_transaction,
	    audit, kmem_log_grows[0]);
	kmem_log_create(&kmem_contents_log, st_opts.so_log_contents,
	    ST_MAX(st_opts.so_contents, 16), kmem_log_grows[1]);
	kmem_log_create(&kmem_failure_log, st_opts.so_log_fail, audit, 0);
	kmem_log_create(&kmem_slab_log, st_opts.so_log_slab, audit, 0);
}

static inline kmem_log_cursor_t *
kmem_log_cursor_of(kmem_log_t *lp)
{
	if (lp == &kmem_transaction_log)
		return (&kmem_log_cursor[0]);
	if (lp == &kmem_contents_log)
		return (&kmem_log_cursor[1]);
	if (lp == &kmem_failure_log)
		return (&kmem_log_cursor[2]);
	return (&kmem_log_cursor[3]);
}

/*
 * Section 5: the chunks the heap's size calls for, at least twice those in
 * use, at most the ring's; returns the number in use.
 */
static __attribute__((noinline)) uint64_t
kmem_log_grow(kmem_log_t *lp, uint64_t n)
{
	uint64_t max = lp->lh_nrecs / lp->lh_chunk, bytes, want;

	if (kmem_default_arena == NULL || kmem_oversize_arena == NULL)
		return (n);
	/*
	 * The heap is what the caches' slabs and the big buffers hold, not
	 * heap_arena's in-use: that counts the oversize arena's whole import
	 * (256 MiB at the first big buffer) as used.
	 */
	bytes = (__atomic_load_n(&kmem_default_arena->vm_kstat.vk_mem_inuse,
	    __ATOMIC_RELAXED) + __atomic_load_n(
	    &kmem_oversize_arena->vm_kstat.vk_mem_inuse, __ATOMIC_RELAXED)) >>
	    KMEM_LOG_HEAP_SHIFT;
	want = bytes / (lp->lh_chunk * lp->lh_recsize);
	if (want <= n)
		return (n);
	want = ST_MIN(ST_MAX(want, 2 * n), max);
	if (__atomic_compare_exchange_n(&lp->lh_nchunks, &n, want, 0,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return (want);
	return (n);             /* another thread grew it: n is now */
}

/* A new chunk for this thread's cursor lc (section 2). */
static __attribute__((noinline)) uint8_t *
kmem_log_claim(kmem_log_t *lp, kmem_log_cursor_t *lc)
{
	uint64_t n, nchunks;
	uint8_t *rec;

	nchunks = __atomic_load_n(&lp->lh_nchunks, __ATOMIC_RELAXED);
	if (kmem_log_grows[lc - kmem_log_cursor] &&
	    nchunks < lp->lh_nrecs / lp->lh_chunk)
		nchunks = kmem_log_grow(lp, nchunks);
	n = __atomic_fetch_add(&lp->lh_next, 1, __ATOMIC_RELAXED) % nchunks;
	rec = lp->lh_base + n * lp->lh_chunk * lp->lh_recsize;
	lc->lc_end = rec + lp->lh_chunk * lp->lh_recsize;
	return (rec);
}

/*
 * The copy leaves no copy of the record in a vector register.  libc's
 * memcpy, or the compiler's inline one, leaves the record in vector
 * registers after the call, the buffer's address in it, and the leak
 * check reads the threads' vector registers: a thread that dropped its
 * buffer's last pointer and blocked right after the malloc would hold it
 * there, and the leak went unreported (integration/leaks, stack_lost).
 * On x86-64 the copy goes through xmm0 and xmm1, cleared after;
 * elsewhere a word at a time through general registers (volatile stores
 * keep the compiler from making it a vector copy).
 */
static inline void
kmem_log_copy(uint8_t *to, const uint8_t *from, size_t n)
{
	size_t i = 0;
	uint64_t w;

#if defined(__x86_64__)
	for (; i + 32 <= n; i += 32)
		__asm__ volatile ("movdqu (%1), %%xmm0\n\t"
		    "movdqu 16(%1), %%xmm1\n\t"
		    "movdqu %%xmm0, (%0)\n\t"
		    "movdqu %%xmm1, 16(%0)" : : "r" (to + i), "r" (from + i) :
		    "xmm0", "xmm1", "memory");
	for (; i + 16 <= n; i += 16)
		__asm__ volatile ("movdqu (%1), %%xmm0\n\t"
		    "movdqu %%xmm0, (%0)" : : "r" (to + i), "r" (from + i) :
		    "xmm0", "memory");
	__asm__ volatile ("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1" : : :
	    "xmm0", "xmm1");
#endif
	for (; i + 8 <= n; i += 8) {
		__builtin_memcpy(&w, from + i, 8);
		*(volatile uint64_t *)(void *)(to + i) = w;
	}
	for (; i < n; i++)
		*(volatile uint8_t *)(to + i) = from[i];
}

/* Copy size bytes (at most a record) into the next record. */
void *
kmem_log_enter(kmem_log_t *lp, const void *data, size_t size)
{
	kmem_log_cursor_t *lc = kmem_log_cursor_of(lp);
	uint8_t *rec = lc->lc_next;

	if (lp->lh_base == NULL)
		return (NULL);
	if (ST_UNLIKELY(rec == NULL || rec >= lc->lc_end))
		rec = kmem_log_claim(lp, lc);
	lc->lc_next = rec + lp->lh_recsize;     /* claimed before the copy */
	kmem_log_copy(rec, data, ST_MIN(size, lp->lh_recsize));
	return (rec);
}

/* ------------------------------------------------------------------------
 * The message buffer.
 */

void
st_msg_write(const char *buf, size_t len)
{
	uint64_t n, i;

	st_report_out(buf, len);
	if (len > st_msgbuf.mb_size)
		return;
	n = __atomic_fetch_add(&st_msgbuf.mb_next, len, __ATOMIC_RELAXED);
	for (i = 0; i < len; i++)
		st_msgbuf.mb_base[(n + i) % st_msgbuf.mb_size] = buf[i];
}

void
st_msg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = st_vsnprintf(line, sizeof (line), fmt, ap);
	va_end(ap);
	st_msg_write(line, ST_MIN(n, sizeof (line) - 1));
}
