/*
 * headers_cxx: <umem.h> and <slabtrace.h> compile as C++ (they once named
 * a parameter `private`), together, without a warning, and their caches
 * work from C++: a constructor, a destructor and a private argument.
 * tests/integration/headers_cxx.sh compiles this file with clang++ too.
 *
 * modes: static
 * cflags: -Werror
 */
#include <umem.h>
#include <slabtrace.h>

#include "check.h"

struct Obj {
	unsigned o_magic;
	int *o_count;
};

static int
obj_ctor(void *buf, void *arg, int flags)
{
	Obj *o = static_cast<Obj *>(buf);

	(void) flags;
	o->o_magic = 0x0b1ec7u;
	o->o_count = static_cast<int *>(arg);
	++*o->o_count;
	return (0);
}

static void
obj_dtor(void *buf, void *arg)
{
	Obj *o = static_cast<Obj *>(buf);

	--*static_cast<int *>(arg);
	o->o_magic = 0;
}

int
main()
{
	static char name[] = "headers_cxx";
	int live = 0;
	umem_cache_t *uc = umem_cache_create(name, sizeof (Obj), 0, obj_ctor,
	    obj_dtor, nullptr, &live, nullptr, 0);
	kmem_cache_t *kc = kmem_cache_create("headers_cxx_k", sizeof (Obj), 0,
	    obj_ctor, obj_dtor, nullptr, &live, nullptr, 0);

	REQUIRE(uc != nullptr && kc != nullptr);
	Obj *a = static_cast<Obj *>(umem_cache_alloc(uc, UMEM_DEFAULT));
	Obj *b = static_cast<Obj *>(kmem_cache_alloc(kc, KM_SLEEP));
	REQUIRE(a != nullptr && b != nullptr);
	CHECK(a->o_magic == 0x0b1ec7u && a->o_count == &live);
	CHECK(b->o_magic == 0x0b1ec7u && b->o_count == &live);
	CHECK(live >= 2);
	umem_cache_free(uc, a);
	kmem_cache_free(kc, b);
	umem_cache_destroy(uc);
	kmem_cache_destroy(kc);
	CHECK(live == 0);
	return (check_status());
}
