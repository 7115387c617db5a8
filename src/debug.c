/*
 * debug.c: the kmem_flags checks (Bonwick 1994, section 6; the kernel's
 * kmem_cache_alloc_debug / kmem_cache_free_debug / kmem_error).
 *
 * 1. Which caches.  The process-wide flags (options.c) apply to every cache
 *    except the allocator's own (KMC_NODEBUG) and vmem's quantum caches,
 *    whose buffers are slabs of other caches.  kmem_cache_debug_flags()
 *    applies the kernel's rules: LITE means DEADBEEF and REDZONE without
 *    AUDIT; DEADBEEF and AUDIT imply REDZONE; CONTENTS needs AUDIT.
 *
 * 2. The buffer tag.  A debugged cache's chunk is the buffer, rounded to 8
 *    bytes, then a kmem_buftag_t (cache_buftag is its offset):
 *      bt_redzone  0xfeedfacefeedface while the buffer is out; the second
 *                  32-bit word then holds the size kmem_alloc/malloc/new
 *                  was asked for and the routine that asked
 *                  (KMEM_SIZE_ENCODE and st_kind_t), and the bytes from
 *                  that size to the tag are 0xbb;
 *      bt_bufctl   the buffer's bufctl;
 *      bt_bxstat   bt_bufctl ^ KMEM_BUFTAG_ALLOC or ^ KMEM_BUFTAG_FREE.
 *    bxstat validates the bufctl pointer and records the state at once: on
 *    free, ^ALLOC is a good buffer, ^FREE a duplicate free, anything else a
 *    corrupted tag.  In a small slab the free-list link is the tag's
 *    redzone word (it is rewritten when the buffer leaves the slab).
 *
 *    The rest of the chunk after the tag, the gap (what the cache's
 *    alignment leaves: 4072 bytes in kmem_alloc_4096's chunks; and at
 *    least KMEM_GAP_MIN where the chunks were made 16-aligned to save
 *    memory, kmem.c section 2: 24 in kmem_alloc_64's 112-byte chunks),
 *    and a slab's colour bytes before its first
 *    chunk (at least KMEM_LEAD_CHECK, slab.c section 4), are filled with
 *    KMEM_REDZONE_BYTE when the slab is made.  The gap's first half is
 *    the buffer's trailing redzone, its second half the next buffer's
 *    leading one (kmem_gap(), slabtrace_impl.h).  A free checks
 *    KMEM_LEAD_CHECK bytes of each, next to the tag and next to the
 *    buffer, where overruns and underflows start; the verify of the
 *    whole heap (and the debugger) checks them whole.  So an overrun that
 *    jumps the tag (a field of the element past an array's end) and an
 *    underflow are each caught, and blamed on the nearer buffer.  Before,
 *    the gap's last 64 bytes were the next buffer's and the rest was not
 *    looked at: 28 bytes past a 64-byte buffer were reported at the next
 *    buffer's free as its underflow, and a write 31 bytes past a
 *    4096-byte buffer was not seen at all.
 *
 * 3. States.  Buffers in slabs and magazines are free: filled with
 *    0xdeadbeef (cache_verify bytes, limited by maxverify) and tagged FREE.
 *    kmem_cache_alloc_debug() verifies the pattern (any difference is a
 *    modification after free, reported at the first differing word),
 *    refills with 0xbaddcafe and tags ALLOC; kmem_cache_free_check()
 *    checks the tag and the redzone, refills with 0xdeadbeef and tags FREE.
 *    Because the pattern destroys the contents, a debugged cache with a
 *    constructor constructs on every allocation and destructs on every
 *    free (slab.c skips its slab-trip construction).
 *    A free claims the buffer first, by a compare-and-swap of bxstat from
 *    ALLOC to FREE (malloc's checks in kmem_debug_check_free, which leave
 *    kmem_free_asked.fa_buf to say the claim is this thread's; otherwise
 *    kmem_cache_free_debug; lite's kmem_lite_free), and gives it back
 *    (ALLOC) if it reports and does not free it: two threads freeing one
 *    buffer at once then see one claim each, and the second reports a
 *    duplicate free.  With plain loads and stores both could pass the
 *    checks (the buffer went to two magazines, to be handed out twice),
 *    or the second read the tag the first was rewriting and said "wrong
 *    routine".
 *
 * 4. Auditing.  With KMF_AUDIT every bufctl is a kmem_bufctl_audit_t (the
 *    cache uses the large layout, bufctls found through the hash) and
 *    each allocation and free records thread, time and stack in it and a
 *    copy in the transaction log (log.c); the stack is an id in the stack
 *    depot (depot.c), which keeps each distinct stack once; with
 *    KMF_CONTENTS a free also saves the buffer's first cache_contents
 *    bytes in the contents log.  The time is the TSC's where it can be
 *    (platform_linux.c), unfenced, and made later than the buffer's
 *    previous transaction (the bufctl holds its time), so that a buffer's
 *    history is in order whichever threads and CPUs it went through.
 *    LITE keeps, instead, the last KMEM_LITE_DEPTH callers in the tag.
 *
 * 5. Reports.  kmem_error() prints, in the kernel's words, what is wrong,
 *    the buffer, its bufctl and cache, and the buffer's last transactions
 *    with their stacks; then (unless noabort) "panic[cpuN]/thread=T: heap
 *    corruption detected" with the panicking stack, writes a dump
 *    (dump.c) and aborts.  Everything goes through st_msg(), to stderr
 *    and the message buffer, with no allocation.
 *
 * 6. Lite's fast paths.  In lite mode alone (no firewall), malloc and free
 *    of the kmem_alloc_N caches do the whole of section 3 and the size
 *    checks in one function each, kmem_lite_malloc and kmem_lite_free:
 *    the magazine round, the tag, the first word, the size byte, the
 *    caller.  Each only looks until it knows all is well, and returns
 *    "not taken" before changing anything when it is not (an empty or
 *    full magazine, a bad tag, a modified word, a foreign cache), so the
 *    general path runs on the same state and makes the same report.
 */
#include <string.h>

#include <ucontext.h>

#include "slabtrace_impl.h"

uint32_t kmem_flags;                    /* KMF_* in force (options.c) */
int kmem_debugging;                     /* malloc & co. take debug paths */
int kmem_lite_fast;                     /* section 6's paths apply */
kmem_cache_t *kmem_bufctl_audit_cache;
static uint32_t kmem_audit_size;        /* bytes of an audit bufctl */
static int kmem_wide;                   /* AVX2 pattern loops (section 2) */

#define KMEM_REDZONE_32         0xfeedfaceU
#define KMEM_BUFTAG(cp, buf)    \
	((kmem_buftag_t *)((char *)(buf) + (cp)->cache_buftag))

/* ------------------------------------------------------------------------
 * Set-up.
 */

void
kmem_debug_init(void)
{
	st_options_init();
	kmem_flags = st_opts.so_kmem_flags;
	kmem_debugging = (kmem_flags & KMF_CACHE_DEBUG) != 0 ||
	    st_opts.so_firewall != UINT64_MAX;
	kmem_lite_fast = (kmem_cache_debug_flags(0) & ~(KMF_DEADBEEF |
	    KMF_REDZONE | KMF_BUFTAG)) == KMF_LITE &&
	    st_opts.so_firewall == UINT64_MAX;
	kmem_audit_size = (uint32_t)sizeof (kmem_bufctl_audit_t);
	kmem_wide = st_os_cpu_wide();
	kmem_log_init();
	st_root.sr_kmem_flags = kmem_flags;
	st_root.sr_stack_depth = st_opts.so_stack_depth;
	st_root.sr_depot = &st_depot;
	st_root.sr_transaction_log = &kmem_transaction_log;
	st_root.sr_contents_log = &kmem_contents_log;
	st_root.sr_failure_log = &kmem_failure_log;
	st_root.sr_slab_log = &kmem_slab_log;
	st_root.sr_msgbuf = &st_msgbuf;
	st_root.sr_options = &st_opts;
	st_root.sr_start_mono = st_os_now_ns();
	st_root.sr_start_real = st_os_realtime_ns();
	st_fault_init();
}

uint32_t
kmem_cache_debug_flags(uint32_t cflags)
{
	uint32_t f = kmem_flags & KMF_CACHE_DEBUG;

	if (cflags & (KMC_NODEBUG | KMC_QCACHE))
		return (0);
	if (cflags & KMC_NOTOUCH)
		f &= ~(KMF_DEADBEEF | KMF_LITE | KMF_CONTENTS);
	if (f & KMF_LITE)
		f = (f & ~(KMF_AUDIT | KMF_CONTENTS)) | KMF_BUFTAG;
	if (f & (KMF_DEADBEEF | KMF_AUDIT))
		f |= KMF_REDZONE;
	if (!(f & KMF_AUDIT))
		f &= ~KMF_CONTENTS;
	return (f);
}

/* Room for the tag after the buffer; what to verify and save. */
void
kmem_cache_debug_layout(kmem_cache_t *cp)
{
	uint64_t tag, tight;

	if (!(cp->cache_flags & KMF_BUFTAG))
		return;
	tag = (cp->cache_flags & KMF_LITE) ? sizeof (kmem_buftag_lite_t) :
	    sizeof (kmem_buftag_t);
	cp->cache_buftag = ST_P2ROUNDUP(cp->cache_bufsize, KMEM_ALIGN);
	cp->cache_chunksize = ST_P2ROUNDUP(cp->cache_buftag + tag,
	    cp->cache_align);
	/* 16-aligned with a gap, where that is smaller (kmem.c, 2.) */
	tight = ST_P2ROUNDUP(cp->cache_buftag + tag + KMEM_GAP_MIN, 16);
	if ((cp->cache_cflags & KMC_TIGHT) && tight < cp->cache_chunksize) {
		cp->cache_align = ST_MIN(cp->cache_align, 16);
		cp->cache_chunksize = tight;
	}
	cp->cache_chunkinv = UINT64_MAX / cp->cache_chunksize + 1;
	cp->cache_verify = ST_MIN(cp->cache_buftag, st_opts.so_maxverify) &
	    ~(uint64_t)7;
	if (cp->cache_flags & KMF_CONTENTS)
		cp->cache_contents = ST_MIN(cp->cache_bufsize,
		    st_opts.so_contents);
}

/* ------------------------------------------------------------------------
 * Patterns.
 */

/*
 * The pattern loops run over every freed and every allocated buffer, so
 * they go 64 bytes at a time in 16-byte vectors (SSE2 on x86-64, NEON on
 * aarch64, through the compilers' vector extensions); buffers are only
 * 8-byte aligned, hence the type's alignment.  The last words, and the
 * block holding a difference, go a word at a time.
 */
typedef uint64_t st_v2_t __attribute__((vector_size(16), aligned(8)));

#define ST_V2_BLOCK     64

/*
 * Where the CPU has AVX2 (st_os_cpu_wide, asked once at start-up), the
 * bulk goes 128 bytes at a time in 32-byte vectors first: a 64-byte
 * block's check-and-fill is 8 instructions instead of 24, which took 9%
 * off KMEM_FLAGS=0xf's malloc/free loop (bench/tight).  The 16-byte loops
 * do the rest.
 * Each returns where it stopped: the end of the last whole block, or the
 * block holding a difference.
 */

#if defined(__x86_64__)
#include <immintrin.h>

#define ST_V4_BLOCK     128
#define ST_WIDE         __attribute__((target("avx2"), noinline))

ST_WIDE static char *
copy_pattern_wide(uint64_t pattern, char *p, const char *end)
{
	__m256i v = _mm256_set1_epi64x((long long)pattern);

	for (; p + ST_V4_BLOCK <= end; p += ST_V4_BLOCK) {
		_mm256_storeu_si256((__m256i *)(void *)p, v);
		_mm256_storeu_si256((__m256i *)(void *)(p + 32), v);
		_mm256_storeu_si256((__m256i *)(void *)(p + 64), v);
		_mm256_storeu_si256((__m256i *)(void *)(p + 96), v);
	}
	return (p);
}

/* Is the 128-byte block at p all pv? */
#define ST_WIDE_SAME(p, pv) __extension__ ({				\
	__m256i d_ = _mm256_or_si256(_mm256_or_si256(			\
	    _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)	\
	    (const void *)(p)), pv),					\
	    _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)	\
	    (const void *)((p) + 32)), pv)),				\
	    _mm256_or_si256(						\
	    _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)	\
	    (const void *)((p) + 64)), pv),				\
	    _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)	\
	    (const void *)((p) + 96)), pv)));				\
	_mm256_testz_si256(d_, d_);					\
})

ST_WIDE static char *
verify_and_copy_wide(uint64_t pattern, uint64_t fill, char *p,
    const char *end)
{
	__m256i pv = _mm256_set1_epi64x((long long)pattern);
	__m256i fv = _mm256_set1_epi64x((long long)fill);

	for (; p + ST_V4_BLOCK <= end; p += ST_V4_BLOCK) {
		if (ST_UNLIKELY(!ST_WIDE_SAME(p, pv)))
			break;
		_mm256_storeu_si256((__m256i *)(void *)p, fv);
		_mm256_storeu_si256((__m256i *)(void *)(p + 32), fv);
		_mm256_storeu_si256((__m256i *)(void *)(p + 64), fv);
		_mm256_storeu_si256((__m256i *)(void *)(p + 96), fv);
	}
	return (p);
}

ST_WIDE static const char *
find_nonpattern_wide(uint64_t pattern, const char *p, const char *end)
{
	__m256i pv = _mm256_set1_epi64x((long long)pattern);

	for (; p + ST_V4_BLOCK <= end; p += ST_V4_BLOCK)
		if (ST_UNLIKELY(!ST_WIDE_SAME(p, pv)))
			break;
	return (p);
}
#else
#define ST_V4_BLOCK     (1UL << 62)     /* never */
#define copy_pattern_wide(pattern, p, end)              (p)
#define verify_and_copy_wide(pattern, fill, p, end)     (p)
#define find_nonpattern_wide(pattern, p, end)           (p)
#endif

static void
copy_pattern(uint64_t pattern, void *buf, uint64_t size)
{
	char *p = buf, *end = p + size;
	st_v2_t v = { pattern, pattern };

	if (kmem_wide && size >= ST_V4_BLOCK)
		p = copy_pattern_wide(pattern, p, end);
	for (; p + ST_V2_BLOCK <= end; p += ST_V2_BLOCK) {
		((st_v2_t *)(void *)p)[0] = v;
		((st_v2_t *)(void *)p)[1] = v;
		((st_v2_t *)(void *)p)[2] = v;
		((st_v2_t *)(void *)p)[3] = v;
	}
	for (; p < end; p += 8)
		*(uint64_t *)(void *)p = pattern;
}

/*
 * Check buf is all `pattern`, turning it into `fill`: NULL if it was, else
 * the first word that was not, its value in *badp.
 */
static uint64_t *
verify_and_copy_pattern(uint64_t pattern, uint64_t fill, void *buf,
    uint64_t size, uint64_t *badp)
{
	char *p = buf, *end = p + size;
	st_v2_t pv = { pattern, pattern }, fv = { fill, fill };
	uint64_t *w;

	if (kmem_wide && size >= ST_V4_BLOCK)
		p = verify_and_copy_wide(pattern, fill, p, end);
	for (; p + ST_V2_BLOCK <= end; p += ST_V2_BLOCK) {
		st_v2_t *b = (st_v2_t *)(void *)p;
		st_v2_t d = (b[0] ^ pv) | (b[1] ^ pv) | (b[2] ^ pv) |
		    (b[3] ^ pv);

		if (ST_UNLIKELY((d[0] | d[1]) != 0))
			break;
		b[0] = fv;
		b[1] = fv;
		b[2] = fv;
		b[3] = fv;
	}
	for (w = (uint64_t *)(void *)p; (char *)w < end; w++) {
		if (*w != pattern) {
			uint64_t *bad = w;

			*badp = *w;
			for (; (char *)w < end; w++)
				*w = fill;
			return (bad);
		}
		*w = fill;
	}
	return (NULL);
}

/* Read-only: the first word of buf that is not `pattern`, or NULL. */
static const uint64_t *
find_nonpattern(uint64_t pattern, const void *buf, uint64_t size)
{
	const char *p = buf, *end = p + size;
	st_v2_t pv = { pattern, pattern };
	const uint64_t *w;

	if (kmem_wide && size >= ST_V4_BLOCK)
		p = find_nonpattern_wide(pattern, p, end);
	for (; p + ST_V2_BLOCK <= end; p += ST_V2_BLOCK) {
		const st_v2_t *b = (const st_v2_t *)(const void *)p;
		st_v2_t d = (b[0] ^ pv) | (b[1] ^ pv) | (b[2] ^ pv) |
		    (b[3] ^ pv);

		if (ST_UNLIKELY((d[0] | d[1]) != 0))
			break;
	}
	for (w = (const uint64_t *)(const void *)p; (const char *)w < end; w++)
		if (*w != pattern)
			return (w);
	return (NULL);
}

/*
 * The first byte in [p, end) that is not KMEM_REDZONE_BYTE, or NULL: the
 * padding between a buffer's requested size and its tag, up to a few KiB
 * (a 2100-byte malloc in kmem_alloc_3072), is checked at every free, and
 * a firewall buffer's slack (firewall.c).
 */
const uint8_t *
kmem_redzone_find(const uint8_t *p, const uint8_t *end)
{
	const uint64_t *w;
	uint64_t n;

	if (p >= end)
		return (NULL);
	for (; p < end && ((uintptr_t)p & 7) != 0; p++)
		if (*p != KMEM_REDZONE_BYTE)
			return (p);
	n = (uint64_t)(end - p) & ~(uint64_t)7;
	if (n != 0 && (w = find_nonpattern(0xbbbbbbbbbbbbbbbbULL, p, n)) !=
	    NULL)
		p = (const uint8_t *)w;         /* a byte of it differs */
	else
		p += n;
	for (; p < end; p++)
		if (*p != KMEM_REDZONE_BYTE)
			return (p);
	return (NULL);
}

/* KMEM_LEAD_CHECK and kmem_tag_end(): slabtrace_impl.h (the debugger's
   ::kmem_verify checks the same bytes). */

/*
 * The leading redzone of buf, a chunk of slab sp (section 2): [*lop, buf),
 * the second half of the gap before it, its last KMEM_LEAD_CHECK bytes at
 * most unless `whole` (an underflow starts right before the buffer, and a
 * free checks only there; kmem_alloc_4096's chunks have 4072 bytes of
 * padding).
 * NULL if intact, else the first byte of it that was written.
 */
static const uint8_t *
kmem_lead_check(const kmem_cache_t *cp, const kmem_slab_t *sp,
    const void *buf, int whole, const uint8_t **lop)
{
	const uint8_t *b = buf, *first = (const uint8_t *)sp->slab_base +
	    sp->slab_color;

	*lop = b - kmem_lead_len(cp, sp->slab_color, b == first, 1, whole);
	return (kmem_redzone_find(*lop, b));
}

/* Called by slab.c for each buffer of a new slab. */
void
kmem_debug_slab_init(kmem_cache_t *cp, kmem_slab_t *sp)
{
	uint64_t gap = kmem_gap(cp), tag_end = kmem_tag_end(cp),
	    color = ST_MIN(sp->slab_color, KMEM_LEAD_CHECK);
	char *first = (char *)sp->slab_base + sp->slab_color;
	uint32_t i;
	kmem_bufctl_t *bcp;

	/*
	 * The redzones: every gap whole (the buffer's trailing and the next
	 * one's leading halves; a gap lies in its tag's page, which is
	 * written below anyway), and before the first chunk.
	 */
	memset(first - color, KMEM_REDZONE_BYTE, color);
	for (i = 0; gap > 0 && i < sp->slab_chunks; i++)
		memset(first + (uint64_t)i * cp->cache_chunksize + tag_end,
		    KMEM_REDZONE_BYTE, gap);

	if (cp->cache_flags & KMF_HASH) {
		for (bcp = sp->slab_head; bcp != NULL; bcp = bcp->bc_next) {
			kmem_buftag_t *btp = KMEM_BUFTAG(cp, bcp->bc_addr);

			if (cp->cache_flags & KMF_AUDIT) {
				kmem_bufctl_audit_t *bcap =
				    (kmem_bufctl_audit_t *)bcp;

				memset((char *)bcap + sizeof (*bcp), 0,
				    kmem_audit_size - sizeof (*bcp));
				bcap->bc_cache = cp;
			}
			btp->bt_redzone = KMEM_REDZONE_PATTERN;
			btp->bt_bufctl = bcp;
			btp->bt_bxstat = (intptr_t)bcp ^ KMEM_BUFTAG_FREE;
			if (cp->cache_flags & KMF_DEADBEEF)
				copy_pattern(KMEM_FREE_PATTERN, bcp->bc_addr,
				    cp->cache_verify);
		}
	} else {
		for (i = 0; i < sp->slab_chunks; i++) {
			char *buf = (char *)sp->slab_base + sp->slab_color +
			    i * cp->cache_chunksize;
			kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);

			/* bt_redzone is the free-list link here. */
			bcp = (kmem_bufctl_t *)(buf + cp->cache_bufctl);
			btp->bt_bufctl = bcp;
			btp->bt_bxstat = (intptr_t)bcp ^ KMEM_BUFTAG_FREE;
			if (cp->cache_flags & KMF_DEADBEEF)
				copy_pattern(KMEM_FREE_PATTERN, buf,
				    cp->cache_verify);
		}
	}
	kmem_log_slab(cp, sp);
}

/* ------------------------------------------------------------------------
 * Auditing.
 */

/*
 * Our own text, so that lite mode can record the caller outside it and
 * reports can start at the program's call (report.c).  Linked into the
 * program (the static archive), this is the program's text too.
 */
int
kmem_pc_is_ours(uintptr_t pc)
{
	extern char __ehdr_start[] __attribute__((visibility("hidden")));
	extern char __etext[] __attribute__((weak, visibility("hidden")));
	uintptr_t lo = (uintptr_t)__ehdr_start;
	uintptr_t hi = __etext != NULL ? (uintptr_t)__etext : lo;

	return (pc >= lo && pc < hi);
}

/*
 * Not inlined: the capture skips exactly this frame.  An allocation's
 * stack and thread are kept in bc_astackid and bc_athread too.
 */
static __attribute__((noinline)) void
kmem_audit(kmem_log_t *lp, kmem_cache_t *cp, kmem_bufctl_audit_t *bcp,
    int alloc)
{
	bcp->bc_cache = cp;
	/* After the buffer's previous transaction, whatever CPU it ran on. */
	bcp->bc_timestamp = st_os_stamp_ns(bcp->bc_timestamp);
	bcp->bc_thread = kmem_thread_self != &kmem_thread_dead ?
	    kmem_thread_self->kt_tid : st_os_thread_id();
	/* From our caller: kmem_cache_free_debug+0x.., as in the kernel. */
	kmem_bc_capture(bcp);
	if (alloc) {
		bcp->bc_astackid = bcp->bc_stackid;
		bcp->bc_athread = (uint32_t)bcp->bc_thread;
		bcp->bc_atime = bcp->bc_timestamp;
	}
	bcp->bc_lastlog = kmem_log_enter(lp, bcp, KMEM_LOG_RECSIZE);
}

__thread uintptr_t kmem_caller __attribute__((tls_model("initial-exec")));

/* The newest caller first in the tag's history. */
static inline void
kmem_lite_push(kmem_buftag_lite_t *btlp, uintptr_t caller)
{
	for (int i = KMEM_LITE_DEPTH - 1; i > 0; i--)
		btlp->bt_history[i] = btlp->bt_history[i - 1];
	btlp->bt_history[0] = caller;
}

/*
 * Lite mode keeps the program's caller: malloc and free leave it in
 * kmem_caller (cheap); other entry points cost a short stack walk.
 */
static void
kmem_lite_history(kmem_buftag_lite_t *btlp)
{
	uintptr_t pcs[8];
	uint32_t n, i;
	uintptr_t caller = kmem_caller;

	if (caller != 0) {
		kmem_caller = 0;
	} else {
		n = st_stack_capture(pcs, 8, 1);
		for (i = 0; i < n && caller == 0; i++)
			if (!kmem_pc_is_ours(pcs[i]))
				caller = pcs[i];
		if (caller == 0 && n > 0)
			caller = pcs[n - 1];
	}
	kmem_lite_push(btlp, caller);
}

/* An allocation failed: log it with the failing stack. */
void
kmem_log_failure(kmem_cache_t *cp, size_t size)
{
	kmem_bufctl_audit_t rec, *bcp = &rec;

	if (kmem_failure_log.lh_base == NULL)
		return;
	memset(bcp, 0, sizeof (*bcp));
	bcp->bc_addr = (void *)(uintptr_t)size;
	kmem_audit(&kmem_failure_log, cp, bcp, 0);
}

void
kmem_log_slab(kmem_cache_t *cp, kmem_slab_t *sp)
{
	kmem_bufctl_audit_t rec, *bcp = &rec;

	if (kmem_slab_log.lh_base == NULL)
		return;
	memset(bcp, 0, sizeof (*bcp));
	bcp->bc_addr = sp->slab_base;
	bcp->bc_slab = sp;
	kmem_audit(&kmem_slab_log, cp, bcp, 0);
}

/* ------------------------------------------------------------------------
 * Allocation and free.
 */

/*
 * A free buffer must still be all 0xdeadbeef (lite: its first word); it
 * is left filled with `fill`.  A difference is reported at the first
 * differing word.
 */
static void
kmem_verify_pattern(kmem_cache_t *cp, void *buf, uint64_t fill)
{
	uint64_t *bad, badval = *(uint64_t *)buf;
	kmem_errinfo_t ei;

	if (cp->cache_flags & KMF_LITE) {
		bad = badval != KMEM_FREE_PATTERN ? buf : NULL;
		*(uint64_t *)buf = fill;
	} else {
		bad = verify_and_copy_pattern(KMEM_FREE_PATTERN, fill, buf,
		    cp->cache_verify, &badval);
	}
	if (ST_LIKELY(bad == NULL))
		return;
	(void) kmem_errinfo_init(&ei, KMERR_MODIFIED, cp, buf);
	ei.ei_off = (uint64_t)((char *)bad - (char *)buf);
	ei.ei_old = KMEM_FREE_PATTERN;
	ei.ei_new = badval;
	kmem_error(&ei);
}

static int
kmem_debug_report(kmem_error_t error, kmem_cache_t *cp, void *buf)
{
	kmem_errinfo_t ei;

	(void) kmem_errinfo_init(&ei, error, cp, buf);
	kmem_error(&ei);
	return (-1);
}

/*
 * buf just left the magazine or slab layer.  0: hand it out; -1: its tag
 * is corrupt (reported, noabort): the caller must not use it.
 */
/* Never inlined: its frame heads every audit stack, as in the kernel. */
__attribute__((noinline)) int
kmem_cache_alloc_debug(kmem_cache_t *cp, void *buf, int kmflag)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);
	kmem_bufctl_t *bcp = btp->bt_bufctl;
	uint32_t f = cp->cache_flags;

	if (((intptr_t)bcp ^ btp->bt_bxstat) != (intptr_t)KMEM_BUFTAG_FREE)
		return (kmem_debug_report(KMERR_BADBUFTAG, cp, buf));
	btp->bt_redzone = KMEM_REDZONE_PATTERN;
	if (f & KMF_DEADBEEF)
		kmem_verify_pattern(cp, buf, KMEM_UNINITIALIZED_PATTERN);
	btp->bt_bxstat = (intptr_t)bcp ^ KMEM_BUFTAG_ALLOC;
	if (f & KMF_AUDIT)
		kmem_audit(&kmem_transaction_log, cp,
		    (kmem_bufctl_audit_t *)bcp, 1);
	if (f & KMF_LITE)
		kmem_lite_history((kmem_buftag_lite_t *)btp);
	if ((f & KMF_DEADBEEF) && cp->cache_constructor != NULL &&
	    cp->cache_constructor(buf, cp->cache_private, kmflag) != 0) {
		(void) kmem_cache_free_debug(cp, buf);
		kmem_slab_free(cp, buf);
		return (-2);
	}
	return (0);
}

/*
 * A free buffer leaves the magazine layer or the quarantine without being
 * allocated: check its pattern now, while the culprit may still be near.
 */
void
kmem_debug_verify_free(kmem_cache_t *cp, void *buf)
{
	if (cp->cache_flags & KMF_DEADBEEF)
		kmem_verify_pattern(cp, buf, KMEM_FREE_PATTERN);
}

/* Is bcp a bufctl that the tag of buf in cp may point to? */
static int
kmem_bufctl_valid(kmem_cache_t *cp, void *buf, kmem_bufctl_t *bcp)
{
	uintptr_t pm;

	if (!(cp->cache_flags & KMF_HASH))
		return ((char *)bcp == (char *)buf + cp->cache_bufctl);
	if (((uintptr_t)bcp & (KMEM_ALIGN - 1)) != 0)
		return (0);
	/* In a slab's pages (never a firewall's): its words can be read. */
	pm = pagemap_lookup((uintptr_t)bcp);
	if (pm == 0 || (pm & PM_TAGS))
		return (0);
	if ((cp->cache_flags & KMF_AUDIT) &&
	    ((kmem_slab_t *)pm)->slab_cache != kmem_bufctl_audit_cache)
		return (0);
	return (bcp->bc_addr == buf);
}

/*
 * The redzone word of buf's tag is not what it should be: say where, and
 * what was there.  Its first half is always 0xfeedface; its second the
 * encoded size, or 0xfeedface when none was recorded.  When the second
 * half is no valid encoding, the size is lost (ei_alloc_size UINT64_MAX).
 */
static void
kmem_redzone_diff(kmem_cache_t *cp, void *buf, kmem_errinfo_t *ei)
{
	const uint8_t *rz = (const uint8_t *)&KMEM_BUFTAG(cp, buf)->bt_redzone;
	uint32_t want[2], w1;
	const uint8_t *wb = (const uint8_t *)want;
	int i;

	memcpy(&w1, rz + 4, sizeof (w1));
	want[0] = KMEM_REDZONE_32;
	want[1] = KMEM_REDZONE_32;
	ei->ei_alloc_size = cp->cache_bufsize;
	if (w1 != KMEM_REDZONE_32 && KMEM_SIZE_VALID(w1 & KMEM_SIZE_MASK)) {
		want[1] = w1;
		ei->ei_alloc_size = KMEM_SIZE_DECODE(w1 & KMEM_SIZE_MASK);
	} else if (w1 != KMEM_REDZONE_32 && (cp->cache_flags & KMF_REDZONE)) {
		ei->ei_alloc_size = UINT64_MAX;         /* size word hit */
	}
	for (i = 0; i < 8 && rz[i] == wb[i]; i++)
		continue;
	ei->ei_off = cp->cache_buftag + (uint64_t)(i < 8 ? i : 0);
	ei->ei_old = wb[i < 8 ? i : 0];
	ei->ei_new = rz[i < 8 ? i : 0];
}

/*
 * The size malloc's free found asked for buf (kmem_debug_check_free), which
 * the tag no longer says when kmem_cache_free_debug checks the leading
 * redzone: for its report only (a stale one names another buffer).
 */
static __thread struct {
	void *fa_buf;
	size_t fa_size;
} kmem_free_asked __attribute__((tls_model("initial-exec")));

/* An underflow: the leading redzone was written. */
static int
kmem_lead_error(kmem_cache_t *cp, void *buf, int whole, kmem_errinfo_t *ei)
{
	kmem_slab_t *sp = (kmem_slab_t *)pagemap_lookup((uintptr_t)buf);
	const uint8_t *lo, *bad;

	bad = kmem_lead_check(cp, sp, buf, whole, &lo);
	if (bad == NULL)
		return (0);
	(void) kmem_errinfo_init(ei, KMERR_REDZONE, cp, buf);
	ei->ei_off = (uint64_t)(bad - (const uint8_t *)buf); /* negative */
	ei->ei_old = KMEM_REDZONE_BYTE;
	ei->ei_new = *bad;
	ei->ei_alloc_size = kmem_free_asked.fa_buf == buf ?
	    kmem_free_asked.fa_size : kmem_debug_size(cp, buf);
	return (1);
}

/* An overrun that jumped the tag: the trailing redzone was written. */
static int
kmem_trail_error(kmem_cache_t *cp, void *buf, int whole, kmem_errinfo_t *ei)
{
	const uint8_t *p = (const uint8_t *)buf + kmem_tag_end(cp), *bad;

	bad = kmem_redzone_find(p, p + kmem_trail_len(cp, 1, whole));
	if (ST_LIKELY(bad == NULL))
		return (0);
	(void) kmem_errinfo_init(ei, KMERR_REDZONE, cp, buf);
	ei->ei_off = (uint64_t)(bad - (const uint8_t *)buf);
	ei->ei_old = KMEM_REDZONE_BYTE;
	ei->ei_new = *bad;
	ei->ei_alloc_size = kmem_free_asked.fa_buf == buf ?
	    kmem_free_asked.fa_size : kmem_debug_size(cp, buf);
	return (1);
}

/* 0: the redzones before and after buf's chunk are intact; -1: reported
   (noabort). */
static int
kmem_debug_check_lead(kmem_cache_t *cp, void *buf)
{
	kmem_errinfo_t ei;

	if (ST_LIKELY(!kmem_lead_error(cp, buf, 0, &ei) &&
	    !kmem_trail_error(cp, buf, 0, &ei)))
		return (0);
	kmem_error(&ei);
	return (-1);
}

static void
kmem_free_debug_error(kmem_error_t error, kmem_cache_t *cp, void *buf,
    kmem_slab_t *sp)
{
	kmem_errinfo_t ei;

	(void) kmem_errinfo_init(&ei, error, cp, buf);
	ei.ei_routine = "kmem_cache_free";
	if (error == KMERR_BADADDR)
		ei.ei_realcache = NULL;
	else if (error == KMERR_BADCACHE)
		ei.ei_realcache = sp->slab_cache;
	else if (error == KMERR_BADBASE)
		ei.ei_base = kmem_buf_base(cp, sp, buf);
	else if (error == KMERR_REDZONE)
		kmem_redzone_diff(cp, buf, &ei);
	else if (error == KMERR_BADBUFTAG)
		ei.ei_old = KMEM_BUFTAG_ALLOC;  /* what bcp ^ bxstat should be */
	kmem_error(&ei);
}

/*
 * buf, the start of a buffer of cp (the caller has seen to that), is
 * about to go back to the magazine or slab layer: check its tag and
 * redzone, record the free, pattern it.  0: go on; -1: an error was
 * reported (noabort): the buffer must not be freed.
 */
/* Never inlined: its frame heads every audit stack, as in the kernel. */
__attribute__((noinline)) int
kmem_cache_free_debug(kmem_cache_t *cp, void *buf)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);
	uint32_t f = cp->cache_flags;
	kmem_bufctl_t *bcp = btp->bt_bufctl;
	intptr_t alloc = (intptr_t)bcp ^ (intptr_t)KMEM_BUFTAG_ALLOC;
	intptr_t freed = (intptr_t)bcp ^ (intptr_t)KMEM_BUFTAG_FREE;
	intptr_t was = alloc;
	kmem_error_t error;
	int reported = 0;

	/* The claim (section 3): malloc's checks made it, or make it now. */
	if (kmem_free_asked.fa_buf == buf && btp->bt_bxstat == freed)
		error = KMERR_NERRORS;
	else if (ST_UNLIKELY(!__atomic_compare_exchange_n(&btp->bt_bxstat,
	    &was, freed, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		error = was == freed ? KMERR_DUPFREE : KMERR_BADBUFTAG;
	else
		error = KMERR_NERRORS;
	if (error == KMERR_NERRORS) {
		if (ST_UNLIKELY(!kmem_bufctl_valid(cp, buf, bcp)))
			error = KMERR_BADBUFCTL;
		else if (ST_UNLIKELY(btp->bt_redzone != KMEM_REDZONE_PATTERN))
			error = KMERR_REDZONE;
		else if (ST_UNLIKELY(kmem_debug_check_lead(cp, buf) != 0))
			reported = 1;
		if (error != KMERR_NERRORS || reported)
			btp->bt_bxstat = alloc; /* not freed: give it back */
	}
	if (ST_UNLIKELY(error != KMERR_NERRORS || reported)) {
		kmem_free_asked.fa_buf = NULL;
		if (!reported)
			kmem_free_debug_error(error, cp, buf, NULL);
		return (-1);
	}
	kmem_free_asked.fa_buf = NULL;		/* used: not for a later one */
	if (f & KMF_AUDIT) {
		kmem_bufctl_audit_t *bcap = (kmem_bufctl_audit_t *)bcp;

		if (f & KMF_CONTENTS)
			bcap->bc_contents = kmem_log_enter(&kmem_contents_log,
			    buf, cp->cache_contents);
		kmem_audit(&kmem_transaction_log, cp, bcap, 0);
	}
	if (f & KMF_LITE)
		kmem_lite_history((kmem_buftag_lite_t *)btp);
	if (f & KMF_DEADBEEF) {
		if (cp->cache_destructor != NULL)
			cp->cache_destructor(buf, cp->cache_private);
		if (f & KMF_LITE)
			*(uint64_t *)buf = KMEM_FREE_PATTERN;
		else
			copy_pattern(KMEM_FREE_PATTERN, buf, cp->cache_verify);
	}
	return (0);
}

/*
 * kmem_cache_free(cp, buf) of a debugged cache: is buf the start of one of
 * cp's buffers?  0: yes (kmem_cache_free_debug checks its tag next); -1:
 * reported (noabort), do not free.
 */
int
kmem_cache_free_check(kmem_cache_t *cp, void *buf)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_slab_t *sp = (kmem_slab_t *)pm;
	kmem_error_t error;

	if (pm == 0 || (pm & PM_TAGS))
		error = KMERR_BADADDR;
	else if (sp->slab_cache != cp)
		error = KMERR_BADCACHE;
	else if (!kmem_buf_is_base(cp, sp, (uintptr_t)buf))
		error = KMERR_BADBASE;
	else
		return (0);
	kmem_free_debug_error(error, cp, buf, sp);
	return (-1);
}

/* ------------------------------------------------------------------------
 * Checking a chunk in place, whatever its state (verify.c's walks): the
 * kernel's ::kmem_verify.  Nothing is changed.
 */

void *volatile kmem_panic_buf;          /* the buffer a panic is about */

/* An allocated buffer: its bufctl, redzone word and size padding. */
static int
kmem_verify_allocated(kmem_cache_t *cp, void *buf, kmem_buftag_t *btp,
    kmem_errinfo_t *ei)
{
	uint32_t *rz = (uint32_t *)&btp->bt_redzone;
	const uint8_t *p, *end;
	uint64_t asize;

	if (!kmem_bufctl_valid(cp, buf, btp->bt_bufctl))
		return (kmem_errinfo_init(ei, KMERR_BADBUFCTL, cp, buf));
	if (!(cp->cache_flags & KMF_REDZONE))
		return (0);
	if (rz[0] != KMEM_REDZONE_32 || (rz[1] != KMEM_REDZONE_32 &&
	    !KMEM_SIZE_VALID(rz[1] & KMEM_SIZE_MASK))) {
		(void) kmem_errinfo_init(ei, KMERR_REDZONE, cp, buf);
		kmem_redzone_diff(cp, buf, ei);
		return (1);
	}
	if (rz[1] == KMEM_REDZONE_32)
		return (0);                     /* no size recorded */
	asize = KMEM_SIZE_DECODE(rz[1] & KMEM_SIZE_MASK);
	if (asize > cp->cache_buftag)
		return (0);
	end = (const uint8_t *)buf + cp->cache_buftag;
	if ((cp->cache_flags & KMF_LITE) && asize < cp->cache_buftag)
		end = (const uint8_t *)buf + asize + 1;
	if ((p = kmem_redzone_find((const uint8_t *)buf + asize, end)) !=
	    NULL) {
		(void) kmem_errinfo_init(ei, KMERR_REDZONE, cp, buf);
		ei->ei_off = (uint64_t)(p - (const uint8_t *)buf);
		ei->ei_old = KMEM_REDZONE_BYTE;
		ei->ei_new = *p;
		ei->ei_alloc_size = asize;
		return (1);
	}
	return (0);
}

/*
 * Check the chunk buf of cp (a debugged cache): a free buffer's pattern,
 * an allocated one's redzone (unless free_only), the tag of either.  0 if
 * sound; else 1 and the error in *ei, ready for kmem_error().
 */
int
kmem_debug_verify_buf(kmem_cache_t *cp, void *buf, int free_only,
    kmem_errinfo_t *ei)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);
	intptr_t bcp = (intptr_t)btp->bt_bufctl;
	const uint64_t *bad;

	if (buf == kmem_panic_buf)
		return (0);             /* being reported already */
	if (!free_only && kmem_lead_error(cp, buf, 1, ei))
		return (1);
	if (btp->bt_bxstat == (bcp ^ (intptr_t)KMEM_BUFTAG_ALLOC))
		return (free_only ? 0 : kmem_verify_allocated(cp, buf, btp,
		    ei) || kmem_trail_error(cp, buf, 1, ei));
	if (btp->bt_bxstat != (bcp ^ (intptr_t)KMEM_BUFTAG_FREE))
		return (kmem_errinfo_init(ei, KMERR_BADBUFTAG, cp, buf));
	if (!free_only && kmem_trail_error(cp, buf, 1, ei))
		return (1);
	if (!(cp->cache_flags & KMF_DEADBEEF))
		return (0);
	if (cp->cache_flags & KMF_LITE)
		bad = *(const uint64_t *)buf != KMEM_FREE_PATTERN ? buf : NULL;
	else
		bad = find_nonpattern(KMEM_FREE_PATTERN, buf,
		    cp->cache_verify);
	if (bad == NULL)
		return (0);
	(void) kmem_errinfo_init(ei, KMERR_MODIFIED, cp, buf);
	ei->ei_off = (uint64_t)((const char *)bad - (const char *)buf);
	ei->ei_old = KMEM_FREE_PATTERN;
	ei->ei_new = *bad;
	return (1);
}

/*
 * An empty slab goes back to its arena: its buffers, all free, are
 * verified one last time (a write after free would otherwise land on
 * memory no check covers any more).
 */
void
kmem_debug_verify_slab(kmem_cache_t *cp, kmem_slab_t *sp)
{
	kmem_errinfo_t ei;
	uint32_t i;

	for (i = 0; i < sp->slab_chunks; i++) {
		void *buf = (char *)sp->slab_base + sp->slab_color +
		    i * cp->cache_chunksize;

		if (kmem_debug_verify_buf(cp, buf, 1, &ei) != 0) {
			ei.ei_found = "when its slab was given back";
			kmem_error(&ei);
		}
	}
}

/* A free buffer reported with noabort: pattern it again, once told. */
void
kmem_debug_repattern(kmem_cache_t *cp, void *buf)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);

	if (btp->bt_bxstat == ((intptr_t)btp->bt_bufctl ^
	    (intptr_t)KMEM_BUFTAG_FREE) && (cp->cache_flags & KMF_DEADBEEF)) {
		if (cp->cache_flags & KMF_LITE)
			*(uint64_t *)buf = KMEM_FREE_PATTERN;
		else
			copy_pattern(KMEM_FREE_PATTERN, buf, cp->cache_verify);
	}
}

/* ------------------------------------------------------------------------
 * The requested size and the allocating routine (kmem_alloc, malloc, new).
 */

static const char *const st_kind_alloc[ST_KIND_NKINDS] = {
	[ST_KIND_NONE] = "kmem_cache_alloc()",
	[ST_KIND_KMEM] = "kmem_alloc()",
	[ST_KIND_UMEM] = "umem_alloc()",
	[ST_KIND_MALLOC] = "malloc()",
	[ST_KIND_NEW] = "operator new",
	[ST_KIND_NEW_ARRAY] = "operator new[]",
	[ST_KIND_NEW_ALIGNED] = "operator new(align_val_t)",
	[ST_KIND_NEW_ARRAY_ALIGNED] = "operator new[](align_val_t)",
};

static const char *const st_kind_free[ST_KIND_NKINDS] = {
	[ST_KIND_NONE] = "kmem_cache_free()",
	[ST_KIND_KMEM] = "kmem_free()",
	[ST_KIND_UMEM] = "umem_free()",
	[ST_KIND_MALLOC] = "free()",
	[ST_KIND_NEW] = "operator delete",
	[ST_KIND_NEW_ARRAY] = "operator delete[]",
	[ST_KIND_NEW_ALIGNED] = "operator delete(align_val_t)",
	[ST_KIND_NEW_ARRAY_ALIGNED] = "operator delete[](align_val_t)",
};

const char *
st_kind_alloc_name(uint32_t kind)
{
	return (kind < ST_KIND_NKINDS ? st_kind_alloc[kind] : "?");
}

const char *
st_kind_free_name(uint32_t kind)
{
	return (kind < ST_KIND_NKINDS ? st_kind_free[kind] : "?");
}

void
kmem_debug_set_size(kmem_cache_t *cp, void *buf, size_t size, st_kind_t kind)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);

	if (!(cp->cache_flags & KMF_REDZONE))
		return;
	((uint32_t *)&btp->bt_redzone)[1] = (uint32_t)kind << KMEM_KIND_SHIFT |
	    (uint32_t)KMEM_SIZE_ENCODE(size);
	/* Lite, as the kernel: the one byte after the buffer; else all. */
	if (cp->cache_flags & KMF_LITE) {
		if (size < cp->cache_buftag)
			((uint8_t *)buf)[size] = KMEM_REDZONE_BYTE;
	} else {
		memset((char *)buf + size, KMEM_REDZONE_BYTE,
		    cp->cache_buftag - size);
	}
}

/* The size the buffer was asked for (malloc_usable_size, realloc). */
size_t
kmem_debug_size(kmem_cache_t *cp, void *buf)
{
	uint32_t w;

	if (!(cp->cache_flags & KMF_REDZONE))
		return (cp->cache_bufsize);
	w = ((uint32_t *)&KMEM_BUFTAG(cp, buf)->bt_redzone)[1];
	if (w == KMEM_REDZONE_32 || !KMEM_SIZE_VALID(w & KMEM_SIZE_MASK))
		return (cp->cache_bufsize);
	return (KMEM_SIZE_DECODE(w & KMEM_SIZE_MASK));
}

static void
kmem_check_free_error(kmem_errinfo_t *ei, kmem_cache_t *cp, void *buf,
    st_kind_t kind, const char *routine)
{
	(void) kmem_errinfo_init(ei, KMERR_NERRORS, cp, buf);  /* set next */
	ei->ei_routine = routine;
	ei->ei_kind = kind;
}

/*
 * After a redzone report that let the program go on (noabort), the buffer
 * stays allocated: make its redzone whole again, so that no later check
 * reports the same write twice.  asize: the size recorded (UINT64_MAX if
 * lost: the padding is then left alone).
 */
static void
kmem_redzone_repair(kmem_cache_t *cp, void *buf, uint64_t asize)
{
	uint32_t *rz = (uint32_t *)&KMEM_BUFTAG(cp, buf)->bt_redzone;

	rz[0] = KMEM_REDZONE_32;
	if (asize < cp->cache_buftag) {
		memset((uint8_t *)buf + asize, KMEM_REDZONE_BYTE,
		    cp->cache_buftag - asize);
		rz[1] = KMEM_REDZONE_32;        /* no size: nothing to check */
	} else if (rz[1] != KMEM_REDZONE_32 &&
	    !KMEM_SIZE_VALID(rz[1] & KMEM_SIZE_MASK)) {
		rz[1] = KMEM_REDZONE_32;
	}
}

/*
 * The checks of kmem_free, free and delete before kmem_cache_free_debug:
 * the routine matches, the size matches (size 0: not given), nothing was
 * written past the requested size.  Restores the redzone word.
 * 0: go on; -1: reported (noabort), do not free.
 */
static int
kmem_debug_check_claimed(kmem_cache_t *cp, void *buf, size_t size,
    st_kind_t kind, const char *routine)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);
	uint32_t *rz = (uint32_t *)&btp->bt_redzone;
	uint32_t akind, asize;
	kmem_errinfo_t ei;
	const uint8_t *p, *end;

	if (ST_UNLIKELY(rz[0] != KMEM_REDZONE_32 || (rz[1] !=
	    KMEM_REDZONE_32 && !KMEM_SIZE_VALID(rz[1] & KMEM_SIZE_MASK)))) {
		kmem_check_free_error(&ei, cp, buf, kind, routine);
		ei.ei_error = KMERR_REDZONE;
		kmem_redzone_diff(cp, buf, &ei);
		kmem_error(&ei);
		kmem_redzone_repair(cp, buf, ei.ei_alloc_size);
		return (-1);
	}
	akind = rz[1] == KMEM_REDZONE_32 ? ST_KIND_NONE :
	    rz[1] >> KMEM_KIND_SHIFT;
	asize = rz[1] == KMEM_REDZONE_32 ? (uint32_t)cp->cache_bufsize :
	    KMEM_SIZE_DECODE(rz[1] & KMEM_SIZE_MASK);
	if (ST_UNLIKELY(!st_kind_match(akind, kind))) {
		kmem_check_free_error(&ei, cp, buf, kind, routine);
		ei.ei_error = KMERR_BADROUTINE;
		ei.ei_alloc_kind = akind;
		ei.ei_alloc_size = asize;
		kmem_error(&ei);
		return (-1);
	}
	if (ST_UNLIKELY(size != 0 && size != asize)) {
		kmem_check_free_error(&ei, cp, buf, kind, routine);
		ei.ei_error = KMERR_BADSIZE;
		ei.ei_size = size;
		ei.ei_alloc_kind = akind;
		ei.ei_alloc_size = asize;
		kmem_error(&ei);
		return (-1);
	}
	end = (const uint8_t *)buf + cp->cache_buftag;
	if ((cp->cache_flags & KMF_LITE) && asize < cp->cache_buftag)
		end = (const uint8_t *)buf + asize + 1;
	p = (const uint8_t *)buf + asize;
	if (ST_UNLIKELY((p = kmem_redzone_find(p, end)) != NULL)) {
		kmem_check_free_error(&ei, cp, buf, kind, routine);
		ei.ei_error = KMERR_REDZONE;
		ei.ei_off = (uint64_t)(p - (const uint8_t *)buf);
		ei.ei_old = KMEM_REDZONE_BYTE;
		ei.ei_new = *p;
		ei.ei_alloc_size = asize;
		kmem_error(&ei);
		kmem_redzone_repair(cp, buf, asize);
		return (-1);
	}
	rz[1] = KMEM_REDZONE_32;
	/* The size asked, for kmem_cache_free_debug's underflow report. */
	kmem_free_asked.fa_size = asize;
	return (0);
}

int
kmem_debug_check_free(kmem_cache_t *cp, void *buf, size_t size,
    st_kind_t kind, const char *routine)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);
	intptr_t alloc = (intptr_t)btp->bt_bufctl ^ (intptr_t)KMEM_BUFTAG_ALLOC;
	intptr_t was = alloc;

	/* The claim (section 3); if another has it, kmem_cache_free_debug
	   will say so. */
	if (!(cp->cache_flags & KMF_REDZONE) ||
	    !__atomic_compare_exchange_n(&btp->bt_bxstat, &was, alloc ^
	    (intptr_t)(KMEM_BUFTAG_ALLOC ^ KMEM_BUFTAG_FREE), 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return (0);
	if (kmem_debug_check_claimed(cp, buf, size, kind, routine) != 0) {
		btp->bt_bxstat = alloc;         /* reported, not freed */
		return (-1);
	}
	kmem_free_asked.fa_buf = buf;           /* the claim is ours */
	return (0);
}

/* realloc kept buf in place after kmem_debug_check_free: not freed. */
void
kmem_debug_unclaim(kmem_cache_t *cp, void *buf)
{
	kmem_buftag_t *btp = KMEM_BUFTAG(cp, buf);

	kmem_free_asked.fa_buf = NULL;
	btp->bt_bxstat = (intptr_t)btp->bt_bufctl ^
	    (intptr_t)KMEM_BUFTAG_ALLOC;
}

/* ------------------------------------------------------------------------
 * Lite's fast paths (section 6).
 */

/*
 * malloc(size) (8 < size <= KMEM_SMALL_MAX, malloc's alignment) of kind,
 * called from caller, straight from the thread's magazine.  NULL: not
 * taken, nothing changed.
 */
void *
kmem_lite_malloc(size_t size, st_kind_t kind, uintptr_t caller)
{
	uint32_t idx = malloc_size_small[(size + 7) >> 3];
	kmem_cpu_cache_t *cc = &kmem_thread_self->kt_cc[idx];
	kmem_cache_t *cp = kmem_alloc_caches[idx];
	kmem_buftag_lite_t *btlp;
	kmem_bufctl_t *bcp;
	uint64_t *buf;
	uint32_t *rz;

	if (ST_UNLIKELY(cc->cc_rounds <= 0 || !(cp->cache_flags & KMF_LITE)))
		return (NULL);
	buf = cc->cc_loaded->mag_round[cc->cc_rounds - 1];
	btlp = (kmem_buftag_lite_t *)((char *)buf + cp->cache_buftag);
	bcp = btlp->bt_buftag.bt_bufctl;
	if (ST_UNLIKELY(((intptr_t)bcp ^ btlp->bt_buftag.bt_bxstat) !=
	    (intptr_t)KMEM_BUFTAG_FREE || *buf != KMEM_FREE_PATTERN))
		return (NULL);
	cc->cc_rounds--;
	cc->cc_alloc++;
	*buf = KMEM_UNINITIALIZED_PATTERN;
	rz = (uint32_t *)&btlp->bt_buftag.bt_redzone;
	rz[0] = KMEM_REDZONE_32;
	rz[1] = (uint32_t)kind << KMEM_KIND_SHIFT |
	    (uint32_t)KMEM_SIZE_ENCODE(size);
	if (size < cp->cache_buftag)
		((uint8_t *)buf)[size] = KMEM_REDZONE_BYTE;
	kmem_lite_push(btlp, caller);
	btlp->bt_buftag.bt_bxstat = (intptr_t)bcp ^ KMEM_BUFTAG_ALLOC;
	return (buf);
}

/*
 * free of buf, which the page map puts in slab sp, by a routine of kind
 * called from caller (size: the size it gave, 0 if none), straight into
 * the thread's magazine.  0: done; -1:
 * not taken, nothing changed.
 */
int
kmem_lite_free(kmem_slab_t *sp, void *buf, size_t size, st_kind_t kind,
    uintptr_t caller)
{
	kmem_cache_t *cp = sp->slab_cache;
	kmem_buftag_lite_t *btlp;
	kmem_cpu_cache_t *cc;
	kmem_bufctl_t *bcp;
	uint32_t *rz, w, asize;
	intptr_t was;

	if (ST_UNLIKELY(!(cp->cache_flags & KMF_LITE) ||
	    (uint32_t)cp->cache_ccidx >= KMEM_NCACHE_ALLOC ||
	    !kmem_buf_is_base(cp, sp, (uintptr_t)buf)))
		return (-1);
	cc = &kmem_thread_self->kt_cc[cp->cache_ccidx];
	btlp = (kmem_buftag_lite_t *)((char *)buf + cp->cache_buftag);
	/* The size byte's line, usually this one: miss on both at once. */
	__builtin_prefetch((char *)btlp - 1);
	bcp = btlp->bt_buftag.bt_bufctl;
	rz = (uint32_t *)&btlp->bt_buftag.bt_redzone;
	w = rz[1];
	asize = KMEM_SIZE_DECODE(w & KMEM_SIZE_MASK);
	if (ST_UNLIKELY((uint32_t)cc->cc_rounds >= (uint32_t)cc->cc_magsize ||
	    ((intptr_t)bcp ^ btlp->bt_buftag.bt_bxstat) !=
	    (intptr_t)KMEM_BUFTAG_ALLOC || rz[0] != KMEM_REDZONE_32 ||
	    w >> KMEM_KIND_SHIFT != kind ||
	    (w & KMEM_SIZE_MASK) != KMEM_SIZE_ENCODE(asize) ||
	    (size != 0 && size != asize) ||
	    (asize < cp->cache_buftag &&
	    ((uint8_t *)buf)[asize] != KMEM_REDZONE_BYTE) ||
	    ((cp->cache_flags & KMF_HASH) ? !kmem_bufctl_valid(cp, buf, bcp) :
	    (char *)bcp != (char *)buf + cp->cache_bufctl)))
		return (-1);
	was = (intptr_t)bcp ^ KMEM_BUFTAG_ALLOC;        /* the claim (3.) */
	if (ST_UNLIKELY(!__atomic_compare_exchange_n(&btlp->bt_buftag.bt_bxstat,
	    &was, (intptr_t)bcp ^ KMEM_BUFTAG_FREE, 0, __ATOMIC_ACQUIRE,
	    __ATOMIC_RELAXED)))
		return (-1);            /* the slow path says why */
	rz[1] = KMEM_REDZONE_32;
	kmem_lite_push(btlp, caller);
	*(uint64_t *)buf = KMEM_FREE_PATTERN;
	cc->cc_free++;
	kmem_round_push(cc->cc_loaded, &cc->cc_rounds, buf);
	return (0);
}

/* ------------------------------------------------------------------------
 * Reports.
 */

static const char *const kmem_error_text[KMERR_NERRORS] = {
	[KMERR_MODIFIED] = "buffer modified after being freed",
	[KMERR_REDZONE] = "redzone violation: write past end of buffer",
	[KMERR_DUPFREE] = "duplicate free: buffer freed twice",
	[KMERR_BADADDR] = "invalid free: buffer not in cache",
	[KMERR_BADBUFTAG] = "boundary tag corrupted",
	[KMERR_BADBUFCTL] = "bufctl corrupted",
	[KMERR_BADCACHE] = "buffer freed to wrong cache",
	[KMERR_BADSIZE] = "bad free: free size != alloc size",
	[KMERR_BADBASE] = "bad free: free address != alloc address",
	[KMERR_BADROUTINE] = "bad free: freed with the wrong routine",
};

static uint64_t kmem_report_owner;      /* thread reporting, 0 if none */
volatile int st_panicking;              /* a panic is being handled */

static void
kmem_report_lock(void)
{
	uint64_t me = st_os_thread_id(), none = 0;
	int spins = 0;

	if (__atomic_load_n(&kmem_report_owner, __ATOMIC_ACQUIRE) == me)
		return;
	/* Wait for another report to finish, but not forever. */
	while (!__atomic_compare_exchange_n(&kmem_report_owner, &none, me, 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) && spins++ < 20000) {
		none = 0;
		st_os_sleep_ns(100000);
	}
}

static void
kmem_report_unlock(void)
{
	__atomic_store_n(&kmem_report_owner, 0, __ATOMIC_RELEASE);
}

/* A report in another thread of the parent will never end in the child. */
void
kmem_report_fork_child(void)
{
	if (kmem_report_owner != st_os_thread_id())
		kmem_report_owner = 0;
	st_report_fork_child();
}

/* "T-21.196117909": how long before now. */
static void
kmem_print_time(char *buf, size_t len, uint64_t then)
{
	uint64_t now = st_report_now(), d = now > then ? now - then : 0;

	st_snprintf(buf, len, "T-%lu.%09lu", (unsigned long)(d / 1000000000),
	    (unsigned long)(d % 1000000000));
}

/*
 * Reports run on corrupted memory: nothing they follow may be trusted.
 * Is [p, p + len) memory of ours, which a read cannot fault on: mapped by
 * the platform layer for the allocator, or in our own image?
 */
static int
kmem_readable(const void *p, size_t len)
{
	extern char __ehdr_start[] __attribute__((visibility("hidden")));
	extern char _end[] __attribute__((weak, visibility("hidden")));
	uintptr_t a = (uintptr_t)p;

	if (a == 0 || a + len < a)
		return (0);
	if (_end != NULL && a >= (uintptr_t)__ehdr_start &&
	    a + len <= (uintptr_t)_end)
		return (1);
	return (st_os_mapped_by_us(a, a + len) == 1);
}

/* A cache's name, if cp looks like one; "?" otherwise. */
const char *
kmem_cache_name_safe(const kmem_cache_t *cp)
{
	if (((uintptr_t)cp & (KMEM_ALIGN - 1)) != 0 ||
	    !kmem_readable(cp, sizeof (*cp)) ||
	    memchr(cp->cache_name, '\0', sizeof (cp->cache_name)) == NULL)
		return ("?");
	return (cp->cache_name);
}

/*
 * The tag of buf in cp, if buf is the start of one of cp's chunks in a
 * slab (so the tag is there and readable); NULL otherwise: a firewall
 * buffer's tag would be in its guard page, an interior pointer's in the
 * middle of some other buffer.
 */
static kmem_buftag_t *
kmem_error_buftag(kmem_cache_t *cp, void *buf)
{
	uintptr_t pm = pagemap_lookup((uintptr_t)buf);
	kmem_slab_t *sp = (kmem_slab_t *)pm;

	if (cp == NULL || !(cp->cache_flags & KMF_BUFTAG) || pm == 0 ||
	    (pm & PM_TAGS) || sp->slab_cache != cp ||
	    !kmem_buf_is_base(cp, sp, (uintptr_t)buf))
		return (NULL);
	return (KMEM_BUFTAG(cp, buf));
}

void
kmem_print_transaction(const char *what, const kmem_bufctl_audit_t *bcap,
    const void *buf)
{
	char t[48], s[32];
	const uintptr_t *pcs;
	uint32_t n;

	kmem_print_time(t, sizeof (t), bcap->bc_timestamp);
	st_msg("%s on buffer %lx:\n", what, (unsigned long)(uintptr_t)buf);
	/* A firewall buffer has no slab: its pages are its own. */
	if (bcap->bc_slab != NULL)
		st_snprintf(s, sizeof (s), "  slab=%lx",
		    (unsigned long)(uintptr_t)bcap->bc_slab);
	else
		s[0] = '\0';
	st_msg("thread=%lu  time=%s%s  cache: %s\n",
	    (unsigned long)bcap->bc_thread, t, s,
	    kmem_cache_name_safe(bcap->bc_cache));
	pcs = kmem_bc_stack(bcap, &n);
	st_report_stack(what, bcap->bc_thread, bcap->bc_timestamp, pcs,
	    ST_MIN(n, st_opts.so_stack_depth), 0, "    ");
}

/*
 * The allocation of a buffer whose last transaction (bcap) was a free,
 * when the log lost its record: the stack, thread and time its bufctl
 * kept, printed as the log's record would have been (the transaction
 * before a free is its allocation).  Without the time (a bufctl from
 * before bc_atime): what there is.
 */
static void
kmem_print_allocation(const kmem_bufctl_audit_t *bcap, const void *buf)
{
	kmem_bufctl_audit_t a;
	const uintptr_t *pcs;
	uint32_t n;

	if (bcap->bc_astackid == 0 || bcap->bc_astackid == bcap->bc_stackid)
		return;		/* none kept, or bcap is the allocation */
	pcs = st_depot_get(bcap->bc_astackid, &n);
	if (n == 0)
		return;
	if (bcap->bc_atime != 0) {
		a = *bcap;
		a.bc_timestamp = bcap->bc_atime;
		a.bc_thread = bcap->bc_athread;
		a.bc_stackid = bcap->bc_astackid;
		a.bc_depth = n;
		kmem_print_transaction("transaction before that", &a, buf);
		return;
	}
	st_msg("allocation of buffer %lx (its bufctl kept the stack; the "
	    "transaction log no longer holds the record, so no time):\n",
	    (unsigned long)(uintptr_t)buf);
	st_msg("thread=%lu  cache: %s\n", (unsigned long)bcap->bc_athread,
	    kmem_cache_name_safe(bcap->bc_cache));
	st_report_stack("allocation", bcap->bc_athread, 0, pcs,
	    ST_MIN(n, st_opts.so_stack_depth), 0, "    ");
}

/* Is rec a log record that still describes buf? */
static int
kmem_log_record_of(const kmem_bufctl_audit_t *rec, const void *buf)
{
	const kmem_log_t *lp = &kmem_transaction_log;

	return (rec != NULL && lp->lh_base != NULL &&
	    (const uint8_t *)rec >= lp->lh_base &&
	    (const uint8_t *)rec < lp->lh_base + lp->lh_size &&
	    rec->bc_addr == buf && rec->bc_depth <= st_opts.so_stack_depth);
}

/*
 * The newest transaction log record for buf, for buffers we lost: the
 * ring is in time order only per chunk (log.c), so all of it is searched.
 */
static const kmem_bufctl_audit_t *
kmem_log_find(const void *buf)
{
	const kmem_log_t *lp = &kmem_transaction_log;
	const kmem_bufctl_audit_t *best = NULL;
	uint64_t n, used;

	if (lp->lh_base == NULL || kmem_pattern_story((uintptr_t)buf) != NULL)
		return (NULL);
	/*
	 * Only the chunks ever claimed: reading the rest would map zero
	 * pages, which the dump would then carry as data.
	 */
	used = ST_MIN(__atomic_load_n(&lp->lh_next, __ATOMIC_RELAXED),
	    lp->lh_nchunks) * lp->lh_chunk;
	for (n = 0; n < used && n < lp->lh_nrecs; n++) {
		const kmem_bufctl_audit_t *rec = (const void *)(lp->lh_base +
		    n * lp->lh_recsize);

		if (rec->bc_addr == buf && (best == NULL ||
		    rec->bc_timestamp > best->bc_timestamp))
			best = rec;
	}
	return (best);
}

/* The last transactions of buf: from its bufctl, or from the log. */
static void
kmem_print_history(kmem_cache_t *cp, void *buf, kmem_bufctl_t *bcp,
    kmem_error_t error)
{
	const kmem_bufctl_audit_t *bcap = NULL, *rec;
	kmem_buftag_lite_t *btlp;
	int i;

	/* A tag may point anywhere after an overrun: trust a valid one only. */
	if (cp != NULL && (cp->cache_flags & KMF_AUDIT) &&
	    error != KMERR_BADBUFCTL && bcp != NULL &&
	    kmem_error_buftag(cp, buf) != NULL &&
	    kmem_bufctl_valid(cp, buf, bcp))
		bcap = (const kmem_bufctl_audit_t *)bcp;
	else if (cp == NULL || (cp->cache_flags & KMF_AUDIT))
		bcap = kmem_log_find(buf);
	if (bcap != NULL && bcap->bc_timestamp != 0) {
		kmem_print_transaction("previous transaction", bcap, buf);
		rec = bcap->bc_lastlog;
		if (kmem_log_record_of(rec, buf) && rec->bc_timestamp ==
		    bcap->bc_timestamp)
			rec = rec->bc_lastlog;  /* the copy of bcap itself */
		if (kmem_log_record_of(rec, buf))
			kmem_print_transaction("transaction before that",
			    rec, buf);
		else
			kmem_print_allocation(bcap, buf);
		return;
	}
	if (cp != NULL && (cp->cache_flags & KMF_LITE) &&
	    kmem_error_buftag(cp, buf) != NULL) {
		uintptr_t pcs[KMEM_LITE_DEPTH];
		uint32_t n = 0;

		btlp = (kmem_buftag_lite_t *)KMEM_BUFTAG(cp, buf);
		st_msg("last callers (newest first):\n");
		for (i = 0; i < KMEM_LITE_DEPTH; i++) {
			if (btlp->bt_history[i] != 0)
				pcs[n++] = btlp->bt_history[i];
		}
		/* Not a stack: each is a caller on its own. */
		for (i = 0; i < (int)n; i++)
			st_report_stack(i == 0 ? "last callers" : NULL, 0, 0,
			    &pcs[i], 1, 0, "    ");
	}
}

/*
 * A corrupted tag is most often an overrun that jumped the redzone word
 * (p[128] of a 100-byte buffer lands on bxstat): say where the write
 * landed, counted from the buffer, as a redzone report does.  The byte is
 * the first of bxstat that differs from what an intact bufctl makes it,
 * or the bufctl pointer itself if that is no longer one of the cache's.
 */
static void
kmem_buftag_story(const kmem_errinfo_t *ei, kmem_buftag_t *btp)
{
	kmem_cache_t *cp = ei->ei_realcache != NULL ? ei->ei_realcache :
	    ei->ei_cache;
	uint8_t *buf = ei->ei_base != NULL ? ei->ei_base : ei->ei_buf;
	uint32_t *rz = (uint32_t *)&btp->bt_redzone;
	const uint8_t *bad;
	uint64_t off, asize, x, y;
	int sized;

	if (cp == NULL || buf == NULL || (uintptr_t)btp !=
	    (uintptr_t)buf + cp->cache_buftag)
		return;
	sized = rz[1] != KMEM_REDZONE_32 && KMEM_SIZE_VALID(rz[1] &
	    KMEM_SIZE_MASK);
	asize = sized ? KMEM_SIZE_DECODE(rz[1] & KMEM_SIZE_MASK) :
	    cp->cache_bufsize;
	/* The first byte after the buffer that is not what it was. */
	x = (uint64_t)(btp->bt_bxstat ^ ((intptr_t)btp->bt_bufctl ^
	    (intptr_t)KMEM_BUFTAG_ALLOC));
	y = (uint64_t)(btp->bt_bxstat ^ ((intptr_t)btp->bt_bufctl ^
	    (intptr_t)KMEM_BUFTAG_FREE));
	x = ST_MIN(x, y);
	if (asize < cp->cache_buftag && (bad = kmem_redzone_find(buf + asize,
	    buf + cp->cache_buftag)) != NULL)
		off = (uint64_t)(bad - buf);
	else if (rz[0] != KMEM_REDZONE_32)
		off = cp->cache_buftag + (uint64_t)__builtin_ctz(rz[0] ^
		    KMEM_REDZONE_32) / 8;
	else if (rz[1] != KMEM_REDZONE_32 && !sized)
		off = cp->cache_buftag + 4;
	else if (!kmem_bufctl_valid(cp, buf, btp->bt_bufctl))
		off = cp->cache_buftag + offsetof(kmem_buftag_t, bt_bufctl);
	else if (x != 0)
		off = cp->cache_buftag + offsetof(kmem_buftag_t, bt_bxstat) +
		    (uint64_t)__builtin_ctzll(x) / 8;
	else
		return;
	if (off < asize)
		return;
	st_msg("its tag was written at offset 0x%lx, byte %lu past the end "
	    "of the %lu-byte %s: an overrun%s\n", (unsigned long)off,
	    (unsigned long)(off - asize + 1), (unsigned long)asize,
	    sized ? "buffer" : "chunk", off >= cp->cache_buftag + 8 &&
	    rz[0] == KMEM_REDZONE_32 ? " that jumped the redzone" : "");
}

static void
kmem_print_error_detail(const kmem_errinfo_t *ei, kmem_buftag_t *btp)
{
	switch (ei->ei_error) {
	case KMERR_MODIFIED:
		st_msg("modification occurred at offset 0x%lx "
		    "(0x%lx replaced by 0x%lx)\n", (unsigned long)ei->ei_off,
		    (unsigned long)ei->ei_old, (unsigned long)ei->ei_new);
		break;
	case KMERR_REDZONE:
		if ((int64_t)ei->ei_off < 0)
			st_msg("write at offset -0x%lx, before the start of the "
			    "%lu-byte buffer (0x%02lx replaced by 0x%02lx)\n",
			    (unsigned long)-ei->ei_off,
			    (unsigned long)ei->ei_alloc_size,
			    (unsigned long)ei->ei_old,
			    (unsigned long)ei->ei_new);
		else if (ei->ei_alloc_size == UINT64_MAX)
			st_msg("write at offset 0x%lx, past the end of the "
			    "buffer, over its recorded size (0x%02lx replaced "
			    "by 0x%02lx)\n", (unsigned long)ei->ei_off,
			    (unsigned long)ei->ei_old,
			    (unsigned long)ei->ei_new);
		else
			st_msg("write at offset 0x%lx, byte %lu past the "
			    "end of the %lu-byte buffer (0x%02lx replaced by "
			    "0x%02lx)\n", (unsigned long)ei->ei_off,
			    (unsigned long)(ei->ei_off - ei->ei_alloc_size + 1),
			    (unsigned long)ei->ei_alloc_size,
			    (unsigned long)ei->ei_old,
			    (unsigned long)ei->ei_new);
		break;
	case KMERR_BADBUFTAG:
		if (btp != NULL) {
			st_msg("bcp ^ bxstat = %lx, should be %lx\n",
			    (unsigned long)((intptr_t)btp->bt_bufctl ^
			    btp->bt_bxstat), (unsigned long)(ei->ei_old != 0 ?
			    ei->ei_old : KMEM_BUFTAG_FREE));
			kmem_buftag_story(ei, btp);
		}
		break;
	case KMERR_BADCACHE:
		st_msg("buffer was allocated from %s,\n",
		    ei->ei_realcache->cache_name);
		st_msg("caller attempting free to %s.\n",
		    ei->ei_cache->cache_name);
		break;
	case KMERR_BADSIZE:
		st_msg("free size (%lu) != alloc size (%lu)\n",
		    (unsigned long)ei->ei_size,
		    (unsigned long)ei->ei_alloc_size);
		break;
	case KMERR_BADBASE:
		st_msg("free address (%p) != alloc address (%p)\n",
		    ei->ei_buf, ei->ei_base);
		break;
	case KMERR_BADROUTINE:
		st_msg("buffer allocated with %s, freed with %s\n",
		    st_kind_alloc_name(ei->ei_alloc_kind),
		    ei->ei_routine != NULL ? ei->ei_routine :
		    st_kind_free_name(ei->ei_kind));
		break;
	default:
		break;
	}
}

/*
 * An address within a page of one of our patterns was read from one of
 * our buffers: what that says, or NULL.
 */
const char *
kmem_pattern_story(uint64_t v)
{
	static const struct {
		uint64_t ps_pattern;
		const char *ps_story;
	} stories[] = {
		{ KMEM_FREE_PATTERN, "0xdeadbeef is what fills a freed "
		    "buffer, so this pointer was read from freed memory (use "
		    "after free)" },
		{ KMEM_UNINITIALIZED_PATTERN, "0xbaddcafe is what fills a new "
		    "buffer, so this pointer was read from memory never "
		    "written" },
		{ KMEM_REDZONE_PATTERN, "0xfeedface is the redzone after a "
		    "buffer, so this pointer was read past a buffer's end" },
	};
	size_t i;

	for (i = 0; i < sizeof (stories) / sizeof (stories[0]); i++)
		if (v - stories[i].ps_pattern + ST_PAGESIZE <= 2 * ST_PAGESIZE)
			return (stories[i].ps_story);
	return (NULL);
}

/* ": story", for a pointer given to free(), or "". */
static const char *
kmem_pattern_hint(const void *p)
{
	static __thread char hint[160];
	const char *s = kmem_pattern_story((uint64_t)(uintptr_t)p);

	if (s == NULL)
		return ("");
	st_snprintf(hint, sizeof (hint), ": %s", s);
	return (hint);
}

/* With noabort no panic stack follows: the call that found it. */
static void
kmem_print_caller(void)
{
	uintptr_t pcs[KMEM_STACK_MAX];
	uint32_t n = st_stack_capture(pcs, KMEM_STACK_MAX, 0);

	st_msg("detected in this call, thread=%lu:\n",
	    (unsigned long)st_os_thread_id());
	st_report_stack("detected in this call", st_os_thread_id(), 0, pcs,
	    n, 0, "    ");
}

/*
 * One line, "at main+0x64  prog.c:13": the program's frame that made the
 * call now being reported (the one after the allocator's entry point).
 */
static void
kmem_print_where(void)
{
	uintptr_t pcs[KMEM_STACK_MAX];
	uint32_t n = st_stack_capture(pcs, KMEM_STACK_MAX, 0);
	uint32_t first = st_report_first_frame(pcs, n);

	if (first + 1 < n && first != 0)
		st_report_where(&pcs[first + 1], n - first - 1, 0);
}

/*
 * The freed buffer (debugged, so its tag says free) that addr points
 * into: its start, or NULL.
 */
static void *
kmem_freed_buffer_of(uintptr_t addr, kmem_cache_t **cpp)
{
	uintptr_t pm = pagemap_lookup(addr);
	kmem_slab_t *sp = (kmem_slab_t *)pm;
	kmem_cache_t *cp;
	kmem_buftag_t *btp;
	void *base;

	if (pm == 0 || (pm & PM_TAGS) || !kmem_readable(sp, sizeof (*sp)))
		return (NULL);
	cp = sp->slab_cache;
	if (!kmem_readable(cp, sizeof (*cp)) || !(cp->cache_flags &
	    KMF_BUFTAG) || (base = kmem_buf_base(cp, sp, (void *)addr)) ==
	    NULL)
		return (NULL);
	btp = KMEM_BUFTAG(cp, base);
	if (((uintptr_t)btp->bt_bxstat ^ (uintptr_t)btp->bt_bufctl) !=
	    KMEM_BUFTAG_FREE)
		return (NULL);
	*cpp = cp;
	return (base);
}

/*
 * free(0xdeadbeefdeadbeef): the pointer was read from a freed buffer, most
 * likely one the program still holds: `this` of a destructor run twice,
 * a list node freed while walked.  A pointer to it is then in a register
 * the calls saved on the stack, or in the program's frames: scan the
 * stack from here up, the program's frames first (from the return into
 * the program), then ours, and name the first freed buffer found, with
 * its history.  A guess, and said to be one.  From a fault, uc is the
 * signal's context, whose registers are looked at first.
 */
void
kmem_suspect_freed(const void *bad, const void *uc)
{
	uintptr_t v = (uintptr_t)bad, here = (uintptr_t)&v, lo, hi, a, from;
	uintptr_t pcs[KMEM_STACK_MAX], ret;
	uint32_t n, first, pass;
	kmem_cache_t *cp = NULL;
	void *buf = NULL;
	kmem_buftag_t *btp;

	if (!(kmem_flags & KMF_DEADBEEF) || v - KMEM_FREE_PATTERN +
	    ST_PAGESIZE > 2 * ST_PAGESIZE || !st_stack_range(here, &lo, &hi))
		return;
	hi = ST_MIN(hi, here + (64UL << 10));
	/* Where the program's frames begin: the return into it. */
	n = st_stack_capture(pcs, KMEM_STACK_MAX, 0);
	first = st_report_first_frame(pcs, n);
	ret = first + 1 < n ? pcs[first + 1] : 0;
	from = here;
	for (a = ST_P2ROUNDUP(here, sizeof (uintptr_t)); ret != 0 && a < hi;
	    a += sizeof (uintptr_t)) {
		if (*(const uintptr_t *)a == ret) {
			from = a;
			break;
		}
	}
	/* A signal's registers first: `this` is often in one. */
	if (uc != NULL) {
		uintptr_t regs[ST_UC_NREGS];
		uint32_t i, nr = st_uc_regs(uc, regs);

		for (i = 0; i < nr && buf == NULL; i++)
			buf = kmem_freed_buffer_of(regs[i], &cp);
	}
	for (pass = 0; pass < 2 && buf == NULL; pass++) {
		uintptr_t s = pass == 0 ? from : ST_P2ROUNDUP(here,
		    sizeof (uintptr_t));
		uintptr_t e = pass == 0 ? hi : from;

		for (a = s; a < e && buf == NULL; a += sizeof (uintptr_t))
			buf = kmem_freed_buffer_of(*(const uintptr_t *)a, &cp);
	}
	if (buf == NULL)
		return;
	st_msg("it was probably read from the freed buffer %lx (cache %s), "
	    "to which the stack still points:\n", (unsigned long)(uintptr_t)buf,
	    kmem_cache_name_safe(cp));
	btp = KMEM_BUFTAG(cp, buf);
	if ((cp->cache_flags & KMF_AUDIT) && kmem_bufctl_valid(cp, buf,
	    btp->bt_bufctl))
		kmem_print_history(cp, buf, btp->bt_bufctl, KMERR_MODIFIED);
	else if (cp->cache_flags & KMF_LITE)
		kmem_print_history(cp, buf, NULL, KMERR_MODIFIED);
}

/*
 * An address no buffer starts at: in the allocator's own memory (a big
 * buffer freed twice, whose pages the page map no longer leads to, an
 * address inside one past its first page, a slab's header), or not its
 * at all.  Asked only when reporting; the record takes no lock.
 */
static const char *
kmem_badaddr_text(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	return (a != 0 && st_os_mapped_by_us(a, a + 1) == 1 ?
	    "invalid pointer, not the start of an allocated buffer" :
	    "invalid pointer, not from this allocator");
}

/* The first line of ei's report, as words. */
static const char *
kmem_error_kind(const kmem_errinfo_t *ei)
{
	if (ei->ei_error == KMERR_BADADDR && ei->ei_realcache == NULL)
		return (kmem_badaddr_text(ei->ei_buf));
	if (ei->ei_error == KMERR_REDZONE && (int64_t)ei->ei_off < 0)
		return ("redzone violation: write before start of buffer");
	return (kmem_error_text[ei->ei_error]);
}

void
kmem_error(const kmem_errinfo_t *ei)
{
	kmem_cache_t *cp = ei->ei_realcache;
	void *buf = ei->ei_base != NULL ? ei->ei_base : ei->ei_buf;
	kmem_buftag_t *btp = NULL;
	kmem_bufctl_t *bcp = NULL;

	kmem_report_lock();
	st_report_begin(kmem_error_kind(ei), ei->ei_error, ei);
	if (ei->ei_bufctl != NULL)
		bcp = ei->ei_bufctl;
	else if ((btp = kmem_error_buftag(cp, buf)) != NULL)
		bcp = btp->bt_bufctl;
	if (ei->ei_error == KMERR_BADADDR && cp == NULL) {
		/* Not ours at all: OpenBSD-style, one line. */
		st_msg("%s(%p): %s%s\n", ei->ei_routine != NULL ?
		    ei->ei_routine : "free", ei->ei_buf,
		    kmem_badaddr_text(ei->ei_buf),
		    kmem_pattern_hint(ei->ei_buf));
	} else if (ei->ei_oneline && ei->ei_error == KMERR_BADBASE) {
		st_msg("%s(%p): %s (%p in %s)\n",
		    ei->ei_routine != NULL ? ei->ei_routine : "free",
		    ei->ei_buf, kmem_error_text[ei->ei_error], ei->ei_base,
		    kmem_cache_name_safe(ei->ei_cache));
	} else if (ei->ei_oneline) {
		/* The checks made without debugging: one line too. */
		st_msg("%s(%p): %s (%s)\n", ei->ei_routine != NULL ?
		    ei->ei_routine : "free", ei->ei_buf,
		    kmem_error_text[ei->ei_error],
		    kmem_cache_name_safe(ei->ei_cache));
	} else {
		st_msg("%s\n", kmem_error_kind(ei));
		kmem_print_error_detail(ei, btp);
		st_msg("buffer=%lx  bufctl=%lx  cache: %s\n",
		    (unsigned long)(uintptr_t)ei->ei_buf,
		    (unsigned long)(uintptr_t)bcp, ei->ei_cache != NULL ?
		    ei->ei_cache->cache_name : "(none)");
	}
	/* Where the program made the call, first, as ASan and Valgrind do. */
	if (ei->ei_found == NULL && !ei->ei_nopanic)
		kmem_print_where();
	if (ei->ei_error == KMERR_BADADDR && cp == NULL)
		kmem_suspect_freed(ei->ei_buf, NULL);
	if (ei->ei_found != NULL)
		st_msg("found %s\n", ei->ei_found);
	if (ei->ei_audit[0] != NULL) {
		kmem_print_transaction("previous transaction", ei->ei_audit[0],
		    buf);
		if (ei->ei_audit[1] != NULL)
			kmem_print_transaction("transaction before that",
			    ei->ei_audit[1], buf);
	} else if (kmem_flags & (KMF_AUDIT | KMF_LITE)) {
		kmem_print_history(cp, buf, bcp, ei->ei_error);
	}
	if (st_opts.so_noabort || ei->ei_nopanic) {
		/* No panic stack will follow: show the guilty call. */
		if (ei->ei_found == NULL && !ei->ei_nopanic)
			kmem_print_caller();
		if (!ei->ei_nopanic)
			st_report_legend();
		/* verify.c's findings: the panic that follows ends it. */
		if (st_opts.so_noabort)
			st_report_end(NULL);
		kmem_report_unlock();
		return;
	}
	kmem_panic_buf = buf;           /* the dump's verify: told already */
	st_panic_dump("heap corruption detected", NULL, 0, 0);
	st_os_abort();
}

/*
 * The registers of the allocator's entry point that the program called
 * (pcs[entry]), for the dump, or NULL (then the dump takes its own).
 */
static __attribute__((noinline)) const void *
kmem_panic_context(const uintptr_t *pcs, uint32_t n)
{
	static ucontext_t panic_uc;     /* (one panic at a time) */
	uint32_t entry = st_report_entry_frame(pcs, n);

	if (entry == 0 || getcontext(&panic_uc) != 0 ||
	    !st_uc_unwind_to(&panic_uc, pcs[entry]))
		return (NULL);
	return (&panic_uc);
}

/*
 * The panic: its line and the panicking stack (from uc, a signal's
 * ucontext, or from here), then the dump.  The caller then dies.
 */
void
st_panic_dump(const char *msg, const void *uc, int signo, uintptr_t addr)
{
	uintptr_t pcs[KMEM_STACK_MAX];
	uint32_t n;

	st_panicking = 1;
	st_report_panic_begin(msg, signo);
	st_report_legend();
	st_msg("panic[cpu%d]/thread=%lu: %s\n", st_os_cpu(),
	    (unsigned long)st_os_thread_id(), msg);
	n = uc != NULL ? st_stack_capture_uc(uc, pcs, KMEM_STACK_MAX) :
	    st_stack_capture(pcs, KMEM_STACK_MAX, 0);
	st_report_stack("panic", st_os_thread_id(), 0, pcs, n,
	    uc != NULL ? ST_STACK_EXACT : 0, "    ");
	/* Whatever else is wrong goes into the dump's message buffer too. */
	if (kmem_ready && (kmem_flags & (KMF_BUFTAG | KMF_LITE)))
		(void) kmem_verify_heap(KV_DUMP);
	/*
	 * Not from a signal: the dump's registers are those of the
	 * allocator's entry point the program called, so that a debugger's
	 * `bt` starts there and shows the program's frame next.
	 */
	if (uc == NULL)
		uc = kmem_panic_context(pcs, n);
	if (st_opts.so_dump)
		(void) st_dump_write(msg, uc, signo, addr);
	(void) st_report_summary();
	st_report_end(msg);
}
