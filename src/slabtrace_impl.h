/*
 * slabtrace_impl.h: the private types of slabtrace, shared by every layer of
 * the allocator and by the debugger (slabtrace mdb), which includes this
 * header unchanged to decode a crash dump.  Rules for what goes here:
 *
 *   - fixed-width fields (uint32_t, uint64_t, pointers), no `long`;
 *   - nothing that depends on the running process: a dump of one process is
 *     decoded by another, so no function pointers are followed, only printed;
 *   - every struct field carries the struct's prefix (vm_, vs_, cache_,
 *     slab_, bc_, bt_, mag_, mt_, ml_, cc_, kt_, sr_), so a field reads the
 *     same in the source and in the debugger's output.
 *
 * The theory of operation of each layer is at the top of its file:
 *   vmem.c      arenas of address space (spans, segments, quantum caches)
 *   pagemap.c   address -> slab map, how free() finds a buffer's cache
 *   slab.c      object caches and the slab layer
 *   magazine.c  per-thread magazines and the depot
 *   kmem.c      kmem_alloc_N caches, kmem_alloc/kmem_free, start-up, fork
 *   malloc.c    the malloc family and C++ operators over kmem
 *   umem.c      libumem's API
 *   print.c     formatted output without malloc, the error function
 *   debug.c     the kmem_flags checks and reports
 *   verify.c    the sweep, the exit verify, stopping the world
 *   firewall.c  guarded buffers, and big buffers when debugging
 */
#ifndef SLABTRACE_IMPL_H
#define SLABTRACE_IMPL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* The public API is what the library exports; everything else is hidden. */
#pragma GCC visibility push(default)
#include "slabtrace.h"
#pragma GCC visibility pop
#include "platform.h"

#define ST_VERSION_MAJOR        0
#define ST_VERSION_MINOR        4

#define ST_LIKELY(x)    __builtin_expect(!!(x), 1)
#define ST_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#define ST_P2ROUNDUP(x, a)      (-(-(x) & -(a)))
#define ST_P2ALIGN(x, a)        ((x) & -(a))
#define ST_ISP2(x)              (((x) & ((x) - 1)) == 0)
#define ST_MIN(a, b)            ((a) < (b) ? (a) : (b))
#define ST_MAX(a, b)            ((a) > (b) ? (a) : (b))
#define ST_PAGESIZE             4096UL  /* the quantum of the page arenas */
#define ST_PAGESHIFT            12

/*
 * Developer assertions: compiled in when ST_DEBUG is set, checked by the
 * optimiser away otherwise (jemalloc's `if (config_debug)` style, so they
 * are always type-checked).  User errors are never asserted: they go
 * through st_error().
 */
#ifdef ST_DEBUG
static const int st_config_debug = 1;
#else
static const int st_config_debug = 0;
#endif
#define ST_ASSERT(e) do {                                               \
	if (st_config_debug && !(e))                                    \
		st_assert_fail(#e, __FILE__, __LINE__);                 \
} while (0)

/* ------------------------------------------------------------------------
 * Patterns and buffer states (one place; debug.c and the debugger use them).
 */
#define KMEM_FREE_PATTERN       0xdeadbeefdeadbeefULL  /* freed buffer */
#define KMEM_UNINITIALIZED_PATTERN 0xbaddcafebaddcafeULL /* new buffer */
#define KMEM_REDZONE_PATTERN    0xfeedfacefeedfaceULL  /* after buffer */
#define KMEM_REDZONE_BYTE       0xbb                   /* size padding */
#define KMEM_BUFTAG_ALLOC       0xa110c8edUL
#define KMEM_BUFTAG_FREE        0xf4eef4eeUL

/* kmem_flags bits, as in the kernel's kmem_impl.h. */
#define KMF_AUDIT       0x00000001  /* transaction auditing */
#define KMF_DEADBEEF    0x00000002  /* deadbeef checking */
#define KMF_REDZONE     0x00000004  /* redzone checking */
#define KMF_CONTENTS    0x00000008  /* freed-buffer content logging */
#define KMF_STICKY      0x00000010  /* accepted; its meaning here: issue 3 */
#define KMF_NOMAGAZINE  0x00000020  /* disable per-thread magazines */
#define KMF_FIREWALL    0x00000040  /* put all bufs before unmapped pages */
#define KMF_LITE        0x00000100  /* lightweight debugging */
#define KMF_HASH        0x00000200  /* cache has hash table (large slab) */
#define KMF_RANDOMIZE   0x00000400  /* randomize other kmem_flags */
#define KMF_BUFTAG      (KMF_DEADBEEF | KMF_REDZONE)
#define KMF_TOUCH       (KMF_BUFTAG | KMF_LITE | KMF_CONTENTS)

/* User errors: the one list, reported by st_error() (print.c). */
typedef enum kmem_error {
	KMERR_MODIFIED = 0,     /* buffer modified while on freelist */
	KMERR_REDZONE,          /* redzone violation (write past end) */
	KMERR_DUPFREE,          /* freed a buffer twice */
	KMERR_BADADDR,          /* freed a bad (unallocated) address */
	KMERR_BADBUFTAG,        /* buftag corrupted */
	KMERR_BADBUFCTL,        /* bufctl corrupted */
	KMERR_BADCACHE,         /* freed a buffer to the wrong cache */
	KMERR_BADSIZE,          /* alloc size != free size */
	KMERR_BADBASE,          /* buffer base address wrong */
	KMERR_BADROUTINE,       /* freed with the wrong routine */
	KMERR_NERRORS
} kmem_error_t;

/* ------------------------------------------------------------------------
 * vmem (vmem.c): arenas of integer ranges, here always address space.
 *
 * An arena holds spans (ranges it was given with vmem_add or imported from
 * its source), cut into segments that are either allocated or free.  All
 * segments of an arena are on one address-ordered list (vs_anext/vs_aprev);
 * free segments are also on the power-of-two freelist of their size
 * (vm_freelist[highbit(size) - 1]); allocated segments are in a hash of
 * their start address.  Span segments (VMEM_SPAN) head their span on the
 * arena list.
 */
#define VMEM_NAMELEN            32
#define VMEM_FREELISTS          64      /* one per power of two */
#define VMEM_HASH_INITIAL       16
#define VMEM_NQCACHE_MAX        16
#define VMEM_STACK_DEPTH        0       /* no per-segment stacks yet */

#define VMEM_ALLOC_SEG          0x01    /* vs_type */
#define VMEM_FREE_SEG           0x02
#define VMEM_SPAN               0x10
#define VMEM_ROTOR              0x20
#define VMEM_WALKER             0x40

#define VS_FREED                0x01    /* vs_dirty: freed here since */
#define VS_IMPORTED             0x02    /* ... or a source's span */

/* vmem_create() cflags (in vmflag's high bits). */
#define VMC_POPULATOR           0x00010000
#define VMC_NO_QCACHE           0x00020000
#define VMC_RETAIN              0x00040000  /* keep free imported spans
                                               until vmem_reap() */

typedef struct vmem_seg vmem_seg_t;
struct vmem_seg {
	uintptr_t vs_start;             /* start of segment */
	uintptr_t vs_end;               /* end of segment (exclusive) */
	vmem_seg_t *vs_knext;           /* next of kin (alloc, free, span) */
	vmem_seg_t *vs_kprev;           /* prev of kin */
	vmem_seg_t *vs_anext;           /* next in arena */
	vmem_seg_t *vs_aprev;           /* prev in arena */
	union {
		struct {
			vmem_seg_t *vs_tleft;   /* span: lower spans */
			vmem_seg_t *vs_tright;  /* ... higher (vm_span_tree) */
		};
		struct {
			uintptr_t vs_dlo;       /* free and dirty: the pages */
			uintptr_t vs_dhi;       /* that may be committed */
		};
	};
	uint8_t vs_type;                /* alloc, free, span */
	uint8_t vs_import;              /* non-zero if span was imported */
	uint8_t vs_dirty;               /* free: may hold committed pages:
	                                   VS_FREED | VS_IMPORTED (vmem.c) */
	uint8_t vs_pad[5];
};

typedef struct vmem_freelist {
	uintptr_t vs_start;             /* always zero */
	uintptr_t vs_end;               /* segment size */
	vmem_seg_t *vs_knext;           /* next of kin */
	vmem_seg_t *vs_kprev;           /* prev of kin */
} vmem_freelist_t;

typedef struct vmem_kstat {
	uint64_t vk_mem_inuse;          /* bytes allocated */
	uint64_t vk_mem_import;         /* bytes imported */
	uint64_t vk_mem_total;          /* total bytes in arena */
	uint64_t vk_alloc;              /* number of allocations */
	uint64_t vk_free;               /* number of frees */
	uint64_t vk_fail;               /* allocation failures */
	uint64_t vk_lookup;             /* hash lookup count */
	uint64_t vk_search;             /* freelist search count */
	uint64_t vk_populate_fail;      /* segment population failures */
	uint64_t vk_contains;           /* vmem_contains() calls */
	uint64_t vk_contains_search;    /* vmem_contains() search count */
} vmem_kstat_t;

struct vmem {
	char vm_name[VMEM_NAMELEN];     /* arena name */
	st_lock_t vm_lock;              /* arena lock */
	uint32_t vm_id;                 /* arena id */
	uint32_t vm_cflags;             /* arena creation flags */
	int32_t vm_qshift;              /* log2(vm_quantum) */
	uint32_t vm_pad;
	uint64_t vm_quantum;            /* vmem quantum */
	uint64_t vm_qcache_max;         /* maximum size to front by kmem */
	uint64_t vm_min_import;         /* smallest import from the source */
	uint64_t vm_dirty;              /* estimate of committed free bytes */
	vmem_alloc_t *vm_source_alloc;  /* import from source */
	vmem_free_t *vm_source_free;    /* release to source */
	vmem_t *vm_source;              /* vmem source for imported memory */
	vmem_t *vm_next;                /* next in vmem_list */
	vmem_seg_t **vm_hash_table;     /* allocated-segment hash table */
	uint64_t vm_hash_mask;          /* hash_size - 1 */
	uint64_t vm_hash_shift;         /* log2(vm_quantum) */
	uint64_t vm_hash_count;         /* allocated segments hashed */
	uint64_t vm_freemap;            /* bitmap of non-empty freelists */
	vmem_seg_t vm_seg0;             /* anchor segment (arena list head) */
	vmem_seg_t *vm_span_tree;       /* spans by address: a treap's root */
	vmem_seg_t vm_rotor;            /* rotor for VM_NEXTFIT allocations */
	vmem_seg_t *vm_hash0[VMEM_HASH_INITIAL]; /* initial hash table */
	void *vm_qcache[VMEM_NQCACHE_MAX]; /* quantum caches (kmem_cache_t) */
	vmem_freelist_t vm_freelist[VMEM_FREELISTS + 1]; /* power-of-2 lists */
	vmem_kstat_t vm_kstat;          /* statistics */
};

/* ------------------------------------------------------------------------
 * kmem: caches, slabs, bufctls, buftags (slab.c), magazines (magazine.c).
 */
#define KMEM_CACHE_NAMELEN      32
#define KMEM_ALIGN              8       /* minimum alignment */
#define KMEM_ALIGN_SHIFT        3
#define KMEM_VOID_FRACTION      8       /* never waste more than 1/8 slab */
#define KMEM_STACK_DEPTH        15      /* audit stack depth (default) */
#define KMEM_STACK_MAX          64      /* largest audit=N */
#define KMEM_LITE_DEPTH         4       /* callers kept in lite mode */
#define KMEM_QUARANTINE_MAX     128     /* freed buffers a thread holds */
#define KMEM_HASH_INITIAL       64
#define KMEM_MAXBUF             131072  /* largest kmem_alloc cache */
#define KMEM_SMALL_MAX          4096    /* sizes served by the small table */
#define KMEM_BIG_SHIFT          10      /* the big table's step: 1 KiB */
#define KMEM_NCACHE_ALLOC       64      /* kmem_alloc_N caches, at most */
/* cache_cflags: the allocator's own cache (slabs, bufctls, magazines,
   threads, quantum caches...), whose buffers no free() may take. */
#define KMC_PRIVATE             0x00200000
#define KMC_TIGHT               0x00400000  /* debugging may align its
                                               chunks to 16 (kmem.c, 2.) */
#define KMEM_CC_MAX             128     /* caches with per-thread layers */

typedef struct kmem_slab kmem_slab_t;
typedef struct kmem_bufctl kmem_bufctl_t;
typedef struct kmem_magazine kmem_magazine_t;

/*
 * A bufctl: the slab layer's handle on a free buffer.  Small slabs keep only
 * bc_next, inside the free buffer at cache_bufctl; large slabs (KMF_HASH)
 * keep all three in an external bufctl found through the cache's hash.
 */
struct kmem_bufctl {
	kmem_bufctl_t *bc_next;         /* next bufctl in slab freelist/hash */
	void *bc_addr;                  /* address of buffer */
	kmem_slab_t *bc_slab;           /* controlling slab */
};

/*
 * An audit bufctl (KMF_AUDIT): who did the last thing to a buffer, when.
 * The allocation's stack and thread are kept besides (bc_astackid,
 * bc_athread, set at each allocation), so that a report on a freed buffer
 * names who allocated it after the transaction log lost that record (a
 * busy program overwrites the log in a fraction of a second).  They were
 * added in ST_ASTACK_VERSION; older dumps' bufctls end before them
 * (KMEM_BUFCTL_AUDIT_V2SIZE bytes), and log records were 80 bytes already.
 * The allocation's time (bc_atime) came later: it is not copied into the
 * log (its records stop before it, KMEM_LOG_RECSIZE) and the debugger
 * does not read it; a report on a freed buffer prints the allocation
 * from it as the log would have (debug.c, kmem_print_allocation).
 */
typedef struct kmem_bufctl_audit {
	kmem_bufctl_t *bc_next;
	void *bc_addr;
	kmem_slab_t *bc_slab;
	kmem_cache_t *bc_cache;         /* controlling cache */
	uint64_t bc_timestamp;          /* transaction time (ns) */
	uint64_t bc_thread;             /* thread id */
	struct kmem_bufctl_audit *bc_lastlog; /* previous log record */
	void *bc_contents;              /* contents at last free */
	uint32_t bc_depth;              /* stack depth */
	uint32_t bc_stackid;            /* its frames in the depot (depot.c) */
	uint32_t bc_astackid;           /* the last allocation's stack, */
	uint32_t bc_athread;            /* ... and its thread (0: none) */
	uint64_t bc_atime;              /* ... and its time (0: none) */
} kmem_bufctl_audit_t;

/* A transaction log record: an audit bufctl, up to bc_atime. */
#define KMEM_LOG_RECSIZE        offsetof(kmem_bufctl_audit_t, bc_atime)

#define KMEM_BUFCTL_AUDIT_V2SIZE        offsetof(kmem_bufctl_audit_t, \
	bc_astackid)

/*
 * kmem_alloc, malloc and operator new record the requested size and the
 * routine that allocated in the second 32-bit word of the buftag's redzone
 * (the kernel's KMEM_SIZE_ENCODE, plus the routine in the top bits), and
 * fill the bytes between the size and the buftag with KMEM_REDZONE_BYTE.
 */
#define KMEM_SIZE_ENCODE(x)     (251 * (x) + 1)
#define KMEM_SIZE_DECODE(x)     ((x) / 251)
#define KMEM_SIZE_VALID(x)      ((x) % 251 == 1)
#define KMEM_KIND_SHIFT         28
#define KMEM_SIZE_MASK          ((1U << KMEM_KIND_SHIFT) - 1)

/* The allocating routines that must match their freeing routines. */
typedef enum st_kind {
	ST_KIND_NONE = 0,       /* kmem_cache_alloc: no size recorded */
	ST_KIND_KMEM,           /* kmem_alloc / kmem_free */
	ST_KIND_UMEM,           /* umem_alloc / umem_free */
	ST_KIND_MALLOC,         /* malloc family / free */
	ST_KIND_NEW,            /* operator new / delete */
	ST_KIND_NEW_ARRAY,      /* operator new[] / delete[] */
	ST_KIND_NEW_ALIGNED,    /* operator new(align_val_t) */
	ST_KIND_NEW_ARRAY_ALIGNED,
	ST_KIND_NKINDS
} st_kind_t;

/* May a buffer allocated by `alloc` be freed by `freeing`? (kmem = umem) */
static inline int
st_kind_match(uint32_t alloc, uint32_t freeing)
{
	return (alloc == freeing || (alloc == ST_KIND_KMEM &&
	    freeing == ST_KIND_UMEM) || (alloc == ST_KIND_UMEM &&
	    freeing == ST_KIND_KMEM));
}

/* The tag after each buffer when debugging (KMF_BUFTAG). */
typedef struct kmem_buftag {
	uint64_t bt_redzone;            /* 64-bit redzone pattern */
	kmem_bufctl_t *bt_bufctl;       /* bufctl */
	intptr_t bt_bxstat;             /* bufctl ^ (alloc/free) */
} kmem_buftag_t;

typedef struct kmem_buftag_lite {
	kmem_buftag_t bt_buftag;
	uintptr_t bt_history[KMEM_LITE_DEPTH]; /* last callers */
} kmem_buftag_lite_t;

/*
 * A slab: one contiguous piece of the cache's arena, cut into chunks.  The
 * small layout puts this struct at the end of the slab's only page; the
 * large layout allocates it from kmem_slab_cache.
 */
struct kmem_slab {
	kmem_cache_t *slab_cache;       /* controlling cache */
	void *slab_base;                /* base of allocated memory */
	kmem_slab_t *slab_next;         /* next slab on the cache's list */
	kmem_slab_t *slab_prev;         /* prev slab on the cache's list */
	kmem_bufctl_t *slab_head;       /* first free buffer */
	uint64_t slab_size;             /* bytes of arena memory */
	uint32_t slab_refcnt;           /* outstanding allocations */
	uint32_t slab_chunks;           /* chunks (bufs) in this slab */
	uint32_t slab_color;            /* colour offset of the first chunk */
	uint32_t slab_flags;            /* SLAB_*, and SLAB_HW above them */
};
#define SLAB_COMPLETE           0x01    /* on the cache's complete list */
#define SLAB_PARTIAL            0x02    /* on the cache's partial list */
#define SLAB_EMPTY              0x08    /* debugging: on the empty queue */
#define SLAB_LISTS              (SLAB_COMPLETE | SLAB_PARTIAL | SLAB_EMPTY)
#define SLAB_DIRTY              0x04    /* a debugged buffer came back since
                                           the last sweep (verify.c) */
/*
 * Chunks ever handed out: the first SLAB_HW(sp) (slab.c, section 5).
 * Written under cache_lock, read by free() without it.
 */
#define SLAB_HW_SHIFT           8
#define SLAB_HW(sp)             (__atomic_load_n(&(sp)->slab_flags, \
	__ATOMIC_RELAXED) >> SLAB_HW_SHIFT)

/* A magazine: an array of constructed buffers. */
struct kmem_magazine {
	kmem_magazine_t *mag_next;      /* next in depot list */
	void *mag_round[1];             /* one or more rounds */
};

typedef struct kmem_magtype {
	uint32_t mt_magsize;            /* magazine size (number of rounds) */
	uint32_t mt_align;              /* magazine alignment */
	uint64_t mt_minbuf;             /* all smaller buffers qualify */
	uint64_t mt_maxbuf;             /* no larger buffers qualify */
	kmem_cache_t *mt_cache;         /* magazine cache */
} kmem_magtype_t;

/* A depot list of magazines, with its working-set statistics. */
typedef struct kmem_maglist {
	kmem_magazine_t *ml_list;       /* magazine list */
	uint64_t ml_total;              /* number of magazines */
	uint64_t ml_min;                /* min since last update */
	uint64_t ml_reaplimit;          /* max reapable magazines */
	uint64_t ml_alloc;              /* allocations from this list */
} kmem_maglist_t;

/*
 * The per-thread cache of one kmem cache: the loaded and previously loaded
 * magazines (see magazine.c for why per thread rather than per CPU).  The
 * owning thread uses it without locks; cc_lock is taken only for caches
 * that can be destroyed (user caches), so that kmem_cache_destroy() can
 * flush other threads' magazines.
 */
typedef struct kmem_cpu_cache {
	kmem_magazine_t *cc_loaded;     /* the currently loaded magazine */
	kmem_magazine_t *cc_ploaded;    /* the previously loaded magazine */
	int32_t cc_rounds;              /* rounds in cc_loaded */
	int32_t cc_prounds;             /* rounds in cc_ploaded */
	int32_t cc_magsize;             /* rounds per magazine; 0: disabled */
	uint32_t cc_idle;               /* cc_alloc + cc_free at the owner's
	                                   last idle sweep (magazine.c, 9.) */
	uint64_t cc_alloc;              /* allocations from this cache */
	uint64_t cc_free;               /* frees to this cache */
} kmem_cpu_cache_t;

/*
 * A round out of, or into, a magazine whose count is *roundsp.  The order
 * is for a debugger that reads the magazines of a process stopped at any
 * instruction (::findleaks on a live process, mdb -S): a buffer leaving
 * is loaded into a register before the count lets it go, and a buffer
 * coming in is in its slot before the count takes it.  So a buffer is
 * always in a magazine or in the thread's registers, and no slot past a
 * count's buffers (a buffer allocated since: live) is ever taken for a
 * free round.  (The count first let a scan of a thread stopped between
 * the two, by a signal, call the buffer a leak.)  A compiler barrier: the
 * thread's own stores are seen in order by a debugger that stops it.
 */
static inline void *
kmem_round_pop(kmem_magazine_t *mp, int32_t *roundsp)
{
	uint32_t r = (uint32_t)*roundsp - 1;	/* > 0: no sign to extend */
	void *buf = mp->mag_round[r];

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	*roundsp = (int32_t)r;
	return (buf);
}

static inline void
kmem_round_push(kmem_magazine_t *mp, int32_t *roundsp, void *buf)
{
	uint32_t r = (uint32_t)*roundsp;

	mp->mag_round[r] = buf;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	*roundsp = (int32_t)(r + 1);
}

/* A thread's state: its caches, on the global thread list. */
typedef struct kmem_thread {
	struct kmem_thread *kt_next;    /* global thread list */
	struct kmem_thread *kt_prev;
	uint64_t kt_tid;                /* kernel thread id */
	uint32_t kt_flags;              /* KT_* */
	uint32_t kt_busy;               /* debugged operations under way
	                                   (verify.c: the world stops when
	                                   every thread's is 0) */
	uint64_t kt_frees;              /* debugged frees, for the sweep */
	st_lock_t kt_lock;              /* taken by owner for user caches and
	                                   by others to flush them */
	uint64_t kt_sample_rng;         /* sampling's PRNG (0: not seeded) */
	uint64_t kt_sample_left;        /* mallocs until the next sampled one
	                                   (firewall.c, section 9) */
	uint64_t kt_sample_next;        /* ... and not before (ns) */
	kmem_cpu_cache_t kt_cc[KMEM_CC_MAX];
	/* debugging: freed kmem_alloc_N buffers held back (magazine.c) */
	uint32_t kt_qhead;              /* oldest entry */
	uint32_t kt_qcount;             /* entries */
	uint64_t kt_qbytes;             /* their chunk bytes */
	void *kt_quarantine[KMEM_QUARANTINE_MAX];
	uint8_t kt_qcache[KMEM_QUARANTINE_MAX]; /* their kmem_alloc_caches[] */
} kmem_thread_t;
#define KT_DEAD                 0x01    /* the sentinel of exited threads */

struct kmem_cache {
	/* statistics */
	uint64_t cache_slab_create;     /* slab creates */
	uint64_t cache_slab_destroy;    /* slab destroys */
	uint64_t cache_slab_alloc;      /* slab layer allocations */
	uint64_t cache_slab_free;       /* slab layer frees */
	uint64_t cache_alloc_fail;      /* total failed allocations */
	uint64_t cache_buftotal;        /* total buffers in slabs */
	uint64_t cache_bufmax;          /* max buffers ever */
	uint64_t cache_rescale;         /* hash table rescales */
	uint64_t cache_lookup_depth;    /* hash lookup depth */
	uint64_t cache_depot_contention; /* mutex contention count */
	uint64_t cache_depot_contention_prev; /* previous snapshot */
	uint64_t cache_depot_ops;       /* depot operations since update */
	uint64_t cache_alloc_dead;      /* allocs by exited threads' layer */
	uint64_t cache_free_dead;       /* frees by exited threads' layer */
	/* properties */
	char cache_name[KMEM_CACHE_NAMELEN]; /* cache name */
	uint32_t cache_flags;           /* KMF_* */
	uint32_t cache_cflags;          /* KMC_* (creation flags) */
	int32_t cache_ccidx;            /* index in kt_cc[], -1 if none */
	uint32_t cache_chunks;          /* chunks per slab */
	uint32_t cache_cc_off;          /* kmem_alloc_N: kt_cc[ccidx]'s offset */
	uint32_t cache_keyoff;          /* malloc's free key's offset */
	uint64_t cache_bufsize;         /* object size */
	uint64_t cache_align;           /* object alignment */
	uint64_t cache_chunksize;       /* buf + alignment [+ debug] */
	uint64_t cache_chunkinv;        /* ceil(2^64 / chunksize) */
	uint64_t cache_slabsize;        /* size of a slab */
	uint64_t cache_bufctl;          /* buf-to-bufctl distance */
	uint64_t cache_buftag;          /* buf-to-buftag distance */
	uint64_t cache_verify;          /* bytes to verify */
	uint64_t cache_contents;        /* bytes of saved content */
	uint64_t cache_color;           /* next slab colour */
	uint64_t cache_maxcolor;        /* maximum slab colour */
	uint64_t cache_hash_shift;      /* get to interesting bits */
	uint64_t cache_hash_mask;       /* hash table mask */
	kmem_constructor_t *cache_constructor;
	kmem_destructor_t *cache_destructor;
	kmem_reclaim_t *cache_reclaim;
	void *cache_private;            /* opaque arg to callbacks */
	vmem_t *cache_arena;            /* vmem source for slabs */
	kmem_cache_t *cache_next;       /* all caches, a circular list */
	kmem_cache_t *cache_prev;
	/* slab layer */
	st_lock_t cache_lock;           /* protects slab layer */
	kmem_slab_t *cache_partial;     /* slabs with free buffers */
	kmem_slab_t *cache_complete;    /* slabs with none */
	uint64_t cache_partial_count;
	uint64_t cache_complete_count;
	uint64_t cache_buftotal_free;   /* free buffers in slabs */
	kmem_slab_t *cache_empty_slabs; /* debugging: empty slabs waiting, */
	kmem_slab_t *cache_empty_tail;  /* oldest first (slab.c, 5.) */
	uint64_t cache_empty_count;
	kmem_bufctl_t **cache_hash_table; /* hash table base */
	kmem_bufctl_t *cache_hash0[KMEM_HASH_INITIAL];
	/* depot layer */
	st_lock_t cache_depot_lock;     /* protects depot */
	kmem_magtype_t *cache_magtype;  /* magazine type */
	kmem_maglist_t cache_full;      /* full magazines */
	kmem_maglist_t cache_empty;     /* empty magazines */
	uint64_t cache_depot_update;    /* time of the last ws update (ns) */
	uint64_t cache_depot_puts;      /* full magazines ever put */
	uint64_t cache_depot_swept;     /* ... when the sweep last looked */
	uint32_t cache_dirty;           /* slabs marked SLAB_DIRTY */
	uint32_t cache_pad;
};

/* ------------------------------------------------------------------------
 * The page map (pagemap.c): page number -> what owns the page.
 * An entry is a kmem_slab_t pointer, or PM_BIG | (pages << PM_SHIFT) for the
 * first page of an oversize allocation (vmem straight from kmem_oversize).
 */
#define PM_BITS                 48      /* user address bits covered */
#define PM_L1_BITS              18
#define PM_L2_BITS              (PM_BITS - ST_PAGESHIFT - PM_L1_BITS)
#define PM_BIG                  0x1UL   /* an oversize buffer's first page */
#define PM_FW                   0x2UL   /* a firewall buffer's page */
#define PM_TAGS                 (PM_BIG | PM_FW)
#define PM_SHIFT                4

/* ------------------------------------------------------------------------
 * A firewall buffer's header (firewall.c, section 3), from its own cache;
 * every page map entry of the buffer is PM_FW | header.  Debugging's big
 * buffers (section 6 there) have one too, with FW_UNGUARDED.
 */
#define FW_MAGIC        0x6669726577616c6cULL   /* "firewall" */
#define FW_ALLOC        1
#define FW_FREE         2
#define FW_UNGUARDED    0x1     /* fw_flags: a big buffer, section 6 */
#define FW_SLACK_MAX    4096    /* checked bytes after a big buffer */
#define FW_SAMPLED      0x2     /* fw_flags: a sampled slot, section 9 */
#define FW_PROTECTED    0x4     /* fw_flags: a freed big buffer's pages
                                   after its first are inaccessible */
#define FW_LOST         0x8     /* fw_flags: its pages could not be guarded
                                   again: never reused */
#define FW_BELOW        0x10    /* fw_flags: the guard page before it
                                   (UMEM_OPTIONS=fwbelow, section 2) */
#define FW_MOVED        0x20    /* fw_flags: made by a realloc that
                                   moved a buffer (section 2) */

typedef struct st_fwhdr {
	uint64_t fw_magic;
	void *fw_buf;                   /* the buffer */
	uint64_t fw_size;               /* its requested size */
	uintptr_t fw_base;              /* first data page */
	uint64_t fw_npages;             /* data pages (guard not counted) */
	uint32_t fw_kind;               /* st_kind_t of the allocation */
	uint32_t fw_state;              /* FW_ALLOC or FW_FREE */
	kmem_cache_t *fw_cache;         /* the cache it would have come from */
	struct st_fwhdr *fw_qnext;      /* quarantine: next newer */
	struct st_fwhdr *fw_lnext;      /* live list */
	struct st_fwhdr *fw_lprev;
	uint32_t fw_flags;              /* FW_UNGUARDED */
	uint32_t fw_room;               /* guarded: reserved pages after the
					   guard, to grow into (section 2) */
	uint64_t fw_verify;             /* bytes patterned when freed */
	kmem_bufctl_audit_t *fw_audit[2]; /* last allocation, last free */
} st_fwhdr_t;

/*
 * What the debugger needs of the firewall beyond its arena (firewall.c,
 * section 9): the sampled slots' headers, an array (st_root.sr_firewall,
 * NULL until the pool is made).
 */
typedef struct st_firewall {
	uint64_t sf_sample_hdrs;        /* the first slot's header */
	uint64_t sf_sample_hsize;       /* ... and the next this far on */
	uint64_t sf_sample_nslots;
	uint64_t sf_sample_base;        /* the slots' reservation, guard */
	uint64_t sf_sample_len;         /* pages included */
} st_firewall_t;

/*
 * The stack depot (depot.c): each distinct audit stack once, found by id
 * (st_root.sr_depot).  An id is the byte offset of an entry from sd_base
 * over 8; the entry is { uint32_t next, hash, depth, pad; uint64_t
 * pcs[depth]; }, and entries lie in [sd_nbuckets * 4, sd_used).
 */
typedef struct st_depot {
	uint64_t sd_base;               /* the reservation; 0 until a stack */
	uint64_t sd_size;               /* its bytes */
	uint64_t sd_used;               /* bytes handed out, from sd_base */
	uint32_t sd_nbuckets;           /* chain heads at sd_base */
	uint32_t sd_full;               /* stacks not kept: it was full */
} st_depot_t;
#define ST_DEPOT_VERSION        (0 << 16 | 2)   /* sr_version with depot */
#define ST_ASTACK_VERSION       (0 << 16 | 3)   /* ... and bc_astackid */
#define ST_TRAIL_VERSION        (0 << 16 | 4)   /* ... and trailing redzones */

/* ------------------------------------------------------------------------
 * The root: one structure from which the debugger finds everything.
 */
#define ST_ROOT_MAGIC           "slabtrace-root:1"

typedef struct st_root {
	char sr_magic[16];              /* ST_ROOT_MAGIC */
	uint32_t sr_version;            /* layout version of this header */
	uint32_t sr_pagesize;
	uint32_t sr_kmem_flags;         /* KMF_* in force */
	uint32_t sr_ready;              /* 1 once initialised */
	kmem_cache_t *sr_cache_list;    /* &kmem_null_cache (list head) */
	vmem_t *sr_vmem_list;           /* all arenas */
	uintptr_t **sr_pagemap;         /* pagemap L1 */
	kmem_thread_t *sr_thread_list;  /* live threads' caches */
	kmem_cache_t **sr_alloc_caches; /* kmem_alloc_N caches, by index */
	uint32_t sr_nalloc_caches;
	uint32_t sr_stack_depth;        /* frames in an audit record */
	struct kmem_log *sr_transaction_log;
	struct kmem_log *sr_contents_log;
	struct kmem_log *sr_failure_log;
	struct kmem_log *sr_slab_log;
	struct st_msgbuf *sr_msgbuf;    /* every report, as text */
	struct st_options *sr_options;  /* what the environment asked */
	struct st_firewall *sr_firewall; /* sampling's slots (firewall.c) */
	uint64_t sr_start_mono;         /* CLOCK_MONOTONIC at start-up */
	uint64_t sr_start_real;         /* CLOCK_REALTIME at start-up */
	uint64_t *sr_leak_dead;         /* exited threads' stacks: pairs of
	                                   sp, thread pointer (leakcheck.c) */
	uint32_t sr_leak_ndead;         /* ... pairs in it */
	uint32_t sr_leak_snapver;       /* ST_SNAP_VERSION when sr_leak_snap
	                                   is there (0: an older library) */
	struct st_leak_snap *sr_leak_snap; /* live ::findleaks's snapshots */
	struct st_depot *sr_depot;      /* audit stacks (sr_version >=
	                                   ST_DEPOT_VERSION; else inline) */
} st_root_t;

/*
 * A snapshot of the heap for ::findleaks on a live process (leakcheck.c,
 * section 7).  With leaksignal=SIG, the debugger sends SIG by sigqueue(3)
 * with the value ST_SNAP_REQUEST; the library's checker thread stops the
 * world, copies every thread's registers into ss_threads (memory the child
 * inherits), forks, lets the world go at once, and answers here: ss_seq
 * moves on, with ss_for the requester's pid and ss_pid the child, whose
 * memory is the heap at the fork.  The debugger scans the child and kills
 * it; the library reaps it (it sends no SIGCHLD: the program's wait(2)
 * never sees it).
 */
#define ST_SNAP_VERSION         1
#define ST_SNAP_REQUEST         0x736e6170      /* the request's si_value */
#define ST_SNAP_NREGS           34              /* pr_reg words, at most */
#define ST_SNAP_FPREGS          512             /* fxsave's bytes */

/* ss_error: why a request got no child. */
#define ST_SNAP_EOK             0
#define ST_SNAP_EBUSY           1       /* the world did not stop */
#define ST_SNAP_ENOMEM          2       /* no memory for the registers */
#define ST_SNAP_EFORK           3       /* fork failed */

typedef struct st_snap_thread {
	uint32_t sx_tid;
	uint32_t sx_nregs;              /* 0: it did not stop: none */
	uint64_t sx_regs[ST_SNAP_NREGS]; /* as NT_PRSTATUS's pr_reg */
	uint8_t sx_fpregs[ST_SNAP_FPREGS]; /* vector registers, or zeros */
} st_snap_thread_t;

typedef struct st_leak_snap {
	uint32_t ss_signal;             /* leaksignal=: the request's signal */
	int32_t ss_pid;                 /* the live child, or 0 */
	int32_t ss_for;                 /* ... the requester's pid */
	uint32_t ss_error;              /* ST_SNAP_E*: the last answer */
	uint64_t ss_seq;                /* answers given (moves on last) */
	uint64_t ss_threads;            /* st_snap_thread_t[]: in the child */
	uint32_t ss_nthreads;           /* ... the checker thread first */
	uint32_t ss_tries;              /* stops made (a lock was busy) */
	uint64_t ss_pause_ns;           /* the program's pause: stop + fork */
	uint64_t ss_fork_ns;            /* ... of which the fork */
	uint64_t ss_park_ns;            /* ... of which the last stop */
} st_leak_snap_t;

/* ------------------------------------------------------------------------
 * The logs (log.c): circular rings of fixed-size records, in memory, found
 * by the debugger through st_root.  The ring is cut into lh_nchunks chunks
 * of lh_chunk records; a thread claims a whole chunk (chunk lh_next++
 * modulo lh_nchunks) and fills it with its own records, so records are in
 * time order within a thread's chunk only: readers order them by their
 * timestamps (bc_timestamp), as mdb's ::kmalog does.  A record never
 * written is all zero.
 */
#define KMEM_LOG_NAMELEN        16
#define KMEM_LOG_MAGIC          0x6b6d656d6c6f6721ULL

typedef struct kmem_log {
	uint64_t lh_magic;              /* KMEM_LOG_MAGIC */
	char lh_name[KMEM_LOG_NAMELEN]; /* "transaction", "contents", ... */
	uint8_t *lh_base;               /* the ring */
	uint64_t lh_size;               /* bytes in the ring */
	uint64_t lh_recsize;            /* bytes per record */
	uint64_t lh_nrecs;              /* records in the ring */
	uint64_t lh_chunk;              /* records per chunk */
	uint64_t lh_nchunks;            /* chunks in the ring */
	uint64_t lh_next;               /* chunks ever claimed */
} kmem_log_t;

/* The message buffer: every report, as text, for ::msgbuf. */
typedef struct st_msgbuf {
	uint64_t mb_magic;              /* ST_MSGBUF_MAGIC */
	char *mb_base;
	uint64_t mb_size;               /* bytes in the ring */
	uint64_t mb_next;               /* bytes ever written */
} st_msgbuf_t;

#define ST_MSGBUF_MAGIC         0x73746d7367627566ULL
#define ST_MSGBUF_SIZE          (64 * 1024)

/* What a dump was written for (st_dump_note_t.sn_content). */
#define ST_DUMP_ALL             0       /* all readable, writable memory */
#define ST_DUMP_HEAP            1       /* the allocator's memory only */

/*
 * The note a dump carries (ELF note "SLABTRACE", type NT_SLABTRACE): what
 * ::status prints, and where the allocator's state is (sn_root).
 */
#define ST_NOTE_NAME            "SLABTRACE"
#define NT_SLABTRACE            0x53540001
#define ST_DUMP_MAGIC           "slabtrace-dump:1"
#define ST_DUMP_STRLEN          256
/*
 * The note's revision, in sn_version (0 in the first dumps, revision 1).
 * A reader refuses a dump newer than it knows; fields are only ever added
 * at the end, so it reads an older one up to its n_descsz.
 *   2: sn_nthreads, sn_nunstopped (every stopped thread's registers)
 */
#define ST_DUMP_VERSION         2

typedef struct st_dump_note {
	char sn_magic[16];              /* ST_DUMP_MAGIC */
	uint64_t sn_time;               /* CLOCK_REALTIME ns of the panic */
	uint64_t sn_mono;               /* CLOCK_MONOTONIC ns of the panic */
	uint64_t sn_root;               /* address of st_root */
	uint64_t sn_fault_addr;         /* signal's si_addr, or 0 */
	uint32_t sn_pid;
	uint32_t sn_tid;                /* the panicking thread */
	int32_t sn_signo;               /* fatal signal, 0 for a report */
	uint32_t sn_content;            /* ST_DUMP_* */
	uint32_t sn_kmem_flags;
	uint32_t sn_version;            /* ST_DUMP_VERSION (was padding: 0) */
	char sn_panic[ST_DUMP_STRLEN];  /* the panic message */
	char sn_program[ST_DUMP_STRLEN]; /* /proc/self/exe */
	char sn_cmdline[ST_DUMP_STRLEN]; /* argv, spaces between */
	char sn_host[ST_DUMP_STRLEN / 4];
	char sn_release[ST_DUMP_STRLEN / 4];
	char sn_machine[ST_DUMP_STRLEN / 4];
	uint32_t sn_nthreads;           /* NT_PRSTATUS notes, sn_tid's first */
	uint32_t sn_nunstopped;         /* threads not stopped: no registers */
} st_dump_note_t;

/* ------------------------------------------------------------------------
 * Options (options.c): what KMEM_FLAGS, UMEM_DEBUG, UMEM_LOGGING and
 * UMEM_OPTIONS asked for, read once at start-up.
 */
/* so_log_fixed: the logs whose size UMEM_LOGGING gave (log.c, 5.) */
#define ST_LOG_FIXED_CONTENTS           0x1
#define ST_LOG_FIXED_TRANSACTION        0x2

typedef struct st_options {
	uint32_t so_kmem_flags;         /* KMF_* for every cache */
	uint32_t so_stack_depth;        /* audit=N: frames per stack */
	uint64_t so_contents;           /* contents=N: bytes logged per free */
	uint64_t so_maxverify;          /* maxverify=N: bytes checked */
	uint64_t so_firewall;           /* firewall=N: sizes from N up */
	uint64_t so_log_transaction;    /* log sizes in bytes (0: none) */
	uint64_t so_log_contents;
	uint64_t so_log_fail;
	uint64_t so_log_slab;
	uint32_t so_noabort;            /* report and go on */
	uint32_t so_verbose;            /* extra messages */
	uint32_t so_catch_signals;      /* dump on fatal signals */
	uint32_t so_dump;               /* write dumps (dump=0 disables) */
	uint32_t so_dump_content;       /* ST_DUMP_* */
	uint32_t so_stats;              /* stats: ::kmastat table at exit */
	uint32_t so_verify_exit;        /* verify=exit: kmem_verify at exit */
	uint32_t so_fw_mprotect;        /* mprotect: no guard regions */
	uint64_t so_fw_align;           /* fwalign=N: malloc's firewall buffers */
	uint32_t so_fw_below;           /* fwbelow: the guard page before */
	uint32_t so_log_fixed;          /* ST_LOG_FIXED_*: sizes given */
	uint64_t so_sweep_ms;           /* sweep=N: verify freed buffers
	                                   every N ms (0: never) */
	char so_dumpdir[ST_DUMP_STRLEN]; /* where vmcore.N go ("" = cwd) */
	char so_logfile[ST_DUMP_STRLEN]; /* logfile=PATH: reports to PATH.PID */
	char so_jsonfile[ST_DUMP_STRLEN]; /* jsonfile=PATH: JSON to PATH.PID */
	uint32_t so_json;               /* json: each report as JSON too */
	uint32_t so_symbolize;          /* file:line via `slabtrace symbolize` */
	uint32_t so_leakcheck;          /* leakcheck: 1, =report: 2 (leakcheck.c) */
	uint32_t so_leaksignal;         /* leaksignal=SIG: a check on demand */
	uint64_t so_leak_exitcode;      /* exitcode=N: status when leaks */
	char so_leaksuppress[ST_DUMP_STRLEN]; /* leaksuppress=FILE */
	uint64_t so_sample;             /* sample=N: one malloc in N guarded
	                                   (0: off; firewall.c, section 9) */
} st_options_t;

/* ------------------------------------------------------------------------
 * Cross-file functions, grouped by the file that defines them.
 */

/* log.c */
extern kmem_log_t kmem_transaction_log, kmem_contents_log,
    kmem_failure_log, kmem_slab_log;
extern st_msgbuf_t st_msgbuf;
void kmem_log_init(void);
void *kmem_log_enter(kmem_log_t *lp, const void *data, size_t size);
void st_msg_write(const char *buf, size_t len);  /* stderr + msgbuf */
void st_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* debug.c: the kmem_flags checks. */
typedef struct kmem_errinfo {
	kmem_error_t ei_error;
	kmem_cache_t *ei_cache;         /* the cache the caller named */
	kmem_cache_t *ei_realcache;     /* the cache the buffer is from */
	void *ei_buf;                   /* the address the caller passed */
	void *ei_base;                  /* the buffer it lies in, if any */
	const char *ei_routine;         /* free, kmem_free, ... */
	uint64_t ei_off;                /* KMERR_MODIFIED: where, what */
	uint64_t ei_old;
	uint64_t ei_new;
	uint64_t ei_size;               /* KMERR_BADSIZE: free size */
	uint64_t ei_alloc_size;         /* ... and alloc size */
	uint32_t ei_kind;               /* KMERR_BADROUTINE: freeing kind */
	uint32_t ei_alloc_kind;         /* ... and allocating kind */
	void *ei_bufctl;                /* shown as bufctl= when no buftag */
	uint32_t ei_oneline;            /* the always-on checks: one line */
	uint32_t ei_nopanic;            /* report only (verify.c gathers) */
	const char *ei_found;           /* "by the sweep", ...: how and when */
	/* the buffer's last transactions, newest first, when not in a tag */
	const kmem_bufctl_audit_t *ei_audit[2];
} kmem_errinfo_t;

extern uint32_t kmem_flags;             /* KMF_* in force, process-wide */
extern int kmem_debugging;              /* malloc & co. take debug paths */
extern int kmem_lite_fast;              /* lite alone: malloc's fused paths */
extern volatile int st_panicking;       /* a panic is being handled */
extern kmem_cache_t *kmem_bufctl_audit_cache;
#define KMF_CACHE_DEBUG (KMF_AUDIT | KMF_DEADBEEF | KMF_REDZONE | \
    KMF_CONTENTS | KMF_LITE | KMF_NOMAGAZINE)
void kmem_debug_init(void);
uint32_t kmem_cache_debug_flags(uint32_t cflags);
void kmem_cache_debug_layout(kmem_cache_t *cp);
void kmem_debug_slab_init(kmem_cache_t *cp, kmem_slab_t *sp);
/* 0: hand buf out; -1: its tag was corrupt (buf is lost); -2: ctor failed */
int kmem_cache_alloc_debug(kmem_cache_t *cp, void *buf, int kmflag);
int kmem_cache_free_check(kmem_cache_t *cp, void *buf);
int kmem_cache_free_debug(kmem_cache_t *cp, void *buf);
void kmem_cache_free_known(kmem_cache_t *cp, void *buf);
void kmem_debug_set_size(kmem_cache_t *cp, void *buf, size_t size,
    st_kind_t kind);
const uint8_t *kmem_redzone_find(const uint8_t *p, const uint8_t *end);
void kmem_debug_unclaim(kmem_cache_t *cp, void *buf);
int kmem_debug_check_free(kmem_cache_t *cp, void *buf, size_t size,
    st_kind_t kind, const char *routine);
size_t kmem_debug_size(kmem_cache_t *cp, void *buf);
void *kmem_lite_malloc(size_t size, st_kind_t kind, uintptr_t caller);
int kmem_lite_free(kmem_slab_t *sp, void *buf, size_t size,
    st_kind_t kind, uintptr_t caller);
void kmem_debug_verify_free(kmem_cache_t *cp, void *buf);
void kmem_log_failure(kmem_cache_t *cp, size_t size);
void kmem_log_slab(kmem_cache_t *cp, kmem_slab_t *sp);
void kmem_error(const kmem_errinfo_t *ei);  /* returns only if noabort */
void kmem_suspect_freed(const void *bad, const void *uc);
int kmem_pc_is_ours(uintptr_t pc);      /* in our own text */
void kmem_report_fork_child(void);
const char *kmem_cache_name_safe(const kmem_cache_t *cp);
const char *kmem_pattern_story(uint64_t v);     /* NULL: no pattern */
void st_panic_dump(const char *msg, const void *uc, int signo,
    uintptr_t addr);
void kmem_print_transaction(const char *what, const kmem_bufctl_audit_t *bcap,
    const void *buf);
const char *st_kind_alloc_name(uint32_t kind);
const char *st_kind_free_name(uint32_t kind);

/* debug.c, for verify.c: one chunk checked whatever its state. */
int kmem_debug_verify_buf(kmem_cache_t *cp, void *buf, int free_only,
    kmem_errinfo_t *ei);
void kmem_debug_repattern(kmem_cache_t *cp, void *buf);
void kmem_debug_verify_slab(kmem_cache_t *cp, kmem_slab_t *sp);
extern void *volatile kmem_panic_buf;   /* the buffer a panic is about */

/*
 * verify.c: every freed buffer verified within a bounded time, the whole
 * heap at exit.  Debugged operations run between kmem_op_enter() and
 * kmem_op_exit(), so that a verifier can stop the world between them.
 */
extern volatile uint32_t kmem_stopped;  /* a verifier is stopping it */
extern int kmem_op_fence;               /* no membarrier: fence each op */
kmem_thread_t *kmem_op_enter_slow(void);
void kmem_op_exit_dead(void);
void kmem_op_wait(kmem_thread_t *kt);
void kmem_sweep_tick_slow(kmem_thread_t *kt, uintptr_t caller);
extern int kmem_sweeper;                /* 1: the sweeper thread runs */
void kmem_sweeper_start(void);
extern int kmem_sweeper_wanted;
/* After a debugged allocation: start the sweeper if a free asked for it */
#define KMEM_SWEEPER_POKE() do {                                        \
	if (ST_UNLIKELY(__atomic_load_n(&kmem_sweeper_wanted,            \
	    __ATOMIC_RELAXED)))                                         \
		kmem_sweeper_start();                                   \
} while (0)
void kmem_verify_init(void);
void kmem_verify_early_init(void);
void kmem_verify_fork_child(void);
void kmem_verify_thread_exit(kmem_thread_t *kt);
/* What kmem_verify_heap() was asked for. */
#define KV_CALL         0       /* kmem_verify() / umem_verify() */
#define KV_EXIT         1       /* at exit */
#define KV_DUMP         2       /* before a dump: careful, stays stopped */
#define KV_EXEC         3       /* before exec */
#define KV_SIGNAL       4       /* SIGTERM and the like: careful */
uint32_t kmem_verify_heap(int how);
/* Stop every debugged operation but ours (section 2 there); 1 if done. */
int kmem_world_stop(uint64_t timeout_ns, int careful);
void kmem_verify_fork_prepare(void);    /* fork stops the world */
void kmem_verify_fork_parent(void);
void kmem_world_resume(void);
/* Visitors: each buffer of a walk (magazine.c, slab.c, firewall.c). */
typedef void kmem_buf_visit_t(kmem_cache_t *cp, void *buf, void *arg);

/* options.c */
extern st_options_t st_opts;
/* Read the environment (once); print the error and exit(1) on a bad value. */
void st_options_init(void);
/* Parse from getenv_fn into *so; never prints or exits (the CLI's too). */
typedef const char *st_getenv_t(const char *name);
#define ST_OPT_OK       0       /* nothing to say */
#define ST_OPT_NOTICE   1       /* msg: a line to show; run the program */
#define ST_OPT_ERROR    (-1)    /* msg: the error; do not run it */
#define ST_OPT_MSG_MAX  1024    /* msg's size: one line always fits */
#define ST_NOTED_VAR    "SLABTRACE_NOTED"       /* notices were shown */
int st_options_parse(st_options_t *so, st_getenv_t *getenv_fn, char *msg,
    size_t msglen);

/* unwind.c: stacks, from here or from a signal's ucontext_t. */
uint32_t st_stack_capture(uintptr_t *pcs, uint32_t max, uint32_t skip);
/* The same, kept in the depot (below): its id (0: none), frames in *np. */
uint32_t st_stack_capture_id(uint32_t max, uint32_t skip, uint32_t *np);
/* Replaying the last walks (unwind.c, section 3): on by default.  For
 * tests: set, the old setting returned. */
int st_stack_replay(int on);
/* The stack depot (depot.c): an id for pcs (0: not kept); its frames. */
extern st_depot_t st_depot;
uint32_t st_depot_put(const uintptr_t *pcs, uint32_t depth);
const uintptr_t *st_depot_get(uint32_t id, uint32_t *depthp);
/* An audit record's stack (at most st_opts.so_stack_depth frames). */
static inline const uintptr_t *
kmem_bc_stack(const kmem_bufctl_audit_t *bcp, uint32_t *np)
{
	const uintptr_t *pcs = st_depot_get(bcp->bc_stackid, np);

	if (*np > bcp->bc_depth)
		*np = bcp->bc_depth;
	return (pcs);
}
/*
 * Record the stack of the caller's caller (skip 1, as st_stack_capture)
 * in bcp, by its depot id.  Inlined, so that the frames skipped are the
 * same as a direct call's.
 */
static inline __attribute__((always_inline)) void
kmem_bc_capture(kmem_bufctl_audit_t *bcp)
{
	uint32_t n;

	bcp->bc_stackid = st_stack_capture_id(st_opts.so_stack_depth, 1, &n);
	bcp->bc_depth = bcp->bc_stackid != 0 ? n : 0;
}
uint32_t st_stack_capture_uc(const void *uc, uintptr_t *pcs, uint32_t max);
int st_stack_range(uintptr_t sp, uintptr_t *lop, uintptr_t *hip);
int st_uc_unwind_to(void *uc, uintptr_t target_pc);     /* for dumps */
#define ST_UC_NREGS     18
uint32_t st_uc_regs(const void *uc, uintptr_t *regs);  /* general regs */

/* symtab.c: "function+0xoff" for a code address, from the ELF symbols. */
size_t st_symbolize(uintptr_t pc, char *buf, size_t len);
/* 1 if found: name and module point into mapped files (valid for good). */
int st_symbol_lookup(uintptr_t pc, const char **namep, uintptr_t *offp,
    const char **modulep);
int st_symbol_module(uintptr_t pc, const char **pathp, uintptr_t *linkp);
int st_symbol_addr(const char *name, uintptr_t *addrp);

/* report.c: where reports go, how their stacks read, the summary. */
#define ST_STACK_EXACT  0x1     /* pcs[0] is a faulting pc */
#define ST_STACK_ONELINE 0x2    /* a frame without its inlined lines */
#define ST_REPORT_SIGNAL        KMERR_NERRORS   /* kinds past KMERR_* */
#define ST_REPORT_FIREWALL      (KMERR_NERRORS + 1)
#define ST_REPORT_NKINDS        (KMERR_NERRORS + 2)
void st_report_panic_begin(const char *msg, int signo);
uint64_t st_report_now(void);     /* the open report's start, for T- */
void st_report_out(const char *buf, size_t len);
void st_report_begin(const char *kind, int error, const kmem_errinfo_t *ei);
void st_report_stack(const char *title, uint64_t thread, uint64_t when,
    const uintptr_t *pcs, uint32_t n, uint32_t flags, const char *indent);
uint32_t st_report_first_frame(const uintptr_t *pcs, uint32_t n);
void st_report_where(const uintptr_t *pcs, uint32_t n, uint32_t flags);
size_t st_report_symbolize(uintptr_t pc, char *buf, size_t len);
uint32_t st_report_entry_frame(const uintptr_t *pcs, uint32_t n);
void st_report_dump(const char *path);
void st_report_legend(void);
void st_report_end(const char *panic);
int st_report_summary(void);
void st_report_fork_child(void);

/* dump.c: write vmcore.N; returns N or -1 (reported on one line). */
int st_dump_write(const char *panicmsg, const void *uc, int signo,
    uintptr_t fault_addr);
/* A fatal signal while another thread panics: wait out its dump, in it. */
void st_dump_hold(const void *uc, int signo);
/* A ucontext_t's registers as an NT_PRSTATUS's pr_reg (ELF_NGREG words). */
void st_context_gregs(const void *uc, uint64_t *out, uint64_t fsbase,
    uint64_t gsbase);
/* The other threads stopped for a leak check, as for a dump (section 6). */
int st_world_park(void);
const void *st_world_thread(uint32_t i, uint32_t *tidp, int *stoppedp);
uint32_t st_world_unstopped(void);
void st_world_unpark(void);

/* leakcheck.c: UMEM_OPTIONS=leakcheck, kmem_leakcheck(). */
void st_leak_init(void);
void st_leak_fork_child(void);       /* leaksignal='s thread again */
int64_t st_leak_at_exit(void);         /* leaks reported, -1: not run */
void st_leak_exit(int64_t leaks);       /* exit with exitcode= if leaks */
void st_leak_thread_exit(void);

/* vmem.c */
void vmem_init(void);
void *vmem_extend_try(vmem_t *vmp, void *addr, size_t oldsize,
    size_t newsize);
size_t vmem_reap_spans(vmem_t *vmp);
size_t vmem_decommit_free(vmem_t *vmp, size_t minsize, size_t maxbytes);
void *vmem_alloc_dirty(vmem_t *vmp, size_t size, int vmflag,
    uintptr_t dirty[2]);

/*
 * Clear an address range kept in a frame (vmem_alloc_dirty's): no copy
 * of a buffer's address may stay in a dead stack slot, since the leak
 * check at exit reads stacks conservatively and a live frame's unwritten
 * slot would keep it; a buffer freed and handed out again at that
 * address, then leaked, went unreported (corpus leak_realloc_fail:
 * libc's early calloc and the program's malloc shared a chunk).
 */
static inline void
st_wipe(uintptr_t range[2])
{
	*(volatile uintptr_t *)&range[0] = 0;
	*(volatile uintptr_t *)&range[1] = 0;
}
int vmem_verify(vmem_t *vmp);   /* 0 if consistent; prints what is not */
int vmem_contains(vmem_t *vmp, void *addr, size_t size);
void vmem_fork_prepare(void);
void vmem_fork_parent(void);
void vmem_fork_child(void);
void vmem_qcache_create(vmem_t *vmp);
int vmem_walk_alloc(vmem_t *vmp, void (*fn)(uintptr_t, uintptr_t, void *),
    void *arg);
extern vmem_t *vmem_list;

/* pagemap.c */
int pagemap_set(uintptr_t addr, size_t size, uintptr_t value);
void pagemap_clear(uintptr_t addr, size_t size);
extern uintptr_t *pagemap_l1[1UL << PM_L1_BITS];
static inline uintptr_t
pagemap_lookup(uintptr_t addr)
{
	uintptr_t pn = addr >> ST_PAGESHIFT;
	uintptr_t *l2;

	/* One test for both: above PM_BITS, or no second level. */
	if (ST_UNLIKELY((pn >> PM_L2_BITS) >= (1UL << PM_L1_BITS)))
		return (0);
	l2 = pagemap_l1[pn >> PM_L2_BITS];
	if (ST_UNLIKELY(l2 == NULL))
		return (0);
	return (l2[pn & ((1UL << PM_L2_BITS) - 1)]);
}

/* slab.c */
void kmem_cache_init(void);
kmem_cache_t *kmem_cache_create_internal(const char *name, size_t bufsize,
    size_t align, kmem_constructor_t *ctor, kmem_destructor_t *dtor,
    kmem_reclaim_t *reclaim, void *private, vmem_t *arena, int cflags,
    int ccidx);
void *kmem_slab_alloc(kmem_cache_t *cp, int kmflag);
void kmem_slab_free(kmem_cache_t *cp, void *buf);
int kmem_buf_constructed_alloc(kmem_cache_t *cp, void *buf, int kmflag);
void kmem_buf_destruct_free(kmem_cache_t *cp, void *buf);
int kmem_cache_verify(kmem_cache_t *cp);  /* 0 if consistent */
int kmem_slab_buf_is_free(kmem_cache_t *cp, void *buf);
int kmem_slab_visit(kmem_cache_t *cp, int dirty_only, kmem_buf_visit_t *fn,
    void *arg, int careful);
void kmem_cache_reap_slabs(kmem_cache_t *cp);
void kmem_fork_prepare_caches(void);
void kmem_fork_parent_caches(void);
void kmem_fork_child_caches(void);
extern kmem_cache_t kmem_null_cache;
extern st_lock_t kmem_cache_list_lock;
extern vmem_t *kmem_default_arena;
extern vmem_t *kmem_internal_arena;
extern vmem_t *kmem_oversize_arena;
extern vmem_t *heap_arena;

/* magazine.c */
void kmem_magazine_init(void);
void kmem_cache_magazine_enable(kmem_cache_t *cp);
void *kmem_cache_alloc_slow(kmem_cache_t *cp, int kmflag);
void kmem_cache_free_slow(kmem_cache_t *cp, void *buf);
void kmem_cache_magazine_purge(kmem_cache_t *cp);
void kmem_depot_reap(kmem_cache_t *cp, int all);
void kmem_thread_flush_self(void);
kmem_thread_t *kmem_thread_self_slow(void);
void kmem_thread_fork_child(void);
void kmem_thread_init(void);
void kmem_cache_cc_totals(kmem_cache_t *cp, uint64_t *allocp,
    uint64_t *freep);
void kmem_thread_fork_prepare(void);
int kmem_buf_is_free(kmem_cache_t *cp, void *buf);
/* verify.c's walks: 1 if done, 0 if a lock was busy (careful) */
uint64_t kmem_thread_busy_any(uint64_t *freesp, int careful);
int kmem_thread_visit_free(kmem_buf_visit_t *fn, void *arg, int careful);
void kmem_thread_visit_self(kmem_thread_t *kt, kmem_buf_visit_t *fn,
    void *arg);
int kmem_depot_visit_free(kmem_cache_t *cp, kmem_buf_visit_t *fn, void *arg,
    int careful);
int kmem_rounds_visit(kmem_buf_visit_t *fn, void *arg); /* leakcheck.c */
void kmem_thread_fork_parent(void);
extern __thread kmem_thread_t *kmem_thread_self
    __attribute__((tls_model("initial-exec")));
/* kmem_thread_self for malloc's fast paths; kmem_thread_dead if debugging */
extern __thread kmem_thread_t *kmem_thread_fast
    __attribute__((tls_model("initial-exec")));
/* The program's call into malloc or free, set on their slow paths (lite) */
extern __thread uintptr_t kmem_caller
    __attribute__((tls_model("initial-exec")));
extern kmem_thread_t kmem_thread_dead;
extern uint32_t kmem_threads_made;      /* > 1: the process has threads */
extern kmem_thread_t kmem_thread_list;      /* list head (a sentinel) */

/* kmem.c */
extern volatile int kmem_ready;
extern st_root_t st_root;
extern kmem_cache_t *kmem_alloc_caches[KMEM_NCACHE_ALLOC];
extern uint8_t kmem_size_small[];       /* (size + 7) >> 3 -> index */
extern uint8_t kmem_size_big[];         /* (size - 1) >> 10 -> index */
extern uint8_t malloc_size_small[];     /* the same, 16-byte aligned */
extern uint16_t malloc_cc_off[];        /* its kt_cc[] slot's offset */
extern uint64_t kmem_oversize_decommit;
void kmem_oversize_release(void *buf, size_t size);
extern uint64_t kmem_free_key;          /* malloc.c, section 4 */
void *kmem_alloc_kind(size_t size, int kmflag, st_kind_t kind);
void kmem_free_kind(void *buf, size_t size, st_kind_t kind,
    const char *routine);
extern vmem_t *kmem_cache_arena;
void kmem_init_slow(void);
void kmem_periodic(uint64_t now);
size_t kmem_reap_now(void);
kmem_cache_t *kmem_alloc_cache_for(size_t size, size_t align);
void *kmem_oversize_alloc(size_t size, size_t align, int kmflag);
void *kmem_oversize_alloc_dirty(size_t size, size_t align, int kmflag,
    uintptr_t dirty[2]);
void kmem_oversize_free(void *buf, uintptr_t pm);
size_t kmem_oversize_size(uintptr_t pm);
void *kmem_nomem(size_t size, int kmflag);

/*
 * Is buf the start of a chunk of slab sp?  A cheap check made on every
 * free, debugging or not: ((off * ceil(2^64 / d)) mod 2^64) < ceil(2^64 / d)
 * exactly when d divides off, for any off below 2^32 (Lemire et al.).
 */
static inline int
kmem_buf_is_base(const kmem_cache_t *cp, const kmem_slab_t *sp,
    uintptr_t buf)
{
	uintptr_t first = (uintptr_t)sp->slab_base + sp->slab_color;
	uint64_t off = buf - first;     /* huge if buf < first */

	return (off < (uint64_t)sp->slab_chunks * cp->cache_chunksize &&
	    off * cp->cache_chunkinv < cp->cache_chunkinv);
}

/*
 * Is buf the start of one of sp's chunks that were ever handed out (the
 * first SLAB_HW(sp))?  As kmem_buf_is_base, for one shift more.
 */
static inline int
kmem_buf_is_handed(const kmem_cache_t *cp, const kmem_slab_t *sp,
    uintptr_t buf)
{
	uintptr_t first = (uintptr_t)sp->slab_base + sp->slab_color;
	uint64_t off = buf - first;     /* huge if buf < first */

	return (off < (uint64_t)SLAB_HW(sp) * cp->cache_chunksize &&
	    off * cp->cache_chunkinv < cp->cache_chunkinv);
}

/* The start of the chunk of slab sp that buf lies in; NULL if none. */
static inline void *
kmem_buf_base(const kmem_cache_t *cp, const kmem_slab_t *sp, const void *buf)
{
	uintptr_t first = (uintptr_t)sp->slab_base + sp->slab_color;
	uint64_t off = (uintptr_t)buf - first;

	if ((uintptr_t)buf < first || off >= (uint64_t)sp->slab_chunks *
	    cp->cache_chunksize)
		return (NULL);
	return ((void *)(first + off / cp->cache_chunksize *
	    cp->cache_chunksize));
}

/*
 * A debugged chunk's layout and checks (debug.c, section 2), shared with
 * the debugger's ::kmem_verify, which runs them on a copy of a slab.
 */
#define KMEM_LEAD_CHECK 64      /* bytes of a leading redzone checked */
#define KMEM_GAP_MIN    16      /* a debugged chunk's least gap after its
                                   tag (debug.c, section 2) */

/* The end of buf's tag in its chunk. */
static inline uint64_t
kmem_tag_end(const kmem_cache_t *cp)
{
	return (cp->cache_buftag + ((cp->cache_flags & KMF_LITE) ?
	    sizeof (kmem_buftag_lite_t) : sizeof (kmem_buftag_t)));
}

/*
 * The gap: the bytes after a chunk's tag, which the cache's alignment
 * leaves (40 in kmem_alloc_64's 128-byte chunks, 4072 in kmem_alloc_4096's).
 * Its first half is the buffer's trailing redzone, its second half the
 * next buffer's leading one, KMEM_LEAD_CHECK bytes of each at most, so
 * that a write in it is blamed on the nearer buffer: an overrun that
 * jumps the tag on the buffer before, an underflow on the one after.
 * The halves are whole words (checked a word at a time), the odd word to
 * the next buffer: an 8-byte gap (kmem_alloc_16) is all its leading
 * redzone, as a one-byte underflow is the likelier bug there.
 * A free checks KMEM_LEAD_CHECK bytes of each half, next to the tag and
 * next to the buffer; the exit verify and the debugger check them whole.
 * Heaps before ST_TRAIL_VERSION had no trailing redzones (`trails` 0):
 * the gap's last KMEM_LEAD_CHECK bytes were the next buffer's, the rest
 * unchecked (and not filled).
 */
static inline uint64_t
kmem_gap(const kmem_cache_t *cp)
{
	return (cp->cache_chunksize - kmem_tag_end(cp));
}

/* The gap's second half, rounded up to words (a gap is whole words). */
static inline uint64_t
kmem_gap_lead(const kmem_cache_t *cp)
{
	return (ST_P2ROUNDUP(kmem_gap(cp) / 2, 8));
}

/*
 * The bytes after a chunk's tag that are its trailing redzone, as checked:
 * KMEM_LEAD_CHECK at most where a free checks them, the whole half where
 * the whole heap is verified (`whole`: the exit verify, the debugger).
 */
static inline uint64_t
kmem_trail_len(const kmem_cache_t *cp, int trails, int whole)
{
	uint64_t n = kmem_gap(cp) - kmem_gap_lead(cp);

	return (!trails ? 0 : whole ? n : ST_MIN(n, KMEM_LEAD_CHECK));
}

/*
 * The bytes before a chunk that are its leading redzone, as checked (the
 * same bounds; a slab's first chunk has KMEM_LEAD_CHECK bytes of colour).
 */
static inline uint64_t
kmem_lead_len(const kmem_cache_t *cp, uint32_t color, int first_chunk,
    int trails, int whole)
{
	if (first_chunk)
		return (ST_MIN(color, KMEM_LEAD_CHECK));
	if (!trails)
		return (ST_MIN(kmem_gap(cp), KMEM_LEAD_CHECK));
	return (whole ? kmem_gap_lead(cp) : ST_MIN(kmem_gap_lead(cp),
	    KMEM_LEAD_CHECK));
}

/* What kmem_chunk_verify found. */
typedef struct kmem_chunk_err {
	uint32_t ce_error;      /* KMERR_*; KMERR_NERRORS if sound */
	uint32_t ce_alloc;      /* the tag says allocated */
	int64_t ce_off;         /* where, from the buffer (< 0: before it) */
	uint64_t ce_old;        /* the pattern or byte that belongs there */
	uint64_t ce_new;        /* what is there */
	uint64_t ce_size;       /* the size recorded at allocation */
} kmem_chunk_err_t;

static inline uint32_t
kmem_chunk_err(kmem_chunk_err_t *ce, uint32_t error, int64_t off,
    uint64_t old, uint64_t new)
{
	ce->ce_error = error;
	ce->ce_off = off;
	ce->ce_old = old;
	ce->ce_new = new;
	return (error);
}

/* An allocated chunk's redzone word and size padding (0xfeedface, 0xbb). */
static inline uint32_t
kmem_chunk_verify_redzone(const kmem_cache_t *cp, const uint8_t *buf,
    kmem_chunk_err_t *ce)
{
	const uint8_t *rz = buf + cp->cache_buftag, *p, *end;
	uint32_t w[2], want[2] = { (uint32_t)KMEM_REDZONE_PATTERN,
	    (uint32_t)KMEM_REDZONE_PATTERN };
	const uint8_t *wb = (const uint8_t *)want;
	int i;

	__builtin_memcpy(w, rz, sizeof (w));
	if (w[1] != want[1] && KMEM_SIZE_VALID(w[1] & KMEM_SIZE_MASK)) {
		want[1] = w[1];
		ce->ce_size = KMEM_SIZE_DECODE(w[1] & KMEM_SIZE_MASK);
	}
	for (i = 0; i < 8; i++) {
		if (rz[i] != wb[i]) {
			if (i >= 4)
				ce->ce_size = UINT64_MAX;       /* lost */
			return (kmem_chunk_err(ce, KMERR_REDZONE,
			    (int64_t)cp->cache_buftag + i, wb[i], rz[i]));
		}
	}
	if (w[1] == (uint32_t)KMEM_REDZONE_PATTERN ||
	    ce->ce_size > cp->cache_buftag)
		return (KMERR_NERRORS);         /* no size recorded */
	end = buf + cp->cache_buftag;
	/* Lite, as the kernel: only the byte after the buffer. */
	if ((cp->cache_flags & KMF_LITE) && ce->ce_size < cp->cache_buftag)
		end = buf + ce->ce_size + 1;
	for (p = buf + ce->ce_size; p < end; p++) {
		if (*p != KMEM_REDZONE_BYTE)
			return (kmem_chunk_err(ce, KMERR_REDZONE, p - buf,
			    KMEM_REDZONE_BYTE, *p));
	}
	return (KMERR_NERRORS);
}

/* The first byte of a chunk's trailing redzone that is not 0xbb, or NULL. */
static inline const uint8_t *
kmem_trail_find(const kmem_cache_t *cp, const uint8_t *buf, uint64_t trail)
{
	const uint8_t *p = buf + kmem_tag_end(cp), *end = p + trail;
	uint64_t w;

	if (trail >= 8) {       /* words, the last one overlapping */
		for (; p + 8 <= end; p += 8) {
			__builtin_memcpy(&w, p, 8);
			if (w != 0xbbbbbbbbbbbbbbbbULL)
				break;
		}
		if (p + 8 > end) {
			__builtin_memcpy(&w, end - 8, 8);
			if (w == 0xbbbbbbbbbbbbbbbbULL)
				return (NULL);
			p = end - 8;
		}
	}
	for (; p < end; p++)
		if (*p != KMEM_REDZONE_BYTE)
			return (p);
	return (NULL);
}

static inline uint32_t kmem_chunk_verify_body(const kmem_cache_t *cp,
    const uint8_t *buf, kmem_chunk_err_t *ce);

/*
 * Check the debugged chunk at buf (in place, or a copy with the `lead`
 * bytes before it, kmem_lead_len, and the whole chunk after): its leading
 * redzone, its tag, a free buffer's 0xdeadbeef pattern, an allocated
 * one's redzone, then its `trail` bytes of trailing redzone
 * (kmem_trail_len).  Not its bufctl pointer, which only the caller can
 * follow.  KMERR_NERRORS if sound; else the error, and where and what in
 * *ce.
 */
static inline uint32_t
kmem_chunk_verify(const kmem_cache_t *cp, const uint8_t *buf, uint64_t lead,
    uint64_t trail, kmem_chunk_err_t *ce)
{
	const uint8_t *p;
	uint64_t i;
	uint32_t err;

	ce->ce_size = cp->cache_bufsize;
	kmem_chunk_err(ce, KMERR_NERRORS, 0, 0, 0);
	for (i = lead; i > 0; i--) {
		if (buf[-(int64_t)i] != KMEM_REDZONE_BYTE)
			return (kmem_chunk_err(ce, KMERR_REDZONE, -(int64_t)i,
			    KMEM_REDZONE_BYTE, buf[-(int64_t)i]));
	}
	err = kmem_chunk_verify_body(cp, buf, ce);
	if (err == KMERR_NERRORS && (p = kmem_trail_find(cp, buf, trail)) !=
	    NULL)
		return (kmem_chunk_err(ce, KMERR_REDZONE, p - buf,
		    KMEM_REDZONE_BYTE, *p));
	return (err);
}

/* kmem_chunk_verify's tag, pattern and redzone checks. */
static inline uint32_t
kmem_chunk_verify_body(const kmem_cache_t *cp, const uint8_t *buf,
    kmem_chunk_err_t *ce)
{
	kmem_buftag_t bt;
	uint64_t i, n, w;
	intptr_t x;

	__builtin_memcpy(&bt, buf + cp->cache_buftag, sizeof (bt));
	x = bt.bt_bxstat ^ (intptr_t)bt.bt_bufctl;
	ce->ce_alloc = x == (intptr_t)KMEM_BUFTAG_ALLOC;
	if (ce->ce_alloc)
		return ((cp->cache_flags & KMF_REDZONE) ?
		    kmem_chunk_verify_redzone(cp, buf, ce) : KMERR_NERRORS);
	if (x != (intptr_t)KMEM_BUFTAG_FREE)
		return (kmem_chunk_err(ce, KMERR_BADBUFTAG, (int64_t)
		    cp->cache_buftag + 16, (uint64_t)KMEM_BUFTAG_FREE,
		    (uint64_t)x));
	if (!(cp->cache_flags & KMF_DEADBEEF))
		return (KMERR_NERRORS);
	n = (cp->cache_flags & KMF_LITE) ? 8 : cp->cache_verify;
	for (i = 0; i + 8 <= n; i += 8) {
		__builtin_memcpy(&w, buf + i, 8);
		if (w != KMEM_FREE_PATTERN)
			return (kmem_chunk_err(ce, KMERR_MODIFIED, (int64_t)i,
			    KMEM_FREE_PATTERN, w));
	}
	return (KMERR_NERRORS);
}

/* malloc.c: the malloc paths, for new.c and umem.c */
void *st_malloc_internal(size_t size, size_t align, st_kind_t kind);
void st_free_internal(void *buf, size_t size, st_kind_t kind,
    const char *routine);

/* firewall.c: buffers against an inaccessible page (UMEM_DEBUG=firewall) */
void *st_firewall_alloc(size_t size, size_t room, size_t align,
    st_kind_t kind);
void st_firewall_free(void *buf, size_t size, st_kind_t kind,
    const char *routine);
size_t st_firewall_size(void *buf);
/* Big buffers with a header (firewall.c, section 6), when debugging. */
void *st_bigbuf_alloc(size_t size, size_t room, size_t align,
    st_kind_t kind);
void *st_firewall_resize(void *buf, size_t size);
int st_firewall_visit(int live, int careful,
    void (*fn)(const kmem_errinfo_t *, void *), void *arg);
int st_firewall_visit_live(void (*fn)(void *buf, uint64_t size,
    const kmem_bufctl_audit_t *alloc, void *arg), void *arg);
void st_firewall_fork_prepare(void);
void st_firewall_fork_parent(void);
void st_firewall_fork_child(void);
/*
 * A fault at addr (write 1, read 0, -1 unknown), reported if ours: 1 in
 * a firewall buffer, 2 in a quarantined big buffer; 0 if not ours.
 */
int st_firewall_fault(uintptr_t addr, const void *uc, int write);
int st_firewall_owns(uintptr_t addr);
/* free() of an address inside a big buffer past its first page: 1. */
int st_firewall_free_inside(void *addr, size_t size, st_kind_t kind,
    const char *routine);
/* The sampled firewall (firewall.c, section 9), debugging off. */
void *st_sample_alloc(size_t size, size_t align);

/* fault.c: fatal signals become panics with a dump. */
void st_fault_init(void);

/* print.c: formatted output with no malloc; the one error function. */
size_t st_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
size_t st_snprintf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void st_printf(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Read lowercase hex or decimal digits at *sp, advancing it (/proc files) */
uint64_t st_scan_hex(const char **sp);
uint64_t st_scan_dec(const char **sp);
void st_error(kmem_error_t error, kmem_cache_t *cp, void *buf,
    const char *routine);       /* returns only if noabort */
int kmem_errinfo_init(kmem_errinfo_t *ei, kmem_error_t error,
    kmem_cache_t *cp, void *buf);
void st_panic(const char *fmt, ...) __attribute__((noreturn,
    format(printf, 1, 2)));
void st_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

/* verify.c's brackets around every debugged operation (section 2). */
static inline kmem_thread_t *
kmem_op_enter(void)
{
	kmem_thread_t *kt = kmem_thread_self;
	uint32_t b;

	if (ST_UNLIKELY(kt == &kmem_thread_dead))
		return (kmem_op_enter_slow());
	b = kt->kt_busy;
	__atomic_store_n(&kt->kt_busy, b + 1, __ATOMIC_RELAXED);
	if (b == 0) {
		/*
		 * Dekker with kmem_world_stop(): busy first, then look; the
		 * stopper's membarrier() is our fence (verify.c, section 2).
		 */
		if (ST_UNLIKELY(kmem_op_fence))
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		else
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (ST_UNLIKELY(__atomic_load_n(&kmem_stopped,
		    __ATOMIC_RELAXED)))
			kmem_op_wait(kt);
	}
	return (kt);
}

/* A debugged free is done: count it; is a sweep due (verify.c)? */
#define ST_SWEEP_NAME   "slabtrace-sweep"        /* the sweep thread */
#define KMEM_SWEEP_TICK 64      /* frees between looks at the clock */
#define KMEM_SWEEP_EAGER 4096   /* ... after this many (lite) */
static inline void
kmem_sweep_tick(kmem_thread_t *kt, uintptr_t caller)
{
	if (ST_UNLIKELY(kt == &kmem_thread_dead))
		return;
	__atomic_store_n(&kt->kt_frees, kt->kt_frees + 1, __ATOMIC_RELAXED);
	/*
	 * Until it runs: every free (lite: the first KMEM_SWEEP_EAGER, then
	 * every KMEM_SWEEP_TICKth), so that a program that frees little
	 * still starts it (verify.c, kmem_sweep_tick_slow).
	 */
	if (ST_UNLIKELY(__atomic_load_n(&kmem_sweeper, __ATOMIC_RELAXED) <= 0) &&
	    (kt->kt_frees % KMEM_SWEEP_TICK == 1 || kt->kt_frees <=
	    KMEM_SWEEP_EAGER || !(kmem_flags & KMF_LITE)))
		kmem_sweep_tick_slow(kt, caller);
}

static inline void
kmem_op_exit(kmem_thread_t *kt)
{
	if (ST_UNLIKELY(kt == &kmem_thread_dead))
		kmem_op_exit_dead();
	else
		__atomic_store_n(&kt->kt_busy, kt->kt_busy - 1,
		    __ATOMIC_RELEASE);
}

#endif /* SLABTRACE_IMPL_H */
