/*
 * fw_misuse: every misuse of a firewalled buffer is reported as what it
 * is.  A firewall buffer's tag would lie in its guard page, so a report
 * that read it died of SIGSEGV inside the report, as "read past end of
 * buffer"; the reports must use the buffer's header instead.
 *
 *   dup        free() twice
 *   newfree    operator new, then free()
 *   newarr     operator new[], then operator delete
 *   newdelarr  operator new, then operator delete[]
 *   mallocdel  malloc(), then operator delete
 *   interior   free() of a pointer 16 bytes into the buffer
 *   sized      operator delete(p, size) with the wrong size
 *   big        free() twice of a 300,000-byte buffer
 *
 * variants: dup newfree newarr newdelarr mallocdel interior sized big
 * env: KMEM_FLAGS=0x4f
 * expect-dup: slabtrace: duplicate free: buffer freed twice
 * expect-big: slabtrace: duplicate free: buffer freed twice
 * expect-newfree: buffer allocated with operator new, freed with free
 * expect-newarr: buffer allocated with operator new\[\], freed with operator delete
 * expect-newdelarr: buffer allocated with operator new, freed with operator delete\[\]
 * expect-mallocdel: buffer allocated with malloc\(\), freed with operator delete
 * expect-interior: slabtrace: bad free: free address != alloc address
 * expect-sized: free size \(17\) != alloc size \(24\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_[a-z_0-9]+
 * expect: (previous transaction|transaction before that).* on buffer [0-9a-f]+:
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 */
#include <cstdlib>
#include <cstring>
#include <new>

struct thing {
	long t_a, t_b, t_c;
};

int
main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "dup";

	if (strcmp(v, "dup") == 0) {
		char *volatile p = (char *)malloc(100);

		free(p);
		free(p);
	} else if (strcmp(v, "newfree") == 0) {
		thing *volatile p = new thing;

		free(p);
	} else if (strcmp(v, "newarr") == 0) {
		thing *volatile p = new thing[4];

		::operator delete((void *)p);
	} else if (strcmp(v, "newdelarr") == 0) {
		thing *volatile p = new thing;

		::operator delete[]((void *)p);
	} else if (strcmp(v, "mallocdel") == 0) {
		thing *volatile p = (thing *)malloc(sizeof (thing));

		delete p;
	} else if (strcmp(v, "interior") == 0) {
		char *volatile p = (char *)malloc(100);

		free(p + 16);
	} else if (strcmp(v, "sized") == 0) {
		void *volatile p = ::operator new(24);

		::operator delete((void *)p, (size_t)17);
	} else if (strcmp(v, "big") == 0) {
		char *volatile p = (char *)malloc(300000);

		free(p);
		free(p);
	}
	return (0);
}
