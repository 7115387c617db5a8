/*
 * alloc_kept_cc: alloc_kept.c's bug in C++ at -O0 (new and delete, a
 * thread that frees the object then goes idle): an object allocated
 * long before it is deleted (200,000 news and deletes in between, more
 * than the transaction log holds), then written after its delete; the
 * report names who allocated it, and when, from what its bufctl kept.
 *
 * cflags: -O0
 * flags: 0xf
 * expect: slabtrace: buffer modified after being freed
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*kept_delete_it\(Node\*\)\+0x[0-9a-f]+  (.+/)?alloc_kept_cc\.cc:[0-9]+
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: thread=[0-9]+  time=T-[0-9]+\.[0-9]{9}  slab=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: \s*kept_new_it\(\)\+0x[0-9a-f]+  (.+/)?alloc_kept_cc\.cc:[0-9]+
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?alloc_kept_cc\.cc:[0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <thread>

struct Node {
	long n_key;
	long n_val;
	Node *n_next;
};

__attribute__((noinline)) Node *
kept_new_it()
{
	return (new Node());
}

__attribute__((noinline)) void
kept_delete_it(Node *p)
{
	delete p;
}

int
main()
{
	Node *p = kept_new_it();

	for (int i = 0; i < 200000; i++) {
		char *volatile q = new char[300];

		delete[] q;
	}
	std::thread t(kept_delete_it, p);	/* freed, then the thread ends */
	t.join();
	reinterpret_cast<volatile long *>(p)[1] = 7;	/* the bug */
	return (0);
}
