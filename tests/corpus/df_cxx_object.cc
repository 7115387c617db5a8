// category: df
// bug: a C++ object is deleted twice.
#include <cstring>

struct Session {
	int id;
	char user[32];
};

static Session *volatile s;

int
main()
{
	s = new Session;

	s->id = 7;
	std::strcpy(s->user, "alice");
	delete s;
#ifdef BAD
	delete s;
#endif
	return 0;
}
