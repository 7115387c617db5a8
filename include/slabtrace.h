/*
 * slabtrace.h: the public interface of slabtrace, a user-space rebuild of
 * the Solaris/illumos kernel memory allocator (Bonwick's slab allocator with
 * magazines and vmem).
 *
 * The API is the kernel's: object caches (kmem_cache_*), the general-purpose
 * kmem_alloc/kmem_free over the kmem_alloc_N caches, and vmem arenas.  Code
 * written for libumem includes <umem.h> instead.  Programs that only use
 * malloc need no header at all: link with -lslabtrace or preload
 * libslabtrace.so.
 */
#ifndef SLABTRACE_H
#define SLABTRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation flags (kmflag / vmflag). */
#define KM_SLEEP        0x0000  /* may wait (reap, retry); never returns NULL */
#define KM_NOSLEEP      0x0001  /* may fail: returns NULL */
#define KM_PANIC        0x0002  /* failure is fatal */
#define KM_PUSHPAGE     0x0004  /* accepted for source compatibility */
#define KM_NORMALPRI    0x0008  /* accepted for source compatibility */
#define KM_VMFLAGS      0x00ff  /* the flags vmem understands too */

#define VM_SLEEP        KM_SLEEP
#define VM_NOSLEEP      KM_NOSLEEP
#define VM_PANIC        KM_PANIC
#define VM_BESTFIT      0x0100  /* smallest free segment that fits */
#define VM_FIRSTFIT     0x0200  /* first segment that fits (slow) */
#define VM_NEXTFIT      0x0400  /* rotor: next segment after the last */
#define VM_INSTANTFIT   0x0000  /* default: O(1) power-of-two freelists */

/* kmem_cache_create() flags. */
#define KMC_NOTOUCH     0x00010000  /* don't write into free buffers */
#define KMC_NODEBUG     0x00020000  /* exempt from kmem_flags debugging */
#define KMC_NOMAGAZINE  0x00040000  /* no magazine layer */
#define KMC_NOHASH      0x00080000  /* small-slab layout only */
#define KMC_QCACHE      0x00100000  /* a vmem quantum cache */

/* Constructor return for "could not construct" (like KMC's ctor -1). */
typedef struct kmem_cache kmem_cache_t;
typedef struct vmem vmem_t;

typedef int kmem_constructor_t(void *buf, void *arg, int kmflag);
typedef void kmem_destructor_t(void *buf, void *arg);
typedef void kmem_reclaim_t(void *arg);
typedef void *vmem_alloc_t(vmem_t *source, size_t size, int vmflag);
typedef void vmem_free_t(vmem_t *source, void *addr, size_t size);

/* Object caches. */
kmem_cache_t *kmem_cache_create(const char *name, size_t bufsize,
    size_t align, kmem_constructor_t *constructor,
    kmem_destructor_t *destructor, kmem_reclaim_t *reclaim, void *arg,
    vmem_t *arena, int cflags);
void kmem_cache_destroy(kmem_cache_t *cp);
void *kmem_cache_alloc(kmem_cache_t *cp, int kmflag);
void kmem_cache_free(kmem_cache_t *cp, void *buf);
size_t kmem_cache_bufsize(const kmem_cache_t *cp);
const char *kmem_cache_name(const kmem_cache_t *cp);

/* General purpose allocation over the kmem_alloc_N caches. */
void *kmem_alloc(size_t size, int kmflag);
void *kmem_zalloc(size_t size, int kmflag);
void kmem_free(void *buf, size_t size);

/* Give memory that is cached but unused back (magazines, empty slabs). */
void kmem_reap(void);

/* Per-cache statistics, as the debugger's ::kmastat prints them. */
typedef struct kmem_cache_stat {
	char kcs_name[32];
	uint64_t kcs_bufsize;      /* buffer size */
	uint64_t kcs_buf_inuse;    /* buffers allocated to callers */
	uint64_t kcs_buf_total;    /* buffers in slabs */
	uint64_t kcs_slab_bytes;   /* memory held in slabs */
	uint64_t kcs_alloc;        /* allocations so far */
	uint64_t kcs_alloc_fail;   /* failed allocations */
	uint64_t kcs_magsize;      /* current magazine size */
	uint64_t kcs_depot_full;   /* full magazines in the depot */
	uint64_t kcs_depot_empty;  /* empty magazines in the depot */
} kmem_cache_stat_t;

/*
 * Call fn for every cache; stops early if fn returns non-zero.  fn runs
 * without allocator locks held, so it may allocate.
 */
int kmem_cache_walk(int (*fn)(const kmem_cache_stat_t *, void *), void *arg);

/* Print ::kmastat-style statistics to a file descriptor (no malloc). */
void kmem_stats_print(int fd);

/*
 * Verify the whole heap now, as the kernel's ::kmem_verify: every free
 * buffer's 0xdeadbeef pattern, every allocated buffer's redzone, every
 * buffer tag (with debugging on: KMEM_FLAGS, UMEM_DEBUG; 0 otherwise).
 * Each problem is reported like any other; unless noabort, the first
 * ends in a panic and a dump.  Returns the number of problems found.
 * slabtrace runs it at exit by itself (UMEM_OPTIONS=noverify: not).
 */
int kmem_verify(void);

/*
 * Look for leaks now, as UMEM_OPTIONS=leakcheck does at exit: every
 * allocated buffer that no root (registers, stacks, data, the program's
 * own mappings) reaches, directly or through other buffers, is reported
 * (LeakSanitizer's shape) and the program goes on.  Returns the number of
 * leaked allocations reported (suppressions left out), or -1 if the check
 * could not run.  The other threads are stopped while it scans.
 */
int kmem_leakcheck(void);

/* vmem arenas. */
vmem_t *vmem_create(const char *name, void *base, size_t size,
    size_t quantum, vmem_alloc_t *afunc, vmem_free_t *ffunc, vmem_t *source,
    size_t qcache_max, int vmflag);
void vmem_destroy(vmem_t *vmp);
void *vmem_alloc(vmem_t *vmp, size_t size, int vmflag);
void vmem_free(vmem_t *vmp, void *addr, size_t size);
void *vmem_xalloc(vmem_t *vmp, size_t size, size_t align, size_t phase,
    size_t nocross, void *minaddr, void *maxaddr, int vmflag);
void vmem_xfree(vmem_t *vmp, void *addr, size_t size);
void *vmem_add(vmem_t *vmp, void *addr, size_t size, int vmflag);

#define VMEM_ALLOC      0x01
#define VMEM_FREE       0x02
size_t vmem_size(vmem_t *vmp, int typemask);

#ifdef __cplusplus
}
#endif

#endif /* SLABTRACE_H */
