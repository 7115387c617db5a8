#!/bin/bash
# realloc_room: strings appended to by exact-size realloc past the largest
# size class (128 KiB to 2 MiB, 8 of them in turn, so that a neighbour
# sits after each) keep their contents and move a logarithmic number of
# times, not once a page, in every mode: without debugging (malloc.c's
# room), under UMEM_DEBUG=lite and KMEM_FLAGS=0xf (a big buffer with room,
# firewall.c section 6), and in both debug modes when the firewall's
# address space cannot be reserved (ulimit -v: a plain oversize buffer,
# which must keep the room too; under Valgrind that is always the case).
# Once a page would be 480 moves a string; 1.25 ** 14 > 16 makes 14.
# (malloc_conform checks realloc's contents in more shapes; this, the moves.)
# timeout: 600
# Run by tests/run-tests.sh with ST_SO, ST_CLI and ST_ROOT set.
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset KMEM_FLAGS UMEM_DEBUG UMEM_LOGGING UMEM_OPTIONS SLABTRACE_RUN

cat >grow.c <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NSTR 8
int main(void) {
	const size_t from = 128 * 1024, to = 2 * 1024 * 1024;
	unsigned char *volatile s[NSTR];
	size_t len[NSTR], moves = 0, k;
	uint64_t x = 88172645463325252ULL;
	int growing = NSTR, i;

	for (i = 0; i < NSTR; i++) {
		s[i] = malloc(from);
		if (s[i] == NULL)
			return 2;
		for (k = 0; k < from; k++)
			s[i][k] = (unsigned char)(k * 7 + i);
		len[i] = from;
	}
	while (growing > 0) {
		growing = 0;
		for (i = 0; i < NSTR; i++) {
			size_t add;
			unsigned char *q;

			if (len[i] >= to)
				continue;
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			add = 1 + x % 128;
			q = realloc(s[i], len[i] + add);
			if (q == NULL)
				return 2;
			moves += (q != s[i]);
			s[i] = q;
			for (k = len[i]; k < len[i] + add; k++)
				q[k] = (unsigned char)(k * 7 + i);
			len[i] += add;
			growing++;
		}
	}
	for (i = 0; i < NSTR; i++) {
		for (k = 0; k < len[i]; k++)
			if (s[i][k] != (unsigned char)(k * 7 + i)) {
				printf("string %d: byte %zu lost\n", i, k);
				return 1;
			}
		free(s[i]);
	}
	printf("moves %zu\n", moves);
	return 0;
}
EOF
cc -O2 -o grow grow.c || exit 1

# run LABEL ULIMIT_V_KB ENV...: the program under the library.
run() {
	local label=$1 lim=$2 out st n
	shift 2
	out=$( (ulimit -v "$lim" && env "$@" UMEM_OPTIONS=dump=off \
	    LD_PRELOAD="$ST_SO" timeout 300 ./grow) 2>"$label.err")
	st=$?
	check "$label: exit 0 (got $st: $out $(head -c 200 "$label.err"))" \
	    test "$st" -eq 0
	n=${out#moves }
	check "$label: a logarithmic number of moves ($out)" \
	    test "$n" -le $((8 * 14)) 2>/dev/null
}

run plain unlimited X=1
run lite unlimited UMEM_DEBUG=lite
run 0xf unlimited KMEM_FLAGS=0xf
# 4 GiB: the heap, the oversize arena and the depot fit; the firewall's
# reservation does not.
run "lite, no firewall space" 4194304 UMEM_DEBUG=lite
check "lite, no firewall space: the firewall said so" \
    grep -q "firewall: cannot reserve" "lite, no firewall space.err"
run "0xf, no firewall space" 4194304 KMEM_FLAGS=0xf
[ $fails -eq 0 ] || exit 1
