/*
 * df_plain_cc: deleting an object twice, with no debugging: one line,
 * SIGABRT.  The object's destructor frees a member (a std::string of 40
 * characters) each time, so the second delete's destructor frees the
 * member again first: that is the double free reported.
 *
 * env: ST_MODE=plain
 * dump: no
 * expect: slabtrace: operator delete\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_[0-9]+\)|free\(0x[0-9a-f]+\): duplicate free: buffer freed twice \(kmem_alloc_[0-9]+\)
 */
#include <string>

struct record {
	std::string r_name;
	long r_id;

	record() : r_name(40, 'x'), r_id(7) {}
};

int
main()
{
	record *volatile r = new record;

	delete r;
	delete r;               /* the bug */
	return (0);
}
