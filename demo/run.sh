#!/usr/bin/env bash
# make demo: the story so far.  A real program (python3 building and
# serialising a large dictionary) runs unmodified under slabtrace, and the
# allocator prints its per-cache statistics (::kmastat's shape) at exit.
# Later issues turn this into the seed's walkthrough: kmem_flags=0xf catching
# a use-after-free, the report, the crash dump and `slabtrace mdb`.
set -euo pipefail
cd "$(dirname "$0")/.."
ST=build/slabtrace
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. python3 under glibc's malloc"
/usr/bin/python3 demo/workload.py

say "2. the same, unmodified, under slabtrace: $ST run -- python3 demo/workload.py"
SLABTRACE_STATS=1 "$ST" run -- /usr/bin/python3 demo/workload.py 2>build/demo-stats.txt
echo "(same output: the program cannot tell the difference)"

say "3. what the allocator saw: the busiest caches (SLABTRACE_STATS=1)"
head -3 build/demo-stats.txt
sed -n '4,/^$/p' build/demo-stats.txt | grep -v '^$' | sort -k6 -n -r | head -12
echo "..."
sed -n '/^vmem arena/,$p' build/demo-stats.txt

say "4. a foreign pointer passed to free() is refused, even with debugging off"
cat > build/demo-badfree.c <<'C'
#include <stdlib.h>
int main(void) { static char not_heap[64]; char *volatile p = not_heap + 8; free(p); return 0; }
C
cc -o build/demo-badfree build/demo-badfree.c
"$ST" run -- build/demo-badfree || echo "(exit status $?: SIGABRT)"
