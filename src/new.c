/*
 * new.c: C++'s operator new and delete, every form, written in C under
 * their Itanium-ABI mangled names so that the library needs no C++ runtime
 * and a C++ program's allocations come to kmem like malloc's.
 *
 * 1. Failure.  operator new loops as the standard says: while allocation
 *    fails, call the installed new_handler (std::get_new_handler()); with
 *    none, throw std::bad_alloc (std::__throw_bad_alloc()).  Both are
 *    libstdc++ functions referenced weakly: a C++ program has them; a C
 *    program never calls operator new.  This file is compiled with
 *    -fexceptions so that the exception unwinds through it.
 *    The nothrow forms return NULL where the throwing ones would throw; a
 *    new_handler that itself throws from a nothrow new cannot be caught in
 *    C, so it terminates the program instead of returning NULL.
 *
 * 2. Deletes.  Sized and aligned deletes free like free(); the page map
 *    knows the size and the cache.  When debugging, each form passes its
 *    kind (new, new[], aligned) and a sized delete its size, so that
 *    delete of new[] memory, free of new memory, or a wrong size is
 *    reported (KMERR_BADROUTINE, KMERR_BADSIZE).
 */
#include <stddef.h>
#include <stdlib.h>

#include "slabtrace_impl.h"

#define ST_EXPORT       __attribute__((visibility("default")))

typedef void (*st_new_handler_t)(void);
extern st_new_handler_t _ZSt15get_new_handlerv(void) __attribute__((weak));
extern void _ZSt17__throw_bad_allocv(void) __attribute__((weak, noreturn));

/* Inlined into the exported function: its caller, for lite mode. */
static inline __attribute__((always_inline)) void *
st_new(size_t size, size_t align, st_kind_t kind, int nothrow)
{
	if (ST_UNLIKELY(kmem_debugging))
		kmem_caller = (uintptr_t)__builtin_return_address(0);
	for (;;) {
		void *buf = st_malloc_internal(size, align, kind);
		st_new_handler_t handler;

		if (ST_LIKELY(buf != NULL))
			return (buf);
		handler = _ZSt15get_new_handlerv != NULL ?
		    _ZSt15get_new_handlerv() : NULL;
		if (handler != NULL) {
			handler();
			continue;
		}
		if (nothrow)
			return (NULL);
		if (_ZSt17__throw_bad_allocv != NULL)
			_ZSt17__throw_bad_allocv();
		st_printf(2, "slabtrace: operator new(%zu): out of memory\n",
		    size);
		st_os_abort();
	}
}

#define NEW(name, ...)  ST_EXPORT void *name(__VA_ARGS__)
#define DEL(name, ...)  ST_EXPORT void name(__VA_ARGS__)
#define K_NEW           ST_KIND_NEW
#define K_NEWA          ST_KIND_NEW_ARRAY
#define K_NEW_AL        ST_KIND_NEW_ALIGNED
#define K_NEWA_AL       ST_KIND_NEW_ARRAY_ALIGNED
#define DELETE(p, n, k, what)   do {                                   \
	if (ST_UNLIKELY(kmem_debugging))                               \
		kmem_caller = (uintptr_t)__builtin_return_address(0);   \
	st_free_internal(p, n, k, what);                               \
} while (0)

/* operator new / new[] (size), nothrow, aligned, aligned nothrow */
NEW(_Znwm, size_t n) { return (st_new(n, 0, K_NEW, 0)); }
NEW(_Znam, size_t n) { return (st_new(n, 0, K_NEWA, 0)); }
NEW(_ZnwmRKSt9nothrow_t, size_t n, const void *t)
{ (void) t; return (st_new(n, 0, K_NEW, 1)); }
NEW(_ZnamRKSt9nothrow_t, size_t n, const void *t)
{ (void) t; return (st_new(n, 0, K_NEWA, 1)); }
NEW(_ZnwmSt11align_val_t, size_t n, size_t a)
{ return (st_new(n, a, K_NEW_AL, 0)); }
NEW(_ZnamSt11align_val_t, size_t n, size_t a)
{ return (st_new(n, a, K_NEWA_AL, 0)); }
NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, size_t n, size_t a, const void *t)
{ (void) t; return (st_new(n, a, K_NEW_AL, 1)); }
NEW(_ZnamSt11align_val_tRKSt9nothrow_t, size_t n, size_t a, const void *t)
{ (void) t; return (st_new(n, a, K_NEWA_AL, 1)); }

/*
 * operator delete / delete[]: plain, sized, nothrow, aligned, and mixes.
 * A sized delete passes its size, checked against new's when debugging
 * (a size of 0 would mean "not given", so it is passed as 1: new(0)
 * records 0 and the mismatch is caught).
 */
#define SZ(n)   ((n) != 0 ? (n) : 1)
DEL(_ZdlPv, void *p) { DELETE(p, 0, K_NEW, "operator delete"); }
DEL(_ZdaPv, void *p) { DELETE(p, 0, K_NEWA, "operator delete[]"); }
DEL(_ZdlPvm, void *p, size_t n)
{ DELETE(p, SZ(n), K_NEW, "operator delete"); }
DEL(_ZdaPvm, void *p, size_t n)
{ DELETE(p, SZ(n), K_NEWA, "operator delete[]"); }
DEL(_ZdlPvRKSt9nothrow_t, void *p, const void *t)
{ (void) t; DELETE(p, 0, K_NEW, "operator delete"); }
DEL(_ZdaPvRKSt9nothrow_t, void *p, const void *t)
{ (void) t; DELETE(p, 0, K_NEWA, "operator delete[]"); }
DEL(_ZdlPvSt11align_val_t, void *p, size_t a)
{ (void) a; DELETE(p, 0, K_NEW_AL, "operator delete(align_val_t)"); }
DEL(_ZdaPvSt11align_val_t, void *p, size_t a)
{ (void) a; DELETE(p, 0, K_NEWA_AL, "operator delete[](align_val_t)"); }
DEL(_ZdlPvmSt11align_val_t, void *p, size_t n, size_t a)
{ (void) a; DELETE(p, SZ(n), K_NEW_AL, "operator delete(align_val_t)"); }
DEL(_ZdaPvmSt11align_val_t, void *p, size_t n, size_t a)
{ (void) a; DELETE(p, SZ(n), K_NEWA_AL, "operator delete[](align_val_t)"); }
DEL(_ZdlPvSt11align_val_tRKSt9nothrow_t, void *p, size_t a, const void *t)
{ (void) a; (void) t; DELETE(p, 0, K_NEW_AL, "operator delete(align_val_t)"); }
DEL(_ZdaPvSt11align_val_tRKSt9nothrow_t, void *p, size_t a, const void *t)
{
	(void) a; (void) t;
	DELETE(p, 0, K_NEWA_AL, "operator delete[](align_val_t)");
}
