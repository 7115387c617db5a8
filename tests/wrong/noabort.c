/*
 * noabort: UMEM_DEBUG=noabort reports and goes on, with no panic and no
 * dump; each report shows the call that found it (there is no panic
 * stack to show it), and the last line counts the errors.
 *
 * env: UMEM_DEBUG=default,noabort
 * signal: none
 * status: 3
 * dump: no
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*free\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?noabort\.c:30
 * expect: detected in this call, thread=[0-9]+:
 * expect: \s*free\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?noabort\.c:31
 * expect: slabtrace: redzone violation: write past end of buffer
 * expect: write at offset 0x18, byte 1 past the end of the 24-byte buffer \(0xbb replaced by 0x01\)
 * expect: detected in this call, thread=[0-9]+:
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?noabort\.c:33
 * expect: 2 errors detected \(1 duplicate free: buffer freed twice, 1 redzone violation: write past end of buffer\)
 */
#include <stdlib.h>

int
main(void)
{
	char *volatile p = malloc(40), *volatile q = malloc(24);

	free(p);
	free(p);
	((volatile char *)q)[24] = 1;
	free(q);
	return (3);
}
