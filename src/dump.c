/*
 * dump.c: the crash dump.  When slabtrace panics (a heap corruption report,
 * or a fatal signal it catches), the process writes an ELF core file of
 * itself, vmcore.N, the way a Solaris kernel writes its dump before it
 * reboots; `slabtrace mdb` (and gdb) read it later.
 *
 * 1. Where.  In st_opts.so_dumpdir (empty: the current directory), as
 *    vmcore.N with N the first number for which an exclusive create
 *    (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600) succeeds: an existing file
 *    or symbolic link is skipped, never followed and never overwritten.
 *    st_dump_write() returns N, or -1 after one line saying why not.
 *
 * 2. Where it may run.  From a signal handler, possibly on a small
 *    alternate stack, in a process whose heap is corrupt: so no malloc and
 *    no stdio; the working storage is static (guarded by the dump lock,
 *    section 7) and the stack frames are small.  Output goes through
 *    st_msg() (write(2) to stderr, and into the message buffer, so that
 *    "dumping to ..." is in the dump as in the kernel's).
 *
 * 3. What is in the file.  An ELF64 ET_CORE for the host's machine
 *    (x86-64; aarch64 compiled, untested), laid out as:
 *
 *      ELF header | PT_NOTE, PT_LOAD x nmaps | notes | pad | memory ...
 *
 *    one PT_LOAD per line of /proc/self/smaps (or /proc/self/maps when
 *    smaps is missing), in address order.  A PT_LOAD always has p_memsz =
 *    the mapping's size; p_filesz is the size when its memory is in the
 *    file, 0 when it is not, and for private anonymous memory the part up
 *    to its last page ever touched (dump_used_len): the allocator's heap
 *    reservation and thread stacks' unused tails cost no file size.  The
 *    memory goes in at page-aligned offsets, most important first
 *    (dump_rank): the panicking thread's stack, then the modules' data,
 *    the mapping holding st_root and the message buffer, and the other
 *    stacks, then the rest; so a dump cut short still has them.
 *    The notes, in the order gdb expects them from the kernel:
 *      NT_PRSTATUS  "CORE"       the panicking thread's registers (from
 *                                the signal's ucontext; for a report,
 *                                those of the allocator's entry point the
 *                                program called, unwound by debug.c's
 *                                kmem_panic_context; else getcontext()
 *                                here), pid = its thread id, cursig
 *      NT_FPREGSET  "CORE"       its FPU/SSE state, when the context has it
 *      NT_PRSTATUS, NT_FPREGSET  the same for every other thread that
 *                                stopped (section 6), cursig 0 (or the
 *                                signal of a panic that waits, section 7)
 *      NT_PRPSINFO  "CORE"       program name and arguments
 *      NT_AUXV      "CORE"       /proc/self/auxv (gdb relocates PIEs by it)
 *      NT_FILE      "CORE"       the file mappings (gdb finds libraries)
 *      NT_SLABTRACE "SLABTRACE"  st_dump_note_t: panic message, time,
 *                                &st_root (where the debugger starts),
 *                                sn_version (ST_DUMP_VERSION: a debugger
 *                                refuses a newer dump in one line), the
 *                                threads with and without registers, ...
 *    gdb makes the first NT_PRSTATUS the current thread: the panicking
 *    one.  The x86-64 registers carry each thread's own fs_base, which
 *    libthread_db needs to name the thread.
 *
 * 4. Which memory.  Never: unreadable mappings, [vvar], [vsyscall],
 *    device memory (VmFlags io/pf, /dev/ files), MADV_DONTDUMP (dd), and
 *    userfaultfd-missing (um) ranges, whose reads could block forever.
 *    Then, by st_opts.so_dump_content:
 *      all   every private anonymous mapping ([heap], [stack], thread
 *            stacks, the allocator's spans), shared anonymous memory
 *            (/dev/zero, SysV, memfd), [vdso], and the private file
 *            mappings that hold modified pages (data, bss, relocated
 *            RELRO: smaps "Anonymous" > 0; without smaps, the private
 *            mappings that are not executable).  Not the text and other
 *            unmodified file pages: gdb reads those from the files NT_FILE
 *            names, as it does for a kernel-written core.
 *      heap  the allocator's memory (the mappings that hold ranges the
 *            platform layer mapped for us: st_os_mapped_by_us), the main
 *            stack, the stacks of the threads with registers (each one
 *            that holds a stack pointer), and the data segments (which
 *            hold st_root and what gdb needs for `bt`), with the .bss
 *            past their file pages (the anonymous mapping that starts
 *            where an object's private file mapping ends); not the program's
 *            own anonymous mappings, the stacks of threads that did not
 *            stop, or shared memory.  Our mappings are MAP_NORESERVE, so
 *            the kernel does not merge them with the program's.  Should
 *            the platform's record overflow, every writable private
 *            anonymous mapping is kept.
 *    Pages of private anonymous memory never touched (neither present nor
 *    swapped, says /proc/self/pagemap; a whole mapping when smaps says Rss
 *    and Swap are 0) are left as holes: the file is sparse, and a large
 *    untouched reservation costs neither time nor disk.
 *
 * 5. Reading memory.  Each included mapping is written with write(2)
 *    straight from its address, so an unreadable page makes write() fail
 *    with EFAULT instead of faulting the dumper.  The file offset (lseek)
 *    tells how far it got; the bad page becomes a hole (zeros) and the
 *    write goes on after it.  Any other error (ENOSPC, EFBIG, EDQUOT, EIO)
 *    ends the dump.  The file is kept if its headers and notes are
 *    complete (the panic message and the registers are in the first
 *    pages): the program headers are rewritten in place (no new blocks
 *    needed) so that p_filesz claims only what was written, and gdb reads
 *    the rest as "not in the dump".  Otherwise the file is removed.  The
 *    message says which.  SIGXFSZ is blocked while we write, so
 *    RLIMIT_FSIZE gives EFBIG rather than killing the process.
 *
 * 6. Stopping the world.  As the kernel does before it dumps, the other
 *    threads are stopped while we write (dump_park), so that the memory
 *    is what it was at the panic and every thread's registers are in the
 *    dump; they are let go when it is written (dump_unpark), whether the
 *    process goes on or not.
 *      The signal: a real-time one the program has no handler for (from
 *    SIGRTMAX down; glibc keeps those below SIGRTMIN), with our handler
 *    for the dump only, SA_RESTART, every signal blocked while it runs,
 *    and no SA_ONSTACK: it runs where the thread is, on its stack or, in
 *    a handler on the alternate stack, there below the frames in use;
 *    never on a fresh alternate stack, which may be too small for the
 *    signal's frame.  Afterwards the signal gets its old action back,
 *    unless a thread that did not take it may still have it pending: then
 *    our handler stays (it returns at once outside a dump), so that the
 *    signal cannot kill the process later.
 *      Who: /proc/self/task, read with getdents64 (opendir allocates).
 *    Each thread gets a slot in dump_threads, the dumping thread slot 0
 *    with the panicking context, then the signal by tgkill: never the
 *    dumping thread, nor a panic waiting with its own context (section
 *    7), nor a thread whose status says it is gone (Z, X; tgkill's ESRCH
 *    later), stopped or traced (State T, t: the signal would wait for it),
 *    or blocks the signal (SigBlk: looked at again 2 ms later, since the
 *    C library blocks every signal in a thread being made or exiting).
 *      Parking: the handler finds its slot, leaves a pointer to the
 *    interrupted context (its ucontext, on its own stack, valid while it
 *    waits) and its TLS bases there, says so with a compare-and-swap of
 *    the slot's state, and waits on a futex, dump_park_round, until the
 *    dumper sets it to 0 and wakes it.  The state carries the round, so a
 *    handler late from an earlier dump cannot claim a slot of this one.
 *    The dumper polls the slots (20 us, doubling to 1 ms), looks again at
 *    the ones still on their way every 10 ms (gone? stopped or blocking
 *    since?), and lists /proc/self/task again for threads made meanwhile,
 *    until a look finds none new (DUMP_PARK_PASSES) or DUMP_PARK_WAIT_NS,
 *    500 ms in all, is spent.  The threads the last dump let go are given
 *    up to DUMP_PARK_DRAIN_NS to leave the handler first, where their
 *    SigBlk would say they block everything (dump_park_inside).
 *      Who does not stop: a thread blocking the signal, stopped, late, or
 *    past the DUMP_MAXTHREADS slots is named on a line, "thread T did not
 *    stop; dumped without its registers (NAME: why)", which is in the
 *    message buffer and so in the dump, and the dump goes on without its
 *    registers (gdb may still list it, from the C library's list of
 *    threads, with its registers unavailable).  Our own sweep thread
 *    (verify.c) blocks every signal, so that none meant for the program
 *    lands in it: a dump taken while it runs names it.  Such a thread may
 *    change memory, or map and unmap, while we copy: the mapping table is
 *    a snapshot taken after the stopping, before the file is created; a
 *    mapping that goes away meanwhile reads as zeros (section 5), one that
 *    appears is not in the dump.
 *      Cost: 4 threads stop in 0.2 to 1 ms, 100 in 3 to 30 ms (on two busy
 *    cores: each status read, each thread getting a CPU); a thread that
 *    blocks the signal adds the 2 ms to its second look, a late one the
 *    whole wait.  Should the process go on, a thread's interruptible wait
 *    (nanosleep, poll, epoll_wait...) may end early with EINTR, as with
 *    any signal; the others restart.
 *      Deadlocks: the dumper takes no lock a stopped thread may hold; its
 *    scratch table is mapped outside the platform's record of our
 *    mappings (st_os_map_scratch), whose lock is one.  It never forks.  A
 *    child forked meanwhile by a thread that did not stop inherits our
 *    handler, which returns at once there.
 *
 * 7. One dump at a time.  dump_owner holds the thread id of the dumping
 *    thread.  A second thread that panics waits for the first to finish
 *    (it would otherwise kill the process in the middle of the dump); a
 *    panic inside the dump (the dumper itself faulted) returns -1 at once.
 *    A panic that waits with a context of its own (a fatal signal's)
 *    leaves it in dump_waiters, and the dump has that thread's registers
 *    at its fault rather than in the wait ("thread T panicked too").  So
 *    does a fatal signal in another thread while a panic is under way
 *    (fault.c calls st_dump_hold): it waits for the dump (up to
 *    DUMP_HOLD_NS for one to begin), instead of killing the process under
 *    it, then dies by its signal if the panicking thread has not ended the
 *    process.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/futex.h>
#if defined(__x86_64__)
#include <sys/user.h>
#include <asm/prctl.h>
#endif

#include "slabtrace_impl.h"

#define DUMP_MAXNUM             10000   /* vmcore.0 .. vmcore.9999 */
#define DUMP_STATIC_MAPS        1024    /* mappings before a scratch map */
#define DUMP_STATIC_NAMES       32768   /* NT_FILE names, same */
#define DUMP_MAXLOADS           65533   /* e_phnum is 16 bits (PN_XNUM) */
#define DUMP_CHUNK              (8UL << 20) /* bytes per write(2) */
#define DUMP_PMBATCH            4096    /* pagemap entries per read */
#define DUMP_WAIT_NS            10000000ULL /* poll of a busy dump lock */
#define DUMP_MAXTHREADS         4096    /* threads stopped for a dump */
#define DUMP_MAXWAITERS         16      /* panics waiting for the dump */
#define DUMP_PARK_WAIT_NS       500000000ULL /* all get to stop, in all */
#define DUMP_PARK_POLL_NS       20000ULL /* first look at who parked */
#define DUMP_PARK_POLL_MAX_NS   1000000ULL /* ... then up to this often */
#define DUMP_PARK_CHECK_NS      10000000ULL /* is a late one still alive? */
#define DUMP_PARK_HOLD_NS       1000000000ULL /* parked: is the dumper? */
#define DUMP_PARK_PASSES        4       /* looks at /proc/self/task */
#define DUMP_PARK_DRAIN_NS      100000000ULL /* the last round's leave */
#define DUMP_PARK_RECHECK_NS    2000000ULL /* a blocking one, looked again */
#define DUMP_PARK_EXIT_NS       50000000ULL /* ... then given to exit */
#define DUMP_HOLD_NS            3000000000ULL /* a 2nd fault: wait for a dump */
#define DUMP_HOLD_AFTER_NS      2000000000ULL /* ... then for the 1st to end */
#define DUMP_HOLD_POLL_NS       1000000ULL

#if defined(__x86_64__)
#define DUMP_MACHINE            EM_X86_64
#elif defined(__aarch64__)
#define DUMP_MACHINE            EM_AARCH64
#endif

/* dm_flags: the low three bits are PF_X, PF_W, PF_R. */
#define DM_PERMS        0x0007
#define DM_SHARED       0x0008  /* MAP_SHARED */
#define DM_FILE         0x0010  /* backed by a named file: NT_FILE */
#define DM_ANON         0x0020  /* private anonymous ([heap], [stack]) */
#define DM_SHM          0x0040  /* shared anonymous (/dev/zero, SysV) */
#define DM_VDSO         0x0080
#define DM_NODUMP       0x0100  /* never read: see section 4 */
#define DM_HASANON      0x0200  /* smaps: has modified (anonymous) pages */
#define DM_SMAPS        0x0400  /* smaps told us about this mapping */
#define DM_INCLUDE      0x0800  /* its memory is in the file */
#define DM_INUSE        0x1000  /* smaps: some pages resident or swapped */
#define DM_OURS         0x2000  /* the allocator's (st_os_mapped_by_us) */
#define DM_STACK        0x4000  /* [stack], or holds the panicking sp */
#define DM_BSS          0x8000  /* anonymous, right after a private file
                                   mapping: an object's .bss */
#define DUMP_LOADER_MAX 64      /* loader objects located (heap content) */
#define DM_NONAME       UINT32_MAX

/* One mapping of the process, from a line of /proc/self/(s)maps. */
typedef struct dump_map {
	uint64_t dm_start;
	uint64_t dm_end;
	uint64_t dm_offset;             /* offset in the mapped file */
	uint64_t dm_fileoff;            /* offset of its memory in the dump */
	uint64_t dm_len;                /* bytes of it in the dump (layout) */
	uint32_t dm_flags;              /* DM_* */
	uint32_t dm_name;               /* offset in ds_names, or DM_NONAME */
} dump_map_t;

/* The state of one dump (one at a time: dump_state is static). */
typedef struct dump_state {
	int ds_fd;                      /* the dump file */
	int ds_pmfd;                    /* /proc/self/pagemap, or -1 */
	int ds_err;                     /* errno of the failure */
	uint32_t ds_content;            /* ST_DUMP_* */
	uint64_t ds_pagesize;
	dump_map_t *ds_maps;            /* the mapping table */
	uint32_t ds_nmaps;
	uint32_t ds_maxmaps;
	uint32_t ds_allmaps;            /* lines seen (may exceed maxmaps) */
	uint32_t ds_nfiles;             /* entries of NT_FILE */
	char *ds_names;                 /* file names, NUL-terminated */
	uint64_t ds_nameslen;
	uint64_t ds_namesmax;
	uint64_t ds_allnames;           /* bytes the names needed */
	uint64_t ds_filenames;          /* NT_FILE name bytes, one per entry */
	void *ds_scratch;               /* st_os_map'd table, if any */
	uint64_t ds_scratchsize;
	int ds_smaps;                   /* the table came from smaps */
	uint64_t ds_off;                /* the file offset we are at */
	uint64_t ds_end;                /* bytes written so far, high mark */
	uint64_t ds_written;            /* bytes of memory actually written */
	uint64_t ds_holes;              /* unreadable pages left as holes */
	uint64_t ds_notes_end;          /* the file is usable past this */
	uint32_t ds_buflen;             /* bytes in dump_wbuf */
	const ucontext_t *ds_uc;        /* the panicking context */
	uintptr_t ds_sp;                /* its stack pointer */
	uintptr_t ds_loader[DUMP_LOADER_MAX]; /* link_maps and their names */
	uint32_t ds_nloader;
	int ds_signo;
	uintptr_t ds_fault;
	const char *ds_panic;
	uint64_t ds_time;               /* CLOCK_REALTIME at entry */
	uint64_t ds_mono;
	uint32_t ds_round;              /* the stopping (dump_park_round) */
	int ds_sig;                     /* its signal; -1: none was free */
	uint32_t ds_nregs;              /* threads with registers (notes) */
	uint32_t ds_nunstopped;         /* threads without */
	uint32_t ds_nover;              /* ... of them past dump_threads */
	uint64_t ds_park_ns;            /* how long stopping them took */
	int ds_scan;                    /* a leak check's stop, no dump */
	uint32_t ds_nours;              /* unstopped: our sweep thread */
} dump_state_t;

/* A line reader over a /proc file, with no allocation. */
typedef struct dump_reader {
	int dr_fd;
	size_t dr_len;                  /* bytes in dump_rbuf */
	size_t dr_pos;                  /* start of the next line */
	int dr_eof;
	int dr_skip;                    /* drop the rest of an overlong line */
	int dr_err;                     /* errno of a failed read */
} dump_reader_t;

static volatile uint64_t dump_owner;    /* tid of the dumping thread */
static dump_state_t dump_state;
static ucontext_t dump_uc;              /* getcontext() when uc is NULL */
static dump_map_t dump_maps_static[DUMP_STATIC_MAPS];
static char dump_names_static[DUMP_STATIC_NAMES];
static char dump_rbuf[8192];            /* /proc line reader */
static char dump_wbuf[65536];           /* headers and notes */
static uint64_t dump_pm[DUMP_PMBATCH];  /* pagemap entries */
static char dump_auxv[4096];
static char dump_cmdline[4096];
static st_dump_note_t dump_stnote;
static const char dump_zeros[64];

/* ------------------------------------------------------------------------
 * What platform.h does not offer, used only here.
 */

static void
dump_unlink(const char *path)
{
	(void) unlink(path);
}

/* Block SIGXFSZ in this thread (writes past RLIMIT_FSIZE get EFBIG). */
static void
dump_block_xfsz(sigset_t *old)
{
	sigset_t set;

	(void) sigemptyset(&set);
	(void) sigaddset(&set, SIGXFSZ);
	(void) pthread_sigmask(SIG_BLOCK, &set, old);
}

/* Drop a SIGXFSZ our writes raised, then restore the mask. */
static void
dump_unblock_xfsz(const sigset_t *old)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	(void) sigemptyset(&set);
	(void) sigaddset(&set, SIGXFSZ);
	if (!sigismember(old, SIGXFSZ))
		while (sigtimedwait(&set, NULL, &zero) == SIGXFSZ)
			continue;
	(void) pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Is thread tid of this process alive? */
static int
dump_thread_alive(uint64_t tid)
{
	return (syscall(SYS_tgkill, (pid_t)st_os_pid(), (pid_t)tid, 0) == 0 ||
	    st_os_errno() != ESRCH);
}

/* Sleep while *addr == val, up to ns (or a wake-up, or a signal). */
static void
dump_futex_wait(uint32_t *addr, uint32_t val, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL),
	    (long)(ns % 1000000000ULL) };

	(void) syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void
dump_futex_wake(uint32_t *addr)
{
	(void) syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
	    NULL, 0);
}

/* Up to len bytes of an open file; how many, or -1. */
static long
dump_read_fd(int fd, char *buf, size_t len)
{
	size_t got = 0;
	long n;

	while (got < len && (n = st_os_read(fd, buf + got, len - got)) != 0) {
		if (n < 0)
			return (got > 0 ? (long)got : -1);
		got += (size_t)n;
	}
	return ((long)got);
}

/* ------------------------------------------------------------------------
 * Messages.
 */

static const struct {
	int de_errno;
	const char *de_text;
} dump_errtab[] = {
	{ ENOSPC, "no space left on device" },
	{ EACCES, "permission denied" },
	{ EROFS, "read-only file system" },
	{ EDQUOT, "disk quota exceeded" },
	{ EEXIST, "file exists" },
	{ ENOENT, "no such file or directory" },
	{ ENOTDIR, "not a directory" },
	{ EFBIG, "file too large" },
	{ EIO, "input/output error" },
	{ ELOOP, "too many levels of symbolic links" },
	{ EPERM, "operation not permitted" },
	{ ENAMETOOLONG, "file name too long" },
	{ EISDIR, "is a directory" },
	{ EMFILE, "too many open files" },
	{ ENFILE, "too many open files in system" },
	{ ENOMEM, "cannot allocate memory" },
	{ EINVAL, "invalid argument" },
	{ EFAULT, "bad address" },
	{ EBADF, "bad file descriptor" },
};

/* strerror() without the locale machinery; buf holds "error N". */
static const char *
dump_strerror(int err, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof (dump_errtab) / sizeof (dump_errtab[0]); i++)
		if (dump_errtab[i].de_errno == err)
			return (dump_errtab[i].de_text);
	(void) st_snprintf(buf, len, "error %d", err);
	return (buf);
}

/* "12.3 MB" for a byte count, or "40 KB" below a megabyte. */
static void
dump_size(char *buf, size_t len, uint64_t bytes)
{
	uint64_t tenths = (bytes * 10 + (1UL << 19)) >> 20;

	if (bytes < (1UL << 20))
		(void) st_snprintf(buf, len, "%lu KB",
		    (unsigned long)((bytes + 1023) >> 10));
	else
		(void) st_snprintf(buf, len, "%lu.%lu MB",
		    (unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
}

/*
 * The dump directory as printed: so_dumpdir without a trailing slash, and
 * "%p" in it replaced by the process id.
 */
static void
dump_dirname(char *buf, size_t len)
{
	const char *d = st_opts.so_dumpdir, *pc;
	size_t n = strnlen(d, sizeof (st_opts.so_dumpdir));

	while (n > 1 && d[n - 1] == '/')
		n--;
	if (n == 0) {
		(void) st_snprintf(buf, len, ".");
		return;
	}
	pc = strstr(d, "%p");
	if (pc != NULL && (size_t)(pc - d) + 2 <= n)
		(void) st_snprintf(buf, len, "%.*s%u%.*s", (int)(pc - d), d,
		    (unsigned)st_os_pid(), (int)(n - (size_t)(pc - d) - 2),
		    pc + 2);
	else
		(void) st_snprintf(buf, len, "%.*s", (int)n, d);
}

static void
dump_fail(const char *dir, const char *what, int err)
{
	char eb[32];

	st_msg("cannot write dump to %s: %s%s%s\n", dir,
	    what != NULL ? what : "", what != NULL ? ": " : "",
	    dump_strerror(err, eb, sizeof (eb)));
}

/* ------------------------------------------------------------------------
 * Stopping the world (section 6).
 */

/*
 * dt_state: where one thread is.  The low byte is the state, the rest the
 * round (the stopping, dump_park_round) it belongs to, so that a handler
 * late from an earlier round can never claim a slot of this one.
 */
#define DT_SENT         1       /* signalled; not parked yet */
#define DT_PARKING      2       /* in the handler, filling its slot */
#define DT_PARKED       3       /* waits in the handler: dt_uc */
#define DT_LATE         4       /* did not park in time: no registers */
#define DT_LATE_PARKED  5       /* parked after all: held, no registers */
#define DT_BLOCKED      6       /* not signalled (dt_why): no registers */
#define DT_WAITER       7       /* waits to dump its own panic: dt_uc */
#define DT_GONE         8       /* exited meanwhile */
#define DT_SELF         9       /* the dumping thread: ds_uc */
#define DT_MAKE(round, s)       ((uint64_t)(round) << 8 | (s))
#define DT_STATE(v)             ((uint32_t)((v) & 0xff))

/* dt_why: why a thread has no registers in the dump. */
#define DW_BLOCKS       1       /* its mask blocks the signal */
#define DW_STOPPED      2       /* stopped or traced */
#define DW_LATE         3       /* took no signal in time */
#define DW_NOSIG        4       /* no real-time signal was free */
#define DW_CANNOT       5       /* tgkill failed */

/* A thread of the process, for one dump (or one waiter: dump_waiters). */
typedef struct dump_thread {
	uint64_t dt_key;                /* round << 32 | tid (waiter: tid) */
	uint64_t dt_state;              /* DT_MAKE(round, DT_*) */
	uint32_t dt_tid;
	uint32_t dt_why;                /* DW_*: for a thread left out */
	int32_t dt_signo;               /* a panic's signal, or 0 */
	uint32_t dt_sent;               /* the signal was sent to it */
	uint32_t dt_rechecked;          /* it blocked; looked at again */
	const ucontext_t *dt_uc;        /* its registers, if it has them */
	uint64_t dt_fsbase;             /* its TLS bases (x86-64) */
	uint64_t dt_gsbase;
} dump_thread_t;

/* getdents64(2)'s record. */
typedef struct dump_dirent {
	uint64_t dd_ino;
	int64_t dd_off;
	uint16_t dd_reclen;
	uint8_t dd_type;
	char dd_name[];
} dump_dirent_t;

static dump_thread_t dump_threads[DUMP_MAXTHREADS];
static uint32_t dump_nthreads;          /* slots in use, this round */
static dump_thread_t dump_waiters[DUMP_MAXWAITERS];
static uint32_t dump_park_round;        /* the futex: 0 when none */
static uint32_t dump_park_inside;       /* threads in the handler */
static uint32_t dump_park_last;         /* the last round's number */
static int dump_park_sig;               /* the signal our handler has */
static struct sigaction dump_park_old;  /* ... and what it had before */
static uint64_t dump_dents[512];        /* getdents64 buffer */
static char dump_sbuf[4096];            /* /proc/self/task/T/status */

/* This thread's TLS bases, which the registers of its note carry. */
static void
dump_tls_bases(uint64_t *fsp, uint64_t *gsp)
{
	*fsp = *gsp = 0;
#if defined(__x86_64__)
	{
		unsigned long base = 0;

		if (syscall(SYS_arch_prctl, ARCH_GET_FS, &base) == 0)
			*fsp = base;
		if (syscall(SYS_arch_prctl, ARCH_GET_GS, &base) == 0)
			*gsp = base;
	}
#endif
}

/* The slot whose key is round << 32 | tid, or NULL. */
static dump_thread_t *
dump_thread_find(uint64_t key)
{
	uint32_t i, n = __atomic_load_n(&dump_nthreads, __ATOMIC_ACQUIRE);

	for (i = 0; i < n && i < DUMP_MAXTHREADS; i++)
		if (__atomic_load_n(&dump_threads[i].dt_key,
		    __ATOMIC_RELAXED) == key)
			return (&dump_threads[i]);
	return (NULL);
}

static int
dump_state_cas(dump_thread_t *dt, uint32_t round, uint32_t from, uint32_t to)
{
	uint64_t v = DT_MAKE(round, from);

	return (__atomic_compare_exchange_n(&dt->dt_state, &v,
	    DT_MAKE(round, to), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

/*
 * The parking signal's handler: in the round that signalled it, the
 * thread leaves its registers (the interrupted context) in its slot, says
 * so, and waits until the dumper releases it.  Anything else (a signal
 * late from a finished round) returns at once.
 */
static void
dump_park_handler(int sig, siginfo_t *si, void *ucv)
{
	uint32_t round = __atomic_load_n(&dump_park_round, __ATOMIC_ACQUIRE);
	int saved = errno;
	dump_thread_t *dt;

	(void) sig;
	(void) si;
	if (round == 0 || (dt = dump_thread_find((uint64_t)round << 32 |
	    st_os_thread_id())) == NULL)
		return;
	if (dump_state_cas(dt, round, DT_SENT, DT_PARKING)) {
		dt->dt_uc = ucv;
		dump_tls_bases(&dt->dt_fsbase, &dt->dt_gsbase);
		if (!dump_state_cas(dt, round, DT_PARKING, DT_PARKED))
			(void) dump_state_cas(dt, round, DT_LATE,
			    DT_LATE_PARKED);
	} else if (!dump_state_cas(dt, round, DT_LATE, DT_LATE_PARKED)) {
		errno = saved;
		return;
	}
	(void) __atomic_add_fetch(&dump_park_inside, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&dump_park_round, __ATOMIC_ACQUIRE) == round) {
		uint64_t owner = __atomic_load_n(&dump_owner,
		    __ATOMIC_RELAXED);

		dump_futex_wait(&dump_park_round, round, DUMP_PARK_HOLD_NS);
		if (owner != 0 && !dump_thread_alive(owner))
			break;          /* the dumper is gone: go on */
	}
	(void) __atomic_sub_fetch(&dump_park_inside, 1, __ATOMIC_RELEASE);
	errno = saved;
}

/* Is our handler on sig? */
static int
dump_park_ours(int sig)
{
	struct sigaction cur;

	return (sigaction(sig, NULL, &cur) == 0 &&
	    (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == dump_park_handler);
}

/*
 * Our handler on a real-time signal the program does not use (no handler,
 * not ignored), from SIGRTMAX down: 0, or -1 if none is free.  A signal
 * kept from an earlier dump (dump_unpark) is used again while it is ours.
 */
static int
dump_park_install(void)
{
	struct sigaction sa, old;
	int sig;

	if (dump_park_sig != 0) {
		if (dump_park_ours(dump_park_sig))
			return (0);
		dump_park_sig = 0;      /* the program took it back */
	}
	for (sig = SIGRTMAX; sig >= SIGRTMIN; sig--) {
		if (sigaction(sig, NULL, &old) != 0 ||
		    (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		memset(&sa, 0, sizeof (sa));
		sa.sa_sigaction = dump_park_handler;
		/* No SA_ONSTACK: where the thread is (section 6). */
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		(void) sigfillset(&sa.sa_mask);
		if (sigaction(sig, &sa, NULL) != 0)
			continue;
		dump_park_old = old;
		dump_park_sig = sig;
		return (0);
	}
	return (-1);
}

/* The waiter slot of tid (a panic waiting for the dump lock), or NULL. */
static dump_thread_t *
dump_waiter_find(uint32_t tid)
{
	uint32_t i;

	for (i = 0; i < DUMP_MAXWAITERS; i++) {
		dump_thread_t *w = &dump_waiters[i];

		if (__atomic_load_n(&w->dt_state, __ATOMIC_ACQUIRE) ==
		    DT_WAITER && w->dt_tid == tid)
			return (w);
	}
	return (NULL);
}

/* A thread about to wait for the dump lock leaves its panic's context. */
static dump_thread_t *
dump_waiter_enter(uint64_t tid, const void *uc, int signo)
{
	uint32_t i;

	for (i = 0; i < DUMP_MAXWAITERS; i++) {
		dump_thread_t *w = &dump_waiters[i];
		uint64_t none = 0;

		if (!__atomic_compare_exchange_n(&w->dt_key, &none, tid, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		w->dt_tid = (uint32_t)tid;
		w->dt_uc = uc;
		w->dt_signo = signo;
		dump_tls_bases(&w->dt_fsbase, &w->dt_gsbase);
		__atomic_store_n(&w->dt_state, DT_WAITER, __ATOMIC_RELEASE);
		return (w);
	}
	return (NULL);
}

static void
dump_waiter_leave(dump_thread_t *w)
{
	__atomic_store_n(&w->dt_state, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&w->dt_key, 0, __ATOMIC_RELEASE);
}

/*
 * What /proc/self/task/T/status says of thread tid: its name (into name),
 * and 1 if it may be signalled, 0 if it is gone, or -1 with *whyp if it
 * would not take the signal.
 */
static int
dump_task_status(uint32_t tid, int sig, char *name, size_t namelen,
    uint32_t *whyp)
{
	char path[64];
	const char *s;
	long n;
	int fd;

	if (name != NULL)
		name[0] = '\0';
	(void) st_snprintf(path, sizeof (path), "/proc/self/task/%u/status",
	    tid);
	if ((fd = st_os_open_read(path)) < 0)
		return (st_os_errno() == ENOENT ? 0 : 1);
	n = dump_read_fd(fd, dump_sbuf, sizeof (dump_sbuf) - 1);
	st_os_close(fd);
	if (n <= 0)
		return (n == 0 ? 0 : 1);
	dump_sbuf[n] = '\0';
	if (name != NULL && strncmp(dump_sbuf, "Name:\t", 6) == 0) {
		size_t i;

		for (i = 0, s = dump_sbuf + 6; i + 1 < namelen &&
		    s[i] != '\n' && s[i] != '\0'; i++)
			name[i] = s[i];
		name[i] = '\0';
	}
	if ((s = strstr(dump_sbuf, "\nState:\t")) != NULL) {
		s += 8;
		if (*s == 'Z' || *s == 'X')
			return (0);
		if (*s == 'T' || *s == 't') {
			*whyp = DW_STOPPED;
			return (-1);
		}
	}
	if (sig > 0 && (s = strstr(dump_sbuf, "\nSigBlk:\t")) != NULL) {
		s += 9;
		if ((st_scan_hex(&s) >> (sig - 1)) & 1) {
			*whyp = DW_BLOCKS;
			return (-1);
		}
	}
	return (1);
}

/* The signal to a thread whose slot says DT_SENT. */
static void
dump_park_send(dump_state_t *ds, dump_thread_t *dt, uint32_t round)
{
	if (syscall(SYS_tgkill, (pid_t)st_os_pid(), (pid_t)dt->dt_tid,
	    ds->ds_sig) == 0) {
		dt->dt_sent = 1;
	} else {
		dt->dt_why = DW_CANNOT;
		(void) dump_state_cas(dt, round, DT_SENT,
		    st_os_errno() == ESRCH ? DT_GONE : DT_BLOCKED);
	}
}

/*
 * A thread not yet in the table: entered and, unless it waits for the
 * dump lock with its panic's context or would not take the signal,
 * signalled.  The slot is complete before the count is published and the
 * signal sent, so that the handler finds it.
 */
static void
dump_park_one(dump_state_t *ds, uint32_t round, uint32_t tid)
{
	uint32_t i = dump_nthreads, state = DT_SENT, why = 0;
	dump_thread_t *dt, *w;
	int rc;

	if (i >= DUMP_MAXTHREADS) {
		ds->ds_nover++;
		return;
	}
	dt = &dump_threads[i];
	dt->dt_tid = tid;
	dt->dt_uc = NULL;
	dt->dt_signo = 0;
	dt->dt_sent = dt->dt_rechecked = 0;
	dt->dt_fsbase = dt->dt_gsbase = 0;
	if (ds->ds_sig == 0)    /* the first to signal: install the handler */
		ds->ds_sig = dump_park_install() == 0 ? dump_park_sig : -1;
	if ((w = dump_waiter_find(tid)) != NULL) {
		state = DT_WAITER;
		dt->dt_uc = w->dt_uc;
		dt->dt_signo = w->dt_signo;
		dt->dt_fsbase = w->dt_fsbase;
		dt->dt_gsbase = w->dt_gsbase;
	} else if (ds->ds_sig < 0) {
		state = DT_BLOCKED;
		why = DW_NOSIG;
	} else if ((rc = dump_task_status(tid, ds->ds_sig, NULL, 0,
	    &why)) <= 0) {
		state = rc == 0 ? DT_GONE : DT_BLOCKED;
	}
	dt->dt_why = why;
	__atomic_store_n(&dt->dt_state, DT_MAKE(round, state),
	    __ATOMIC_RELAXED);
	__atomic_store_n(&dt->dt_key, (uint64_t)round << 32 | tid,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&dump_nthreads, i + 1, __ATOMIC_RELEASE);
	if (state == DT_SENT)
		dump_park_send(ds, dt, round);
}

static int
dump_thread_known(uint32_t tid)
{
	uint32_t i;

	for (i = 0; i < dump_nthreads; i++)
		if (dump_threads[i].dt_tid == tid)
			return (1);
	return (0);
}

/*
 * One look at /proc/self/task (getdents64: opendir would allocate): every
 * thread not in the table yet goes in.  How many did, or -1.
 */
static int
dump_park_list(dump_state_t *ds, uint32_t round)
{
	int fd = st_os_open_read("/proc/self/task"), added = 0;
	long n = -1, off;

	if (fd < 0)
		return (-1);
	while ((n = syscall(SYS_getdents64, fd, dump_dents,
	    sizeof (dump_dents))) > 0) {
		for (off = 0; off < n; ) {
			const dump_dirent_t *d = (const dump_dirent_t *)
			    ((const char *)dump_dents + off);
			const char *s = d->dd_name;
			uint64_t tid = st_scan_dec(&s);

			off += d->dd_reclen;
			if (*s != '\0' || tid == 0 || tid > UINT32_MAX ||
			    dump_thread_known((uint32_t)tid))
				continue;
			dump_park_one(ds, round, (uint32_t)tid);
			added++;
		}
	}
	st_os_close(fd);
	return (n < 0 && added == 0 ? -1 : added);
}

/* A signalled thread that will not come: 1 (and its slot says why). */
static int
dump_park_check(dump_state_t *ds, dump_thread_t *dt, uint32_t round)
{
	uint32_t why = 0;
	int rc;

	if (!dump_thread_alive(dt->dt_tid))
		return (dump_state_cas(dt, round, DT_SENT, DT_GONE));
	if ((rc = dump_task_status(dt->dt_tid, ds->ds_sig, NULL, 0,
	    &why)) > 0)
		return (0);
	if (!dump_state_cas(dt, round, DT_SENT, rc == 0 ? DT_GONE : DT_LATE))
		return (0);
	dt->dt_why = why;
	return (1);
}

/*
 * Wait until no signalled thread is still on its way, or the deadline.
 * Every DUMP_PARK_CHECK_NS, the ones still on their way are looked at
 * again: one that exited meanwhile (tgkill says ESRCH) is not waited for,
 * nor one that has been stopped or has blocked the signal since.
 */
static void
dump_park_wait(dump_state_t *ds, uint32_t round, uint64_t deadline)
{
	uint64_t pause = DUMP_PARK_POLL_NS, now, checked = st_os_now_ns();

	for (;;) {
		uint32_t i, n = dump_nthreads, waiting = 0;
		int check;

		now = st_os_now_ns();
		check = now - checked >= DUMP_PARK_CHECK_NS;
		if (check)
			checked = now;
		for (i = 0; i < n; i++) {
			dump_thread_t *dt = &dump_threads[i];
			uint32_t s = DT_STATE(__atomic_load_n(&dt->dt_state,
			    __ATOMIC_ACQUIRE));

			if (s == DT_SENT && check && dump_park_check(ds, dt,
			    round))
				continue;
			if (s == DT_SENT || s == DT_PARKING)
				waiting++;
		}
		if (waiting == 0 || now >= deadline)
			return;
		st_os_sleep_ns(pause);
		pause = ST_MIN(pause * 2, DUMP_PARK_POLL_MAX_NS);
	}
}

/*
 * The threads that blocked the signal, looked at once more a moment after
 * the first look: one being made, or exiting, blocks every signal for a
 * while (the C library does), and then takes it, or is gone.  How many
 * were signalled now.
 */
static int
dump_park_recheck(dump_state_t *ds, uint32_t round, uint64_t since)
{
	uint32_t i, why;
	int sent = 0, rc;

	for (i = 0; i < dump_nthreads; i++) {
		dump_thread_t *dt = &dump_threads[i];

		if (DT_STATE(dt->dt_state) != DT_BLOCKED ||
		    dt->dt_why != DW_BLOCKS || dt->dt_rechecked)
			continue;
		if (st_os_now_ns() - since < DUMP_PARK_RECHECK_NS)
			st_os_sleep_ns(DUMP_PARK_RECHECK_NS -
			    (st_os_now_ns() - since));
		dt->dt_rechecked = 1;
		if ((rc = dump_task_status(dt->dt_tid, ds->ds_sig, NULL, 0,
		    &why)) < 0)
			continue;
		if (rc == 0 || !dump_state_cas(dt, round, DT_BLOCKED,
		    DT_SENT)) {
			(void) dump_state_cas(dt, round, DT_BLOCKED, DT_GONE);
			continue;
		}
		dt->dt_why = 0;
		dump_park_send(ds, dt, round);
		sent++;
	}
	return (sent);
}

/*
 * Has a thread that did not stop exited since?  One that blocks the signal
 * may be on its way out, which takes a while on a busy machine: it is
 * given DUMP_PARK_EXIT_NS to go.  Its name, while it is there, in name.
 */
static int
dump_thread_gone(const dump_thread_t *dt, char *name, size_t len)
{
	uint64_t t0 = st_os_now_ns();
	uint32_t why;

	for (;;) {
		if (dump_task_status(dt->dt_tid, 0, name, len, &why) == 0)
			return (1);
		/* Our sweep thread blocks every signal for good. */
		if (dt->dt_why != DW_BLOCKS || strncmp(name, "slabtrace-",
		    10) == 0 || st_os_now_ns() - t0 >= DUMP_PARK_EXIT_NS)
			return (0);
		st_os_sleep_ns(DUMP_PARK_RECHECK_NS);
	}
}

/* What becomes of a thread that did not stop: a dump's, a scan's. */
static const char *
dump_unstopped_text(const dump_state_t *ds, int plural)
{
	if (ds->ds_scan)
		return (plural ? "the leak check reads their stacks as it finds "
		    "them, without their registers" : "the leak check reads its "
		    "stack as it finds it, without its registers");
	return (plural ? "dumped without their registers" :
	    "dumped without its registers");
}

/*
 * The round is over: who did not park is left out (DT_LATE; a handler
 * that runs later parks it without its registers), unless it now waits
 * for the dump lock with its panic's context.  Then the count of threads
 * with registers, and a line for each of the others.
 */
static void
dump_park_close(dump_state_t *ds, uint32_t round)
{
	uint32_t i, nosig = 0;
	char name[32];

	for (i = 0; i < dump_nthreads; i++) {
		dump_thread_t *dt = &dump_threads[i], *w;
		uint32_t s;

		if (dump_state_cas(dt, round, DT_SENT, DT_LATE) ||
		    dump_state_cas(dt, round, DT_PARKING, DT_LATE))
			dt->dt_why = DW_LATE;
		s = DT_STATE(__atomic_load_n(&dt->dt_state, __ATOMIC_ACQUIRE));
		/*
		 * A panic waiting with its own context (section 7): that
		 * context, rather than none or the one of its wait.
		 */
		if ((s == DT_LATE || s == DT_BLOCKED || s == DT_PARKED) &&
		    (w = dump_waiter_find(dt->dt_tid)) != NULL) {
			if (s == DT_PARKED ||
			    dump_state_cas(dt, round, s, DT_WAITER)) {
				dt->dt_uc = w->dt_uc;
				dt->dt_signo = w->dt_signo;
				dt->dt_fsbase = w->dt_fsbase;
				dt->dt_gsbase = w->dt_gsbase;
				s = DT_WAITER;
			} else {                /* it parked late meanwhile */
				s = DT_STATE(__atomic_load_n(&dt->dt_state,
				    __ATOMIC_ACQUIRE));
			}
		}
		if (s == DT_WAITER)
			st_msg("thread %u panicked too; dumped with the "
			    "registers of its panic\n", dt->dt_tid);
		if (s == DT_SELF || s == DT_PARKED || s == DT_WAITER) {
			ds->ds_nregs++;
			continue;
		}
		if (s == DT_GONE)
			continue;
		/*
		 * Gone since (a thread on its way out blocks every signal,
		 * then exits): nothing of it to dump or to scan, no word.
		 */
		if (dt->dt_why != DW_NOSIG && dump_thread_gone(dt, name,
		    sizeof (name)))
			continue;
		ds->ds_nunstopped++;
		if (dt->dt_why == DW_NOSIG) {
			nosig++;
			continue;
		}
		/*
		 * Our own sweep thread blocks every signal (so that none of
		 * the program's lands in it) and runs none of the program's
		 * code: it is left out without a word.
		 */
		if (dt->dt_why == DW_BLOCKS &&
		    strncmp(name, "slabtrace-", 10) == 0) {
			ds->ds_nours++;
			continue;
		}
		st_msg("thread %u did not stop; %s (%s%s", dt->dt_tid,
		    dump_unstopped_text(ds, 0), name, name[0] != '\0' ? ": " :
		    "");
		if (dt->dt_why == DW_BLOCKS)
			st_msg("it blocks signal %d)\n", ds->ds_sig);
		else if (dt->dt_why == DW_STOPPED)
			st_msg("stopped or traced)\n");
		else if (dt->dt_why == DW_LATE)
			st_msg("no answer in %lu ms)\n", (unsigned long)
			    (DUMP_PARK_WAIT_NS / 1000000));
		else
			st_msg("cannot be signalled)\n");
	}
	if (nosig != 0)
		st_msg("%u threads did not stop: no real-time signal is free; "
		    "%s\n", nosig, dump_unstopped_text(ds, 1));
	if (ds->ds_nover != 0) {
		ds->ds_nunstopped += ds->ds_nover;
		st_msg("%u threads did not stop: more than %d; %s\n",
		    ds->ds_nover, DUMP_MAXTHREADS, dump_unstopped_text(ds, 1));
	}
}

/*
 * Stop every other thread (section 6): list them, signal them, wait for
 * them to park, list again for threads made meanwhile, until a look finds
 * none new or the time is up.  The dumping thread is slot 0, with the
 * panicking context.
 */
static void
dump_park(dump_state_t *ds)
{
	uint64_t t0 = st_os_now_ns(), deadline = t0 + DUMP_PARK_WAIT_NS;
	uint32_t round, tid = (uint32_t)st_os_thread_id();
	dump_thread_t *self = &dump_threads[0];
	uint64_t pause = DUMP_PARK_POLL_NS;
	int pass, added = 0;

	/*
	 * The threads the last round let go may not have left the handler
	 * yet, where every signal is blocked: their SigBlk would say they
	 * cannot stop.  Give them a moment.
	 */
	while (__atomic_load_n(&dump_park_inside, __ATOMIC_ACQUIRE) != 0 &&
	    st_os_now_ns() - t0 < DUMP_PARK_DRAIN_NS) {
		st_os_sleep_ns(pause);
		pause = ST_MIN(pause * 2, DUMP_PARK_POLL_MAX_NS);
	}
	if (++dump_park_last == 0)
		dump_park_last = 1;
	round = dump_park_last;
	__atomic_store_n(&dump_nthreads, 0, __ATOMIC_RELEASE);
	self->dt_tid = tid;
	self->dt_why = 0;
	self->dt_signo = ds->ds_signo;
	self->dt_uc = ds->ds_uc;
	dump_tls_bases(&self->dt_fsbase, &self->dt_gsbase);
	self->dt_state = DT_MAKE(round, DT_SELF);
	__atomic_store_n(&self->dt_key, (uint64_t)round << 32 | tid,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&dump_nthreads, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&dump_park_round, round, __ATOMIC_RELEASE);
	ds->ds_round = round;

	for (pass = 0; pass < DUMP_PARK_PASSES; pass++) {
		uint64_t listed = st_os_now_ns();

		if ((added = dump_park_list(ds, round)) < 0) {
			if (pass == 0)
				st_msg("other threads not stopped: cannot "
				    "read /proc/self/task\n");
			break;
		}
		if (added == 0)
			break;
		dump_park_wait(ds, round, deadline);
		if (dump_park_recheck(ds, round, listed) > 0)
			dump_park_wait(ds, round, deadline);
		if (st_os_now_ns() >= deadline)
			break;
	}
	dump_park_close(ds, round);
	ds->ds_park_ns = st_os_now_ns() - t0;
	if (st_opts.so_verbose && dump_nthreads > 1)
		st_msg("stopped %u of %u other threads in %lu us\n",
		    ds->ds_nregs - 1, ds->ds_nregs - 1 + ds->ds_nunstopped,
		    (unsigned long)(ds->ds_park_ns / 1000));
}

/* Was a thread signalled that has not taken the signal (yet)? */
static int
dump_park_pending(void)
{
	uint32_t i;

	for (i = 0; i < dump_nthreads; i++) {
		uint32_t s = DT_STATE(__atomic_load_n(&dump_threads[i].dt_state,
		    __ATOMIC_ACQUIRE));

		if (dump_threads[i].dt_sent && s != DT_PARKED &&
		    s != DT_LATE_PARKED && s != DT_GONE)
			return (1);
	}
	return (0);
}

/*
 * Let them go: the dump is written, and the process may go on.  The
 * signal gets its old action back, unless a thread may still have it
 * pending (it did not take it in time): then our handler stays, and
 * returns at once when no dump is under way.
 */
static void
dump_unpark(dump_state_t *ds)
{
	if (ds->ds_round == 0)
		return;
	__atomic_store_n(&dump_park_round, 0, __ATOMIC_RELEASE);
	dump_futex_wake(&dump_park_round);
	if (dump_park_sig != 0 && !dump_park_pending()) {
		(void) sigaction(dump_park_sig, &dump_park_old, NULL);
		dump_park_sig = 0;
	}
}

/* The threads whose registers go in the dump, the dumping one first. */
static int
dump_has_regs(const dump_thread_t *dt)
{
	uint32_t s = DT_STATE(__atomic_load_n(&dt->dt_state,
	    __ATOMIC_ACQUIRE));

	return (dt->dt_uc != NULL &&
	    (s == DT_SELF || s == DT_PARKED || s == DT_WAITER));
}

/* ------------------------------------------------------------------------
 * Reading /proc files line by line into dump_rbuf.
 */

static int
dump_reader_open(dump_reader_t *dr, const char *path)
{
	memset(dr, 0, sizeof (*dr));
	dr->dr_fd = st_os_open_read(path);
	if (dr->dr_fd < 0) {
		dr->dr_err = st_os_errno();
		return (-1);
	}
	return (0);
}

/*
 * The next line, NUL-terminated and without its newline, valid until the
 * next call; NULL at the end or on an error (dr_err).  A line longer than
 * the buffer is cut, and the rest of it dropped.
 */
static char *
dump_reader_line(dump_reader_t *dr)
{
	for (;;) {
		char *s = dump_rbuf + dr->dr_pos;
		size_t left = dr->dr_len - dr->dr_pos;
		char *nl = memchr(s, '\n', left);
		long n;

		if (nl != NULL) {
			*nl = '\0';
			dr->dr_pos = (size_t)(nl + 1 - dump_rbuf);
			if (dr->dr_skip) {
				dr->dr_skip = 0;
				continue;
			}
			return (s);
		}
		memmove(dump_rbuf, s, left);
		dr->dr_len = left;
		dr->dr_pos = 0;
		if (dr->dr_eof) {
			if (left == 0 || dr->dr_skip)
				return (NULL);
			dump_rbuf[left] = '\0';  /* a last, unended line */
			dr->dr_len = dr->dr_pos = 0;
			return (dump_rbuf);
		}
		if (left == sizeof (dump_rbuf) - 1) {   /* overlong: cut it */
			dump_rbuf[left] = '\0';
			dr->dr_len = 0;
			if (dr->dr_skip)
				continue;
			dr->dr_skip = 1;
			return (dump_rbuf);
		}
		n = st_os_read(dr->dr_fd, dump_rbuf + left,
		    sizeof (dump_rbuf) - 1 - left);
		if (n < 0) {
			dr->dr_err = st_os_errno();
			return (NULL);
		}
		if (n == 0)
			dr->dr_eof = 1;
		dr->dr_len += (size_t)n;
	}
}

/* A whole small /proc file into buf; its length, or -1. */
static long
dump_read_file(const char *path, char *buf, size_t len)
{
	int fd = st_os_open_read(path);
	long got;

	if (fd < 0)
		return (-1);
	got = dump_read_fd(fd, buf, len);
	st_os_close(fd);
	return (got < 0 ? 0 : got);
}

/* ------------------------------------------------------------------------
 * The mapping table.
 */

static int
dump_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

/* What a mapping's name says about it (DM_* flags). */
static uint32_t
dump_classify(const char *name, uint64_t inode, uint32_t shared)
{
	if (!shared && dump_prefix(name, "[stack"))
		return (DM_ANON | DM_STACK);
	if (name[0] == '\0' || strcmp(name, "[heap]") == 0 ||
	    dump_prefix(name, "[stack") || dump_prefix(name, "[anon:"))
		return (shared ? DM_SHM : DM_ANON);
	if (dump_prefix(name, "[anon_shmem:"))
		return (DM_SHM);
	if (strcmp(name, "[vdso]") == 0)
		return (DM_VDSO);
	if (name[0] == '[')             /* [vvar], [vsyscall], [uprobes] */
		return (DM_NODUMP);
	if (name[0] != '/' || inode == 0)
		return (shared ? DM_SHM : DM_ANON);
	if (shared && (dump_prefix(name, "/dev/zero") ||
	    dump_prefix(name, "/SYSV") || dump_prefix(name, "/memfd:")))
		return (DM_FILE | DM_SHM);
	if (dump_prefix(name, "/dev/") && !dump_prefix(name, "/dev/zero") &&
	    !dump_prefix(name, "/dev/shm/"))
		return (DM_FILE | DM_NODUMP);   /* device memory */
	return (DM_FILE);
}

/* Keep name for NT_FILE; consecutive mappings of a file share it. */
static uint32_t
dump_add_name(dump_state_t *ds, const char *name)
{
	size_t len = strlen(name) + 1;
	const dump_map_t *prev = ds->ds_nmaps > 0 ?
	    &ds->ds_maps[ds->ds_nmaps - 1] : NULL;

	ds->ds_filenames += len;
	if (prev != NULL && prev->dm_name != DM_NONAME &&
	    strcmp(ds->ds_names + prev->dm_name, name) == 0)
		return (prev->dm_name);
	ds->ds_allnames += len;
	if (ds->ds_nameslen + len > ds->ds_namesmax)
		return (DM_NONAME);
	memcpy(ds->ds_names + ds->ds_nameslen, name, len);
	ds->ds_nameslen += len;
	return ((uint32_t)(ds->ds_nameslen - len));
}

/*
 * The dynamic loader keeps its list of objects (r_debug's link_maps) in
 * anonymous memory of its own, which gdb must read to find the libraries
 * and so the stack: with content "heap", those mappings are kept too.
 */
extern struct r_debug _r_debug __attribute__((weak));

static void
dump_find_loader(dump_state_t *ds)
{
	const struct link_map *l;

	if (&_r_debug == NULL)
		return;
	for (l = _r_debug.r_map; l != NULL && ds->ds_nloader + 2 <=
	    DUMP_LOADER_MAX; l = l->l_next) {
		ds->ds_loader[ds->ds_nloader++] = (uintptr_t)l;
		if (l->l_name != NULL)
			ds->ds_loader[ds->ds_nloader++] = (uintptr_t)l->l_name;
	}
}

static int
dump_holds_loader(const dump_state_t *ds, const dump_map_t *m)
{
	uint32_t i;

	for (i = 0; i < ds->ds_nloader; i++)
		if (ds->ds_loader[i] >= m->dm_start &&
		    ds->ds_loader[i] < m->dm_end)
			return (1);
	return (0);
}

/* A header line "start-end perms offset dev inode name" into the table. */
static void
dump_add_map(dump_state_t *ds, const char *s)
{
	dump_map_t m;
	uint64_t inode;

	m.dm_fileoff = 0;
	m.dm_start = st_scan_hex(&s);
	if (*s++ != '-')
		return;
	m.dm_end = st_scan_hex(&s);
	if (*s++ != ' ' || strlen(s) < 5 || m.dm_end <= m.dm_start)
		return;
	m.dm_flags = (s[0] == 'r' ? PF_R : 0) | (s[1] == 'w' ? PF_W : 0) |
	    (s[2] == 'x' ? PF_X : 0) | (s[3] == 's' ? DM_SHARED : 0);
	s += 5;
	m.dm_offset = st_scan_hex(&s);
	while (*s == ' ')
		s++;
	while (*s != ' ' && *s != '\0')        /* device */
		s++;
	while (*s == ' ')
		s++;
	inode = st_scan_dec(&s);
	while (*s == ' ')
		s++;
	m.dm_flags |= dump_classify(s, inode, m.dm_flags & DM_SHARED);
	if (ds->ds_sp >= m.dm_start && ds->ds_sp < m.dm_end)
		m.dm_flags |= DM_STACK;
	if ((m.dm_flags & DM_ANON) && (st_os_mapped_by_us(m.dm_start,
	    m.dm_end) != 0 || dump_holds_loader(ds, &m)))
		m.dm_flags |= DM_OURS;  /* ours, the loader's, or cannot tell */
	ds->ds_allmaps++;
	if (ds->ds_nmaps >= ds->ds_maxmaps || ds->ds_nmaps >= DUMP_MAXLOADS) {
		if ((m.dm_flags & (DM_FILE | DM_SHM)) == DM_FILE)
			ds->ds_allnames += strlen(s) + 1;
		return;
	}
	m.dm_name = DM_NONAME;
	/* Shared anonymous memory has no file to read: it is in the dump. */
	if ((m.dm_flags & (DM_FILE | DM_SHM)) == DM_FILE) {
		m.dm_name = dump_add_name(ds, s);
		if (m.dm_name != DM_NONAME)
			ds->ds_nfiles++;
		else
			ds->ds_filenames -= strlen(s) + 1;
	}
	ds->ds_maps[ds->ds_nmaps++] = m;
}

/* An smaps attribute line about the last mapping. */
static void
dump_add_attr(dump_state_t *ds, const char *s)
{
	dump_map_t *m;

	if (ds->ds_nmaps == 0)
		return;
	m = &ds->ds_maps[ds->ds_nmaps - 1];
	m->dm_flags |= DM_SMAPS;
	if (dump_prefix(s, "Anonymous:")) {
		s += strlen("Anonymous:");
		while (*s == ' ')
			s++;
		if (st_scan_dec(&s) != 0)
			m->dm_flags |= DM_HASANON;
	} else if (dump_prefix(s, "Rss:") || dump_prefix(s, "Swap:")) {
		while (*s != ' ' && *s != '\0')
			s++;
		while (*s == ' ')
			s++;
		if (st_scan_dec(&s) != 0)
			m->dm_flags |= DM_INUSE;
	} else if (dump_prefix(s, "VmFlags:")) {
		for (s += strlen("VmFlags:"); *s != '\0'; s++) {
			if (*s == ' ')
				continue;
			/* io, pf: device memory; dd: MADV_DONTDUMP; um: uffd */
			if (dump_prefix(s, "io") || dump_prefix(s, "pf") ||
			    dump_prefix(s, "dd") || dump_prefix(s, "um"))
				m->dm_flags |= DM_NODUMP;
			while (s[1] != ' ' && s[1] != '\0')
				s++;
		}
	}
}

/* Read the mappings into the table; 0, or -1 with ds_err. */
static int
dump_read_maps(dump_state_t *ds)
{
	dump_reader_t dr;
	char *line;

	ds->ds_smaps = 1;
	if (dump_reader_open(&dr, "/proc/self/smaps") != 0) {
		ds->ds_smaps = 0;
		if (dump_reader_open(&dr, "/proc/self/maps") != 0) {
			ds->ds_err = dr.dr_err;
			return (-1);
		}
	}
	ds->ds_nmaps = ds->ds_allmaps = ds->ds_nfiles = 0;
	ds->ds_nameslen = ds->ds_allnames = ds->ds_filenames = 0;
	while ((line = dump_reader_line(&dr)) != NULL) {
		if ((line[0] >= '0' && line[0] <= '9') ||
		    (line[0] >= 'a' && line[0] <= 'f'))
			dump_add_map(ds, line);
		else if (ds->ds_allmaps == ds->ds_nmaps)
			dump_add_attr(ds, line);
	}
	st_os_close(dr.dr_fd);
	if (dr.dr_err != 0 || ds->ds_nmaps == 0) {
		ds->ds_err = dr.dr_err != 0 ? dr.dr_err : EIO;
		return (-1);
	}
	return (0);
}

/* Does this mapping's memory go into the file?  See section 4. */
static int
dump_wanted(const dump_state_t *ds, uint32_t f)
{
	if (!(f & PF_R) || (f & DM_NODUMP))
		return (0);
	if (f & DM_VDSO)
		return (1);
	if ((f & DM_ANON) && ds->ds_content == ST_DUMP_ALL)
		return (1);
	if (f & DM_ANON)        /* heap: ours, the stacks, the bss */
		return ((f & PF_W) && (f & (DM_OURS | DM_STACK | DM_BSS)) != 0);
	if (f & DM_SHM)
		return (ds->ds_content == ST_DUMP_ALL);
	if ((f & DM_FILE) && !(f & DM_SHARED))
		return ((f & DM_SMAPS) ? (f & DM_HASANON) != 0 : !(f & PF_X));
	return (0);
}

/*
 * The stopped threads' stacks are stacks (DM_STACK): in the dump with
 * content "heap" too, so that gdb unwinds every thread.  The table is in
 * address order: a binary search for each.
 */
static void
dump_mark_stacks(dump_state_t *ds)
{
	uint32_t i;

	for (i = 1; i < dump_nthreads; i++) {
		uintptr_t sp;
		uint32_t lo = 0, hi = ds->ds_nmaps;

		if (!dump_has_regs(&dump_threads[i]))
			continue;
		sp = st_os_uc_sp(dump_threads[i].dt_uc);
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (sp < ds->ds_maps[mid].dm_start)
				hi = mid;
			else if (sp >= ds->ds_maps[mid].dm_end)
				lo = mid + 1;
			else {
				if (ds->ds_maps[mid].dm_flags & DM_ANON)
					ds->ds_maps[mid].dm_flags |= DM_STACK;
				break;
			}
		}
	}
}

/*
 * Build the table: into the static arrays, or, when the process has more
 * mappings than they hold, into a scratch mapping sized from the first
 * count.  If that cannot be had, the table keeps what fit.
 */
static int
dump_build_table(dump_state_t *ds)
{
	uint32_t i;

	if (ds->ds_content == ST_DUMP_HEAP)
		dump_find_loader(ds);
	ds->ds_maps = dump_maps_static;
	ds->ds_maxmaps = DUMP_STATIC_MAPS;
	ds->ds_names = dump_names_static;
	ds->ds_namesmax = DUMP_STATIC_NAMES;
	if (dump_read_maps(ds) != 0)
		return (-1);
	if (ds->ds_allmaps > ds->ds_nmaps ||
	    ds->ds_allnames > ds->ds_nameslen) {
		uint64_t nmaps = ds->ds_allmaps + ds->ds_allmaps / 4 + 256;
		uint64_t names = ds->ds_allnames + ds->ds_allnames / 4 + 65536;
		uint64_t size = ST_P2ROUNDUP(nmaps * sizeof (dump_map_t) +
		    names, ds->ds_pagesize);
		void *p = st_os_map_scratch(size);

		if (p != NULL) {
			ds->ds_scratch = p;
			ds->ds_scratchsize = size;
			ds->ds_maps = p;
			ds->ds_maxmaps = (uint32_t)ST_MIN(nmaps, UINT32_MAX);
			ds->ds_names = (char *)p + nmaps * sizeof (dump_map_t);
			ds->ds_namesmax = names;
			if (dump_read_maps(ds) != 0)
				return (-1);
		}
	}
	dump_mark_stacks(ds);
	/* The .bss beyond a data segment's file pages (st_root's, too). */
	for (i = 1; i < ds->ds_nmaps; i++) {
		dump_map_t *dm = &ds->ds_maps[i], *prev = dm - 1;

		if ((dm->dm_flags & DM_ANON) && (prev->dm_flags & DM_FILE) &&
		    !(prev->dm_flags & DM_SHARED) &&
		    prev->dm_end == dm->dm_start)
			dm->dm_flags |= DM_BSS;
	}
	for (i = 0; i < ds->ds_nmaps; i++)
		if (dump_wanted(ds, ds->ds_maps[i].dm_flags))
			ds->ds_maps[i].dm_flags |= DM_INCLUDE;
	return (0);
}

/* ------------------------------------------------------------------------
 * Writing: a buffer for the headers and notes, then memory straight from
 * its addresses.  ds_off is always the descriptor's file offset.
 */

static int
dump_flush(dump_state_t *ds)
{
	uint32_t n = ds->ds_buflen;

	ds->ds_buflen = 0;
	if (n == 0)
		return (0);
	if (st_os_write_all(ds->ds_fd, dump_wbuf, n) != (long)n) {
		ds->ds_err = st_os_errno();
		return (-1);
	}
	ds->ds_end = ST_MAX(ds->ds_end, ds->ds_off);
	return (0);
}

static int
dump_put(dump_state_t *ds, const void *p, size_t len)
{
	const char *s = p;

	while (len > 0) {
		size_t n = ST_MIN(len, sizeof (dump_wbuf) - ds->ds_buflen);

		memcpy(dump_wbuf + ds->ds_buflen, s, n);
		ds->ds_buflen += (uint32_t)n;
		ds->ds_off += n;
		s += n;
		len -= n;
		if (ds->ds_buflen == sizeof (dump_wbuf) && dump_flush(ds) != 0)
			return (-1);
	}
	return (0);
}

static int
dump_put_zeros(dump_state_t *ds, uint64_t len)
{
	while (len > 0) {
		size_t n = ST_MIN(len, sizeof (dump_zeros));

		if (dump_put(ds, dump_zeros, n) != 0)
			return (-1);
		len -= n;
	}
	return (0);
}

/* Leave len bytes as a hole. */
static int
dump_skip(dump_state_t *ds, uint64_t len)
{
	ds->ds_off += len;
	if (st_os_lseek(ds->ds_fd, (int64_t)ds->ds_off, SEEK_SET) < 0) {
		ds->ds_err = st_os_errno();
		return (-1);
	}
	return (0);
}

/*
 * Memory [addr, addr + len) at ds_off.  A page that cannot be read
 * (EFAULT) becomes a hole; any other error ends the dump.
 */
static int
dump_write_mem(dump_state_t *ds, uintptr_t addr, uint64_t len)
{
	uint64_t pg = ds->ds_pagesize;

	while (len > 0) {
		size_t n = (size_t)ST_MIN(len, DUMP_CHUNK);
		uint64_t skip;
		long cur;
		int err;

		if (st_os_write_all(ds->ds_fd, (const void *)addr, n) ==
		    (long)n) {
			ds->ds_off += n;
			ds->ds_end = ST_MAX(ds->ds_end, ds->ds_off);
			ds->ds_written += n;
			addr += n;
			len -= n;
			continue;
		}
		err = st_os_errno();
		cur = st_os_lseek(ds->ds_fd, 0, SEEK_CUR);
		if (err != EFAULT || cur < (long)ds->ds_off ||
		    (uint64_t)cur > ds->ds_off + n) {
			if (cur > (long)ds->ds_off)     /* a part was written */
				ds->ds_end = ST_MAX(ds->ds_end, (uint64_t)cur);
			ds->ds_err = err;
			return (-1);
		}
		/* The page at addr + done could not be read: skip it. */
		skip = ST_P2ALIGN(addr + ((uint64_t)cur - ds->ds_off), pg) +
		    pg - addr;
		skip = ST_MIN(skip, len);
		if (cur > (long)ds->ds_off)
			ds->ds_end = ST_MAX(ds->ds_end, (uint64_t)cur);
		ds->ds_written += (uint64_t)cur - ds->ds_off;
		ds->ds_holes++;
		if (dump_skip(ds, skip) != 0)
			return (-1);
		addr += skip;
		len -= skip;
	}
	return (0);
}

/* Pagemap: present (bit 63) or swapped (bit 62). */
#define DUMP_PM_INUSE(e)        (((e) >> 62) != 0)

/*
 * A private anonymous mapping: the pages the process never touched stay
 * holes.  Without /proc/self/pagemap, everything is written.
 */
static int
dump_write_anon(dump_state_t *ds, uintptr_t addr, uint64_t len)
{
	uint64_t pg = ds->ds_pagesize;

	while (len > 0 && ds->ds_pmfd >= 0) {
		uint64_t npg = ST_MIN(len / pg, DUMP_PMBATCH), i, j;
		long got = st_os_pread(ds->ds_pmfd, dump_pm, npg * 8,
		    (addr / pg) * 8);

		if (got < 8)
			break;
		npg = (uint64_t)got / 8;
		for (i = 0; i < npg; i = j) {
			int inuse = DUMP_PM_INUSE(dump_pm[i]);

			for (j = i + 1; j < npg &&
			    DUMP_PM_INUSE(dump_pm[j]) == inuse; j++)
				continue;
			if (inuse ? dump_write_mem(ds, addr + i * pg,
			    (j - i) * pg) : dump_skip(ds, (j - i) * pg))
				return (-1);
		}
		addr += npg * pg;
		len -= npg * pg;
	}
	return (len > 0 ? dump_write_mem(ds, addr, len) : 0);
}

/* ------------------------------------------------------------------------
 * Notes.
 */

static uint64_t
dump_note_size(const char *name, uint64_t descsz)
{
	return (sizeof (Elf64_Nhdr) + ST_P2ROUNDUP(strlen(name) + 1, 4) +
	    ST_P2ROUNDUP(descsz, 4));
}

/* A note's header and name; its desc follows, then dump_note_pad(). */
static int
dump_note_begin(dump_state_t *ds, const char *name, uint32_t type,
    uint64_t descsz)
{
	Elf64_Nhdr nh;
	size_t namesz = strlen(name) + 1;

	nh.n_namesz = (Elf64_Word)namesz;
	nh.n_descsz = (Elf64_Word)descsz;
	nh.n_type = type;
	if (dump_put(ds, &nh, sizeof (nh)) != 0 ||
	    dump_put(ds, name, namesz) != 0)
		return (-1);
	return (dump_put_zeros(ds, ST_P2ROUNDUP(namesz, 4) - namesz));
}

static int
dump_note_pad(dump_state_t *ds, uint64_t descsz)
{
	return (dump_put_zeros(ds, ST_P2ROUNDUP(descsz, 4) - descsz));
}

static int
dump_note(dump_state_t *ds, const char *name, uint32_t type,
    const void *desc, uint64_t descsz)
{
	if (dump_note_begin(ds, name, type, descsz) != 0 ||
	    dump_put(ds, desc, descsz) != 0)
		return (-1);
	return (dump_note_pad(ds, descsz));
}

/*
 * A context's general registers in the kernel's elf_gregset_t order (an
 * NT_PRSTATUS's pr_reg), with the TLS bases given (a context does not hold
 * them).  out has room for ELF_NGREG words.  The dump's notes and the leak
 * check's snapshots (leakcheck.c) both use it.
 */
void
st_context_gregs(const void *ucv, uint64_t *out, uint64_t fsbase,
    uint64_t gsbase)
{
	const ucontext_t *uc = ucv;

	memset(out, 0, sizeof (elf_gregset_t));
#if defined(__x86_64__)
	{
		const greg_t *g = uc->uc_mcontext.gregs;
		struct user_regs_struct r;

		_Static_assert(sizeof (r) == sizeof (elf_gregset_t),
		    "user_regs");
		memset(&r, 0, sizeof (r));
		r.r15 = (uint64_t)g[REG_R15];
		r.r14 = (uint64_t)g[REG_R14];
		r.r13 = (uint64_t)g[REG_R13];
		r.r12 = (uint64_t)g[REG_R12];
		r.rbp = (uint64_t)g[REG_RBP];
		r.rbx = (uint64_t)g[REG_RBX];
		r.r11 = (uint64_t)g[REG_R11];
		r.r10 = (uint64_t)g[REG_R10];
		r.r9 = (uint64_t)g[REG_R9];
		r.r8 = (uint64_t)g[REG_R8];
		r.rax = (uint64_t)g[REG_RAX];
		r.rcx = (uint64_t)g[REG_RCX];
		r.rdx = (uint64_t)g[REG_RDX];
		r.rsi = (uint64_t)g[REG_RSI];
		r.rdi = (uint64_t)g[REG_RDI];
		r.orig_rax = (uint64_t)-1;      /* not in a system call */
		r.rip = (uint64_t)g[REG_RIP];
		r.eflags = (uint64_t)g[REG_EFL];
		r.rsp = (uint64_t)g[REG_RSP];
		/* REG_CSGSFS: cs, gs, fs, ss 16 bits each (ss since 4.8). */
		r.cs = (uint64_t)g[REG_CSGSFS] & 0xffff;
		r.ss = ((uint64_t)g[REG_CSGSFS] >> 48) & 0xffff;
		if (r.cs == 0)
			r.cs = 0x33;            /* __USER_CS */
		if (r.ss == 0)
			r.ss = 0x2b;            /* __USER_DS */
		r.fs_base = fsbase;
		r.gs_base = gsbase;
		memcpy(out, &r, sizeof (r));
	}
#elif defined(__aarch64__)
	{
		int i;

		(void) fsbase;
		(void) gsbase;
		/* x0..x30, sp, pc, pstate: user_pt_regs. */
		for (i = 0; i < 31; i++)
			out[i] = uc->uc_mcontext.regs[i];
		out[31] = uc->uc_mcontext.sp;
		out[32] = uc->uc_mcontext.pc;
		out[33] = uc->uc_mcontext.pstate;
	}
#else
	(void) uc;
	(void) fsbase;
	(void) gsbase;
#endif
}

/* A thread's general registers, as they read them themselves. */
static void
dump_gregs(const dump_thread_t *dt, elf_gregset_t *out)
{
	/* Its TLS bases, as it read them itself (dump_tls_bases). */
	st_context_gregs(dt->dt_uc, (uint64_t *)(void *)out, dt->dt_fsbase,
	    dt->dt_gsbase);
}

/* A thread's FPU state (512 bytes, fxsave layout), or NULL. */
static const void *
dump_fpregs(const dump_thread_t *dt)
{
#if defined(__x86_64__)
	_Static_assert(sizeof (*dt->dt_uc->uc_mcontext.fpregs) ==
	    sizeof (elf_fpregset_t), "fpregs");
	return (dt->dt_uc->uc_mcontext.fpregs);
#else
	(void) dt;
	return (NULL);
#endif
}

/*
 * A thread's NT_PRSTATUS and NT_FPREGSET.  Only a panicking thread has a
 * signal (its fatal one, if any): the others were stopped, not signalled
 * by a fault.
 */
static int
dump_note_thread(dump_state_t *ds, const dump_thread_t *dt)
{
	const void *fp = dump_fpregs(dt);
	int signo = dt->dt_signo;
	struct elf_prstatus pr;

	memset(&pr, 0, sizeof (pr));
	pr.pr_info.si_signo = signo;
	pr.pr_cursig = (short)signo;
	memcpy(&pr.pr_sighold, &dt->dt_uc->uc_sigmask,
	    ST_MIN(sizeof (pr.pr_sighold), sizeof (dt->dt_uc->uc_sigmask)));
	pr.pr_pid = (pid_t)dt->dt_tid;
	pr.pr_ppid = getppid();
	pr.pr_pgrp = getpgrp();
	pr.pr_sid = getsid(0);
	dump_gregs(dt, &pr.pr_reg);
	pr.pr_fpvalid = fp != NULL;
	if (dump_note(ds, "CORE", NT_PRSTATUS, &pr, sizeof (pr)) != 0)
		return (-1);
	return (fp != NULL ? dump_note(ds, "CORE", NT_FPREGSET, fp,
	    sizeof (elf_fpregset_t)) : 0);
}

static uint64_t
dump_thread_notes_size(const dump_thread_t *dt)
{
	return (dump_note_size("CORE", sizeof (struct elf_prstatus)) +
	    (dump_fpregs(dt) != NULL ? dump_note_size("CORE",
	    sizeof (elf_fpregset_t)) : 0));
}

/* cmdline's arguments joined by spaces into buf; its length. */
static size_t
dump_join_args(char *buf, size_t len, long cmdlen)
{
	size_t i, n = ST_MIN((size_t)(cmdlen > 0 ? cmdlen : 0), len - 1);

	for (i = 0; i < n; i++)
		buf[i] = dump_cmdline[i] == '\0' ? ' ' : dump_cmdline[i];
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return (n);
}

static int
dump_note_prpsinfo(dump_state_t *ds, long cmdlen)
{
	struct elf_prpsinfo ps;
	const char *base = strrchr(dump_stnote.sn_program, '/');

	memset(&ps, 0, sizeof (ps));
	ps.pr_state = 0;
	ps.pr_sname = 'R';
	ps.pr_uid = getuid();
	ps.pr_gid = getgid();
	ps.pr_pid = (int)st_os_pid();
	ps.pr_ppid = getppid();
	ps.pr_pgrp = getpgrp();
	ps.pr_sid = getsid(0);
	(void) st_snprintf(ps.pr_fname, sizeof (ps.pr_fname), "%s",
	    base != NULL ? base + 1 : dump_stnote.sn_program);
	(void) dump_join_args(ps.pr_psargs, sizeof (ps.pr_psargs), cmdlen);
	return (dump_note(ds, "CORE", NT_PRPSINFO, &ps, sizeof (ps)));
}

static uint64_t
dump_file_descsz(const dump_state_t *ds)
{
	return (2 * 8 + (uint64_t)ds->ds_nfiles * 3 * 8 + ds->ds_filenames);
}

/* NT_FILE: count, page size, (start, end, offset in pages)..., names. */
static int
dump_note_file(dump_state_t *ds)
{
	uint64_t descsz = dump_file_descsz(ds), v[3];
	uint32_t i;

	if (dump_note_begin(ds, "CORE", NT_FILE, descsz) != 0)
		return (-1);
	v[0] = ds->ds_nfiles;
	v[1] = ds->ds_pagesize;
	if (dump_put(ds, v, 2 * 8) != 0)
		return (-1);
	for (i = 0; i < ds->ds_nmaps; i++) {
		const dump_map_t *m = &ds->ds_maps[i];

		if (m->dm_name == DM_NONAME)
			continue;
		v[0] = m->dm_start;
		v[1] = m->dm_end;
		v[2] = m->dm_offset / ds->ds_pagesize;
		if (dump_put(ds, v, sizeof (v)) != 0)
			return (-1);
	}
	for (i = 0; i < ds->ds_nmaps; i++) {
		const char *name;

		if (ds->ds_maps[i].dm_name == DM_NONAME)
			continue;
		name = ds->ds_names + ds->ds_maps[i].dm_name;
		if (dump_put(ds, name, strlen(name) + 1) != 0)
			return (-1);
	}
	return (dump_note_pad(ds, descsz));
}

/* Our own note: what ::status prints, and where st_root is. */
static void
dump_fill_note(const dump_state_t *ds, long cmdlen)
{
	st_dump_note_t *sn = &dump_stnote;

	memset(sn, 0, sizeof (*sn));
	memcpy(sn->sn_magic, ST_DUMP_MAGIC, sizeof (sn->sn_magic));
	sn->sn_time = ds->ds_time;
	sn->sn_mono = ds->ds_mono;
	sn->sn_root = (uint64_t)(uintptr_t)&st_root;
	sn->sn_fault_addr = ds->ds_fault;
	sn->sn_pid = st_os_pid();
	sn->sn_tid = (uint32_t)st_os_thread_id();
	sn->sn_signo = ds->ds_signo;
	sn->sn_content = ds->ds_content;
	sn->sn_kmem_flags = st_opts.so_kmem_flags;
	sn->sn_version = ST_DUMP_VERSION;
	sn->sn_nthreads = ds->ds_nregs;
	sn->sn_nunstopped = ds->ds_nunstopped;
	(void) st_snprintf(sn->sn_panic, sizeof (sn->sn_panic), "%s",
	    ds->ds_panic != NULL ? ds->ds_panic : "");
	if (st_os_readlink("/proc/self/exe", sn->sn_program,
	    sizeof (sn->sn_program)) < 0)
		sn->sn_program[0] = '\0';
	(void) dump_join_args(sn->sn_cmdline, sizeof (sn->sn_cmdline), cmdlen);
	st_os_uname(sn->sn_host, sn->sn_release, sn->sn_machine,
	    sizeof (sn->sn_host));
}

/* ------------------------------------------------------------------------
 * The file.
 */

/* Create DIR/vmcore.N for the first free N; the fd, or -1 with ds_err. */
static int
dump_create(dump_state_t *ds, const char *dir, char *path, size_t len,
    int *np)
{
	int n;

	for (n = 0; n < DUMP_MAXNUM; n++) {
		int fd;

		if (st_snprintf(path, len, "%s/vmcore.%d", dir, n) >= len) {
			ds->ds_err = ENAMETOOLONG;
			return (-1);
		}
		if ((fd = st_os_create_excl(path)) >= 0) {
			*np = n;
			return (fd);
		}
		if ((ds->ds_err = st_os_errno()) != EEXIST)
			return (-1);
	}
	return (-1);
}

/* The panicking thread's stack pointer. */
static uintptr_t
dump_sp(const dump_state_t *ds)
{
	return (st_os_uc_sp(ds->ds_uc));
}

static int
dump_covers(const dump_map_t *m, uintptr_t addr)
{
	return (addr >= m->dm_start && addr < m->dm_end);
}

/*
 * The order memory is written in, so that a dump cut short by a full disk
 * still has what matters most: 0, the panicking thread's stack; 1, the
 * modules' data, the allocator's root (st_root, the message buffer) and
 * the other stacks; 2, everything else.
 */
static int
dump_rank(const dump_state_t *ds, const dump_map_t *m)
{
	if (dump_covers(m, dump_sp(ds)))
		return (0);
	if ((m->dm_flags & (DM_FILE | DM_VDSO | DM_STACK)) ||
	    dump_covers(m, (uintptr_t)&st_root) ||
	    dump_covers(m, (uintptr_t)st_msgbuf.mb_base))
		return (1);
	return (2);
}

#define DUMP_NRANKS     3

/*
 * How much of a mapping goes in the file: private anonymous memory up to
 * its last page ever touched (pagemap, read backwards from the end), so
 * that a large reservation the program has barely used, such as the
 * allocator's heap, costs nothing even in the file's size; the rest is
 * memory past p_filesz, which readers see as not in the dump.  The rest of
 * the mappings whole.
 */
static uint64_t
dump_used_len(dump_state_t *ds, const dump_map_t *m)
{
	uint64_t pg = ds->ds_pagesize, len = m->dm_end - m->dm_start;
	uint64_t npages = len / pg, hi = npages;

	if ((m->dm_flags & (DM_ANON | DM_SHARED | DM_SMAPS | DM_INUSE)) ==
	    (DM_ANON | DM_SMAPS))
		return (0);                     /* never touched */
	if ((m->dm_flags & (DM_ANON | DM_SHARED)) != DM_ANON ||
	    ds->ds_pmfd < 0)
		return (len);
	while (hi > 0) {
		uint64_t lo = hi > DUMP_PMBATCH ? hi - DUMP_PMBATCH : 0, i;
		long got = st_os_pread(ds->ds_pmfd, dump_pm, (hi - lo) * 8,
		    (m->dm_start / pg + lo) * 8);

		if (got != (long)((hi - lo) * 8))
			return (len);           /* cannot tell: all of it */
		for (i = hi - lo; i > 0; i--)
			if (DUMP_PM_INUSE(dump_pm[i - 1]))
				return ((lo + i) * pg);
		hi = lo;
	}
	return (0);
}

/* Give each included mapping its file offset, in rank order; the end. */
static uint64_t
dump_layout(dump_state_t *ds, uint64_t dataoff)
{
	uint64_t off = dataoff;
	uint32_t i;
	int rank;

	for (rank = 0; rank < DUMP_NRANKS; rank++) {
		for (i = 0; i < ds->ds_nmaps; i++) {
			dump_map_t *m = &ds->ds_maps[i];

			if (!(m->dm_flags & DM_INCLUDE) ||
			    dump_rank(ds, m) != rank)
				continue;
			m->dm_fileoff = off;
			m->dm_len = dump_used_len(ds, m);
			off += m->dm_len;
		}
	}
	for (i = 0; i < ds->ds_nmaps; i++)     /* the left out: at the end */
		if (!(ds->ds_maps[i].dm_flags & DM_INCLUDE))
			ds->ds_maps[i].dm_fileoff = off;
	return (off);
}

/* A mapping's PT_LOAD, with only the bytes below end in the file. */
static int
dump_put_phdr(dump_state_t *ds, const dump_map_t *m, uint64_t end)
{
	Elf64_Phdr ph;

	memset(&ph, 0, sizeof (ph));
	ph.p_type = PT_LOAD;
	ph.p_flags = m->dm_flags & DM_PERMS;
	ph.p_offset = m->dm_fileoff;
	ph.p_vaddr = m->dm_start;
	ph.p_memsz = m->dm_end - m->dm_start;
	if ((m->dm_flags & DM_INCLUDE) && end > m->dm_fileoff)
		ph.p_filesz = ST_MIN(m->dm_len, end - m->dm_fileoff);
	else if (ph.p_offset > end)
		ph.p_offset = end;      /* nothing in the file: not past it */
	ph.p_align = ds->ds_pagesize;
	return (dump_put(ds, &ph, sizeof (ph)));
}

static int
dump_put_ehdr(dump_state_t *ds, uint64_t phnum)
{
	Elf64_Ehdr eh;

	memset(&eh, 0, sizeof (eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	eh.e_ident[EI_DATA] = ELFDATA2MSB;
#else
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
#endif
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = DUMP_MACHINE;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof (eh);
	eh.e_ehsize = sizeof (eh);
	eh.e_phentsize = sizeof (Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)phnum;
	return (dump_put(ds, &eh, sizeof (eh)));
}

/*
 * The notes: every stopped thread's registers, the panicking thread's
 * first (dump_threads[0]: gdb takes the first as the current thread),
 * then the process's.
 */
static int
dump_put_notes(dump_state_t *ds, long auxvlen, long cmdlen)
{
	uint32_t i;

	for (i = 0; i < dump_nthreads; i++)
		if (dump_has_regs(&dump_threads[i]) &&
		    dump_note_thread(ds, &dump_threads[i]) != 0)
			return (-1);
	if (dump_note_prpsinfo(ds, cmdlen) != 0)
		return (-1);
	if (auxvlen > 0 && dump_note(ds, "CORE", NT_AUXV, dump_auxv,
	    (uint64_t)auxvlen) != 0)
		return (-1);
	if (dump_note_file(ds) != 0 || dump_note(ds, ST_NOTE_NAME,
	    NT_SLABTRACE, &dump_stnote, sizeof (dump_stnote)) != 0)
		return (-1);
	return (0);
}

static uint64_t
dump_notes_size(const dump_state_t *ds, long auxvlen)
{
	uint64_t threads = 0;
	uint32_t i;

	for (i = 0; i < dump_nthreads; i++)
		if (dump_has_regs(&dump_threads[i]))
			threads += dump_thread_notes_size(&dump_threads[i]);
	return (threads +
	    dump_note_size("CORE", sizeof (struct elf_prpsinfo)) +
	    (auxvlen > 0 ? dump_note_size("CORE", (uint64_t)auxvlen) : 0) +
	    dump_note_size("CORE", dump_file_descsz(ds)) +
	    dump_note_size(ST_NOTE_NAME, sizeof (st_dump_note_t)));
}

/* The memory of the mappings of one rank, at their offsets. */
static int
dump_put_memory(dump_state_t *ds, int rank)
{
	uint32_t i;

	for (i = 0; i < ds->ds_nmaps; i++) {
		const dump_map_t *m = &ds->ds_maps[i];
		uint64_t len = m->dm_len;
		int rc;

		if (!(m->dm_flags & DM_INCLUDE) || dump_rank(ds, m) != rank)
			continue;
		if (ds->ds_off != m->dm_fileoff && dump_skip(ds,
		    m->dm_fileoff - ds->ds_off) != 0)
			return (-1);
		if ((m->dm_flags & (DM_ANON | DM_SHARED | DM_SMAPS |
		    DM_INUSE)) == (DM_ANON | DM_SMAPS))
			rc = dump_skip(ds, len);        /* never touched */
		else if ((m->dm_flags & (DM_ANON | DM_SHARED)) == DM_ANON)
			rc = dump_write_anon(ds, m->dm_start, len);
		else
			rc = dump_write_mem(ds, m->dm_start, len);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

/*
 * After a failed write: rewrite the program headers so that the file
 * claims only the memory that made it (ds_end).  Rewriting blocks already
 * written needs no new space.  Best effort: a failure changes nothing.
 */
static void
dump_repair(dump_state_t *ds)
{
	uint64_t end = ds->ds_end;
	uint32_t i;

	ds->ds_buflen = 0;
	ds->ds_off = sizeof (Elf64_Ehdr) + sizeof (Elf64_Phdr);
	if (st_os_lseek(ds->ds_fd, (int64_t)ds->ds_off, SEEK_SET) < 0)
		return;
	for (i = 0; i < ds->ds_nmaps; i++)
		if (dump_put_phdr(ds, &ds->ds_maps[i], end) != 0)
			return;
	(void) dump_flush(ds);
	ds->ds_end = end;
}

/* Headers, notes, memory.  0, or -1 with ds_err. */
static int
dump_write_file(dump_state_t *ds, long auxvlen, long cmdlen)
{
	uint64_t phnum = 1 + (uint64_t)ds->ds_nmaps, notesz, dataoff, end;
	Elf64_Phdr ph;
	uint32_t i;
	int rank;

	notesz = dump_notes_size(ds, auxvlen);
	dataoff = ST_P2ROUNDUP(sizeof (Elf64_Ehdr) + phnum * sizeof (ph) +
	    notesz, ds->ds_pagesize);
	end = dump_layout(ds, dataoff);

	if (dump_put_ehdr(ds, phnum) != 0)
		return (-1);
	memset(&ph, 0, sizeof (ph));
	ph.p_type = PT_NOTE;
	ph.p_offset = sizeof (Elf64_Ehdr) + phnum * sizeof (ph);
	ph.p_filesz = notesz;
	ph.p_align = 4;
	if (dump_put(ds, &ph, sizeof (ph)) != 0)
		return (-1);
	for (i = 0; i < ds->ds_nmaps; i++)
		if (dump_put_phdr(ds, &ds->ds_maps[i], UINT64_MAX) != 0)
			return (-1);
	if (dump_put_notes(ds, auxvlen, cmdlen) != 0 ||
	    dump_put_zeros(ds, dataoff - ds->ds_off) != 0 ||
	    dump_flush(ds) != 0)
		return (-1);
	ds->ds_notes_end = ds->ds_off;

	for (rank = 0; rank < DUMP_NRANKS; rank++) {
		if (dump_put_memory(ds, rank) != 0) {
			dump_repair(ds);
			return (-1);
		}
	}
	/* A file that ends in a hole needs its last byte written. */
	if (ds->ds_end < end && (st_os_lseek(ds->ds_fd, (int64_t)end - 1,
	    SEEK_SET) < 0 || st_os_write_all(ds->ds_fd, dump_zeros, 1) != 1)) {
		ds->ds_err = st_os_errno();
		dump_repair(ds);
		return (-1);
	}
	ds->ds_off = ds->ds_end = end;
	return (0);
}

/*
 * Take the dump lock: 0, or -1 if this thread already holds it.  While
 * another thread dumps, a panic with its own context (a signal's, uc)
 * leaves it in dump_waiters, so that it is in that dump (section 7).
 */
static int
dump_lock(uint64_t tid, const void *uc, int signo)
{
	dump_thread_t *w = NULL;
	int rc = 0;

	for (;;) {
		uint64_t owner = 0;

		if (__atomic_compare_exchange_n(&dump_owner, &owner, tid, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		if (owner == tid) {
			rc = -1;
			break;
		}
		if (w == NULL && uc != NULL)
			w = dump_waiter_enter(tid, uc, signo);
		/* Another thread is dumping: wait for it, unless it is gone. */
		if (!dump_thread_alive(owner))
			(void) __atomic_compare_exchange_n(&dump_owner, &owner,
			    0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		else
			st_os_sleep_ns(DUMP_WAIT_NS);
	}
	if (w != NULL)
		dump_waiter_leave(w);
	return (rc);
}

static int
dump_run(dump_state_t *ds, const char *dir)
{
	char path[ST_DUMP_STRLEN + 32], mb[24], eb[32];
	long auxvlen, cmdlen;
	sigset_t oldmask;
	int64_t disk;
	int n = -1, rc;

	if (dump_build_table(ds) != 0) {
		dump_fail(dir, ds->ds_smaps ? "cannot read /proc/self/smaps" :
		    "cannot read /proc/self/maps", ds->ds_err);
		return (-1);
	}
	auxvlen = dump_read_file("/proc/self/auxv", dump_auxv,
	    sizeof (dump_auxv));
	cmdlen = dump_read_file("/proc/self/cmdline", dump_cmdline,
	    sizeof (dump_cmdline));
	dump_fill_note(ds, cmdlen);

	if ((ds->ds_fd = dump_create(ds, dir, path, sizeof (path), &n)) < 0) {
		if (ds->ds_err == EEXIST)
			st_msg("cannot write dump to %s: vmcore.0 "
			    "to vmcore.%d all exist\n", dir, DUMP_MAXNUM - 1);
		else
			dump_fail(dir, NULL, ds->ds_err);
		return (-1);
	}
	st_msg("dumping to %s, content: %s", path,
	    ds->ds_content == ST_DUMP_HEAP ? "heap" : "all");
	if (ds->ds_allmaps > ds->ds_nmaps)
		st_msg(" (%u of %u mappings)", ds->ds_nmaps, ds->ds_allmaps);
	ds->ds_pmfd = st_os_open_read("/proc/self/pagemap");

	dump_block_xfsz(&oldmask);
	rc = dump_write_file(ds, auxvlen, cmdlen);
	dump_unblock_xfsz(&oldmask);
	if (ds->ds_pmfd >= 0)
		st_os_close(ds->ds_pmfd);
	disk = st_os_file_disk(ds->ds_fd);
	st_os_close(ds->ds_fd);

	if (rc == 0) {
		/* What it costs on disk: untouched memory is holes. */
		dump_size(mb, sizeof (mb), disk >= 0 ? (uint64_t)disk :
		    ds->ds_off);
		st_msg(", done (%s on disk", mb);
		if (disk >= 0 && (uint64_t)disk + (1UL << 20) < ds->ds_off) {
			dump_size(mb, sizeof (mb), ds->ds_off);
			st_msg(", a sparse file of %s", mb);
		}
		if (ds->ds_holes != 0)
			st_msg(", %lu unreadable pages left out",
			    (unsigned long)ds->ds_holes);
		st_msg(")\n");
		st_msg("read it with: gdb %s %s\n", dump_stnote.sn_program,
		    path);
		st_report_dump(path);
		return (n);
	}
	dump_size(mb, sizeof (mb), ds->ds_end);
	st_msg(", failed\n");
	if (ds->ds_notes_end != 0 && ds->ds_end >= ds->ds_notes_end) {
		st_msg("cannot write dump to %s: %s (vmcore.%d "
		    "kept, truncated at %s)\n", dir,
		    dump_strerror(ds->ds_err, eb, sizeof (eb)), n, mb);
		return (-1);
	}
	dump_unlink(path);
	st_msg("cannot write dump to %s: %s (vmcore.%d "
	    "removed)\n", dir, dump_strerror(ds->ds_err, eb, sizeof (eb)), n);
	return (-1);
}

/*
 * Write vmcore.N for a panic; uc is the signal's ucontext_t (signo), one
 * the caller prepared, or NULL for the registers here.  The other threads
 * are stopped while it writes, and let go before it returns (section 6).
 * Returns N, or -1 after one line saying why not.
 */
int
st_dump_write(const char *panicmsg, const void *uc, int signo,
    uintptr_t fault_addr)
{
	dump_state_t *ds = &dump_state;
	uint64_t tid = st_os_thread_id();
	char dir[ST_DUMP_STRLEN + 4];
	int n = -1;

	dump_dirname(dir, sizeof (dir));
	/* A directory per process (%p) is made, the rest must exist. */
	if (strstr(st_opts.so_dumpdir, "%p") != NULL)
		(void) st_os_mkdir(dir);
#if !defined(DUMP_MACHINE)
	(void) panicmsg; (void) uc; (void) signo; (void) fault_addr;
	(void) tid; (void) ds; (void) n;
	st_msg("cannot write dump to %s: not supported on this "
	    "machine\n", dir);
	return (-1);
#else
	if (dump_lock(tid, signo != 0 ? uc : NULL, signo) != 0) {
		st_msg("cannot write dump to %s: a dump of this "
		    "thread is already in progress\n", dir);
		return (-1);
	}
	memset(ds, 0, sizeof (*ds));
	/*
	 * The panic's time is when its report began (st_report_now), not
	 * now: symbolizing the report's stacks takes up to a few tenths of
	 * a second, and ::kmalog's T- times must match the report's.
	 */
	ds->ds_mono = st_report_now();
	ds->ds_time = st_os_realtime_ns() - (st_os_now_ns() - ds->ds_mono);
	if (uc == NULL) {
		/*
		 * Our own registers, here, so that the frame they describe
		 * (this one) stays live while the stack is written.
		 */
		memset(&dump_uc, 0, sizeof (dump_uc));
		(void) getcontext(&dump_uc);
		uc = &dump_uc;
	}
	ds->ds_uc = uc;
#if defined(__x86_64__)
	ds->ds_sp = (uintptr_t)ds->ds_uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	ds->ds_sp = (uintptr_t)ds->ds_uc->uc_mcontext.sp;
#else
	ds->ds_sp = (uintptr_t)__builtin_frame_address(0);
#endif
	ds->ds_signo = signo;
	ds->ds_fault = fault_addr;
	ds->ds_panic = panicmsg;
	ds->ds_content = st_opts.so_dump_content == ST_DUMP_HEAP ?
	    ST_DUMP_HEAP : ST_DUMP_ALL;
	ds->ds_pagesize = st_os_pagesize();
	ds->ds_fd = ds->ds_pmfd = -1;

	dump_park(ds);
	n = dump_run(ds, dir);

	if (ds->ds_scratch != NULL)
		st_os_unmap_scratch(ds->ds_scratch, ds->ds_scratchsize);
	dump_unpark(ds);
	__atomic_store_n(&dump_owner, 0, __ATOMIC_RELEASE);
	return (n);
#endif
}

/*
 * A fatal signal in a thread while a panic is under way (fault.c): wait,
 * with the signal's context in dump_waiters (section 7), for the panic's
 * dump, so that it has this thread's registers at its fault and the
 * process is not killed under it.  Returns (the caller dies by its
 * signal) at once in the thread that dumps, when no dump has begun within
 * DUMP_HOLD_NS (the panicking thread faulted in its own report), or when
 * the dump is written and the panicking thread has not ended the process
 * within DUMP_HOLD_AFTER_NS.
 */
void
st_dump_hold(const void *uc, int signo)
{
#if defined(DUMP_MACHINE)
	uint64_t me = st_os_thread_id(), t0 = st_os_now_ns(), done = 0;
	dump_thread_t *w = NULL;
	int seen = 0;

	for (;;) {
		uint64_t owner = __atomic_load_n(&dump_owner,
		    __ATOMIC_ACQUIRE), now = st_os_now_ns();

		if (owner == me)
			break;
		if (owner != 0)
			seen = 1;
		else if (seen && done == 0)
			done = now;
		if ((done != 0 && now - done >= DUMP_HOLD_AFTER_NS) ||
		    (!seen && now - t0 >= DUMP_HOLD_NS))
			break;
		if (w == NULL && done == 0)
			w = dump_waiter_enter(me, uc, signo);
		st_os_sleep_ns(DUMP_HOLD_POLL_NS);
	}
	if (w != NULL)
		dump_waiter_leave(w);
#else
	(void) uc;
	(void) signo;
#endif
}

/* ------------------------------------------------------------------------
 * Stopping the world for a scan of the heap (leakcheck.c): section 6's
 * stopping, without a dump.  The dump lock is held from st_world_park to
 * st_world_unpark, so that a panic meanwhile waits for the scan.
 */

/*
 * Stop every other thread.  The number of threads in the table (the
 * caller is thread 0), or -1 when this thread is writing a dump.
 */
int
st_world_park(void)
{
	dump_state_t *ds = &dump_state;

	if (dump_lock(st_os_thread_id(), NULL, 0) != 0)
		return (-1);
	memset(ds, 0, sizeof (*ds));
	ds->ds_scan = 1;
	ds->ds_fd = ds->ds_pmfd = -1;
	dump_park(ds);
	return ((int)dump_nthreads);
}

/*
 * Thread i of the stopping: its id, and its registers (a ucontext_t) if
 * it stopped, or NULL (thread 0, the caller; or one that did not stop:
 * *stoppedp says which, 1 stopped, 0 gone, -1 did not stop).
 */
const void *
st_world_thread(uint32_t i, uint32_t *tidp, int *stoppedp)
{
	const dump_thread_t *dt;
	uint32_t s;

	if (i >= dump_nthreads || i >= DUMP_MAXTHREADS)
		return (NULL);
	dt = &dump_threads[i];
	s = DT_STATE(__atomic_load_n(&dt->dt_state, __ATOMIC_ACQUIRE));
	*tidp = dt->dt_tid;
	*stoppedp = s == DT_SELF || dump_has_regs(dt) ? 1 : s == DT_GONE ?
	    0 : -1;
	return (s != DT_SELF && dump_has_regs(dt) ? dt->dt_uc : NULL);
}

/* Threads of the program that did not stop (not our sweep thread). */
uint32_t
st_world_unstopped(void)
{
	return (dump_state.ds_nunstopped - dump_state.ds_nours);
}

void
st_world_unpark(void)
{
	dump_unpark(&dump_state);
	__atomic_store_n(&dump_owner, 0, __ATOMIC_RELEASE);
}
