#!/bin/bash
# mdb: `slabtrace mdb` on dumps made by small buggy programs (src/mdb/).
#   - a double free, a use-after-free (KMEM_FLAGS=0xf), a SIGSEGV in a
#     second thread each leave vmcore.0; `slabtrace mdb -e '...' 0` must
#     give ::status (golden, with host, release, pid, times and paths
#     normalized), ::msgbuf with the report, $c with the program's
#     functions in order, $C with frame pointers whose saved words are
#     the caller's, ::threads with every thread, TID::stack, $r,
#     ::dis, ADDR/K, a pipe through the shell (::msgbuf ! grep -c), $q,
#     ::help, ::dcmds, and one line for an unknown command or a bad
#     address, at the prompt as with -e;
#   - a truncated dump (several sizes), a zero-filled file, a non-ELF
#     file, a dump with a corrupt note size and one with a newer
#     sn_version: one line on stderr, nothing on stdout, exit status 1,
#     never a crash or a hang (every run is under `timeout`).
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 180
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
set -u
# shellcheck source=tests/check.sh
. "$ST_ROOT/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# Host, release, pid, time, thread ids, the work directory: normalized.
norm() {
	sed -e "s|$work|WORK|g" \
	    -e 's/^\(debugging crash dump vmcore\.0 (64-bit) from\) .*/\1 HOST/' \
	    -e 's/^operating system: .*/operating system: OS/' \
	    -e 's/(pid [0-9]*)/(pid PID)/' \
	    -e 's/^panic time: .*/panic time: TIME/' \
	    -e 's/^panic thread: [0-9]*/panic thread: TID/'
}
expect_file() {	# what, file with the expected text, file with the output
	if ! diff -u "$2" "$3" >diff.out; then
		fail "$1 differs:"
		sed 's/^/    /' diff.out | head -30
	fi
}

# ---- the programs and their dumps ----
cat >df.c <<'EOF'
#include <stdlib.h>
static char *volatile keep;
__attribute__((noinline)) void df_free_once(char *p) { free(p); }
__attribute__((noinline)) void df_free_again(char *p) { free(p); }
int main(void) {
	char *p = malloc(100);
	keep = p;
	df_free_once(p);
	df_free_again(p);
	return 0;
}
EOF
cat >uaf.c <<'EOF'
#include <stdlib.h>
#include <string.h>
static char *volatile keep;
__attribute__((noinline)) void uaf_free(char *p) { free(p); }
__attribute__((noinline)) void uaf_write(char *p) { memset(p, 0x3f, 8); }
int main(void) {
	char *p = malloc(200);
	keep = p;
	uaf_free(p);
	uaf_write(p);
	return 0;
}
EOF
cat >segv.c <<'EOF'
#include <pthread.h>
#include <stdlib.h>
static int *volatile nowhere;
__attribute__((noinline)) void segv_deref(void) { *nowhere = 42; }
__attribute__((noinline)) void *segv_worker(void *arg) {
	(void) arg;
	free(malloc(64));
	segv_deref();
	return NULL;
}
int main(void) {
	pthread_t t;
	pthread_create(&t, NULL, segv_worker, NULL);
	pthread_join(t, NULL);
	return 0;
}
EOF
for p in df uaf segv; do
	cc -O1 -g -fno-omit-frame-pointer -fno-inline -pthread -o "$p" "$p.c" ||
	    exit 1
	mkdir "d.$p"
	(cd "d.$p" && env LD_PRELOAD="$ST_SO" KMEM_FLAGS=0xf \
	    timeout 60 "../$p" >stdout 2>stderr </dev/null) 2>/dev/null
	if [ ! -f "d.$p/vmcore.0" ]; then
		fail "$p: no dump"
		sed 's/^/    /' "d.$p/stderr" | tail -5
	fi
done
[ $fails -eq 0 ] || exit 1

# ---- ::status, golden ----
cd "$work/d.df" || exit 1
mdb -e '::status' 0 || fail "::status: status $st: $(cat err)"
norm <out >status.out
cat >status.want <<'EOF'
debugging crash dump vmcore.0 (64-bit) from HOST
operating system: OS
program: WORK/df (pid PID)
initial argv: ../df
panic message: heap corruption detected
panic time: TIME
panic thread: TID
fatal signal: none (a heap corruption report)
kmem_flags: 0xf (AUDIT|DEADBEEF|REDZONE|CONTENTS)
dump content: all memory
dump version: 2
threads: 1 with registers
EOF
expect_file "::status (double free)" status.want status.out

# ---- $c: the program's frames in order, mdb's form ----
mdb -e '$c' 0 || fail "\$c: status $st: $(cat err)"
grep -o '^[a-z_]*' out | grep -v '^$' | grep -E '^(df_|main)' >frames.out
printf '%s\n' df_free_again main >frames.want
expect_file "\$c (double free)" frames.want frames.out
grep -q '^free+0x[0-9a-f]*()$' out || fail "\$c: no free+0x...() frame: $(head -3 out)"
grep -q '^df_free_again+[0-9a-fx]*()$' out ||
    fail "\$c: not in mdb's form: $(cat out)"
mdb -e '::stack -v' 0
grep -q '^df_free_again+[0-9a-fx]*()  .*df\.c:4$' out ||
    fail "::stack -v: no df.c:4: $(cat out)"

# `slabtrace mdb PROGRAM DUMP`: the program has moved.
mkdir -p "$work/moved" && mv "$work/df" "$work/moved/df.moved"
mdb -e '$c' "$work/moved/df.moved" vmcore.0
grep -q '^df_free_again+' out || fail "PROGRAM DUMP: $(cat out) $(cat err)"
mv "$work/moved/df.moved" "$work/df"

# ---- ::msgbuf and a pipe through the shell ----
mdb -e '::msgbuf' 0 || fail "::msgbuf: status $st: $(cat err)"
[ "$(head -1 out)" = MESSAGE ] || fail "::msgbuf: no MESSAGE header"
grep -q '^duplicate free: buffer freed twice$' out ||
    fail "::msgbuf: no report: $(head -5 out)"
grep -q '^    df_free_once+0x9 ' out || fail "::msgbuf: no stack line"
mdb -e '::msgbuf ! grep -c "buffer freed twice"' 0
[ "$(cat out)" = 1 ] || fail "::msgbuf ! grep -c: '$(cat out)' $(cat err)"
mdb -e '::msgbuf ! grep -c nothing-like-this; ::status' 0
[ "$(cat out)" = 0 ] || fail "! takes the rest of the line: '$(cat out)'"

# ---- help, $q, errors ----
mdb -e '::help' 0
grep -q '^  ::msgbuf  *- ' out || fail "::help: no ::msgbuf line"
mdb -e '::help stack' 0
grep -q '^  stack - ' out && grep -q '^SYNOPSIS$' out ||
    fail "::help stack: $(cat out)"
mdb -e '::dcmds' 0
[ "$(grep -c ' - ' out)" -ge 9 ] || fail "::dcmds: $(cat out)"
mdb -e '$q; ::status' 0
[ $st -eq 0 ] && [ ! -s out ] || fail "\$q did not quit: $(cat out)"
mdb -e '::nosuchcommand' 0
[ $st -eq 1 ] && [ "$(cat err)" = "mdb: unknown command: ::nosuchcommand" ] ||
    fail "unknown command: status $st: $(cat err)"
mdb -e '10/K' 0
[ $st -eq 1 ] &&
    [ "$(cat err)" = "mdb: failed to read 8 bytes at 10: no mapping for address" ] ||
    fail "bad address: status $st: $(cat err)"
mdb -e 'no_such_symbol/K' 0
[ "$(cat err)" = "mdb: unknown symbol: no_such_symbol" ] ||
    fail "bad symbol: $(cat err)"
# At the prompt: the error, then the prompt back.
printf '::nosuchcommand\n::status\n$q\n' |
    timeout 60 "$ST_CLI" mdb 0 >out 2>err
st=$?
[ $st -eq 0 ] || fail "prompt: status $st"
[ "$(cat err)" = "mdb: unknown command: ::nosuchcommand" ] ||
    fail "prompt: $(cat err)"
grep -q '^> > debugging crash dump' out ||
    fail "prompt: not back after the error: $(head -2 out)"

# ---- memory, symbols, ::dis ----
mdb -e 'main::dis' 0
head -1 out | grep -q '^main: \{16,\}[a-z]' || fail "main::dis: $(head -3 out)"
grep -q '^main+0x[0-9a-f]*: *call' out || fail "main::dis: no call: $(cat out)"
mdb -e 'main,2/X; main/K; main+4=K; .=K' 0
[ $st -eq 0 ] || fail "formats: $(cat err)"
grep -q '^main: \{1,\}[0-9a-f]\{1,8\} [0-9a-f]\{1,8\}$' out ||
    fail "main,2/X: $(cat out)"

# ---- the use-after-free ----
cd "$work/d.uaf" || exit 1
mdb -e '::msgbuf' 0
grep -q '^buffer modified after being freed$' out ||
    fail "uaf ::msgbuf: $(head -5 out)"
grep -q '^    uaf_free+0x[0-9a-f]*  .*uaf\.c:4$' out ||
    fail "uaf ::msgbuf: no uaf_free stack line"
buf=$(sed -n 's/^buffer=\([0-9a-f]*\) .*/\1/p' out | head -1)
mdb -e "$buf/K" 0
grep -q "^0x$buf: *[0-9a-f]\{16\}$" out || fail "$buf/K: $(cat out) $(cat err)"

# ---- the SIGSEGV in a second thread ----
cd "$work/d.segv" || exit 1
mdb -e '::status' 0
grep -q '^fatal signal: SIGSEGV (Segmentation fault), addr=0$' out ||
    fail "segv ::status: $(cat out)"
grep -q '^threads: 2 with registers$' out || fail "segv ::status threads"
mdb -e '::threads' 0
[ "$(grep -c '^[* ] [0-9]' out)" -eq 2 ] || fail "::threads: $(cat out)"
grep -q '^\* [0-9]* *SIGSEGV *segv_deref+' out ||
    fail "::threads: panicking thread: $(cat out)"
mdb -e '$c' 0
grep -o '^[a-z_]*' out | grep -E '^segv_' >frames.out
printf '%s\n' segv_deref segv_worker >frames.want
expect_file "segv \$c" frames.want frames.out
# $C: mdb's frame pointers.  segv_worker keeps one (-fno-omit-frame-
# pointer): the word it points at is its caller's, printed on the next
# line, and the word above it is the return address, the next line's pc.
mdb -e '$C' 0
grep -Evq '^[0-9a-f]{16} [^ ]+\(\)$' out && fail "\$C: not in mdb's form: $(cat out)"
fp=$(sed -n 's/^\([0-9a-f]\{16\}\) segv_worker+.*/\1/p' out)
next=$(awk '$2 ~ /^segv_worker\+/ { getline; print; exit }' out)
if [ -z "$fp" ] || [ -z "$next" ]; then
	fail "\$C: no segv_worker frame and caller: $(cat out)"
else
	mdb -e "$fp/K" 0
	saved=$(sed -n 's/^0x[0-9a-f]*: *\([0-9a-f]*\) *$/\1/p' out)
	[ -n "$saved" ] && [ $((16#$saved)) -eq $((16#${next%% *})) ] ||
	    fail "\$C: segv_worker's fp $fp holds $(cat out), not the caller's fp (${next%% *})"
	mdb -e "$fp+8/p" 0
	want=${next#* }
	grep -qF ": ${want%()}" out ||
	    fail "\$C: $fp+8 holds $(cat out), not the caller's pc ${want%()}"
fi
main_tid=$(sed -n 's/^  \([0-9][0-9]*\) .*/\1/p' <(timeout 60 "$ST_CLI" mdb \
    -e ::threads 0) | head -1)
mdb -e "0t$main_tid::stack" 0
grep -q '^main+' out || fail "0t$main_tid::stack: no main: $(cat out)"
mdb -e "$main_tid::stack" 0
grep -q '^main+' out || fail "$main_tid::stack (decimal): $(cat out)"
mdb -e '$r' 0
grep -q '^%rip = 0x[0-9a-f]\{16\} segv_deref+7$' out ||
    fail "\$r: $(grep rip out)"

# ---- damaged files: one line, status 1, never a crash ----
cd "$work" || exit 1
cp d.df/vmcore.0 good
size=$(stat -c %s good)
# The notes' file offset, and the slabtrace note's descriptor.
notes=$(od -An -t u8 -j 32 -N 8 good | tr -d ' ')	# e_phoff
refuse() {	# what, file
	mdb "$2"
	if [ $st -ne 1 ] || [ -s out ] || [ "$(wc -l <err)" -ne 1 ]; then
		fail "$1: status $st, $(wc -l <err) lines: $(head -3 err)"
	fi
}
for n in 0 3 63 64 200 2000 4000 $((size / 2)) $((size - 1)); do
	head -c "$n" good >cut
	refuse "truncated at $n" cut
done
dd if=/dev/zero of=zero bs=4096 count=4 2>/dev/null
refuse "zero-filled" zero
grep -q 'not an ELF file' err || fail "zero-filled: $(cat err)"
refuse "non-ELF" "$work/df.c"
grep -q 'not an ELF file' err || fail "non-ELF: $(cat err)"
# The PT_NOTE is the first program header: its p_offset at e_phoff + 8.
noteoff=$(od -An -t u8 -j $((notes + 8)) -N 8 good | tr -d ' ')
cp good badnote
printf '\377\377\377\177' |
    dd of=badnote bs=1 seek=$((noteoff + 4)) conv=notrunc 2>/dev/null
refuse "corrupt note size" badnote
grep -q 'corrupt note' err || fail "corrupt note: $(cat err)"
# sn_version: at offsetof(st_dump_note_t, sn_version) = 68 in the note.
magic=$(grep -obUa 'slabtrace-dump:1' good | head -1 | cut -d: -f1)
cp good newver
printf '\143\000\000\000' |
    dd of=newver bs=1 seek=$((magic + 68)) conv=notrunc 2>/dev/null
refuse "newer sn_version" newver
grep -q 'dump version 99 is newer than this debugger.s 2' err ||
    fail "sn_version: $(cat err)"
mdb no-such-file
[ $st -eq 1 ] || fail "missing file: status $st"

[ $fails -eq 0 ] && echo "mdb: all checks passed"
[ $fails -eq 0 ]
