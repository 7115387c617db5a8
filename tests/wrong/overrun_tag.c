/*
 * overrun_tag: an overrun that reaches the buffer's tag, which the free
 * reports as the kernel does, "boundary tag corrupted", then says where
 * the write landed, counted from the buffer (debug.c, kmem_buftag_story):
 *
 *   jump     p[128] = 0 on a 100-byte buffer: the write jumps the padding
 *            and the redzone word and lands on the tag's bxstat
 *   through  a 100-byte buffer filled with 136 bytes: padding, redzone
 *            (and the size it held), bufctl and bxstat all overwritten;
 *            the size asked is lost with it, so the 112-byte chunk's end
 *            is where the story starts
 *
 * variants: jump through
 * flags: 0xf default
 * expect: slabtrace: boundary tag corrupted
 * expect: bcp \^ bxstat = [0-9a-f]+, should be [0-9a-f]+
 * expect-jump: its tag was written at offset 0x80, byte 29 past the end of the 100-byte buffer: an overrun that jumped the redzone
 * expect-through: its tag was written at offset 0x70, byte 1 past the end of the 112-byte chunk: an overrun
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	volatile char *p = malloc(100);

	if (argc > 1 && strcmp(argv[1], "through") == 0) {
		for (int i = 0; i < 136; i++)
			p[i] = 'x';
	} else {
		p[128] = 0;
	}
	free((void *)p);
	return (0);
}
