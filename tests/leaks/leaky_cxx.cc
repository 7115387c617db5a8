// leaky_cxx: C++ leaks and C++ reachability, one per argv[1], run like
// leaky.c by tests/integration/leaks.sh.
//   object   a new'd object owning a string and a vector, lost:
//            1 direct leak (the object), 2 indirect (their buffers)
//   array    a new[]'d array, lost
//   kept     objects kept by a global std::map and a static unique_ptr
//            (no report: the containers' nodes are reachable from data)
// With LEAKY_CRASH=1 it dies of a SIGSEGV after the variant, for a dump.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct Record {
	std::string r_name;
	std::vector<long> r_values;
};

static std::map<int, std::string> *registry;
static std::unique_ptr<Record> current;

#define NOINLINE __attribute__((noinline))

NOINLINE static void
use(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE static void
object()
{
	Record *r = new Record{std::string(40, 'n'), {1, 2, 3, 4, 5, 6}};

	use(r);
}

NOINLINE static void
array()
{
	int *a = new int[100];

	std::memset(a, 0, 100 * sizeof (int));
	use(a);
}

NOINLINE static void
kept()
{
	registry = new std::map<int, std::string>;
	for (int i = 0; i < 20; i++)
		(*registry)[i] = std::string(30 + i, 'k');
	current.reset(new Record{std::string(50, 'c'), {7, 8, 9}});
}

// What the variant's dead frames leave is scrubbed (leaky.c's deep()).
NOINLINE static void
scrub()
{
	volatile char junk[16384];

	for (size_t i = 0; i < sizeof (junk); i++)
		junk[i] = 0;
}

NOINLINE static int
deep(const char *v)
{
	volatile char pad[8192];
	int rc = 0;

	pad[0] = 1;
	if (std::strcmp(v, "object") == 0)
		object();
	else if (std::strcmp(v, "array") == 0)
		array();
	else if (std::strcmp(v, "kept") == 0)
		kept();
	else
		rc = 2;
	scrub();
	return rc + pad[0] - 1;
}

int
main(int argc, char **argv)
{
	if (deep(argc > 1 ? argv[1] : "") != 0) {
		std::fprintf(stderr, "leaky_cxx: unknown variant\n");
		return 2;
	}
	const char *crash = std::getenv("LEAKY_CRASH");
	if (crash != nullptr && crash[0] == '1')
		*(volatile int *)8 = 1;
	return 0;
}
