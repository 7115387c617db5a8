#!/usr/bin/env bash
# make demo: the seed's story (../shared/seed/kmem-deadbeef-checking.txt), in
# user space, then slabtrace as an everyday malloc.
#
#  1. kbad (demo/kbad.c) frees a 256-byte buffer that its timer still
#     fills with '?'.  Run plainly under `slabtrace run`, it dies far away:
#     a general protection fault in list_remove on 0x3f3f3f3f3f3f3f3f,
#     leaving vmcore.1.
#  2. `slabtrace mdb 1`: ::status, $c, the faulting instruction,
#     list_remove::dis, and the node it was given: full of question marks.
#  3. The same program with KMEM_FLAGS=0xf: "buffer modified after being
#     freed", the buffer, its bufctl, and vmcore.2.
#  4. `slabtrace mdb 2`: ::status, ::msgbuf, ADDR::kmalog (every transaction
#     on the buffer) and BUFCTL::bufctl -h -a ADDR ! cut | sort -u (every
#     caller that had it): kbad_bad.
#  5. Real programs under slabtrace, and what the allocator saw.
# The dumps go to one directory that holds an empty vmcore.0, so that they
# are numbered 1 and 2 as in the seed.  BUILD=DIR uses DIR's slabtrace
# (default build/) and writes under DIR/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
case "$B" in /*) ;; *) B=$PWD/$B ;; esac
ST=$B/slabtrace
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
D=$B/demo
DUMPS=$D/dumps
rm -rf "$D" && mkdir -p "$DUMPS"
: >"$DUMPS/vmcore.0"
cc -O2 -g -pthread -o "$D/kbad" demo/kbad.c

# mdb N 'COMMANDS' 'what it shows': one step of a debugger session.
mdb() {
	printf '\n> %s\t\t(%s)\n' "$2" "$3"
	(cd "$DUMPS" && timeout 60 "$ST" mdb -e "$2" "$1") 2>&1 |
	    sed 's/^./    &/' || true
}

say "1. the bug, unseen: slabtrace run -- kbad"
# (the shell's own "Segmentation fault" line about the subshell is dropped)
{ (cd "$D" && timeout 60 "$ST" run --options=dumpdir=dumps -- ./kbad) 2>&1 |
    sed 's/^/    /'; } 2>/dev/null || true
echo "(died on a general protection fault, far from the bug: the '?' came from somewhere)"

say "2. slabtrace mdb 1"
mdb 1 '::status' "a general protection fault on 0x3f3f3f3f3f3f3f3f in list_remove"
mdb 1 '$c' "who called it: zil_itxg_clean, cleaning the zil list"
mdb 1 '<rip/i' "the faulting instruction (%rip): a store through a list link"
mdb 1 'list_remove::dis' "list_remove loads both links from the node in %rdi"
mdb 1 '3f3f3f3f3f3f3f3f=s' "the link is not an address: it is ASCII, '????????'"
mdb 1 '<rdi,4/K' "the node list_remove was given (%rdi): question marks; the list was corrupted"

say "3. booting with kmem_flags: slabtrace run -f 0xf -- kbad"
{ (cd "$D" && timeout 60 "$ST" run -f 0xf --options=dumpdir=dumps \
    -- ./kbad) >"$D/report.txt" 2>&1; } 2>/dev/null || true
sed 's/^/    /' "$D/report.txt"
echo "(the report names the buffer, its bufctl, its cache and the free in kbad_bad that left it to the timer)"

say "4. slabtrace mdb 2"
buf=$(sed -n 's/.*buffer=\([0-9a-f]*\) .*/\1/p' "$D/report.txt" | head -1)
bufctl=$(sed -n 's/.* bufctl=\([0-9a-f]*\) .*/\1/p' "$D/report.txt" | head -1)
mdb 2 '::status' "this time: heap corruption detected"
mdb 2 '::msgbuf' "the allocator's report, kept in the dump"
if [ -n "$buf" ] && [ -n "$bufctl" ]; then
	mdb 2 "$buf::kmalog" "every transaction on buffer $buf, newest first: kbad_bad freed it after allocating it"
	mdb 2 "$bufctl::bufctl -h -a $buf ! cut -d \" \" -f 7 | sort -u" \
	    "every caller that ever had the buffer: the list points at kbad_bad"
else
	echo "(no buffer= and bufctl= in the report)"
fi
ls -l "$DUMPS" | sed 's/^/    /'

say "5. the dump is an ELF core too: gdb kbad vmcore.2, bt"
if command -v gdb >/dev/null; then
	# The allocator's own frames (the report, the panic) come first:
	# fold them, and show the program's from its call into the allocator.
	timeout 60 gdb -batch -nx -ex bt "$D/kbad" "$DUMPS/vmcore.2" 2>/dev/null |
	    grep '^#' | uniq | awk '
		/ at src\// && !prog { n++; last = $0; next }
		!prog { prog = 1; if (n > 1) printf "... %d frames in libslabtrace.so ...\n", n - 1
			if (n) print last }
		{ print }' | head -12 | sed 's/^/    /' || true
else
	echo "    (gdb is not installed: scripts/debian-setup.sh installs it)"
fi

say "6. python3 under glibc's malloc"
/usr/bin/python3 demo/workload.py

say "7. the same, unmodified, under slabtrace: slabtrace run -- python3 demo/workload.py"
SLABTRACE_STATS=1 "$ST" run -- /usr/bin/python3 demo/workload.py 2>$D/stats.all
grep '^slabtrace: ' $D/stats.all | sed 's/^/    /' || true
grep -v '^slabtrace: ' $D/stats.all >$D/stats.txt || true
echo "(same output: the program cannot tell the difference)"

say "8. what the allocator saw: the busiest caches (SLABTRACE_STATS=1)"
head -3 $D/stats.txt
sed -n '4,/^$/p' $D/stats.txt | grep -v '^$' | sort -k6 -n -r | sed -n 1,12p
echo "..."
sed -n '/^vmem arena/,$p' $D/stats.txt

say "9. a foreign pointer passed to free() is refused, even with debugging off"
cat > $D/badfree.c <<'C'
#include <stdlib.h>
int main(void) { static char not_heap[64]; char *volatile p = not_heap + 8; free(p); return 0; }
C
cc -o $D/badfree $D/badfree.c
"$ST" run --options=dumpdir=$D -- $D/badfree || echo "(exit status $?: SIGABRT)"
