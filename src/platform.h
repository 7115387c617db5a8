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
/*
 * Scratch memory left out of the record (st_os_mapped_by_us): for the
 * dumper, which runs with the other threads stopped, one of them perhaps
 * inside the record's lock.
 */
void *st_os_map_scratch(size_t size);
void st_os_unmap_scratch(void *addr, size_t size);
/*
 * Copy len bytes of our own memory at src, failing (-1) rather than
 * faulting where it is not mapped (process_vm_readv): bytes copied.
 */
long st_os_read_self(void *dst, uintptr_t src, size_t len);
/* Bytes of memory and swap: more cannot be used (UINT64_MAX: unknown). */
uint64_t st_os_memory_total(void);
/*
 * The pages keep their addresses and their contents are dropped: they
 * read as zeros from then on.  -1 if not (locked pages: mlockall), and
 * then nothing is known of them.
 */
int st_os_decommit(void *addr, size_t size);
/* Commit pages about to be written, in one call (best effort). */
void st_os_populate(void *addr, size_t size);
/* Grow or move a mapping made by st_os_map (mremap); NULL on failure. */
void *st_os_remap(void *addr, size_t oldsize, size_t newsize);
/*
 * Does [start, end) hold memory from st_os_map or st_os_reserve?  1 yes,
 * 0 no, -1 cannot say (more ranges than the record holds).  For dumps of
 * the allocator's memory only; it takes no lock.
 */
int st_os_mapped_by_us(uintptr_t start, uintptr_t end);

/* Can the pattern loops use 32-byte vectors (AVX2, enabled by the OS)? */
int st_os_cpu_wide(void);

/* Time and identity. */
uint64_t st_os_now_ns(void);            /* CLOCK_MONOTONIC nanoseconds */
uint64_t st_os_stamp_ns(uint64_t after); /* the same, unfenced, > after */
uint64_t st_os_thread_id(void);         /* the kernel's thread id */

/* Per-thread destructor hook: called at thread exit with value. */
int st_os_thread_key_create(void (*destructor)(void *));
void st_os_thread_key_set(void *value);

/*
 * A detached thread running fn(arg), named name, with every signal
 * blocked (so that none meant for the program lands in it).  0 or -1.
 */
int st_os_thread_start(void *(*fn)(void *), void *arg, const char *name);

/*
 * The asymmetric fence: st_os_membarrier() makes every running thread of
 * the process execute a full memory barrier, so that the other side of a
 * Dekker handshake may use a compiler barrier only.  Register once (and
 * again in a fork child); both return 0, or -1 where the kernel cannot.
 */
int st_os_membarrier_register(void);
int st_os_membarrier(void);

/* fork handlers. */
int st_os_atfork(void (*prepare)(void), void (*parent)(void),
    void (*child)(void));

/* Output and exit, safe in any state. */
void st_os_write(int fd, const char *buf, size_t len);
const char *st_os_getenv(const char *name);   /* NULL when setuid */
void st_os_abort(void) __attribute__((noreturn));
int st_os_signal_default(int sig);     /* 1 if its action is the default */
/* execve(2) itself (the library's execve verifies the heap first). */
int st_os_execve(const char *path, char *const argv[], char *const envp[]);
/* Exit at once with status: no atexit handlers, no stdio flush. */
void st_os_exit(int status) __attribute__((noreturn));
void st_os_sleep_ns(uint64_t ns);
uint64_t st_os_realtime_ns(void);       /* CLOCK_REALTIME nanoseconds */
uint32_t st_os_pid(void);
uint64_t st_os_random(void);            /* unpredictable bits, no failure */
int st_os_cpu(void);                    /* the CPU we run on, or -1 */

/*
 * Files, for the debugging layers (symbols, /proc, dumps).  All return -1
 * (or NULL) on failure with the reason in st_os_errno(); none allocates.
 */
int st_os_errno(void);
int st_os_open_read(const char *path);
/* Create path for writing: O_EXCL, O_NOFOLLOW, mode 0600. */
int st_os_create_excl(const char *path);
long st_os_read(int fd, void *buf, size_t len);
long st_os_pread(int fd, void *buf, size_t len, uint64_t off);
long st_os_write_all(int fd, const void *buf, size_t len); /* loops */
long st_os_lseek(int fd, int64_t off, int whence);
void st_os_close(int fd);
int64_t st_os_file_size(int fd);
int64_t st_os_file_disk(int fd);        /* bytes it takes on disk */
/* A private read-only mapping of a whole file; st_os_unmap to release. */
void *st_os_map_file(int fd, size_t size);
long st_os_readlink(const char *path, char *buf, size_t len);
/* Append to path, creating it 0600 (never through a symbolic link). */
int st_os_open_append(const char *path);
int st_os_mkdir(const char *path);             /* 0700; 0 if it is there */
int st_os_executable(const char *path);         /* 1 if we may exec it */
/*
 * A helper process: path run with argv and envp, its standard input and
 * output one end of a socket pair whose other end is *fdp, its standard
 * error /dev/null, with default signal handling.  No handler of ours runs
 * in it before it execs.  0, or -1.
 */
int st_os_spawn(const char *path, char *const argv[], char *const envp[],
    int *fdp, uint32_t *pidp);
/* Send all of buf (never SIGPIPE); 0 or -1. */
int st_os_send(int fd, const void *buf, size_t len);
/* Read what is there, waiting up to timeout_ns: bytes, 0 at EOF, -1. */
long st_os_recv_wait(int fd, void *buf, size_t len, uint64_t timeout_ns);
/* End a helper process: kill it if asked, and reap it if it is done. */
void st_os_reap(uint32_t pid, int kill);
/* Page protection: ST_PROT_NONE or ST_PROT_RW. */
#define ST_PROT_NONE    0
#define ST_PROT_RW      3
int st_os_protect(void *addr, size_t size, int prot);
/*
 * Guard pages that cost no mapping (Linux 6.13's guard regions): on, the
 * pages fault at any access and their contents are dropped; off, they read
 * as zeros again.  Neither splits the mapping.  0, or -1 where the kernel
 * has none (EINVAL).
 */
int st_os_guard(void *addr, size_t size, int on);
/* Reserve address space with no access and no memory behind it. */
void *st_os_reserve(size_t size, size_t align);
/* Identity of the system, for dump headers: fields NUL-terminated. */
void st_os_uname(char *host, char *release, char *machine, size_t len);
/*
 * Catch a fatal signal: handler(sig, siginfo_t *, ucontext_t *) runs with
 * every signal blocked, on the alternate stack if the thread has one.
 */
typedef void st_os_sighandler_t(int sig, void *info, void *uc);
int st_os_catch_signal(int sig, st_os_sighandler_t *handler);
int st_os_catch_signal_old(int sig, st_os_sighandler_t *handler, void *old);
int st_os_sigaction(int sig, const void *act, void *old); /* libc's own */
/* A signal context's (ucontext_t) pc and stack pointer. */
uintptr_t st_os_uc_pc(const void *uc);
uintptr_t st_os_uc_sp(const void *uc);
/* Send sig to the calling thread with the default action restored. */
void st_os_die_by_signal(int sig) __attribute__((noreturn));

#endif /* SLABTRACE_PLATFORM_H */
