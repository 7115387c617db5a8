/*
 * mdb.h: the private interfaces of `slabtrace mdb`, the debugger, between
 * its three layers:
 *
 *   target.c    the target: what is debugged (a crash dump now; a live
 *               process later), read through mdb_tgt_ops_t only
 *   symbols.c   addresses <-> names, source lines, stack unwinding
 *               (elfutils libdwfl over the target's modules)
 *   mdb.c       the command language, the prompt, the command table
 *   cmds.c      the commands (dcmds) themselves
 *
 * A command never looks at the dump file: it reads memory with
 * mdb_tgt_read() and asks the target for threads and registers, so that
 * the same commands will run on a live process.  The allocator's
 * structures are decoded with the allocator's own private header,
 * slabtrace_impl.h, included unchanged; no code of the allocator is
 * linked in.
 */
#ifndef	_SLABTRACE_MDB_H
#define	_SLABTRACE_MDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "slabtrace_impl.h"	/* st_dump_note_t, st_root_t, ... */

/* ------------------------------------------------------------------------
 * The target (target.c).
 */

/* The machine this build debugs: dumps of the same machine only. */
#if defined(__x86_64__)
#define	MDB_ELF_MACHINE		62	/* EM_X86_64 */
#elif defined(__aarch64__)
#define	MDB_ELF_MACHINE		183	/* EM_AARCH64 */
#else
#error "slabtrace mdb: unsupported machine"
#endif

#define	MDB_NGREGS		64	/* room for any machine's pr_reg */

typedef struct mdb_thread {
	uint32_t th_tid;
	int32_t th_cursig;		/* the signal it stopped with, or 0 */
	uint32_t th_nregs;		/* 8-byte words in th_regs */
	uint64_t th_regs[MDB_NGREGS];	/* pr_reg as the kernel lays it out */
} mdb_thread_t;

typedef struct mdb_mapfile {
	uint64_t mf_start;		/* [mf_start, mf_end) in the target */
	uint64_t mf_end;
	uint64_t mf_offset;		/* byte offset in the file */
	const char *mf_name;		/* points into the NT_FILE note */
	int mf_fd;			/* -2: not tried; -1: cannot open */
} mdb_mapfile_t;

/* A live process's segments have no file part: read them with mdb_tgt_read. */
typedef struct mdb_seg {
	uint64_t sg_vaddr;
	uint64_t sg_memsz;
	uint64_t sg_offset;		/* in the dump file */
	uint64_t sg_filesz;		/* the rest: "not in the dump" */
	uint32_t sg_flags;		/* PF_R, PF_W, PF_X */
} mdb_seg_t;

typedef struct mdb_tgt mdb_tgt_t;

/*
 * What a kind of target does: the core file (target.c) and the live
 * process (proc.c).  The last three are NULL for a dump.
 */
typedef struct mdb_tgt_ops {
	const char *to_name;		/* "core", "proc" */
	ssize_t (*to_read)(mdb_tgt_t *, uint64_t, void *, size_t);
	void (*to_close)(mdb_tgt_t *);
	int (*to_begin)(mdb_tgt_t *);	/* a command starts */
	void (*to_end)(mdb_tgt_t *);	/* it ended: resume what it stopped */
	int (*to_getregs)(mdb_tgt_t *);	/* fill t_threads */
} mdb_tgt_ops_t;

/* Why a read failed: errno values set by mdb_tgt_read(). */
#define	MDB_ENOMAP		EFAULT	/* no mapping at the address */
#define	MDB_ENODUMP		ENODATA	/* mapped, not in the dump */
#define	MDB_ENOREAD		EACCES	/* mapped, not readable (live) */

struct mdb_tgt {
	const mdb_tgt_ops_t *t_ops;
	char *t_path;			/* the dump file as named */
	char *t_program;		/* PROGRAM given, or NULL */
	int t_fd;
	const uint8_t *t_data;		/* the file, mapped */
	size_t t_size;
	mdb_seg_t *t_segs;		/* sorted by sg_vaddr */
	size_t t_nsegs;
	mdb_thread_t *t_threads;	/* NT_PRSTATUS order: panicking first */
	size_t t_nthreads;
	mdb_mapfile_t *t_files;		/* NT_FILE, sorted by mf_start */
	size_t t_nfiles;
	bool t_have_psinfo;
	char t_fname[17];		/* NT_PRPSINFO pr_fname */
	char t_psargs[81];		/* NT_PRPSINFO pr_psargs */
	bool t_have_note;		/* NT_SLABTRACE seen */
	uint32_t t_notesz;		/* its n_descsz */
	st_dump_note_t t_note;		/* zero past t_notesz */
	void *t_sym;			/* symbols.c's state */
	pid_t t_pid;			/* a live process's, or 0: a dump */
	void *t_proc;			/* proc.c's state */
};

/*
 * Open a core file; PROGRAM (or NULL) replaces the executable it names.
 * NULL and one line in err (without "mdb: ") when the file is not a dump
 * this build can read.
 */
extern mdb_tgt_t *mdb_tgt_open_core(const char *path, const char *program,
    char *err, size_t errlen);
/* The same checks on a dump in memory (the fuzzer); data must outlive it. */
extern mdb_tgt_t *mdb_tgt_open_mem(const uint8_t *data, size_t size,
    char *err, size_t errlen);
extern void mdb_tgt_close(mdb_tgt_t *);
/*
 * proc.c: a live process running under slabtrace (symbols and st_root
 * found); stop_each (-S) stops it for each command.
 */
extern mdb_tgt_t *mdb_tgt_open_proc(pid_t pid, bool stop_each, char *err,
    size_t errlen);
/*
 * mdb.c calls these around each command.  A command that uses t_threads
 * (registers, stacks) calls mdb_tgt_getregs() first: nothing on a dump;
 * on a live process it stops every thread until the command ends.  Both
 * say what went wrong (mdb_warn) and return -1: the command fails.
 * mdb_tgt_end may be called twice (CMD ! SHELL: before the shell ends).
 */
/*
 * proc.c: a live process read while it runs (no -S, no ::stop, not a
 * snapshot) changes under the reads; mdb_tgt_hold_still(t, why) stops it
 * at safe points until the command ends, saying why in one line: 0, or
 * -1 (a dump, stopped already, or it could not be stopped).
 */
extern bool mdb_tgt_moving(const mdb_tgt_t *);
extern int mdb_tgt_hold_still(mdb_tgt_t *, const char *why);
extern int mdb_tgt_begin(mdb_tgt_t *);
extern void mdb_tgt_end(mdb_tgt_t *);
extern int mdb_tgt_getregs(mdb_tgt_t *);

/* Bytes read at addr (< len when the readable range ends), or -1. */
extern ssize_t mdb_tgt_read(mdb_tgt_t *, uint64_t addr, void *buf,
    size_t len);
/* All of len or -1 (errno as above). */
extern int mdb_tgt_vread(mdb_tgt_t *, uint64_t addr, void *buf, size_t len);
/* A NUL-terminated string of at most len - 1 bytes; its length or -1. */
extern ssize_t mdb_tgt_readstr(mdb_tgt_t *, uint64_t addr, char *buf,
    size_t len);
extern const mdb_thread_t *mdb_tgt_thread(mdb_tgt_t *, uint32_t tid);
/* The segment (PT_LOAD, or a live mapping) holding addr, or NULL. */
extern const mdb_seg_t *mdb_tgt_seg(const mdb_tgt_t *, uint64_t addr);
extern const char *mdb_tgt_strerror(int err);
/* An open's one line of error, into err (target.c, proc.c). */
extern void mdb_tgt_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------
 * Symbols and stacks (symbols.c).
 */
#define	MDB_SYM_LINE		0x1	/* add " file:line" when known */

extern int mdb_sym_init(mdb_tgt_t *, char *err, size_t errlen);
extern void mdb_sym_fini(mdb_tgt_t *);
/* A live process mapped or unmapped files: read its modules again. */
extern void mdb_sym_refresh(mdb_tgt_t *);
/* addr as "func+0xoff" (mdb's %a), or in hex when no symbol holds it. */
extern const char *mdb_sym_format(mdb_tgt_t *, uint64_t addr, char *buf,
    size_t len);
/* The symbol containing addr: its name (demangled), start and size. */
extern bool mdb_sym_lookup(mdb_tgt_t *, uint64_t addr, char *name,
    size_t namelen, uint64_t *startp, uint64_t *sizep);
extern bool mdb_sym_byname(mdb_tgt_t *, const char *name, uint64_t *addrp);
extern bool mdb_sym_srcline(mdb_tgt_t *, uint64_t addr, char *buf,
    size_t len);

/* One frame of an unwound stack: return false to stop. */
typedef bool mdb_frame_f(void *arg, uint64_t pc, bool activation);
extern int mdb_sym_stack(mdb_tgt_t *, uint32_t tid, mdb_frame_f *, void *,
    char *err, size_t errlen);
/*
 * While a frame's callback runs: that frame's stack pointer (0: unknown),
 * and its frame pointer (%rbp, x29) as the unwinder restored it, if known.
 */
extern uint64_t mdb_frame_sp;
extern uint64_t mdb_frame_fp;
extern bool mdb_frame_fp_known;

/* ------------------------------------------------------------------------
 * Commands (mdb.c's table, cmds.c's functions).
 */
#define	DCMD_OK			0
#define	DCMD_ERR		1
#define	DCMD_USAGE		2

#define	DCMD_ADDRSPEC		0x1	/* an address was given */
#define	DCMD_COUNTSPEC		0x2	/* a ,COUNT was given */
#define	DCMD_LOOP		0x4	/* run once per address of a pipe */
#define	DCMD_LOOPFIRST		0x8	/* ... and this is the first */
#define	DCMD_PIPE		0x10	/* the address came from a pipe */
#define	DCMD_PIPE_OUT		0x20	/* output goes to a pipe: print only
					   addresses, one a line */

/* Print a table's header?  Once per pipe, not once per address. */
#define	DCMD_HDRSPEC(fl)	(!((fl) & DCMD_LOOP) || ((fl) & DCMD_LOOPFIRST))

typedef struct mdb_cmdctx {
	uint64_t cx_addr;
	uint64_t cx_count;
	uint32_t cx_flags;		/* DCMD_* */
	const char *cx_addrtext;	/* the address as typed, or NULL */
} mdb_cmdctx_t;

typedef int mdb_dcmd_f(mdb_tgt_t *, const mdb_cmdctx_t *, int argc,
    char **argv);

typedef struct mdb_dcmd {
	const char *dc_name;
	const char *dc_usage;		/* after the name, e.g. "[-v]" */
	const char *dc_help;		/* one line */
	mdb_dcmd_f *dc_func;
	const char *dc_descr;		/* ::help NAME's DESCRIPTION */
	uint32_t dc_flags;		/* MDB_DC_* */
} mdb_dcmd_t;

#define	MDB_DC_JSON		0x1	/* has JSON output (-j, -o json) */

extern const mdb_dcmd_t mdb_dcmds[];
/* kmlog.c: the allocation an audit bufctl kept, the log having lost it. */
extern void mdb_kept_allocation(mdb_tgt_t *, uint64_t bufctl);

/* mdb.c: run a line of commands (the prompt's, -e's, the fuzzer's). */
extern int mdb_run_line(mdb_tgt_t *, char *line);
/* mdb.c: one line "mdb: ..." on stderr. */
extern void mdb_warn(const char *fmt, ...) __attribute__((format(printf,
    1, 2)));
/* Say why a read of len bytes at addr failed (errno from mdb_tgt_read). */
extern void mdb_warn_read(uint64_t addr, size_t len);
/* Output width-padding: print s then spaces to reach column col. */
extern void mdb_pad(FILE *fp, const char *s, int col);
/* An offset as mdb prints it: "+8", "+0x1b", "" for 0. */
extern void mdb_fmt_off(uint64_t off, char *buf, size_t len);

/* mdb.c: an expression (number, symbol, +, -) as mdb reads it; -1 warned. */
extern int mdb_eval(mdb_tgt_t *, const char *text, uint64_t *valp);
/* mdb.c: a long command's progress, on a terminal's stderr. */
extern void mdb_progress(const char *what, uint64_t done, uint64_t total);
/* mdb.c: true while a command's output goes to "! shell". */
extern bool mdb_piped;

/* json.c: -o json and -j.  A command with MDB_DC_JSON prints exactly one
   JSON value when mdb_json is set; key is NULL in arrays and at the top. */
extern bool mdb_json;
extern void mj_begin(char open, const char *key);	/* '{' or '[' */
extern void mj_end(void);
extern void mj_str(const char *key, const char *s);	/* NULL: null */
extern void mj_u64(const char *key, uint64_t v);
extern void mj_i64(const char *key, int64_t v);
extern void mj_addr(const char *key, uint64_t v);	/* "0x..." */
extern void mj_bool(const char *key, bool v);
extern void mj_null(const char *key);
extern void mj_reset(void);		/* close what a failed command left */
extern bool mdb_json_all;		/* -o json: every command that can */

/* kmlog.c */
extern mdb_dcmd_f dcmd_kmalog, dcmd_kmem_log, dcmd_bufctl, dcmd_allocdby,
    dcmd_freedby;
extern bool mdb_pc_in_allocator(mdb_tgt_t *, uint64_t pc);

/* cmds.c */
extern mdb_dcmd_f dcmd_status, dcmd_msgbuf, dcmd_stack, dcmd_threads,
    dcmd_regs, dcmd_dis, dcmd_help, dcmd_dcmds, dcmd_quit;
extern int mdb_dis(mdb_tgt_t *, uint64_t addr, uint64_t count, bool whole);
/* <REG: a register of the panicking thread; -1 warned. */
extern int mdb_reg_value(mdb_tgt_t *, const char *name, uint64_t *valp);
extern bool mdb_quit_requested;
extern void mdb_status_flags(uint32_t kmem_flags);	/* "kmem_flags: ..." */

/* proc.c: ::stop, ::release, and ::status on a live process */
extern mdb_dcmd_f dcmd_stop, dcmd_release;
extern int mdb_proc_status(mdb_tgt_t *);
/*
 * proc.c: a snapshot of a live process for ::findleaks (leakcheck.c,
 * section 7).  0: until the command ends the target reads the snapshot's
 * child, t_threads are the threads' registers at the fork, and *snap says
 * what was taken; 1: none (why, one line), the target is as it was;
 * 2: none needed, it is stopped already (-S, ::stop).
 */
typedef struct mdb_snap {
	pid_t ms_child;			/* the child scanned */
	uint64_t ms_pause_ns;		/* the program's pause: stop + fork */
	uint64_t ms_fork_ns;		/* ... of which the fork */
	uint64_t ms_park_ns;		/* ... of which the last stop */
	uint32_t ms_tries;		/* ... stops made (a lock was busy) */
	uint64_t ms_wait_ns;		/* request to answer, as we waited */
	uint64_t ms_table;		/* the registers' table, in the child */
	uint64_t ms_table_size;		/* ... its pages */
	const st_snap_thread_t *ms_threads;	/* a copy of it */
	uint32_t ms_nthreads;
} mdb_snap_t;
extern int mdb_proc_snapshot(mdb_tgt_t *, mdb_snap_t *, char *why,
    size_t whylen);

/* ------------------------------------------------------------------------
 * kmem.c: the heap model.  The caches, every buffer with its state, the
 * slabs, the oversize and firewall buffers, the vmem arenas and their
 * segments, read from the dump through st_root.  Every list is bounded:
 * a cycle or an absurd count in a hostile dump ends that walk with one
 * mdb_warn line.  mdb_heap_get() reads the caches, arenas, threads and
 * magazines once per command (a pipe's later loops reuse it); buffers are
 * read a slab at a time while walking.
 */
typedef struct mdb_cache {
	uint64_t mc_addr;		/* the kmem_cache_t in the target */
	kmem_cache_t mc_cp;		/* its copy */
	uint32_t mc_magsize;		/* rounds of a depot magazine, or 0 */
	bool mc_user;			/* not the allocator's own: no
					   KMC_PRIVATE (slabs, bufctls,
					   magazines, quantum caches...) */
	uint64_t mc_nrounds;		/* free buffers in magazines and
					   quarantines (mc_rounds, sorted) */
	uint64_t *mc_rounds;
	uint8_t *mc_rwhere;		/* MDB_WH_* of each of mc_rounds */
	uint64_t mc_nalloc;		/* allocations ever (every thread's
					   cc_alloc, and exited threads') */
} mdb_cache_t;

typedef struct mdb_vmem {
	uint64_t mv_addr;		/* the vmem_t in the target */
	vmem_t mv_vm;			/* its copy */
	int mv_depth;			/* sources above it (0: top) */
} mdb_vmem_t;

typedef struct mdb_heap {
	mdb_tgt_t *mh_tgt;
	st_root_t mh_root;
	mdb_cache_t *mh_caches;		/* in the cache list's order */
	size_t mh_ncaches;
	mdb_vmem_t *mh_vmem;		/* arenas, each after its source */
	size_t mh_nvmem;
	uint64_t mh_nthreads;		/* kmem_thread_t's on the list */
	uint64_t *mh_threads;		/* ... their addresses */
	void *mh_priv;			/* kmem.c's own */
} mdb_heap_t;

/* What a buffer is. */
#define	MDB_BK_CACHE		1	/* a chunk of a cache's slab */
#define	MDB_BK_OVERSIZE		2	/* > KMEM_MAXBUF, straight from
					   kmem_oversize (PM_BIG) */
#define	MDB_BK_FIREWALL		3	/* against a guard page (PM_FW) */
#define	MDB_BK_BIGBUF		4	/* debugging's big buffer with a
					   firewall header (PM_FW) */
#define	MDB_BK_SAMPLED		5	/* a sampled firewall slot's
					   (PM_FW, FW_SAMPLED) */
/* Where a free buffer is (mb_where). */
#define	MDB_WH_NONE		0	/* allocated */
#define	MDB_WH_SLAB		1	/* on its slab's free list */
#define	MDB_WH_MAGAZINE		2	/* in a thread's loaded or previous
					   magazine, or a depot's */
#define	MDB_WH_QUARANTINE	3	/* in a thread's quarantine */
#define	MDB_WH_FWQUAR		4	/* firewall or big buffer, freed and
					   held in the firewall quarantine */

typedef struct mdb_buf {
	uint64_t mb_addr;		/* the buffer */
	uint64_t mb_size;		/* cache_bufsize, or the size asked
					   for an oversize/firewall buffer */
	uint64_t mb_chunk;		/* bytes it occupies (chunk, pages) */
	uint64_t mb_bufctl;		/* its bufctl (audit bufctl when
					   audited; a firewall header's
					   last record), or 0 */
	uint64_t mb_slab;		/* its kmem_slab_t, or 0 */
	const mdb_cache_t *mb_cache;	/* NULL unless MDB_BK_CACHE */
	uint32_t mb_kind;		/* MDB_BK_* */
	bool mb_alloc;			/* allocated (else free) */
	uint8_t mb_where;		/* MDB_WH_* */
	bool mb_badtag;			/* KMF_BUFTAG: bxstat is neither */
	const uint8_t *mb_data;		/* a copy of the chunk from mb_addr
					   (mb_chunk bytes) while in the
					   callback; NULL if not read */
	uint64_t mb_hdr;		/* a firewall or big buffer's
					   st_fwhdr_t, or 0 */
} mdb_buf_t;

/* A walk's callback: return non-zero to stop the walk. */
typedef int mdb_buf_f(void *arg, const mdb_buf_t *);
/* What mdb_heap_walk visits. */
#define	MDB_WALK_ALLOC		0x1	/* allocated buffers */
#define	MDB_WALK_FREE		0x2	/* free buffers */
#define	MDB_WALK_BIG		0x4	/* oversize and firewall buffers
					   (all caches only) */
#define	MDB_WALK_DATA		0x8	/* big buffers' bytes too (mb_data;
					   a cache chunk's always are) */
#define	MDB_WALK_NOCACHE		0x10	/* with MDB_WALK_BIG: only the big
					   buffers, no cache's */

/* The model of t's heap; NULL after one mdb_warn line.  It stays valid
   through one more rebuild (a command that runs another: ::whatis runs
   ::bufctl), and is freed by the second. */
extern mdb_heap_t *mdb_heap_get(mdb_tgt_t *, uint32_t dcmd_flags);
/* The cache at addr, or named name; NULL if none. */
extern const mdb_cache_t *mdb_heap_cache(mdb_heap_t *, uint64_t addr);
extern const mdb_cache_t *mdb_heap_cache_byname(mdb_heap_t *,
    const char *name);
/* Buffers of cache mc (NULL: every cache, and MDB_WALK_BIG ones);
   0 done, 1 stopped by fn, -1 warned (and stopped). */
extern int mdb_heap_walk(mdb_heap_t *, const mdb_cache_t *mc,
    uint32_t flags, mdb_buf_f *fn, void *arg);
/* The buffer holding addr (cache chunk, oversize or firewall): true and
   *bp filled (mb_data NULL), or false. */
extern bool mdb_heap_lookup(mdb_heap_t *, uint64_t addr, mdb_buf_t *bp);
/* Slabs of mc: addr is the kmem_slab_t's address, sp its copy. */
typedef int mdb_slab_f(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp);
extern int mdb_heap_walk_slabs(mdb_heap_t *, const mdb_cache_t *mc,
    mdb_slab_f *fn, void *arg);
/* The segments of arena mv in address order (spans included). */
typedef int mdb_seg_f(void *arg, uint64_t addr, const vmem_seg_t *vs);
extern int mdb_heap_walk_segs(mdb_heap_t *, const mdb_vmem_t *mv,
    mdb_seg_f *fn, void *arg);
extern const mdb_vmem_t *mdb_heap_vmem(mdb_heap_t *, uint64_t addr);
extern const mdb_vmem_t *mdb_heap_vmem_byname(mdb_heap_t *,
    const char *name);
/* The page map's entry for addr (0: none). */
extern uint64_t mdb_heap_pagemap(mdb_heap_t *, uint64_t addr);
/*
 * The frames of the audit record at rec (a bufctl, or a copy in a log),
 * whose fixed part is *bc: at most max, read from the stack depot (or
 * from the record itself, for a library older than the depot); the count
 * is returned, 0 when there are none or they cannot be read.
 */
extern uint32_t mdb_bc_stack(mdb_tgt_t *, const st_root_t *, uint64_t rec,
    const kmem_bufctl_audit_t *bc, uint64_t *pcs, uint32_t max);
/* The audit bufctl of the buffer starting at addr, or 0 (::bufctl). */
extern uint64_t mdb_heap_bufctl_of(mdb_tgt_t *, uint32_t dcmd_flags,
    uint64_t addr);

/* kmstat.c, kmwalk.c, whatis.c, kmverify.c: the kmem commands. */
extern mdb_dcmd_f dcmd_kmem_cache, dcmd_kmastat, dcmd_kmem_slabs,
    dcmd_vmem, dcmd_vmem_seg, dcmd_walk, dcmd_walkers, dcmd_whatis,
    dcmd_kgrep, dcmd_kmausers, dcmd_kmem_verify;
/* explain.c */
extern mdb_dcmd_f dcmd_explain;
extern const char *mdb_vmem_type(uint8_t type);	/* "ALLC", "FREE", ... */
/* kmlog.c: each record of log `which`, newest first (kmem_log walker). */
extern int mdb_kmlog_walk(mdb_tgt_t *, const char *which,
    int (*fn)(void *, uint64_t), void *arg);
/*
 * findleaks.c: ::findleaks, and the leak (bufs false: bufctls, or buffers
 * when not audited) and leakbuf (buffers) walkers: every leak, or those
 * of the row whose representative is addr (scoped).
 */
extern mdb_dcmd_f dcmd_findleaks;
extern int mdb_leak_walk(mdb_tgt_t *, uint32_t dcmd_flags, bool scoped,
    uint64_t addr, bool bufs, int (*fn)(void *, uint64_t), void *arg);

#endif	/* _SLABTRACE_MDB_H */
