/*
 * test_replay.c: the unwinder's replay of its last walks (unwind.c,
 * section 3) must give exactly the stacks a full walk gives.
 *
 * Every capture is made twice from one call site, with replay off (the
 * reference: the plain walk) and on, and with both entry points: the pcs
 * must be the same, and the depot id's stack the reference's.  The call
 * chains above are built at random from a few shapes, so that a chain
 * comes back often (whole replays, ids reused) and changes in one place
 * at a time:
 *   - frames of the same size from different call sites (only the
 *     return address tells them apart), at any depth;
 *   - frames with a frame pointer (their CFA comes from rbp) and with a
 *     variable-length array (the sp of every frame below moves);
 *   - a frame that keeps a value of its own in rbp across its call (the
 *     frames below save it: a saved rbp that differs where nothing else
 *     does, which replay must ignore unless a frame's CFA needs it);
 *   - a hand-written frame whose CFA comes from rbp, which it points at
 *     one of two records {saved rbp, return address} in its caller's
 *     frame: the same pc and sp, another rbp, another caller (the only
 *     frame where rbp alone decides, which replay must see);
 *   - max and skip at random, the capture cut at any frame.
 * Meanwhile a 40 us timer's handler captures both ways (it may own the
 * traces or interrupt a capture that does), and for part of the run
 * siglongjmps out of the main loop's captures, in the middle of writing
 * a trace.
 *
 * timeout: 180
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slabtrace_impl.h"
#include "check.h"
#include "proftimer.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NOFP __attribute__((noinline, noclone, optimize("omit-frame-pointer")))
#define WITHFP __attribute__((noinline, noclone, \
	optimize("no-omit-frame-pointer")))
#else
#define NOFP __attribute__((noinline))
#define WITHFP __attribute__((noinline))
#endif

#define RP_DEPTH	64	/* pcs kept */
#define RP_LEVELS	24	/* frames built above the capture, at most */
#define RP_SHAPES	4
#define RP_CAPTURES	150000

enum { K_A, K_B, K_FP, K_VLA, K_RBP, K_PTR, K_FORGE, K_NKINDS };

typedef struct rp_shape {
	int rs_levels;
	uint8_t rs_kind[RP_LEVELS];
	uint16_t rs_vla[RP_LEVELS];	/* bytes, for K_VLA */
	uint32_t rs_max;
	uint32_t rs_skip;
} rp_shape_t;

typedef struct rp_run {
	const rp_shape_t *rr_shape;
	uintptr_t rr_rbp;		/* what K_RBP frames keep in rbp */
	uintptr_t rr_pcs[2][RP_DEPTH];
	uint32_t rr_n[2];
	uint32_t rr_id[2];
	uint32_t rr_idn[2];
	uintptr_t rr_idpcs[RP_DEPTH];	/* the reference for ids */
	uint32_t rr_idref;
} rp_run_t;

static volatile int sink;
static unsigned long rp_bad, rp_badid, rp_sigs, rp_sigbad, rp_jumps;
static volatile int rp_jump;
static sigjmp_buf rp_env;

uint32_t rp_next(rp_run_t *r, int d);

/*
 * Both ways from one call site each: the plain walk first.  The capture
 * for the id comes from a second call site, so the reference for it is a
 * plain capture from there too (rr_idpcs).
 */
NOFP uint32_t
rp_leaf(rp_run_t *r)
{
	const rp_shape_t *s = r->rr_shape;
	int pass, old = st_stack_replay(0);

	for (pass = 0; pass < 2; pass++) {
		(void) st_stack_replay(pass);
		r->rr_n[pass] = st_stack_capture(r->rr_pcs[pass], s->rs_max,
		    s->rs_skip);
		if (pass == 0)
			r->rr_idref = st_stack_capture(r->rr_idpcs, s->rs_max,
			    s->rs_skip);
		else
			r->rr_id[pass] = st_stack_capture_id(s->rs_max,
			    s->rs_skip, &r->rr_idn[pass]);
	}
	(void) st_stack_replay(old);
	sink += (int)r->rr_n[1];
	return (r->rr_n[0]);
}

/* Two frames alike but for their call sites (and constants). */
NOFP uint32_t
rp_a(rp_run_t *r, int d)
{
	uint32_t n = rp_next(r, d + 1);

	sink += (int)n * 3;
	return (n);
}

NOFP uint32_t
rp_b(rp_run_t *r, int d)
{
	uint32_t n = rp_next(r, d + 1);

	sink += (int)n * 5;
	return (n);
}

/* A frame pointer: this frame's CFA comes from rbp. */
WITHFP uint32_t
rp_fp(rp_run_t *r, int d)
{
	uint32_t n = rp_next(r, d + 1);

	sink += (int)n * 7;
	return (n);
}

/* A variable-length array: every frame below moves with its size. */
WITHFP uint32_t
rp_vla(rp_run_t *r, int d)
{
	volatile char buf[r->rr_shape->rs_vla[d] + 1];
	uint32_t n;

	buf[0] = (char)d;
	n = rp_next(r, d + 1);
	sink += (int)n * 11 + buf[0];
	return (n);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* rbp holds rr_rbp across the call: the frames below save it. */
NOFP uint32_t
rp_rbp(rp_run_t *r, int d)
{
	register uintptr_t v __asm__("rbp") = r->rr_rbp;
	uint32_t n;

	__asm__ volatile ("" : "+r" (v));
	n = rp_next(r, d + 1);
	__asm__ volatile ("" : : "r" (v));
	sink += (int)n * 13;
	return (n);
}
#else
NOFP uint32_t
rp_rbp(rp_run_t *r, int d)
{
	uint32_t n = rp_next(r, d + 1);

	sink += (int)n * 13 + (int)r->rr_rbp;
	return (n);
}
#endif

/* rp_a or rp_b, through a pointer, from one call site. */
NOFP uint32_t
rp_ptr(rp_run_t *r, int d)
{
	uint32_t (*volatile f)(rp_run_t *, int) = (r->rr_rbp & 1) ? rp_a :
	    rp_b;
	uint32_t n = f(r, d + 1);

	sink += (int)n * 17;
	return (n);
}

#if defined(__x86_64__)
/*
 * rp_fake(r, d, rec): rp_next(r, d) with rbp = rec and the CFI saying
 * CFA = rbp + 16, so the unwinder takes rec[1] for the return address
 * and rec + 2 for the caller's sp.
 */
uint32_t rp_fake(rp_run_t *r, int d, uintptr_t *rec);
__asm__(
	".text\n"
	".globl rp_fake\n"
	".type rp_fake, @function\n"
	"rp_fake:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %rbp, -16\n"
	"	movq %rdx, %rbp\n"
	"	.cfi_def_cfa %rbp, 16\n"
	"	call rp_next\n"
	"	.cfi_def_cfa %rsp, 16\n"
	"	popq %rbp\n"
	"	.cfi_def_cfa_offset 8\n"
	"	.cfi_restore %rbp\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size rp_fake, .-rp_fake\n");

static uintptr_t rp_somepc;	/* a return address, into rp_small */

/*
 * Two records: one leads on to rp_somepc, whose frame (16 bytes) ends at
 * w[3], 0, where the stack ends; the other ends the stack at once
 * (return address 0).  Both are filled every time, so a capture through
 * one finds the other's words where an earlier capture through it read
 * them.  (Nothing past w may be read: those words change, the test's
 * own locals among them.)
 */
NOFP uint32_t
rp_forge(rp_run_t *r, int d)
{
	volatile uintptr_t w[8];
	uint32_t n;
	int i;

	for (i = 0; i < 8; i++)
		w[i] = 0;
	w[1] = rp_somepc;
	n = rp_fake(r, d + 1, (uintptr_t *)((r->rr_rbp & 2) ? &w[4] : &w[0]));
	sink += (int)n * 19 + (int)w[2];
	return (n);
}
#else
NOFP uint32_t
rp_forge(rp_run_t *r, int d)
{
	return (rp_a(r, d));
}
#endif

NOFP uint32_t
rp_next(rp_run_t *r, int d)
{
	const rp_shape_t *s = r->rr_shape;

	if (d >= s->rs_levels)
		return (rp_leaf(r));
	switch (s->rs_kind[d]) {
	case K_A:
		return (rp_a(r, d));
	case K_B:
		return (rp_b(r, d));
	case K_FP:
		return (rp_fp(r, d));
	case K_VLA:
		return (rp_vla(r, d));
	case K_RBP:
		return (rp_rbp(r, d));
	case K_FORGE:
		return (rp_forge(r, d));
	default:
		return (rp_ptr(r, d));
	}
}

static uint64_t
rp_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

static void
rp_shape_new(rp_shape_t *s, uint64_t *x)
{
	int i;

	s->rs_levels = (int)(rp_rand(x) % RP_LEVELS);
	for (i = 0; i < RP_LEVELS; i++) {
		s->rs_kind[i] = (uint8_t)(rp_rand(x) % K_NKINDS);
		s->rs_vla[i] = (uint16_t)(rp_rand(x) % 512);
	}
	/* Often the default audit depth, else anything. */
	s->rs_max = (rp_rand(x) & 1) ? 15 : 1 + (uint32_t)(rp_rand(x) % 40);
	s->rs_skip = (rp_rand(x) & 3) == 0 ? (uint32_t)(rp_rand(x) % 4) : 1;
}

/* One small change: a kind, a size, the depth, max or skip. */
static void
rp_shape_nudge(rp_shape_t *s, uint64_t *x)
{
	int i = (int)(rp_rand(x) % RP_LEVELS);

	switch (rp_rand(x) % 5) {
	case 0:
		s->rs_kind[i] = (uint8_t)(rp_rand(x) % K_NKINDS);
		break;
	case 1:
		s->rs_vla[i] = (uint16_t)(rp_rand(x) % 512);
		break;
	case 2:
		s->rs_levels = (int)(rp_rand(x) % RP_LEVELS);
		break;
	case 3:
		s->rs_max = 1 + (uint32_t)(rp_rand(x) % 40);
		break;
	default:
		s->rs_skip = (uint32_t)(rp_rand(x) % 4);
		break;
	}
}

static void
rp_dump(const char *what, const uintptr_t *pcs, uint32_t n)
{
	uint32_t i;

	check_say("%s: %u frames\n", what, n);
	for (i = 0; i < n; i++)
		check_say("  %2u %#lx\n", i, (unsigned long)pcs[i]);
}

/* Did both ways agree?  1 if so; the first disagreement is shown. */
static int
rp_check(const rp_run_t *r, const char *where)
{
	uint32_t n;
	const uintptr_t *pcs;
	int same = r->rr_n[0] == r->rr_n[1] && memcmp(r->rr_pcs[0],
	    r->rr_pcs[1], r->rr_n[0] * sizeof (uintptr_t)) == 0;
	int idok;

	/*
	 * The id's stack: the reference from the second call site.  With
	 * skip 0, pcs[0] is the call site itself (in rp_leaf), which differs.
	 */
	pcs = st_depot_get(r->rr_id[1], &n);
	idok = r->rr_idn[1] == r->rr_idref && (r->rr_idref == 0 ||
	    (pcs != NULL && n == r->rr_idref && memcmp(pcs +
	    (r->rr_shape->rs_skip == 0), r->rr_idpcs + (r->rr_shape->rs_skip ==
	    0), (n - (r->rr_shape->rs_skip == 0)) * sizeof (uintptr_t)) == 0));
	if (!same && rp_bad++ == 0) {
		check_say("replay (%s): levels %d max %u skip %u\n", where,
		    r->rr_shape->rs_levels, r->rr_shape->rs_max,
		    r->rr_shape->rs_skip);
		rp_dump("plain", r->rr_pcs[0], r->rr_n[0]);
		rp_dump("replayed", r->rr_pcs[1], r->rr_n[1]);
	}
	if (!idok && rp_badid++ == 0) {
		check_say("replay id (%s): id %u, %u frames, %u expected\n",
		    where, r->rr_id[1], r->rr_idn[1], r->rr_idref);
		rp_dump("expected", r->rr_idpcs, r->rr_idref);
		if (pcs != NULL)
			rp_dump("id's", pcs, n);
	}
	return (same && idok);
}

static rp_shape_t rp_sigshape[RP_SHAPES];

static void
rp_handler(int sig)
{
	static uint64_t hx = 0x9e3779b97f4a7c15ULL;
	rp_run_t r;

	(void) sig;
	rp_sigs++;
	memset(&r, 0, sizeof (r));
	r.rr_shape = &rp_sigshape[rp_rand(&hx) % RP_SHAPES];
	r.rr_rbp = rp_rand(&hx);
	(void) rp_next(&r, 0);
	if (!rp_check(&r, "in the handler"))
		rp_sigbad++;
	if (rp_jump && (rp_sigs & 1)) {
		rp_jumps++;
		siglongjmp(rp_env, 1);
	}
}

NOFP uintptr_t
rp_ra(void)
{
	return ((uintptr_t)__builtin_return_address(0));
}

NOFP uintptr_t
rp_small(void)
{
	uintptr_t pc = rp_ra();

	sink++;
	return (pc);
}

int
main(void)
{
	static rp_shape_t shapes[RP_SHAPES];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	volatile unsigned long i;
	unsigned long bad = 0;
	timer_t tid;
	int k;

#if defined(__x86_64__)
	rp_somepc = rp_small();
#endif
	for (k = 0; k < RP_SHAPES; k++) {
		rp_shape_new(&shapes[k], &x);
		rp_shape_new(&rp_sigshape[k], &x);
	}
	tid = prof_timer(rp_handler, NULL, 40000);
	for (i = 0; i < 2 * RP_CAPTURES; i++) {
		rp_run_t r;
		uint64_t c;

		rp_jump = 0;
		if (i >= RP_CAPTURES && sigsetjmp(rp_env, 1) != 0)
			continue;
		rp_jump = i >= RP_CAPTURES;
		c = rp_rand(&x);
		k = (int)(c % RP_SHAPES);
		/* Mostly the shape again; now and then a change in it. */
		if ((c >> 8) % 16 == 0)
			rp_shape_nudge(&shapes[k], &x);
		else if ((c >> 8) % 509 == 0)
			rp_shape_new(&shapes[k], &x);
		memset(&r, 0, sizeof (r));
		r.rr_shape = &shapes[k];
		/* rbp's value: the same for runs of captures, then another. */
		r.rr_rbp = (c >> 20) % 4 == 0 ? rp_rand(&x) : 0x1234;
		(void) rp_next(&r, 0);
		bad += !rp_check(&r, "main loop");
	}
	timer_delete(tid);
	signal(SIGPROF, SIG_DFL);
	check_say("replay: %lu captures, %lu in handlers, %lu jumps\n",
	    (unsigned long)i, rp_sigs, rp_jumps);
	CHECKF(bad == 0, "replay: %lu captures differ (%lu stacks, %lu ids)",
	    bad, rp_bad, rp_badid);
	CHECKF(rp_sigbad == 0, "replay: %lu handler captures differ",
	    rp_sigbad);
	CHECK(rp_sigs > 100 && rp_jumps > 10);
	return (check_status());
}
