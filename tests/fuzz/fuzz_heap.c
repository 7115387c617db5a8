/*
 * fuzz_heap.c: a libFuzzer target for the debugger's commands on a dump
 * whose allocator state was itself overwritten: the bug being chased may
 * have written anywhere, the caches and slabs included, and the debugger
 * must then give one line or a partial answer, never crash, hang or read
 * out of bounds.
 *
 * 1. The dump.  A real dump (FUZZ_HEAP_CORE, made by
 *    tests/integration/fuzz_heap.sh from a small program under
 *    KMEM_FLAGS=0xf) is opened once; target.c maps it copy-on-write, and
 *    the harness makes that mapping writable to patch it in place.
 *
 * 2. Where to write.  At start-up the pristine dump's allocator structures
 *    are listed through the heap model (kmem.c): st_root, every cache,
 *    arena and thread structure, the first slabs and buffers (their
 *    chunks with the buftags), the log headers and the first log records,
 *    the message buffer's header.  These are the ranges an input patches,
 *    by index, so that an input means the same thing on every run even
 *    though ASLR moves the addresses.
 *
 * 3. The input: records of 12 bytes: range (16 bits, modulo the ranges),
 *    word (16 bits: the low 14 the 8-byte word in the range, modulo its
 *    length; the top 2 the kind), value (64 bits):
 *      kind 0  the word becomes value;
 *      kind 1  it points into another range: range[value % n] + 8 *
 *              ((value >> 32) % 64), so that lists can be made to cycle or
 *              to cross into other structures;
 *      kind 2  it is XORed with value (bit flips);
 *      kind 3  value (signed, low 16 bits) is added to it (an off-by-N).
 *    At most 64 records.  Every patched word is restored after the run.
 *
 * 4. The commands: every kmem command, on the whole heap, and ::whatis,
 *    ::kgrep and ::explain on a buffer's address, with output to
 *    /dev/null.  The model is
 *    rebuilt by each command, so each sees the patched dump.
 *
 * tests/integration/fuzz_heap.sh builds and runs it (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mdb/mdb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define	FH_MAXRANGES	1024
#define	FH_MAXRECS	64

typedef struct fh_range {
	uint64_t fr_addr;
	uint64_t fr_len;		/* bytes, a multiple of 8 */
} fh_range_t;

static mdb_tgt_t *fh_tgt;
static fh_range_t fh_ranges[FH_MAXRANGES];
static size_t fh_nranges;
static char fh_cmds[2048];

static void
fh_add(uint64_t addr, uint64_t len)
{
	if (fh_nranges < FH_MAXRANGES && addr != 0 && len >= 8)
		fh_ranges[fh_nranges++] = (fh_range_t){ addr, len & ~7ULL };
}

static int
fh_slab(void *arg, const mdb_cache_t *mc, uint64_t addr,
    const kmem_slab_t *sp)
{
	int *n = arg;

	(void) mc, (void) sp;
	fh_add(addr, sizeof (kmem_slab_t));
	return (++*n >= 48);
}

static int
fh_buf(void *arg, const mdb_buf_t *b)
{
	int *n = arg;

	fh_add(b->mb_addr, b->mb_chunk < 512 ? b->mb_chunk : 512);
	if (b->mb_bufctl != 0)
		fh_add(b->mb_bufctl, sizeof (kmem_bufctl_audit_t) + 64);
	return (++*n >= 96);
}

/* The ranges of section 2, from the pristine dump. */
static void
fh_ranges_find(void)
{
	const st_root_t *r;
	mdb_heap_t *h;
	size_t i;
	int n = 0;

	if ((h = mdb_heap_get(fh_tgt, 0)) == NULL) {
		(void) fprintf(stderr, "fuzz_heap: no heap in the dump\n");
		exit(1);
	}
	r = &h->mh_root;
	fh_add(fh_tgt->t_note.sn_root, sizeof (st_root_t));
	for (i = 0; i < h->mh_ncaches; i++)
		fh_add(h->mh_caches[i].mc_addr, sizeof (kmem_cache_t));
	for (i = 0; i < h->mh_nvmem; i++)
		fh_add(h->mh_vmem[i].mv_addr, sizeof (vmem_t));
	for (i = 0; i < h->mh_nthreads && i < 8; i++)
		fh_add(h->mh_threads[i], 512);
	fh_add((uint64_t)(uintptr_t)r->sr_transaction_log, sizeof (kmem_log_t));
	fh_add((uint64_t)(uintptr_t)r->sr_contents_log, sizeof (kmem_log_t));
	fh_add((uint64_t)(uintptr_t)r->sr_failure_log, sizeof (kmem_log_t));
	fh_add((uint64_t)(uintptr_t)r->sr_slab_log, sizeof (kmem_log_t));
	fh_add((uint64_t)(uintptr_t)r->sr_msgbuf, sizeof (st_msgbuf_t));
	if (r->sr_transaction_log != NULL) {
		kmem_log_t lh;

		if (mdb_tgt_vread(fh_tgt,
		    (uint64_t)(uintptr_t)r->sr_transaction_log, &lh,
		    sizeof (lh)) == 0)
			fh_add((uint64_t)(uintptr_t)lh.lh_base, 4096);
	}
	for (i = 0; i < h->mh_ncaches && n < 48; i++)
		(void) mdb_heap_walk_slabs(h, &h->mh_caches[i], fh_slab, &n);
	n = 0;
	(void) mdb_heap_walk(h, NULL, MDB_WALK_ALLOC | MDB_WALK_FREE |
	    MDB_WALK_BIG, fh_buf, &n);
}

/* The file byte at addr in the dump's mapping, or NULL (not in the file). */
static uint8_t *
fh_byte(uint64_t addr)
{
	size_t i;

	for (i = 0; i < fh_tgt->t_nsegs; i++) {
		const mdb_seg_t *sg = &fh_tgt->t_segs[i];

		if (addr >= sg->sg_vaddr && addr - sg->sg_vaddr < sg->sg_filesz)
			return ((uint8_t *)(uintptr_t)fh_tgt->t_data +
			    sg->sg_offset + (addr - sg->sg_vaddr));
	}
	return (NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_HEAP_CORE");
	char err[1024];
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t lo, hi;
	uint64_t buf = 0;

	(void) argc, (void) argv;
	if (path == NULL) {
		(void) fprintf(stderr, "fuzz_heap: FUZZ_HEAP_CORE must name a "
		    "dump (tests/integration/fuzz_heap.sh makes one)\n");
		exit(1);
	}
	if ((fh_tgt = mdb_tgt_open_core(path, NULL, err, sizeof (err))) ==
	    NULL) {
		(void) fprintf(stderr, "fuzz_heap: %s: %s\n", path, err);
		exit(1);
	}
	lo = (uintptr_t)fh_tgt->t_data & ~(uintptr_t)(pg - 1);
	hi = (uintptr_t)fh_tgt->t_data + fh_tgt->t_size;
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) != 0) {
		perror("fuzz_heap: mprotect");
		exit(1);
	}
	if (freopen("/dev/null", "w", stdout) == NULL)
		exit(1);
	fh_ranges_find();
	if (fh_nranges < 8) {
		(void) fprintf(stderr, "fuzz_heap: only %zu ranges\n",
		    fh_nranges);
		exit(1);
	}
	/* A buffer's address for ::whatis and ::kgrep: the first one. */
	for (size_t i = 0; i < fh_nranges && buf == 0; i++)
		if (fh_ranges[i].fr_len >= 16 && fh_ranges[i].fr_len <= 512)
			buf = fh_ranges[i].fr_addr;
	(void) snprintf(fh_cmds, sizeof (fh_cmds),
	    "::kmastat; ::kmem_cache; ::kmem_slabs; ::vmem; ::walk kmem; "
	    "::walk freemem; ::walk bufctl | ::bufctl; ::kmem_verify; "
	    "::walk kmem_cache | ::kmem_verify; ::kmausers; ::kmalog; "
	    "::kmem_log; ::msgbuf; ::walk vmem | ::vmem_seg; "
	    "%llx::whatis; %llx::kgrep; %llx::kmalog; %llx::findleaks; "
	    "::findleaks -dv; %llx::explain",
	    (unsigned long long)buf + 8, (unsigned long long)buf,
	    (unsigned long long)buf, (unsigned long long)buf,
	    (unsigned long long)buf + 8);
	(void) fprintf(stderr, "fuzz_heap: %zu ranges\n", fh_nranges);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct { uint8_t *where; uint64_t old; } saved[FH_MAXRECS];
	size_t nsaved = 0, off;
	char *line;

	for (off = 0; off + 12 <= size && nsaved < FH_MAXRECS; off += 12) {
		uint16_t ri, wi;
		uint64_t v, old;
		const fh_range_t *fr;
		uint8_t *p;

		(void) memcpy(&ri, data + off, 2);
		(void) memcpy(&wi, data + off + 2, 2);
		(void) memcpy(&v, data + off + 4, 8);
		fr = &fh_ranges[ri % fh_nranges];
		p = fh_byte(fr->fr_addr + 8 * ((wi & 0x3fff) % (fr->fr_len /
		    8)));
		if (p == NULL)
			continue;
		(void) memcpy(&old, p, 8);
		saved[nsaved].where = p;
		saved[nsaved++].old = old;
		switch (wi >> 14) {
		case 0:
			break;
		case 1:
			v = fh_ranges[v % fh_nranges].fr_addr +
			    8 * ((v >> 32) % 64);
			break;
		case 2:
			v ^= old;
			break;
		default:
			v = old + (uint64_t)(int64_t)(int16_t)v;
			break;
		}
		(void) memcpy(p, &v, 8);
	}
	if ((line = strdup(fh_cmds)) != NULL)
		(void) mdb_run_line(fh_tgt, line);
	free(line);
	mdb_quit_requested = false;
	while (nsaved > 0) {
		nsaved--;
		(void) memcpy(saved[nsaved].where, &saved[nsaved].old, 8);
	}
	return (0);
}
