/*
 * gpfault_cc: gpfault.c's bug in a C++ method.  The panic line's pc= names
 * the method as a person writes it (zfs::itx_list::remove(zfs::node*)),
 * as the stack under it does, not by its mangled symbol.
 *
 * cflags: -O2
 * env: SLABTRACE_RUN=1
 * signal: SEGV
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: general protection fault on address 0x3f3f3f3f3f3f3f3f, pc=zfs::itx_list::remove\(zfs::node\*\)\+0x[0-9a-f]+
 * expect: \s*zfs::itx_list::remove\(zfs::node\*\)(\+0x[0-9a-f]+)?  (.+/)?gpfault_cc\.cc:[0-9]+
 * gdb: remove
 */
#include <cstdlib>
#include <cstring>

namespace zfs {
struct node {
	long v;
	node *next;
};

class itx_list {
public:
	__attribute__((noinline)) void
	remove(node *n)
	{
		n->next->v = 1;
	}
};
}

int
main()
{
	zfs::node *volatile n = static_cast<zfs::node *>(
	    std::malloc(sizeof (zfs::node)));
	zfs::itx_list l;

	std::memset(n, '?', sizeof (*n));       // the bug
	l.remove(n);
	return (0);
}
