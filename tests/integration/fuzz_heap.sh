#!/bin/bash
# fuzz_heap: the libFuzzer target for the debugger's kmem commands on a dump
# whose allocator state is overwritten (tests/fuzz/fuzz_heap.c says how):
# a small program's dump under KMEM_FLAGS=0xf is made first, then the saved
# corpus and old crashes run clean and 20 s of fuzzing (tests/fuzz/run.sh).
# By hand: ST_ROOT=$PWD ST_SO=build/libslabtrace.so bash tests/integration/fuzz_heap.sh
# timeout: 300
: "${ST_ROOT:?ST_ROOT must be the repository root}" "${ST_SO:?}"
export ST_ROOT
so=$(cd "$(dirname "$ST_SO")" && pwd)/$(basename "$ST_SO")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/heap.c" <<'PROG'
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; char pad[40]; };
static struct node *volatile head;
static void *volatile keep[64];
static void *worker(void *arg) {
	for (int i = 0; i < 32; i++)
		free(malloc(24 + i * 8));
	return arg;
}
int main(void) {
	pthread_t t;
	for (int i = 0; i < 40; i++) {
		struct node *n = malloc(sizeof (*n));
		n->next = head;
		head = n;
	}
	for (int i = 0; i < 64; i++)
		keep[i] = malloc((size_t)(16 << (i % 9)));
	for (int i = 0; i < 64; i += 3) {
		free(keep[i]);
		keep[i] = NULL;
	}
	keep[1] = malloc(200000);	/* oversize */
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	char *volatile p = malloc(100);
	free(p);
	free(p);			/* the panic and the dump */
	return 0;
}
PROG
cc -O1 -g -pthread -o "$work/heap" "$work/heap.c" || exit 1
(cd "$work" && env LD_PRELOAD="$so" KMEM_FLAGS=0xf ./heap \
    >/dev/null 2>&1) 2>/dev/null
if [ ! -f "$work/vmcore.0" ]; then
	echo "fuzz_heap: the program left no dump"
	exit 1
fi
export FUZZ_HEAP_CORE=$work/vmcore.0
dw=$(pkg-config --libs libdw 2>/dev/null || echo -ldw -lelf)
mdb_srcs=$(cd "$ST_ROOT" && echo src/mdb/*.c src/leaky.c)
FZ_NAME=heap FZ_SRCS="tests/fuzz/fuzz_heap.c $mdb_srcs" \
    FZ_LIBS="$dw -lstdc++" FZ_MAXLEN=768 bash "$ST_ROOT/tests/fuzz/run.sh"
