/*
 * target.c: the debugger's target layer.  Every command reads what it
 * debugs through here: memory by address, the threads and their
 * registers, the files mapped, and the note slabtrace's dump carries.
 *
 * 1. Kinds of target.  A target is an mdb_tgt_t with an ops vector
 *    (mdb_tgt_ops_t): the core file, here, and a live process (proc.c:
 *    process_vm_readv, never stopped longer than one command), with the
 *    same commands above both.
 *
 * 2. The core file (src/dump.c writes it).  An ELF64 ET_CORE of this
 *    machine, mapped read-only whole.  It is checked before anything
 *    reads it, and nothing else parses it first (libdwfl gets it only
 *    after): every offset and size is bounds-checked against the file's
 *    size, with overflow-free arithmetic, so that a truncated, corrupt,
 *    foreign or hostile file is refused with one line saying what is
 *    wrong, never read out of bounds.  A dump is refused when:
 *      - it is not ELF, not 64-bit little-endian, not ET_CORE, or not this
 *        machine's;
 *      - its program headers or notes, or a PT_LOAD's file data, run past
 *        the end of the file (truncated: dump.c itself rewrites p_filesz
 *        when it is cut short, so a file shorter than its headers say was
 *        damaged after it was written);
 *      - a note's sizes run past its segment, a PT_LOAD has p_filesz >
 *        p_memsz or wraps the address space, a note the debugger decodes
 *        (NT_PRSTATUS, NT_PRPSINFO, NT_FILE, NT_SLABTRACE) is short;
 *      - the NT_SLABTRACE note's sn_version is newer than ST_DUMP_VERSION:
 *        fields are only ever added, so an older dump is read up to its
 *        n_descsz and the rest is zero; a newer one might mean something
 *        else by the same bytes, and is refused naming both versions.
 *    A core without NT_SLABTRACE (gdb's, the kernel's) still opens: the
 *    commands that need the allocator say so.
 *
 * 3. Memory.  An address is read from the PT_LOAD that holds it when the
 *    byte is within p_filesz.  Past p_filesz (memory the dump left out,
 *    such as the program's text), from the file NT_FILE says is mapped
 *    there, as gdb does: a regular file only, opened read-only on first
 *    use.  Otherwise the read fails: MDB_ENOMAP (no mapping there) or
 *    MDB_ENODUMP (mapped, not in the dump).  A read that runs into such a
 *    range returns the bytes before it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdb.h"

#define	TGT_MAXFILES	(1U << 20)	/* NT_FILE entries we take */

static ssize_t core_read(mdb_tgt_t *, uint64_t, void *, size_t);
static void core_close(mdb_tgt_t *);

static const mdb_tgt_ops_t core_ops = {
	.to_name = "core",
	.to_read = core_read,
	.to_close = core_close,
};

void
mdb_tgt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Is [off, off + len) inside [0, size)?  No overflow. */
static bool
in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return (off <= size && len <= size - off);
}

static int
seg_cmp(const void *a, const void *b)
{
	const mdb_seg_t *x = a, *y = b;

	return (x->sg_vaddr < y->sg_vaddr ? -1 : x->sg_vaddr > y->sg_vaddr);
}

static int
file_cmp(const void *a, const void *b)
{
	const mdb_mapfile_t *x = a, *y = b;

	return (x->mf_start < y->mf_start ? -1 : x->mf_start > y->mf_start);
}

/* ------------------------------------------------------------------------
 * The notes.
 */

static int
note_prstatus(mdb_tgt_t *t, const uint8_t *desc, uint64_t descsz,
    char *err, size_t errlen)
{
	struct elf_prstatus prs;
	mdb_thread_t *th;
	size_t nregs = sizeof (prs.pr_reg) / sizeof (uint64_t);

	if (descsz < sizeof (prs)) {
		mdb_tgt_err(err, errlen, "corrupt NT_PRSTATUS note: %llu bytes, "
		    "expected %zu", (unsigned long long)descsz, sizeof (prs));
		return (-1);
	}
	th = realloc(t->t_threads, (t->t_nthreads + 1) * sizeof (*th));
	if (th == NULL) {
		mdb_tgt_err(err, errlen, "out of memory");
		return (-1);
	}
	t->t_threads = th;
	th = &th[t->t_nthreads++];
	(void) memset(th, 0, sizeof (*th));
	(void) memcpy(&prs, desc, sizeof (prs));
	th->th_tid = (uint32_t)prs.pr_pid;
	th->th_cursig = prs.pr_cursig;
	th->th_nregs = (uint32_t)(nregs < MDB_NGREGS ? nregs : MDB_NGREGS);
	(void) memcpy(th->th_regs, &prs.pr_reg,
	    th->th_nregs * sizeof (uint64_t));
	return (0);
}

static int
note_file(mdb_tgt_t *t, const uint8_t *desc, uint64_t descsz,
    char *err, size_t errlen)
{
	uint64_t count, pagesz, i;
	const char *name, *end;

	if (descsz < 16)
		goto corrupt;
	(void) memcpy(&count, desc, 8);
	(void) memcpy(&pagesz, desc + 8, 8);
	if (count > TGT_MAXFILES || count > (descsz - 16) / 24 ||
	    pagesz == 0 || pagesz > (1ULL << 30))
		goto corrupt;
	t->t_files = calloc(count ? count : 1, sizeof (mdb_mapfile_t));
	if (t->t_files == NULL) {
		mdb_tgt_err(err, errlen, "out of memory");
		return (-1);
	}
	name = (const char *)desc + 16 + count * 24;
	end = (const char *)desc + descsz;
	for (i = 0; i < count; i++) {
		mdb_mapfile_t *mf = &t->t_files[i];
		const uint8_t *e = desc + 16 + i * 24;
		const char *nul;
		uint64_t pgoff;

		nul = name < end ? memchr(name, '\0', (size_t)(end - name)) :
		    NULL;
		if (nul == NULL)
			goto corrupt;
		(void) memcpy(&mf->mf_start, e, 8);
		(void) memcpy(&mf->mf_end, e + 8, 8);
		(void) memcpy(&pgoff, e + 16, 8);
		if (mf->mf_end < mf->mf_start ||
		    pgoff > UINT64_MAX / pagesz)
			goto corrupt;
		mf->mf_offset = pgoff * pagesz;
		mf->mf_name = name;
		mf->mf_fd = -2;
		name = nul + 1;
	}
	t->t_nfiles = count;
	qsort(t->t_files, t->t_nfiles, sizeof (mdb_mapfile_t), file_cmp);
	return (0);
corrupt:
	mdb_tgt_err(err, errlen, "corrupt NT_FILE note");
	return (-1);
}

static int
note_slabtrace(mdb_tgt_t *t, const uint8_t *desc, uint64_t descsz,
    char *err, size_t errlen)
{
	st_dump_note_t *sn = &t->t_note;
	size_t need = offsetof(st_dump_note_t, sn_panic);

	if (descsz < need) {
		mdb_tgt_err(err, errlen, "corrupt slabtrace note: %llu bytes",
		    (unsigned long long)descsz);
		return (-1);
	}
	(void) memset(sn, 0, sizeof (*sn));
	(void) memcpy(sn, desc, descsz < sizeof (*sn) ? descsz : sizeof (*sn));
	if (memcmp(sn->sn_magic, ST_DUMP_MAGIC, sizeof (sn->sn_magic)) != 0) {
		mdb_tgt_err(err, errlen, "corrupt slabtrace note: bad magic");
		return (-1);
	}
	if (sn->sn_version > ST_DUMP_VERSION) {
		mdb_tgt_err(err, errlen, "dump version %u is newer than this "
		    "debugger's %u: read it with the slabtrace that wrote it",
		    sn->sn_version, ST_DUMP_VERSION);
		return (-1);
	}
	/* The strings are the dump's: terminate them whatever it says. */
	sn->sn_panic[ST_DUMP_STRLEN - 1] = '\0';
	sn->sn_program[ST_DUMP_STRLEN - 1] = '\0';
	sn->sn_cmdline[ST_DUMP_STRLEN - 1] = '\0';
	sn->sn_host[ST_DUMP_STRLEN / 4 - 1] = '\0';
	sn->sn_release[ST_DUMP_STRLEN / 4 - 1] = '\0';
	sn->sn_machine[ST_DUMP_STRLEN / 4 - 1] = '\0';
	t->t_notesz = (uint32_t)(descsz < UINT32_MAX ? descsz : UINT32_MAX);
	t->t_have_note = true;
	return (0);
}

static int
note_one(mdb_tgt_t *t, const char *name, uint32_t namesz, uint32_t type,
    const uint8_t *desc, uint64_t descsz, char *err, size_t errlen)
{
	if (namesz == 5 && memcmp(name, "CORE", 5) == 0) {
		switch (type) {
		case NT_PRSTATUS:
			return (note_prstatus(t, desc, descsz, err, errlen));
		case NT_FILE:
			if (t->t_files != NULL)
				return (0);
			return (note_file(t, desc, descsz, err, errlen));
		case NT_PRPSINFO: {
			struct elf_prpsinfo ps;

			if (descsz < sizeof (ps)) {
				mdb_tgt_err(err, errlen,
				    "corrupt NT_PRPSINFO note");
				return (-1);
			}
			(void) memcpy(&ps, desc, sizeof (ps));
			(void) memcpy(t->t_fname, ps.pr_fname,
			    sizeof (ps.pr_fname));
			(void) memcpy(t->t_psargs, ps.pr_psargs,
			    sizeof (ps.pr_psargs));
			t->t_have_psinfo = true;
			return (0);
		}
		default:
			return (0);
		}
	}
	if (namesz == sizeof (ST_NOTE_NAME) &&
	    memcmp(name, ST_NOTE_NAME, namesz) == 0 && type == NT_SLABTRACE &&
	    !t->t_have_note)
		return (note_slabtrace(t, desc, descsz, err, errlen));
	return (0);
}

/* Walk one PT_NOTE segment: every size checked against the segment. */
static int
notes_parse(mdb_tgt_t *t, uint64_t off, uint64_t size, char *err,
    size_t errlen)
{
	const uint8_t *p = t->t_data + off;
	uint64_t pos = 0;

	while (size - pos >= sizeof (Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t namesz, descsz, descoff;

		(void) memcpy(&nh, p + pos, sizeof (nh));
		namesz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
		descsz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
		descoff = pos + sizeof (nh) + namesz;
		if (!in_bounds(pos + sizeof (nh), namesz, size) ||
		    !in_bounds(descoff, nh.n_descsz, size)) {
			mdb_tgt_err(err, errlen, "corrupt note at offset %#llx: "
			    "its size runs past the notes' end",
			    (unsigned long long)(off + pos));
			return (-1);
		}
		if (note_one(t, (const char *)p + pos + sizeof (nh),
		    nh.n_namesz, nh.n_type, p + descoff, nh.n_descsz,
		    err, errlen) != 0)
			return (-1);
		if (!in_bounds(descoff, descsz, size))
			break;		/* the last note, unpadded */
		pos = descoff + descsz;
	}
	return (0);
}

/* ------------------------------------------------------------------------
 * The ELF header and program headers.
 */

static int
core_parse(mdb_tgt_t *t, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	uint64_t phnum, i, nsegs = 0;
	bool have_notes = false;

	if (t->t_size < SELFMAG || memcmp(t->t_data, ELFMAG, SELFMAG) != 0) {
		mdb_tgt_err(err, errlen, "not an ELF file");
		return (-1);
	}
	if (t->t_size < sizeof (eh)) {
		mdb_tgt_err(err, errlen, "truncated: %zu bytes, shorter than an "
		    "ELF header", t->t_size);
		return (-1);
	}
	(void) memcpy(&eh, t->t_data, sizeof (eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		mdb_tgt_err(err, errlen, "not a 64-bit little-endian ELF file");
		return (-1);
	}
	if (eh.e_type != ET_CORE) {
		mdb_tgt_err(err, errlen, "not a core file (ELF type %u)",
		    eh.e_type);
		return (-1);
	}
	if (eh.e_machine != MDB_ELF_MACHINE) {
		mdb_tgt_err(err, errlen, "a core file of another machine (ELF "
		    "machine %u, this one is %u)", eh.e_machine,
		    MDB_ELF_MACHINE);
		return (-1);
	}
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		Elf64_Shdr sh;

		if (!in_bounds(eh.e_shoff, sizeof (sh), t->t_size))
			goto truncated;
		(void) memcpy(&sh, t->t_data + eh.e_shoff, sizeof (sh));
		phnum = sh.sh_info;
	}
	if (eh.e_phentsize != sizeof (Elf64_Phdr) || phnum == 0) {
		mdb_tgt_err(err, errlen, "corrupt ELF header: no program headers");
		return (-1);
	}
	if (!in_bounds(eh.e_phoff, phnum * sizeof (Elf64_Phdr), t->t_size))
		goto truncated;
	t->t_segs = calloc(phnum, sizeof (mdb_seg_t));
	if (t->t_segs == NULL) {
		mdb_tgt_err(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < phnum; i++) {
		Elf64_Phdr ph;

		(void) memcpy(&ph, t->t_data + eh.e_phoff + i * sizeof (ph),
		    sizeof (ph));
		if (ph.p_type == PT_NOTE) {
			if (!in_bounds(ph.p_offset, ph.p_filesz, t->t_size))
				goto truncated;
			if (notes_parse(t, ph.p_offset, ph.p_filesz, err,
			    errlen) != 0)
				return (-1);
			have_notes = true;
		} else if (ph.p_type == PT_LOAD) {
			mdb_seg_t *sg = &t->t_segs[nsegs++];

			if (ph.p_filesz > ph.p_memsz ||
			    ph.p_vaddr + ph.p_memsz < ph.p_vaddr) {
				mdb_tgt_err(err, errlen, "corrupt program header "
				    "%llu", (unsigned long long)i);
				return (-1);
			}
			if (ph.p_filesz != 0 &&
			    !in_bounds(ph.p_offset, ph.p_filesz, t->t_size))
				goto truncated;
			sg->sg_vaddr = ph.p_vaddr;
			sg->sg_memsz = ph.p_memsz;
			sg->sg_offset = ph.p_offset;
			sg->sg_filesz = ph.p_filesz;
			sg->sg_flags = ph.p_flags;
		}
	}
	t->t_nsegs = nsegs;
	qsort(t->t_segs, nsegs, sizeof (mdb_seg_t), seg_cmp);
	if (!have_notes || t->t_nthreads == 0) {
		mdb_tgt_err(err, errlen, "corrupt core file: no thread notes");
		return (-1);
	}
	return (0);
truncated:
	mdb_tgt_err(err, errlen, "truncated: the headers need more than the "
	    "file's %zu bytes", t->t_size);
	return (-1);
}

static mdb_tgt_t *
tgt_new(void)
{
	mdb_tgt_t *t = calloc(1, sizeof (*t));

	if (t != NULL) {
		t->t_ops = &core_ops;
		t->t_fd = -1;
	}
	return (t);
}

mdb_tgt_t *
mdb_tgt_open_mem(const uint8_t *data, size_t size, char *err, size_t errlen)
{
	mdb_tgt_t *t = tgt_new();

	if (t == NULL) {
		mdb_tgt_err(err, errlen, "out of memory");
		return (NULL);
	}
	t->t_data = data;
	t->t_size = size;
	if (core_parse(t, err, errlen) != 0) {
		t->t_data = NULL;
		mdb_tgt_close(t);
		return (NULL);
	}
	return (t);
}

mdb_tgt_t *
mdb_tgt_open_core(const char *path, const char *program, char *err,
    size_t errlen)
{
	mdb_tgt_t *t;
	struct stat st;
	char why[512];
	void *p;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		mdb_tgt_err(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		mdb_tgt_err(err, errlen, "%s: not a regular file", path);
		(void) close(fd);
		return (NULL);
	}
	if (st.st_size == 0) {
		mdb_tgt_err(err, errlen, "%s: empty file, not an ELF file", path);
		(void) close(fd);
		return (NULL);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		mdb_tgt_err(err, errlen, "cannot map %s: %s", path,
		    strerror(errno));
		(void) close(fd);
		return (NULL);
	}
	if ((t = tgt_new()) == NULL) {
		mdb_tgt_err(err, errlen, "out of memory");
		(void) munmap(p, (size_t)st.st_size);
		(void) close(fd);
		return (NULL);
	}
	t->t_fd = fd;
	t->t_data = p;
	t->t_size = (size_t)st.st_size;
	t->t_path = strdup(path);
	t->t_program = program != NULL ? strdup(program) : NULL;
	if (core_parse(t, why, sizeof (why)) != 0) {
		mdb_tgt_err(err, errlen, "%s: %s", path, why);
		mdb_tgt_close(t);
		return (NULL);
	}
	return (t);
}

static void
core_close(mdb_tgt_t *t)
{
	size_t i;

	for (i = 0; i < t->t_nfiles; i++) {
		if (t->t_files[i].mf_fd >= 0)
			(void) close(t->t_files[i].mf_fd);
	}
	if (t->t_fd >= 0) {
		if (t->t_data != NULL)
			(void) munmap((void *)t->t_data, t->t_size);
		(void) close(t->t_fd);
	}
}

void
mdb_tgt_close(mdb_tgt_t *t)
{
	if (t == NULL)
		return;
	mdb_sym_fini(t);
	t->t_ops->to_close(t);
	free(t->t_segs);
	free(t->t_threads);
	free(t->t_files);
	free(t->t_path);
	free(t->t_program);
	free(t);
}

/* ------------------------------------------------------------------------
 * Reading memory.
 */

/* The segment holding addr, or NULL: a binary search of the sorted table. */
const mdb_seg_t *
mdb_tgt_seg(const mdb_tgt_t *t, uint64_t addr)
{
	size_t lo = 0, hi = t->t_nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const mdb_seg_t *sg = &t->t_segs[mid];

		if (addr < sg->sg_vaddr)
			hi = mid;
		else if (addr - sg->sg_vaddr >= sg->sg_memsz)
			lo = mid + 1;
		else
			return (sg);
	}
	return (NULL);
}

static mdb_mapfile_t *
file_find(mdb_tgt_t *t, uint64_t addr)
{
	size_t lo = 0, hi = t->t_nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		mdb_mapfile_t *mf = &t->t_files[mid];

		if (addr < mf->mf_start)
			hi = mid;
		else if (addr >= mf->mf_end)
			lo = mid + 1;
		else
			return (mf);
	}
	return (NULL);
}

/* Read from the file mapped at addr (memory the dump left out). */
static ssize_t
file_read(mdb_mapfile_t *mf, uint64_t addr, void *buf, size_t len)
{
	struct stat st;
	uint64_t off;
	ssize_t n;

	if (mf->mf_fd == -2) {
		mf->mf_fd = open(mf->mf_name, O_RDONLY | O_NONBLOCK |
		    O_CLOEXEC);
		if (mf->mf_fd >= 0 && (fstat(mf->mf_fd, &st) != 0 ||
		    !S_ISREG(st.st_mode))) {
			(void) close(mf->mf_fd);
			mf->mf_fd = -1;
		}
		if (mf->mf_fd < 0)
			mf->mf_fd = -1;
	}
	if (mf->mf_fd < 0)
		return (-1);
	if (len > mf->mf_end - addr)
		len = (size_t)(mf->mf_end - addr);
	off = mf->mf_offset + (addr - mf->mf_start);
	if (off > INT64_MAX)
		return (-1);
	n = pread(mf->mf_fd, buf, len, (off_t)off);
	return (n > 0 ? n : -1);
}

/* One contiguous piece at addr: from the dump or from a mapped file. */
static ssize_t
core_read_one(mdb_tgt_t *t, uint64_t addr, void *buf, size_t len)
{
	const mdb_seg_t *sg = mdb_tgt_seg(t, addr);
	mdb_mapfile_t *mf;
	uint64_t off;

	if (sg != NULL && (off = addr - sg->sg_vaddr) < sg->sg_filesz) {
		if (len > sg->sg_filesz - off)
			len = (size_t)(sg->sg_filesz - off);
		(void) memcpy(buf, t->t_data + sg->sg_offset + off, len);
		return ((ssize_t)len);
	}
	if ((mf = file_find(t, addr)) != NULL) {
		ssize_t n;

		/* Stop where the dump's data starts again. */
		if (sg != NULL && len > sg->sg_memsz - (addr - sg->sg_vaddr))
			len = (size_t)(sg->sg_memsz - (addr - sg->sg_vaddr));
		if ((n = file_read(mf, addr, buf, len)) > 0)
			return (n);
	}
	errno = sg != NULL || mf != NULL ? MDB_ENODUMP : MDB_ENOMAP;
	return (-1);
}

static ssize_t
core_read(mdb_tgt_t *t, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (addr + done < addr)
			break;		/* wrapped */
		n = core_read_one(t, addr + done, (uint8_t *)buf + done,
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

ssize_t
mdb_tgt_read(mdb_tgt_t *t, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return (0);
	return (t->t_ops->to_read(t, addr, buf, len));
}

int
mdb_tgt_vread(mdb_tgt_t *t, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = mdb_tgt_read(t, addr, buf, len);

	if (n < 0)
		return (-1);
	if ((size_t)n < len) {
		/* Say why the rest is missing. */
		if (mdb_tgt_read(t, addr + (uint64_t)n, buf, 1) >= 0)
			errno = MDB_ENODUMP;
		return (-1);
	}
	return (0);
}

ssize_t
mdb_tgt_readstr(mdb_tgt_t *t, uint64_t addr, char *buf, size_t len)
{
	size_t i;

	if (len == 0)
		return (-1);
	for (i = 0; i + 1 < len; i++) {
		if (mdb_tgt_read(t, addr + i, &buf[i], 1) != 1) {
			if (i == 0)
				return (-1);
			break;
		}
		if (buf[i] == '\0')
			return ((ssize_t)i);
	}
	buf[i] = '\0';
	return ((ssize_t)i);
}

const mdb_thread_t *
mdb_tgt_thread(mdb_tgt_t *t, uint32_t tid)
{
	size_t i;

	for (i = 0; i < t->t_nthreads; i++) {
		if (t->t_threads[i].th_tid == tid)
			return (&t->t_threads[i]);
	}
	return (NULL);
}

const char *
mdb_tgt_strerror(int err)
{
	if (err == MDB_ENOMAP)
		return ("no mapping for address");
	if (err == MDB_ENODUMP)
		return ("address not in the dump");
	if (err == MDB_ENOREAD)
		return ("mapped, not readable");
	if (err == ESRCH)
		return ("the process has exited");
	return (strerror(err));
}

/* Around each command (proc.c, section 3); nothing for a dump. */
int
mdb_tgt_begin(mdb_tgt_t *t)
{
	return (t->t_ops->to_begin != NULL ? t->t_ops->to_begin(t) : 0);
}

void
mdb_tgt_end(mdb_tgt_t *t)
{
	if (t->t_ops->to_end != NULL)
		t->t_ops->to_end(t);
}

int
mdb_tgt_getregs(mdb_tgt_t *t)
{
	return (t->t_ops->to_getregs != NULL ? t->t_ops->to_getregs(t) : 0);
}
