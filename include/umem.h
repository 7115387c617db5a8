/*
 * umem.h: libumem's interface, so that code written for Solaris/illumos
 * libumem builds unchanged against slabtrace (-lslabtrace).
 */
#ifndef _UMEM_H
#define _UMEM_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMEM_DEFAULT    0x0000  /* may return NULL */
#define UMEM_NOFAIL     0x0100  /* never returns NULL: see umem_nofail_callback */

typedef struct umem_cache umem_cache_t;
#ifndef _VMEM_T_DEFINED
#define _VMEM_T_DEFINED
typedef struct vmem vmem_t;
#endif

typedef int umem_constructor_t(void *buf, void *arg, int umflag);
typedef void umem_destructor_t(void *buf, void *arg);
typedef void umem_reclaim_t(void *arg);

/* What a nofail callback returns: retry, or exit(status). */
typedef int umem_nofail_callback_t(void);
#define UMEM_CALLBACK_RETRY             0
#define UMEM_CALLBACK_EXIT(status)      (0x100 | ((status) & 0xFF))

/* umem_cache_create() flags. */
#define UMC_NOTOUCH     0x00010000
#define UMC_NODEBUG     0x00020000
#define UMC_NOMAGAZINE  0x00040000
#define UMC_NOHASH      0x00080000

void *umem_alloc(size_t size, int umflag);
void *umem_alloc_align(size_t size, size_t align, int umflag);
void *umem_zalloc(size_t size, int umflag);
void umem_free(void *buf, size_t size);
void umem_free_align(void *buf, size_t size);

void umem_nofail_callback(umem_nofail_callback_t *cb);

umem_cache_t *umem_cache_create(char *name, size_t bufsize, size_t align,
    umem_constructor_t *constructor, umem_destructor_t *destructor,
    umem_reclaim_t *reclaim, void *arg, vmem_t *source, int cflags);
void umem_cache_destroy(umem_cache_t *cp);
void *umem_cache_alloc(umem_cache_t *cp, int umflag);
void umem_cache_free(umem_cache_t *cp, void *buf);

void umem_reap(void);
int umem_verify(void);          /* kmem_verify(3): the whole heap now */
int umem_leakcheck(void);       /* kmem_leakcheck(3): leaks now */

#ifdef __cplusplus
}
#endif

#endif /* _UMEM_H */
