/*
 * kmem_api: the kernel's object-cache interface (kmem_cache_*, kmem_alloc,
 * kmem_cache_walk, kmem_stats_print) as a program sees it.
 *
 * modes: static
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slabtrace.h"
#include "check.h"

#define CTOR_MAGIC	0xC0C0C0C0C0C0C0C0ULL
#define DEAD_MAGIC	0xDEADDEADDEADDEADULL

enum obj_state { OBJ_CONSTRUCTED = 0x1234, OBJ_INUSE = 0x5678 };

struct obj {
	uint64_t o_magic;
	void *o_self;
	uint32_t o_state;
	uint32_t o_serial;
	unsigned char o_payload[];
};

struct counts {
	long c_ctor;
	long c_dtor;
	long c_bad_private;
	long c_bad_dtor;	/* destructor saw an unconstructed buffer */
	int c_fail;		/* make the constructor fail */
};

static int
obj_ctor(void *buf, void *private, int kmflag)
{
	struct counts *c = private;
	struct obj *o = buf;

	(void) kmflag;
	if (c == NULL) {
		return (-1);
	}
	if (c->c_fail)
		return (-1);
	o->o_magic = CTOR_MAGIC;
	o->o_self = buf;
	o->o_state = OBJ_CONSTRUCTED;
	c->c_ctor++;
	return (0);
}

static void
obj_dtor(void *buf, void *private)
{
	struct counts *c = private;
	struct obj *o = buf;

	if (c == NULL)
		return;
	if (o->o_magic != CTOR_MAGIC || o->o_self != buf ||
	    o->o_state != OBJ_CONSTRUCTED)
		c->c_bad_dtor++;
	o->o_magic = DEAD_MAGIC;
	c->c_dtor++;
}

/* Take an object from the cache and check it arrives constructed. */
static struct obj *
obj_get(kmem_cache_t *cp, int kmflag)
{
	struct obj *o = kmem_cache_alloc(cp, kmflag);

	REQUIRE(o != NULL);
	CHECKF(o->o_magic == CTOR_MAGIC && o->o_self == o &&
	    o->o_state == OBJ_CONSTRUCTED, "%s: buffer %p not in constructed "
	    "state (magic %#llx, self %p, state %#x)", kmem_cache_name(cp),
	    (void *)o, (unsigned long long)o->o_magic, o->o_self, o->o_state);
	o->o_state = OBJ_INUSE;
	return (o);
}

/* Objects go back in their constructed state, as kmem requires. */
static void
obj_put(kmem_cache_t *cp, struct obj *o)
{
	CHECK(o->o_state == OBJ_INUSE);
	o->o_state = OBJ_CONSTRUCTED;
	kmem_cache_free(cp, o);
}

/* A small open-addressing set of addresses. */
#define SET_SIZE	(1 << 16)
static uintptr_t addr_set[SET_SIZE];
static size_t addr_count;

static void
addr_add(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	size_t i = (a >> 3) * 0x9E3779B97F4A7C15ULL >> 48;

	while (addr_set[i] != 0) {
		if (addr_set[i] == a)
			return;
		i = (i + 1) & (SET_SIZE - 1);
	}
	addr_set[i] = a;
	addr_count++;
}

static void
addr_reset(void)
{
	memset(addr_set, 0, sizeof (addr_set));
	addr_count = 0;
}

/* Statistics of one cache, found by name with kmem_cache_walk. */
struct find {
	const char *f_name;
	kmem_cache_stat_t f_stat;
	int f_found;
};

static int
find_cb(const kmem_cache_stat_t *ks, void *arg)
{
	struct find *f = arg;

	if (strncmp(ks->kcs_name, f->f_name, sizeof (ks->kcs_name)) != 0)
		return (0);
	f->f_stat = *ks;
	f->f_found++;
	return (0);
}

static int
cache_stat(const char *name, kmem_cache_stat_t *ks)
{
	struct find f = { .f_name = name };

	kmem_cache_walk(find_cb, &f);
	CHECKF(f.f_found == 1, "kmem_cache_walk found %d caches named %s",
	    f.f_found, name);
	if (ks != NULL)
		*ks = f.f_stat;
	return (f.f_found == 1);
}

static void
test_ctor_dtor(void)
{
	static struct obj *held[2000];
	struct counts c = { 0 };
	kmem_cache_stat_t ks0, ks1;
	kmem_cache_t *cp;
	long ctor0;
	int i, j;

	cp = kmem_cache_create("st_ctor_cache", 200, 0, obj_ctor, obj_dtor,
	    NULL, &c, NULL, 0);
	REQUIRE(cp != NULL);
	CHECK(strcmp(kmem_cache_name(cp), "st_ctor_cache") == 0);
	CHECKF(kmem_cache_bufsize(cp) >= 200, "bufsize %zu",
	    kmem_cache_bufsize(cp));
	REQUIRE(cache_stat("st_ctor_cache", &ks0));
	CHECK(ks0.kcs_bufsize >= 200);

	/*
	 * alloc, free, alloc, free...: the magazine layer keeps the buffer
	 * constructed, so the constructor runs once per distinct buffer,
	 * not once per allocation.
	 */
	addr_reset();
	for (i = 0; i < 20000; i++) {
		struct obj *o = obj_get(cp, KM_SLEEP);

		addr_add(o);
		obj_put(cp, o);
	}
	REQUIRE(cache_stat("st_ctor_cache", &ks1));
	CHECKF(c.c_ctor <= (long)(addr_count > ks1.kcs_buf_total ?
	    addr_count : ks1.kcs_buf_total), "20000 alloc/free cycles over "
	    "%zu distinct buffers (%llu in slabs) ran the constructor %ld "
	    "times", addr_count, (unsigned long long)ks1.kcs_buf_total,
	    c.c_ctor);
	CHECKF(ks1.kcs_alloc >= ks0.kcs_alloc + 20000,
	    "kcs_alloc went from %llu to %llu after 20000 allocations",
	    (unsigned long long)ks0.kcs_alloc,
	    (unsigned long long)ks1.kcs_alloc);

	/* Bursts larger than any magazine: the slab layer is involved. */
	ctor0 = c.c_ctor;
	addr_reset();
	for (j = 0; j < 20; j++) {
		for (i = 0; i < 2000; i++) {
			held[i] = obj_get(cp, j % 2 ? KM_NOSLEEP : KM_SLEEP);
			held[i]->o_serial = (uint32_t)(j * 2000 + i);
			memset(held[i]->o_payload, j, 200 - sizeof (struct obj));
			addr_add(held[i]);
		}
		if (j == 0) {
			REQUIRE(cache_stat("st_ctor_cache", &ks1));
			CHECKF(ks1.kcs_buf_inuse >= 2000, "2000 buffers held, "
			    "kcs_buf_inuse %llu",
			    (unsigned long long)ks1.kcs_buf_inuse);
			CHECK(ks1.kcs_buf_total >= ks1.kcs_buf_inuse);
			CHECK(ks1.kcs_slab_bytes >= 2000 * 200);
		}
		for (i = 0; i < 2000; i++) {
			CHECKF(held[i]->o_serial == (uint32_t)(j * 2000 + i),
			    "buffer %p handed out twice", (void *)held[i]);
			obj_put(cp, held[i]);
		}
	}
	REQUIRE(cache_stat("st_ctor_cache", &ks1));
	CHECKF(c.c_ctor - ctor0 <= (long)(addr_count > ks1.kcs_buf_total ?
	    addr_count : ks1.kcs_buf_total), "20 bursts over %zu distinct "
	    "buffers ran the constructor %ld times", addr_count,
	    c.c_ctor - ctor0);
	CHECKF(c.c_ctor - c.c_dtor <= (long)ks1.kcs_buf_total,
	    "%ld constructed objects but only %llu buffers",
	    c.c_ctor - c.c_dtor, (unsigned long long)ks1.kcs_buf_total);

	/* Reaping may destroy cached objects, never live ones. */
	held[0] = obj_get(cp, KM_SLEEP);
	kmem_reap();
	held[1] = obj_get(cp, KM_SLEEP);
	CHECK(held[0]->o_state == OBJ_INUSE && held[0]->o_self == held[0]);
	obj_put(cp, held[0]);
	obj_put(cp, held[1]);

	kmem_cache_destroy(cp);
	CHECKF(c.c_dtor == c.c_ctor, "after kmem_cache_destroy: %ld "
	    "constructor calls, %ld destructor calls", c.c_ctor, c.c_dtor);
	CHECKF(c.c_bad_dtor == 0, "the destructor saw %ld buffers that "
	    "were not constructed", c.c_bad_dtor);
}

static void
test_ctor_failure(void)
{
	struct counts c = { 0 };
	kmem_cache_t *cp;
	struct obj *o;

	cp = kmem_cache_create("st_ctor_fail", 64, 0, obj_ctor, obj_dtor,
	    NULL, &c, NULL, 0);
	REQUIRE(cp != NULL);
	c.c_fail = 1;
	o = kmem_cache_alloc(cp, KM_NOSLEEP);
	CHECKF(o == NULL, "kmem_cache_alloc(KM_NOSLEEP) = %p although the "
	    "constructor failed", (void *)o);
	c.c_fail = 0;
	o = obj_get(cp, KM_NOSLEEP);
	obj_put(cp, o);
	kmem_cache_destroy(cp);
	CHECKF(c.c_dtor == c.c_ctor, "%ld constructed, %ld destroyed",
	    c.c_ctor, c.c_dtor);
}

struct span {
	unsigned char *s_addr;
	size_t s_size;
};

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return (x->s_addr < y->s_addr ? -1 : x->s_addr > y->s_addr);
}

static void
check_spans(struct span *sp, size_t n, const char *what)
{
	size_t i;

	qsort(sp, n, sizeof (*sp), span_cmp);
	for (i = 0; i + 1 < n; i++)
		CHECKF(sp[i].s_addr + sp[i].s_size <= sp[i + 1].s_addr,
		    "%s: %p (+%zu) overlaps %p", what, (void *)sp[i].s_addr,
		    sp[i].s_size, (void *)sp[i + 1].s_addr);
}

static void
test_alignment(void)
{
	static const struct { size_t bufsize, align; } t[] = {
		{ 100, 64 }, { 24, 64 }, { 5000, 4096 }, { 64, 4096 },
		{ 1, 8 }, { 3000, 128 }, { 40000, 4096 },
	};
	enum { N = 300 };
	static struct span sp[N];
	size_t i, k;

	for (k = 0; k < sizeof (t) / sizeof (t[0]); k++) {
		char name[32];
		kmem_cache_t *cp;

		(void) snprintf(name, sizeof (name), "st_align_%zu_%zu",
		    t[k].bufsize, t[k].align);
		cp = kmem_cache_create(name, t[k].bufsize, t[k].align, NULL,
		    NULL, NULL, NULL, NULL, 0);
		REQUIRE(cp != NULL);
		CHECK(kmem_cache_bufsize(cp) >= t[k].bufsize);
		for (i = 0; i < N; i++) {
			sp[i].s_addr = kmem_cache_alloc(cp, KM_SLEEP);
			sp[i].s_size = t[k].bufsize;
			REQUIRE(sp[i].s_addr != NULL);
			CHECKF(((uintptr_t)sp[i].s_addr & (t[k].align - 1)) ==
			    0, "%s: buffer %p", name, (void *)sp[i].s_addr);
			memset(sp[i].s_addr, (int)(i & 0xff), t[k].bufsize);
		}
		check_spans(sp, N, name);
		for (i = 0; i < N; i++) {
			size_t j;

			for (j = 0; j < sp[i].s_size; j++)
				if (sp[i].s_addr[j] != sp[i].s_addr[0])
					break;
			CHECKF(j == sp[i].s_size, "%s: buffer %p overwritten "
			    "at offset %zu", name, (void *)sp[i].s_addr, j);
			kmem_cache_free(cp, sp[i].s_addr);
		}
		kmem_cache_destroy(cp);
	}
}

static void
test_nomagazine(void)
{
	enum { N = 1000 };
	static struct obj *held[N];
	struct counts c = { 0 };
	kmem_cache_stat_t ks;
	kmem_cache_t *cp;
	int i, r;

	cp = kmem_cache_create("st_nomag", 48, 16, obj_ctor, obj_dtor, NULL,
	    &c, NULL, KMC_NOMAGAZINE);
	REQUIRE(cp != NULL);
	for (r = 0; r < 10; r++) {
		for (i = 0; i < N; i++) {
			held[i] = obj_get(cp, KM_SLEEP);
			CHECK(((uintptr_t)held[i] & 15) == 0);
			held[i]->o_serial = (uint32_t)(r * N + i);
		}
		for (i = 0; i < N; i++) {
			CHECKF(held[i]->o_serial == (uint32_t)(r * N + i),
			    "st_nomag: buffer %p handed out twice",
			    (void *)held[i]);
			obj_put(cp, held[i]);
		}
	}
	REQUIRE(cache_stat("st_nomag", &ks));
	CHECK(ks.kcs_alloc >= 10 * N);
	CHECK(c.c_ctor - c.c_dtor <= (long)ks.kcs_buf_total);
	kmem_cache_destroy(cp);
	CHECKF(c.c_dtor == c.c_ctor, "st_nomag: %ld constructed, %ld "
	    "destroyed", c.c_ctor, c.c_dtor);
	CHECK(c.c_bad_dtor == 0);
}

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

static void
test_kmem_alloc(void)
{
	static struct span sp[4097];
	size_t n, i, cnt = 0;

	/* Every size to 4096, all live at once. */
	for (n = 1; n <= 4096; n++) {
		unsigned char *p = kmem_alloc(n, KM_SLEEP);

		REQUIRE(p != NULL);
		CHECKF(((uintptr_t)p & 7) == 0, "kmem_alloc(%zu) = %p", n,
		    (void *)p);
		memset(p, 0xa5, n);
		kmem_free(p, n);

		p = kmem_zalloc(n, KM_SLEEP);
		REQUIRE(p != NULL);
		CHECKF(all_zero(p, n), "kmem_zalloc(%zu) not zeroed", n);
		memset(p, (int)(n & 0xff), n);
		sp[cnt].s_addr = p;
		sp[cnt++].s_size = n;
	}
	check_spans(sp, cnt, "kmem_alloc");
	for (i = 0; i < cnt; i++) {
		size_t j;

		for (j = 0; j < sp[i].s_size; j++)
			if (sp[i].s_addr[j] != (unsigned char)sp[i].s_size)
				break;
		CHECKF(j == sp[i].s_size, "kmem_alloc(%zu) buffer %p "
		    "overwritten at %zu", sp[i].s_size, (void *)sp[i].s_addr,
		    j);
		kmem_free(sp[i].s_addr, sp[i].s_size);
	}

	/* Then larger sizes to 200000, around the size-class edges. */
	for (n = 4000; n <= 200000; n += n / 16 + 1) {
		size_t sizes[3] = { n, n | 4095, (n | 4095) + 1 };

		for (i = 0; i < 3; i++) {
			unsigned char *p = kmem_alloc(sizes[i], KM_SLEEP);

			REQUIRE(p != NULL);
			memset(p, 0xff, sizes[i]);
			kmem_free(p, sizes[i]);
			p = kmem_zalloc(sizes[i], KM_NOSLEEP);
			REQUIRE(p != NULL);
			CHECKF(all_zero(p, sizes[i]), "kmem_zalloc(%zu) not "
			    "zeroed", sizes[i]);
			memset(p, 1, sizes[i]);
			kmem_free(p, sizes[i]);
		}
	}
	{
		unsigned char *p = kmem_zalloc(200000, KM_SLEEP);

		REQUIRE(p != NULL);
		CHECK(all_zero(p, 200000));
		kmem_free(p, 200000);
	}
}

static int walk_calls;

static int
walk_count_cb(const kmem_cache_stat_t *ks, void *arg)
{
	void *p;

	(void) ks;
	(void) arg;
	/* The callback may allocate. */
	p = malloc(100);
	free(p);
	p = kmem_alloc(300, KM_SLEEP);
	kmem_free(p, 300);
	return (++walk_calls == 2);
}

static int
walk_total_cb(const kmem_cache_stat_t *ks, void *arg)
{
	(void) ks;
	(*(int *)arg)++;
	return (0);
}

static void
test_walk_and_stats(void)
{
	static const char *const names[] = {
		"kmem_alloc_8", "kmem_alloc_256", "kmem_alloc_131072",
	};
	kmem_cache_stat_t ks0, ks1;
	enum { N = 1000 };
	static void *v[N];
	size_t i;
	int total = 0;

	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		kmem_cache_stat_t ks;

		if (cache_stat(names[i], &ks))
			CHECKF(ks.kcs_bufsize == (uint64_t)strtoul(names[i] +
			    11, NULL, 10), "%s: bufsize %llu", names[i],
			    (unsigned long long)ks.kcs_bufsize);
	}

	(void) kmem_cache_walk(walk_total_cb, &total);
	CHECKF(total >= 10, "kmem_cache_walk saw %d caches", total);
	walk_calls = 0;
	(void) kmem_cache_walk(walk_count_cb, NULL);
	CHECKF(walk_calls == 2, "kmem_cache_walk went on after the callback "
	    "returned non-zero (%d calls)", walk_calls);

	/* malloc(256) comes from kmem_alloc_256. */
	REQUIRE(cache_stat("kmem_alloc_256", &ks0));
	for (i = 0; i < N; i++) {
		v[i] = malloc(256);
		REQUIRE(v[i] != NULL);
		memset(v[i], 1, 256);
	}
	for (i = 0; i < N; i++)
		free(v[i]);
	REQUIRE(cache_stat("kmem_alloc_256", &ks1));
	CHECKF(ks1.kcs_alloc >= ks0.kcs_alloc + N, "%d malloc(256) calls "
	    "moved kmem_alloc_256's kcs_alloc from %llu to %llu", N,
	    (unsigned long long)ks0.kcs_alloc,
	    (unsigned long long)ks1.kcs_alloc);

	/* And so does kmem_alloc(256). */
	ks0 = ks1;
	for (i = 0; i < N; i++)
		v[i] = kmem_alloc(256, KM_SLEEP);
	REQUIRE(cache_stat("kmem_alloc_256", &ks1));
	CHECKF(ks1.kcs_buf_inuse >= N, "%d buffers held, kcs_buf_inuse %llu",
	    N, (unsigned long long)ks1.kcs_buf_inuse);
	for (i = 0; i < N; i++)
		kmem_free(v[i], 256);
	REQUIRE(cache_stat("kmem_alloc_256", &ks1));
	CHECKF(ks1.kcs_alloc >= ks0.kcs_alloc + N, "%d kmem_alloc(256) "
	    "calls moved kcs_alloc from %llu to %llu", N,
	    (unsigned long long)ks0.kcs_alloc,
	    (unsigned long long)ks1.kcs_alloc);
}

static void
test_stats_print(void)
{
	kmem_cache_t *cp;
	char buf[1 << 16];
	ssize_t n, got = 0;
	int fd;
	void *p;

	cp = kmem_cache_create("st_printed_cache", 72, 0, NULL, NULL, NULL,
	    NULL, NULL, 0);
	REQUIRE(cp != NULL);
	p = kmem_cache_alloc(cp, KM_SLEEP);
	fd = memfd_create("kmastat", 0);
	REQUIRE(fd >= 0);
	kmem_stats_print(fd);
	REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
	while (got < (ssize_t)sizeof (buf) - 1 &&
	    (n = read(fd, buf + got, sizeof (buf) - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	(void) close(fd);
	CHECKF(strstr(buf, "kmem_alloc_256") != NULL, "kmem_stats_print "
	    "output (%zd bytes) lacks kmem_alloc_256", got);
	CHECKF(strstr(buf, "st_printed_cache") != NULL, "kmem_stats_print "
	    "output (%zd bytes) lacks st_printed_cache", got);
	kmem_cache_free(cp, p);
	kmem_cache_destroy(cp);
	/* A destroyed cache is no longer walked. */
	{
		struct find f = { .f_name = "st_printed_cache" };

		kmem_cache_walk(find_cb, &f);
		CHECKF(f.f_found == 0, "destroyed cache still walked");
	}
}

int
main(void)
{
	check_allocator_is_slabtrace();
	test_ctor_dtor();
	test_ctor_failure();
	test_alignment();
	test_nomagazine();
	test_kmem_alloc();
	test_walk_and_stats();
	test_stats_print();
	return (check_status());
}
