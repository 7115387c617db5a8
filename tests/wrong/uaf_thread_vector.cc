/*
 * uaf_thread_vector: a session object is deleted while a worker thread
 * still appends to its std::vector member.  The vector's buffer pointer is
 * read from the freed object (0xdeadbeef...), and operator delete gets it
 * when the vector grows.  The report's "at" line must name the program's
 * frame (worker, at its push_back line), not the library header the call
 * came through; the freed session must be named with where it was deleted
 * and created; and the panic is on the worker's thread.  _start has no
 * DWARF: no line of the code before it may be given to it.
 *
 * cflags: -O2
 * expect: slabtrace: operator delete\(0xdeadbeefdeadbeef\): invalid pointer, not from this allocator: .*use after free\)
 * expect: at worker\(Session\*\)\+0x[0-9a-f]+  (.+/)?uaf_thread_vector\.cc:33
 * expect: it was probably read from the freed buffer [0-9a-f]+ \(cache kmem_alloc_[0-9]+\), to which the stack still points:
 * expect: \s*operator delete\(void\*, unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?uaf_thread_vector\.cc:45
 * expect: \s*_start\+0x[0-9a-f]+  \(uaf_thread_vector\)
 * expect: \s*operator new\(unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?uaf_thread_vector\.cc:42
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: \s*worker\(Session\*\)\+0x[0-9a-f]+  (.+/)?uaf_thread_vector\.cc:33
 */
#include <string>
#include <thread>
#include <vector>

struct Session { std::string s_name; std::vector<int> s_data; };

static void
worker(Session *s)
{
	for (int i = 0; i < 1000; i++)
		s->s_data.push_back(i);
}

int
main()
{
	std::vector<Session *> sessions;

	for (int i = 0; i < 4; i++)
		sessions.push_back(new Session{"s" + std::to_string(i), {}});
	Session *first = sessions[0];

	delete first;                   /* closed... */
	std::thread t(worker, first);   /* ...but a worker still uses it */
	t.join();
	return (0);
}
