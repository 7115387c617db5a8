/*
 * fuzz_core.c: a libFuzzer target for the debugger's core file reader
 * (src/mdb/target.c).  The input is a whole dump file; the harness opens it
 * from memory with mdb_tgt_open_mem() (the same checks as a file), and when
 * it is accepted reads every PT_LOAD's first and last bytes, a string at
 * each thread's registers' values, and the note's sn_root, through
 * mdb_tgt_read(): AddressSanitizer catches a read outside the input.
 * Symbols (libdwfl) are not exercised: an in-memory target has none.
 *
 * Build and run (one core; seed it with real dumps, e.g. the vmcore.0 of
 * tests/integration/mdb.sh's programs):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *       -D_GNU_SOURCE -Iinclude -Isrc -o fuzz_core tests/fuzz/fuzz_core.c \
 *       src/mdb/target.c
 *   mkdir -p corpus-core && cp vmcore.0 corpus-core/
 *   ./fuzz_core -max_len=65536 -max_total_time=60 corpus-core
 *
 * It is not yet run by make check (no runner script or saved corpus yet).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mdb/mdb.h"

/* target.c calls these; the harness has no symbols. */
void
mdb_sym_fini(mdb_tgt_t *t)
{
	(void) t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024], buf[256];
	mdb_tgt_t *t;
	size_t i;

	t = mdb_tgt_open_mem(data, size, err, sizeof (err));
	if (t == NULL) {
		/* One line: no newline inside, terminated. */
		if (memchr(err, '\n', strlen(err)) != NULL)
			__builtin_trap();
		return (0);
	}
	for (i = 0; i < t->t_nsegs; i++) {
		const mdb_seg_t *sg = &t->t_segs[i];

		(void) mdb_tgt_read(t, sg->sg_vaddr, buf, sizeof (buf));
		if (sg->sg_memsz != 0)
			(void) mdb_tgt_read(t, sg->sg_vaddr + sg->sg_memsz - 1,
			    buf, sizeof (buf));
	}
	for (i = 0; i < t->t_nthreads; i++) {
		const mdb_thread_t *th = &t->t_threads[i];
		uint32_t r;

		for (r = 0; r < th->th_nregs; r++)
			(void) mdb_tgt_readstr(t, th->th_regs[r], buf,
			    sizeof (buf));
	}
	if (t->t_have_note)
		(void) mdb_tgt_vread(t, t->t_note.sn_root, buf, sizeof (buf));
	mdb_tgt_close(t);
	return (0);
}
