/*
 * calloc_modes: calloc reads as zeros in every debugging mode, above all
 * for buffers big enough to be decommitted rather than cleared (4 MiB and
 * up): a debugged or firewall buffer does not start a page, and calloc
 * once decommitted from its unaligned start, which failed, and returned
 * the uninitialised pattern (0xbaddcafe) or a freed buffer's data.
 *
 * modes: static preload 0xf lite default fw
 * timeout: 600
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static size_t
first_nonzero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return (i);
	return (n);
}

int
main(void)
{
	static const size_t sizes[] = {
		100, 4096, 131072, 200000, (1 << 20) + 24, (4 << 20) - 8,
		4 << 20, (4 << 20) + 4040, 5000000, (8 << 20) + 100,
	};
	size_t i, at;
	int round;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
			size_t n = sizes[i];
			unsigned char *d = malloc(n), *z;

			/* Dirty memory of the size, freed, then calloc. */
			REQUIRE(d != NULL);
			memset(d, 0x5a, n);
			free(d);
			z = calloc(1, n);
			REQUIRE(z != NULL);
			at = first_nonzero(z, n);
			CHECKF(at == n, "round %d: calloc(1, %zu) = %p: byte "
			    "%zu is %#x", round, n, (void *)z, at,
			    at < n ? z[at] : 0);
			/* Use it all, as a program would, then free it. */
			memset(z, 0xc3, n);
			free(z);
			z = calloc(n / 4, 4);
			REQUIRE(z != NULL);
			at = first_nonzero(z, n / 4 * 4);
			CHECKF(at == n / 4 * 4, "round %d: calloc(%zu, 4): byte "
			    "%zu is %#x", round, n / 4, at,
			    at < n / 4 * 4 ? z[at] : 0);
			free(z);
		}
	}
	return (check_status());
}
