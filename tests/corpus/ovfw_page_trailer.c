/*
 * category: ovfw
 * modes: 0xf default fw fwbelow
 * bug: a page-sized block gets a trailer written at an offset computed
 * from the payload length plus a header the block never had room for:
 * 28 bytes past the 4096-byte buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK   4096
#define HDR     28

__attribute__((noinline)) static void
seal(unsigned char *blk, size_t len, uint32_t sum)
{
	volatile unsigned char *t = blk + len;  /* as if sent to a device */
	size_t i;

	for (i = 0; i < sizeof (sum); i++)
		t[i] = (unsigned char)(sum >> (8 * i));
}

int
main(void)
{
	unsigned char *blk = malloc(BLOCK);
	uint32_t sum = 0;
	size_t i, len = BLOCK - HDR - sizeof (sum);

	if (blk == NULL)
		return (1);
	for (i = 0; i < len; i++) {
		blk[HDR + i] = (unsigned char)i;
		sum += (unsigned char)i;
	}
#ifdef BAD
	seal(blk, len + HDR + HDR, sum);        /* the bug: HDR twice */
#else
	seal(blk, len + HDR, sum);
#endif
	printf("block sealed, sum %u, first byte %u\n", sum, blk[HDR]);
	free(blk);
	return (0);
}
