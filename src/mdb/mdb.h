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

typedef struct mdb_seg {
	uint64_t sg_vaddr;
	uint64_t sg_memsz;
	uint64_t sg_offset;		/* in the dump file */
	uint64_t sg_filesz;		/* the rest: "not in the dump" */
	uint32_t sg_flags;		/* PF_R, PF_W, PF_X */
} mdb_seg_t;

typedef struct mdb_tgt mdb_tgt_t;

/*
 * What a kind of target does.  Only the core file target exists; a live
 * process (process_vm_readv, /proc/PID/mem) will be a second set of ops.
 */
typedef struct mdb_tgt_ops {
	const char *to_name;		/* "core", "proc" */
	ssize_t (*to_read)(mdb_tgt_t *, uint64_t, void *, size_t);
	void (*to_close)(mdb_tgt_t *);
} mdb_tgt_ops_t;

/* Why a read failed: errno values set by mdb_tgt_read(). */
#define	MDB_ENOMAP		EFAULT	/* no mapping at the address */
#define	MDB_ENODUMP		ENODATA	/* mapped, not in the dump */

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

/* Bytes read at addr (< len when the readable range ends), or -1. */
extern ssize_t mdb_tgt_read(mdb_tgt_t *, uint64_t addr, void *buf,
    size_t len);
/* All of len or -1 (errno as above). */
extern int mdb_tgt_vread(mdb_tgt_t *, uint64_t addr, void *buf, size_t len);
/* A NUL-terminated string of at most len - 1 bytes; its length or -1. */
extern ssize_t mdb_tgt_readstr(mdb_tgt_t *, uint64_t addr, char *buf,
    size_t len);
extern const mdb_thread_t *mdb_tgt_thread(mdb_tgt_t *, uint32_t tid);
extern const char *mdb_tgt_strerror(int err);

/* ------------------------------------------------------------------------
 * Symbols and stacks (symbols.c).
 */
#define	MDB_SYM_LINE		0x1	/* add " file:line" when known */

extern int mdb_sym_init(mdb_tgt_t *, char *err, size_t errlen);
extern void mdb_sym_fini(mdb_tgt_t *);
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

/* ------------------------------------------------------------------------
 * Commands (mdb.c's table, cmds.c's functions).
 */
#define	DCMD_OK			0
#define	DCMD_ERR		1
#define	DCMD_USAGE		2

#define	DCMD_ADDRSPEC		0x1	/* an address was given */
#define	DCMD_COUNTSPEC		0x2	/* a ,COUNT was given */

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
} mdb_dcmd_t;

extern const mdb_dcmd_t mdb_dcmds[];

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
/* mdb.c: true while a command's output goes to "! shell". */
extern bool mdb_piped;

/* kmlog.c */
extern mdb_dcmd_f dcmd_kmalog, dcmd_kmem_log, dcmd_bufctl, dcmd_allocdby,
    dcmd_freedby;

/* cmds.c */
extern mdb_dcmd_f dcmd_status, dcmd_msgbuf, dcmd_stack, dcmd_threads,
    dcmd_regs, dcmd_dis, dcmd_help, dcmd_dcmds, dcmd_quit;
extern int mdb_dis(mdb_tgt_t *, uint64_t addr, uint64_t count, bool whole);
extern bool mdb_quit_requested;

#endif	/* _SLABTRACE_MDB_H */
