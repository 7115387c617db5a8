/*
 * symbolize.c: `slabtrace symbolize`, code addresses to functions, source
 * files and lines, inlined frames included.
 *
 * 1. What it is for
 *
 * The allocator's own symbolizer (src/symtab.c) runs inside the failing
 * process and so may not allocate: it reads ELF symbol tables and prints
 * "function+0xoff".  A heap-corruption report is worth more with source
 * lines, demangled C++ names and the frames the compiler inlined, and
 * reading DWARF takes memory and time.  So the library hands that work to
 * this command, in a process of its own (vfork+execve, a pipe each way), as
 * ASan does with llvm-symbolizer; the debugger reuses it.  DWARF and the
 * symbol tables are read by elfutils' libdwfl and libdw, names demangled by
 * libstdc++'s __cxa_demangle.
 *
 * 2. The protocol
 *
 * One query a line on stdin:
 *
 *	MODULE <TAB> ADDR <NL>
 *
 * MODULE is the path of an ELF file (executable or shared object, PIE or
 * not); ADDR, in hex without 0x, an address in that file's link-time
 * address space: the pc minus the module's load bias (the pc itself in a
 * non-PIE executable).  The caller has already taken 1 off return
 * addresses; we do not adjust.  The answer:
 *
 *	FUNCTION <TAB> FILE <TAB> LINE <NL>	one line a frame
 *	<NL>					then an empty line
 *
 * and stdout is flushed.  The frames go innermost inlined frame first, the
 * real function last, as `addr2line -i` prints them.  FUNCTION is
 * demangled, or "??"; FILE is "??" and LINE 0 without line information.
 * Every query line gets exactly one answer, so that the caller, reading an
 * answer per query, stays in step: a malformed line, one longer than
 * SYM_LINEMAX, a module that cannot be opened or an address outside it get
 * the one frame "??<TAB>??<TAB>0".  EOF ends the process, status 0.
 * Nothing else is ever written to stdout; with -v the reasons for "??" go
 * to stderr.  `-e MODULE ADDR...` answers in the same format for the
 * addresses given as arguments (or, with none, for one ADDR a line read
 * from stdin) and exits.
 *
 * 3. Frames
 *
 * The frames at ADDR are the DW_TAG_subprogram and DW_TAG_inlined_subroutine
 * DIEs whose pc ranges hold it: the innermost is the one starting last (the
 * deepest, of those starting at the same address), the next is the
 * function DIE it lies in, and so on out to the first subprogram.  libdw's
 * dwarf_getscopes() answers that by walking the whole CU on every call (and
 * past an inlined subroutine gives the scopes of its abstract definition,
 * what a variable lookup wants, so dwarf_getscopes_die() must walk it
 * again): 10 ms a query in a CU of templates.  So the first query in a CU
 * walks its DIEs once (sym_cuidx_walk) and keeps an index of its function
 * DIEs, each with the one it lies in, and their ranges sorted by address;
 * later queries there cost a binary search (35 us a query, all told, in
 * the same CU).  Function and file:line pair up as in addr2line -i:
 *
 *	frame 0 (innermost)   its function   the line table's row for ADDR
 *	frame k               its function   DW_AT_call_file, DW_AT_call_line
 *	                                     of the inlined subroutine k-1
 *
 * since where frame k-1 was inlined is a line of frame k's function.  At
 * most SYM_MAXFRAMES frames are given: the innermost ones and the real
 * function; any between are dropped.
 *
 * 4. Names
 *
 * A frame's DIE, following DW_AT_abstract_origin and DW_AT_specification
 * to its declaration, is named by its DW_AT_linkage_name, demangled
 * ("Registry::~Registry()", with class, template arguments and parameter
 * types, as addr2line -C prints it).  Without one (C, main, extern "C",
 * and g++ gives none to a template instance with a lambda in its arguments)
 * it is named by DW_AT_name qualified with the namespaces, classes and
 * functions around the declaration ("std::__invoke_impl<...>",
 * "main::(anonymous class)::operator()"); the same walk of the CU indexes
 * those scopes by their extent in .debug_info, so the scopes around a DIE
 * are found the way frames are.  The real function's name, when DWARF has
 * no linkage name for it, comes from the ELF symbol table if that has a
 * C++ symbol there (the full signature of a lambda's _M_invoke; a C
 * function's DW_AT_name beats its symbol's aliases, like
 * "__GI___libc_malloc" or "main.cold").  The symbol table is all there is
 * without debug information (a stripped file, code outside every CU), and
 * it is read as addr2line does when DWARF has no function there at all.
 * libdwfl picks the
 * table: .symtab, a separate debug file's found by build-id or
 * .gnu_debuglink, MiniDebugInfo, or .dynsym; only a symbol that holds the
 * address (or a sizeless one before it) is taken, so a static function
 * missing from .dynsym stays "??" rather than being named after the export
 * before it.  A symbol's version ("name@@VERSION", in a .symtab) is
 * dropped.  Whatever a file holds, control characters in names and paths are
 * printed as '?', so a hostile file cannot break the line protocol.
 *
 * 5. Files
 *
 * The line table's paths are made absolute with the CU's DW_AT_comp_dir
 * when that is absolute (libdw does it for most, not for DWARF 5 paths in
 * a directory relative to the compilation directory).  A path under our
 * working directory is printed relative to it (the library starts us in
 * the program's directory, so it reads "src/foo.cc" as the user would type
 * it); the directory is taken as getcwd() spells it, and as $PWD does if
 * that names the same directory, since compilers record the logical path.
 * Other paths are printed as they are ("./malloc/malloc.c" from a libc
 * built with a relative DW_AT_comp_dir).
 *
 * 6. The module cache
 *
 * Each MODULE path gets a Dwfl session of its own, with the one file
 * reported offline, kept for later queries: libdw reads symbol tables, line
 * tables and DIEs on demand and keeps them, so the first query in a module
 * costs most and later ones little.  Separate sessions cannot collide on
 * addresses (two non-PIE executables would in one).  A path that cannot be
 * opened is remembered as such.  At most SYM_MAXMODULES are kept, most
 * recently used first; the last is closed to make room, with its CU
 * indexes.  libdwfl's address
 * for a link-time address is that plus the module's bias, from
 * dwfl_module_getelf() (offline reporting places shared objects where it
 * likes).  The CU of an address is found through .debug_aranges by libdw;
 * for CUs missing from it (clang emits none) we index the CUs' own ranges,
 * once per module, when libdw finds nothing.
 *
 * 7. Robustness
 *
 * MODULE must be a regular file (a FIFO or a device would block us, or
 * never end).  Queries run under a guard: a SIGSEGV, SIGBUS, SIGILL or
 * SIGFPE inside libdw or the demangler (a corrupt file that gets past their
 * checks; a stack overflow, handled on an alternate stack) jumps back to
 * the query, which is answered "??", and the module is set aside: its
 * session is leaked, never touched again.  Outside a query those signals
 * keep their default action.  debuginfod is off (DEBUGINFOD_URLS unset)
 * unless --debuginfod is given: a crash report must not wait on the
 * network.
 *
 * This command runs on the C library's malloc, like the rest of the
 * slabtrace command: whoever starts it must not preload the allocator into
 * it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* getc_unlocked, asprintf, strndup */
#endif

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

/* libstdc++'s demangler (the Itanium C++ ABI); linked with -lstdc++. */
extern char *__cxa_demangle(const char *, char *, size_t *, int *);

#define	SYM_MAXMODULES	64		/* Dwfl sessions kept (section 6) */
#define	SYM_MAXFRAMES	64		/* frames in one answer (section 3) */
#define	SYM_LINEMAX	(PATH_MAX + 64)	/* longest query, newline excluded */
#define	SYM_ALTSTACK	(256 * 1024)	/* the guard's signal stack */
#define	SYM_MAXCURANGES	(1 << 20)	/* CU ranges indexed in a module */
#define	SYM_MAXFNODES	(1 << 20)	/* functions indexed in a CU */
#define	SYM_MAXFRANGES	(1 << 21)	/* and their ranges */
#define	SYM_MAXSCOPES	(1 << 20)	/* scopes indexed in a CU */
#define	SYM_MAXDEPTH	1024		/* DIE nesting followed */
#define	SYM_MAXCHAIN	16		/* origins followed for a name */
#define	SYM_MAXQUAL	32		/* scopes in a qualified name */

#define	SYM_UNKNOWN	"??\t??\t0\n"	/* the answer's frame for nothing */

#define	EXIT_USAGE	2

/* One address range of a CU, for modules without .debug_aranges. */
typedef struct sym_curange {
	Dwarf_Addr cr_lo;		/* [cr_lo, cr_hi), DWARF addresses */
	Dwarf_Addr cr_hi;
	Dwarf_Die cr_cu;		/* the CU's DIE */
} sym_curange_t;

/* A function DIE (subprogram or inlined subroutine) with code. */
typedef struct sym_fnode {
	Dwarf_Die fn_die;
	int32_t fn_parent;		/* index of the one it is in; -1 */
	bool fn_named;			/* fn_name has been worked out */
	bool fn_linkage;		/* fn_name is from a linkage name */
	char *fn_name;			/* malloc'd; NULL: none */
} sym_fnode_t;

/* A DIE that can hold declarations: namespace, class, function. */
typedef struct sym_scope {
	Dwarf_Off sc_start;		/* the DIE's offset */
	Dwarf_Off sc_end;		/* where its children end */
	Dwarf_Off sc_maxend;		/* greatest sc_end up to this one */
	Dwarf_Die sc_die;
	int32_t sc_parent;		/* index of the one it is in; -1 */
} sym_scope_t;

/* One address range of a function DIE. */
typedef struct sym_frange {
	Dwarf_Addr fr_lo;		/* [fr_lo, fr_hi), DWARF addresses */
	Dwarf_Addr fr_hi;
	Dwarf_Addr fr_maxhi;		/* greatest fr_hi up to this one */
	uint32_t fr_node;		/* its sym_fnode_t */
	uint32_t fr_depth;		/* of the DIE in the tree */
} sym_frange_t;

/* The function index of one CU (section 3). */
typedef struct sym_cuidx {
	struct sym_cuidx *ci_next;	/* most recently used first */
	Dwarf_Off ci_off;		/* the CU DIE's offset */
	sym_fnode_t *ci_nodes;
	size_t ci_nnodes;
	sym_frange_t *ci_ranges;	/* by fr_lo, then fr_depth */
	size_t ci_nranges;
	sym_scope_t *ci_scopes;		/* by sc_start (the walk's order) */
	size_t ci_nscopes;
} sym_cuidx_t;

typedef struct sym_module {
	struct sym_module *sm_next;	/* most recently used first */
	char *sm_path;			/* as the query gave it */
	Dwfl *sm_dwfl;			/* NULL: cannot be opened */
	Dwfl_Module *sm_mod;		/* its one module */
	GElf_Addr sm_bias;		/* libdwfl address - link-time one */
	bool sm_poisoned;		/* faulted: never touched again */
	bool sm_cudone;			/* sm_cur[] has been built */
	sym_curange_t *sm_cur;		/* by cr_lo; see sym_cu_index() */
	size_t sm_ncur;
	Dwarf_Addr sm_cubias;		/* libdwfl address - DWARF one */
	sym_cuidx_t *sm_cuidx;		/* the CUs indexed so far */
} sym_module_t;

typedef struct sym_frame {
	char *sf_func;			/* malloc'd, demangled; NULL: "??" */
	char *sf_file;			/* malloc'd; NULL: "??" */
	uint64_t sf_line;		/* 0: unknown */
} sym_frame_t;

static bool sym_verbose;		/* -v: reasons on stderr */

static sym_module_t *sym_modules;	/* the cache, LRU order */
static int sym_nmodules;
static sym_module_t *sym_current;	/* the module being queried */

static sym_frame_t sym_frames[SYM_MAXFRAMES];	/* the answer */
static int sym_nframes;

static char sym_cwdbuf[PATH_MAX];
static const char *sym_cwd[2];		/* getcwd(), $PWD; NULL: none */
static size_t sym_cwdlen[2];

static sigjmp_buf sym_guard_jmp;
static volatile sig_atomic_t sym_guarded;

/* NULL: libdwfl's default debuginfo path, ":.debug:/usr/lib/debug". */
static char *sym_debuginfo_path;

static const Dwfl_Callbacks sym_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &sym_debuginfo_path,
};

/*
 * ----------------------------------------------------------------------
 * Messages: usage errors always, the rest only with -v.
 */

static void
sym_vmsg(const char *fmt, va_list ap)
{
	(void) fprintf(stderr, "slabtrace: symbolize: ");
	(void) vfprintf(stderr, fmt, ap);
	(void) fputc('\n', stderr);
}

static void
sym_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sym_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sym_vmsg(fmt, ap);
	va_end(ap);
}

static void
sym_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sym_warn(const char *fmt, ...)
{
	va_list ap;

	if (!sym_verbose)
		return;
	va_start(ap, fmt);
	sym_vmsg(fmt, ap);
	va_end(ap);
}

/*
 * ----------------------------------------------------------------------
 * Demangling, and the names DIEs carry (section 4).
 */

static char *
sym_cxa_demangle(const char *name)
{
	char *out;
	int status = -1;

	out = __cxa_demangle(name, NULL, NULL, &status);
	if (out != NULL && status != 0) {
		free(out);
		out = NULL;
	}
	return (out);
}

/* A malloc'd demangled copy of a linkage name; NULL if out of memory. */
static char *
sym_demangle(const char *name)
{
	char *out;

	if (strncmp(name, "_Z", 2) != 0 ||
	    (out = sym_cxa_demangle(name)) == NULL)
		return (strdup(name));
	return (out);
}

/*
 * The same for a symbol table's name, which may carry a version
 * ("__libc_start_main@@GLIBC_2.34", in a .symtab): without it.
 */
static char *
sym_demangle_symbol(const char *name)
{
	const char *at = strchr(name, '@');
	char *base, *out;

	if (at == NULL || at == name ||
	    (base = strndup(name, (size_t)(at - name))) == NULL)
		return (sym_demangle(name));
	out = sym_demangle(base);
	free(base);
	return (out);
}

/* The string value of DIE's own attribute; NULL if none or empty. */
static const char *
sym_die_string(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute attr;
	const char *s;

	if (dwarf_attr(die, name, &attr) == NULL ||
	    (s = dwarf_formstring(&attr)) == NULL || s[0] == '\0')
		return (NULL);
	return (s);
}

static const char *
sym_die_linkage(Dwarf_Die *die)
{
	const char *s;

	if ((s = sym_die_string(die, DW_AT_linkage_name)) == NULL)
		s = sym_die_string(die, DW_AT_MIPS_linkage_name);
	return (s);
}

/*
 * The name of a function DIE, following DW_AT_abstract_origin and
 * DW_AT_specification: its linkage name (*linkagep set) if one of them has
 * it, else the first DW_AT_name; or NULL.  *decl gets the last DIE of the
 * chain, the declaration, whose parents qualify a plain name.
 */
static const char *
sym_die_origin_name(Dwarf_Die *die, Dwarf_Die *decl, bool *linkagep)
{
	Dwarf_Attribute attr;
	Dwarf_Die cur = *die, next;
	const char *s, *name = NULL;
	int i;

	*linkagep = false;
	for (i = 0; i < SYM_MAXCHAIN; i++) {
		*decl = cur;
		if ((s = sym_die_linkage(&cur)) != NULL) {
			*linkagep = true;
			return (s);
		}
		if (name == NULL)
			name = sym_die_string(&cur, DW_AT_name);
		if ((dwarf_attr(&cur, DW_AT_abstract_origin, &attr) == NULL &&
		    dwarf_attr(&cur, DW_AT_specification, &attr) == NULL) ||
		    dwarf_formref_die(&attr, &next) == NULL)
			break;
		cur = next;
	}
	return (name);
}

/*
 * ----------------------------------------------------------------------
 * Files (section 5).
 */

/* Note dir as one spelling of the working directory, unless it is "/". */
static void
sym_cwd_add(int i, const char *dir)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (dir[0] != '/' || len <= 1)
		return;
	sym_cwd[i] = dir;
	sym_cwdlen[i] = len;
}

static void
sym_cwd_init(void)
{
	const char *pwd = getenv("PWD");
	struct stat dot, st;

	if (getcwd(sym_cwdbuf, sizeof (sym_cwdbuf)) != NULL)
		sym_cwd_add(0, sym_cwdbuf);
	if (pwd != NULL && strcmp(pwd, sym_cwdbuf) != 0 &&
	    stat(".", &dot) == 0 && stat(pwd, &st) == 0 &&
	    st.st_dev == dot.st_dev && st.st_ino == dot.st_ino)
		sym_cwd_add(1, pwd);
}

/* path as printed: relative to the working directory if under it. */
static const char *
sym_relpath(const char *path)
{
	const char *rel;
	int i;

	for (i = 0; i < 2; i++) {
		if (sym_cwd[i] == NULL ||
		    strncmp(path, sym_cwd[i], sym_cwdlen[i]) != 0 ||
		    path[sym_cwdlen[i]] != '/')
			continue;
		rel = path + sym_cwdlen[i];
		while (rel[0] == '/' || (rel[0] == '.' && rel[1] == '/'))
			rel++;
		if (rel[0] != '\0')
			return (rel);
	}
	return (path);
}

/*
 * ----------------------------------------------------------------------
 * The module cache (section 6).
 */

static void
sym_cuidx_free(sym_cuidx_t *ci)
{
	size_t i;

	for (i = 0; i < ci->ci_nnodes; i++)
		free(ci->ci_nodes[i].fn_name);
	free(ci->ci_scopes);
	free(ci->ci_nodes);
	free(ci->ci_ranges);
	free(ci);
}

static void
sym_module_free(sym_module_t *sm)
{
	sym_cuidx_t *ci;

	while ((ci = sm->sm_cuidx) != NULL) {
		sm->sm_cuidx = ci->ci_next;
		sym_cuidx_free(ci);
	}
	/* A poisoned session may be in any state: leave it alone. */
	if (sm->sm_dwfl != NULL && !sm->sm_poisoned)
		dwfl_end(sm->sm_dwfl);
	free(sm->sm_cur);
	free(sm->sm_path);
	free(sm);
}

/* Open sm's file in a session of its own; 0, or -1 (sm_dwfl NULL). */
static int
sym_module_open(sym_module_t *sm)
{
	struct stat st;
	Dwfl_Module *mod;
	GElf_Addr bias;

	if (stat(sm->sm_path, &st) != 0) {
		sym_warn("%s: %s", sm->sm_path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		sym_warn("%s: not a regular file", sm->sm_path);
		return (-1);
	}
	if ((sm->sm_dwfl = dwfl_begin(&sym_callbacks)) == NULL) {
		sym_warn("%s: %s", sm->sm_path, dwfl_errmsg(-1));
		return (-1);
	}
	dwfl_report_begin(sm->sm_dwfl);
	mod = dwfl_report_offline(sm->sm_dwfl, sm->sm_path, sm->sm_path, -1);
	if (mod == NULL || dwfl_report_end(sm->sm_dwfl, NULL, NULL) != 0 ||
	    dwfl_module_getelf(mod, &bias) == NULL) {
		sym_warn("%s: %s", sm->sm_path, dwfl_errmsg(-1));
		dwfl_end(sm->sm_dwfl);
		sm->sm_dwfl = NULL;
		return (-1);
	}
	sm->sm_mod = mod;
	sm->sm_bias = bias;
	return (0);
}

/* The cached session of path, opening it if new; NULL if out of memory. */
static sym_module_t *
sym_module_get(const char *path)
{
	sym_module_t **smp, *sm;

	for (smp = &sym_modules; (sm = *smp) != NULL; smp = &sm->sm_next) {
		if (strcmp(sm->sm_path, path) != 0)
			continue;
		*smp = sm->sm_next;
		sm->sm_next = sym_modules;
		sym_modules = sm;
		return (sym_current = sm);
	}

	if (sym_nmodules >= SYM_MAXMODULES) {
		for (smp = &sym_modules; (*smp)->sm_next != NULL;
		    smp = &(*smp)->sm_next)
			continue;
		sym_module_free(*smp);
		*smp = NULL;
		sym_nmodules--;
	}
	if ((sm = calloc(1, sizeof (*sm))) == NULL ||
	    (sm->sm_path = strdup(path)) == NULL) {
		free(sm);
		return (NULL);
	}
	sm->sm_next = sym_modules;
	sym_modules = sm;
	sym_nmodules++;
	sym_current = sm;
	(void) sym_module_open(sm);
	return (sm);
}

/*
 * ----------------------------------------------------------------------
 * Finding the CU of an address without .debug_aranges.
 *
 * libdw (0.188) finds an address's CU through .debug_aranges only, and
 * clang does not emit that section by default.  So when libdwfl finds no
 * CU, the CUs' own ranges (DW_AT_low_pc/high_pc, DW_AT_ranges) are
 * indexed, once per module, sorted by address and searched.
 */

static int
sym_curange_cmp(const void *a, const void *b)
{
	const sym_curange_t *ra = a, *rb = b;

	if (ra->cr_lo != rb->cr_lo)
		return (ra->cr_lo < rb->cr_lo ? -1 : 1);
	return (0);
}

static void
sym_cu_index(sym_module_t *sm)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias, base, lo, hi;
	sym_curange_t *cur, *grown;
	size_t max = 0;
	ptrdiff_t off;

	sm->sm_cudone = true;
	while ((cu = dwfl_module_nextcu(sm->sm_mod, cu, &bias)) != NULL) {
		sm->sm_cubias = bias;
		off = 0;
		while ((off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (sm->sm_ncur == max) {
				if (max == SYM_MAXCURANGES)
					goto full;
				max = max == 0 ? 64 : max * 2;
				grown = realloc(sm->sm_cur, max * sizeof (*cur));
				if (grown == NULL)
					goto full;
				sm->sm_cur = grown;
			}
			cur = &sm->sm_cur[sm->sm_ncur++];
			cur->cr_lo = lo;
			cur->cr_hi = hi;
			cur->cr_cu = *cu;
		}
	}
full:
	if (sm->sm_ncur > 0) {
		qsort(sm->sm_cur, sm->sm_ncur, sizeof (*sm->sm_cur),
		    sym_curange_cmp);
	}
}

/* A row that ends a sequence: the address after the code, no line. */
static bool
sym_row_ends(Dwarf_Line *row)
{
	bool end = false;

	return (dwarf_lineendsequence(row, &end) == 0 && end);
}

/* The CU holding daddr (a libdwfl address), *biasp its bias; or NULL. */
static Dwarf_Die *
sym_cu_find(sym_module_t *sm, Dwarf_Addr daddr, Dwarf_Addr *biasp)
{
	size_t lo = 0, hi, mid;
	Dwarf_Addr pc;

	if (!sm->sm_cudone)
		sym_cu_index(sm);
	if (sm->sm_ncur == 0)
		return (NULL);
	pc = daddr - sm->sm_cubias;

	/* The last range starting at or below pc. */
	hi = sm->sm_ncur;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (sm->sm_cur[mid].cr_lo <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if (pc < sm->sm_cur[lo].cr_lo || pc >= sm->sm_cur[lo].cr_hi)
		return (NULL);
	*biasp = sm->sm_cubias;
	return (&sm->sm_cur[lo].cr_cu);
}

/*
 * ----------------------------------------------------------------------
 * The function index of a CU (section 3).
 */

static int
sym_frange_cmp(const void *a, const void *b)
{
	const sym_frange_t *ra = a, *rb = b;

	if (ra->fr_lo != rb->fr_lo)
		return (ra->fr_lo < rb->fr_lo ? -1 : 1);
	if (ra->fr_depth != rb->fr_depth)
		return (ra->fr_depth < rb->fr_depth ? -1 : 1);
	return (0);
}

static bool
sym_die_is_frame(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	return (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	    tag == DW_TAG_entry_point);
}

/* Can die hold the declaration of a function a name is qualified by? */
static bool
sym_die_is_scope(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
		return (true);
	case DW_TAG_subprogram:		/* local classes, lambdas */
		return (!dwarf_hasattr(die, DW_AT_declaration));
	default:
		return (false);
	}
}

/*
 * Room for element n of arr[*maxp] (of size bytes each, at most cap):
 * arr, or arr grown (*maxp updated), or NULL if full or out of memory.
 */
static void *
sym_grow(void *arr, size_t *maxp, size_t n, size_t size, size_t cap)
{
	size_t max;

	if (n < *maxp)
		return (arr);
	if (*maxp >= cap)
		return (NULL);
	max = *maxp == 0 ? 256 : *maxp * 2;
	if (max > cap)
		max = cap;
	if ((arr = realloc(arr, max * size)) != NULL)
		*maxp = max;
	return (arr);
}

/*
 * The walk over a CU's DIEs: a stack of levels, each the DIE being looked
 * at and the function and scope that the DIEs of that level are in.
 */
typedef struct sym_level {
	Dwarf_Die sl_die;
	int32_t sl_fn;			/* enclosing function node; -1 */
	int32_t sl_scope;		/* enclosing scope; -1 */
	int32_t sl_own;			/* sl_die's own scope, while open */
} sym_level_t;

typedef struct sym_walk {
	sym_cuidx_t *sw_ci;
	size_t sw_maxnodes;		/* allocated sizes of the arrays */
	size_t sw_maxranges;
	size_t sw_maxscopes;
	int32_t sw_pending[SYM_MAXDEPTH];	/* scopes left, end unset */
	int sw_npending;
	sym_level_t sw_stack[SYM_MAXDEPTH];
} sym_walk_t;

/*
 * Index die, a function DIE at depth in function node parent, if it has
 * code: its node's index, or parent if it has none or there is no room.
 */
static int32_t
sym_walk_fn(sym_walk_t *w, Dwarf_Die *die, int32_t parent, int depth)
{
	sym_cuidx_t *ci = w->sw_ci;
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	sym_fnode_t *fn;
	sym_frange_t *fr;
	int32_t self = -1;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		if (self < 0) {
			if ((fn = sym_grow(ci->ci_nodes, &w->sw_maxnodes,
			    ci->ci_nnodes, sizeof (*fn), SYM_MAXFNODES)) ==
			    NULL)
				return (parent);
			ci->ci_nodes = fn;
			self = (int32_t)ci->ci_nnodes++;
			fn = &ci->ci_nodes[self];
			(void) memset(fn, 0, sizeof (*fn));
			fn->fn_die = *die;
			fn->fn_parent = parent;
		}
		if ((fr = sym_grow(ci->ci_ranges, &w->sw_maxranges,
		    ci->ci_nranges, sizeof (*fr), SYM_MAXFRANGES)) == NULL)
			break;
		ci->ci_ranges = fr;
		fr = &ci->ci_ranges[ci->ci_nranges++];
		fr->fr_lo = lo;
		fr->fr_hi = hi;
		fr->fr_node = (uint32_t)self;
		fr->fr_depth = (uint32_t)depth;
	}
	return (self >= 0 ? self : parent);
}

/* Index die, a scope in scope parent: its index, or -1 if no room. */
static int32_t
sym_walk_scope(sym_walk_t *w, Dwarf_Die *die, int32_t parent)
{
	sym_cuidx_t *ci = w->sw_ci;
	sym_scope_t *sc;

	if ((sc = sym_grow(ci->ci_scopes, &w->sw_maxscopes, ci->ci_nscopes,
	    sizeof (*sc), SYM_MAXSCOPES)) == NULL)
		return (-1);
	ci->ci_scopes = sc;
	sc = &ci->ci_scopes[ci->ci_nscopes];
	sc->sc_start = dwarf_dieoffset(die);
	sc->sc_end = (Dwarf_Off)-1;
	sc->sc_die = *die;
	sc->sc_parent = parent;
	return ((int32_t)ci->ci_nscopes++);
}

/* The scopes left since the last DIE end where the next one starts. */
static void
sym_walk_end(sym_walk_t *w, Dwarf_Off off)
{
	while (w->sw_npending > 0)
		w->sw_ci->ci_scopes[w->sw_pending[--w->sw_npending]].sc_end = off;
}

/*
 * Walk every DIE of the CU once, in the order of their offsets, indexing
 * its function DIEs and its scopes.  Each DIE must lie after the last one
 * walked, or the walk goes no further that way: a corrupt file (a
 * DW_AT_sibling pointing back into a subtree) cannot send it round in
 * circles, or over the same DIEs again and again.
 */
static void
sym_cuidx_walk(sym_cuidx_t *ci, Dwarf_Die *cudie)
{
	static sym_walk_t w;
	sym_level_t *lv;
	Dwarf_Die next;
	Dwarf_Off off;			/* of the last DIE walked */
	int32_t fn, scope;
	int depth = 0;

	(void) memset(&w, 0, offsetof(sym_walk_t, sw_pending));
	w.sw_ci = ci;
	w.sw_npending = 0;
	lv = &w.sw_stack[0];
	if (dwarf_child(cudie, &lv->sl_die) != 0 ||
	    dwarf_dieoffset(&lv->sl_die) <= dwarf_dieoffset(cudie))
		return;
	lv->sl_fn = lv->sl_scope = lv->sl_own = -1;

	while (depth >= 0) {
		lv = &w.sw_stack[depth];
		off = dwarf_dieoffset(&lv->sl_die);
		sym_walk_end(&w, off);
		fn = lv->sl_fn;
		scope = lv->sl_scope;
		if (sym_die_is_frame(&lv->sl_die))
			fn = sym_walk_fn(&w, &lv->sl_die, fn, depth);
		if (dwarf_haschildren(&lv->sl_die) > 0) {
			if (sym_die_is_scope(&lv->sl_die) &&
			    (lv->sl_own = sym_walk_scope(&w, &lv->sl_die,
			    scope)) >= 0)
				scope = lv->sl_own;
			if (depth + 1 < SYM_MAXDEPTH &&
			    dwarf_child(&lv->sl_die, &next) == 0 &&
			    dwarf_dieoffset(&next) > off) {
				lv = &w.sw_stack[++depth];
				lv->sl_die = next;
				lv->sl_fn = fn;
				lv->sl_scope = scope;
				lv->sl_own = -1;
				continue;
			}
		}

		/* Leave DIEs: on to the next sibling, of this or a parent. */
		while (depth >= 0) {
			lv = &w.sw_stack[depth];
			if (lv->sl_own >= 0)
				w.sw_pending[w.sw_npending++] = lv->sl_own;
			lv->sl_own = -1;
			if (dwarf_siblingof(&lv->sl_die, &next) == 0 &&
			    dwarf_dieoffset(&next) > off) {
				lv->sl_die = next;
				break;
			}
			depth--;
		}
	}
	sym_walk_end(&w, (Dwarf_Off)-1);
}

/* Build the index of cudie's functions; NULL if out of memory. */
static sym_cuidx_t *
sym_cuidx_build(Dwarf_Die *cudie)
{
	sym_cuidx_t *ci;
	Dwarf_Addr maxhi = 0;
	Dwarf_Off maxend = 0;
	size_t i;

	if ((ci = calloc(1, sizeof (*ci))) == NULL)
		return (NULL);
	ci->ci_off = dwarf_dieoffset(cudie);
	sym_cuidx_walk(ci, cudie);
	if (ci->ci_nranges > 0) {
		qsort(ci->ci_ranges, ci->ci_nranges, sizeof (sym_frange_t),
		    sym_frange_cmp);
	}
	for (i = 0; i < ci->ci_nranges; i++) {
		if (ci->ci_ranges[i].fr_hi > maxhi)
			maxhi = ci->ci_ranges[i].fr_hi;
		ci->ci_ranges[i].fr_maxhi = maxhi;
	}
	for (i = 0; i < ci->ci_nscopes; i++) {
		if (ci->ci_scopes[i].sc_end > maxend)
			maxend = ci->ci_scopes[i].sc_end;
		ci->ci_scopes[i].sc_maxend = maxend;
	}
	return (ci);
}

/* The index of cudie's functions, built on first use; or NULL. */
static sym_cuidx_t *
sym_cuidx_get(sym_module_t *sm, Dwarf_Die *cudie)
{
	Dwarf_Off off = dwarf_dieoffset(cudie);
	sym_cuidx_t **cip, *ci;

	for (cip = &sm->sm_cuidx; (ci = *cip) != NULL; cip = &ci->ci_next) {
		if (ci->ci_off != off)
			continue;
		*cip = ci->ci_next;
		ci->ci_next = sm->sm_cuidx;
		sm->sm_cuidx = ci;
		return (ci);
	}
	if ((ci = sym_cuidx_build(cudie)) != NULL) {
		ci->ci_next = sm->sm_cuidx;
		sm->sm_cuidx = ci;
	}
	return (ci);
}

/*
 * The innermost function DIE holding pc: of the ranges that hold it (they
 * nest), the one starting last, and of those the deepest.  Scanning back
 * from the last range starting at or below pc stops where no earlier range
 * reaches pc.  Its node's index, or -1.
 */
static int32_t
sym_cuidx_find(sym_cuidx_t *ci, Dwarf_Addr pc)
{
	const sym_frange_t *fr;
	size_t lo = 0, hi = ci->ci_nranges, mid;

	while (lo < hi) {		/* lo: the first starting above pc */
		mid = lo + (hi - lo) / 2;
		if (ci->ci_ranges[mid].fr_lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0) {
		fr = &ci->ci_ranges[lo];
		if (fr->fr_maxhi <= pc)
			break;
		if (pc < fr->fr_hi)
			return ((int32_t)fr->fr_node);
	}
	return (-1);
}

/* The innermost scope holding the DIE at off, the same way; or -1. */
static int32_t
sym_cuidx_scope(sym_cuidx_t *ci, Dwarf_Off off)
{
	const sym_scope_t *sc;
	size_t lo = 0, hi = ci->ci_nscopes, mid;

	while (lo < hi) {		/* lo: the first starting at off or on */
		mid = lo + (hi - lo) / 2;
		if (ci->ci_scopes[mid].sc_start < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0) {
		sc = &ci->ci_scopes[lo];
		if (sc->sc_maxend <= off)
			break;
		if (off < sc->sc_end)
			return ((int32_t)lo);
	}
	return (-1);
}

/*
 * ----------------------------------------------------------------------
 * Function names (section 4).
 */

/* What a scope adds to a qualified name, malloc'd; NULL: nothing. */
static char *
sym_scope_name(Dwarf_Die *die)
{
	Dwarf_Die decl;
	const char *s;
	bool linkage;

	switch (dwarf_tag(die)) {
	case DW_TAG_namespace:
		s = sym_die_string(die, DW_AT_name);
		return (strdup(s != NULL ? s : "(anonymous namespace)"));
	case DW_TAG_class_type:		/* g++'s lambdas have no name */
		s = sym_die_string(die, DW_AT_name);
		return (strdup(s != NULL ? s : "(anonymous class)"));
	case DW_TAG_structure_type:
	case DW_TAG_interface_type:
		s = sym_die_string(die, DW_AT_name);
		return (strdup(s != NULL ? s : "(anonymous struct)"));
	case DW_TAG_union_type:
		s = sym_die_string(die, DW_AT_name);
		return (strdup(s != NULL ? s : "(anonymous union)"));
	case DW_TAG_subprogram:
		if ((s = sym_die_origin_name(die, &decl, &linkage)) == NULL)
			return (NULL);
		return (linkage ? sym_demangle(s) : strdup(s));
	default:
		return (NULL);
	}
}

/* name qualified by the scopes around decl: "ns::Class::name". */
static char *
sym_qualify(sym_module_t *sm, Dwarf_Die *decl, const char *name)
{
	char *comp[SYM_MAXQUAL], *out, *p;
	size_t len = strlen(name) + 1;
	sym_cuidx_t *ci;
	Dwarf_Die cu;
	int32_t sc;
	int n = 0, i;

	if (dwarf_diecu(decl, &cu, NULL, NULL) == NULL ||
	    (ci = sym_cuidx_get(sm, &cu)) == NULL)
		return (strdup(name));
	for (sc = sym_cuidx_scope(ci, dwarf_dieoffset(decl));
	    sc >= 0 && n < SYM_MAXQUAL; sc = ci->ci_scopes[sc].sc_parent) {
		if ((comp[n] = sym_scope_name(&ci->ci_scopes[sc].sc_die)) ==
		    NULL)
			continue;
		len += strlen(comp[n]) + 2;
		n++;
	}
	if ((out = malloc(len)) != NULL) {
		for (p = out, i = n - 1; i >= 0; i--)
			p += sprintf(p, "%s::", comp[i]);
		(void) strcpy(p, name);
	}
	for (i = 0; i < n; i++)
		free(comp[i]);
	return (out);
}

/* Work out fn's name, once. */
static void
sym_fn_name(sym_module_t *sm, sym_fnode_t *fn)
{
	Dwarf_Die decl;
	const char *s;

	if (fn->fn_named)
		return;
	fn->fn_named = true;
	if ((s = sym_die_origin_name(&fn->fn_die, &decl, &fn->fn_linkage)) ==
	    NULL)
		return;
	/* A C function may carry a C++ name: libslabtrace's operator new. */
	if (!fn->fn_linkage && strncmp(s, "_Z", 2) == 0)
		fn->fn_linkage = true;
	if (fn->fn_linkage)
		fn->fn_name = sym_demangle(s);
	else
		fn->fn_name = sym_qualify(sm, &decl, s);
}

/*
 * ----------------------------------------------------------------------
 * Looking up one address (sections 3 and 4).
 */

static void
sym_frames_clear(void)
{
	int i;

	for (i = 0; i < sym_nframes; i++) {
		free(sym_frames[i].sf_func);
		free(sym_frames[i].sf_file);
	}
	sym_nframes = 0;
}

/*
 * Append a frame (func given away); a relative file is taken in dir, the
 * CU's DW_AT_comp_dir, if that is absolute (libdw leaves DWARF 5's
 * "src/foo.c" in directory entry 0 relative).  When full, replace the
 * last frame.
 */
static void
sym_frame_add(char *func, const char *dir, const char *file, uint64_t line)
{
	sym_frame_t *sf;

	if (sym_nframes == SYM_MAXFRAMES) {
		sf = &sym_frames[--sym_nframes];
		free(sf->sf_func);
		free(sf->sf_file);
	}
	sf = &sym_frames[sym_nframes++];
	sf->sf_func = func;
	sf->sf_file = NULL;
	if (file != NULL && file[0] != '/' && dir != NULL && dir[0] == '/') {
		if (asprintf(&sf->sf_file, "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", file) < 0)
			sf->sf_file = NULL;
	} else if (file != NULL) {
		sf->sf_file = strdup(file);
	}
	sf->sf_line = sf->sf_file != NULL ? line : 0;
}

/* Where the inlined subroutine die was called: its file, *linep. */
static const char *
sym_call_site(Dwarf_Die *die, uint64_t *linep)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx, line;
	Dwarf_Die cudie;
	Dwarf_Files *files;
	size_t nfiles;

	*linep = 0;
	if (dwarf_attr(die, DW_AT_call_line, &attr) != NULL &&
	    dwarf_formudata(&attr, &line) == 0)
		*linep = line;
	if (dwarf_attr(die, DW_AT_call_file, &attr) == NULL ||
	    dwarf_formudata(&attr, &idx) != 0 ||
	    dwarf_diecu(die, &cudie, NULL, NULL) == NULL ||
	    dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0 || idx >= nfiles)
		return (NULL);
	return (dwarf_filesrc(files, idx, NULL, NULL));
}

/*
 * The frames at pc in the CU cudie, the innermost getting file:line; or
 * one nameless frame if pc has a line but no function; or none.  Whether
 * the real function's name is a linkage name.
 */
static bool
sym_lookup_frames(sym_module_t *sm, Dwarf_Die *cudie, Dwarf_Addr pc,
    const char *file, uint64_t line)
{
	const char *dir = sym_die_string(cudie, DW_AT_comp_dir);
	sym_cuidx_t *ci;
	sym_fnode_t *fn = NULL;
	int32_t n;

	ci = sym_cuidx_get(sm, cudie);
	for (n = ci != NULL ? sym_cuidx_find(ci, pc) : -1; n >= 0;
	    n = fn->fn_parent) {
		fn = &ci->ci_nodes[n];
		sym_fn_name(sm, fn);
		sym_frame_add(fn->fn_name != NULL ? strdup(fn->fn_name) : NULL,
		    dir, file, line);
		if (dwarf_tag(&fn->fn_die) != DW_TAG_inlined_subroutine)
			break;
		file = sym_call_site(&fn->fn_die, &line);
	}
	if (sym_nframes == 0 && file != NULL)
		sym_frame_add(NULL, dir, file, line);
	return (fn != NULL && fn->fn_linkage);
}

/* Fill sym_frames[] for addr, link-time, in sm; none if nothing known. */
static void
sym_lookup(sym_module_t *sm, uint64_t addr)
{
	Dwarf_Addr daddr = addr + sm->sm_bias, dwbias;
	Dwarf_Die *cudie;
	Dwarf_Line *row;
	const char *file = NULL, *name;
	int lineno = 0;
	GElf_Off off;
	GElf_Sym sym;
	bool linkage = false, named;

	if (dwfl_addrmodule(sm->sm_dwfl, daddr) != sm->sm_mod) {
		sym_warn("%s: %" PRIx64 " is outside it", sm->sm_path, addr);
		return;
	}
	if ((cudie = dwfl_module_addrdie(sm->sm_mod, daddr, &dwbias)) ==
	    NULL)
		cudie = sym_cu_find(sm, daddr, &dwbias);
	/*
	 * Only a CU that holds the address: libdw may give the CU before a
	 * gap (code without DWARF, such as _start), whose last line row
	 * would then be taken for the address.
	 */
	if (cudie != NULL && dwarf_haspc(cudie, daddr - dwbias) != 1)
		cudie = NULL;
	if (cudie != NULL) {
		if ((row = dwarf_getsrc_die(cudie, daddr - dwbias)) != NULL &&
		    !sym_row_ends(row)) {
			file = dwarf_linesrc(row, NULL, NULL);
			if (dwarf_lineno(row, &lineno) != 0 || lineno < 0)
				lineno = 0;
		}
		linkage = sym_lookup_frames(sm, cudie, daddr - dwbias, file,
		    (uint64_t)lineno);
	}

	/*
	 * The real function without a linkage name from DWARF: the symbol
	 * table's name if that is a C++ one (a plain DW_AT_name loses the
	 * class and the parameters), or if DWARF has no name at all.
	 */
	if (linkage)
		return;
	named = sym_nframes > 0 && sym_frames[sym_nframes - 1].sf_func != NULL;
	name = dwfl_module_addrinfo(sm->sm_mod, daddr, &off, &sym, NULL, NULL,
	    NULL);
	if (name == NULL || name[0] == '\0' ||
	    (named && strncmp(name, "_Z", 2) != 0)) {
		if (!named)
			sym_warn("%s: no function at %" PRIx64, sm->sm_path,
			    addr);
		return;
	}
	if (sym_nframes == 0) {
		sym_frame_add(sym_demangle_symbol(name), NULL, NULL, 0);
	} else {
		free(sym_frames[sym_nframes - 1].sf_func);
		sym_frames[sym_nframes - 1].sf_func = sym_demangle_symbol(name);
	}
}

/*
 * ----------------------------------------------------------------------
 * The guard (section 7).
 */

static void
sym_guard_handler(int sig)
{
	if (!sym_guarded) {
		/* Not ours: die of it as if we had no handler. */
		(void) signal(sig, SIG_DFL);
		(void) raise(sig);
		return;
	}
	sym_guarded = 0;
	siglongjmp(sym_guard_jmp, sig);
}

static void
sym_guard_init(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa;
	stack_t ss;
	size_t i;

	(void) memset(&sa, 0, sizeof (sa));
	sa.sa_handler = sym_guard_handler;
	(void) sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if ((ss.ss_sp = malloc(SYM_ALTSTACK)) != NULL) {
		ss.ss_size = SYM_ALTSTACK;
		ss.ss_flags = 0;
		if (sigaltstack(&ss, NULL) == 0)
			sa.sa_flags |= SA_ONSTACK;
	}
	for (i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
		(void) sigaction(sigs[i], &sa, NULL);
}

/*
 * ----------------------------------------------------------------------
 * Queries and answers (section 2).
 */

/* s with control characters as '?'; "??" for nothing. */
static void
sym_put(const char *s)
{
	if (s == NULL || s[0] == '\0')
		s = "??";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		(void) putchar_unlocked(c < 0x20 || c == 0x7f ? '?' : c);
	}
}

/* Print sym_frames[] as an answer; 0, or -1 if stdout failed. */
static int
sym_answer(void)
{
	const sym_frame_t *sf;
	int i;

	if (sym_nframes == 0)
		(void) fputs(SYM_UNKNOWN, stdout);
	for (i = 0; i < sym_nframes; i++) {
		sf = &sym_frames[i];
		sym_put(sf->sf_func);
		(void) putchar_unlocked('\t');
		sym_put(sf->sf_file != NULL ? sym_relpath(sf->sf_file) : NULL);
		(void) printf("\t%" PRIu64 "\n", sf->sf_line);
	}
	(void) putchar_unlocked('\n');
	sym_frames_clear();
	if (fflush(stdout) != 0 || ferror(stdout))
		return (-1);
	return (0);
}

/* Answer for addr in path. */
static int
sym_query(const char *path, uint64_t addr)
{
	sym_module_t *sm;
	int sig;

	sym_frames_clear();
	sym_current = NULL;
	if ((sig = sigsetjmp(sym_guard_jmp, 1)) != 0) {
		sym_warn("%s: signal %d while reading it; set aside",
		    path, sig);
		if (sym_current != NULL)
			sym_current->sm_poisoned = true;
		sym_nframes = 0;	/* their strings may be half made */
		return (sym_answer());
	}
	sym_guarded = 1;
	sm = sym_module_get(path);
	if (sm != NULL && sm->sm_dwfl != NULL && !sm->sm_poisoned)
		sym_lookup(sm, addr);
	else if (sm != NULL && sm->sm_poisoned)
		sym_warn("%s: set aside after a fault", path);
	sym_guarded = 0;
	return (sym_answer());
}

static int
sym_unknown(const char *why, const char *what)
{
	sym_warn("%s: '%.64s'", why, what);
	sym_frames_clear();
	return (sym_answer());
}

/* Hex, with or without 0x, at most 64 bits; 0 or -1. */
static int
sym_parse_addr(const char *s, uint64_t *addrp)
{
	uint64_t a = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return (-1);
		if (a >> 60 != 0)
			return (-1);
		a = a << 4 | (uint64_t)d;
	}
	*addrp = a;
	return (0);
}

/*
 * Read a line into buf[size] without its newline (or a '\r' before it).
 * 0, or -1 at EOF.  *badp is set if the line did not fit or held a NUL;
 * it is read to its end either way, so the next line is the next query.
 */
static int
sym_readline(FILE *fp, char *buf, size_t size, bool *badp)
{
	size_t len = 0;
	bool any = false;
	int c;

	*badp = false;
	while ((c = getc_unlocked(fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0' || len + 1 >= size)
			*badp = true;
		else
			buf[len++] = (char)c;
	}
	if (!any)
		return (-1);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (0);
}

/* One query line: "MODULE<TAB>ADDR", or "ADDR" if module is given. */
static int
sym_query_line(char *line, bool bad, const char *module)
{
	char *tab, *addrs = line;
	uint64_t addr;

	if (bad)
		return (sym_unknown("line too long or holding a NUL", line));
	if (module == NULL) {
		if ((tab = strrchr(line, '\t')) == NULL || tab == line)
			return (sym_unknown("not MODULE<TAB>ADDR", line));
		*tab = '\0';
		module = line;
		addrs = tab + 1;
	}
	if (sym_parse_addr(addrs, &addr) != 0)
		return (sym_unknown("not a hex address", addrs));
	return (sym_query(module, addr));
}

/*
 * ----------------------------------------------------------------------
 * The command.
 */

void
symbolize_usage(FILE *fp)
{
	(void) fprintf(fp,
	    "\n"
	    "Reads queries MODULE<TAB>ADDR from stdin, one a line: MODULE an ELF\n"
	    "file's path, ADDR hex, an address in MODULE's link-time address\n"
	    "space (the pc minus the load bias).  Answers each with lines\n"
	    "FUNCTION<TAB>FILE<TAB>LINE, innermost inlined frame first, then an\n"
	    "empty line; what is not known is ?? (and line 0).\n"
	    "\n"
	    "options:\n"
	    "  -e MODULE      answer for the ADDRs given after it (none: read\n"
	    "                 one ADDR a line from stdin) in MODULE, and exit\n"
	    "  -v             say on stderr why an answer is ??\n"
	    "  --debuginfod   let libdwfl fetch debug information from\n"
	    "                 DEBUGINFOD_URLS (off by default)\n"
	    "  -h, --help     show this help\n");
}

static void
sym_usage_full(FILE *fp)
{
	(void) fprintf(fp, "usage: slabtrace symbolize [-v] [--debuginfod] "
	    "[-e MODULE [ADDR...]]\n");
	symbolize_usage(fp);
}

int
cmd_symbolize(int argc, char **argv)
{
	static char line[SYM_LINEMAX + 1];
	const char *module = NULL;
	bool debuginfod = false, bad;
	int i, err = 0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		} else if (strcmp(arg, "-v") == 0) {
			sym_verbose = true;
		} else if (strcmp(arg, "--debuginfod") == 0) {
			debuginfod = true;
		} else if (strcmp(arg, "-e") == 0) {
			if (i + 1 >= argc) {
				sym_error("option '-e' needs a MODULE");
				return (EXIT_USAGE);
			}
			module = argv[++i];
		} else if (strncmp(arg, "-e", 2) == 0) {
			module = arg + 2;
		} else if (strcmp(arg, "-h") == 0 ||
		    strcmp(arg, "--help") == 0) {
			sym_usage_full(stdout);
			return (EXIT_SUCCESS);
		} else if (arg[0] == '-' && arg[1] != '\0') {
			sym_error("unknown option '%s' (try 'slabtrace help "
			    "symbolize')", arg);
			return (EXIT_USAGE);
		} else {
			break;
		}
	}
	if (i < argc && module == NULL) {
		sym_error("addresses on the command line need -e MODULE");
		sym_usage_full(stderr);
		return (EXIT_USAGE);
	}

	if (!debuginfod)
		(void) unsetenv("DEBUGINFOD_URLS");
	sym_cwd_init();
	sym_guard_init();

	if (i < argc) {
		for (; i < argc && err == 0; i++) {
			(void) snprintf(line, sizeof (line), "%s", argv[i]);
			err = sym_query_line(line,
			    strlen(argv[i]) >= sizeof (line), module);
		}
	} else {
		while (err == 0 &&
		    sym_readline(stdin, line, sizeof (line), &bad) == 0)
			err = sym_query_line(line, bad, module);
	}
	return (err == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
