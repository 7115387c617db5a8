/*
 * audit_stack: built with -O2 -fomit-frame-pointer, a malloc reached
 * through five named functions shows all five in the audit stack (the CFI
 * unwinder: no frame pointers to follow), each with its file and line,
 * the stack starting at the program's call (free, malloc); verbose keeps
 * the allocator's own frames above it.
 *
 * cflags: -O2 -fomit-frame-pointer
 * variants: plain verbose
 * env-verbose: UMEM_DEBUG=default,verbose
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*free\+0x[0-9a-f]+(  \(libslabtrace\.so\)|  .*malloc\.c:[0-9]+)
 * expect: \s*level5\+0x[0-9a-f]+  (.+/)?audit_stack\.c:46
 * expect: \s*level4\+0x[0-9a-f]+  (.+/)?audit_stack\.c:49
 * expect: \s*level3\+0x[0-9a-f]+  (.+/)?audit_stack\.c:50
 * expect: \s*level2\+0x[0-9a-f]+  (.+/)?audit_stack\.c:51
 * expect: \s*level1\+0x[0-9a-f]+  (.+/)?audit_stack\.c:52
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?audit_stack\.c:57
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: \s*malloc\+0x[0-9a-f]+(  .*)?
 * expect: \s*level5\+0x[0-9a-f]+  (.+/)?audit_stack\.c:41
 * expect: \s*level4\+0x[0-9a-f]+(  .*)?
 * expect: \s*level3\+0x[0-9a-f]+(  .*)?
 * expect: \s*level2\+0x[0-9a-f]+(  .*)?
 * expect: \s*level1\+0x[0-9a-f]+(  .*)?
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?audit_stack\.c:57
 * expect-verbose: \s*kmem_cache_free_debug\+0x[0-9a-f]+(  .*)?
 * gdb-top: level5
 */
#include <stdlib.h>

static void *volatile kept;
#define STEP(me, next) \
	__attribute__((noinline)) void me(int n) { next(n + 1); \
	__asm__ volatile("" ::: "memory"); }

__attribute__((noinline)) void
level5(int n)
{
	void *p = malloc(32 + (size_t)n);

	if (kept != NULL)
		free(kept);
	kept = p;
	free(p);
	__asm__ volatile("" ::: "memory");
}
STEP(level4, level5)
STEP(level3, level4)
STEP(level2, level3)
STEP(level1, level2)

int
main(void)
{
	level1(0);
	level1(0);                      /* frees kept again: the bug */
	return (0);
}
