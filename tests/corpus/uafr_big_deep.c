/*
 * category: uafr
 * bug: an image's rows are summed after the image was freed; the freed
 * 1 MB buffer's pages after its first are inaccessible under the
 * debugging modes (a big buffer's quarantine), so the first read faults.
 *
 * modes: 0xf default fw fwbelow
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image {
	int width, height;
	unsigned char *pixels;
};

static struct image *
image_new(int w, int h)
{
	struct image *im = malloc(sizeof (*im));

	im->width = w;
	im->height = h;
	im->pixels = calloc((size_t)w * h, 1);
	return (im);
}

static void
image_free_pixels(struct image *im)
{
	free(im->pixels);
}

int
main(void)
{
	struct image *im = image_new(1024, 1024);
	long sum = 0;
	int y;

	memset(im->pixels, 3, 1024 * 1024);
#ifdef BAD
	image_free_pixels(im);
#endif
	for (y = 512; y < 1024; y++)
		sum += ((volatile unsigned char *)im->pixels)[y * 1024];
#ifndef BAD
	image_free_pixels(im);
#endif
	free(im);
	printf("%ld\n", sum);
	return (0);
}
