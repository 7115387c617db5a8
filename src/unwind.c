/*
 * unwind.c: stack traces for the audit log, the lite history and panics.
 *
 * st_stack_capture() runs on every allocation and free when auditing is on,
 * inside the allocator, with its locks held, possibly in a signal handler.
 * So it never allocates, never blocks on a lock, never faults, and in the
 * steady state replays the last walk of the same call chain: two loads
 * and a compare per frame (else one compare with a per-thread memo of
 * the previous captures and two or three loads per frame, else one hash
 * lookup).
 *
 * 1. What is captured.  st_stack_capture(pcs, max, skip): pcs[0] is the
 *    return address into the function that called st_stack_capture (a PC
 *    inside the caller), pcs[1] the return address into the caller's
 *    caller, and so on, innermost first; the first `skip` of those are left
 *    out (skip 1: pcs[0] is inside the caller's caller).  At most max are
 *    stored; the count is returned.  st_stack_capture_uc(uc, pcs, max)
 *    starts from a signal's ucontext_t: pcs[0] is the interrupted (faulting)
 *    PC itself, then the return addresses above it.
 *
 * 2. How a frame is unwound (x86-64).  A frame is {pc, sp, rbp}.  Our own
 *    frame has a frame pointer (__builtin_frame_address forces one), which
 *    gives the first frame.  For each further frame, the rule that recovers
 *    the caller's frame comes from the DWARF call frame information that
 *    every x86-64 ELF object carries in .eh_frame (code built with
 *    -fomit-frame-pointer included):
 *        CFA     = rsp + off | rbp + off | *(rsp + off) | *(rbp + off)
 *        RA      = *(CFA + off)
 *        rbp     = unchanged | *(CFA + off) | *(rbp + off) | lost
 *        rsp     = CFA
 *    The rule is found by looking up the module containing pc (section 4),
 *    binary-searching its .eh_frame_hdr table for the FDE, parsing the FDE
 *    and its CIE and running the CFA program up to pc (pc - 1 for a return
 *    address, which may lie past the end of a call to a noreturn function).
 *    Expressions (DW_CFA_def_cfa_expression, DW_CFA_expression) are folded
 *    symbolically when they are linear in rsp or rbp, with at most one
 *    dereference at the end: that covers the PLT's rule and gcc's stack
 *    realignment (DRAP) rules.  Anything else (a CFA in another register,
 *    the return address in a register) makes the rule "no information".
 *
 * 3. The rule cache.  Rules are packed in 64 bits and cached by pc in a
 *    fixed open-addressing hash (UW_CACHE_SHIFT, mapped on first use, probed
 *    UW_CACHE_PROBE slots).  A slot is {key, rule}; the key holds the pc,
 *    whether the pc is exact (section 5), the module-table epoch (section
 *    4), a 7-bit write sequence and a busy bit.  Readers take no lock: they
 *    read the key, the rule, then the key again (a per-slot seqlock), and
 *    treat a busy or changed slot as a miss.  Writers claim a slot by
 *    compare-and-swap on its key and simply give up when it is busy.  A miss
 *    computes the rule from .eh_frame (a few microseconds) and inserts it.
 *    "No information" (no module, no FDE, unsupported CFI) is cached too,
 *    so code without unwind information (JIT code) costs no more than a hit.
 *    The rules of the usual frames (CFA = rsp + off > 0 or rbp + off, the
 *    return address at CFA - 8, rbp unchanged or saved at CFA + off) carry
 *    a flag, UW_FLAG_FASTSP or UW_FLAG_FASTFP, and are applied in the walk's
 *    loop after one bit test; the others go through uw_step_slow.
 *
 *    Most lookups do not reach the cache: each thread keeps a memo of
 *    the rules it used last, UW_MEMO_SLOTS {pc, rule} entries,
 *    direct-mapped by a multiplicative hash of the pc.  A memo hit is a
 *    multiply, a compare and a load, with no lock and no sequence to
 *    check; only a miss searches the cache, and copies a hit there into
 *    the pc's memo slot.  (It used to be two chains of entries by depth,
 *    the last two call chains' frames: cheaper when a program captures
 *    the same two chains in turn, which replay now does better, and a
 *    miss at every frame of a program whose chains vary.  A Python
 *    interpreter's allocations missed at 4.3 of their 11 frames walked;
 *    with 256 slots by pc, at 1.7.)  The memo holds the rules of one
 *    epoch (uw_memo_epoch): a capture that sees another empties it first,
 *    and stops using it when a miss changes the epoch.  Exact pcs are not
 *    memoised (their lookups set UW_KEY_EXACT, which no memoised pc has).
 *    Signals: only the outermost capture on a thread (uw_memo_owner) uses
 *    the memo; a capture in a handler that interrupted it goes to the
 *    shared cache.  (Reading was not enough: a reader that matched an
 *    entry's pc could be interrupted by a handler rewriting it before it
 *    loaded the rule, and step with another frame's rule.)  A handler may
 *    also siglongjmp out of the owner: the owner leaves a new token in a
 *    word of its frame (uw_memo_owner points there) and in uw_memo_token,
 *    and a later capture takes over when that word lies at or below its
 *    own frame (a live outer capture's lies above) or no longer holds the
 *    token; until then (or if the word is on another stack) the thread's
 *    captures go to the shared cache, which is slower, never wrong.  An
 *    entry is still written pc 0 first, then the rule, then the pc.
 *
 *    The walk's loop handles every case (skipped frames, exact pcs, slow
 *    steps, misses, the epoch moving on, starting a trace), and with that
 *    many variables live, the compiler kept the frame's state on the
 *    stack: a memo hit's fast step cost about 80 instructions.  So once a
 *    walk is past those cases, its fast steps run in uw_fast, a loop with
 *    nothing else to hold (about 50), which hands the walk back at the
 *    first step it cannot take.  The audit keeps each stack in the depot
 *    (depot.c) by id: a walk not replayed whole (below) hashes its pcs
 *    there.
 *
 *    Replay.  Even with every rule in the memo, a frame cost about 38
 *    instructions (the rule, the bounds, the loads), 40% of KMEM_FLAGS=0xf
 *    on a malloc/free loop.  But a walk is a function of its first state
 *    {pc, sp, rbp}, the rules (fixed within an epoch), the stack's bounds
 *    and the words it loads.  So each thread keeps traces of its last two
 *    walks (uw_trace: each state's pc and rbp, and the addresses its fast
 *    step loaded the return address and rbp from).  A walk whose first
 *    state is a trace's (pc and sp; same epoch and stack) only loads the
 *    return address of each step from where the trace did and compares it
 *    with the trace's next pc: while they agree, by induction each state
 *    is the trace's (2 loads and a compare a frame, not 38 instructions).
 *    rbp is the exception: code without frame pointers keeps any value
 *    in it, and a frame saves it, so the saved rbp differs from walk to
 *    walk where nothing else does; it decides nothing until a step takes
 *    its CFA from rbp (tr_fpuse), so it is compared from there on only
 *    (rbp at that state is loaded again along the trace's steps).  A
 *    walk that replays a trace to its end, which the walk ended on its
 *    rule alone (the outermost frame, tr_end) or at the same limit, is
 *    that walk: it takes the trace's depot id and stores no pcs at all.
 *    Else the walk goes on from the last state replayed, through the
 *    memo as before, and writes its states into the trace not used last
 *    (the prefix replayed is copied with the walk's own rbp).  Slow steps
 *    (signal frames, dereferenced CFAs) end a trace.  Which trace is
 *    tried first: the one used last, unless the last two captures used
 *    both (alloc, free), then the other; if it does not replay to its
 *    end, the other too.  Only the memo's owner reads and writes traces,
 *    and a trace's tr_n is 0 while it is written (a handler that jumps
 *    out leaves it empty).  On a malloc/free loop under 0xf this took a
 *    capture from about 570 instructions to 330 (bench/tight, callgrind).
 *    Then the walk's entry was most of what was left: the replay runs
 *    in uw_walk, inlined into the capture's entry point, and only a walk
 *    that goes on past the replay calls uw_walk_on, whose entry (the
 *    registers it saves, the frame of its state) a capture replayed
 *    whole no longer pays: 264 instructions, of which the replay's loop
 *    (2 loads and a compare a frame) is 70.  A walk not replayed whole
 *    pays about 28 more for the call (a Python interpreter's: 1%).
 *
 * 4. Modules.  Only a cache miss looks for the object holding pc (its
 *    readable PT_LOAD segments, executable span and PT_GNU_EH_FRAME).
 *    With glibc 2.35 or later that is _dl_find_object, which takes no lock,
 *    is async-signal-safe and always current; the program headers are read
 *    from the ELF header in the first page of the object's mapping.  So the
 *    unwinder never waits for the loader's lock, which dlclose holds while
 *    it calls free() (a thread auditing a free with an allocator lock held
 *    and a thread in dlclose would otherwise deadlock).
 *    Without it (older glibc, or headers it cannot vouch for), a module table
 *    built with dl_iterate_phdr is searched.  On every miss one
 *    dl_iterate_phdr callback compares dlpi_adds/dlpi_subs with those of the
 *    last build (a stale table could send us to a dlclose'd object's
 *    unmapped .eh_frame_hdr) and the table is rebuilt if they differ.  The
 *    rebuild runs under uw_lock_word (pid << 32 | tid of the holder), which
 *    is never waited for by its own thread (a signal handler interrupting
 *    the rebuild does without) and only a bounded time by others; the table
 *    is rewritten in place under a sequence count (odd while writing) that
 *    lock-free readers check, and every change bumps uw_epoch, part of every
 *    cache key, which invalidates the whole cache.  A child forked while
 *    another thread held the lock sees a foreign pid and takes it over.
 *
 * 5. Signal frames.  A signal handler returns to the kernel's trampoline
 *    __restore_rt (mov $15, %rax; syscall), which is recognised by its
 *    bytes.  Its frame is the kernel's rt_sigframe: the ucontext_t sits at
 *    the trampoline's rsp, and the interrupted rip, rsp and rbp are read
 *    from it.  The interrupted pc is exact (not a return address: the
 *    instruction at pc had not run), so its rule is looked up for pc, not
 *    pc - 1, and cached under a separate key.  The interrupted rsp may be on
 *    another stack (sigaltstack), which is why stack bounds are per range.
 *
 * 6. Never faulting.  Every stack word is read only if it lies inside the
 *    mapping that holds the current sp.  Those ranges come from
 *    /proc/self/maps (read with st_os_open_read into a small stack buffer),
 *    once per thread and per stack, and are kept in a per-thread cache of
 *    UW_NRANGES entries; without /proc, the range from sp up to the thread's
 *    descriptor (pthread_self) or __libc_stack_end is used.  .eh_frame and
 *    code bytes are read only inside the readable segments of the object
 *    holding pc.  (An object unloaded while a thread still runs its code is
 *    the program's own use-after-free; we do not guard against that.)  A
 *    library unloaded and another loaded at the same address is noticed by
 *    the cache only at its next refresh (section 4; never, with
 *    _dl_find_object): until then old rules may give wrong frames, though
 *    every read stays inside the stack.
 *
 * 7. When it stops.  At max frames, at a return address below 4096, at an
 *    sp that does not increase (except across a signal frame, at most
 *    UW_MAXSIGFRAMES of them), at the outermost frame (return address
 *    undefined in the CFI: _start, clone), at a read outside the stack, or
 *    when a frame has no unwind information and the frame-pointer walk (rbp
 *    chain) cannot continue either.  Code built without frame pointers
 *    leaves anything in rbp, so a pc found by that walk must lie in a
 *    loaded object (unless the walk started in code outside every object,
 *    JIT code).  A static executable (gcc -static) has no .eh_frame_hdr:
 *    its stacks end at the first frame without a frame pointer.
 *
 * 8. Other architectures.  Elsewhere (aarch64 included) the capture walks
 *    frame records (fp, lr pairs) with the same stack-bound checks; code
 *    built without frame pointers ends the stack there.
 */
#include <stddef.h>
#include <string.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <ucontext.h>

#include "slabtrace_impl.h"

/* Tunables. */
#define UW_CACHE_SHIFT		15	/* 2^15 cached rules, 16 bytes each */
#define UW_CACHE_PROBE		8	/* slots searched per lookup */
#define UW_MEMO_SHIFT		8	/* 2^8 rules memoised per thread */
#define UW_TRACES		2	/* walks kept per thread for replay, */
#define UW_TRACE_DEPTH		32	/* of up to 32 states each */
#define UW_MAXMOD		1024	/* loaded objects tracked */
#define UW_MAXSEG		8	/* readable PT_LOAD segments kept */
#define UW_NRANGES		4	/* stack ranges cached per thread */
#define UW_MAXSTATE		8	/* DW_CFA_remember_state depth */
#define UW_MAXSIGFRAMES		8	/* signal frames crossed per capture */
#define UW_MAXFRAMES		1024	/* frames walked, skipped included */
#define UW_MAPS_CHUNK		512	/* bytes of /proc/self/maps per read */
#define UW_LOCK_SPINS		(1U << 16) /* waits for another refresher */
#define UW_GUESS_MAX		(256UL << 20) /* stack size, without /proc */

#define UW_MINPC		4096	/* return addresses below are garbage */

/* ------------------------------------------------------------------------
 * Stack ranges (section 6).
 */

typedef struct uw_range {
	uintptr_t ur_lo;		/* first readable byte */
	uintptr_t ur_hi;		/* one past the last */
} uw_range_t;

static __thread uw_range_t uw_ranges[UW_NRANGES];
static __thread uint32_t uw_range_next;

extern void *__libc_stack_end __attribute__((weak));

/*
 * One line of /proc/self/maps ("lo-hi rwxp ..."): 1 if it holds addr and is
 * readable, -1 if it holds addr and is not, 0 if it does not hold addr.
 */
static int
uw_maps_line(const char *line, uintptr_t addr, uw_range_t *rp)
{
	const char *s = line;
	uintptr_t lo, hi;

	lo = (uintptr_t)st_scan_hex(&s);
	if (*s++ != '-')
		return (0);
	hi = (uintptr_t)st_scan_hex(&s);
	if (*s++ != ' ' || addr < lo || addr >= hi)
		return (0);
	if (*s != 'r')
		return (-1);
	rp->ur_lo = lo;
	rp->ur_hi = hi;
	return (1);
}

/* The readable mapping holding addr, from /proc/self/maps. */
static int
uw_maps_find(uintptr_t addr, uw_range_t *rp)
{
	char buf[UW_MAPS_CHUNK], line[64];
	size_t len = 0;
	long n, i;
	int fd, found = 0;

	if ((fd = st_os_open_read("/proc/self/maps")) < 0)
		return (-1);
	while (found == 0 && (n = st_os_read(fd, buf, sizeof (buf))) > 0) {
		for (i = 0; i < n && found == 0; i++) {
			if (buf[i] != '\n') {
				/* Only the start of a line matters. */
				if (len < sizeof (line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			found = uw_maps_line(line, addr, rp);
			len = 0;
		}
	}
	st_os_close(fd);
	return (found == 1 ? 1 : 0);
}

/* Without /proc: from sp up to the top of this thread's stack. */
static int
uw_range_guess(uintptr_t sp, uw_range_t *rp)
{
	uintptr_t top;

	if (st_os_thread_id() == st_os_pid()) {
		if (&__libc_stack_end == NULL || __libc_stack_end == NULL)
			return (0);
		top = ST_P2ROUNDUP((uintptr_t)__libc_stack_end, ST_PAGESIZE);
	} else {
		/* glibc puts the thread descriptor at the top of the stack. */
		top = (uintptr_t)pthread_self();
	}
	if (sp >= top || top - sp > UW_GUESS_MAX)
		return (0);
	rp->ur_lo = ST_P2ALIGN(sp, ST_PAGESIZE);
	rp->ur_hi = top;
	return (1);
}

/*
 * The cached range holding sp.  A signal handler on this thread may rewrite
 * an entry while we read it: ur_lo is set to UINTPTR_MAX first and last to
 * its value, and a reader that sees ur_lo change discards what it read.
 */
static inline int
uw_range_cached(uintptr_t sp, uw_range_t *rp)
{
	uint32_t i;

	for (i = 0; i < UW_NRANGES; i++) {
		uintptr_t lo = uw_ranges[i].ur_lo, hi;

		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		hi = uw_ranges[i].ur_hi;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (sp >= lo && sp < hi && uw_ranges[i].ur_lo == lo) {
			rp->ur_lo = lo;
			rp->ur_hi = hi;
			return (1);
		}
	}
	return (0);
}

static int
uw_range_slow(uintptr_t sp, uw_range_t *rp)
{
	uint32_t i;
	int r;

	if ((r = uw_maps_find(sp, rp)) < 0)
		r = uw_range_guess(sp, rp);
	if (r <= 0)
		return (0);
	i = uw_range_next++ % UW_NRANGES;
	uw_ranges[i].ur_lo = UINTPTR_MAX;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uw_ranges[i].ur_hi = rp->ur_hi;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uw_ranges[i].ur_lo = rp->ur_lo;
	return (1);
}

/* The readable stack range holding sp: cached, else from /proc. */
static inline int
uw_range_for(uintptr_t sp, uw_range_t *rp)
{
	if (ST_LIKELY(uw_range_cached(sp, rp)))
		return (1);
	return (uw_range_slow(sp, rp));
}

/* The readable stack range holding sp, for reports: 1 if known. */
int
st_stack_range(uintptr_t sp, uintptr_t *lop, uintptr_t *hip)
{
	uw_range_t r;

	if (!uw_range_for(sp, &r))
		return (0);
	*lop = r.ur_lo;
	*hip = r.ur_hi;
	return (1);
}

#if defined(__x86_64__) && defined(__linux__)

/* ------------------------------------------------------------------------
 * Packed rules (section 2) and the frame they apply to.
 *
 *   bits 0-2    UW_K_*, how to find the CFA, or a special frame
 *   bits 3-4    UW_F_*, how to recover rbp
 *   bit  5      UW_FLAG_NOMOD: no module holds pc (with UW_K_NOINFO)
 *   bits 8-15   RA offset from the CFA, in 8-byte words (signed)
 *   bits 16-31  rbp offset (signed bytes)
 *   bits 32-63  CFA offset (signed bytes)
 * A rule is never 0, so a zeroed slot never holds one.
 */
#define UW_K_RSP	1	/* CFA = rsp + off */
#define UW_K_RBP	2	/* CFA = rbp + off */
#define UW_K_DREF_RSP	3	/* CFA = *(rsp + off) */
#define UW_K_DREF_RBP	4	/* CFA = *(rbp + off) */
#define UW_K_SIGFRAME	5	/* pc is the sigreturn trampoline */
#define UW_K_END	6	/* outermost frame */
#define UW_K_NOINFO	7	/* no CFI: walk the rbp chain */

#define UW_F_SAME	0	/* rbp unchanged */
#define UW_F_CFA	1	/* rbp = *(CFA + off) */
#define UW_F_RBP	2	/* rbp = *(rbp + off) */
#define UW_F_LOST	3	/* rbp not recoverable */

#define UW_FLAG_NOMOD	0x20
#define UW_FLAG_FASTSP	0x40	/* UW_K_RSP, off > 0, UW_F_SAME or _CFA,
				   RA at CFA - 8 */
#define UW_FLAG_FASTFP	0x80	/* UW_K_RBP, UW_F_SAME or _CFA,
				   RA at CFA - 8 */

#define UW_RULE_KIND(r)		((uint32_t)(r) & 7)
#define UW_RULE_FPK(r)		((uint32_t)((r) >> 3) & 3)
#define UW_RULE_RAOFF(r)	((int64_t)(int8_t)((r) >> 8) * 8)
#define UW_RULE_FPOFF(r)	((int64_t)(int16_t)((r) >> 16))
#define UW_RULE_CFAOFF(r)	((int64_t)(int32_t)((r) >> 32))

/* DWARF register numbers (x86-64 psABI). */
#define UW_DW_RBP	6
#define UW_DW_RSP	7
#define UW_DW_RIP	16

typedef struct uw_frame {
	uintptr_t uf_pc;
	uintptr_t uf_sp;
	uintptr_t uf_fp;		/* rbp */
	uintptr_t uf_lo;		/* the stack range holding uf_sp */
	uintptr_t uf_hi;
	uint32_t uf_exact;		/* uf_pc is not a return address */
	uint32_t uf_fpok;		/* uf_fp is the caller's real rbp */
	uint32_t uf_nsig;		/* signal frames crossed */
} uw_frame_t;

static inline uint64_t
uw_pack(uint32_t kind, uint32_t fpk, int64_t cfaoff, int64_t raoff,
    int64_t fpoff)
{
	uint64_t fast = 0;

	/* The frames uw_walk steps itself. */
	if (fpk <= UW_F_CFA && raoff == -8 && kind == UW_K_RSP &&
	    (int32_t)cfaoff > 0)
		fast = UW_FLAG_FASTSP;
	else if (fpk <= UW_F_CFA && raoff == -8 && kind == UW_K_RBP)
		fast = UW_FLAG_FASTFP;
	return ((uint64_t)kind | (uint64_t)fpk << 3 | fast |
	    (uint64_t)(uint8_t)(int8_t)(raoff / 8) << 8 |
	    (uint64_t)(uint16_t)(int16_t)fpoff << 16 |
	    (uint64_t)(uint32_t)(int32_t)cfaoff << 32);
}

#define UW_RULE_NOINFO	((uint64_t)UW_K_NOINFO)
#define UW_RULE_NOMOD	((uint64_t)UW_K_NOINFO | UW_FLAG_NOMOD)

/* ------------------------------------------------------------------------
 * The module table (section 4).
 */

typedef struct uw_seg {
	uintptr_t sg_lo;
	uintptr_t sg_hi;
	uint32_t sg_flags;		/* PF_R, PF_X */
} uw_seg_t;

typedef struct uw_module {
	uintptr_t um_text_lo;		/* span of the executable segments */
	uintptr_t um_text_hi;
	uintptr_t um_hdr;		/* .eh_frame_hdr, or 0 */
	uintptr_t um_hdr_hi;
	uint32_t um_nseg;
	uw_seg_t um_seg[UW_MAXSEG];	/* readable PT_LOAD segments */
} uw_module_t;

typedef struct uw_modtab {
	uint32_t mt_seq;		/* odd while being rewritten */
	uint32_t mt_count;
	uint64_t mt_adds;		/* dlpi_adds, dlpi_subs when built */
	uint64_t mt_subs;
	uint16_t mt_order[UW_MAXMOD];	/* scratch: sort order */
	uw_module_t mt_mod[UW_MAXMOD];	/* sorted by um_text_lo */
} uw_modtab_t;

typedef struct uw_build {
	uw_modtab_t *ub_tab;		/* the scratch table being filled */
	const uw_modtab_t *ub_live;
	int ub_first;
	int ub_same;			/* nothing loaded or unloaded since */
} uw_build_t;

static uw_modtab_t *uw_live;		/* the table readers search */
static uw_modtab_t *uw_scratch;		/* where a refresh builds */
static uint64_t uw_lock_word;		/* pid << 32 | tid of the refresher */
static uint32_t uw_epoch;		/* bumped when the table changes */

static inline void
uw_pause(void)
{
	__builtin_ia32_pause();
}

/*
 * Take the refresh lock, waiting a bounded time for another thread; never
 * for ourselves (a signal handler that interrupted our own refresh).
 */
static int
uw_lock_take(void)
{
	uint64_t me = (uint64_t)st_os_pid() << 32 |
	    (uint32_t)st_os_thread_id(), cur;
	uint32_t spins;

	for (spins = 0; ; spins++) {
		cur = 0;
		if (__atomic_compare_exchange_n(&uw_lock_word, &cur, me, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return (1);
		if (cur == me)
			return (0);
		if ((cur >> 32) != (me >> 32))
			break;
		if (spins >= UW_LOCK_SPINS)
			return (0);
		uw_pause();
	}
	/* Held in the parent when it forked: nobody will release it here. */
	if (!__atomic_compare_exchange_n(&uw_lock_word, &cur, me, 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return (0);
	if (uw_live != NULL) {
		uw_live->mt_seq = (uw_live->mt_seq + 1) & ~1U;
		uw_live->mt_count = 0;
		uw_live->mt_adds = UINT64_MAX;
	}
	return (1);
}

static void
uw_unlock(void)
{
	__atomic_store_n(&uw_lock_word, 0, __ATOMIC_RELEASE);
}

/* An object's segments from its program headers; 0 if it has no code. */
static int
uw_module_fill(uw_module_t *m, uintptr_t bias, const ElfW(Phdr) *phdr,
    uint32_t phnum)
{
	uint32_t i;

	memset(m, 0, sizeof (*m));
	m->um_text_lo = UINTPTR_MAX;
	for (i = 0; i < phnum; i++) {
		const ElfW(Phdr) *ph = &phdr[i];
		uintptr_t lo = bias + ph->p_vaddr;
		uintptr_t hi = lo + ph->p_memsz;

		if (ph->p_type == PT_GNU_EH_FRAME) {
			m->um_hdr = lo;
			m->um_hdr_hi = hi;
		}
		if (ph->p_type != PT_LOAD || hi <= lo)
			continue;
		if (ph->p_flags & PF_X) {
			m->um_text_lo = ST_MIN(m->um_text_lo, lo);
			m->um_text_hi = ST_MAX(m->um_text_hi, hi);
		}
		if ((ph->p_flags & PF_R) && m->um_nseg < UW_MAXSEG) {
			m->um_seg[m->um_nseg].sg_lo = lo;
			m->um_seg[m->um_nseg].sg_hi = hi;
			m->um_seg[m->um_nseg].sg_flags = ph->p_flags;
			m->um_nseg++;
		}
	}
	return (m->um_text_lo < m->um_text_hi);
}

static int
uw_phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uw_build_t *b = arg;
	uw_modtab_t *t = b->ub_tab;
	uw_module_t *m;
	int gen = size >= offsetof(struct dl_phdr_info, dlpi_subs) +
	    sizeof (info->dlpi_subs);

	if (b->ub_first) {
		b->ub_first = 0;
		if (gen && b->ub_live->mt_count > 0 &&
		    info->dlpi_adds == b->ub_live->mt_adds &&
		    info->dlpi_subs == b->ub_live->mt_subs) {
			b->ub_same = 1;
			return (1);
		}
		t->mt_adds = gen ? info->dlpi_adds : 0;
		t->mt_subs = gen ? info->dlpi_subs : 0;
	}
	if (t->mt_count >= UW_MAXMOD)
		return (0);
	m = &t->mt_mod[t->mt_count];
	if (uw_module_fill(m, info->dlpi_addr, info->dlpi_phdr,
	    info->dlpi_phnum))
		t->mt_count++;
	return (0);
}

/* Copy the scratch table, sorted, into the live one, under mt_seq. */
static void
uw_publish(uw_modtab_t *live, uw_modtab_t *scr)
{
	uint32_t i, j, n = scr->mt_count, seq = live->mt_seq;

	for (i = 0; i < n; i++) {
		uint16_t x = (uint16_t)i;

		for (j = i; j > 0 && scr->mt_mod[scr->mt_order[j - 1]].
		    um_text_lo > scr->mt_mod[x].um_text_lo; j--)
			scr->mt_order[j] = scr->mt_order[j - 1];
		scr->mt_order[j] = x;
	}
	__atomic_store_n(&live->mt_seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 0; i < n; i++)
		live->mt_mod[i] = scr->mt_mod[scr->mt_order[i]];
	live->mt_count = n;
	live->mt_adds = scr->mt_adds;
	live->mt_subs = scr->mt_subs;
	__atomic_store_n(&live->mt_seq, seq + 2, __ATOMIC_RELEASE);
	(void) __atomic_add_fetch(&uw_epoch, 1, __ATOMIC_RELEASE);
}

/*
 * Bring the table up to date with the loaded objects.  0 if another thread
 * (or this one, interrupted) is doing it: the caller does without.
 */
static int
uw_refresh(void)
{
	uw_build_t b;

	if (!uw_lock_take())
		return (0);
	if (uw_live == NULL) {
		uw_modtab_t *t = st_os_map(2 * sizeof (uw_modtab_t),
		    st_os_pagesize());

		if (t == NULL) {
			uw_unlock();
			return (0);
		}
		uw_scratch = &t[1];
		__atomic_store_n(&uw_live, &t[0], __ATOMIC_RELEASE);
	}
	b.ub_tab = uw_scratch;
	b.ub_live = uw_live;
	b.ub_first = 1;
	b.ub_same = 0;
	uw_scratch->mt_count = 0;
	(void) dl_iterate_phdr(uw_phdr_cb, &b);
	if (!b.ub_same)
		uw_publish(uw_live, uw_scratch);
	uw_unlock();
	return (1);
}

typedef struct uw_gen {
	uint64_t ug_adds;
	uint64_t ug_subs;
	int ug_ok;
} uw_gen_t;

static int
uw_gen_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uw_gen_t *g = arg;

	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) +
	    sizeof (info->dlpi_subs)) {
		g->ug_adds = info->dlpi_adds;
		g->ug_subs = info->dlpi_subs;
		g->ug_ok = 1;
	}
	return (1);
}

/*
 * Make sure the table describes the objects loaded now: one
 * dl_iterate_phdr callback tells whether anything was loaded or unloaded
 * since it was built.  A stale table could send us to a dlclose'd object's
 * unmapped .eh_frame_hdr.  0 if it is stale and we cannot refresh it.
 */
static int
uw_table_current(void)
{
	const uw_modtab_t *t = __atomic_load_n(&uw_live, __ATOMIC_ACQUIRE);
	uw_gen_t g = { 0, 0, 0 };
	uint32_t s1;
	int same;

	(void) dl_iterate_phdr(uw_gen_cb, &g);
	if (t != NULL && g.ug_ok) {
		s1 = __atomic_load_n(&t->mt_seq, __ATOMIC_ACQUIRE);
		same = t->mt_count > 0 && t->mt_adds == g.ug_adds &&
		    t->mt_subs == g.ug_subs;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (same && (s1 & 1) == 0 &&
		    __atomic_load_n(&t->mt_seq, __ATOMIC_RELAXED) == s1)
			return (1);
	}
	return (uw_refresh());
}

/*
 * Copy out the module whose executable span holds pc: 1 if found, 0 if
 * none, -1 if the table kept changing under us.
 */
static int
uw_module_find(uintptr_t pc, uw_module_t *mp)
{
	const uw_modtab_t *t = __atomic_load_n(&uw_live, __ATOMIC_ACQUIRE);
	uint32_t tries, s1, lo, hi, mid, n;
	int found;

	if (t == NULL)
		return (0);
	for (tries = 0; tries < UW_LOCK_SPINS; tries++) {
		s1 = __atomic_load_n(&t->mt_seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			uw_pause();
			continue;
		}
		n = ST_MIN(t->mt_count, UW_MAXMOD);
		for (lo = 0, hi = n; lo < hi; ) {
			mid = (lo + hi) / 2;
			if (t->mt_mod[mid].um_text_lo <= pc)
				lo = mid + 1;
			else
				hi = mid;
		}
		found = lo > 0 && pc < t->mt_mod[lo - 1].um_text_hi;
		if (found)
			*mp = t->mt_mod[lo - 1];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&t->mt_seq, __ATOMIC_RELAXED) == s1)
			return (found && mp->um_nseg <= UW_MAXSEG ? 1 : found);
	}
	return (-1);
}

#if defined(__GLIBC__) && defined(__GLIBC_PREREQ) && !defined(UW_NO_DLFO)
#if __GLIBC_PREREQ(2, 35)
#define UW_HAVE_DLFO	1
#endif
#endif

#ifdef UW_HAVE_DLFO
/*
 * glibc's _dl_find_object: lock-free and async-signal-safe, and always
 * current.  The program headers are read from the ELF header at the start
 * of the object's mapping, only if they lie in its first page (mapped, with
 * the first segment, which holds the headers).  -1 if anything looks odd:
 * the caller falls back on the table.
 */
static int
uw_module_dlfo(uintptr_t pc, uw_module_t *m)
{
	struct dl_find_object fo;
	const ElfW(Ehdr) *eh;
	uintptr_t base;

	if (_dl_find_object((void *)pc, &fo) != 0)
		return (0);
	base = (uintptr_t)fo.dlfo_map_start;
	eh = (const ElfW(Ehdr) *)base;
	if (fo.dlfo_link_map == NULL || (base & (ST_PAGESIZE - 1)) != 0 ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_phentsize != sizeof (ElfW(Phdr)) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof (ElfW(Phdr)) >
	    ST_PAGESIZE)
		return (-1);
	if (!uw_module_fill(m, fo.dlfo_link_map->l_addr,
	    (const ElfW(Phdr) *)(base + eh->e_phoff), eh->e_phnum) ||
	    pc < m->um_text_lo || pc >= m->um_text_hi ||
	    m->um_hdr != (uintptr_t)fo.dlfo_eh_frame)
		return (-1);
	return (1);
}
#endif

/*
 * The object holding pc: 1 if found, 0 if none, -1 if we cannot tell just
 * now (the table is being rebuilt by someone else).
 */
static int
uw_module_lookup(uintptr_t pc, uw_module_t *m)
{
#ifdef UW_HAVE_DLFO
	int r = uw_module_dlfo(pc, m);

	if (r >= 0)
		return (r);
#endif
	if (!uw_table_current())
		return (-1);
	return (uw_module_find(pc, m));
}

/* The end of m's segment holding [addr, addr + len) with flags, or 0. */
static uintptr_t
uw_module_bound(const uw_module_t *m, uintptr_t addr, size_t len,
    uint32_t flags)
{
	uint32_t i;

	for (i = 0; i < m->um_nseg; i++) {
		const uw_seg_t *sg = &m->um_seg[i];

		if (addr >= sg->sg_lo && addr < sg->sg_hi &&
		    sg->sg_hi - addr >= len && (sg->sg_flags & flags) == flags)
			return (sg->sg_hi);
	}
	return (0);
}

/* ------------------------------------------------------------------------
 * Reading .eh_frame_hdr and .eh_frame, bounds-checked.
 */

#define DW_EH_PE_omit		0xff
#define DW_EH_PE_indirect	0x80
#define DW_EH_PE_pcrel		0x10
#define DW_EH_PE_datarel	0x30
#define DW_EH_PE_sdata4		0x0b

typedef struct uw_rd {
	const uint8_t *rd_p;
	const uint8_t *rd_end;
	int rd_bad;			/* a read went past rd_end */
} uw_rd_t;

static inline void
uw_rd_init(uw_rd_t *rd, uintptr_t p, uintptr_t end)
{
	rd->rd_p = (const uint8_t *)p;
	rd->rd_end = (const uint8_t *)end;
	rd->rd_bad = p > end;
}

static inline int
uw_rd_need(uw_rd_t *rd, size_t n)
{
	if (rd->rd_bad || (size_t)(rd->rd_end - rd->rd_p) < n) {
		rd->rd_bad = 1;
		return (0);
	}
	return (1);
}

static uint64_t
uw_rd_u(uw_rd_t *rd, size_t n)
{
	uint64_t v = 0;

	if (!uw_rd_need(rd, n))
		return (0);
	memcpy(&v, rd->rd_p, n);	/* little-endian */
	rd->rd_p += n;
	return (v);
}

/* LEB128: signed extends from the last byte's bit 6. */
static uint64_t
uw_rd_leb(uw_rd_t *rd, int sign)
{
	uint64_t v = 0;
	uint32_t shift = 0;
	uint8_t b;

	do {
		if (!uw_rd_need(rd, 1))
			return (0);
		b = *rd->rd_p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return (v);
}

static uint64_t
uw_rd_uleb(uw_rd_t *rd)
{
	return (uw_rd_leb(rd, 0));
}

static int64_t
uw_rd_sleb(uw_rd_t *rd)
{
	return ((int64_t)uw_rd_leb(rd, 1));
}

/* A DW_EH_PE-encoded value; datarel is the .eh_frame_hdr base, or 0. */
static uintptr_t
uw_rd_enc(uw_rd_t *rd, uint8_t enc, uintptr_t datarel)
{
	uintptr_t field = (uintptr_t)rd->rd_p, v;

	switch (enc & 0x0f) {
	case 0x00: v = (uintptr_t)uw_rd_u(rd, 8); break;
	case 0x01: v = (uintptr_t)uw_rd_uleb(rd); break;
	case 0x02: v = (uintptr_t)uw_rd_u(rd, 2); break;
	case 0x03: v = (uintptr_t)uw_rd_u(rd, 4); break;
	case 0x04: v = (uintptr_t)uw_rd_u(rd, 8); break;
	case 0x09: v = (uintptr_t)uw_rd_sleb(rd); break;
	case 0x0a: v = (uintptr_t)(int16_t)uw_rd_u(rd, 2); break;
	case 0x0b: v = (uintptr_t)(int32_t)uw_rd_u(rd, 4); break;
	case 0x0c: v = (uintptr_t)uw_rd_u(rd, 8); break;
	default: rd->rd_bad = 1; return (0);
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case DW_EH_PE_pcrel: v += field; break;
	case DW_EH_PE_datarel:
		if (datarel == 0)
			rd->rd_bad = 1;
		v += datarel;
		break;
	default: rd->rd_bad = 1; break;
	}
	return (v);
}

/*
 * The FDE that may cover target, from the binary search table of the
 * module's .eh_frame_hdr (only the usual datarel|sdata4 encoding).
 */
static int
uw_fde_find(const uw_module_t *m, uintptr_t target, uintptr_t *fdep)
{
	uintptr_t hdr = m->um_hdr, tab;
	uint8_t ptr_enc, cnt_enc, tab_enc;
	uint64_t count, lo, hi, mid;
	int32_t v[2];
	uw_rd_t rd;

	if (hdr == 0)
		return (0);
	uw_rd_init(&rd, hdr, m->um_hdr_hi);
	if (uw_rd_u(&rd, 1) != 1)
		return (0);
	ptr_enc = (uint8_t)uw_rd_u(&rd, 1);
	cnt_enc = (uint8_t)uw_rd_u(&rd, 1);
	tab_enc = (uint8_t)uw_rd_u(&rd, 1);
	if (ptr_enc != DW_EH_PE_omit)
		(void) uw_rd_enc(&rd, ptr_enc & 0x7f, hdr);
	if (cnt_enc == DW_EH_PE_omit ||
	    tab_enc != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return (0);
	count = uw_rd_enc(&rd, cnt_enc & 0x7f, hdr);
	if (rd.rd_bad || count == 0 ||
	    (uint64_t)(rd.rd_end - rd.rd_p) / 8 < count)
		return (0);
	tab = (uintptr_t)rd.rd_p;
	for (lo = 0, hi = count; lo < hi; ) {	/* the last init <= target */
		mid = (lo + hi) / 2;
		memcpy(v, (const void *)(tab + mid * 8), sizeof (v));
		if (hdr + (intptr_t)v[0] <= target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return (0);
	memcpy(v, (const void *)(tab + (lo - 1) * 8), sizeof (v));
	*fdep = hdr + (intptr_t)v[1];
	return (1);
}

typedef struct uw_cie {
	uint64_t ci_code_align;
	int64_t ci_data_align;
	uint64_t ci_ra_reg;
	uint8_t ci_fde_enc;
	uint8_t ci_aug_z;		/* FDEs carry augmentation data */
	uint8_t ci_signal;		/* 'S': a signal frame */
	uintptr_t ci_insn;		/* initial instructions */
	uintptr_t ci_insn_end;
} uw_cie_t;

/* A CIE or FDE header: its length and where it ends. */
static int
uw_entry_len(uw_rd_t *rd, uintptr_t *endp, int *is64)
{
	uint64_t len = uw_rd_u(rd, 4);

	*is64 = 0;
	if (len == 0xffffffffULL) {
		len = uw_rd_u(rd, 8);
		*is64 = 1;
	}
	if (rd->rd_bad || len == 0 ||
	    len > (uint64_t)(rd->rd_end - rd->rd_p))
		return (0);
	*endp = (uintptr_t)rd->rd_p + (uintptr_t)len;
	return (1);
}

static int
uw_cie_parse(const uw_module_t *m, uintptr_t cie, uw_cie_t *ci)
{
	uintptr_t end, augend, seghi = uw_module_bound(m, cie, 8, PF_R);
	const char *aug;
	uint64_t version, id;
	uw_rd_t rd;
	int is64;

	if (seghi == 0)
		return (0);
	uw_rd_init(&rd, cie, seghi);
	if (!uw_entry_len(&rd, &end, &is64))
		return (0);
	rd.rd_end = (const uint8_t *)end;
	id = uw_rd_u(&rd, is64 ? 8 : 4);
	version = uw_rd_u(&rd, 1);
	if (rd.rd_bad || id != 0 || (version != 1 && version != 3 &&
	    version != 4))
		return (0);
	aug = (const char *)rd.rd_p;
	while (uw_rd_need(&rd, 1) && *rd.rd_p++ != 0)
		;
	if (aug[0] == 'e' && aug[1] == 'h')
		(void) uw_rd_u(&rd, 8);
	if (version == 4)
		(void) uw_rd_u(&rd, 2);	/* address and segment sizes */
	ci->ci_code_align = uw_rd_uleb(&rd);
	ci->ci_data_align = uw_rd_sleb(&rd);
	ci->ci_ra_reg = version == 1 ? uw_rd_u(&rd, 1) : uw_rd_uleb(&rd);
	ci->ci_fde_enc = 0;
	ci->ci_aug_z = 0;
	ci->ci_signal = 0;
	if (aug[0] == 'z') {
		ci->ci_aug_z = 1;
		augend = (uintptr_t)uw_rd_uleb(&rd);
		augend += (uintptr_t)rd.rd_p;
		for (aug++; *aug != '\0' && !rd.rd_bad; aug++) {
			if (*aug == 'R') {
				ci->ci_fde_enc = (uint8_t)uw_rd_u(&rd, 1);
			} else if (*aug == 'P') {
				uint8_t enc = (uint8_t)uw_rd_u(&rd, 1);

				(void) uw_rd_enc(&rd, enc & 0x7f, 0);
			} else if (*aug == 'L') {
				(void) uw_rd_u(&rd, 1);
			} else if (*aug == 'S') {
				ci->ci_signal = 1;
			} else if (*aug != 'B' && *aug != 'G') {
				break;	/* unknown: its data ends at augend */
			}
		}
		if (augend < (uintptr_t)rd.rd_p || augend > end)
			return (0);
		rd.rd_p = (const uint8_t *)augend;
	} else if (aug[0] != '\0' && !(aug[0] == 'e' && aug[1] == 'h')) {
		return (0);
	}
	if (rd.rd_bad || (ci->ci_fde_enc & DW_EH_PE_indirect) ||
	    ci->ci_code_align == 0)
		return (0);
	ci->ci_insn = (uintptr_t)rd.rd_p;
	ci->ci_insn_end = end;
	return (1);
}

/* ------------------------------------------------------------------------
 * The CFA program, and DWARF expressions folded symbolically.
 */

#define UW_RR_SAME	0	/* the register is unchanged */
#define UW_RR_UNDEF	1
#define UW_RR_OFFSET	2	/* saved at CFA + off */
#define UW_RR_VALOFF	3	/* = CFA + off */
#define UW_RR_REG	4	/* in another register */
#define UW_RR_EXPR	5	/* saved at the address an expression gives */
#define UW_RR_VALEXPR	6

#define UW_TR_FP	0	/* the tracked registers: rbp */
#define UW_TR_RA	1	/* and the return address column; */
#define UW_TR_RBX	2	/* the other callee-saved ones, for */
#define UW_TR_R12	3	/* st_uc_unwind_to (a dump's registers) */
#define UW_NTRACK	7	/* (rbx, r12, r13, r14, r15) */

typedef struct uw_rrule {
	uint32_t rr_kind;		/* UW_RR_* */
	uint32_t rr_len;		/* expression length */
	int64_t rr_off;
	const uint8_t *rr_expr;
} uw_rrule_t;

typedef struct uw_cfa_state {
	uint64_t cs_cfa_reg;
	int64_t cs_cfa_off;
	const uint8_t *cs_cfa_expr;	/* DW_CFA_def_cfa_expression, or NULL */
	uint32_t cs_cfa_len;
	uw_rrule_t cs_reg[UW_NTRACK];
} uw_cfa_state_t;

static inline int
uw_track(const uw_cie_t *ci, uint64_t reg)
{
	if (reg == UW_DW_RBP)
		return (UW_TR_FP);
	if (reg == ci->ci_ra_reg)
		return (UW_TR_RA);
	if (reg == 3)
		return (UW_TR_RBX);
	if (reg >= 12 && reg <= 15)
		return (UW_TR_R12 + (int)(reg - 12));
	return (-1);
}

static void
uw_set_rule(uw_cfa_state_t *cs, int t, uint32_t kind, int64_t off,
    const uint8_t *expr, uint32_t len)
{
	if (t < 0)
		return;
	cs->cs_reg[t].rr_kind = kind;
	cs->cs_reg[t].rr_off = off;
	cs->cs_reg[t].rr_expr = expr;
	cs->cs_reg[t].rr_len = len;
}

/* Skip an expression block (uleb length, bytes); its start and length. */
static const uint8_t *
uw_rd_block(uw_rd_t *rd, uint32_t *lenp)
{
	uint64_t len = uw_rd_uleb(rd);
	const uint8_t *p = rd->rd_p;

	if (len > UINT32_MAX || !uw_rd_need(rd, (size_t)len))
		return (NULL);
	rd->rd_p += len;
	*lenp = (uint32_t)len;
	return (p);
}

/*
 * Run CFA instructions from rd while the location stays <= target.  init
 * is the state after the CIE's initial instructions (for DW_CFA_restore),
 * NULL while running those.  0 on malformed or unsupported input.
 */
static int
uw_cfa_exec(uw_rd_t *rd, const uw_cie_t *ci, uintptr_t loc, uintptr_t target,
    uw_cfa_state_t *cs, const uw_cfa_state_t *init)
{
	uw_cfa_state_t stack[UW_MAXSTATE];
	uint32_t depth = 0, len;
	const uint8_t *expr;
	uint64_t reg, delta;
	int64_t off;
	uint8_t op;
	int t;

	while (rd->rd_p < rd->rd_end && !rd->rd_bad) {
		op = *rd->rd_p++;
		delta = 0;
		switch (op >> 6) {
		case 1:		/* DW_CFA_advance_loc */
			delta = op & 0x3f;
			goto advance;
		case 2:		/* DW_CFA_offset */
			off = (int64_t)uw_rd_uleb(rd) * ci->ci_data_align;
			uw_set_rule(cs, uw_track(ci, op & 0x3f), UW_RR_OFFSET,
			    off, NULL, 0);
			continue;
		case 3:		/* DW_CFA_restore */
			reg = op & 0x3f;
			goto restore;
		default:
			break;
		}
		switch (op) {
		case 0x00:	/* DW_CFA_nop */
			break;
		case 0x01:	/* DW_CFA_set_loc */
			loc = uw_rd_enc(rd, ci->ci_fde_enc, 0);
			if (loc > target)
				return (!rd->rd_bad);
			break;
		case 0x02:	/* DW_CFA_advance_loc1 */
			delta = uw_rd_u(rd, 1);
			goto advance;
		case 0x03:	/* DW_CFA_advance_loc2 */
			delta = uw_rd_u(rd, 2);
			goto advance;
		case 0x04:	/* DW_CFA_advance_loc4 */
			delta = uw_rd_u(rd, 4);
			goto advance;
		case 0x05:	/* DW_CFA_offset_extended */
			reg = uw_rd_uleb(rd);
			off = (int64_t)uw_rd_uleb(rd) * ci->ci_data_align;
			uw_set_rule(cs, uw_track(ci, reg), UW_RR_OFFSET, off,
			    NULL, 0);
			break;
		case 0x06:	/* DW_CFA_restore_extended */
			reg = uw_rd_uleb(rd);
			goto restore;
		case 0x07:	/* DW_CFA_undefined */
			uw_set_rule(cs, uw_track(ci, uw_rd_uleb(rd)),
			    UW_RR_UNDEF, 0, NULL, 0);
			break;
		case 0x08:	/* DW_CFA_same_value */
			uw_set_rule(cs, uw_track(ci, uw_rd_uleb(rd)),
			    UW_RR_SAME, 0, NULL, 0);
			break;
		case 0x09:	/* DW_CFA_register */
			reg = uw_rd_uleb(rd);
			off = (int64_t)uw_rd_uleb(rd);
			uw_set_rule(cs, uw_track(ci, reg), UW_RR_REG, off,
			    NULL, 0);
			break;
		case 0x0a:	/* DW_CFA_remember_state */
			if (depth == UW_MAXSTATE)
				return (0);
			stack[depth++] = *cs;
			break;
		case 0x0b:	/* DW_CFA_restore_state */
			if (depth == 0)
				return (0);
			*cs = stack[--depth];
			break;
		case 0x0c:	/* DW_CFA_def_cfa */
			cs->cs_cfa_reg = uw_rd_uleb(rd);
			cs->cs_cfa_off = (int64_t)uw_rd_uleb(rd);
			cs->cs_cfa_expr = NULL;
			break;
		case 0x0d:	/* DW_CFA_def_cfa_register */
			cs->cs_cfa_reg = uw_rd_uleb(rd);
			cs->cs_cfa_expr = NULL;
			break;
		case 0x0e:	/* DW_CFA_def_cfa_offset */
			cs->cs_cfa_off = (int64_t)uw_rd_uleb(rd);
			break;
		case 0x0f:	/* DW_CFA_def_cfa_expression */
			if ((expr = uw_rd_block(rd, &len)) == NULL)
				return (0);
			cs->cs_cfa_expr = expr;
			cs->cs_cfa_len = len;
			break;
		case 0x10:	/* DW_CFA_expression */
		case 0x16:	/* DW_CFA_val_expression */
			t = uw_track(ci, uw_rd_uleb(rd));
			if ((expr = uw_rd_block(rd, &len)) == NULL)
				return (0);
			uw_set_rule(cs, t, op == 0x10 ? UW_RR_EXPR :
			    UW_RR_VALEXPR, 0, expr, len);
			break;
		case 0x11:	/* DW_CFA_offset_extended_sf */
			reg = uw_rd_uleb(rd);
			off = uw_rd_sleb(rd) * ci->ci_data_align;
			uw_set_rule(cs, uw_track(ci, reg), UW_RR_OFFSET, off,
			    NULL, 0);
			break;
		case 0x12:	/* DW_CFA_def_cfa_sf */
			cs->cs_cfa_reg = uw_rd_uleb(rd);
			cs->cs_cfa_off = uw_rd_sleb(rd) * ci->ci_data_align;
			cs->cs_cfa_expr = NULL;
			break;
		case 0x13:	/* DW_CFA_def_cfa_offset_sf */
			cs->cs_cfa_off = uw_rd_sleb(rd) * ci->ci_data_align;
			break;
		case 0x14:	/* DW_CFA_val_offset */
			reg = uw_rd_uleb(rd);
			off = (int64_t)uw_rd_uleb(rd) * ci->ci_data_align;
			uw_set_rule(cs, uw_track(ci, reg), UW_RR_VALOFF, off,
			    NULL, 0);
			break;
		case 0x15:	/* DW_CFA_val_offset_sf */
			reg = uw_rd_uleb(rd);
			off = uw_rd_sleb(rd) * ci->ci_data_align;
			uw_set_rule(cs, uw_track(ci, reg), UW_RR_VALOFF, off,
			    NULL, 0);
			break;
		case 0x2e:	/* DW_CFA_GNU_args_size */
			(void) uw_rd_uleb(rd);
			break;
		case 0x2f:	/* DW_CFA_GNU_negative_offset_extended */
			reg = uw_rd_uleb(rd);
			off = -(int64_t)uw_rd_uleb(rd) * ci->ci_data_align;
			uw_set_rule(cs, uw_track(ci, reg), UW_RR_OFFSET, off,
			    NULL, 0);
			break;
		default:
			return (0);
		}
		continue;
advance:
		loc += (uintptr_t)(delta * ci->ci_code_align);
		if (loc > target)
			return (!rd->rd_bad);
		continue;
restore:
		t = uw_track(ci, reg);
		if (t >= 0) {
			if (init != NULL)
				cs->cs_reg[t] = init->cs_reg[t];
			else
				uw_set_rule(cs, t, UW_RR_SAME, 0, NULL, 0);
		}
	}
	return (!rd->rd_bad);
}

#define UW_SY_CONST	0	/* sy_val */
#define UW_SY_REG	1	/* register sy_reg (rsp, rbp) + sy_val */
#define UW_SY_CFA	2	/* CFA + sy_val */
#define UW_SY_DEREF	3	/* *(sy_reg + sy_val) */
#define UW_SY_DEPTH	8

typedef struct uw_sym {
	uint32_t sy_kind;
	uint32_t sy_reg;
	int64_t sy_val;
} uw_sym_t;

/* A DWARF binary operator on two constants, or 0 if not supported. */
static int
uw_expr_binop(uint8_t op, int64_t a, int64_t b, int64_t *r)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;

	switch (op) {
	case 0x1a: *r = (int64_t)(ua & ub); break;		/* and */
	case 0x1c: *r = (int64_t)(ua - ub); break;		/* minus */
	case 0x1e: *r = (int64_t)(ua * ub); break;		/* mul */
	case 0x21: *r = (int64_t)(ua | ub); break;		/* or */
	case 0x22: *r = (int64_t)(ua + ub); break;		/* plus */
	case 0x24: *r = ub < 64 ? (int64_t)(ua << ub) : 0; break; /* shl */
	case 0x25: *r = ub < 64 ? (int64_t)(ua >> ub) : 0; break; /* shr */
	case 0x26: *r = ub < 64 ? a >> ub : (a < 0 ? -1 : 0); break; /* shra */
	case 0x27: *r = (int64_t)(ua ^ ub); break;		/* xor */
	case 0x29: *r = a == b; break;				/* eq */
	case 0x2a: *r = a >= b; break;				/* ge */
	case 0x2b: *r = a > b; break;				/* gt */
	case 0x2c: *r = a <= b; break;				/* le */
	case 0x2d: *r = a < b; break;				/* lt */
	case 0x2e: *r = a != b; break;				/* ne */
	default: return (0);
	}
	return (1);
}

/*
 * Evaluate a DWARF expression whose result is linear in one of rsp, rbp or
 * the CFA, with at most a final dereference.  rip is known (pc) and folds
 * into constants: the PLT's rule depends on it.
 */
static int
uw_expr_eval(const uint8_t *p, uint32_t len, uintptr_t pc, int push_cfa,
    uw_sym_t *out)
{
	uw_sym_t st[UW_SY_DEPTH], a, b;
	uint32_t n = 0;
	uint64_t reg;
	int64_t k;
	uint8_t op;
	uw_rd_t rd;

	uw_rd_init(&rd, (uintptr_t)p, (uintptr_t)p + len);
	if (push_cfa) {
		st[0].sy_kind = UW_SY_CFA;
		st[0].sy_reg = 0;
		st[0].sy_val = 0;
		n = 1;
	}
	while (rd.rd_p < rd.rd_end && !rd.rd_bad) {
		op = *rd.rd_p++;
		if (n > 0 && st[n - 1].sy_kind == UW_SY_DEREF)
			return (0);	/* nothing may follow the deref */
		if ((op >= 0x70 && op <= 0x8f) || op == 0x92) { /* breg */
			reg = op == 0x92 ? uw_rd_uleb(&rd) : op - 0x70U;
			k = uw_rd_sleb(&rd);
			if (n == UW_SY_DEPTH)
				return (0);
			if (reg == UW_DW_RIP) {
				st[n].sy_kind = UW_SY_CONST;
				st[n].sy_val = (int64_t)pc + k;
			} else if (reg == UW_DW_RSP || reg == UW_DW_RBP) {
				st[n].sy_kind = UW_SY_REG;
				st[n].sy_reg = (uint32_t)reg;
				st[n].sy_val = k;
			} else {
				return (0);
			}
			n++;
			continue;
		}
		if ((op >= 0x30 && op <= 0x4f) || (op >= 0x08 && op <= 0x11)) {
			switch (op) {
			case 0x08: k = (int64_t)uw_rd_u(&rd, 1); break;
			case 0x09: k = (int8_t)uw_rd_u(&rd, 1); break;
			case 0x0a: k = (int64_t)uw_rd_u(&rd, 2); break;
			case 0x0b: k = (int16_t)uw_rd_u(&rd, 2); break;
			case 0x0c: k = (int64_t)uw_rd_u(&rd, 4); break;
			case 0x0d: k = (int32_t)uw_rd_u(&rd, 4); break;
			case 0x0e:
			case 0x0f: k = (int64_t)uw_rd_u(&rd, 8); break;
			case 0x10: k = (int64_t)uw_rd_uleb(&rd); break;
			case 0x11: k = uw_rd_sleb(&rd); break;
			default: k = op - 0x30; break;	/* DW_OP_lit<n> */
			}
			if (n == UW_SY_DEPTH)
				return (0);
			st[n].sy_kind = UW_SY_CONST;
			st[n].sy_reg = 0;
			st[n++].sy_val = k;
			continue;
		}
		switch (op) {
		case 0x96:	/* nop */
			continue;
		case 0x06:	/* deref */
		case 0x94:	/* deref_size */
			if (op == 0x94 && uw_rd_u(&rd, 1) != 8)
				return (0);
			if (n == 0 || st[n - 1].sy_kind != UW_SY_REG)
				return (0);
			st[n - 1].sy_kind = UW_SY_DEREF;
			continue;
		case 0x12:	/* dup */
		case 0x14:	/* over */
			if (n < (op == 0x12 ? 1U : 2U) || n == UW_SY_DEPTH)
				return (0);
			st[n] = st[n - (op == 0x12 ? 1 : 2)];
			n++;
			continue;
		case 0x13:	/* drop */
			if (n == 0)
				return (0);
			n--;
			continue;
		case 0x16:	/* swap */
			if (n < 2)
				return (0);
			a = st[n - 1];
			st[n - 1] = st[n - 2];
			st[n - 2] = a;
			continue;
		case 0x23:	/* plus_uconst */
			if (n == 0)
				return (0);
			st[n - 1].sy_val += (int64_t)uw_rd_uleb(&rd);
			continue;
		default:
			break;
		}
		if (n < 2)
			return (0);
		b = st[--n];
		a = st[n - 1];
		if (a.sy_kind == UW_SY_CONST && b.sy_kind == UW_SY_CONST) {
			if (!uw_expr_binop(op, a.sy_val, b.sy_val, &k))
				return (0);
			st[n - 1].sy_val = k;
		} else if (op == 0x22 && a.sy_kind == UW_SY_CONST) {
			st[n - 1] = b;		/* k + reg */
			st[n - 1].sy_val += a.sy_val;
		} else if ((op == 0x22 || op == 0x1c) &&
		    b.sy_kind == UW_SY_CONST) {	/* reg +- k */
			st[n - 1].sy_val += op == 0x22 ? b.sy_val : -b.sy_val;
		} else {
			return (0);
		}
	}
	if (rd.rd_bad || n == 0)
		return (0);
	*out = st[n - 1];
	return (1);
}

/* Pack the state at pc into a rule (section 2). */
static uint64_t
uw_rule_derive(const uw_cfa_state_t *cs, uintptr_t pc)
{
	const uw_rrule_t *ra = &cs->cs_reg[UW_TR_RA];
	const uw_rrule_t *fp = &cs->cs_reg[UW_TR_FP];
	uint32_t kind, fpk = UW_F_LOST;
	int64_t cfaoff, fpoff = 0;
	uw_sym_t s;

	if (ra->rr_kind == UW_RR_UNDEF)
		return (UW_K_END);
	if (cs->cs_cfa_expr != NULL) {
		if (!uw_expr_eval(cs->cs_cfa_expr, cs->cs_cfa_len, pc, 0, &s))
			return (UW_RULE_NOINFO);
		if (s.sy_kind == UW_SY_REG)
			kind = s.sy_reg == UW_DW_RSP ? UW_K_RSP : UW_K_RBP;
		else if (s.sy_kind == UW_SY_DEREF)
			kind = s.sy_reg == UW_DW_RSP ? UW_K_DREF_RSP :
			    UW_K_DREF_RBP;
		else
			return (UW_RULE_NOINFO);
		cfaoff = s.sy_val;
	} else if (cs->cs_cfa_reg == UW_DW_RSP) {
		kind = UW_K_RSP;
		cfaoff = cs->cs_cfa_off;
	} else if (cs->cs_cfa_reg == UW_DW_RBP) {
		kind = UW_K_RBP;
		cfaoff = cs->cs_cfa_off;
	} else {
		return (UW_RULE_NOINFO);
	}
	if (cfaoff != (int32_t)cfaoff)
		return (UW_RULE_NOINFO);
	if (ra->rr_kind != UW_RR_OFFSET || (ra->rr_off & 7) != 0 ||
	    ra->rr_off / 8 != (int8_t)(ra->rr_off / 8))
		return (UW_RULE_NOINFO);
	switch (fp->rr_kind) {
	case UW_RR_SAME:
		fpk = UW_F_SAME;
		break;
	case UW_RR_OFFSET:
		if (fp->rr_off == (int16_t)fp->rr_off) {
			fpk = UW_F_CFA;
			fpoff = fp->rr_off;
		}
		break;
	case UW_RR_EXPR:
		if (!uw_expr_eval(fp->rr_expr, fp->rr_len, pc, 1, &s) ||
		    s.sy_val != (int16_t)s.sy_val)
			break;
		if (s.sy_kind == UW_SY_CFA) {
			fpk = UW_F_CFA;
			fpoff = s.sy_val;
		} else if (s.sy_kind == UW_SY_REG && s.sy_reg == UW_DW_RBP) {
			fpk = UW_F_RBP;
			fpoff = s.sy_val;
		}
		break;
	default:
		break;
	}
	return (uw_pack(kind, fpk, cfaoff, ra->rr_off, fpoff));
}

/* The CFA state at target from the module's CFI: 1, or 0 if none. */
static int
uw_state_cfi(const uw_module_t *m, uintptr_t target, uw_cfa_state_t *csp)
{
	uintptr_t fde, end, cie, begin, range, seghi;
	uw_cfa_state_t init, cs;
	uw_cie_t ci;
	uw_rd_t rd;
	uint64_t cieoff;
	int is64;

	if (!uw_fde_find(m, target, &fde) ||
	    (seghi = uw_module_bound(m, fde, 8, PF_R)) == 0)
		return (0);
	uw_rd_init(&rd, fde, seghi);
	if (!uw_entry_len(&rd, &end, &is64))
		return (0);
	rd.rd_end = (const uint8_t *)end;
	cie = (uintptr_t)rd.rd_p;
	cieoff = uw_rd_u(&rd, is64 ? 8 : 4);
	if (rd.rd_bad || cieoff == 0 || cieoff > cie)
		return (0);
	cie -= (uintptr_t)cieoff;
	if (!uw_cie_parse(m, cie, &ci))
		return (0);
	begin = uw_rd_enc(&rd, ci.ci_fde_enc, 0);
	range = uw_rd_enc(&rd, ci.ci_fde_enc & 0x0f, 0);
	if (rd.rd_bad || target < begin || target - begin >= range)
		return (0);
	if (ci.ci_aug_z) {
		uint64_t alen = uw_rd_uleb(&rd);

		if (!uw_rd_need(&rd, (size_t)alen))
			return (0);
		rd.rd_p += alen;
	}
	memset(&init, 0, sizeof (init));
	{
		uw_rd_t crd;

		uw_rd_init(&crd, ci.ci_insn, ci.ci_insn_end);
		if (!uw_cfa_exec(&crd, &ci, 0, UINTPTR_MAX, &init, NULL))
			return (0);
	}
	cs = init;
	if (!uw_cfa_exec(&rd, &ci, begin, target, &cs, &init))
		return (0);
	*csp = cs;
	return (1);
}

/* The rule at pc from the module's CFI; UW_RULE_NOINFO if there is none. */
static uint64_t
uw_rule_cfi(const uw_module_t *m, uintptr_t pc, uintptr_t target)
{
	uw_cfa_state_t cs;

	if (!uw_state_cfi(m, target, &cs))
		return (UW_RULE_NOINFO);
	return (uw_rule_derive(&cs, pc));
}

/* mov $__NR_rt_sigreturn, %rax; syscall: glibc's and musl's restorer. */
static const uint8_t uw_sigreturn_code[9] = {
	0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05
};

static int
uw_is_sigreturn(const uw_module_t *m, uintptr_t pc)
{
	if (uw_module_bound(m, pc, sizeof (uw_sigreturn_code),
	    PF_R | PF_X) == 0)
		return (0);
	return (memcmp((const void *)pc, uw_sigreturn_code,
	    sizeof (uw_sigreturn_code)) == 0);
}

/*
 * A cache miss: the rule for pc from the module table and its CFI.
 * *cacheable is set when the answer does not depend on a busy lock;
 * *epochp is the epoch the answer is valid for.
 */
static uint64_t
uw_rule_slow(uintptr_t pc, int exact, uint32_t *epochp, int *cacheable)
{
	uintptr_t target = exact ? pc : pc - 1;
	uw_module_t m;
	int r;

	*cacheable = 0;
	*epochp = __atomic_load_n(&uw_epoch, __ATOMIC_ACQUIRE);
	if ((r = uw_module_lookup(target, &m)) < 0)
		return (UW_RULE_NOMOD);
	*epochp = __atomic_load_n(&uw_epoch, __ATOMIC_ACQUIRE);
	*cacheable = 1;
	if (r == 0)
		return (UW_RULE_NOMOD);
	if (!exact && uw_is_sigreturn(&m, pc))
		return (UW_K_SIGFRAME);
	return (uw_rule_cfi(&m, pc, target));
}

/* ------------------------------------------------------------------------
 * The rule cache (section 3).
 */

#define UW_KEY_PCMASK		((1ULL << 47) - 1)
#define UW_KEY_EXACT		(1ULL << 47)
#define UW_KEY_EPOCH_SHIFT	48
#define UW_KEY_SEQ_SHIFT	56
#define UW_KEY_IDMASK		((1ULL << UW_KEY_SEQ_SHIFT) - 1)
#define UW_KEY_BUSY		(1ULL << 63)
#define UW_CACHE_SLOTS		(1UL << UW_CACHE_SHIFT)

typedef struct uw_slot {
	uint64_t us_key;	/* pc|exact|epoch|seq|busy, 0 if empty */
	uint64_t us_rule;
} uw_slot_t;

static uw_slot_t *uw_cache;

static inline size_t
uw_cache_hash(uint64_t id)
{
	return ((size_t)(((id & (UW_KEY_PCMASK | UW_KEY_EXACT)) *
	    0x9e3779b97f4a7c15ULL) >> (64 - UW_CACHE_SHIFT)));
}

static inline int
uw_cache_get(const uw_slot_t *c, uint64_t id, uint64_t *rulep)
{
	size_t i = uw_cache_hash(id), p;
	uint64_t k1, rule;

	for (p = 0; p < UW_CACHE_PROBE; p++) {
		const uw_slot_t *s = &c[(i + p) & (UW_CACHE_SLOTS - 1)];

		k1 = __atomic_load_n(&s->us_key, __ATOMIC_ACQUIRE);
		if (ST_UNLIKELY((k1 & (UW_KEY_IDMASK | UW_KEY_BUSY)) != id)) {
			if (k1 == 0)
				return (0);
			continue;
		}
		rule = __atomic_load_n(&s->us_rule, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->us_key, __ATOMIC_RELAXED) != k1)
			return (0);
		*rulep = rule;
		return (1);
	}
	return (0);
}

/* Insert, or give up if the slot is being written. */
static void
uw_cache_put(uw_slot_t *c, uint64_t id, uint64_t rule)
{
	size_t i = uw_cache_hash(id), p, victim = i;
	uint32_t epoch = (uint32_t)(id >> UW_KEY_EPOCH_SHIFT) & 0xff;
	uw_slot_t *s;
	uint64_t k;

	for (p = 0; p < UW_CACHE_PROBE; p++) {
		size_t j = (i + p) & (UW_CACHE_SLOTS - 1);

		k = __atomic_load_n(&c[j].us_key, __ATOMIC_RELAXED);
		if (k == 0 || (k & (UW_KEY_PCMASK | UW_KEY_EXACT)) ==
		    (id & (UW_KEY_PCMASK | UW_KEY_EXACT)) ||
		    ((k >> UW_KEY_EPOCH_SHIFT) & 0xff) != epoch) {
			victim = j;
			break;
		}
	}
	s = &c[victim];
	k = __atomic_load_n(&s->us_key, __ATOMIC_RELAXED);
	if ((k & UW_KEY_BUSY) || !__atomic_compare_exchange_n(&s->us_key, &k,
	    k | UW_KEY_BUSY, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->us_rule, rule, __ATOMIC_RELAXED);
	k = (((k >> UW_KEY_SEQ_SHIFT) + 1) & 0x7f) << UW_KEY_SEQ_SHIFT;
	__atomic_store_n(&s->us_key, id | k, __ATOMIC_RELEASE);
}

static uw_slot_t *
uw_cache_create(void)
{
	size_t size = UW_CACHE_SLOTS * sizeof (uw_slot_t);
	uw_slot_t *c = st_os_map(size, st_os_pagesize()), *old = NULL;

	if (c == NULL)
		return (NULL);
	if (!__atomic_compare_exchange_n(&uw_cache, &old, c, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		st_os_unmap(c, size);
		return (old);
	}
	return (c);
}

static inline uint64_t
uw_key(uintptr_t pc, uint32_t exact, uint32_t epoch)
{
	return ((uint64_t)pc | (exact ? UW_KEY_EXACT : 0) |
	    (uint64_t)(epoch & 0xff) << UW_KEY_EPOCH_SHIFT);
}

/* ------------------------------------------------------------------------
 * The per-thread memo of the last captures (section 3).
 */

#define UW_MEMO_SLOTS	(1U << UW_MEMO_SHIFT)

typedef struct uw_memo {
	uintptr_t mo_pc;	/* a return address, 0 if empty */
	uint64_t mo_rule;
} uw_memo_t;

static __thread uw_memo_t uw_memo[UW_MEMO_SLOTS]
    __attribute__((tls_model("initial-exec")));
static __thread uint32_t uw_memo_epoch	/* what uw_memo's rules are for */
    __attribute__((tls_model("initial-exec")));
static __thread uintptr_t uw_memo_owner	/* the capture writing uw_memo */
    __attribute__((tls_model("initial-exec")));
static __thread uintptr_t uw_memo_token	/* what its frame holds */
    __attribute__((tls_model("initial-exec")));

/* The memo's slot for pc: direct-mapped, by a multiplicative hash. */
static inline uw_memo_t *
uw_memo_slot(uintptr_t pc)
{
	return (&uw_memo[(uint64_t)pc * 0x9e3779b97f4a7c15ULL >>
	    (64 - UW_MEMO_SHIFT)]);
}

/*
 * The replay traces (section 3): the states of the last captures' walks,
 * innermost first.  State j is {tr_pc[j], sp, tr_fp[j] (rbp)}; its sp is
 * tr_sp for j = 0, else tr_ra[j - 1] + 8 (the CFA of a fast step).  For
 * j < tr_n - 1 the walk went from state j to j + 1 by a fast step, which
 * loaded the caller's pc from tr_ra[j] and its rbp from tr_fa[j] (0:
 * rbp unchanged); tr_fpuse is the first step whose CFA came from rbp
 * (tr_n - 1: none).  tr_end: after the last state the walk stopped on its
 * rule alone (the outermost frame).  The states are one walk's, in the
 * stack [tr_lo, tr_lo + tr_span] and under the rules of tr_epoch; tr_id
 * is that walk's depot id (0: none, or it went on past the last state),
 * with its skip and limit.  tr_n is 0 while the trace is written.
 * The rbp values (tr_fp, tr_fa) and sp and lo are kept complemented
 * (UW_TX): in the thread's TLS, a saved rbp (any value, a heap pointer
 * too) would be a reference to its buffer for the leak check, which scans
 * TLS, and hide the buffer's leak.  Kept so, none is a user-space
 * address (each has the top bit set).  The pcs and return-address slots, read on every step, are
 * kept plain: code and stack addresses, like the memo's pcs.
 */
#define UW_TX(x)	(~(uintptr_t)(x))
typedef struct uw_trace {
	uint32_t tr_n;		/* states kept */
	uint32_t tr_epoch;
	uint32_t tr_fpuse;
	uint32_t tr_end;
	uintptr_t tr_sp;	/* state 0's sp */
	uintptr_t tr_lo;
	uintptr_t tr_span;
	uint32_t tr_id;
	uint32_t tr_skip;
	uint32_t tr_limit;
	uintptr_t tr_pc[UW_TRACE_DEPTH];
	uintptr_t tr_ra[UW_TRACE_DEPTH];
	uintptr_t tr_fa[UW_TRACE_DEPTH];
	uintptr_t tr_fp[UW_TRACE_DEPTH];
} uw_trace_t;

static __thread uw_trace_t uw_trace[UW_TRACES]
    __attribute__((tls_model("initial-exec")));
static __thread uint32_t uw_trace_used	/* the traces last used, 2 bits */
    __attribute__((tls_model("initial-exec")));
static int uw_replay_off;		/* st_stack_replay(0): for tests */

int
st_stack_replay(int on)
{
	return (!__atomic_exchange_n(&uw_replay_off, !on, __ATOMIC_RELAXED));
}

/*
 * Only the outermost capture on a thread writes the memo (section 3); one
 * in a signal handler that interrupted it only reads, and sees each entry
 * whole, or empty while it is being written.
 */
static inline void
uw_memo_put(uw_memo_t *mo, uintptr_t pc, uint64_t rule)
{
	__atomic_store_n(&mo->mo_pc, 0, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&mo->mo_rule, rule, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&mo->mo_pc, pc, __ATOMIC_RELAXED);
}

/*
 * Start a capture at epoch, with a word of its frame at cookie, on the stack
 * [lo, hi): 1 if it owns the memo (and the traces), else 0.  A live owner on this stack is an outer capture, so its cookie
 * lies above ours and still holds uw_memo_token; one at or below ours, or
 * whose cookie changed, was left by a siglongjmp: take over.  An owner on
 * another stack may be live (we are in a handler on the alternate stack).
 */
static inline uint32_t
uw_memo_begin(uint32_t epoch, volatile uintptr_t *cookie, uintptr_t lo,
    uintptr_t hi)
{
	uintptr_t owner = uw_memo_owner;
	uint32_t i;

	if (owner != 0 && (owner - lo > hi - lo - sizeof (uintptr_t) ||
	    (owner > (uintptr_t)cookie &&
	    *(volatile const uintptr_t *)owner == uw_memo_token)))
		return (0);
	*cookie = uw_memo_token + 1;
	uw_memo_token = *cookie;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uw_memo_owner = (uintptr_t)cookie;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (ST_LIKELY(uw_memo_epoch == epoch))
		return (1);
	/* The modules changed: forget every rule, then relabel. */
	for (i = 0; i < UW_TRACES; i++)
		__atomic_store_n(&uw_trace[i].tr_n, 0, __ATOMIC_RELAXED);
	for (i = 0; i < UW_MEMO_SLOTS; i++)
		__atomic_store_n(&uw_memo[i].mo_pc, 0, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uw_memo_epoch = epoch;
	return (1);
}

static inline void
uw_memo_end(uint32_t own)
{
	if (own) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		uw_memo_owner = 0;
	}
}

/*
 * A cache miss: compute the rule and cache it.  Out of line, so that the
 * walk's loop keeps its state in registers.
 */
static __attribute__((noinline, cold)) uint64_t
uw_rule_miss(uintptr_t pc, uint32_t exact)
{
	uw_slot_t *c = __atomic_load_n(&uw_cache, __ATOMIC_ACQUIRE);
	int keyed = pc >= UW_MINPC && pc <= UW_KEY_PCMASK, cacheable;
	uint32_t epoch;
	uint64_t rule;

	rule = uw_rule_slow(pc, exact, &epoch, &cacheable);
	if (c == NULL)
		c = uw_cache_create();
	if (cacheable && c != NULL && keyed)
		uw_cache_put(c, uw_key(pc, exact, epoch), rule);
	return (rule);
}

/* ------------------------------------------------------------------------
 * Stepping from one frame to its caller.
 */

static inline int
uw_ok(const uw_frame_t *f, uintptr_t a)
{
	return (a >= f->uf_lo && a <= f->uf_hi - sizeof (uintptr_t));
}

static inline uintptr_t
uw_load(uintptr_t a)
{
	return (*(const volatile uintptr_t *)a);
}

/* Out of a signal handler: the ucontext_t is at the trampoline's sp. */
static int
uw_step_signal(uw_frame_t *f)
{
	const size_t gregs = offsetof(ucontext_t, uc_mcontext) +
	    offsetof(mcontext_t, gregs);
	uintptr_t uc = f->uf_sp, sp;
	uw_range_t r;

	if (f->uf_nsig++ >= UW_MAXSIGFRAMES ||
	    !uw_ok(f, uc + gregs + REG_RIP * sizeof (greg_t)) ||
	    !uw_ok(f, uc + gregs))
		return (0);
	sp = uw_load(uc + gregs + REG_RSP * sizeof (greg_t));
	if (!uw_range_for(sp, &r))
		return (0);
	f->uf_pc = uw_load(uc + gregs + REG_RIP * sizeof (greg_t));
	f->uf_fp = uw_load(uc + gregs + REG_RBP * sizeof (greg_t));
	f->uf_sp = sp;
	f->uf_lo = r.ur_lo;
	f->uf_hi = r.ur_hi;
	f->uf_exact = 1;
	f->uf_fpok = 1;
	return (1);
}

/* No CFI: follow the rbp chain, or, after a call to a bad pointer, [rsp]. */
static int
uw_step_noinfo(uw_frame_t *f, uint64_t rule)
{
	uintptr_t fp = f->uf_fp;
	uw_module_t m;

	if ((rule & UW_FLAG_NOMOD) && f->uf_exact && uw_ok(f, f->uf_sp) &&
	    uw_module_lookup(uw_load(f->uf_sp) - 1, &m) == 1) {
		f->uf_pc = uw_load(f->uf_sp);
		f->uf_sp += sizeof (uintptr_t);
		f->uf_exact = 0;
		return (1);
	}
	if (!f->uf_fpok || fp < f->uf_sp || (fp & 7) != 0 ||
	    !uw_ok(f, fp + sizeof (uintptr_t)))
		return (0);
	/*
	 * Code built without frame pointers leaves anything in rbp: believe
	 * the chain only if it leads into an object, or if we are in code
	 * outside every object already (JIT code, which often keeps them).
	 */
	f->uf_pc = uw_load(fp + sizeof (uintptr_t));
	if (!(rule & UW_FLAG_NOMOD) &&
	    uw_module_lookup(f->uf_pc - 1, &m) != 1)
		return (0);
	f->uf_fp = uw_load(fp);
	f->uf_sp = fp + 2 * sizeof (uintptr_t);
	f->uf_exact = 0;
	return (1);
}

/* The rarer rules, out of line: a dereferenced CFA, rbp lost or restored. */
static __attribute__((noinline)) int
uw_step_slow(uw_frame_t *f, uint64_t rule)
{
	int64_t cfaoff = UW_RULE_CFAOFF(rule);
	uintptr_t cfa, a, slot;

	switch (UW_RULE_KIND(rule)) {
	case UW_K_RSP:
		cfa = f->uf_sp + (uintptr_t)cfaoff;
		break;
	case UW_K_RBP:
		if (!f->uf_fpok)
			return (0);
		cfa = f->uf_fp + (uintptr_t)cfaoff;
		break;
	case UW_K_DREF_RSP:
	case UW_K_DREF_RBP:
		if (UW_RULE_KIND(rule) == UW_K_DREF_RBP && !f->uf_fpok)
			return (0);
		a = (UW_RULE_KIND(rule) == UW_K_DREF_RSP ? f->uf_sp :
		    f->uf_fp) + (uintptr_t)cfaoff;
		if (!uw_ok(f, a))
			return (0);
		cfa = uw_load(a);
		break;
	case UW_K_SIGFRAME:
		return (uw_step_signal(f));
	case UW_K_NOINFO:
		return (uw_step_noinfo(f, rule));
	default:
		return (0);
	}
	if (cfa <= f->uf_sp || cfa > f->uf_hi)
		return (0);
	a = cfa + (uintptr_t)UW_RULE_RAOFF(rule);
	if (!uw_ok(f, a))
		return (0);
	switch (UW_RULE_FPK(rule)) {
	case UW_F_SAME:
		break;
	case UW_F_CFA:
	case UW_F_RBP:
		if (UW_RULE_FPK(rule) == UW_F_RBP && !f->uf_fpok)
			break;
		slot = (UW_RULE_FPK(rule) == UW_F_CFA ? cfa : f->uf_fp) +
		    (uintptr_t)UW_RULE_FPOFF(rule);
		if (!uw_ok(f, slot))
			return (0);
		f->uf_fp = uw_load(slot);
		f->uf_fpok = 1;
		break;
	default:
		f->uf_fpok = 0;
		break;
	}
	f->uf_pc = uw_load(a);
	f->uf_sp = cfa;
	f->uf_exact = 0;
	return (1);
}

/*
 * A frame the memo does not know: the rule from the shared cache (kept in
 * the memo slot mo, if any, for the next capture), or computed.  Out of
 * line, so that the walk's loop keeps its state in registers.
 */
static __attribute__((noinline)) uint64_t
uw_rule_get(uintptr_t pc, uint64_t exact, uint32_t epoch, uw_memo_t *mo)
{
	const uw_slot_t *c = __atomic_load_n(&uw_cache, __ATOMIC_ACQUIRE);
	uint64_t rule;

	if (ST_LIKELY(c != NULL && pc - UW_MINPC <= UW_KEY_PCMASK -
	    UW_MINPC) && uw_cache_get(c, uw_key(pc, exact != 0, epoch),
	    &rule)) {
		if (mo != NULL && !exact)
			uw_memo_put(mo, pc, rule);
		return (rule);
	}
	return (uw_rule_miss(pc, exact != 0));
}

/*
 * The trace to try first: the one used last, unless the last two captures
 * used both (a malloc/free loop), then the other.
 */
static inline uint32_t
uw_trace_guess(void)
{
	uint32_t u = uw_trace_used;

	return (((u ^ (u >> 1)) & 1) ? (u >> 1) & 1 : u & 1);
}

static inline void
uw_trace_note(uint32_t i)
{
	uw_trace_used = (uw_trace_used & 1) << 1 | i;
}

/* Where the walk through trace t has rbp at state j: loaded again. */
static uintptr_t
uw_trace_fp(const uw_trace_t *t, uintptr_t fp, uint32_t j)
{
	uint32_t i;

	for (i = 0; i < j; i++)
		if (t->tr_fa[i] != UW_TX(0))
			fp = uw_load(UW_TX(t->tr_fa[i]));
	return (fp);
}

/*
 * Replay trace t from the walk's first state, f0 (section 3): the number
 * of its states the walk is known to pass through, at most most (0: t
 * does not start there).  Each step is checked by loading the word the
 * walk would load for the return address: it must be the trace's next
 * pc.  The saved rbp may differ (code without frame pointers keeps
 * anything in rbp) and matters only from the first step whose CFA comes
 * from rbp: from there on rbp must be the trace's too.
 */
static inline uint32_t
uw_replay(const uw_trace_t *t, const uw_frame_t *f0, uint32_t epoch,
    uint32_t most)
{
	uint32_t n = ST_MIN(t->tr_n, most), m, j;

	if (n < 2 || t->tr_pc[0] != f0->uf_pc ||
	    t->tr_sp != UW_TX(f0->uf_sp) ||
	    t->tr_epoch != epoch || t->tr_lo != UW_TX(f0->uf_lo) ||
	    t->tr_span != f0->uf_hi - sizeof (uintptr_t) - f0->uf_lo)
		return (0);
	m = ST_MIN(n - 1, t->tr_fpuse);
	for (j = 0; j < m; j++)
		if (uw_load(t->tr_ra[j]) != t->tr_pc[j + 1])
			return (j + 1);
	if (j == n - 1)
		return (n);
	if (UW_TX(uw_trace_fp(t, f0->uf_fp, j)) != t->tr_fp[j])
		return (j + 1);
	for (; j + 1 < n; j++) {
		if (uw_load(t->tr_ra[j]) != t->tr_pc[j + 1])
			return (j + 1);
		if (t->tr_fa[j] != UW_TX(0) &&
		    UW_TX(uw_load(UW_TX(t->tr_fa[j]))) != t->tr_fp[j + 1])
			return (j + 2);
	}
	return (n);
}

/*
 * Start writing a trace of the walk that began at f0 (section 3), whose
 * first k states (k > 0) were replayed from trace t (NULL: k is 1, state
 * 0 itself).  Into the trace not used last; the states replayed are
 * copied, with the rbp the walk had at each (the trace's may differ).
 * The caller fills in state k - 1's step and the states after it.
 */
static __attribute__((noinline)) uw_trace_t *
uw_trace_start(const uw_frame_t *f0, const uw_trace_t *t, uint32_t k,
    uint32_t epoch)
{
	uw_trace_t *v = &uw_trace[(uw_trace_used & 1) ^ 1];
	uintptr_t fp = f0->uf_fp;
	uint32_t j;

	__atomic_store_n(&v->tr_n, 0, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (t == NULL) {
		v->tr_pc[0] = f0->uf_pc;
	} else if (t != v) {
		memcpy(v->tr_pc, t->tr_pc, k * sizeof (uintptr_t));
		memcpy(v->tr_ra, t->tr_ra, k * sizeof (uintptr_t));
		memcpy(v->tr_fa, t->tr_fa, k * sizeof (uintptr_t));
	}
	for (j = 0; j < k; j++) {
		v->tr_fp[j] = UW_TX(fp);
		if (j + 1 < k && v->tr_fa[j] != UW_TX(0))
			fp = uw_load(UW_TX(v->tr_fa[j]));
	}
	v->tr_sp = UW_TX(f0->uf_sp);
	v->tr_lo = UW_TX(f0->uf_lo);
	v->tr_span = f0->uf_hi - sizeof (uintptr_t) - f0->uf_lo;
	v->tr_epoch = epoch;
	return (v);
}

/*
 * Publish trace v, of n states, whose first step taking its CFA from rbp
 * is fpuse (n - 1: none); id: its walk's depot id (0: none).
 */
static void
uw_trace_end(uw_trace_t *v, uint32_t n, uint32_t fpuse, uint32_t end,
    uint32_t id, uint32_t skip, uint32_t limit)
{
	v->tr_fpuse = fpuse;
	v->tr_end = end;
	v->tr_id = id;
	v->tr_skip = skip;
	v->tr_limit = limit;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&v->tr_n, n, __ATOMIC_RELAXED);
	uw_trace_note((uint32_t)(v - uw_trace));
}

/*
 * The second half of a fast step (section 2): from the CFA, the return
 * address at CFA - 8 (its slot into *ap) and rbp unchanged or saved at
 * CFA + off (its slot into *fap, 0 if unchanged).  0: the walk ends here
 * (a slot outside the stack, a return address below UW_MINPC).
 */
static inline __attribute__((always_inline)) int
uw_step_fast(uint64_t rule, uintptr_t cfa, uintptr_t lo, uintptr_t span,
    uintptr_t *pcp, uintptr_t *spp, uintptr_t *fpp, uint64_t *fpokp,
    uintptr_t *ap, uintptr_t *fap)
{
	uintptr_t a = cfa - sizeof (uintptr_t), slot, pc;

	if (a - lo > span)
		return (0);
	*fap = 0;
	if (rule & ((uint64_t)UW_F_CFA << 3)) {		/* or SAME */
		slot = cfa + (uintptr_t)UW_RULE_FPOFF(rule);
		if (slot - lo > span)
			return (0);
		*fpp = uw_load(slot);
		*fpokp = UW_FLAG_FASTFP;
		*fap = slot;
	}
	pc = uw_load(a);
	*pcp = pc;
	*spp = cfa;
	*ap = a;
	return (pc >= UW_MINPC);
}

/* Into trace rec: the step from state walked - 1, and state walked. */
static inline __attribute__((always_inline)) void
uw_trace_put(uw_trace_t *rec, uint32_t walked, uintptr_t a, uintptr_t fa,
    uintptr_t pc, uintptr_t fp)
{
	rec->tr_ra[walked - 1] = a;
	rec->tr_fa[walked - 1] = UW_TX(fa);
	rec->tr_pc[walked] = pc;
	rec->tr_fp[walked] = UW_TX(fp);
}

/*
 * The walk's inner loop: a walk's state, in and out of uw_fast.  The walk
 * is at its step from state ws_walked - 1, {ws_pc, ws_sp, ws_fp}, whose
 * pc is in the output already (ws_out is where the next goes).
 */
typedef struct uw_ws {
	uintptr_t ws_pc;
	uintptr_t ws_sp;
	uintptr_t ws_fp;
	uintptr_t *ws_out;
	uint64_t ws_fpok;	/* as uw_walk's fpok */
	uint32_t ws_walked;
	uint32_t ws_fpuse;	/* as uw_walk's fpuse */
} uw_ws_t;

/*
 * Take fast steps (section 3: a rule in the memo, UW_FLAG_FASTSP, or
 * UW_FLAG_FASTFP with rbp known) while they last, recording each pc and,
 * while rec is not NULL, the trace's states: the walk's loop with its
 * state in registers, which uw_walk, with all its other cases, cannot
 * keep there (a frame cost 80 instructions there, 40 here).  For the
 * memo's owner only, past the skipped frames, with no exact pc, and with
 * the trace started if the walk writes one.  Returns 1 when the walk is
 * over (limit, or a frame that ends it), 0 at a step it leaves to
 * uw_walk: a rule not in the memo or not fast, or the trace's depth.
 */
static __attribute__((noinline)) int
uw_fast(uw_ws_t *ws, uintptr_t lo, uintptr_t span, uint32_t limit,
    uw_trace_t *rec)
{
	uintptr_t pc = ws->ws_pc, sp = ws->ws_sp, fp = ws->ws_fp;
	uintptr_t *out = ws->ws_out, cfa, a, fa;
	uint64_t rule, fpok = ws->ws_fpok;
	uint32_t walked = ws->ws_walked, fpuse = ws->ws_fpuse;
	const uw_memo_t *mo;
	int over = 1;

	for (;;) {
		if (rec != NULL && walked >= UW_TRACE_DEPTH)
			goto step;
		mo = uw_memo_slot(pc);
		if (ST_UNLIKELY(mo->mo_pc != pc))
			goto step;
		rule = mo->mo_rule;
		if (ST_LIKELY((rule & UW_FLAG_FASTSP) != 0)) {
			cfa = sp + (uintptr_t)UW_RULE_CFAOFF(rule);
		} else if ((rule & fpok) != 0) {
			cfa = fp + (uintptr_t)UW_RULE_CFAOFF(rule);
			if (cfa <= sp)
				break;
			fpuse = ST_MIN(fpuse, walked - 1);
		} else {
			goto step;
		}
		if (!uw_step_fast(rule, cfa, lo, span, &pc, &sp, &fp, &fpok,
		    &a, &fa))
			break;
		if (rec != NULL)
			uw_trace_put(rec, walked, a, fa, pc, fp);
		*out++ = pc;
		if (++walked >= limit)
			break;
	}
	if (0) {
step:
		over = 0;
	}
	ws->ws_pc = pc;
	ws->ws_sp = sp;
	ws->ws_fp = fp;
	ws->ws_out = out;
	ws->ws_fpok = fpok;
	ws->ws_walked = walked;
	ws->ws_fpuse = fpuse;
	return (over);
}

/*
 * Record frames from f0 outwards (section 7), at most limit visited, the
 * first skip not recorded; its first k states (k > 0) were replayed from
 * trace t by uw_walk, which holds the memo (own) for epoch, and want says
 * whether the walk is to write a trace.  The common frames (CFA from
 * rsp or rbp, the return address just below it, rbp unchanged or saved at
 * CFA + off: the rule says so with UW_FLAG_FASTSP or UW_FLAG_FASTFP) are
 * stepped here, with the frame in registers; the rest by uw_step_slow.
 * fpok is UW_FLAG_FASTFP while rbp is known to be right, else 0; exact is
 * UW_KEY_EXACT or 0 (the pc is exact, section 5), and xk what is or'ed
 * into a pc to look it up in the memo (UW_KEY_EXACT: it matches no entry).
 */
#if defined(__GNUC__) && !defined(__clang__)
/* gcc would pack pc and sp into one vector register, at a cost. */
__attribute__((optimize("no-tree-slp-vectorize")))
#endif
static __attribute__((noinline)) uint32_t
uw_walk_on(const uw_frame_t *f0, uintptr_t *pcs, uint32_t limit,
    uint32_t skip, uint32_t *idp, uint32_t epoch, uint32_t own,
    uint32_t want, uw_trace_t *t, uint32_t k)
{
	uintptr_t pc = f0->uf_pc, sp = f0->uf_sp, fp = f0->uf_fp;
	uintptr_t lo = f0->uf_lo, span = f0->uf_hi - sizeof (uintptr_t) - lo;
	uintptr_t cfa, a, fa;
	uw_frame_t f;
	uintptr_t *out;
	uint64_t rule, exact, fpok, xk;
	uint32_t walked, memo, e;
	uint32_t rn, end, fpuse, over;
	uw_memo_t *mo;
	uw_trace_t *v;		/* the trace written */
	uw_trace_t *rec;	/* v while the walk writes it */

	exact = f0->uf_exact ? UW_KEY_EXACT : 0;
	fpok = f0->uf_fpok ? UW_FLAG_FASTFP : 0;
	f.uf_nsig = f0->uf_nsig;
	memo = own;		/* the memo usable: 0 once the epoch moves on */
	/*
	 * xk: or'ed into a pc, it makes the pc match no memo entry (exact
	 * pcs are not memoised; nor is anything when the memo is not ours).
	 * Then the memo's slot is read but never believed.
	 */
	xk = memo ? exact : UW_KEY_EXACT;
	walked = 0;
	out = pcs;
	v = rec = NULL;
	rn = end = 0;
	fpuse = UW_TRACE_DEPTH;	/* the first step of the trace taking rbp */
	if (k > 0) {
		if (k > skip) {
			memcpy(out, t->tr_pc + skip, (k - skip) *
			    sizeof (uintptr_t));
			out += k - skip;
		}
		walked = k;
		pc = t->tr_pc[k - 1];
		if (walked >= limit || (k == t->tr_n && t->tr_end))
			goto done;
		sp = k == 1 ? sp : t->tr_ra[k - 2] + 8;
		fp = uw_trace_fp(t, fp, k - 1);
		if (t->tr_fpuse < k - 1)
			fpuse = t->tr_fpuse;
		goto step;
	}
	t = NULL;

	for (;;) {
		if (walked >= skip)
			*out++ = pc;
		if (++walked >= limit)
			break;
step:

		/* The rule: from the memo, else the shared cache. */
		mo = uw_memo_slot(pc);
		if (ST_LIKELY(mo->mo_pc == (pc | xk))) {
			rule = mo->mo_rule;
		} else {
			rule = uw_rule_get(pc, exact, epoch, memo ?
			    mo : NULL);
			e = __atomic_load_n(&uw_epoch, __ATOMIC_ACQUIRE);
			if (ST_UNLIKELY(e != epoch)) {
				/* The memo is for the old epoch. */
				epoch = e;
				memo = 0;
				xk = UW_KEY_EXACT;
				/* And the trace, of the old epoch's rules. */
				rec = NULL;
				v = NULL;
				want = 0;
			}
		}

		/* Step. */
		if (ST_LIKELY((rule & UW_FLAG_FASTSP) != 0)) {
			cfa = sp + (uintptr_t)UW_RULE_CFAOFF(rule);
		} else if ((rule & fpok) != 0) {
			cfa = fp + (uintptr_t)UW_RULE_CFAOFF(rule);
			if (cfa <= sp)
				break;
			fpuse = ST_MIN(fpuse, walked - 1);
		} else if (UW_RULE_KIND(rule) == UW_K_END) {
			end = 1;
			break;		/* _start, a thread's start: done */
		} else {
			f.uf_pc = pc;
			f.uf_sp = sp;
			f.uf_fp = fp;
			f.uf_lo = lo;
			f.uf_hi = lo + span + sizeof (uintptr_t);
			f.uf_exact = exact != 0;
			f.uf_fpok = fpok != 0;
			if (!uw_step_slow(&f, rule))
				break;
			/* The trace ends here: it keeps fast steps only. */
			if (rec != NULL)
				rn = walked;
			rec = NULL;
			want = 0;
			pc = f.uf_pc;
			sp = f.uf_sp;
			fp = f.uf_fp;
			exact = f.uf_exact ? UW_KEY_EXACT : 0;
			xk = memo ? exact : UW_KEY_EXACT;
			fpok = f.uf_fpok ? UW_FLAG_FASTFP : 0;
			lo = f.uf_lo;
			span = f.uf_hi - sizeof (uintptr_t) - lo;
			if (pc < UW_MINPC && !exact)
				break;
			continue;
		}
		if (!uw_step_fast(rule, cfa, lo, span, &pc, &sp, &fp, &fpok,
		    &a, &fa))
			break;
		if (ST_UNLIKELY(exact != 0)) {
			exact = 0;
			xk = memo ? 0 : UW_KEY_EXACT;
		}

		/* Into the trace: this state's step, the new state. */
		if (ST_UNLIKELY(rec == NULL) && want) {
			v = rec = uw_trace_start(f0, t, t != NULL ? k : 1,
			    epoch);
			want = 0;
		}
		if (rec != NULL) {
			if (walked < UW_TRACE_DEPTH) {
				uw_trace_put(rec, walked, a, fa, pc, fp);
			} else {
				rn = walked;
				rec = NULL;
			}
		}

		/* The next steps in uw_fast, if they may go there. */
		if (memo && walked >= skip && (rec != NULL || !want)) {
			uw_ws_t ws;

			*out++ = pc;
			if (++walked >= limit)
				break;
			ws.ws_pc = pc;
			ws.ws_sp = sp;
			ws.ws_fp = fp;
			ws.ws_out = out;
			ws.ws_fpok = fpok;
			ws.ws_walked = walked;
			ws.ws_fpuse = fpuse;
			over = uw_fast(&ws, lo, span, limit, rec);
			pc = ws.ws_pc;
			sp = ws.ws_sp;
			fp = ws.ws_fp;
			out = ws.ws_out;
			fpok = ws.ws_fpok;
			walked = ws.ws_walked;
			fpuse = ws.ws_fpuse;
			if (over)
				break;
			goto step;
		}
	}
done:
	if (idp != NULL)
		*idp = st_depot_put(pcs, (uint32_t)(out - pcs));
	/* States 0 .. walked - 1 were written, if rec is still on. */
	if (rec != NULL)
		rn = walked;
	/* A trace written whole (to the walk's end) keeps its id. */
	if (v != NULL && rn >= 2)
		uw_trace_end(v, rn, ST_MIN(fpuse, rn - 1), end && rec != NULL,
		    rec != NULL && idp != NULL ? *idp : 0, skip, limit);
	else if (t != NULL)
		uw_trace_note((uint32_t)(t - uw_trace));
	return ((uint32_t)(out - pcs));
}

/*
 * The walk from f0: its replay (section 3), and if a trace is replayed to
 * its end, the trace's id; else uw_walk_on goes on from there.  Kept
 * apart so that the common capture (replayed whole) pays none of
 * uw_walk_on's entry: the registers it saves, its frame, its state.
 */
static inline __attribute__((always_inline)) uint32_t
uw_walk(const uw_frame_t *f0, uintptr_t *pcs, uint32_t max, uint32_t skip,
    uint32_t *idp)
{
	volatile uintptr_t cookie;
	uw_trace_t *t = NULL;
	uint32_t limit, epoch, own, want, k = 0, n;

	/* Frames to visit: the skipped ones, then up to max recorded. */
	limit = skip < UW_MAXFRAMES && max < UW_MAXFRAMES - skip ?
	    skip + max : UW_MAXFRAMES;
	epoch = __atomic_load_n(&uw_epoch, __ATOMIC_ACQUIRE);
	own = uw_memo_begin(epoch, &cookie, f0->uf_lo, f0->uf_hi);

	/*
	 * Replay the first k states from a trace (section 3), else write one
	 * of this walk: only the memo's owner, from a frame of ours.
	 */
	want = own && !f0->uf_exact && f0->uf_fpok && f0->uf_nsig == 0 &&
	    !__atomic_load_n(&uw_replay_off, __ATOMIC_RELAXED);
	if (want) {
		uint32_t g = uw_trace_guess(), k2;

		t = &uw_trace[g];
		k = uw_replay(t, f0, epoch, limit);
		if (k == 0 || k < ST_MIN(t->tr_n, limit)) {
			/* Not the whole trace: the other may do better. */
			k2 = uw_replay(&uw_trace[g ^ 1], f0, epoch, limit);
			if (k2 > k) {
				g ^= 1;
				t = &uw_trace[g];
				k = k2;
			}
		}
		want = k < UW_TRACE_DEPTH;
		/* The trace's walk, whole: its id, no pcs needed. */
		if (k > 0 && idp != NULL && k == t->tr_n && (k == limit ||
		    t->tr_end) && t->tr_id != 0 && t->tr_skip == skip &&
		    t->tr_limit == limit) {
			*idp = t->tr_id;
			uw_trace_note(g);
			uw_memo_end(own);
			return (k > skip ? k - skip : 0);
		}
	}
	n = uw_walk_on(f0, pcs, limit, skip, idp, epoch, own, want, t, k);
	uw_memo_end(own);
	return (n);
}

/*
 * From the entry point's own frame, fp, which has a frame pointer
 * (__builtin_frame_address makes one): fp[0] is the caller's rbp, fp[1]
 * the return address, fp + 2 the caller's rsp.  Inlined, so that pcs[0]
 * is the return into the entry point's caller.
 */
static inline __attribute__((always_inline)) uint32_t
uw_capture(uintptr_t *fp, uintptr_t *pcs, uint32_t max, uint32_t skip,
    uint32_t *idp)
{
	uw_frame_t f;
	uw_range_t r;

	if (max == 0)
		return (0);
	f.uf_pc = fp[1];
	f.uf_sp = (uintptr_t)(fp + 2);
	f.uf_fp = fp[0];
	f.uf_exact = 0;
	f.uf_fpok = 1;
	f.uf_nsig = 0;
	if (!uw_range_for((uintptr_t)fp, &r)) {
		if (skip > 0)
			return (0);
		pcs[0] = f.uf_pc;	/* our own frame needs no check */
		if (idp != NULL)
			*idp = st_depot_put(pcs, 1);
		return (1);
	}
	f.uf_lo = r.ur_lo;
	f.uf_hi = r.ur_hi;
	return (uw_walk(&f, pcs, max, skip, idp));
}

uint32_t
st_stack_capture(uintptr_t *pcs, uint32_t max, uint32_t skip)
{
	return (uw_capture(__builtin_frame_address(0), pcs, max, skip, NULL));
}

/*
 * As st_stack_capture, into the depot: the stack's id (0: none kept), its
 * frame count in *np.  A call chain captured again costs no hashing.
 */
uint32_t
st_stack_capture_id(uint32_t max, uint32_t skip, uint32_t *np)
{
	uintptr_t pcs[KMEM_STACK_MAX];
	uint32_t id = 0;

	*np = uw_capture(__builtin_frame_address(0), pcs, ST_MIN(max,
	    KMEM_STACK_MAX), skip, &id);
	return (id);
}

uint32_t
st_stack_capture_uc(const void *ucp, uintptr_t *pcs, uint32_t max)
{
	const ucontext_t *uc = ucp;
	uw_frame_t f;
	uw_range_t r;

	if (uc == NULL || max == 0)
		return (0);
	f.uf_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	f.uf_sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	f.uf_fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
	f.uf_exact = 1;
	f.uf_fpok = 1;
	f.uf_nsig = 0;
	/* A stack overflow leaves sp in the guard: try the page above. */
	if (!uw_range_for(f.uf_sp, &r) && !uw_range_for(ST_P2ROUNDUP(f.uf_sp,
	    ST_PAGESIZE), &r)) {
		pcs[0] = f.uf_pc;
		return (1);
	}
	f.uf_lo = r.ur_lo;
	f.uf_hi = r.ur_hi;
	return (uw_walk(&f, pcs, max, 0, NULL));
}

/*
 * A dump's registers (dump.c): walk the context uc (from getcontext(),
 * inside the allocator) up to the frame whose pc is target, the
 * allocator's entry point the program called, and leave that frame's
 * registers in uc: rip, rsp, rbp and the callee-saved rbx and r12-r15,
 * each restored from where the frames below saved it, as a debugger's
 * unwinder does.  So gdb's `bt` of the dump starts at free() and the
 * program's frame is the next one, with its register variables right.
 * The caller-saved registers keep the values they had deeper down (gdb
 * does not trust them above frame 0 either).  Slow (the CFI is run for
 * every frame, no cache), for a panic only.  1 if target was reached.
 */
int
st_uc_unwind_to(void *ucp, uintptr_t target)
{
	static const int gr[UW_NTRACK] = { REG_RBP, -1, REG_RBX, REG_R12,
	    REG_R13, REG_R14, REG_R15 };
	ucontext_t *uc = ucp;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t regs[UW_NTRACK], pc, sp, cfa, ra = 0;
	uw_cfa_state_t cs;
	uw_module_t m;
	uw_range_t r;
	int depth, t;

	pc = (uintptr_t)g[REG_RIP];
	sp = (uintptr_t)g[REG_RSP];
	for (t = 0; t < UW_NTRACK; t++)
		regs[t] = gr[t] >= 0 ? (uintptr_t)g[gr[t]] : 0;
	if (!uw_range_for(sp, &r))
		return (0);
	for (depth = 0; depth < (int)KMEM_STACK_MAX; depth++) {
		if (pc == target && depth > 0)
			break;
		/* getcontext's pc, like every other, is a return address. */
		if (!uw_module_lookup(pc - 1, &m) ||
		    !uw_state_cfi(&m, pc - 1, &cs) || cs.cs_cfa_expr != NULL)
			return (0);
		if (cs.cs_cfa_reg == UW_DW_RSP)
			cfa = sp + (uintptr_t)cs.cs_cfa_off;
		else if (cs.cs_cfa_reg == UW_DW_RBP)
			cfa = regs[UW_TR_FP] + (uintptr_t)cs.cs_cfa_off;
		else
			return (0);
		if (cs.cs_reg[UW_TR_RA].rr_kind != UW_RR_OFFSET)
			return (0);
		for (t = 0; t < UW_NTRACK; t++) {
			uintptr_t a = cfa + (uintptr_t)cs.cs_reg[t].rr_off;

			if (cs.cs_reg[t].rr_kind != UW_RR_OFFSET)
				continue;       /* same value (or unknown) */
			if (a < r.ur_lo || a + 8 > r.ur_hi)
				return (0);
			if (t == UW_TR_RA)
				ra = *(const uintptr_t *)a;
			else
				regs[t] = *(const uintptr_t *)a;
		}
		if (cfa <= sp || cfa > r.ur_hi)
			return (0);
		sp = cfa;
		pc = ra;
	}
	if (pc != target)
		return (0);
	g[REG_RIP] = (greg_t)pc;
	g[REG_RSP] = (greg_t)sp;
	for (t = 0; t < UW_NTRACK; t++)
		if (gr[t] >= 0)
			g[gr[t]] = (greg_t)regs[t];
	return (1);
}

#else	/* !(__x86_64__ && __linux__): frame records only (section 8) */

int
st_stack_replay(int on)
{
	(void) on;
	return (0);	/* no replay here */
}

/* Walk fp records {saved fp, return address} inside the stack range. */
static uint32_t
uw_walk_fp(uintptr_t fp, uintptr_t sp, uintptr_t *pcs, uint32_t n,
    uint32_t max, uint32_t skip)
{
	uw_range_t r;
	uintptr_t ra;

	if (!uw_range_for(sp, &r))
		return (n);
	while (n < max && fp >= sp && (fp & 7) == 0 &&
	    fp + 2 * sizeof (uintptr_t) <= r.ur_hi) {
		ra = ((const uintptr_t *)fp)[1];
		if (ra < UW_MINPC)
			break;
		if (skip > 0)
			skip--;
		else
			pcs[n++] = ra;
		sp = fp + 2 * sizeof (uintptr_t);
		fp = ((const uintptr_t *)fp)[0];
	}
	return (n);
}

uint32_t
st_stack_capture(uintptr_t *pcs, uint32_t max, uint32_t skip)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	return (uw_walk_fp(fp, fp, pcs, 0, max, skip));
}

uint32_t
st_stack_capture_id(uint32_t max, uint32_t skip, uint32_t *np)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t pcs[KMEM_STACK_MAX];

	if (max > KMEM_STACK_MAX)
		max = KMEM_STACK_MAX;
	*np = uw_walk_fp(fp, fp, pcs, 0, max, skip);
	return (st_depot_put(pcs, *np));
}

uint32_t
st_stack_capture_uc(const void *ucp, uintptr_t *pcs, uint32_t max)
{
#if defined(__aarch64__) && defined(__linux__)
	const ucontext_t *uc = ucp;

	if (uc == NULL || max == 0)
		return (0);
	pcs[0] = (uintptr_t)uc->uc_mcontext.pc;
	return (uw_walk_fp((uintptr_t)uc->uc_mcontext.regs[29],
	    (uintptr_t)uc->uc_mcontext.sp, pcs, 1, max, 0));
#else
	(void) ucp; (void) pcs; (void) max;
	return (0);
#endif
}

int
st_uc_unwind_to(void *ucp, uintptr_t target)
{
	(void) ucp; (void) target;
	return (0);
}

#endif	/* __x86_64__ && __linux__ */

/* The general registers of a signal's context, for reports: the count. */
uint32_t
st_uc_regs(const void *ucv, uintptr_t *regs)
{
#if defined(__x86_64__) && defined(__linux__)
	const ucontext_t *uc = ucv;
	uint32_t i, n = 0;

	for (i = REG_R8; i <= REG_RCX && n < ST_UC_NREGS; i++)
		regs[n++] = (uintptr_t)uc->uc_mcontext.gregs[i];
	return (n);
#else
	(void) ucv;
	(void) regs;
	return (0);
#endif
}
