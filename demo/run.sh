#!/usr/bin/env bash
# make demo: the seed's story (../shared/seed/kmem-deadbeef-checking.txt), in
# user space, then slabtrace as an everyday malloc.
#
#  1. kbad (demo/kbad.c) frees a 256-byte buffer that its timer still
#     fills with '?'.  Run plainly under `slabtrace run`, it dies far away:
#     a general protection fault in list_remove on 0x3f3f3f3f3f3f3f3f,
#     with a crash dump that says nothing of the culprit.
#  2. The same program with KMEM_FLAGS=0xf: "buffer modified after being
#     freed", the buffer, its cache kmem_alloc_256, and the stack that freed
#     it (kbad_bad); a crash dump that gdb opens.
#  3. Real programs under slabtrace, and what the allocator saw.
# (`slabtrace mdb` on the dumps is the next issue.)
set -euo pipefail
cd "$(dirname "$0")/.."
ST=build/slabtrace
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
D=build/demo
rm -rf "$D" && mkdir -p "$D"
cc -O2 -g -pthread -o "$D/kbad" demo/kbad.c

say "1. the bug, unseen: $ST run -- kbad"
# (the shell's own "Segmentation fault" line about the subshell is dropped)
{ (cd "$D" && mkdir -p first && ../slabtrace run --options=dumpdir=first \
    -- ./kbad) 2>&1 | sed 's/^/    /'; } 2>/dev/null || true
echo "(died on a general protection fault, far from the bug: the '?' came from somewhere)"

say "2. booting with kmem_flags: $ST run -f 0xf -- kbad"
{ (cd "$D" && mkdir -p second && ../slabtrace run -f 0xf \
    --options=dumpdir=second -- ./kbad) 2>&1 | sed 's/^/    /'; } 2>/dev/null || true
echo "(the report names the buffer, its cache and the free in kbad_bad that left it to the timer)"

say "3. the crash dump is an ELF core: gdb kbad second/vmcore.0, bt"
if command -v gdb >/dev/null; then
	# The allocator's own frames (the report, the panic) come first:
	# fold them, and show the program's from its call into the allocator.
	gdb -batch -nx -ex bt "$D/kbad" "$D/second/vmcore.0" 2>/dev/null |
	    grep '^#' | uniq | awk '
		/ at src\// && !prog { n++; last = $0; next }
		!prog { prog = 1; if (n > 1) printf "... %d frames in libslabtrace.so ...\n", n - 1
			if (n) print last }
		{ print }' | head -12 | sed 's/^/    /'
else
	echo "    (gdb is not installed: scripts/debian-setup.sh installs it)"
fi
ls -l "$D/first" "$D/second" | sed 's/^/    /'

say "4. python3 under glibc's malloc"
/usr/bin/python3 demo/workload.py

say "5. the same, unmodified, under slabtrace: $ST run -- python3 demo/workload.py"
SLABTRACE_STATS=1 "$ST" run -- /usr/bin/python3 demo/workload.py 2>build/demo-stats.all
grep '^slabtrace: ' build/demo-stats.all | sed 's/^/    /' || true
grep -v '^slabtrace: ' build/demo-stats.all >build/demo-stats.txt || true
echo "(same output: the program cannot tell the difference)"

say "6. what the allocator saw: the busiest caches (SLABTRACE_STATS=1)"
head -3 build/demo-stats.txt
sed -n '4,/^$/p' build/demo-stats.txt | grep -v '^$' | sort -k6 -n -r | head -12
echo "..."
sed -n '/^vmem arena/,$p' build/demo-stats.txt

say "7. a foreign pointer passed to free() is refused, even with debugging off"
cat > build/demo-badfree.c <<'C'
#include <stdlib.h>
int main(void) { static char not_heap[64]; char *volatile p = not_heap + 8; free(p); return 0; }
C
cc -o build/demo-badfree build/demo-badfree.c
"$ST" run --options=dumpdir=$D -- build/demo-badfree || echo "(exit status $?: SIGABRT)"
