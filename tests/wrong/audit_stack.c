/*
 * audit_stack: built with -O2 -fomit-frame-pointer, a malloc reached
 * through five named functions shows all five in the audit stack (the CFI
 * unwinder: no frame pointers to follow).
 *
 * cflags: -O2 -fomit-frame-pointer
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: kmem_cache_free_debug\+0x[0-9a-f]+
 * expect: free\+0x[0-9a-f]+
 * expect: level5\+0x[0-9a-f]+
 * expect: level4\+0x[0-9a-f]+
 * expect: level3\+0x[0-9a-f]+
 * expect: level2\+0x[0-9a-f]+
 * expect: level1\+0x[0-9a-f]+
 * expect: main\+0x[0-9a-f]+
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: malloc\+0x[0-9a-f]+
 * expect: level5\+0x[0-9a-f]+
 * expect: level4\+0x[0-9a-f]+
 * expect: level3\+0x[0-9a-f]+
 * expect: level2\+0x[0-9a-f]+
 * expect: level1\+0x[0-9a-f]+
 * expect: main\+0x[0-9a-f]+
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
