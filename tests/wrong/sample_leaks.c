/*
 * sample_leaks: the leak check knows the sampled firewall's buffers
 * (UMEM_DEBUG=firewall,sample).  A buffer reached only through a
 * pointer kept in a sampled buffer is not a leak (it was reported as
 * one: the sampled buffers were neither scanned nor candidates), and a
 * sampled buffer that is lost is one, reported with its stack.  At
 * sample=1 the first 256 mallocs take the pool's slots, the rest the
 * caches, so both kinds are live here.
 *
 * env: UMEM_DEBUG=firewall,sample=1 UMEM_OPTIONS=leakcheck
 * signal: none
 * status: 23
 * dump: no
 * expect: slabtrace: detected memory leaks \(the leak check at exit\)
 * expect: Direct leak of 64 byte\(s\) in 1 object\(s\) allocated from:
 * expect: \s*main\+0x[0-9a-f]+  .*sample_leaks\.c:[0-9]+
 * expect: 144 byte\(s\) leaked in 2 allocation\(s\)\.
 */
#include <stdlib.h>

void *volatile keep[300];

int
main(void)
{
	void *volatile lost;
	void **holder;
	int i;

	for (i = 0; i < 300; i++)
		keep[i] = calloc(1, 64);        /* 0-255: sampled */
	holder = keep[0];
	holder[0] = malloc(99);         /* only a sampled buffer points here */
	lost = malloc(77);              /* a leak, from the caches */
	lost = keep[1];                 /* a leak, sampled */
	keep[1] = NULL;
	lost = NULL;
	(void) lost;
	return (0);
}
