// category: uafw
// bug: a member function deletes its object (delete this) and then
// records the new state in it.
class Task {
public:
	__attribute__((noinline)) void finish();
	int state_ = 0;
	char payload_[44] = {};
};

void
Task::finish()
{
#ifdef BAD
	delete this;
	state_ = 2;             // the bug: after delete this
#else
	state_ = 2;
	delete this;
#endif
}

int
main()
{
	Task *t = new Task;

	t->payload_[0] = 'x';
	t->finish();
	return 0;
}
