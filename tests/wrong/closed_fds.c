/*
 * closed_fds: a daemon that closed stderr (stderr), or stdin, stdout and
 * stderr (all), then frees a buffer twice under KMEM_FLAGS=0xf.  The dump
 * must be a whole core file (it once got descriptor 2, and the report
 * was written into it): mode 0600, opened by gdb, with the program's main
 * on its stack.
 *
 * variants: stderr all
 * gdb: main
 */
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char *volatile p = malloc(48);

	if (argc > 1 && argv[1][0] == 'a') {
		close(0);
		close(1);
	}
	close(2);
	free(p);
	free(p);                /* the bug */
	return (0);
}
