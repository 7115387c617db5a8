/*
 * umem.c: libumem's interface over kmem, so that code written for libumem
 * builds and runs unchanged.
 *
 * umem_cache_t is kmem_cache_t under libumem's name; the UMC_* flags have
 * the KMC_* values.  UMEM_DEFAULT allocations may fail; UMEM_NOFAIL ones
 * call the nofail callback when memory runs out: UMEM_CALLBACK_RETRY tries
 * again, UMEM_CALLBACK_EXIT(status) exits with status (libumem's default
 * callback exits with 255).
 */
#include <stdlib.h>
#include <string.h>

#include "slabtrace_impl.h"
#include "umem.h"

#define ST_EXPORT       __attribute__((visibility("default")))

static umem_nofail_callback_t *umem_nofail_cb;

ST_EXPORT void
umem_nofail_callback(umem_nofail_callback_t *cb)
{
	__atomic_store_n(&umem_nofail_cb, cb, __ATOMIC_RELEASE);
}

/* An allocation failed: NULL for UMEM_DEFAULT, else retry or exit. */
static int
umem_retry(int umflag)
{
	umem_nofail_callback_t *cb;
	int rc;

	if (!(umflag & UMEM_NOFAIL))
		return (0);
	cb = __atomic_load_n(&umem_nofail_cb, __ATOMIC_ACQUIRE);
	rc = cb != NULL ? cb() : UMEM_CALLBACK_EXIT(255);
	if (rc == UMEM_CALLBACK_RETRY) {
		kmem_reap();
		return (1);
	}
	exit(rc & 0xff);
}

ST_EXPORT void *
umem_alloc(size_t size, int umflag)
{
	void *buf;

	if (size == 0)
		return (NULL);
	do {
		buf = kmem_alloc_kind(size, KM_NOSLEEP, ST_KIND_UMEM);
	} while (buf == NULL && umem_retry(umflag));
	return (buf);
}

ST_EXPORT void *
umem_zalloc(size_t size, int umflag)
{
	void *buf = umem_alloc(size, umflag);

	if (buf != NULL)
		memset(buf, 0, size);
	return (buf);
}

ST_EXPORT void
umem_free(void *buf, size_t size)
{
	kmem_free_kind(buf, size, ST_KIND_UMEM, "umem_free");
}

ST_EXPORT void *
umem_alloc_align(size_t size, size_t align, int umflag)
{
	void *buf;

	if (size == 0 || align == 0 || !ST_ISP2(align))
		return (NULL);
	do {
		buf = st_malloc_internal(size, align, ST_KIND_UMEM);
	} while (buf == NULL && umem_retry(umflag));
	return (buf);
}

ST_EXPORT void
umem_free_align(void *buf, size_t size)
{
	st_free_internal(buf, size, ST_KIND_UMEM, "umem_free_align");
}

ST_EXPORT umem_cache_t *
umem_cache_create(char *name, size_t bufsize, size_t align,
    umem_constructor_t *constructor, umem_destructor_t *destructor,
    umem_reclaim_t *reclaim, void *private, vmem_t *source, int cflags)
{
	return ((umem_cache_t *)kmem_cache_create(name, bufsize, align,
	    constructor, destructor, reclaim, private, source, cflags));
}

ST_EXPORT void
umem_cache_destroy(umem_cache_t *cp)
{
	kmem_cache_destroy((kmem_cache_t *)cp);
}

ST_EXPORT void *
umem_cache_alloc(umem_cache_t *cp, int umflag)
{
	void *buf;

	do {
		buf = kmem_cache_alloc((kmem_cache_t *)cp, KM_NOSLEEP);
	} while (buf == NULL && umem_retry(umflag));
	return (buf);
}

ST_EXPORT void
umem_cache_free(umem_cache_t *cp, void *buf)
{
	kmem_cache_free((kmem_cache_t *)cp, buf);
}

ST_EXPORT void
umem_reap(void)
{
	kmem_reap();
}
