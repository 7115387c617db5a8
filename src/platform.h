/*
 * platform.h: everything slabtrace needs from the operating system, behind
 * one small contract.  The layers (vmem, slab, magazine, malloc) call only
 * these functions; platform_linux.c is the one implementation.  Nothing here
 * may allocate with malloc or call anything that could recurse into the
 * allocator.
 */
#ifndef SLABTRACE_PLATFORM_H
#define SLABTRACE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

/* A mutex.  Fixed layout on a given platform, so the debugger can skip it. */
typedef struct st_lock {
	pthread_mutex_t lk_mutex;
} st_lock_t;

#define ST_LOCK_INITIALIZER { PTHREAD_MUTEX_INITIALIZER }

void st_lock_init(st_lock_t *lk);
void st_lock(st_lock_t *lk);
int st_trylock(st_lock_t *lk);          /* 1 if acquired */
void st_unlock(st_lock_t *lk);

/* Memory. */
size_t st_os_pagesize(void);
/* Anonymous read-write memory aligned to align (a power of two >= page). */
void *st_os_map(size_t size, size_t align);
void st_os_unmap(void *addr, size_t size);
/* The pages keep their addresses but their contents may be dropped. */
void st_os_decommit(void *addr, size_t size);
/* Grow or move a mapping made by st_os_map (mremap); NULL on failure. */
void *st_os_remap(void *addr, size_t oldsize, size_t newsize);

/* Time and identity. */
uint64_t st_os_now_ns(void);            /* CLOCK_MONOTONIC nanoseconds */
uint64_t st_os_thread_id(void);         /* the kernel's thread id */

/* Per-thread destructor hook: called at thread exit with value. */
int st_os_thread_key_create(void (*destructor)(void *));
void st_os_thread_key_set(void *value);

/* fork handlers. */
int st_os_atfork(void (*prepare)(void), void (*parent)(void),
    void (*child)(void));

/* Output and exit, safe in any state. */
void st_os_write(int fd, const char *buf, size_t len);
const char *st_os_getenv(const char *name);   /* NULL when setuid */
void st_os_abort(void) __attribute__((noreturn));
void st_os_sleep_ns(uint64_t ns);

#endif /* SLABTRACE_PLATFORM_H */
