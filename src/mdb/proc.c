/*
 * proc.c: the debugger's second kind of target, a live process, for
 * `slabtrace mdb -p PID`.  The commands read it through the same mdb_tgt_t
 * as a dump (target.c): memory by address, the mappings and the files
 * mapped, the threads and their registers, and a note (st_dump_note_t)
 * made up here as dump.c would have written it.
 *
 * 1. Memory.  Read with process_vm_readv(2), one mapping at a time, so
 *    that a read running off a mapping stops there and says why, as a
 *    dump's does: MDB_ENOMAP where /proc/PID/maps has nothing,
 *    MDB_ENOREAD where the mapping is not readable (a PROT_NONE guard),
 *    ESRCH once the process has gone.  When the kernel has no
 *    process_vm_readv (ENOSYS) or a seccomp filter refuses it (EPERM once
 *    a first read worked), /proc/PID/mem opened read-only, with pread(2);
 *    SLABTRACE_MDB_PROCMEM=1 asks for that path from the start (the
 *    tests take both).  The target is never written: nothing here opens
 *    it for writing, and the only ptrace requests are SEIZE, INTERRUPT,
 *    GETREGSET and DETACH.
 *
 * 2. Mappings.  /proc/PID/maps gives t_segs (every mapping with its
 *    permissions) and t_files (the file-backed ones, as NT_FILE gives
 *    them for a dump: kmlog.c tells the allocator's frames by the file
 *    holding them).  The process maps and unmaps as it runs: the tables
 *    are read again at each command's start and when a read misses them
 *    (once more per command); when the files mapped changed (dlopen),
 *    libdwfl is given the modules again.  The tables replaced stay
 *    allocated until the command ends: a command may hold a pointer into
 *    them.
 *
 * 3. Threads and registers.  /proc/PID/task lists the threads.  Their
 *    registers need a thread that stands still, so a command that wants
 *    them ($c, $r, ::stack, ::regs, ::threads) calls mdb_tgt_getregs(),
 *    which stops every thread: PTRACE_SEIZE, PTRACE_INTERRUPT, a wait
 *    (waitpid __WALL, polled) of at most PROC_STOP_MS for each to stop,
 *    then NT_PRSTATUS with PTRACE_GETREGSET.  They stay stopped until the
 *    command ends (the unwinder reads their stacks), then PTRACE_DETACH:
 *    a stop lasts one command, a few milliseconds.  The threads are
 *    listed again until the list stands still, so one created during the
 *    stop is caught.  A thread that does not stop in time (in an
 *    uninterruptible sleep) has no registers, as in a dump, and is
 *    detached when it does stop, at the end of a later command or at
 *    exit.  A signal that arrives at a stopped thread is held by ptrace
 *    and handed back by PTRACE_DETACH.  Between commands t_threads is
 *    empty: no command sees registers older than itself.
 *
 *    Why SEIZE and not ATTACH: PTRACE_ATTACH sends SIGSTOP, a job-control
 *    stop of the whole process; a debugger that dies before it detaches
 *    leaves the process stopped ('T') until someone sends SIGCONT.  A
 *    seized thread stopped by PTRACE_INTERRUPT is in a ptrace stop only,
 *    and when its tracer exits, however it exits (SIGKILL included), the
 *    kernel detaches it and it runs on.  SIGINT, SIGTERM, SIGHUP and
 *    SIGQUIT are caught while threads are stopped, to detach them with
 *    the signals they hold before the debugger dies; SIGKILL cannot be
 *    caught, and then a signal that arrived during the stop is lost (as
 *    with gdb).  A process already stopped ('T') stays stopped.  When
 *    ptrace is refused (another tracer: gdb, strace; yama's ptrace_scope)
 *    the register commands say so in one line and the others go on.
 *
 * 4. Consistency.  By default the memory is read while the process runs,
 *    as drgn reads a live process: the allocator moves under the reads,
 *    so a list may be torn, or change between two reads.  The commands
 *    are written for that already (they are for a damaged dump): every
 *    count and list is bounded, every record checked before it is
 *    believed (kmlog.c, section 3).  For a consistent view, which mdb
 *    gets by stopping its target, -S stops the process for each command,
 *    from its start to its end, and ::stop holds it stopped across
 *    commands until ::release (or until the debugger exits).  A stop at
 *    an arbitrary moment can catch a thread half way through malloc (a
 *    buffer patterned, its bufctl not yet written), which ::kmem_verify
 *    would call corrupt: these stops are made at safe points instead
 *    (proc_settle: a thread stopped inside the allocator and not blocked
 *    in a system call is let run a moment and stopped again, for at most
 *    PROC_SAFE_MS; what cannot be settled is said in one line).  The
 *    register commands' own stop does not wait for that.  A list that
 *    the running process changes as it is read (a slab list, an arena's
 *    segments) is read again, and after a few tries the process is
 *    stopped so for the rest of the command (mdb_tgt_hold_still, said in
 *    one line; kmem.c, section 6), rather than called corrupt.
 *
 * 5. The allocator.  A dump's note says where st_root is; here it is
 *    looked up: the symbol st_root (hidden, so in .symtab and not in
 *    .dynsym; libdwfl finds it in libslabtrace.so, in a program linked
 *    with libslabtrace.a, or in a separate debug file), believed once its
 *    magic is read there.  When the symbol is gone (a stripped library),
 *    the writable data of every module, its .data and its .bss (the
 *    anonymous mapping right after), is searched for ST_ROOT_MAGIC, at
 *    most PROC_SCANMAX bytes.  The note is then made up: pid,
 *    /proc/PID/exe, the command line, uname, the root's kmem flags, no
 *    panic, and "now" as the time at each command's start (kmlog.c's
 *    T-SEC.NSEC then count back from there).
 *
 * 6. What can go wrong: no such process, a zombie, a kernel thread, a
 *    process not under slabtrace (or whose allocator has not started),
 *    memory that cannot be read (permissions): one line each and status
 *    1 at open; later, the process exits: every read says so.
 *
 * 7. Snapshots (mdb_proc_snapshot, for ::findleaks).  A scan must see a
 *    heap that holds still, for seconds on a big heap, and the program
 *    should not stop for that long.  A library with leaksignal=SIG
 *    (st_root's sr_leak_snap says which signal, ss_signal) forks on
 *    request (leakcheck.c, section 7): we send SIG by sigqueue with
 *    ST_SNAP_REQUEST (a signal is not a write to the target), poll
 *    sr_leak_snap until ss_seq moves with ss_for our pid, at most
 *    PROC_SNAP_MS, check that the child's parent is the target, and until
 *    the command ends read the child instead (ps_read_pid: its memory is
 *    the heap at the fork, its maps the target's then) with the threads
 *    of the table the library copied before the fork (their registers
 *    from their parked contexts; their stacks are in the child, which
 *    fork copied whole).  When the command ends, SIGKILL to the child;
 *    the library reaps it (it is the parent).  If we die first, the child
 *    sees it (a pidfd on us) and exits.  No snapshot (an older library,
 *    no leaksignal=, the process stopped by -S or ::stop, no answer in
 *    time): the caller says so in one line and stops the process instead.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mdb.h"

#define	PROC_STOP_MS	2000		/* for a thread to stop */
#define	PROC_SAFE_MS	500		/* to stop them outside the allocator */
#define	PROC_SAFE_TRIES	32		/* ... and at least this many tries */
#define	PROC_SAFE_NAP_NS 50000		/* a resumed thread runs this long, */
#define	PROC_SAFE_NAP_MAX 2000000	/* doubling to this */
#if defined(__x86_64__)
#define	PROC_REG_PC	16		/* user_regs_struct.rip */
#else
#define	PROC_REG_PC	32		/* user_pt_regs.pc */
#endif
#define	PROC_MAXPASSES	64		/* listings until no new thread */
#define	PROC_MAXLWPS	(1U << 16)	/* threads we stop */
#define	PROC_SCANMAX	(256ULL << 20)	/* bytes searched for st_root */
#define	PROC_SCANCHUNK	(64U << 10)
#define	PROC_MAPSMAX	(64U << 20)	/* bytes of /proc/PID/maps */
#define	PROC_SNAP_MS	5000		/* for a snapshot's answer */

typedef enum proc_lwp_state {
	PL_SEIZED,			/* interrupt asked, not stopped yet */
	PL_STOPPED,			/* in a ptrace stop: registers */
	PL_GONE				/* exited, or detached */
} proc_lwp_state_t;

typedef struct proc_lwp {
	pid_t pl_tid;
	proc_lwp_state_t pl_state;
	int pl_sig;			/* the signal of its stop, or 0 */
	uint64_t pl_held;		/* signals held for it (bit sig-1) */
	bool pl_group;			/* stopped by SIGSTOP & co., not us */
} proc_lwp_t;

/* Tables replaced during a command, freed when it ends. */
typedef struct proc_old {
	struct proc_old *po_next;
	void *po_segs, *po_files, *po_text;
} proc_old_t;

typedef struct proc_state {
	pid_t ps_pid;
	pid_t ps_read_pid;		/* read this one: ps_pid, or ps_snap */
	pid_t ps_snap;			/* a snapshot's child (section 7) */
	mdb_snap_t ps_snapinfo;		/* ... what it is */
	st_snap_thread_t *ps_snapthreads; /* ... its table, copied */
	int ps_memfd;			/* /proc/PID/mem, or -1 */
	bool ps_use_mem;		/* read through ps_memfd */
	bool ps_stop_each;		/* -S */
	bool ps_hold;			/* ::stop until ::release */
	bool ps_stopped;		/* the threads are stopped now */
	bool ps_maps_fresh;		/* maps read during this command */
	uint64_t ps_files_hash;		/* t_files when symbols were read */
	char *ps_maps_text;		/* /proc/PID/maps; t_files' names */
	proc_old_t *ps_old;
	proc_lwp_t *ps_lwps;
	size_t ps_nlwps;
} proc_state_t;

static ssize_t proc_read(mdb_tgt_t *, uint64_t, void *, size_t);
static void proc_close(mdb_tgt_t *);
static int proc_begin(mdb_tgt_t *);
static void proc_end(mdb_tgt_t *);
static int proc_getregs(mdb_tgt_t *);

static const mdb_tgt_ops_t proc_ops = {
	.to_name = "proc",
	.to_read = proc_read,
	.to_close = proc_close,
	.to_begin = proc_begin,
	.to_end = proc_end,
	.to_getregs = proc_getregs,
};

/* The signal handler's view of the stopped threads (section 3). */
static proc_lwp_t *volatile proc_sig_lwps;
static volatile size_t proc_sig_nlwps;
static volatile pid_t proc_sig_pid;
static bool proc_sig_installed;

/* A small /proc file, NUL-terminated; its length or -1. */
static ssize_t
proc_slurp(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	(void) snprintf(path, sizeof (path), "/proc/%d/%s", (int)pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while ((size_t)got + 1 < len &&
	    (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	(void) close(fd);
	buf[got] = '\0';
	return (got);
}

/* The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), or 0. */
static char
proc_state_char(pid_t pid)
{
	char buf[1024], *rp;

	if (proc_slurp(pid, "stat", buf, sizeof (buf)) <= 0 ||
	    (rp = strrchr(buf, ')')) == NULL || rp[1] != ' ')
		return (0);
	return (rp[2]);
}

static uint64_t
proc_now(clockid_t clock)
{
	struct timespec ts;

	(void) clock_gettime(clock, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* ------------------------------------------------------------------------
 * Mappings (section 2).
 */

static void
proc_retire(proc_state_t *ps, mdb_tgt_t *t)
{
	proc_old_t *po = calloc(1, sizeof (*po));

	if (po == NULL) {
		/* Cannot keep them for the command: keep them for good. */
		return;
	}
	po->po_segs = t->t_segs;
	po->po_files = t->t_files;
	po->po_text = ps->ps_maps_text;
	po->po_next = ps->ps_old;
	ps->ps_old = po;
}

static void
proc_free_old(proc_state_t *ps)
{
	while (ps->ps_old != NULL) {
		proc_old_t *po = ps->ps_old;

		ps->ps_old = po->po_next;
		free(po->po_segs);
		free(po->po_files);
		free(po->po_text);
		free(po);
	}
}

/* /proc/PID/maps whole, NUL-terminated, or NULL. */
static char *
proc_maps_read(pid_t pid)
{
	char path[64], *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n = 0;
	int fd;

	(void) snprintf(path, sizeof (path), "/proc/%d/maps", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	for (;;) {
		if (cap - len < 4096) {
			char *nb;

			if (cap >= PROC_MAPSMAX ||
			    (nb = realloc(buf, cap + 65536)) == NULL)
				break;
			buf = nb;
			cap += 65536;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	if (len == 0 && n < 0) {
		/* Not allowed (another user's), or gone: errno says. */
		int e = errno;

		(void) close(fd);
		free(buf);
		errno = e;
		return (NULL);
	}
	(void) close(fd);
	if (buf != NULL)
		buf[len] = '\0';
	return (buf);
}

/* One line of maps into sg (and mf when file-backed); false: malformed. */
static bool
proc_maps_line(char *line, mdb_seg_t *sg, mdb_mapfile_t *mf, bool *filep)
{
	unsigned long long start, end, off;
	char perms[8];
	int pos = 0;
	char *path;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &start, &end, perms,
	    &off, &pos) < 4 || pos == 0 || end < start)
		return (false);
	(void) memset(sg, 0, sizeof (*sg));
	sg->sg_vaddr = start;
	sg->sg_memsz = end - start;
	sg->sg_flags = (perms[0] == 'r' ? PF_R : 0) |
	    (perms[1] == 'w' ? PF_W : 0) | (perms[2] == 'x' ? PF_X : 0);
	path = line + pos;
	*filep = path[0] == '/';
	if (*filep) {
		mf->mf_start = start;
		mf->mf_end = end;
		mf->mf_offset = off;
		mf->mf_name = path;
		mf->mf_fd = -2;
	}
	return (true);
}

/* Read the maps into t_segs and t_files; the old tables retired. */
static int
proc_maps_load(mdb_tgt_t *t, proc_state_t *ps)
{
	char *text = proc_maps_read(ps->ps_read_pid), *line, *nl;
	size_t nlines = 0, nsegs = 0, nfiles = 0;
	mdb_seg_t *segs;
	mdb_mapfile_t *files;

	if (text == NULL)
		return (-1);
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
		nlines++;
	segs = calloc(nlines + 1, sizeof (*segs));
	files = calloc(nlines + 1, sizeof (*files));
	if (segs == NULL || files == NULL) {
		free(segs);
		free(files);
		free(text);
		return (-1);
	}
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		bool file = false;

		*nl = '\0';
		if (proc_maps_line(line, &segs[nsegs], &files[nfiles], &file)) {
			nsegs++;
			nfiles += file;
		}
	}
	if (t->t_segs != NULL || ps->ps_maps_text != NULL)
		proc_retire(ps, t);
	t->t_segs = segs;
	t->t_nsegs = nsegs;
	t->t_files = files;
	t->t_nfiles = nfiles;
	ps->ps_maps_text = text;
	ps->ps_maps_fresh = true;
	return (0);
}

/* ------------------------------------------------------------------------
 * Memory (section 1).
 */

static ssize_t
proc_read_raw(proc_state_t *ps, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	char path[64];
	ssize_t n;

	if (!ps->ps_use_mem) {
		n = process_vm_readv(ps->ps_read_pid, &local, 1, &remote, 1,
		    0);
		if (n >= 0 || (errno != ENOSYS && errno != EPERM))
			return (n);
		ps->ps_use_mem = true;
	}
	if (ps->ps_memfd < 0) {
		(void) snprintf(path, sizeof (path), "/proc/%d/mem",
		    (int)ps->ps_read_pid);
		if ((ps->ps_memfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return (-1);
	}
	if (addr > INT64_MAX)
		return (-1);
	return (pread(ps->ps_memfd, buf, len, (off_t)addr));
}

/* One mapping's worth at addr. */
static ssize_t
proc_read_one(mdb_tgt_t *t, proc_state_t *ps, uint64_t addr, void *buf,
    size_t len)
{
	const mdb_seg_t *sg = mdb_tgt_seg(t, addr);
	ssize_t n;

	if (sg == NULL && !ps->ps_maps_fresh && proc_maps_load(t, ps) == 0)
		sg = mdb_tgt_seg(t, addr);
	if (sg == NULL) {
		errno = kill(ps->ps_read_pid, 0) != 0 && errno == ESRCH ?
		    ESRCH : MDB_ENOMAP;
		return (-1);
	}
	if (!(sg->sg_flags & PF_R)) {
		errno = MDB_ENOREAD;
		return (-1);
	}
	if (len > sg->sg_memsz - (addr - sg->sg_vaddr))
		len = (size_t)(sg->sg_memsz - (addr - sg->sg_vaddr));
	n = proc_read_raw(ps, addr, buf, len);
	if (n > 0)
		return (n);
	if (n < 0 && errno == ESRCH)
		return (-1);
	if (!ps->ps_maps_fresh) {
		/* The mapping may have gone since the maps were read. */
		if (proc_maps_load(t, ps) == 0)
			return (proc_read_one(t, ps, addr, buf, len));
	}
	errno = kill(ps->ps_read_pid, 0) != 0 && errno == ESRCH ? ESRCH :
	    MDB_ENOREAD;
	return (-1);
}

static ssize_t
proc_read(mdb_tgt_t *t, uint64_t addr, void *buf, size_t len)
{
	proc_state_t *ps = t->t_proc;
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (addr + done < addr)
			break;		/* wrapped */
		n = proc_read_one(t, ps, addr + done, (uint8_t *)buf + done,
		    len - done);
		if (n <= 0) {
			if (done == 0)
				return (-1);
			break;
		}
		done += (size_t)n;
	}
	return ((ssize_t)done);
}

/* ------------------------------------------------------------------------
 * Threads (section 3).
 */

static int
tid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x < y ? -1 : x > y);
}

/* The threads now, main thread first; NULL when none can be listed. */
static pid_t *
proc_tids(pid_t pid, size_t *np)
{
	char path[64];
	struct dirent *de;
	pid_t *tids = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	(void) snprintf(path, sizeof (path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return (NULL);
	while ((de = readdir(d)) != NULL && n < PROC_MAXLWPS) {
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		if (n == cap) {
			pid_t *nt = realloc(tids, (cap + 64) * sizeof (*nt));

			if (nt == NULL)
				break;
			tids = nt;
			cap += 64;
		}
		tids[n++] = (pid_t)tid;
	}
	(void) closedir(d);
	if (tids != NULL)
		qsort(tids, n, sizeof (*tids), tid_cmp);
	for (size_t i = 0; i < n; i++) {
		if (tids[i] == pid) {
			(void) memmove(&tids[1], &tids[0], i * sizeof (*tids));
			tids[0] = pid;
		}
	}
	*np = n;
	return (tids);
}

static proc_lwp_t *
proc_lwp_find(proc_state_t *ps, pid_t tid)
{
	size_t i;

	for (i = 0; i < ps->ps_nlwps; i++) {
		if (ps->ps_lwps[i].pl_tid == tid)
			return (&ps->ps_lwps[i]);
	}
	return (NULL);
}

/* Who traces pid already (TracerPid), or 0. */
static long
proc_tracer(pid_t pid)
{
	char buf[4096], *p;

	if (proc_slurp(pid, "status", buf, sizeof (buf)) <= 0 ||
	    (p = strstr(buf, "\nTracerPid:")) == NULL)
		return (0);
	return (strtol(p + 11, NULL, 10));
}

/* Why PTRACE_SEIZE failed: one line. */
static void
proc_refused(proc_state_t *ps, int err)
{
	long tracer = proc_tracer(ps->ps_pid);

	if (tracer != 0)
		mdb_warn("cannot stop process %d for its registers: it is "
		    "traced by process %ld already", (int)ps->ps_pid, tracer);
	else
		mdb_warn("cannot stop process %d for its registers: ptrace: "
		    "%s%s", (int)ps->ps_pid, strerror(err), err == EPERM ?
		    " (kernel.yama.ptrace_scope, or no CAP_SYS_PTRACE)" : "");
}

/* Seize and interrupt the threads not seized yet; how many, or -1. */
static int
proc_seize_new(proc_state_t *ps)
{
	size_t n, i;
	pid_t *tids = proc_tids(ps->ps_pid, &n);
	int added = 0;

	if (tids == NULL) {
		if (ps->ps_nlwps == 0)
			mdb_warn("cannot stop process %d: it has exited",
			    (int)ps->ps_pid);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		proc_lwp_t *pl;

		if (proc_lwp_find(ps, tids[i]) != NULL)
			continue;
		if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL) != 0) {
			if (errno == ESRCH)
				continue;	/* it exited */
			if (ps->ps_nlwps == 0) {
				proc_refused(ps, errno);
				free(tids);
				return (-1);
			}
			continue;
		}
		pl = &ps->ps_lwps[ps->ps_nlwps++];
		pl->pl_tid = tids[i];
		pl->pl_state = PL_SEIZED;
		pl->pl_sig = 0;
		pl->pl_held = 0;
		pl->pl_group = false;
		if (ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL) != 0)
			pl->pl_state = PL_GONE;
		added++;
		if (ps->ps_nlwps == PROC_MAXLWPS)
			break;
	}
	free(tids);
	return (added);
}

/* Has pl stopped (or gone)?  Never blocks. */
static void
proc_lwp_poll(proc_lwp_t *pl)
{
	int status;
	pid_t r = waitpid(pl->pl_tid, &status, __WALL | WNOHANG);

	if (r == 0)
		return;
	if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
		pl->pl_state = PL_GONE;
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	pl->pl_state = PL_STOPPED;
	/*
	 * status >> 16 is PTRACE_EVENT_STOP for our interrupt (SIGTRAP) or a
	 * group stop (SIGSTOP & co.): nothing to hand back; 0 for a signal on
	 * its way in, held until the thread is let go (proc_lwp_detach).
	 */
	pl->pl_sig = (status >> 16) == 0 ? WSTOPSIG(status) : 0;
	if (pl->pl_sig > 0 && pl->pl_sig <= 64)
		pl->pl_held |= 1ULL << (pl->pl_sig - 1);
	pl->pl_group = (status >> 16) == PTRACE_EVENT_STOP &&
	    WSTOPSIG(status) != SIGTRAP;
}

/* Wait, polling, until every seized thread stopped or the time is up. */
static void
proc_wait_stopped(proc_state_t *ps, uint64_t deadline)
{
	long nap = 20000;		/* ns, doubling to 1 ms */

	for (;;) {
		size_t i, waiting = 0;
		struct timespec ts;

		for (i = 0; i < ps->ps_nlwps; i++) {
			if (ps->ps_lwps[i].pl_state == PL_SEIZED)
				proc_lwp_poll(&ps->ps_lwps[i]);
			waiting += ps->ps_lwps[i].pl_state == PL_SEIZED;
		}
		if (waiting == 0 || proc_now(CLOCK_MONOTONIC) > deadline)
			return;
		ts.tv_sec = 0;
		ts.tv_nsec = nap;
		(void) nanosleep(&ts, NULL);
		if (nap < 1000000)
			nap *= 2;
	}
}

/*
 * Let a stopped thread go with the signals held for it: the one of its
 * stop (a signal-delivery stop) through DETACH, any other sent to it
 * again first (the settle loop resumes threads without their signals,
 * proc_settle).  Async-signal-safe.
 */
static void
proc_lwp_detach(pid_t pid, proc_lwp_t *pl)
{
	int sig;

	for (sig = 1; sig <= 64; sig++) {
		if ((pl->pl_held & (1ULL << (sig - 1))) != 0 &&
		    sig != pl->pl_sig)
			(void) syscall(SYS_tgkill, pid, pl->pl_tid, sig);
	}
	(void) ptrace(PTRACE_DETACH, pl->pl_tid, NULL,
	    (void *)(uintptr_t)pl->pl_sig);
	pl->pl_held = 0;
}

/* The handler's release: async-signal-safe (ptrace, signal, raise). */
static void
proc_sig_release(int sig)
{
	proc_lwp_t *lwps = proc_sig_lwps;
	size_t i, n = proc_sig_nlwps;

	for (i = 0; lwps != NULL && i < n; i++) {
		if (lwps[i].pl_state == PL_STOPPED)
			proc_lwp_detach(proc_sig_pid, &lwps[i]);
	}
	(void) signal(sig, SIG_DFL);
	(void) raise(sig);
}

static void
proc_sig_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old;
	size_t i;

	if (proc_sig_installed)
		return;
	proc_sig_installed = true;
	(void) memset(&sa, 0, sizeof (sa));
	sa.sa_handler = proc_sig_release;
	(void) sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++) {
		/* Only over the default: a handler someone set stays. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			(void) sigaction(sigs[i], &sa, NULL);
	}
}

static void proc_settle(mdb_tgt_t *, proc_state_t *);

/*
 * Stop every thread (section 3); -1 (said) when ptrace is refused.  safe:
 * and none half way through the allocator (section 4).
 */
static int
proc_stop(mdb_tgt_t *t, proc_state_t *ps, bool safe)
{
	uint64_t deadline;
	int pass, added;

	if (ps->ps_stopped)
		return (0);
	if (ps->ps_lwps == NULL &&
	    (ps->ps_lwps = calloc(PROC_MAXLWPS, sizeof (proc_lwp_t))) == NULL) {
		mdb_warn("out of memory");
		return (-1);
	}
	proc_sig_install();
	proc_sig_nlwps = 0;
	deadline = proc_now(CLOCK_MONOTONIC) + PROC_STOP_MS * 1000000ULL;
	for (pass = 0; pass < PROC_MAXPASSES; pass++) {
		if ((added = proc_seize_new(ps)) < 0 && ps->ps_nlwps == 0)
			return (-1);
		if (added <= 0)
			break;
		proc_wait_stopped(ps, deadline);
	}
	if (safe)
		proc_settle(t, ps);
	proc_sig_pid = ps->ps_pid;
	proc_sig_lwps = ps->ps_lwps;
	proc_sig_nlwps = ps->ps_nlwps;
	ps->ps_stopped = true;
	return (0);
}

/* Detach what stopped; keep what has not stopped yet for later. */
static void
proc_release(mdb_tgt_t *t, proc_state_t *ps)
{
	size_t i, kept = 0;

	proc_sig_nlwps = 0;
	for (i = 0; i < ps->ps_nlwps; i++) {
		proc_lwp_t *pl = &ps->ps_lwps[i];

		if (pl->pl_state == PL_SEIZED)
			proc_lwp_poll(pl);
		if (pl->pl_state == PL_STOPPED) {
			proc_lwp_detach(ps->ps_pid, pl);
			pl->pl_state = PL_GONE;
		}
		if (pl->pl_state == PL_SEIZED)
			ps->ps_lwps[kept++] = *pl;
	}
	ps->ps_nlwps = kept;
	ps->ps_stopped = false;
	t->t_nthreads = 0;
	t->t_note.sn_nunstopped = 0;
}

/* t_threads from the stopped threads, main first; the rest counted. */
static int
proc_fill_regs(mdb_tgt_t *t, proc_state_t *ps)
{
	mdb_thread_t *th;
	size_t i, n = 0, unstopped = 0;

	th = realloc(t->t_threads, (ps->ps_nlwps + 1) * sizeof (*th));
	if (th == NULL)
		return (-1);
	t->t_threads = th;
	for (i = 0; i < ps->ps_nlwps; i++) {
		proc_lwp_t *pl = &ps->ps_lwps[i];
		struct iovec iov;

		if (pl->pl_state != PL_STOPPED) {
			unstopped += pl->pl_state == PL_SEIZED;
			continue;
		}
		(void) memset(&th[n], 0, sizeof (th[n]));
		iov.iov_base = th[n].th_regs;
		iov.iov_len = sizeof (th[n].th_regs);
		if (ptrace(PTRACE_GETREGSET, pl->pl_tid,
		    (void *)(uintptr_t)NT_PRSTATUS, &iov) != 0) {
			unstopped++;
			continue;
		}
		th[n].th_tid = (uint32_t)pl->pl_tid;
		th[n].th_cursig = pl->pl_sig;
		th[n].th_nregs = (uint32_t)(iov.iov_len / 8);
		n++;
	}
	t->t_nthreads = n;
	t->t_note.sn_nthreads = (uint32_t)(n + unstopped);
	t->t_note.sn_nunstopped = (uint32_t)unstopped;
	return (n != 0 ? 0 : -1);
}

static int
proc_getregs(mdb_tgt_t *t)
{
	proc_state_t *ps = t->t_proc;

	if (ps->ps_snap != 0)
		return (t->t_nthreads != 0 ? 0 : -1);	/* the snapshot's */
	if (ps->ps_stopped && t->t_nthreads != 0)
		return (0);
	if (proc_stop(t, ps, false) != 0)
		return (-1);
	if (proc_fill_regs(t, ps) != 0) {
		mdb_warn("no registers: no thread of process %d stopped in "
		    "%d ms", (int)ps->ps_pid, PROC_STOP_MS);
		return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------------
 * Safe points (section 4).
 */

/*
 * The system calls a thread waits in: for a lock (futex), for time, for
 * input, for a child or a signal.  Another one (getpid, madvise, mmap)
 * returns at once, to the allocator's half-made change if it was in the
 * allocator (a free's buffer tagged free, its 0xdeadbeef not yet
 * written, while the clock took the pid: ::kmem_verify called it
 * corrupt once in 40 runs).
 */
static const long proc_waits[] = {
	SYS_futex, SYS_nanosleep, SYS_clock_nanosleep, SYS_read, SYS_readv,
	SYS_ppoll, SYS_pselect6, SYS_epoll_pwait, SYS_waitid, SYS_wait4,
	SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_recvfrom, SYS_recvmsg,
	SYS_accept4,
#ifdef SYS_poll
	SYS_poll, SYS_select, SYS_epoll_wait, SYS_pause, SYS_accept,
#endif
};

/* Is the stopped thread waiting in a system call (changing nothing)? */
static bool
proc_in_syscall(pid_t pid, pid_t tid)
{
	char what[64], buf[256], *end;
	size_t i;
	long nr;

	(void) snprintf(what, sizeof (what), "task/%d/syscall", (int)tid);
	if (proc_slurp(pid, what, buf, sizeof (buf)) <= 0)
		return (false);
	nr = strtol(buf, &end, 10);
	for (i = 0; end != buf && i < sizeof (proc_waits) /
	    sizeof (proc_waits[0]); i++)
		if (nr == proc_waits[i])
			return (true);
	return (false);
}

typedef struct proc_walk {
	mdb_tgt_t *pw_tgt;
	bool pw_inside;
} proc_walk_t;

static bool
proc_frame(void *arg, uint64_t pc, bool activation)
{
	proc_walk_t *pw = arg;
	uint64_t at = activation || pc == 0 ? pc : pc - 1;

	if (!mdb_pc_in_allocator(pw->pw_tgt, at))
		return (true);
	pw->pw_inside = true;
	return (false);
}

/* Does a frame of tid's stack run the allocator's code? */
static bool
proc_in_allocator(mdb_tgt_t *t, pid_t tid)
{
	const mdb_thread_t *th = mdb_tgt_thread(t, (uint32_t)tid);
	proc_walk_t pw = { t, false };
	char err[256];

	/* The pc first: most often the answer, without an unwind. */
	if (th != NULL && th->th_nregs > PROC_REG_PC &&
	    mdb_pc_in_allocator(t, th->th_regs[PROC_REG_PC]))
		return (true);
	(void) mdb_sym_stack(t, (uint32_t)tid, proc_frame, &pw, err,
	    sizeof (err));
	return (pw.pw_inside);
}

/* Resume the threads stopped half way through the allocator: how many. */
static size_t
proc_unsafe_resume(mdb_tgt_t *t, proc_state_t *ps, bool last)
{
	size_t i, n = 0;

	for (i = 0; i < ps->ps_nlwps; i++) {
		proc_lwp_t *pl = &ps->ps_lwps[i];

		if (pl->pl_state != PL_STOPPED || pl->pl_group ||
		    proc_in_syscall(ps->ps_pid, pl->pl_tid) ||
		    !proc_in_allocator(t, pl->pl_tid))
			continue;
		n++;
		/* Without its signal: held for proc_lwp_detach. */
		if (last || ptrace(PTRACE_CONT, pl->pl_tid, NULL, NULL) != 0)
			continue;
		pl->pl_sig = 0;
		pl->pl_state = PL_SEIZED;
	}
	return (n);
}

/* Stop again, after a nap, the threads resumed (and any still running). */
static void
proc_restop(proc_state_t *ps, long nap)
{
	struct timespec ts = { 0, nap };
	size_t i;

	(void) nanosleep(&ts, NULL);
	for (i = 0; i < ps->ps_nlwps; i++) {
		proc_lwp_t *pl = &ps->ps_lwps[i];

		/*
		 * Not a thread that stopped already (a signal came in): the
		 * interrupt would stay pending and stop it again, before it
		 * runs an instruction, each time it is resumed.
		 */
		if (pl->pl_state == PL_SEIZED)
			proc_lwp_poll(pl);
		if (pl->pl_state == PL_SEIZED)
			(void) ptrace(PTRACE_INTERRUPT, pl->pl_tid, NULL,
			    NULL);
	}
	proc_wait_stopped(ps, proc_now(CLOCK_MONOTONIC) +
	    PROC_STOP_MS * 1000000ULL);
}

/*
 * A thread stopped inside the allocator may be half way through a change
 * (a buffer patterned, its bufctl not yet written): let such threads run
 * on a moment and stop them again, until none is, for at most
 * PROC_SAFE_MS and PROC_SAFE_TRIES tries, whichever is longer.  Each try
 * catches a thread outside with the odds of the share of its time it
 * spends outside: a thread that allocates in a tight loop under
 * KMEM_FLAGS=0xf is inside nearly all the time and may not be caught, and
 * then one line says the view may be torn.  On a busy machine a resumed
 * thread may not get a processor within a short nap, so the nap doubles
 * from try to try, and there are at least PROC_SAFE_TRIES tries however
 * slow each is.  A thread resumed here that stops at once for a signal
 * coming in is not interrupted as well (proc_restop): the interrupt
 * stayed pending and stopped it again at its next resume, before it ran
 * an instruction, try after try (a SIGCHLD from tests/leaks/snapshot.c's
 * children; 1 scan in 40 was torn with both processors busy).  It is
 * resumed without the signal, which is held and sent again when it is
 * let go (proc_lwp_detach): its handler does not run on top of the
 * allocator's frames while the debugger looks, and a SIGSEGV given back
 * would kill the process under the debugger's eyes.  Under a stream of
 * signals (one every 2 ms) a traced thread stops for each before it runs
 * an instruction, and some scans stay torn; letting such threads go
 * (PTRACE_DETACH) and seizing them again settled them all, but once in a
 * few hundred scans ::findleaks then missed a thread's stack and called
 * its TLS block a leak, so it was not kept.  A thread blocked in a
 * system call there (sleeping, waiting for a lock) is left as it is: it
 * is changing nothing; one in a call that returns at once (getpid) is
 * not (proc_in_syscall).
 */
static void
proc_settle(mdb_tgt_t *t, proc_state_t *ps)
{
	uint64_t end = proc_now(CLOCK_MONOTONIC) + PROC_SAFE_MS * 1000000ULL;
	long nap = PROC_SAFE_NAP_NS;
	size_t n = 0, tries = 0;
	bool last = false;

	while (!last) {
		if (proc_fill_regs(t, ps) != 0)
			return;
		last = ++tries > PROC_SAFE_TRIES &&
		    proc_now(CLOCK_MONOTONIC) > end;
		if ((n = proc_unsafe_resume(t, ps, last)) == 0)
			break;
		if (!last) {
			proc_restop(ps, nap);
			nap = ST_MIN(2 * nap, PROC_SAFE_NAP_MAX);
		}
	}
	t->t_nthreads = 0;	/* mdb_tgt_getregs reads them again */
	if (n != 0)
		mdb_warn("%zu thread%s of process %d stopped inside the "
		    "allocator: what %s changing may look torn", n,
		    n == 1 ? "" : "s", (int)ps->ps_pid, n == 1 ? "it was" :
		    "they were");
}

/* ------------------------------------------------------------------------
 * Commands: begin and end (sections 3 and 4).
 */

/* A fingerprint of the files mapped: did the process (un)load one? */
static uint64_t
proc_files_hash(const mdb_tgt_t *t)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < t->t_nfiles; i++) {
		const mdb_mapfile_t *mf = &t->t_files[i];
		const char *c;

		h = (h ^ mf->mf_start) * 1099511628211ULL;
		h = (h ^ mf->mf_end) * 1099511628211ULL;
		for (c = mf->mf_name; *c != '\0'; c++)
			h = (h ^ (uint8_t)*c) * 1099511628211ULL;
	}
	return (h);
}

static int
proc_begin(mdb_tgt_t *t)
{
	proc_state_t *ps = t->t_proc;
	uint64_t h;

	/* The maps now, and the modules again if files came or went. */
	if (proc_maps_load(t, ps) == 0 &&
	    (h = proc_files_hash(t)) != ps->ps_files_hash) {
		mdb_sym_refresh(t);
		ps->ps_files_hash = h;
	}
	ps->ps_maps_fresh = false;
	t->t_note.sn_time = proc_now(CLOCK_REALTIME);
	t->t_note.sn_mono = proc_now(CLOCK_MONOTONIC);
	if ((ps->ps_stop_each || ps->ps_hold) && !ps->ps_stopped &&
	    proc_stop(t, ps, true) != 0 && ps->ps_stop_each)
		return (-1);
	return (0);
}

static void proc_snap_end(mdb_tgt_t *, proc_state_t *);

static void
proc_end(mdb_tgt_t *t)
{
	proc_state_t *ps = t->t_proc;

	proc_snap_end(t, ps);
	if (!ps->ps_hold && (ps->ps_stopped || ps->ps_nlwps != 0))
		proc_release(t, ps);
	proc_free_old(ps);
}

/* Does t change while it is read (section 4; kmem.c, section 6)? */
bool
mdb_tgt_moving(const mdb_tgt_t *t)
{
	const proc_state_t *ps = t->t_proc;

	return (t->t_ops == &proc_ops && !ps->ps_stopped && ps->ps_snap == 0);
}

/*
 * A command that cannot read t consistently while it runs (why) stops it
 * at safe points until the command ends, as -S would have: one line says
 * so.  0, or -1: not running, or it could not be stopped.
 */
int
mdb_tgt_hold_still(mdb_tgt_t *t, const char *why)
{
	proc_state_t *ps = t->t_proc;

	if (!mdb_tgt_moving(t) || proc_stop(t, ps, true) != 0)
		return (-1);
	mdb_warn("process %d stopped for the rest of this command: %s (-S "
	    "stops it for each command)", (int)ps->ps_pid, why);
	return (0);
}

static proc_state_t *
proc_of(mdb_tgt_t *t, const char *cmd)
{
	if (t->t_ops != &proc_ops) {
		mdb_warn("::%s: not a live process (this is a dump)", cmd);
		return (NULL);
	}
	return (t->t_proc);
}

int
dcmd_stop(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	proc_state_t *ps;

	(void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if ((ps = proc_of(t, "stop")) == NULL)
		return (DCMD_ERR);
	if (proc_stop(t, ps, true) != 0)
		return (DCMD_ERR);
	ps->ps_hold = true;
	(void) printf("process %d stopped\n", (int)ps->ps_pid);
	return (DCMD_OK);
}

int
dcmd_release(mdb_tgt_t *t, const mdb_cmdctx_t *cx, int argc, char **argv)
{
	proc_state_t *ps;

	(void) cx, (void) argv;
	if (argc != 0)
		return (DCMD_USAGE);
	if ((ps = proc_of(t, "release")) == NULL)
		return (DCMD_ERR);
	ps->ps_hold = false;
	proc_release(t, ps);
	(void) printf("process %d released\n", (int)ps->ps_pid);
	return (DCMD_OK);
}

/* ------------------------------------------------------------------------
 * The allocator (section 5).
 */

static bool
proc_root_valid(mdb_tgt_t *t, uint64_t addr, st_root_t *root)
{
	return (mdb_tgt_vread(t, addr, root, sizeof (*root)) == 0 &&
	    memcmp(root->sr_magic, ST_ROOT_MAGIC, sizeof (root->sr_magic)) ==
	    0 && root->sr_pagesize == (uint32_t)sysconf(_SC_PAGESIZE) &&
	    root->sr_stack_depth <= KMEM_STACK_MAX);
}

/* Is segment i a module's data: writable, a file's or right after one? */
static bool
proc_is_data(const mdb_tgt_t *t, size_t i)
{
	const mdb_seg_t *sg = &t->t_segs[i];
	size_t j;

	if (!(sg->sg_flags & PF_W) || !(sg->sg_flags & PF_R))
		return (false);
	for (j = 0; j < t->t_nfiles; j++) {
		const mdb_mapfile_t *mf = &t->t_files[j];

		if (mf->mf_start == sg->sg_vaddr)
			return (true);
		/* .bss: anonymous, at once after a file's writable data */
		if (i > 0 && mf->mf_start == t->t_segs[i - 1].sg_vaddr &&
		    mf->mf_end == sg->sg_vaddr &&
		    (t->t_segs[i - 1].sg_flags & PF_W))
			return (true);
	}
	return (false);
}

/* Search the modules' data for the root's magic; its address or 0. */
static uint64_t
proc_root_scan(mdb_tgt_t *t)
{
	static uint8_t buf[PROC_SCANCHUNK];
	uint64_t scanned = 0;
	st_root_t root;
	size_t i;

	for (i = 0; i < t->t_nsegs && scanned < PROC_SCANMAX; i++) {
		const mdb_seg_t *sg = &t->t_segs[i];
		uint64_t off;

		if (!proc_is_data(t, i))
			continue;
		for (off = 0; off < sg->sg_memsz && scanned < PROC_SCANMAX;
		    off += PROC_SCANCHUNK) {
			ssize_t n = mdb_tgt_read(t, sg->sg_vaddr + off, buf,
			    sizeof (buf));
			size_t k;

			if (n < (ssize_t)sizeof (root.sr_magic))
				break;
			scanned += (uint64_t)n;
			for (k = 0; k + sizeof (root.sr_magic) <= (size_t)n;
			    k += 8) {
				uint64_t a = sg->sg_vaddr + off + k;

				if (memcmp(buf + k, ST_ROOT_MAGIC,
				    sizeof (root.sr_magic)) == 0 &&
				    proc_root_valid(t, a, &root))
					return (a);
			}
		}
	}
	return (0);
}

static bool
proc_maps_lib(const mdb_tgt_t *t)
{
	size_t i;

	for (i = 0; i < t->t_nfiles; i++) {
		const char *base = strrchr(t->t_files[i].mf_name, '/');

		if (base != NULL && strncmp(base + 1, "libslabtrace", 12) == 0)
			return (true);
	}
	return (false);
}

/* The made-up note (section 5): what ::status prints. */
static void
proc_note(mdb_tgt_t *t, uint64_t rootaddr, const st_root_t *root)
{
	st_dump_note_t *sn = &t->t_note;
	struct utsname u;
	char buf[ST_DUMP_STRLEN];
	ssize_t n, i;

	(void) memset(sn, 0, sizeof (*sn));
	(void) memcpy(sn->sn_magic, ST_DUMP_MAGIC, sizeof (sn->sn_magic));
	sn->sn_version = ST_DUMP_VERSION;
	sn->sn_root = rootaddr;
	sn->sn_pid = (uint32_t)t->t_pid;
	sn->sn_tid = (uint32_t)t->t_pid;
	sn->sn_content = ST_DUMP_ALL;
	sn->sn_kmem_flags = root->sr_kmem_flags;
	sn->sn_time = proc_now(CLOCK_REALTIME);
	sn->sn_mono = proc_now(CLOCK_MONOTONIC);
	(void) snprintf(buf, sizeof (buf), "/proc/%d/exe", (int)t->t_pid);
	n = readlink(buf, sn->sn_program, sizeof (sn->sn_program) - 1);
	if (n < 0)
		(void) snprintf(sn->sn_program, sizeof (sn->sn_program), "?");
	n = proc_slurp(t->t_pid, "cmdline", sn->sn_cmdline,
	    sizeof (sn->sn_cmdline));
	for (i = 0; i + 1 < n; i++) {
		if (sn->sn_cmdline[i] == '\0')
			sn->sn_cmdline[i] = ' ';
	}
	if (uname(&u) == 0) {
		/* The note's fields are zeroed: copy, keep the last NUL. */
		(void) memcpy(sn->sn_host, u.nodename, strnlen(u.nodename,
		    sizeof (sn->sn_host) - 1));
		(void) memcpy(sn->sn_release, u.release, strnlen(u.release,
		    sizeof (sn->sn_release) - 1));
		(void) memcpy(sn->sn_machine, u.machine, strnlen(u.machine,
		    sizeof (sn->sn_machine) - 1));
	}
	t->t_notesz = sizeof (*sn);
	t->t_have_note = true;
}

/* Find st_root (section 5) and make the note; -1 with a line in err. */
static int
proc_find_root(mdb_tgt_t *t, char *err, size_t errlen)
{
	st_root_t root;
	uint64_t addr = 0;
	char comm[64];

	if (!(mdb_sym_byname(t, "st_root", &addr) &&
	    proc_root_valid(t, addr, &root)) &&
	    (addr = proc_root_scan(t)) == 0) {
		if (proc_slurp(t->t_pid, "comm", comm, sizeof (comm)) > 0)
			comm[strcspn(comm, "\n")] = '\0';
		else
			(void) snprintf(comm, sizeof (comm), "?");
		if (proc_maps_lib(t))
			mdb_tgt_err(err, errlen, "process %d (%s) maps "
			    "libslabtrace but its allocator has not started "
			    "(no st_root)", (int)t->t_pid, comm);
		else
			mdb_tgt_err(err, errlen, "process %d (%s) is not "
			    "running under slabtrace (no libslabtrace.so, no "
			    "st_root)", (int)t->t_pid, comm);
		return (-1);
	}
	(void) proc_root_valid(t, addr, &root);
	proc_note(t, addr, &root);
	return (0);
}

/* ------------------------------------------------------------------------
 * Snapshots (section 7).
 */

/* pid's parent (/proc/PID/stat), or -1. */
static pid_t
proc_ppid(pid_t pid)
{
	char buf[1024], *rp, st;
	int ppid;

	if (proc_slurp(pid, "stat", buf, sizeof (buf)) <= 0 ||
	    (rp = strrchr(buf, ')')) == NULL ||
	    sscanf(rp + 1, " %c %d", &st, &ppid) != 2)
		return (-1);
	return ((pid_t)ppid);
}

/* The library's answers (st_root's sr_leak_snap); false: it has none. */
static bool
proc_snap_board(mdb_tgt_t *t, uint64_t *addrp, st_leak_snap_t *ss)
{
	st_root_t root;

	if (!proc_root_valid(t, t->t_note.sn_root, &root) ||
	    root.sr_leak_snapver != ST_SNAP_VERSION ||
	    root.sr_leak_snap == NULL)
		return (false);
	*addrp = (uint64_t)(uintptr_t)root.sr_leak_snap;
	return (mdb_tgt_vread(t, *addrp, ss, sizeof (*ss)) == 0);
}

/* The command is over: the child killed (the library reaps it). */
static void
proc_snap_end(mdb_tgt_t *t, proc_state_t *ps)
{
	if (ps->ps_snap == 0)
		return;
	(void) kill(ps->ps_snap, SIGKILL);
	ps->ps_snap = 0;
	ps->ps_read_pid = ps->ps_pid;
	if (ps->ps_memfd >= 0)
		(void) close(ps->ps_memfd);
	ps->ps_memfd = -1;
	free(ps->ps_snapthreads);
	ps->ps_snapthreads = NULL;
	(void) memset(&ps->ps_snapinfo, 0, sizeof (ps->ps_snapinfo));
	t->t_nthreads = 0;
	t->t_note.sn_nunstopped = 0;
	(void) proc_maps_load(t, ps);
}

/* Read the child from now on, with the table's threads; -1 said why. */
static int
proc_snap_use(mdb_tgt_t *t, proc_state_t *ps, const st_leak_snap_t *ss,
    char *why, size_t whylen)
{
	st_snap_thread_t *tab;
	mdb_thread_t *th;
	uint32_t i, n = ss->ss_nthreads, k = 0;

	if (n == 0 || n > PROC_MAXLWPS ||
	    (tab = calloc(n, sizeof (*tab))) == NULL ||
	    (th = realloc(t->t_threads, n * sizeof (*th))) == NULL) {
		(void) kill(ss->ss_pid, SIGKILL);
		(void) snprintf(why, whylen, "no memory for %u threads", n);
		return (-1);
	}
	t->t_threads = th;
	ps->ps_snap = ss->ss_pid;
	ps->ps_read_pid = ss->ss_pid;
	ps->ps_snapthreads = tab;
	if (ps->ps_memfd >= 0)
		(void) close(ps->ps_memfd);
	ps->ps_memfd = -1;
	if (proc_maps_load(t, ps) != 0 || mdb_tgt_vread(t, ss->ss_threads,
	    tab, n * sizeof (*tab)) != 0) {
		(void) snprintf(why, whylen, "cannot read its child %d: %s",
		    (int)ss->ss_pid, mdb_tgt_strerror(errno));
		proc_snap_end(t, ps);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (tab[i].sx_nregs == 0)
			continue;
		(void) memset(&th[k], 0, sizeof (th[k]));
		th[k].th_tid = tab[i].sx_tid;
		th[k].th_nregs = tab[i].sx_nregs < ST_SNAP_NREGS ?
		    tab[i].sx_nregs : ST_SNAP_NREGS;
		(void) memcpy(th[k].th_regs, tab[i].sx_regs,
		    th[k].th_nregs * sizeof (uint64_t));
		k++;
	}
	t->t_nthreads = k;
	t->t_note.sn_nthreads = n;
	t->t_note.sn_nunstopped = n - k;
	return (0);
}

static void
proc_snap_error(char *why, size_t whylen, uint32_t err)
{
	(void) snprintf(why, whylen, "it could not take one: %s",
	    err == ST_SNAP_EBUSY ? "its threads did not stop" :
	    err == ST_SNAP_ENOMEM ? "no memory" :
	    err == ST_SNAP_EFORK ? "fork failed" : "no child");
}

int
mdb_proc_snapshot(mdb_tgt_t *t, mdb_snap_t *snap, char *why, size_t whylen)
{
	proc_state_t *ps = t->t_proc;
	st_leak_snap_t ss;
	uint64_t board, seq, t0, deadline;
	struct timespec ts;
	long nap = 100000;		/* ns, doubling to 2 ms */
	union sigval sv;

	(void) memset(snap, 0, sizeof (*snap));
	if (t->t_ops != &proc_ops) {
		(void) snprintf(why, whylen, "not a live process");
		return (1);
	}
	if (ps->ps_snap != 0) {		/* this command's, again */
		*snap = ps->ps_snapinfo;
		return (0);
	}
	if (ps->ps_stopped) {
		(void) snprintf(why, whylen, "it is stopped already (-S or "
		    "::stop)");
		return (2);	/* it holds still: scanned so */
	}
	if (!proc_snap_board(t, &board, &ss)) {
		(void) snprintf(why, whylen, "its libslabtrace takes none "
		    "(older than this debugger)");
		return (1);
	}
	if (ss.ss_signal == 0) {
		(void) snprintf(why, whylen, "it takes them only with "
		    "UMEM_OPTIONS=leaksignal=SIG");
		return (1);
	}
	seq = ss.ss_seq;
	sv.sival_int = ST_SNAP_REQUEST;
	t0 = proc_now(CLOCK_MONOTONIC);
	deadline = t0 + PROC_SNAP_MS * 1000000ULL;
	if (sigqueue(ps->ps_pid, (int)ss.ss_signal, sv) != 0) {
		(void) snprintf(why, whylen, "cannot send it signal %u: %s",
		    ss.ss_signal, strerror(errno));
		return (1);
	}
	for (;;) {
		ts.tv_sec = 0;
		ts.tv_nsec = nap;
		(void) nanosleep(&ts, NULL);
		if (nap < 2000000)
			nap *= 2;
		if (mdb_tgt_vread(t, board, &ss, sizeof (ss)) != 0) {
			(void) snprintf(why, whylen, "%s",
			    mdb_tgt_strerror(errno));
			return (1);
		}
		if (ss.ss_seq != seq && ss.ss_for == getpid())
			break;
		if (proc_now(CLOCK_MONOTONIC) > deadline) {
			(void) snprintf(why, whylen, "no answer to signal %u "
			    "in %d ms (it blocks the signal, or its thread is "
			    "busy)", ss.ss_signal, PROC_SNAP_MS);
			return (1);
		}
	}
	if (ss.ss_error != ST_SNAP_EOK || ss.ss_pid <= 0) {
		proc_snap_error(why, whylen, ss.ss_error);
		return (1);
	}
	if (proc_ppid(ss.ss_pid) != ps->ps_pid) {
		(void) snprintf(why, whylen, "its child %d is gone",
		    (int)ss.ss_pid);
		return (1);
	}
	if (proc_snap_use(t, ps, &ss, why, whylen) != 0)
		return (1);
	snap->ms_child = ss.ss_pid;
	snap->ms_pause_ns = ss.ss_pause_ns;
	snap->ms_fork_ns = ss.ss_fork_ns;
	snap->ms_park_ns = ss.ss_park_ns;
	snap->ms_tries = ss.ss_tries;
	snap->ms_wait_ns = proc_now(CLOCK_MONOTONIC) - t0;
	snap->ms_table = ss.ss_threads;
	snap->ms_table_size = ((uint64_t)ss.ss_nthreads *
	    sizeof (st_snap_thread_t) + ST_PAGESIZE - 1) &
	    ~(uint64_t)(ST_PAGESIZE - 1);
	snap->ms_threads = ps->ps_snapthreads;
	snap->ms_nthreads = ss.ss_nthreads;
	ps->ps_snapinfo = *snap;
	return (0);
}

/* ------------------------------------------------------------------------
 * Opening and closing.
 */

/* Can the process be debugged at all?  One line in err when not. */
static int
proc_check(pid_t pid, char *err, size_t errlen)
{
	char st, exe[64], buf[8];

	if (kill(pid, 0) != 0 && errno == ESRCH) {
		mdb_tgt_err(err, errlen, "no process %d", (int)pid);
		return (-1);
	}
	st = proc_state_char(pid);
	if (st == 0) {
		mdb_tgt_err(err, errlen, "no process %d", (int)pid);
		return (-1);
	}
	if (st == 'Z' || st == 'X') {
		mdb_tgt_err(err, errlen, "process %d is a zombie: it has exited "
		    "and has no memory left to read", (int)pid);
		return (-1);
	}
	(void) snprintf(exe, sizeof (exe), "/proc/%d/exe", (int)pid);
	if (readlink(exe, buf, sizeof (buf)) < 0 && errno == ENOENT) {
		mdb_tgt_err(err, errlen, "process %d is a kernel thread: no "
		    "user memory", (int)pid);
		return (-1);
	}
	return (0);
}

/* One read of the first readable mapping: the permission question. */
static int
proc_probe(mdb_tgt_t *t, char *err, size_t errlen)
{
	size_t i;
	uint8_t b;

	for (i = 0; i < t->t_nsegs; i++) {
		if (!(t->t_segs[i].sg_flags & PF_R))
			continue;
		if (mdb_tgt_read(t, t->t_segs[i].sg_vaddr, &b, 1) == 1)
			return (0);
		if (errno == ESRCH)
			break;
	}
	mdb_tgt_err(err, errlen, "cannot read the memory of process %d: %s%s",
	    (int)t->t_pid, errno == ESRCH ? "it has exited" :
	    "permission denied", errno == ESRCH ? "" : " (it is not yours, "
	    "or kernel.yama.ptrace_scope forbids it)");
	return (-1);
}

mdb_tgt_t *
mdb_tgt_open_proc(pid_t pid, bool stop_each, char *err, size_t errlen)
{
	mdb_tgt_t *t;
	proc_state_t *ps;
	const char *env = getenv("SLABTRACE_MDB_PROCMEM");
	char why[512];

	if (pid <= 0) {
		mdb_tgt_err(err, errlen, "bad process id %d", (int)pid);
		return (NULL);
	}
	if (proc_check(pid, err, errlen) != 0)
		return (NULL);
	if ((t = calloc(1, sizeof (*t))) == NULL ||
	    (ps = calloc(1, sizeof (*ps))) == NULL) {
		free(t);
		mdb_tgt_err(err, errlen, "out of memory");
		return (NULL);
	}
	t->t_ops = &proc_ops;
	t->t_fd = -1;
	t->t_pid = pid;
	t->t_proc = ps;
	ps->ps_pid = pid;
	ps->ps_read_pid = pid;
	ps->ps_memfd = -1;
	ps->ps_stop_each = stop_each;
	ps->ps_use_mem = env != NULL && strcmp(env, "1") == 0;
	if (proc_maps_load(t, ps) != 0) {
		mdb_tgt_err(err, errlen, "cannot read process %d: %s", (int)pid,
		    errno == EACCES || errno == EPERM ? "permission denied "
		    "(it is not yours, or kernel.yama.ptrace_scope forbids it)" :
		    strerror(errno));
		goto fail;
	}
	if (t->t_nsegs == 0) {
		mdb_tgt_err(err, errlen, "process %d has no memory mapped",
		    (int)pid);
		goto fail;
	}
	if (proc_probe(t, err, errlen) != 0)
		goto fail;
	if (mdb_sym_init(t, why, sizeof (why)) != 0)
		mdb_warn("process %d: %s (addresses print in hex)", (int)pid,
		    why);
	ps->ps_files_hash = proc_files_hash(t);
	if (proc_find_root(t, err, errlen) != 0)
		goto fail;
	proc_free_old(ps);
	return (t);
fail:
	mdb_tgt_close(t);
	return (NULL);
}

static void
proc_close(mdb_tgt_t *t)
{
	proc_state_t *ps = t->t_proc;
	uint64_t deadline;

	if (ps == NULL)
		return;
	ps->ps_hold = false;
	proc_snap_end(t, ps);
	if (ps->ps_nlwps != 0) {
		/* A thread that has not stopped yet: a last short wait. */
		deadline = proc_now(CLOCK_MONOTONIC) + 200000000ULL;
		proc_wait_stopped(ps, deadline);
		proc_release(t, ps);
	}
	proc_free_old(ps);
	if (ps->ps_memfd >= 0)
		(void) close(ps->ps_memfd);
	free(ps->ps_maps_text);
	free(ps->ps_lwps);
	free(ps);
	t->t_proc = NULL;
}

/* ------------------------------------------------------------------------
 * ::status on a live process.
 */

static void
proc_status_json(mdb_tgt_t *t, size_t nthreads)
{
	const st_dump_note_t *sn = &t->t_note;
	proc_state_t *ps = t->t_proc;

	mj_begin('{', NULL);
	mj_null("dump");
	mj_str("target", t->t_ops->to_name);
	mj_bool("slabtrace", true);
	mj_str("host", sn->sn_host);
	mj_str("release", sn->sn_release);
	mj_str("machine", sn->sn_machine);
	mj_str("program", sn->sn_program);
	mj_u64("pid", sn->sn_pid);
	mj_str("argv", sn->sn_cmdline);
	mj_null("panic");
	mj_addr("kmem_flags", sn->sn_kmem_flags);
	mj_str("content", "live");
	mj_bool("stopped", ps->ps_stopped);
	mj_u64("threads", nthreads);
	mj_end();
}

int
mdb_proc_status(mdb_tgt_t *t)
{
	const st_dump_note_t *sn = &t->t_note;
	proc_state_t *ps = t->t_proc;
	st_root_t root;
	size_t nthreads = 0;
	pid_t *tids = proc_tids(ps->ps_pid, &nthreads);

	free(tids);
	/* The flags as they are now (umem_debug() may change them). */
	if (proc_root_valid(t, sn->sn_root, &root))
		t->t_note.sn_kmem_flags = root.sr_kmem_flags;
	if (mdb_json) {
		proc_status_json(t, nthreads);
		return (DCMD_OK);
	}
	(void) printf("debugging live process %u (64-bit) on %s\n",
	    sn->sn_pid, sn->sn_host);
	(void) printf("operating system: %s (%s)\n", sn->sn_release,
	    sn->sn_machine);
	(void) printf("program: %s (pid %u)\n", sn->sn_program, sn->sn_pid);
	(void) printf("initial argv: %s\n", sn->sn_cmdline);
	(void) printf("panic message: none (a live process)\n");
	mdb_status_flags(sn->sn_kmem_flags);
	(void) printf("target content: live process, read %s\n",
	    ps->ps_hold ? "stopped (::stop; ::release resumes it)" :
	    ps->ps_stop_each ? "stopped for each command (-S)" :
	    "as it runs (not stopped)");
	(void) printf("memory read with: %s\n", ps->ps_use_mem ?
	    "/proc/PID/mem" : "process_vm_readv");
	(void) printf("threads: %zu\n", nthreads);
	return (DCMD_OK);
}
