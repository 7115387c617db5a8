#!/bin/bash
# aarch64: the library built for aarch64 (gcc-aarch64-linux-gnu) and run
# under qemu-user: the port's code (frame-record stacks, the clock without
# a TSC, the fault handler's registers) must build without a warning and
# catch the seed's bugs there too.  Checked, under KMEM_FLAGS=0xf:
#   - a write after free, found at exit, with the free's and the
#     allocation's stacks naming main;
#   - a one-byte overrun and a double free, found at free;
#   - unit tests that need no x86 (depot, stamps, slabs, vmem, the
#     depot's share) pass.
# Without the cross compiler or qemu (scripts/debian-setup.sh installs
# them) the test fails and says what is missing.
# timeout: 900
# Run by tests/run-tests.sh with ST_SO, ST_CLI and ST_ROOT set.
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
unset KMEM_FLAGS UMEM_DEBUG UMEM_LOGGING UMEM_OPTIONS SLABTRACE_RUN
CC=aarch64-linux-gnu-gcc
QEMU=qemu-aarch64
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
for tool in "$CC" "$QEMU"; do
	if ! command -v "$tool" >/dev/null; then
		fail "$tool is not installed (sh scripts/debian-setup.sh)"
		exit 1
	fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The library, warnings as failures.
if ! make -s -C "$ST_ROOT" BUILD="$work/build" CC="$CC" \
    EXTRA_CFLAGS=-Werror "$work/build/libslabtrace.so" \
    "$work/build/libslabtrace.a" >"$work/build.log" 2>&1; then
	fail "the library does not build for aarch64"
	sed 's/^/    /' "$work/build.log" | head -20
	exit 1
fi
cd "$work" || exit 1

cat >uaf.c <<'EOF'
#include <stdlib.h>
#include <string.h>
int main(void) {
	volatile char *p = malloc(40);
	strcpy((char *)p, "hello");
	free((void *)p);
	p[3] = 'X';		/* the bug: after free, right before exit */
	return 0;
}
EOF
cat >overrun.c <<'EOF'
#include <stdlib.h>
#include <string.h>
int main(void) {
	volatile char *p = malloc(10);
	memcpy((char *)p, "0123456789", 10);
	p[10] = 0;		/* the bug: one past the end */
	free((void *)p);
	return 0;
}
EOF
cat >dfree.c <<'EOF'
#include <stdlib.h>
int main(void) {
	void *volatile p = malloc(24);
	free(p);
	free(p);		/* the bug */
	return 0;
}
EOF
run() {	# NAME: build NAME.c, run it under 0xf; its report in NAME.err
	if ! "$CC" -O2 -g -o "$1" "$1.c" 2>"$1.build"; then
		fail "$1: does not build"
		return 1
	fi
	timeout 300 "$QEMU" -E LD_PRELOAD="$work/build/libslabtrace.so" \
	    -E KMEM_FLAGS=0xf -E UMEM_OPTIONS=dump=off "./$1" \
	    >"$1.out" 2>"$1.err"
	echo $? >"$1.status"
}
has() {	# NAME REGEX: a line of NAME's report matches
	grep -Eq "$2" "$1.err" || { sed 's/^/    /' "$1.err" | head -20; false; }
}
run uaf
check "uaf: reported" has uaf "slabtrace\[[0-9]+\]: buffer modified after being freed"
check "uaf: the write's offset" has uaf "modification occurred at offset 0x0 \(0xdeadbeefdeadbeef replaced by 0xdeadbeef58adbeef\)"
check "uaf: the free's stack names main" has uaf "^slabtrace\[[0-9]+\]: +main\+0x"
check "uaf: killed by SIGABRT" same "$(cat uaf.status)" 134
run overrun
check "overrun: reported" has overrun "redzone violation: write past end of buffer"
check "overrun: the byte" has overrun "write at offset 0xa, byte 1 past the end of the 10-byte buffer"
run dfree
check "dfree: reported" has dfree "duplicate free: buffer freed twice"
check "dfree: where" has dfree "^slabtrace\[[0-9]+\]: +main\+0x"

for t in test_depot test_stamp test_slab test_vmem test_depot_share; do
	if ! "$CC" -std=c11 -D_GNU_SOURCE -O2 -g -I"$ST_ROOT/src" \
	    -I"$ST_ROOT/include" -o "$t" "$ST_ROOT/tests/unit/$t.c" \
	    "$work/build/libslabtrace.a" -pthread 2>"$t.build"; then
		fail "$t: does not build for aarch64"
		sed 's/^/    /' "$t.build" | head -5
		continue
	fi
	if ! timeout 300 "$QEMU" "./$t" >"$t.out" 2>&1; then
		fail "$t: failed under qemu-aarch64"
		sed 's/^/    /' "$t.out" | tail -5
	fi
done
[ $fails -eq 0 ] || exit 1
