/*
 * lite_badroutine: under lite, new[] memory given to sized delete takes
 * the fused free path's way out to the general one, which names both
 * routines.
 *
 * env: UMEM_DEBUG=lite
 * expect: slabtrace: bad free: freed with the wrong routine
 * expect: buffer allocated with operator new\[\], freed with operator delete
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_[0-9]+
 * expect: last callers \(newest first\):
 * expect: \s*main\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
int
main()
{
	char *volatile p = new char[100];

	delete p;                       /* the bug: it came from new[] */
	return (0);
}
