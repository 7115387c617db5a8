/*
 * symtab.c: code addresses to names, "function+0xoff", from the ELF symbol
 * tables of the objects mapped in this process.
 *
 * 1. What it is for, and the rule it lives by.  A heap-corruption report
 *    prints the stacks of the transactions that touched a buffer (debug.c),
 *    one st_symbolize() per frame.  That report is written from inside the
 *    allocator, perhaps from a signal handler, perhaps with allocator locks
 *    held, so nothing here may allocate or take a lock someone else might
 *    hold while allocating: no malloc, no stdio, no dladdr(), no qsort() (the
 *    glibc one may malloc).  Memory comes from st_os_map() and files are read
 *    through st_os_map_file().  dl_iterate_phdr() is the one libc call: it
 *    takes the loader's list lock, but never allocates.
 *
 * 2. Modules.  dl_iterate_phdr() lists the loaded objects: load bias, program
 *    headers, and path ("" for the main program, whose file is opened as
 *    /proc/self/exe and named by readlink of it; the vdso has no file, its
 *    ELF image is read in memory).  The module table holds one row
 *    (sym_mod_t) per object: the ranges of its PT_LOAD segments, its bias and
 *    its file record.  It is built on the first lookup and built again when
 *    the loader's generation counters (dlpi_adds, dlpi_subs) have moved
 *    since: that is how a library that was dlopen()ed later is found, and a
 *    dlclose()d one forgotten.  They are checked on every lookup, not only
 *    on a miss, because a library closed and another opened at the same
 *    address would hit a stale row; the check is one dl_iterate_phdr() that
 *    stops at the first object (about 35 ns).
 *
 * 3. Files and their index.  A file record (sym_file_t) is kept per path and
 *    never freed, so a library closed and opened again finds its index
 *    again; the index is kept in link-time addresses (pc - bias), which do
 *    not depend on where the object was loaded.  On the first lookup that
 *    lands in a file, the file is mapped read-only whole and indexed:
 *      - its .symtab if it has one: every function, static ones too;
 *      - else the .symtab of a separate debug file, found by build-id
 *        (/usr/lib/debug/.build-id/xx/yyyy.debug, whose build-id must
 *        match) or by .gnu_debuglink (beside the file, in .debug/ beside
 *        it, or under /usr/lib/debug);
 *      - else its .dynsym: exported functions only.
 *    The index (sym_index_t) is an array of (address, size, name offset) for
 *    the STT_FUNC and STT_GNU_IFUNC symbols, sorted with an in-place heapsort
 *    by address and, at one address, best name first.  The names stay in
 *    the mapped string table, which is never unmapped: a name returned by
 *    st_symbol_lookup() stays valid for the life of the process.
 *
 * 4. Choosing a name.  For an offset (pc - bias) we take the symbols with
 *    the greatest address <= offset.  If one of them is sized and covers
 *    the offset, it wins.  If none does (the offset lies past their end), a
 *    sized symbol a few entries back that encloses the offset is preferred
 *    (a function with an inner symbol); failing that the nearest symbol is
 *    used anyway, as the kernel does, from a .symtab (every function is
 *    there, so the offset is in padding or in code with a wrong size; the
 *    distance can be capped with sym_beyond_max).  From a .dynsym it is not
 *    (sym_dynsym_strict): the offset is then in a static function the table
 *    does not list, and "nearest_export+0x41d0" would name the wrong
 *    function, so the module form is printed instead.  Among aliases:
 *    GLOBAL before WEAK before LOCAL, then sized, then the shortest name,
 *    then by strcmp, so the choice is stable.
 *    Offset 0 prints the bare name ("kbad_bad"), else "kbad_bad+0x4b"; an
 *    address in a module without a usable symbol prints
 *    "libfoo.so.1+0x1234" (offset from the load bias, as addr2line takes
 *    it); an address in no module prints "0x7f...".  C++ names are printed
 *    mangled (demangling needs an allocator; c++filt reads them).
 *
 * 5. Locking.  Lookups that hit take none of our locks (only the loader's,
 *    in dl_iterate_phdr(): recursive, and held only briefly):
 *      - the module table is read under a sequence lock (sym_seq): the
 *        reader copies the row it needs, then checks that sym_seq did not
 *        move; the rows only hold integers and pointers to file records,
 *        which are never freed, and a table that was replaced is never
 *        unmapped, so a reader racing a writer reads stale memory, never
 *        unmapped memory, and throws it away;
 *      - a file's index is published with a release store (sf_index) once
 *        complete and never changes after.
 *    Building (the module table, an index) is done under sym_lock.  A
 *    thread that finds sym_lock held by itself (a signal handler that
 *    interrupted the build) gives up at once and prints what it knows (the
 *    module form or the hex form); one that finds it held by another thread
 *    polls it for up to sym_lock_wait_ns, then gives up the same way, so a
 *    report is never stuck behind a builder.  A lock inherited held across
 *    fork() (the owner pid is not ours) is reinitialised and the module
 *    table rebuilt.
 *    The loader's mutex is recursive, but its lock and unlock paths are not
 *    async-signal-safe: a handler that interrupted them and called
 *    dl_iterate_phdr() again would wait for itself.  So a lookup nested in
 *    one of our own dl_iterate_phdr() calls (sym_in_loader) does not call
 *    it again and trusts the table it has.  A handler that interrupts some
 *    other caller's (libgcc's unwinder, unwind.c) in those few instructions
 *    can still block, as it would in any symbolizer that asks the loader.
 *
 * 6. Files are input.  A truncated or malformed ELF file must not crash the
 *    report: every offset and size read from a file is checked against the
 *    file's size before it is used, a string table is cut at its last NUL,
 *    and a file that fails a check is treated as having no symbols.
 *
 * Not done: DWARF line numbers, MiniDebugInfo (.gnu_debugdata, xz) and
 * compressed sections, ELF files of the other class or byte order.
 */
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>

#include "slabtrace_impl.h"

/*
 * Declared here until slabtrace_impl.h carries them.
 *
 * st_symbol_lookup: 1 if a symbol covers pc, with *namep pointing into the
 * mapped string table (valid for the life of the process), *offp = pc - the
 * symbol's address and *modulep the basename of its object.  0 if not: then
 * *namep = NULL, and if the object is known, *modulep is its basename and
 * *offp = pc - its load bias; else *modulep = NULL, *offp = pc.  Any of the
 * pointers may be NULL.
 *
 * st_symbol_module: the path of the file holding pc (the main program's
 * as /proc/self/exe names it) and pc's address in that file (pc - bias),
 * for the symbolizer; 1 if pc lies in a loaded object that has a file.
 *
 * st_symbol_addr: the address of the symbol called name (any defined
 * symbol but sections, files and TLS: functions and variables) in the first
 * object that defines it (the main program first, in load order; in an
 * object, a global definition before a local one).  For an IFUNC this is the
 * resolver's address.  1 if found.
 */
int st_symbol_lookup(uintptr_t pc, const char **namep, uintptr_t *offp,
    const char **modulep);
int st_symbol_module(uintptr_t pc, const char **pathp, uintptr_t *linkp);
int st_symbol_addr(const char *name, uintptr_t *addrp);

/* Tunables. */
static uint64_t sym_lock_wait_ns = 2000000000ULL; /* wait for a builder */
static uint64_t sym_lock_poll_ns = 20000;       /* between two tries */
static uint32_t sym_seq_tries = 64;             /* seqlock read retries */
static uint32_t sym_walkback = 16;              /* entries to look back for
                                                   an enclosing symbol */
static uint64_t sym_beyond_max = UINT64_MAX;    /* max distance past a sized
                                                   symbol's end to still
                                                   name it */
static int sym_dynsym_strict = 1;               /* .dynsym only: never name
                                                   past a sized end */

#define SYM_MAXSEG              8       /* PT_LOAD ranges kept per module */
#define SYM_ARENA_CHUNK         (64 * 1024)
#define SYM_PATHMAX             4096
#define SYM_BUILDID_MAX         64
#ifndef SYM_DEBUGDIR                    /* -D for tests: as if none */
#define SYM_DEBUGDIR            "/usr/lib/debug"
#endif

#if UINTPTR_MAX == 0xffffffffffffffffULL
#define SYM_ELFCLASS            ELFCLASS64
#else
#define SYM_ELFCLASS            ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SYM_ELFDATA             ELFDATA2LSB
#else
#define SYM_ELFDATA             ELFDATA2MSB
#endif
#define SYM_ST_BIND(i)          ((unsigned)(i) >> 4)
#define SYM_ST_TYPE(i)          ((unsigned)(i) & 0xf)

typedef ElfW(Ehdr) sym_ehdr_t;
typedef ElfW(Shdr) sym_shdr_t;
typedef ElfW(Phdr) sym_phdr_t;
typedef ElfW(Sym) sym_elfsym_t;

/*
 * One function of an index.  se_info packs the size (low 30 bits, clamped:
 * no function is a gigabyte) and the binding's rank (high 2 bits, 0 best).
 */
typedef struct sym_ent {
	uint64_t se_addr;               /* link-time address (st_value) */
	uint32_t se_info;               /* size | rank << SE_RANKSHIFT */
	uint32_t se_name;               /* offset in the string table */
} sym_ent_t;

#define SE_RANKSHIFT            30
#define SE_SIZEMAX              ((1U << SE_RANKSHIFT) - 1)
#define SE_SIZE(e)              ((e)->se_info & SE_SIZEMAX)
#define SE_RANK(e)              ((e)->se_info >> SE_RANKSHIFT)

/* Where an index's symbols came from (si_source). */
#define SYM_SRC_NONE            0       /* no usable table */
#define SYM_SRC_SYMTAB          1       /* the file's .symtab */
#define SYM_SRC_DEBUG           2       /* a separate debug file's .symtab */
#define SYM_SRC_DYNSYM          3       /* the file's .dynsym */

/* The symbols of one file; immutable once published. */
typedef struct sym_index {
	const char *si_map;             /* the file mapping kept, or NULL */
	size_t si_mapsize;
	size_t si_size;                 /* bytes of this index's own mapping */
	const sym_elfsym_t *si_syms;    /* the raw table, for st_symbol_addr */
	size_t si_nsyms;
	const char *si_str;             /* its string table */
	size_t si_strsize;              /* cut after its last NUL */
	uint32_t si_source;             /* SYM_SRC_* */
	uint32_t si_pad;
	size_t si_nent;
	sym_ent_t si_ent[];             /* sorted, see sym_ent_cmp() */
} sym_index_t;

#define SYM_F_MAIN              0x1     /* the main program */
#define SYM_F_VDSO              0x2     /* the vdso: an image in memory */

/* One object file, by path; never freed. */
typedef struct sym_file {
	struct sym_file *sf_next;       /* all files */
	sym_index_t *sf_index;          /* published with a release store */
	uint32_t sf_failed;             /* could not be indexed: don't retry */
	uint32_t sf_flags;              /* SYM_F_* */
	const char *sf_image;           /* vdso: its ELF image */
	size_t sf_imagesize;
	const char *sf_base;            /* basename, in sf_path */
	char sf_path[];                 /* as the loader named it */
} sym_file_t;

/* One loaded object: a row of the module table. */
typedef struct sym_mod {
	uintptr_t sm_lo;                /* lowest address of its segments */
	uintptr_t sm_hi;                /* end of its highest segment */
	uintptr_t sm_bias;              /* dlpi_addr: pc - bias = link addr */
	uintptr_t sm_nseg;
	uintptr_t sm_seglo[SYM_MAXSEG]; /* PT_LOAD ranges [lo, hi) */
	uintptr_t sm_seghi[SYM_MAXSEG];
	uintptr_t sm_file;              /* its sym_file_t: see SM_FILE() */
} sym_mod_t;

/* Rows are copied as words (sym_mod_copy), so the pointer is one too. */
#define SM_FILE(sm)             ((sym_file_t *)(sm)->sm_file)

/* A published module table; replaced, never unmapped (section 5). */
typedef struct sym_table {
	size_t mt_cap;                  /* rows; fixed for this table */
	size_t mt_size;                 /* bytes mapped */
	sym_mod_t mt_mods[];
} sym_table_t;

/* What a lookup found. */
typedef struct sym_res {
	const char *rs_name;            /* the symbol, or NULL */
	const char *rs_module;          /* the object's basename, or NULL */
	const sym_file_t *rs_file;      /* the object's file, or NULL */
	uintptr_t rs_link;              /* pc - bias: its address in the file */
	uintptr_t rs_off;               /* from the symbol, or from the bias */
} sym_res_t;

/* Bounded output into a caller's buffer. */
typedef struct sym_buf {
	char *sb_buf;
	size_t sb_len;                  /* capacity, with the NUL */
	size_t sb_pos;                  /* characters written */
	int sb_trunc;                   /* something did not fit */
} sym_buf_t;

/* A mapped ELF image and its section headers. */
typedef struct sym_elf {
	const char *ef_base;
	size_t ef_size;
	const sym_shdr_t *ef_shdr;
	size_t ef_shnum;
	size_t ef_shstrndx;
} sym_elf_t;

/* A symbol table and its strings, inside a sym_elf_t. */
typedef struct sym_tab {
	const sym_elfsym_t *tb_syms;
	size_t tb_nsyms;
	const char *tb_str;
	size_t tb_strsize;
} sym_tab_t;

/*
 * sym_lock is one word naming its holder: (pid << 32 | thread id), or 0.
 * Lock and owner are one atomic value, so a fork() at any instant leaves
 * the child a word that is either free or names a process that is not
 * its own (the separate owner fields this replaced had windows, around
 * acquire and release, where a child saw a held lock with no owner).
 */
static uint64_t sym_lock;
static int sym_forked;                  /* lock was repaired after fork */

/* The published module table (read under sym_seq, written under lock). */
static uint64_t sym_seq;                /* odd while being written */
static sym_table_t *sym_table;
static size_t sym_nmods;
static int sym_loaded;                  /* built at least once */
static unsigned long long sym_adds;     /* loader generation at build */
static unsigned long long sym_subs;

/* Writer-only state (under sym_lock). */
static sym_mod_t *sym_stage;            /* rows being collected */
static size_t sym_stagecap;
static size_t sym_nstage;
static sym_file_t *sym_files;           /* all file records */
static char *sym_arena;                 /* bump allocator for records */
static size_t sym_arena_left;
static char sym_path[SYM_PATHMAX];      /* scratch for debug-file paths */
static char sym_exe[SYM_PATHMAX];       /* scratch for readlink */

/* This thread is inside our dl_iterate_phdr() (see sym_iterate()). */
static __thread int sym_in_loader;

/* ------------------------------------------------------------------------
 * Output.
 */

static void
sym_puts(sym_buf_t *sb, const char *s)
{
	while (*s != '\0') {
		if (sb->sb_pos + 1 >= sb->sb_len) {
			sb->sb_trunc = 1;
			return;
		}
		sb->sb_buf[sb->sb_pos++] = *s++;
	}
}

static void
sym_puthex(sym_buf_t *sb, uint64_t v)
{
	char tmp[19];
	size_t n = sizeof (tmp) - 1;

	tmp[n] = '\0';
	do {
		tmp[--n] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v != 0);
	tmp[--n] = 'x';
	tmp[--n] = '0';
	sym_puts(sb, &tmp[n]);
}

static size_t
sym_buf_end(sym_buf_t *sb)
{
	if (sb->sb_len > 0)
		sb->sb_buf[sb->sb_pos] = '\0';
	return (sb->sb_pos);
}

/* ------------------------------------------------------------------------
 * The lock (section 5).
 */

static uint64_t
sym_lock_self(void)
{
	return (((uint64_t)st_os_pid() << 32) |
	    (st_os_thread_id() & 0xffffffffULL));
}

static int
sym_lock_enter(void)
{
	uint64_t self = sym_lock_self();
	uint64_t now, deadline = 0, cur;

	for (;;) {
		cur = __atomic_load_n(&sym_lock, __ATOMIC_RELAXED);
		if (cur == self)
			return (0);     /* re-entered from a signal handler */
		if (cur == 0 || (cur >> 32) != (self >> 32)) {
			/* Free, or held by a thread of our parent (fork). */
			if (__atomic_compare_exchange_n(&sym_lock, &cur, self,
			    0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				if (cur != 0)
					__atomic_store_n(&sym_forked, 1,
					    __ATOMIC_RELAXED);
				return (1);
			}
			continue;
		}
		now = st_os_now_ns();
		if (deadline == 0)
			deadline = now + sym_lock_wait_ns;
		else if (now >= deadline)
			return (0);
		st_os_sleep_ns(sym_lock_poll_ns);
	}
}

static void
sym_lock_exit(void)
{
	__atomic_store_n(&sym_lock, 0, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------
 * Memory for file records: a bump allocator over st_os_map() chunks.
 */

static void *
sym_carve(size_t size)
{
	size_t chunk;
	char *p;

	size = (size + 15) & ~(size_t)15;
	if (size > sym_arena_left) {
		chunk = ST_P2ROUNDUP(ST_MAX(size, (size_t)SYM_ARENA_CHUNK),
		    st_os_pagesize());
		if ((p = st_os_map(chunk, st_os_pagesize())) == NULL)
			return (NULL);
		sym_arena = p;
		sym_arena_left = chunk;
	}
	p = sym_arena;
	sym_arena += size;
	sym_arena_left -= size;
	return (p);
}

/* ------------------------------------------------------------------------
 * ELF images (section 6: everything is bounds-checked).
 */

static int
sym_in_image(const sym_elf_t *ef, uint64_t off, uint64_t len)
{
	return (off <= ef->ef_size && len <= ef->ef_size - off);
}

static int
sym_elf_init(sym_elf_t *ef, const char *base, size_t size)
{
	const sym_ehdr_t *eh = (const sym_ehdr_t *)base;
	uint64_t shoff, shnum;

	memset(ef, 0, sizeof (*ef));
	ef->ef_base = base;
	ef->ef_size = size;
	if (size < sizeof (*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != SYM_ELFCLASS ||
	    eh->e_ident[EI_DATA] != SYM_ELFDATA ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return (0);
	shoff = eh->e_shoff;
	if (shoff == 0 || eh->e_shentsize != sizeof (sym_shdr_t) ||
	    shoff % _Alignof(sym_shdr_t) != 0 ||
	    !sym_in_image(ef, shoff, sizeof (sym_shdr_t)))
		return (0);
	ef->ef_shdr = (const sym_shdr_t *)(base + shoff);
	shnum = eh->e_shnum;
	if (shnum == 0)
		shnum = ef->ef_shdr[0].sh_size;         /* extended numbering */
	if (shnum > (size - shoff) / sizeof (sym_shdr_t))
		return (0);
	ef->ef_shnum = shnum;
	ef->ef_shstrndx = eh->e_shstrndx == SHN_XINDEX ?
	    ef->ef_shdr[0].sh_link : eh->e_shstrndx;
	return (1);
}

/* The contents of a section, or NULL if not inside the image or aligned. */
static const char *
sym_elf_data(const sym_elf_t *ef, const sym_shdr_t *sh, size_t align)
{
	if (sh->sh_type == SHT_NOBITS ||
	    !sym_in_image(ef, sh->sh_offset, sh->sh_size) ||
	    sh->sh_offset % align != 0)
		return (NULL);
	return (ef->ef_base + sh->sh_offset);
}

static const sym_shdr_t *
sym_elf_named(const sym_elf_t *ef, const char *name)
{
	const sym_shdr_t *ssh;
	const char *str;
	size_t n = strlen(name), i, nm;

	if (ef->ef_shstrndx == SHN_UNDEF || ef->ef_shstrndx >= ef->ef_shnum)
		return (NULL);
	ssh = &ef->ef_shdr[ef->ef_shstrndx];
	if ((str = sym_elf_data(ef, ssh, 1)) == NULL)
		return (NULL);
	for (i = 1; i < ef->ef_shnum; i++) {
		nm = ef->ef_shdr[i].sh_name;
		if (nm < ssh->sh_size && ssh->sh_size - nm > n &&
		    memcmp(str + nm, name, n + 1) == 0)
			return (&ef->ef_shdr[i]);
	}
	return (NULL);
}

/* The first table of section type `type` (SHT_SYMTAB or SHT_DYNSYM). */
static int
sym_elf_symtab(const sym_elf_t *ef, uint32_t type, sym_tab_t *tb)
{
	const sym_shdr_t *sh, *strsh;
	const char *syms, *str;
	size_t i, strsize;

	for (i = 1; i < ef->ef_shnum; i++) {
		sh = &ef->ef_shdr[i];
		if (sh->sh_type != type ||
		    sh->sh_entsize != sizeof (sym_elfsym_t))
			continue;
		syms = sym_elf_data(ef, sh, _Alignof(sym_elfsym_t));
		if (syms == NULL || sh->sh_link == 0 ||
		    sh->sh_link >= ef->ef_shnum)
			continue;
		strsh = &ef->ef_shdr[sh->sh_link];
		if (strsh->sh_type != SHT_STRTAB ||
		    (str = sym_elf_data(ef, strsh, 1)) == NULL)
			continue;
		/* Every name must end inside: cut after the last NUL. */
		strsize = strsh->sh_size;
		while (strsize > 0 && str[strsize - 1] != '\0')
			strsize--;
		if (strsize == 0 || strsize > UINT32_MAX)
			continue;
		tb->tb_syms = (const sym_elfsym_t *)syms;
		tb->tb_nsyms = sh->sh_size / sizeof (sym_elfsym_t);
		tb->tb_str = str;
		tb->tb_strsize = strsize;
		return (1);
	}
	return (0);
}

/* The GNU build-id note, if the image has one. */
static size_t
sym_elf_buildid(const sym_elf_t *ef, const uint8_t **idp)
{
	const sym_shdr_t *sh;
	const char *p;
	uint32_t namesz, descsz, type;
	uint64_t off, size, align, nlen, dlen;
	size_t i;

	for (i = 1; i < ef->ef_shnum; i++) {
		sh = &ef->ef_shdr[i];
		if (sh->sh_type != SHT_NOTE || (p = sym_elf_data(ef, sh, 4)) ==
		    NULL)
			continue;
		size = sh->sh_size;
		align = sh->sh_addralign == 8 ? 8 : 4;
		for (off = 0; size - off >= 12; ) {
			memcpy(&namesz, p + off, 4);
			memcpy(&descsz, p + off + 4, 4);
			memcpy(&type, p + off + 8, 4);
			off += 12;
			nlen = ((uint64_t)namesz + align - 1) & ~(align - 1);
			dlen = ((uint64_t)descsz + align - 1) & ~(align - 1);
			if (nlen > size - off || descsz > size - off - nlen)
				break;
			if (type == NT_GNU_BUILD_ID && namesz == 4 &&
			    memcmp(p + off, "GNU", 4) == 0 && descsz > 0 &&
			    descsz <= SYM_BUILDID_MAX) {
				*idp = (const uint8_t *)(p + off + nlen);
				return (descsz);
			}
			if (dlen > size - off - nlen)
				break;
			off += nlen + dlen;
		}
	}
	return (0);
}

/* The file name in .gnu_debuglink, if any and sane. */
static const char *
sym_elf_debuglink(const sym_elf_t *ef)
{
	const sym_shdr_t *sh = sym_elf_named(ef, ".gnu_debuglink");
	const char *p;

	if (sh == NULL || (p = sym_elf_data(ef, sh, 1)) == NULL ||
	    sh->sh_size < 2 || memchr(p, '\0', sh->sh_size) == NULL ||
	    p[0] == '\0' || strchr(p, '/') != NULL)
		return (NULL);
	return (p);
}

/* ------------------------------------------------------------------------
 * Opening files and finding a separate debug file.
 */

/* Map a whole file read-only; its ELF headers checked. */
static int
sym_map_elf(const char *path, sym_elf_t *ef)
{
	int64_t size;
	char *p;
	int fd;

	if ((fd = st_os_open_read(path)) < 0)
		return (0);
	size = st_os_file_size(fd);
	p = size > 0 && (uint64_t)size <= SIZE_MAX ?
	    st_os_map_file(fd, (size_t)size) : NULL;
	st_os_close(fd);
	if (p == NULL)
		return (0);
	if (!sym_elf_init(ef, p, (size_t)size)) {
		st_os_unmap(p, (size_t)size);
		return (0);
	}
	return (1);
}

/*
 * Try path as the debug file: it must have a .symtab and, when the object
 * has a build-id, the same one.  On success *dbg holds it, mapped.
 */
static int
sym_debug_try(const char *path, const uint8_t *id, size_t idlen,
    sym_elf_t *dbg)
{
	const uint8_t *did;
	sym_tab_t tb;

	if (!sym_map_elf(path, dbg))
		return (0);
	if (sym_elf_symtab(dbg, SHT_SYMTAB, &tb) && (idlen == 0 ||
	    (sym_elf_buildid(dbg, &did) == idlen &&
	    memcmp(did, id, idlen) == 0)))
		return (1);
	st_os_unmap((void *)dbg->ef_base, dbg->ef_size);
	return (0);
}

/* "<pre><dir, dirlen bytes><mid><link>" in sym_path; NULL if too long. */
static const char *
sym_debug_path(const char *pre, const char *dir, size_t dirlen,
    const char *mid, const char *link)
{
	sym_buf_t sb = { sym_path, sizeof (sym_path), 0, 0 };
	size_t i;

	sym_puts(&sb, pre);
	for (i = 0; i < dirlen && !sb.sb_trunc; i++) {
		if (sb.sb_pos + 1 >= sb.sb_len)
			sb.sb_trunc = 1;
		else
			sb.sb_buf[sb.sb_pos++] = dir[i];
	}
	sym_puts(&sb, mid);
	sym_puts(&sb, link);
	(void) sym_buf_end(&sb);
	return (sb.sb_trunc ? NULL : sym_path);
}

/* A separate debug file for sf (section 3), mapped into *dbg. */
static int
sym_debug_find(const sym_file_t *sf, const sym_elf_t *ef, sym_elf_t *dbg)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *id = NULL;
	size_t idlen = sym_elf_buildid(ef, &id), i, dirlen;
	const char *link, *path;
	sym_buf_t sb;
	char two[3];

	if (idlen >= 2) {
		sb = (sym_buf_t){ sym_path, sizeof (sym_path), 0, 0 };
		sym_puts(&sb, SYM_DEBUGDIR "/.build-id/");
		for (i = 0; i < idlen; i++) {
			two[0] = hex[id[i] >> 4];
			two[1] = hex[id[i] & 0xf];
			two[2] = '\0';
			sym_puts(&sb, two);
			if (i == 0)
				sym_puts(&sb, "/");
		}
		sym_puts(&sb, ".debug");
		(void) sym_buf_end(&sb);
		if (!sb.sb_trunc && sym_debug_try(sym_path, id, idlen, dbg))
			return (1);
	}
	if ((link = sym_elf_debuglink(ef)) == NULL || sf->sf_path[0] != '/')
		return (0);
	dirlen = (size_t)(sf->sf_base - sf->sf_path);  /* with its '/' */
	if ((path = sym_debug_path("", sf->sf_path, dirlen, "", link)) !=
	    NULL && strcmp(path, sf->sf_path) != 0 &&
	    sym_debug_try(path, id, idlen, dbg))
		return (1);
	if ((path = sym_debug_path("", sf->sf_path, dirlen, ".debug/",
	    link)) != NULL && sym_debug_try(path, id, idlen, dbg))
		return (1);
	if ((path = sym_debug_path(SYM_DEBUGDIR, sf->sf_path, dirlen, "",
	    link)) != NULL && sym_debug_try(path, id, idlen, dbg))
		return (1);
	return (0);
}

/* ------------------------------------------------------------------------
 * Indexes: build (under sym_lock) and search (lock-free).
 */

static int
sym_ent_cmp(const sym_index_t *si, const sym_ent_t *a, const sym_ent_t *b)
{
	const char *na = si->si_str + a->se_name, *nb = si->si_str + b->se_name;
	size_t la, lb;
	int c;

	if (a->se_addr != b->se_addr)
		return (a->se_addr < b->se_addr ? -1 : 1);
	if (SE_RANK(a) != SE_RANK(b))
		return (SE_RANK(a) < SE_RANK(b) ? -1 : 1);
	if ((SE_SIZE(a) == 0) != (SE_SIZE(b) == 0))
		return (SE_SIZE(a) != 0 ? -1 : 1);
	la = strlen(na);
	lb = strlen(nb);
	if (la != lb)
		return (la < lb ? -1 : 1);
	if ((c = strcmp(na, nb)) != 0)
		return (c);
	return (a->se_name < b->se_name ? -1 : a->se_name > b->se_name);
}

static void
sym_sift(const sym_index_t *si, sym_ent_t *e, size_t root, size_t n)
{
	sym_ent_t t;
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n &&
		    sym_ent_cmp(si, &e[child], &e[child + 1]) < 0)
			child++;
		if (sym_ent_cmp(si, &e[root], &e[child]) >= 0)
			return;
		t = e[root];
		e[root] = e[child];
		e[child] = t;
		root = child;
	}
}

/* In place, no allocation: qsort() may malloc. */
static void
sym_heapsort(const sym_index_t *si, sym_ent_t *e, size_t n)
{
	sym_ent_t t;
	size_t i;

	for (i = n / 2; i-- > 0; )
		sym_sift(si, e, i, n);
	for (i = n; i-- > 1; ) {
		t = e[0];
		e[0] = e[i];
		e[i] = t;
		sym_sift(si, e, 0, i);
	}
}

/* A function symbol we index? */
static int
sym_wanted(const sym_tab_t *tb, const sym_elfsym_t *s)
{
	unsigned type = SYM_ST_TYPE(s->st_info);

	return ((type == STT_FUNC || type == STT_GNU_IFUNC) &&
	    s->st_shndx != SHN_UNDEF && s->st_shndx != SHN_ABS &&
	    s->st_value != 0 && s->st_name != 0 &&
	    s->st_name < tb->tb_strsize && tb->tb_str[s->st_name] != '\0');
}

static uint32_t
sym_rank(const sym_elfsym_t *s)
{
	switch (SYM_ST_BIND(s->st_info)) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return (0);
	case STB_WEAK:
		return (1);
	default:
		return (2);
	}
}

/* The index of tb (may be empty); keeps the mapping map. */
static sym_index_t *
sym_index_make(const sym_tab_t *tb, uint32_t source, const char *map,
    size_t mapsize)
{
	const sym_elfsym_t *s;
	sym_index_t *si;
	sym_ent_t *se;
	size_t i, n = 0, size;
	uint64_t value;

	for (i = 0; i < tb->tb_nsyms; i++)
		n += sym_wanted(tb, &tb->tb_syms[i]);
	size = ST_P2ROUNDUP(sizeof (sym_index_t) + n * sizeof (sym_ent_t),
	    st_os_pagesize());
	if ((si = st_os_map(size, st_os_pagesize())) == NULL)
		return (NULL);
	si->si_map = map;
	si->si_mapsize = mapsize;
	si->si_size = size;
	si->si_syms = tb->tb_syms;
	si->si_nsyms = tb->tb_nsyms;
	si->si_str = tb->tb_str;
	si->si_strsize = tb->tb_strsize;
	si->si_source = source;
	for (i = 0, se = si->si_ent; i < tb->tb_nsyms && se < si->si_ent + n;
	    i++) {
		s = &tb->tb_syms[i];
		if (!sym_wanted(tb, s))
			continue;
		value = s->st_value;
#if defined(__arm__)
		value &= ~(uint64_t)1;          /* the Thumb bit */
#endif
		se->se_addr = value;
		se->se_info = (uint32_t)ST_MIN(s->st_size,
		    (uint64_t)SE_SIZEMAX) | sym_rank(s) << SE_RANKSHIFT;
		se->se_name = (uint32_t)s->st_name;
		se++;
	}
	si->si_nent = (size_t)(se - si->si_ent);
	sym_heapsort(si, si->si_ent, si->si_nent);
	return (si);
}

/* The in-memory ELF image of the vdso, its size cut to its mapped pages. */
static int
sym_vdso_elf(const sym_file_t *sf, sym_elf_t *ef)
{
	return (sf->sf_image != NULL &&
	    sym_elf_init(ef, sf->sf_image, sf->sf_imagesize));
}

/* Build sf's index: .symtab, a debug file's .symtab, .dynsym, or none. */
static sym_index_t *
sym_index_build(const sym_file_t *sf)
{
	sym_elf_t ef, dbg;
	sym_tab_t tb = { NULL, 0, NULL, 0 };
	sym_index_t *si;
	uint32_t source = SYM_SRC_NONE;
	int mapped;

	if (sf->sf_flags & SYM_F_VDSO) {
		if (!sym_vdso_elf(sf, &ef))
			return (NULL);
		mapped = 0;
	} else {
		if (!sym_map_elf((sf->sf_flags & SYM_F_MAIN) ?
		    "/proc/self/exe" : sf->sf_path, &ef))
			return (NULL);
		mapped = 1;
	}
	if (sym_elf_symtab(&ef, SHT_SYMTAB, &tb)) {
		source = SYM_SRC_SYMTAB;
	} else if (mapped && sym_debug_find(sf, &ef, &dbg) &&
	    sym_elf_symtab(&dbg, SHT_SYMTAB, &tb)) {
		source = SYM_SRC_DEBUG;
		st_os_unmap((void *)ef.ef_base, ef.ef_size);
		ef = dbg;
	} else if (sym_elf_symtab(&ef, SHT_DYNSYM, &tb)) {
		source = SYM_SRC_DYNSYM;
	}
	if (source == SYM_SRC_NONE && mapped) {
		st_os_unmap((void *)ef.ef_base, ef.ef_size);
		mapped = 0;
	}
	si = sym_index_make(&tb, source, mapped ? ef.ef_base : NULL,
	    mapped ? ef.ef_size : 0);
	if (si == NULL && mapped)
		st_os_unmap((void *)ef.ef_base, ef.ef_size);
	return (si);
}

/* sf's index, building it if need be; sym_lock held. */
static sym_index_t *
sym_file_index_locked(sym_file_t *sf)
{
	sym_index_t *si = sf->sf_index;

	if (si == NULL && !sf->sf_failed) {
		if ((si = sym_index_build(sf)) == NULL)
			__atomic_store_n(&sf->sf_failed, 1, __ATOMIC_RELAXED);
		else
			__atomic_store_n(&sf->sf_index, si, __ATOMIC_RELEASE);
	}
	return (si);
}

/* sf's index: lock-free once built; NULL if it can't be had now. */
static sym_index_t *
sym_file_index(sym_file_t *sf)
{
	sym_index_t *si = __atomic_load_n(&sf->sf_index, __ATOMIC_ACQUIRE);

	if (si != NULL || __atomic_load_n(&sf->sf_failed, __ATOMIC_RELAXED))
		return (si);
	if (!sym_lock_enter())
		return (NULL);
	si = sym_file_index_locked(sf);
	sym_lock_exit();
	return (si);
}

static int
sym_covers(const sym_ent_t *e, uint64_t off)
{
	return (SE_SIZE(e) != 0 && off - e->se_addr < SE_SIZE(e));
}

/* The best symbol for link-time address off (section 4), or NULL. */
static const sym_ent_t *
sym_index_find(const sym_index_t *si, uint64_t off)
{
	uint64_t past;
	const sym_ent_t *e = si->si_ent;
	size_t lo = 0, hi = si->si_nent, mid, i, j, k, stop;

	while (lo < hi) {               /* the first entry above off */
		mid = lo + (hi - lo) / 2;
		if (e[mid].se_addr <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return (NULL);
	i = lo - 1;
	for (j = i; j > 0 && e[j - 1].se_addr == e[i].se_addr; j--)
		continue;
	for (k = j; k <= i; k++) {      /* aliases, best first */
		if (sym_covers(&e[k], off))
			return (&e[k]);
	}
	stop = j > sym_walkback ? j - sym_walkback : 0;
	for (k = j; k > stop; k--) {    /* an enclosing symbol before? */
		if (!sym_covers(&e[k - 1], off))
			continue;
		for (k--; k > 0 && e[k - 1].se_addr == e[k].se_addr &&
		    sym_covers(&e[k - 1], off); k--)
			continue;
		return (&e[k]);
	}
	if (SE_SIZE(&e[j]) != 0) {
		past = off - e[j].se_addr - SE_SIZE(&e[j]);
		if (past >= sym_beyond_max || (sym_dynsym_strict &&
		    si->si_source == SYM_SRC_DYNSYM))
			return (NULL);
	}
	return (&e[j]);
}

/* The address of name in si (global definitions first); 1 if found. */
static int
sym_index_byname(const sym_index_t *si, const char *name, uint64_t *valp)
{
	const sym_elfsym_t *s;
	size_t i, n = strlen(name);
	unsigned type;
	int found = 0;

	for (i = 0; i < si->si_nsyms; i++) {
		s = &si->si_syms[i];
		type = SYM_ST_TYPE(s->st_info);
		if (type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS || s->st_shndx == SHN_UNDEF ||
		    s->st_name >= si->si_strsize ||
		    si->si_strsize - s->st_name <= n ||
		    memcmp(si->si_str + s->st_name, name, n + 1) != 0)
			continue;
		if (!found || sym_rank(s) < 2) {
			*valp = s->st_value;
			found = 1;
		}
		if (sym_rank(s) < 2)
			break;
	}
	return (found);
}

/* ------------------------------------------------------------------------
 * The module table (section 2), under a sequence lock (section 5).
 */

static uint64_t
sym_seq_write_begin(void)
{
	uint64_t s = __atomic_load_n(&sym_seq, __ATOMIC_RELAXED);

	__atomic_store_n(&sym_seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return (s + 2);
}

static void
sym_seq_write_end(uint64_t s)
{
	__atomic_store_n(&sym_seq, s, __ATOMIC_RELEASE);
}

/* Copy a row in or out of the published table, word by word. */
static void
sym_mod_copy(sym_mod_t *dst, const sym_mod_t *src, int publish)
{
	const uintptr_t *s = (const uintptr_t *)(const void *)src;
	uintptr_t *d = (uintptr_t *)(void *)dst;
	size_t i;

	_Static_assert(sizeof (sym_mod_t) % sizeof (uintptr_t) == 0,
	    "sym_mod_t is words");
	for (i = 0; i < sizeof (sym_mod_t) / sizeof (uintptr_t); i++) {
		if (publish)
			__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
		else
			d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
	}
}

static int
sym_mod_has(const sym_mod_t *sm, uintptr_t pc)
{
	uintptr_t i;

	for (i = 0; i < sm->sm_nseg && i < SYM_MAXSEG; i++) {
		if (pc >= sm->sm_seglo[i] && pc < sm->sm_seghi[i])
			return (1);
	}
	return (0);
}

/*
 * The row of the module holding pc, copied to *out; lock-free.  1 if
 * found, 0 if not, -1 if no consistent read could be had (a writer was
 * busy, or died in our parent before a fork()).
 */
static int
sym_mod_find(uintptr_t pc, sym_mod_t *out)
{
	const sym_table_t *mt;
	const sym_mod_t *sm;
	uint64_t s1;
	size_t i, n;
	uint32_t tries;
	int found;

	for (tries = 0; tries < sym_seq_tries; tries++) {
		s1 = __atomic_load_n(&sym_seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		mt = __atomic_load_n(&sym_table, __ATOMIC_RELAXED);
		n = __atomic_load_n(&sym_nmods, __ATOMIC_RELAXED);
		found = 0;
		if (mt != NULL) {
			n = ST_MIN(n, mt->mt_cap);
			for (i = 0; i < n && !found; i++) {
				sm = &mt->mt_mods[i];
				if (pc < __atomic_load_n(&sm->sm_lo,
				    __ATOMIC_RELAXED) ||
				    pc >= __atomic_load_n(&sm->sm_hi,
				    __ATOMIC_RELAXED))
					continue;
				sym_mod_copy(out, sm, 0);
				found = sym_mod_has(out, pc);
			}
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sym_seq, __ATOMIC_RELAXED) == s1)
			return (found && out->sm_file != 0 ? 1 : 0);
	}
	return (-1);
}

/* The file record for a loaded object, made on first sight. */
static sym_file_t *
sym_file_get(const char *name, uint32_t flags, const char *image,
    size_t imagesize)
{
	sym_file_t *sf;
	const char *slash;
	size_t len;

	for (sf = sym_files; sf != NULL; sf = sf->sf_next) {
		if (sf->sf_flags == flags && (flags != 0 ||
		    strcmp(sf->sf_path, name) == 0))
			return (sf);
	}
	if (flags & SYM_F_MAIN) {
		if (st_os_readlink("/proc/self/exe", sym_exe,
		    sizeof (sym_exe)) <= 0)
			(void) strcpy(sym_exe, "a.out");
		name = sym_exe;
	}
	len = strlen(name);
	if ((sf = sym_carve(sizeof (*sf) + len + 1)) == NULL)
		return (NULL);
	memcpy(sf->sf_path, name, len + 1);
	slash = strrchr(sf->sf_path, '/');
	sf->sf_base = slash != NULL ? slash + 1 : sf->sf_path;
	sf->sf_flags = flags;
	sf->sf_image = image;
	sf->sf_imagesize = imagesize;
	sf->sf_next = sym_files;
	sym_files = sf;
	return (sf);
}

static int
sym_stage_grow(void)
{
	size_t cap = sym_stagecap == 0 ? 64 : sym_stagecap * 2;
	size_t size = ST_P2ROUNDUP(cap * sizeof (sym_mod_t), st_os_pagesize());
	sym_mod_t *p = st_os_map(size, st_os_pagesize());

	if (p == NULL)
		return (0);
	if (sym_stage != NULL) {
		memcpy(p, sym_stage, sym_nstage * sizeof (sym_mod_t));
		st_os_unmap(sym_stage, ST_P2ROUNDUP(sym_stagecap *
		    sizeof (sym_mod_t), st_os_pagesize()));
	}
	sym_stage = p;
	sym_stagecap = size / sizeof (sym_mod_t);
	return (1);
}

/* The vdso's image: from its ELF header to the end of its PT_LOAD pages. */
static size_t
sym_vdso_size(const struct dl_phdr_info *info, uintptr_t ehdr)
{
	const sym_phdr_t *ph;
	uintptr_t end = 0;
	size_t i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && ph->p_offset == 0 &&
		    info->dlpi_addr + ph->p_vaddr == ehdr)
			end = ehdr + ph->p_filesz;
	}
	if (end == 0)
		return (0);
	return (ST_P2ROUNDUP(end, st_os_pagesize()) - ehdr);
}

/*
 * dl_iterate_phdr(), unless this thread is in it already: -1 then.  A signal
 * handler that interrupted the loader's recursive mutex in the middle of
 * its lock or unlock would wait for itself forever, so a lookup nested in
 * ours trusts the table it has instead of asking the loader again.
 */
static int
sym_iterate(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	int r;

	if (sym_in_loader)
		return (-1);
	sym_in_loader = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	r = dl_iterate_phdr(cb, arg);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	sym_in_loader = 0;
	return (r);
}

typedef struct sym_collect {
	int sc_first;
	int sc_gen;                     /* adds/subs are known */
	unsigned long long sc_adds;
	unsigned long long sc_subs;
} sym_collect_t;

static int
sym_collect_gen(struct dl_phdr_info *info, size_t size, sym_collect_t *sc)
{
	if (size < offsetof(struct dl_phdr_info, dlpi_subs) +
	    sizeof (info->dlpi_subs))
		return (0);
	sc->sc_adds = info->dlpi_adds;
	sc->sc_subs = info->dlpi_subs;
	return (1);
}

/* dl_iterate_phdr(): one row per object into sym_stage. */
static int
sym_collect_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	sym_collect_t *sc = arg;
	uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR), a, e;
	const sym_phdr_t *ph;
	sym_file_t *sf;
	sym_mod_t *sm;
	uint32_t flags = 0;
	size_t i;

	if (sc->sc_first) {
		sc->sc_first = 0;
		sc->sc_gen = sym_collect_gen(info, size, sc);
	}
	if (sym_nstage == sym_stagecap && !sym_stage_grow())
		return (1);
	sm = &sym_stage[sym_nstage];
	memset(sm, 0, sizeof (*sm));
	sm->sm_bias = info->dlpi_addr;
	sm->sm_lo = UINTPTR_MAX;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		a = info->dlpi_addr + ph->p_vaddr;
		e = a + ph->p_memsz;
		if (sm->sm_nseg < SYM_MAXSEG) {
			sm->sm_seglo[sm->sm_nseg] = a;
			sm->sm_seghi[sm->sm_nseg++] = e;
		} else {                /* merge into the last range */
			sm->sm_seglo[SYM_MAXSEG - 1] =
			    ST_MIN(sm->sm_seglo[SYM_MAXSEG - 1], a);
			sm->sm_seghi[SYM_MAXSEG - 1] =
			    ST_MAX(sm->sm_seghi[SYM_MAXSEG - 1], e);
		}
		sm->sm_lo = ST_MIN(sm->sm_lo, a);
		sm->sm_hi = ST_MAX(sm->sm_hi, e);
	}
	if (sm->sm_nseg == 0)
		return (0);
	if (vdso != 0 && sym_mod_has(sm, vdso))
		flags = SYM_F_VDSO;
	else if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0')
		flags = SYM_F_MAIN;
	if (flags == SYM_F_VDSO)
		sf = sym_file_get(info->dlpi_name != NULL &&
		    info->dlpi_name[0] != '\0' ? info->dlpi_name : "[vdso]",
		    flags, (const char *)vdso, sym_vdso_size(info, vdso));
	else
		sf = sym_file_get(flags == 0 ? info->dlpi_name : "", flags,
		    NULL, 0);
	if (sf != NULL) {
		sm->sm_file = (uintptr_t)sf;
		sym_nstage++;
	}
	return (0);
}

/* Publish sym_stage as the module table. */
static void
sym_publish(void)
{
	sym_table_t *mt = sym_table, *nmt = NULL;
	size_t i, cap, size;
	uint64_t s;

	if (mt == NULL || sym_nstage > mt->mt_cap) {
		for (cap = 64; cap < sym_nstage; cap *= 2)
			continue;
		size = ST_P2ROUNDUP(sizeof (sym_table_t) + cap *
		    sizeof (sym_mod_t), st_os_pagesize());
		if ((nmt = st_os_map(size, st_os_pagesize())) != NULL) {
			nmt->mt_cap = (size - sizeof (sym_table_t)) /
			    sizeof (sym_mod_t);
			nmt->mt_size = size;
		}
	}
	s = sym_seq_write_begin();
	if (nmt != NULL)
		__atomic_store_n(&sym_table, nmt, __ATOMIC_RELAXED);
	mt = sym_table;
	/* The old table, if replaced, stays mapped: readers may be in it. */
	if (mt != NULL) {
		sym_nstage = ST_MIN(sym_nstage, mt->mt_cap);
		for (i = 0; i < sym_nstage; i++)
			sym_mod_copy(&mt->mt_mods[i], &sym_stage[i], 1);
		__atomic_store_n(&sym_nmods, sym_nstage, __ATOMIC_RELAXED);
	}
	sym_seq_write_end(s);
}

/* Build the module table again; sym_lock held. */
static void
sym_rebuild(void)
{
	sym_collect_t sc = { 1, 0, 0, 0 };

	if (__atomic_exchange_n(&sym_forked, 0, __ATOMIC_RELAXED)) {
		/* A writer may have died mid-table in our parent. */
		if (__atomic_load_n(&sym_seq, __ATOMIC_RELAXED) & 1)
			__atomic_add_fetch(&sym_seq, 1, __ATOMIC_RELEASE);
	}
	sym_nstage = 0;
	if (sym_iterate(sym_collect_cb, &sc) < 0)
		return;         /* nested: keep the table we have */
	sym_publish();
	__atomic_store_n(&sym_adds, sc.sc_gen ? sc.sc_adds : 0,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&sym_subs, sc.sc_gen ? sc.sc_subs : ~0ULL,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&sym_loaded, 1, __ATOMIC_RELEASE);
}

static int
sym_gen_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	sym_collect_t *sc = arg;

	sc->sc_gen = sym_collect_gen(info, size, sc);
	return (1);                     /* the first object is enough */
}

/*
 * Does the module table match the loader's list?  1 yes, 0 no (objects
 * came or went, or it was never built), -1 can't tell (a libc without
 * dlpi_adds: then only a miss rebuilds it).  One dl_iterate_phdr() that
 * stops at the first object: the loader's list lock, no malloc.
 */
static int
sym_current(void)
{
	sym_collect_t sc = { 1, 0, 0, 0 };

	if (!__atomic_load_n(&sym_loaded, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&sym_forked, __ATOMIC_RELAXED))
		return (0);
	if (sym_iterate(sym_gen_cb, &sc) < 0)
		return (1);     /* nested: trust the table */
	if (!sc.sc_gen)
		return (-1);
	return (sc.sc_adds == __atomic_load_n(&sym_adds, __ATOMIC_RELAXED) &&
	    sc.sc_subs == __atomic_load_n(&sym_subs, __ATOMIC_RELAXED));
}

/*
 * Build the module table again, unless (without force) another thread
 * just did and it is current.  1 if the table may have changed.
 */
static int
sym_refresh(int force)
{
	if (!sym_lock_enter())
		return (0);
	if (force || sym_current() != 1)
		sym_rebuild();
	sym_lock_exit();
	return (1);
}

/* ------------------------------------------------------------------------
 * Lookups.
 */

/* 0: nothing known; 1: the module only; 2: a symbol. */
static int
sym_resolve(uintptr_t pc, sym_res_t *rs)
{
	const sym_ent_t *se;
	sym_index_t *si;
	sym_mod_t sm;
	int c, r;

	rs->rs_name = NULL;
	rs->rs_module = NULL;
	rs->rs_file = NULL;
	rs->rs_off = rs->rs_link = pc;
	/*
	 * Checked on every lookup, not only on a miss: a library dlclose()d
	 * and another dlopen()ed at the same address would hit a stale row.
	 */
	if ((c = sym_current()) == 0)
		(void) sym_refresh(0);
	if ((r = sym_mod_find(pc, &sm)) < 0 || (r == 0 && c < 0)) {
		if (sym_refresh(1))
			r = sym_mod_find(pc, &sm);
	}
	if (r != 1)
		return (0);
	rs->rs_module = SM_FILE(&sm)->sf_base;
	rs->rs_file = SM_FILE(&sm);
	rs->rs_off = rs->rs_link = pc - sm.sm_bias;
	if ((si = sym_file_index(SM_FILE(&sm))) == NULL ||
	    (se = sym_index_find(si, rs->rs_off)) == NULL)
		return (1);
	rs->rs_name = si->si_str + se->se_name;
	rs->rs_off -= (uintptr_t)se->se_addr;
	return (2);
}

size_t
st_symbolize(uintptr_t pc, char *buf, size_t len)
{
	sym_buf_t sb = { buf, len, 0, 0 };
	sym_res_t rs;

	if (len == 0)
		return (0);
	switch (sym_resolve(pc, &rs)) {
	case 2:
		sym_puts(&sb, rs.rs_name);
		if (rs.rs_off != 0) {
			sym_puts(&sb, "+");
			sym_puthex(&sb, rs.rs_off);
		}
		break;
	case 1:
		sym_puts(&sb, rs.rs_module);
		sym_puts(&sb, "+");
		sym_puthex(&sb, rs.rs_off);
		break;
	default:
		sym_puthex(&sb, pc);
		break;
	}
	return (sym_buf_end(&sb));
}

int
st_symbol_lookup(uintptr_t pc, const char **namep, uintptr_t *offp,
    const char **modulep)
{
	sym_res_t rs;
	int r = sym_resolve(pc, &rs);

	if (namep != NULL)
		*namep = rs.rs_name;
	if (offp != NULL)
		*offp = rs.rs_off;
	if (modulep != NULL)
		*modulep = rs.rs_module;
	return (r == 2);
}

int
st_symbol_module(uintptr_t pc, const char **pathp, uintptr_t *linkp)
{
	sym_res_t rs;

	if (sym_resolve(pc, &rs) == 0 || rs.rs_file == NULL ||
	    (rs.rs_file->sf_flags & SYM_F_VDSO))
		return (0);
	*pathp = rs.rs_file->sf_path;
	*linkp = rs.rs_link;
	return (1);
}

int
st_symbol_addr(const char *name, uintptr_t *addrp)
{
	const sym_table_t *mt;
	const sym_mod_t *sm;
	sym_index_t *si;
	uint64_t value;
	size_t i;
	int found = 0;

	if (name == NULL || name[0] == '\0')
		return (0);
	if (!sym_lock_enter())
		return (0);
	if (sym_current() != 1)
		sym_rebuild();
	/* Under sym_lock the table cannot change: read it plainly. */
	mt = sym_table;
	for (i = 0; mt != NULL && i < sym_nmods && !found; i++) {
		sm = &mt->mt_mods[i];
		if ((si = sym_file_index_locked(SM_FILE(sm))) != NULL &&
		    sym_index_byname(si, name, &value)) {
			*addrp = sm->sm_bias + (uintptr_t)value;
			found = 1;
		}
	}
	sym_lock_exit();
	return (found);
}
