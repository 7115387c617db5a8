/*
 * strcpy_strlen: the commonest overflow, p = malloc(strlen(s)) then
 * strcpy(p, s): the terminating NUL lands one byte past the end.  Where it
 * lands decides what is overwritten: for 16 characters the redzone word
 * itself (0xfeedface), for 13 the 0xbb padding, for 0 a malloc(0).  Each
 * report must give the size, the offset and the bytes.  "free": the
 * buffer is freed; "exit": it is kept and the exit verify finds it.
 *
 * variants: 16 13 0 16exit 0exit
 * flags: 0xf default lite
 * expect-16: write at offset 0x10, byte 1 past the end of the 16-byte buffer \(0xce replaced by 0x00\)
 * expect-13: write at offset 0xd, byte 1 past the end of the 13-byte buffer \(0xbb replaced by 0x00\)
 * expect-0: write at offset 0x0, byte 1 past the end of the 0-byte buffer \(0xbb replaced by 0x00\)
 * expect-16exit: write at offset 0x10, byte 1 past the end of the 16-byte buffer \(0xce replaced by 0x00\)
 * expect-0exit: write at offset 0x0, byte 1 past the end of the 0-byte buffer \(0xbb replaced by 0x00\)
 * expect: slabtrace: redzone violation: write past end of buffer
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>
#include <string.h>

static char *volatile kept;

int
main(int argc, char **argv)
{
	const char *s = "0123456789abcdef";
	size_t n = strlen(s);

	if (argc > 1)
		n = (size_t)atoi(argv[1]);
	s += strlen(s) - n;
	kept = malloc(strlen(s));
	strcpy(kept, s);
	if (argc > 1 && strstr(argv[1], "exit") != NULL)
		return (0);
	free(kept);
	return (0);
}
