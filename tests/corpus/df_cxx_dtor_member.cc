// category: df
// bug: an object whose destructor deletes a member buffer is deleted twice.
#include <cstddef>
#include <cstring>

class Buffer {
public:
	explicit Buffer(size_t n) : data_(new char[n]), size_(n) {}
	~Buffer() { delete[] data_; }
	char *data() { return data_; }
	size_t size() const { return size_; }
private:
	char *data_;
	size_t size_;
};

static Buffer *volatile b;

int
main()
{
	b = new Buffer(128);

	std::memset(b->data(), 'x', b->size());
	delete b;
#ifdef BAD
	delete b;
#endif
	return 0;
}
