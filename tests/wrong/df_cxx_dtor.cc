/*
 * df_cxx_dtor: an object deleted twice whose destructor deletes a member.
 * The second destructor reads the member from the freed object: our free
 * pattern, 0xdeadbeefdeadbeef, which operator delete[] is then given.  The
 * report must say that it was read from freed memory, name the freed
 * object (found through the stack: `this`), show where it was freed and
 * allocated, and print C++ names demangled with file:line.
 *
 * cflags: -O0
 * expect: slabtrace: operator delete\[\]\(0xdeadbeefdeadbeef\): invalid pointer, not from this allocator: 0xdeadbeef is what fills a freed buffer, so this pointer was read from freed memory \(use after free\)
 * expect: it was probably read from the freed buffer [0-9a-f]+ \(cache kmem_alloc_[0-9]+\), to which the stack still points:
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*operator delete\(void\*, unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?df_cxx_dtor\.cc:39
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: \s*operator new\(unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?df_cxx_dtor\.cc:38
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: \s*Holder::~Holder\(\)\+0x[0-9a-f]+  (.+/)?df_cxx_dtor\.cc:28
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?df_cxx_dtor\.cc:40
 * gdb-top: Holder::~Holder
 */
#include <cstring>

class Holder {
public:
	Holder() : h_data(new char[64]) { std::memset(h_data, 'x', 64); }
	~Holder() { delete[] h_data; }
private:
	char *h_data;
};

static Holder *volatile held;

int
main()
{
	held = new Holder;
	delete held;
	delete held;            /* the bug */
	return (0);
}
