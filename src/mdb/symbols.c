/*
 * symbols.c: the debugger's symbols and stacks, on elfutils' libdwfl.
 *
 * 1. Modules.  The executable and the shared objects are the files the
 *    NT_FILE note names as loaded images (a mapping at offset 0 followed
 *    at once by more of the same file), each reported to libdwfl with
 *    dwfl_report_elf at that address, from which it works out the load
 *    bias.  libdwfl's own reading of the core (dwfl_core_file_report)
 *    adds what no file holds, the vdso; alone it finds nothing else here,
 *    since the dump leaves out the unmodified file pages (the ELF headers
 *    and the dynamic section) it would read the link map through.  `slabtrace mdb PROGRAM FILE` names the executable when it
 *    has moved.  Nothing here reads an ELF symbol table or DWARF by hand:
 *    libdwfl picks .symtab, .dynsym or a separate debug file.  debuginfod
 *    is off (DEBUGINFOD_URLS is unset): a debugger must not wait on the
 *    network.
 *
 * 2. Names.  An address is "function+0xoff" (mdb's %a: the offset in hex
 *    with 0x from 10 up, "+8" below, nothing for 0), the name demangled by
 *    libstdc++'s __cxa_demangle and without its symbol version
 *    ("__libc_start_main@@GLIBC_2.34" reads "__libc_start_main").  An
 *    address no symbol holds is printed in hex.  A name is looked up in
 *    every module's symbol table, a global definition first.
 *
 * 3. Stacks.  dwfl_core_file_attach() gives libdwfl the threads of the
 *    core (their NT_PRSTATUS registers); dwfl_getthread_frames() unwinds
 *    one with the modules' CFI (.eh_frame, .debug_frame), falling back to
 *    frame pointers.  At most MDB_MAXFRAMES frames are given, so a stack
 *    that loops (a corrupt one) ends.  The frames after the first are
 *    return addresses: their function is looked up at pc - 1 (a call that
 *    never returns may be the last instruction of its function), their
 *    offset printed from pc, as mdb does.
 *
 * 4. A live process (proc.c).  dwfl_linux_proc_report() reads the
 *    modules from /proc/PID/maps and the vdso from the process, the files
 *    from their paths.  Its threads go to libdwfl through our own
 *    Dwfl_Thread_Callbacks, not dwfl_linux_proc_attach(), which would
 *    PTRACE_ATTACH (a SIGSTOP: see proc.c, section 3): the registers are
 *    those mdb_tgt_getregs() read while the threads are stopped, the
 *    memory is read through the target.
 *
 * The caller gets the state in t->t_sym; a target without a file (the
 * fuzzer's, in memory) has no symbols: every address prints in hex.
 */
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdb.h"

#define	MDB_MAXFRAMES	512

extern char *__cxa_demangle(const char *, char *, size_t *, int *);

typedef struct sym_state {
	Dwfl *ss_dwfl;
	Elf *ss_elf;			/* the core; a live process's program */
	int ss_fd;			/* a live process's program, or -1 */
	int ss_attached;		/* 0: not tried; 1: yes; -1: failed */
	char ss_attach_err[128];
	struct sym_cent *ss_cache;	/* SYM_CACHE entries, or NULL */
	struct sym_cent *ss_last;	/* the last symbol found, or NULL */
} sym_state_t;

/*
 * libdwfl finds the symbol holding an address by a linear search of the
 * module's symbol table (0.5 ms in libc): a command that prints thousands
 * of addresses (ADDR,N/K, ::kmausers, ::findleaks -d) would spend seconds
 * there.  So each answer is kept, in a direct-mapped table by address;
 * and an address inside the last symbol found (st_size > 0) is that
 * symbol's without a lookup.
 */
#define	SYM_CACHE	8192

typedef struct sym_cent {
	uint64_t sc_addr;
	uint64_t sc_start;
	uint64_t sc_size;
	char *sc_name;			/* demangled; NULL: no symbol */
	bool sc_valid;
} sym_cent_t;

static void
sym_cache_clear(sym_state_t *ss)
{
	size_t i;

	if (ss->ss_cache == NULL)
		return;
	for (i = 0; i < SYM_CACHE; i++) {
		free(ss->ss_cache[i].sc_name);
		ss->ss_cache[i].sc_name = NULL;
		ss->ss_cache[i].sc_valid = false;
	}
	ss->ss_last = NULL;
}

static char *sym_debuginfo_path;

static const Dwfl_Callbacks sym_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &sym_debuginfo_path,
};

static const char *
sym_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return (slash != NULL ? slash + 1 : path);
}

/*
 * Report each file NT_FILE names as loaded (section 1) at the address of
 * its mapping at offset 0: libdwfl takes that as where its first PT_LOAD is (add_p_vaddr
 * false) and works out the bias.  The executable is PROGRAM when given.
 */
static int
sym_report_files(mdb_tgt_t *t, Dwfl *dwfl)
{
	const char *exe = t->t_have_note ? t->t_note.sn_program : "";
	size_t i, j;
	int n = 0;

	for (i = 0; i < t->t_nfiles; i++) {
		const mdb_mapfile_t *mf = &t->t_files[i];
		const char *path = mf->mf_name;
		bool dup = false;

		/*
		 * A loaded image: offset 0 followed at once by more of the
		 * same file.  A file mapped whole to be read (the
		 * allocator's symbol tables are) is one mapping: not code.
		 */
		if (mf->mf_offset != 0 || path[0] != '/' ||
		    i + 1 == t->t_nfiles || mf[1].mf_start != mf->mf_end ||
		    mf[1].mf_offset == 0 || strcmp(mf[1].mf_name, path) != 0)
			continue;
		for (j = 0; j < i && !dup; j++)
			dup = t->t_files[j].mf_offset == 0 &&
			    strcmp(t->t_files[j].mf_name, path) == 0 &&
			    j + 1 < t->t_nfiles &&
			    t->t_files[j + 1].mf_start == t->t_files[j].mf_end &&
			    t->t_files[j + 1].mf_offset != 0 &&
			    strcmp(t->t_files[j + 1].mf_name, path) == 0;
		if (dup)
			continue;
		if (t->t_program != NULL && (strcmp(path, exe) == 0 ||
		    strcmp(sym_basename(path),
		    sym_basename(t->t_program)) == 0))
			path = t->t_program;
		if (dwfl_report_elf(dwfl, sym_basename(mf->mf_name), path, -1,
		    mf->mf_start, false) != NULL)
			n++;
	}
	return (n);
}

/* ------------------------------------------------------------------------
 * A live process (section 4).
 */

static const Dwfl_Callbacks sym_proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &sym_debuginfo_path,
};

/* The threads with registers, in t_threads order; *argp the last one. */
static pid_t
sym_next_thread(Dwfl *dwfl, void *dwfl_arg, void **argp)
{
	mdb_tgt_t *t = dwfl_arg;
	const mdb_thread_t *th = *argp;
	size_t i = th == NULL ? 0 : (size_t)(th - t->t_threads) + 1;

	(void) dwfl;
	if (i >= t->t_nthreads)
		return (0);
	*argp = &t->t_threads[i];
	return ((pid_t)t->t_threads[i].th_tid);
}

static bool
sym_get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **argp)
{
	mdb_tgt_t *t = dwfl_arg;
	const mdb_thread_t *th = mdb_tgt_thread(t, (uint32_t)tid);

	(void) dwfl;
	if (th == NULL)
		return (false);
	*argp = (void *)th;
	return (true);
}

static bool
sym_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
    void *dwfl_arg)
{
	(void) dwfl;
	return (mdb_tgt_vread(dwfl_arg, addr, result, sizeof (*result)) == 0);
}

/* pr_reg in DWARF's numbering (the psABI's), and the pc. */
static bool
sym_set_registers(Dwfl_Thread *thread, void *arg)
{
	const mdb_thread_t *th = arg;
	Dwarf_Word dw[32];
	uint64_t pc;

#if defined(__x86_64__)
	/* user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx
	   rdx rsi rdi orig_rax rip ... rsp */
	static const uint8_t map[17] = { 10, 12, 11, 5, 13, 14, 4, 19,
	    9, 8, 7, 6, 3, 2, 1, 0, 16 };
	unsigned i, n = 17;

	if (th->th_nregs < 20)
		return (false);
	for (i = 0; i < n; i++)
		dw[i] = th->th_regs[map[i]];
	pc = th->th_regs[16];
#else
	/* user_pt_regs: x0-x30, sp, pc, pstate */
	unsigned i, n = 32;

	if (th->th_nregs < 33)
		return (false);
	for (i = 0; i < n; i++)
		dw[i] = th->th_regs[i];
	pc = th->th_regs[32];
#endif
	if (!dwfl_thread_state_registers(thread, 0, n, dw))
		return (false);
	dwfl_thread_state_register_pc(thread, pc);
	return (true);
}

static const Dwfl_Thread_Callbacks sym_proc_threads = {
	.next_thread = sym_next_thread,
	.get_thread = sym_get_thread,
	.memory_read = sym_memory_read,
	.set_initial_registers = sym_set_registers,
};

static int
sym_init_proc(mdb_tgt_t *t, char *err, size_t errlen)
{
	sym_state_t *ss;
	int rc;

	char exe[64];

	if ((ss = calloc(1, sizeof (*ss))) == NULL) {
		(void) snprintf(err, errlen, "out of memory");
		return (-1);
	}
	/*
	 * The program's ELF tells libdwfl the machine at attach time, so that
	 * it does not borrow a module's, which mdb_sym_refresh may drop.
	 */
	(void) snprintf(exe, sizeof (exe), "/proc/%d/exe", (int)t->t_pid);
	(void) unsetenv("DEBUGINFOD_URLS");
	(void) elf_version(EV_CURRENT);
	if ((ss->ss_fd = open(exe, O_RDONLY | O_CLOEXEC)) >= 0)
		ss->ss_elf = elf_begin(ss->ss_fd, ELF_C_READ_MMAP, NULL);
	if ((ss->ss_dwfl = dwfl_begin(&sym_proc_callbacks)) == NULL) {
		(void) snprintf(err, errlen, "cannot read symbols: %s",
		    dwfl_errmsg(-1));
		t->t_sym = ss;
		mdb_sym_fini(t);
		return (-1);
	}
	dwfl_report_begin(ss->ss_dwfl);
	rc = dwfl_linux_proc_report(ss->ss_dwfl, t->t_pid);
	(void) dwfl_report_end(ss->ss_dwfl, NULL, NULL);
	if (rc != 0) {
		(void) snprintf(err, errlen, "cannot find the modules: %s",
		    rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		t->t_sym = ss;
		mdb_sym_fini(t);
		return (-1);
	}
	t->t_sym = ss;
	return (0);
}

/* Give libdwfl the threads, once: the core's notes or ours. */
static int
sym_attach(mdb_tgt_t *t, sym_state_t *ss)
{
	if (t->t_pid != 0)
		return (dwfl_attach_state(ss->ss_dwfl, ss->ss_elf, t->t_pid,
		    &sym_proc_threads, t) ? 0 : -1);
	return (dwfl_core_file_attach(ss->ss_dwfl, ss->ss_elf) < 0 ? -1 : 0);
}

int
mdb_sym_init(mdb_tgt_t *t, char *err, size_t errlen)
{
	sym_state_t *ss;
	int nmods;

	if (t->t_pid != 0)
		return (sym_init_proc(t, err, errlen));
	if (t->t_fd < 0)
		return (0);
	(void) unsetenv("DEBUGINFOD_URLS");
	(void) elf_version(EV_CURRENT);
	if ((ss = calloc(1, sizeof (*ss))) == NULL) {
		(void) snprintf(err, errlen, "out of memory");
		return (-1);
	}
	ss->ss_fd = -1;
	ss->ss_elf = elf_begin(t->t_fd, ELF_C_READ_MMAP, NULL);
	ss->ss_dwfl = dwfl_begin(&sym_callbacks);
	if (ss->ss_elf == NULL || ss->ss_dwfl == NULL) {
		(void) snprintf(err, errlen, "cannot read symbols: %s",
		    dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_report_begin(ss->ss_dwfl);
	/*
	 * The vdso (which no file holds) from the dump itself, first:
	 * dwfl_core_file_report drops the modules reported before it.
	 */
	nmods = dwfl_core_file_report(ss->ss_dwfl, ss->ss_elf, NULL);
	if (sym_report_files(t, ss->ss_dwfl) == 0 && nmods <= 0) {
		(void) snprintf(err, errlen, "cannot find the modules: %s",
		    dwfl_errmsg(-1));
		goto fail;
	}
	(void) dwfl_report_end(ss->ss_dwfl, NULL, NULL);
	t->t_sym = ss;
	return (0);
fail:
	if (ss->ss_dwfl != NULL)
		dwfl_end(ss->ss_dwfl);
	if (ss->ss_elf != NULL)
		(void) elf_end(ss->ss_elf);
	free(ss);
	return (-1);
}

void
mdb_sym_fini(mdb_tgt_t *t)
{
	sym_state_t *ss = t->t_sym;

	if (ss == NULL)
		return;
	sym_cache_clear(ss);
	free(ss->ss_cache);
	dwfl_end(ss->ss_dwfl);
	(void) elf_end(ss->ss_elf);
	if (ss->ss_fd >= 0)
		(void) close(ss->ss_fd);
	free(ss);
	t->t_sym = NULL;
}

/*
 * A live process mapped or unmapped files (dlopen): report its modules
 * again.  libdwfl keeps those reported again as they were.
 */
void
mdb_sym_refresh(mdb_tgt_t *t)
{
	sym_state_t *ss = t->t_sym;

	if (ss == NULL || t->t_pid == 0)
		return;
	sym_cache_clear(ss);
	dwfl_report_begin(ss->ss_dwfl);
	(void) dwfl_linux_proc_report(ss->ss_dwfl, t->t_pid);
	(void) dwfl_report_end(ss->ss_dwfl, NULL, NULL);
}

/* A symbol's name as printed: demangled, no "@VERSION". */
static void
sym_name(const char *raw, char *buf, size_t len)
{
	char *dm = NULL, *at;
	int status;

	if (raw[0] == '_' && raw[1] == 'Z')
		dm = __cxa_demangle(raw, NULL, NULL, &status);
	(void) snprintf(buf, len, "%s", dm != NULL ? dm : raw);
	free(dm);
	if (buf[0] != '\0' && (at = strchr(buf + 1, '@')) != NULL)
		*at = '\0';
}

bool
mdb_sym_lookup(mdb_tgt_t *t, uint64_t addr, char *name, size_t namelen,
    uint64_t *startp, uint64_t *sizep)
{
	sym_state_t *ss = t->t_sym;
	Dwfl_Module *mod;
	GElf_Sym sym;
	GElf_Off off;
	const char *raw;
	sym_cent_t *ce, *hit = NULL;
	char buf[512];

	if (ss == NULL)
		return (false);
	if (ss->ss_cache == NULL)
		ss->ss_cache = calloc(SYM_CACHE, sizeof (sym_cent_t));
	ce = ss->ss_cache != NULL ? &ss->ss_cache[(addr ^ (addr >> 13)) %
	    SYM_CACHE] : NULL;
	if (ce != NULL && ce->sc_valid && ce->sc_addr == addr)
		hit = ce;
	else if (ss->ss_last != NULL && ss->ss_last->sc_name != NULL &&
	    addr >= ss->ss_last->sc_start &&
	    addr - ss->ss_last->sc_start < ss->ss_last->sc_size)
		hit = ss->ss_last;
	if (hit == NULL) {
		raw = (mod = dwfl_addrmodule(ss->ss_dwfl, addr)) == NULL ?
		    NULL : dwfl_module_addrinfo(mod, addr, &off, &sym, NULL,
		    NULL, NULL);
		if (raw != NULL && raw[0] != '\0')
			sym_name(raw, buf, sizeof (buf));
		if (ce == NULL) {
			if (raw == NULL || raw[0] == '\0')
				return (false);
			(void) snprintf(name, namelen, "%s", buf);
			if (startp != NULL)
				*startp = addr - off;
			if (sizep != NULL)
				*sizep = sym.st_size;
			return (true);
		}
		free(ce->sc_name);
		if (ss->ss_last == ce)
			ss->ss_last = NULL;
		ce->sc_addr = addr;
		ce->sc_valid = true;
		ce->sc_name = NULL;
		if (raw != NULL && raw[0] != '\0' &&
		    (ce->sc_name = strdup(buf)) != NULL) {
			ce->sc_start = addr - off;
			ce->sc_size = sym.st_size;
			if (sym.st_size > 0)
				ss->ss_last = ce;
		}
		hit = ce;
	}
	if (hit->sc_name == NULL)
		return (false);
	(void) snprintf(name, namelen, "%s", hit->sc_name);
	if (startp != NULL)
		*startp = hit->sc_start;
	if (sizep != NULL)
		*sizep = hit->sc_size;
	return (true);
}

void
mdb_fmt_off(uint64_t off, char *buf, size_t len)
{
	if (off == 0)
		buf[0] = '\0';
	else if (off < 10)
		(void) snprintf(buf, len, "+%llu", (unsigned long long)off);
	else
		(void) snprintf(buf, len, "+0x%llx", (unsigned long long)off);
}

const char *
mdb_sym_format(mdb_tgt_t *t, uint64_t addr, char *buf, size_t len)
{
	char name[512], off[32];
	uint64_t start;

	if (!mdb_sym_lookup(t, addr, name, sizeof (name), &start, NULL)) {
		(void) snprintf(buf, len, "%llx", (unsigned long long)addr);
		return (buf);
	}
	mdb_fmt_off(addr - start, off, sizeof (off));
	(void) snprintf(buf, len, "%s%s", name, off);
	return (buf);
}

typedef struct sym_find {
	const char *sf_name;
	uint64_t sf_addr;
	int sf_rank;			/* 2: global; 1: local; 0: none */
} sym_find_t;

static int
sym_find_module(Dwfl_Module *mod, void **ud, const char *mname,
    Dwarf_Addr base, void *arg)
{
	sym_find_t *sf = arg;
	int i, n = dwfl_module_getsymtab(mod);

	(void) ud, (void) mname, (void) base;
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		char name[512];
		const char *raw;
		int rank;

		raw = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL,
		    NULL);
		if (raw == NULL || sym.st_shndx == SHN_UNDEF || addr == 0)
			continue;
		if (strcmp(raw, sf->sf_name) != 0) {
			sym_name(raw, name, sizeof (name));
			if (strcmp(name, sf->sf_name) != 0)
				continue;
		}
		rank = GELF_ST_BIND(sym.st_info) == STB_LOCAL ? 1 : 2;
		if (rank > sf->sf_rank) {
			sf->sf_rank = rank;
			sf->sf_addr = addr;
		}
	}
	return (sf->sf_rank == 2 ? DWARF_CB_ABORT : DWARF_CB_OK);
}

bool
mdb_sym_byname(mdb_tgt_t *t, const char *name, uint64_t *addrp)
{
	sym_state_t *ss = t->t_sym;
	sym_find_t sf = { name, 0, 0 };

	if (ss == NULL)
		return (false);
	(void) dwfl_getmodules(ss->ss_dwfl, sym_find_module, &sf, 0);
	if (sf.sf_rank == 0)
		return (false);
	*addrp = sf.sf_addr;
	return (true);
}

bool
mdb_sym_srcline(mdb_tgt_t *t, uint64_t addr, char *buf, size_t len)
{
	sym_state_t *ss = t->t_sym;
	Dwfl_Module *mod;
	Dwfl_Line *line;
	const char *file;
	int lineno = 0;

	if (ss == NULL || (mod = dwfl_addrmodule(ss->ss_dwfl, addr)) == NULL ||
	    (line = dwfl_module_getsrc(mod, addr)) == NULL)
		return (false);
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (file == NULL)
		return (false);
	(void) snprintf(buf, len, "%s:%d", file, lineno);
	return (true);
}

/* The stack and frame pointers' DWARF register numbers. */
#if defined(__x86_64__)
#define	SYM_DWARF_SP	7
#define	SYM_DWARF_FP	6	/* %rbp */
#elif defined(__aarch64__)
#define	SYM_DWARF_SP	31
#define	SYM_DWARF_FP	29	/* x29 */
#endif

uint64_t mdb_frame_sp;
uint64_t mdb_frame_fp;
bool mdb_frame_fp_known;

typedef struct sym_walk {
	mdb_frame_f *sw_func;
	void *sw_arg;
	int sw_nframes;
} sym_walk_t;

static int
sym_frame(Dwfl_Frame *frame, void *arg)
{
	sym_walk_t *sw = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp, fp;
	bool activation;

	if (!dwfl_frame_pc(frame, &pc, &activation))
		return (DWARF_CB_ABORT);
	if (++sw->sw_nframes > MDB_MAXFRAMES)
		return (DWARF_CB_ABORT);
	if (dwfl_frame_reg(frame, SYM_DWARF_SP, &sp) != 0)
		sp = 0;
	mdb_frame_sp = sp;
	/* The frame pointer as the unwinder restored it for this frame. */
	mdb_frame_fp_known = dwfl_frame_reg(frame, SYM_DWARF_FP, &fp) == 0;
	mdb_frame_fp = mdb_frame_fp_known ? fp : 0;
	if (!sw->sw_func(sw->sw_arg, pc, activation))
		return (DWARF_CB_ABORT);
	return (DWARF_CB_OK);
}

int
mdb_sym_stack(mdb_tgt_t *t, uint32_t tid, mdb_frame_f *func, void *arg,
    char *err, size_t errlen)
{
	sym_state_t *ss = t->t_sym;
	sym_walk_t sw = { func, arg, 0 };
	int rc;

	if (ss == NULL) {
		(void) snprintf(err, errlen, "no symbols for this target");
		return (-1);
	}
	if (ss->ss_attached == 0) {
		if (sym_attach(t, ss) != 0) {
			(void) snprintf(ss->ss_attach_err,
			    sizeof (ss->ss_attach_err), "%s",
			    dwfl_errmsg(-1));
			ss->ss_attached = -1;
		} else {
			ss->ss_attached = 1;
		}
	}
	if (ss->ss_attached < 0) {
		(void) snprintf(err, errlen, "cannot unwind: %s",
		    ss->ss_attach_err);
		return (-1);
	}
	rc = dwfl_getthread_frames(ss->ss_dwfl, (pid_t)tid, sym_frame, &sw);
	/* The unwinder's error at the outermost frame ends every stack. */
	if (rc == -1 && sw.sw_nframes == 0) {
		(void) snprintf(err, errlen, "cannot unwind thread %u: %s",
		    tid, dwfl_errmsg(-1));
		return (-1);
	}
	return (sw.sw_nframes);
}
