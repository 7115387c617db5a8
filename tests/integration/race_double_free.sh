#!/bin/bash
# race_double_free: two threads free one buffer at the same moment (a
# "last one out frees" without an atomic count), 5,000 times, under
# noabort so that the process goes on after each report.  Every round must
# be reported exactly once as "duplicate free: buffer freed twice" (the
# free claims the buffer with a compare-and-swap of its tag: debug.c,
# section 3), never as another error (the second free reading the tag
# while the first rewrote it said "wrong routine"), and never silently
# (both passing the checks put the buffer in two magazines: the program
# then checks that the next 4,000 allocations are all distinct).  Sizes of
# the malloc caches, the firewall's and a big buffer's; C++ delete too;
# -O0 and -O2; under 0xf, UMEM_DEBUG=default, lite and the firewall (0x4f).
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 900
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
unset SLABTRACE_SYMBOLIZER KMEM_FLAGS UMEM_DEBUG UMEM_OPTIONS UMEM_LOGGING
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat >race.cc <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { long n_key; char n_pad[40]; };

static pthread_barrier_t start, done;
static void *volatile shared;
static volatile int use_delete;
static int rounds;

static void
release(void)
{
	if (use_delete)
		delete (node *)shared;
	else
		free(shared);
}

static void *
worker(void *arg)
{
	(void) arg;
	for (int i = 0; i < rounds; i++) {
		pthread_barrier_wait(&start);
		release();
		pthread_barrier_wait(&done);
	}
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	size_t size = strtoul(argv[1], NULL, 0);
	pthread_t t[2];
	static void *many[4000];

	rounds = atoi(argv[2]);
	use_delete = argc > 3;
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < rounds; i++) {
		if (use_delete)
			shared = new node();
		else
			shared = malloc(size);
		memset(shared, 1, use_delete ? sizeof (node) : size);
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* A buffer freed into two magazines comes out twice. */
	for (int i = 0; i < 4000; i++)
		many[i] = malloc(use_delete ? sizeof (node) : size);
	qsort(many, 4000, sizeof (many[0]), cmp);
	for (int i = 1; i < 4000; i++)
		if (many[i] == many[i - 1]) {
			printf("handed out twice: %p\n", many[i]);
			return 3;
		}
	puts("distinct");
	return 0;
}
C
ROUNDS=5000    # the old race showed about once in 5,000 rounds
for o in O0 O2; do
	g++ -g -"$o" -pthread -o "race_$o" race.cc ||
	    { fail "race.cc does not compile at -$o"; continue; }
done
# mode: name and environment
modes=("0xf KMEM_FLAGS=0xf"
	"default UMEM_DEBUG=default,noabort"
	"lite UMEM_DEBUG=lite,noabort"
	"fw KMEM_FLAGS=0x4f")
for m in "${modes[@]}"; do
	read -r name env <<<"$m"
	for case in "48" "4000" "200000" "48 delete"; do
		# shellcheck disable=SC2086	# $case: size and maybe "delete"
		for o in O0 O2; do
			[ -x "race_$o" ] || continue
			# KMEM_FLAGS has no noabort word: UMEM_DEBUG adds it.
			extra=
			case $env in KMEM_FLAGS=*) extra="UMEM_DEBUG=noabort" ;; esac
			env $env $extra UMEM_OPTIONS=dump=off,nosymbolize LD_PRELOAD="$ST_SO" \
			    timeout 300 "./race_$o" ${case%% *} $ROUNDS \
			    ${case#"${case%% *}"} >out 2>err
			st=$?
			what="$name -$o size $case"
			[ $st -eq 0 ] && grep -qx distinct out ||
			    fail "$what: status $st, $(head -c 300 out)" \
			    "$(grep -v '^slabtrace\[[0-9]*\]:  ' err | head -3)"
			dup=$(grep -c '\]: duplicate free: buffer freed twice$' err)
			other=$(grep -c -E '^slabtrace\[[0-9]+\]: (bad free|buffer modified|redzone|invalid|free\(|buffer allocated with)' err)
			check "$what: $ROUNDS duplicate frees reported" \
			    same "$dup" "$ROUNDS"
			check "$what: no other report" same "$other" 0
		done
	done
done
[ $fails -eq 0 ] || exit 1
