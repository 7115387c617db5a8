// category: uafw
// bug: a member function that writes the object's first field is called
// on a deleted object.
#include <cstring>

class Server {
public:
	Server() { std::strcpy(name_, "httpd"); }
	__attribute__((noinline)) void stop() { running_ = 0; }
	long running_ = 1;
	char name_[56];
};

static Server *volatile s;

int
main()
{
	s = new Server;

#ifdef BAD
	delete s;
	s->stop();              // the bug
#else
	s->stop();
	delete s;
#endif
	return 0;
}
