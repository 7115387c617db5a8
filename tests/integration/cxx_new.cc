/*
 * cxx_new: operator new and delete in all their forms, over slabtrace.
 *
 * Plain, array, nothrow, sized and aligned new/delete; a containers
 * workload; a huge new that must throw std::bad_alloc (or return nullptr
 * in the nothrow form) after calling the new_handler.
 *
 * modes: static preload
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <stdint.h>

#include <algorithm>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "check.h"

struct alignas(64) Line {
	unsigned char l_bytes[64];
};

struct alignas(4096) Page {
	unsigned char pg_bytes[4096];
};

struct Node {
	Node *n_next;
	uint64_t n_value;
	Node(Node *next, uint64_t v) : n_next(next), n_value(v) {}
};

static bool
aligned(const void *p, size_t align)
{
	return ((reinterpret_cast<uintptr_t>(p) & (align - 1)) == 0);
}

static void
test_plain(void)
{
	Node *head = nullptr;
	uint64_t sum = 0, want = 0;

	for (uint64_t i = 0; i < 100000; i++) {
		head = new Node(head, i);
		want += i;
	}
	while (head != nullptr) {
		Node *n = head;

		CHECK(aligned(n, alignof(Node)));
		sum += n->n_value;
		head = n->n_next;
		delete n;
	}
	CHECK(sum == want);

	for (size_t n = 0; n < 5000; n += 7) {
		char *a = new char[n];
		int *b = new int[n + 1];

		std::fill(a, a + n, 'x');
		std::fill(b, b + n + 1, 7);
		CHECK(n == 0 || a[n - 1] == 'x');
		CHECK(b[n] == 7);
		delete[] a;
		delete[] b;
	}
}

static void
test_nothrow_and_sized(void)
{
	for (size_t n = 1; n < 70000; n = n * 3 + 1) {
		char *p = new (std::nothrow) char[n];

		REQUIRE(p != nullptr);
		std::fill(p, p + n, 1);
		delete[] p;

		void *q = ::operator new(n, std::nothrow);
		REQUIRE(q != nullptr);
		CHECK(malloc_usable_size(q) >= n);
		::operator delete(q, std::nothrow);

		/* Sized delete must take the size given to new. */
		q = ::operator new(n);
		static_cast<char *>(q)[n - 1] = 1;
		::operator delete(q, n);
		q = ::operator new[](n);
		static_cast<char *>(q)[n - 1] = 1;
		::operator delete[](q, n);
	}
	Node *n = new (std::nothrow) Node(nullptr, 5);
	REQUIRE(n != nullptr);
	delete n;	/* sized delete under -fsized-deallocation */
}

static void
test_aligned(void)
{
	std::vector<Line *> lines;
	std::vector<Page *> pages;

	for (int i = 0; i < 1000; i++) {
		Line *l = new Line;

		CHECK(aligned(l, 64));
		l->l_bytes[63] = (unsigned char)i;
		lines.push_back(l);
	}
	for (int i = 0; i < 50; i++) {
		Page *pg = new Page;

		CHECK(aligned(pg, 4096));
		pg->pg_bytes[4095] = (unsigned char)i;
		pages.push_back(pg);
	}
	Line *arr = new Line[33];
	CHECK(aligned(arr, 64));
	delete[] arr;
	for (int i = 0; i < 1000; i++) {
		CHECK(lines[i]->l_bytes[63] == (unsigned char)i);
		delete lines[i];
	}
	for (int i = 0; i < 50; i++) {
		CHECK(pages[i]->pg_bytes[4095] == (unsigned char)i);
		delete pages[i];
	}

	for (size_t al = 16; al <= 65536; al *= 2) {
		for (size_t n = 1; n <= 100000; n *= 10) {
			void *p = ::operator new(n, std::align_val_t(al));

			CHECKF(aligned(p, al), "operator new(%zu, align_val_t(%zu)) "
			    "= %p", n, al, p);
			static_cast<char *>(p)[n - 1] = 1;
			::operator delete(p, n, std::align_val_t(al));

			p = ::operator new[](n, std::align_val_t(al),
			    std::nothrow);
			REQUIRE(p != nullptr);
			CHECKF(aligned(p, al), "operator new[](%zu, align_val_t(%zu), "
			    "nothrow) = %p", n, al, p);
			::operator delete[](p, std::align_val_t(al));
		}
	}
	void *p = ::operator new(100, std::align_val_t(4096));
	CHECK(aligned(p, 4096));
	::operator delete(p, std::align_val_t(4096));
}

static void
test_containers(void)
{
	std::map<std::string, std::vector<int>> m;
	uint64_t x = 2463534242ULL, h = 1469598103934665603ULL;

	for (int i = 0; i < 60000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		std::string key = "key-" + std::to_string(x % 20000);
		m[key].push_back(i);
		if (x % 5 == 0)
			m.erase("key-" + std::to_string((x >> 8) % 20000));
	}
	std::vector<std::string> keys;
	for (auto &kv : m) {
		keys.push_back(kv.first + std::string(kv.second.size(), '*'));
		for (int v : kv.second)
			h = (h ^ (uint64_t)v) * 1099511628211ULL;
	}
	std::sort(keys.begin(), keys.end(), [](const std::string &a,
	    const std::string &b) { return a.size() != b.size() ?
	    a.size() < b.size() : a < b; });
	for (auto &k : keys)
		for (char c : k)
			h = (h ^ (unsigned char)c) * 1099511628211ULL;
	CHECK(!keys.empty());

	/* The same work again must give the same answer. */
	std::map<std::string, std::vector<int>> m2;
	x = 2463534242ULL;
	for (int i = 0; i < 60000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		m2["key-" + std::to_string(x % 20000)].push_back(i);
		if (x % 5 == 0)
			m2.erase("key-" + std::to_string((x >> 8) % 20000));
	}
	CHECK(m == m2);

	std::vector<std::vector<std::string>> vv(1000);
	for (int r = 0; r < 20; r++)
		for (size_t i = 0; i < vv.size(); i++)
			vv[i].push_back(std::string(i % 300 + r, 'a' + r));
	for (size_t i = 0; i < vv.size(); i++)
		CHECK(vv[i].back() == std::string(i % 300 + 19, 'a' + 19));
}

static int handler_calls;

static void
handler_then_reset(void)
{
	handler_calls++;
	std::set_new_handler(nullptr);
}

static void
handler_throws_third(void)
{
	if (++handler_calls == 3)
		throw std::bad_alloc();
}

static void
test_huge(void)
{
	volatile size_t huge = (size_t)1 << 62;
	bool threw;

	threw = false;
	try {
		char *p = new char[huge];
		p[0] = 1;
		delete[] p;
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	CHECK(threw);

	char *q = new (std::nothrow) char[huge];
	CHECK(q == nullptr);
	delete[] q;
	void *r = ::operator new(huge, std::align_val_t(64), std::nothrow);
	CHECK(r == nullptr);

	threw = false;
	try {
		void *a = ::operator new(huge, std::align_val_t(4096));
		::operator delete(a, std::align_val_t(4096));
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	CHECK(threw);

	/* The handler runs before new gives up, once per failed try. */
	handler_calls = 0;
	std::set_new_handler(handler_then_reset);
	threw = false;
	try {
		void *a = ::operator new(huge);
		::operator delete(a);
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	CHECK(threw);
	CHECKF(handler_calls == 1, "new_handler called %d times",
	    handler_calls);

	handler_calls = 0;
	std::set_new_handler(handler_throws_third);
	threw = false;
	try {
		char *a = new char[huge];
		delete[] a;
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	std::set_new_handler(nullptr);
	CHECK(threw);
	CHECKF(handler_calls == 3, "new_handler called %d times",
	    handler_calls);

	/* And ordinary allocation still works. */
	std::string s(100000, 'z');
	CHECK(s[99999] == 'z');
}

int
main(void)
{
	check_allocator_is_slabtrace();
	test_plain();
	test_nothrow_and_sized();
	test_aligned();
	test_containers();
	test_huge();
	return (check_status());
}
