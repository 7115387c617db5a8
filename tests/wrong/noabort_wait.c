/*
 * noabort_wait: a program that goes on after its reports (noabort) and
 * waits for its children with wait() must not wait for the helper that
 * gives the reports their file:line: it lives for one report only.  Each
 * of the three reports still has file:line (a helper per report).
 *
 * env: UMEM_DEBUG=default,noabort
 * signal: none
 * status: 5
 * dump: no
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: at main\+0x[0-9a-f]+  (.+/)?noabort_wait\.c:32
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: at main\+0x[0-9a-f]+  (.+/)?noabort_wait\.c:41
 * expect: slabtrace: duplicate free: buffer freed twice
 * expect: at main\+0x[0-9a-f]+  (.+/)?noabort_wait\.c:43
 * expect: 3 errors detected \(3 duplicate free: buffer freed twice\)
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	char *volatile p = malloc(40), *volatile q = malloc(50);
	char *volatile r = malloc(60);
	int children = 0;
	pid_t pid;

	free(p);
	free(p);                /* the first */
	if ((pid = fork()) == 0)
		_exit(0);
	/* Every child of ours, until there is none: ours only. */
	while (wait(NULL) > 0)
		children++;
	if (children != 1)
		return (1);
	free(q);
	free(q);                /* the second */
	free(r);
	free(r);                /* the third */
	return (5);
}
