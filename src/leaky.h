/*
 * leaky.h: the leak scanner's interface (leaky.c), one source compiled
 * twice: into the library, where leakcheck.c feeds it the live heap and
 * reads memory in place, and into the debugger, where src/mdb/findleaks.c
 * feeds it a dump's heap and reads through the target.  Nothing here
 * knows the allocator: a buffer is an address, a size and the caller's
 * tag; memory comes and is read through the caller's lk_ops_t.
 *
 * The order of calls:
 *   lk_init(max)         the table, for at most max buffers
 *   lk_add() ...         every allocated buffer (and, without buffer tags,
 *                        the free ones too, to be dropped next)
 *   lk_sort()            sorted by address; overlaps dropped
 *   lk_find(), lk_compact()   mark some LK_FREE, then drop them
 *   lk_root(), lk_root_words()   every root; marks what they reach
 *   lk_classify()        the rest: direct or indirect leaks
 *   lk_group()           leaks grouped by the caller's key, biggest first
 *   lk_suppress()        (optional) a group out of the report, and what
 *                        only it reaches; then lk_group() again
 *   lk_fini()            everything given back
 */
#ifndef SLABTRACE_LEAKY_H
#define SLABTRACE_LEAKY_H

#include <stddef.h>
#include <stdint.h>

/* lb_state: where a buffer stands. */
#define LK_ALLOC        0       /* allocated, not reached (yet) */
#define LK_REACHED      1       /* reached from a root */
#define LK_FREE         2       /* not a buffer after all: lk_compact */
#define LK_DIRECT       3       /* leaked; no leaked buffer points to it */
#define LK_INDIRECT     4       /* leaked; reached only from leaked ones */
#define LK_SUPPRESSED   5       /* leaked, but suppressed (or under one) */

/* One buffer: 32 bytes, the scan's main cost in memory. */
typedef struct lk_buf {
	uint64_t lb_addr;               /* first byte */
	uint64_t lb_size;               /* bytes scanned; a pointer to any
	                                   of them reaches the buffer */
	uint64_t lb_tag;                /* the caller's (a bufctl, a cache) */
	uint32_t lb_slack;              /* bytes of lb_size not asked for */
	uint8_t lb_state;               /* LK_* */
	uint8_t lb_kind;                /* the caller's */
	uint16_t lb_noscan;             /* bytes at its end not scanned
	                                   (the caller's: lk_noscan) */
} lk_buf_t;

/* A group of leaks with one key and one state: 16 bytes. */
typedef struct lk_group {
	uint64_t lg_bytes;              /* asked-for bytes, all of them */
	uint32_t lg_first;              /* first member: lk_leak(ls, i) */
	uint32_t lg_count;              /* members */
} lk_group_t;

/* Where the scanner's memory comes from, and how it reads the target. */
typedef struct lk_ops {
	/* size bytes of read-write memory, page-aligned; NULL: none */
	void *(*lo_map)(void *arg, size_t size);
	void (*lo_unmap)(void *arg, void *p, size_t size);
	/*
	 * len bytes at addr (len <= LK_CHUNK): a pointer to them, in place
	 * or copied into scratch; NULL if any of them cannot be read.
	 */
	const void *(*lo_read)(void *arg, uint64_t addr, size_t len,
	    void *scratch);
	/*
	 * Optional (NULL: none): the first address in [addr, end) whose
	 * page may hold anything, end if none; asked of ranges of LK_SPARSE
	 * bytes or more, so that untouched memory costs no reads.
	 */
	uint64_t (*lo_skip)(void *arg, uint64_t addr, uint64_t end);
} lk_ops_t;

#define LK_SPARSE       (1024 * 1024)   /* ranges this big: lo_skip */
#define LK_CHUNK        (64 * 1024)     /* bytes read at a time */
#define LK_PAGE         4096            /* unit of an unreadable range */

/* What a scan did (::findleaks -v). */
typedef struct lk_stats {
	uint64_t lt_maxbufs;            /* room in the table */
	uint64_t lt_added;              /* lk_add calls */
	uint64_t lt_overlaps;           /* dropped by lk_sort */
	uint64_t lt_nbufs;              /* buffers in the table after all */
	uint64_t lt_words;              /* words looked at (potential ptrs) */
	uint64_t lt_dismissals;         /* outside every buffer's range */
	uint64_t lt_misses;             /* in range, in no buffer */
	uint64_t lt_dups;               /* a buffer already reached */
	uint64_t lt_follows;            /* a buffer reached now */
	uint64_t lt_root_bytes;         /* bytes of roots read */
	uint64_t lt_buf_bytes;          /* bytes of buffers read */
	uint64_t lt_unreadable;         /* bytes that could not be read */
	uint64_t lt_memory;             /* bytes the scanner mapped, peak */
	uint64_t lt_direct;             /* leaked buffers, by state */
	uint64_t lt_indirect;
	uint64_t lt_suppressed;
} lk_stats_t;

typedef struct lk_scan {
	const lk_ops_t *ls_ops;
	void *ls_arg;
	lk_buf_t *ls_bufs;              /* the table, by address after sort */
	uint64_t ls_nbufs;
	uint64_t ls_maxbufs;
	size_t ls_bufs_size;            /* its mapping's size */
	uint32_t *ls_stack;             /* marking, then the leaks' order */
	uint64_t ls_depth;              /* entries on ls_stack */
	size_t ls_stack_size;
	uint64_t ls_lo;                 /* lowest buffer address */
	uint64_t ls_hi;                 /* highest buffer end */
	uint64_t *ls_keys;              /* lk_group: each leak's key */
	size_t ls_keys_size;
	uint64_t ls_nleaks;             /* entries in ls_stack, ls_keys */
	lk_group_t *ls_groups;
	size_t ls_groups_size;
	uint64_t ls_ngroups;
	uint8_t *ls_scratch;            /* LK_CHUNK bytes for lo_read */
	uint64_t ls_mapped;             /* bytes mapped now */
	int ls_sorted;
	lk_stats_t ls_stats;
} lk_scan_t;

/* A leak's key (its group: same stack, or same cache and size). */
typedef uint64_t lk_key_f(void *arg, const lk_buf_t *lb);

int lk_init(lk_scan_t *ls, const lk_ops_t *ops, void *arg, uint64_t max);
void lk_fini(lk_scan_t *ls);
/* -1 when the table is full (the buffer is not added). */
int lk_add(lk_scan_t *ls, uint64_t addr, uint64_t size, uint64_t tag,
    uint32_t slack, uint8_t kind);
void lk_sort(lk_scan_t *ls);
lk_buf_t *lk_find(lk_scan_t *ls, uint64_t addr);  /* the one holding addr */
void lk_compact(lk_scan_t *ls);
void lk_root(lk_scan_t *ls, uint64_t addr, uint64_t len);
void lk_root_words(lk_scan_t *ls, const uint64_t *words, size_t n);
void lk_classify(lk_scan_t *ls);
int lk_group(lk_scan_t *ls, lk_key_f *key, void *arg);
/* Group i and everything only it reaches become LK_SUPPRESSED. */
void lk_suppress(lk_scan_t *ls, uint64_t group);
/* The i-th leak in group order, and its key. */
lk_buf_t *lk_leak(lk_scan_t *ls, uint64_t i);
uint64_t lk_leak_key(lk_scan_t *ls, uint64_t i);
/* Scan all but the last n bytes of a buffer (n < its size). */
static inline void
lk_noscan(lk_buf_t *lb, uint16_t n)
{
	lb->lb_noscan = n < lb->lb_size ? n : 0;
}

/* The reported bytes of a buffer (what was asked for). */
static inline uint64_t
lk_bytes(const lk_buf_t *lb)
{
	return (lb->lb_size - lb->lb_slack);
}

#endif /* SLABTRACE_LEAKY_H */
