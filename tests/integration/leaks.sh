#!/bin/bash
# leaks: the leak check (UMEM_OPTIONS=leakcheck; src/leakcheck.c over
# src/leaky.c).  tests/leaks/leaky.c and leaky_cxx.cc leak on purpose, or
# keep their buffers reachable in the ways a conservative scan must see
# (a global, TLS, another thread's stack or register, an interior pointer,
# the program's own mmap), one variant per argv[1]; each runs at -O0 and
# -O2 in every mode:
#   plain    no option: main calls kmem_leakcheck() (no buffer tags: the
#            slabs' free lists and the magazines say what is free)
#   lite     UMEM_OPTIONS=leakcheck (which brings lite: the caller)
#   default  UMEM_DEBUG=default: whole stacks
#   fw       KMEM_FLAGS=0x4f: every buffer a firewall buffer
# and its report, normalized (no pid, no offsets, only the allocator's
# entry frame and the program's own frames, by file name), must be the
# section "== PROGRAM VARIANT MODE" (or "... MODE OPT") of
# tests/leaks/expected.txt, or nothing when there is no section; the
# status 23 when the section has leaks, else 0.  Then: leakcheck=report,
# exitcode=, suppressions, `slabtrace run --leaks`, leaksignal=, JSON,
# the 5 leak programs of tests/corpus.  LEAKS_REGEN=1 prints the sections
# as they come out instead (to review, then to put in expected.txt).
# Run by tests/run-tests.sh (ST_SO, ST_CLI, ST_ROOT).
# timeout: 600
: "${ST_CLI:?} ${ST_SO:?}"
ROOT=${ST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/check.sh
. "$ROOT/tests/check.sh"
unset SLABTRACE_SYMBOLIZER KMEM_FLAGS UMEM_DEBUG UMEM_OPTIONS UMEM_LOGGING
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
SRC=$ROOT/tests/leaks
EXPECTED=$SRC/expected.txt

for o in O0 O2; do
	cc -g -$o -pthread -o leaky.$o "$SRC/leaky.c" -ldl ||
	    { fail "leaky.c does not compile (-$o)"; exit 1; }
	c++ -std=c++17 -g -$o -o leaky_cxx.$o "$SRC/leaky_cxx.cc" ||
	    { fail "leaky_cxx.cc does not compile (-$o)"; exit 1; }
done

# A report as the expected file has it.
norm() {
	awk '
	{
		sub(/^slabtrace\[[0-9]+\]: /, "slabtrace: ")
		gsub(/thread [0-9]+ did not stop/, "thread T did not stop")
		gsub(/\(leaky(_cxx)?\.O[02]: /, "(leaky: ")
		if ($0 !~ /^slabtrace:     [^(]/) { print; next }
		line = substr($0, 16)
		if (line ~ /\(libslabtrace\.so\)$/) {
			sub(/\+0x[0-9a-f]+ /, " ", line)
			print "slabtrace:     " line
			next
		}
		if (line !~ /(^|\/)leaky(_cxx)?\.(c|cc):[0-9]+$/)
			next
		sub(/\+0x[0-9a-f]+  /, "  ", line)
		# a clone of gcc (lost_local.isra.0) is the function
		gsub(/\.(isra|constprop|part|cold)\.[0-9]+/, "", line)
		n = split(line, parts, "  ")
		loc = parts[n]
		sub(/.*\//, "", loc)
		fn = substr(line, 1, length(line) - length(parts[n]) - 2)
		print "slabtrace:     " fn "  " loc
	}'
}

# The section "== KEY", or nothing.
section() {
	awk -v key="== $1" '
	$0 == key { on = 1; next }
	/^== / { on = 0 }
	on { print }' "$EXPECTED"
}

has_section() {
	grep -qxF "== $1" "$EXPECTED"
}

mode_env() {	# mode -> the environment of a run
	case $1 in
	plain) echo "LEAKY_API=1" ;;
	lite) echo "UMEM_OPTIONS=leakcheck" ;;
	default) echo "UMEM_DEBUG=default UMEM_OPTIONS=leakcheck" ;;
	fw) echo "KMEM_FLAGS=0x4f UMEM_OPTIONS=leakcheck" ;;
	esac
}

runs=0
one() {	# program variant mode opt
	local prog=$1 v=$2 mode=$3 o=$4 key want got st wantst=0
	# shellcheck disable=SC2046
	timeout -k 5 60 env LD_PRELOAD="$ST_SO" $(mode_env "$mode") \
	    "./$prog.$o" "$v" >/dev/null 2>err </dev/null
	st=$?
	got=$(norm <err)
	runs=$((runs + 1))
	if [ -n "${LEAKS_REGEN:-}" ]; then
		[ -n "$got" ] && [ "$o" = O0 ] &&
		    printf '== %s %s %s\n%s\n' "$prog" "$v" "$mode" "$got"
		return
	fi
	key="$prog $v $mode $o"
	has_section "$key" || key="$prog $v $mode"
	want=$(section "$key")
	printf '%s\n' "$want" | grep -q 'leaked in' && wantst=23
	if [ "$got" != "$want" ]; then
		fail "$prog $v ($mode, -$o): the report differs"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") |
		    head -20 | sed 's/^/    /'
	fi
	[ "$st" -eq "$wantst" ] ||
	    fail "$prog $v ($mode, -$o): status $st, expected $wantst"
}

LEAKY="lost_local overwritten list cycle thread realloc freed_parent big global
    tls tls_thread stack_thread sigblock stack_lost register register_lost
    interior mmap mmap_lost filemap"
for v in $LEAKY; do
	for mode in plain lite default fw; do
		for o in O0 O2; do
			one leaky "$v" "$mode" "$o"
		done
	done
done
for v in object array kept; do
	for mode in lite default fw; do
		for o in O0 O2; do
			one leaky_cxx "$v" "$mode" "$o"
		done
	done
done
[ -n "${LEAKS_REGEN:-}" ] && exit 0
check "all $runs runs ran" test "$runs" -eq 178

# --- leakcheck=report: the same report, the program's own status
env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck=report ./leaky.O2 list \
    2>err >/dev/null
st=$?
check "leakcheck=report: status 0 (got $st)" test $st -eq 0
check "leakcheck=report: the report" grep -q \
    '^slabtrace\[[0-9]*\]: 160 byte(s) leaked in 10 allocation(s)\.$' err

# --- exitcode=N
env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck,exitcode=7 ./leaky.O2 \
    lost_local 2>err >/dev/null
st=$?
check "exitcode=7: status 7 (got $st)" test $st -eq 7
env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck,exitcode=7 ./leaky.O2 \
    global 2>err >/dev/null
st=$?
check "exitcode=7 and no leak: status 0 (got $st)" test $st -eq 0
env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck,exitcode=256 ./leaky.O2 \
    global 2>err >/dev/null
st=$?
check "exitcode=256 is refused (status $st)" test $st -eq 1
check "exitcode=256: the line says why" grep -q \
    "^slabtrace: UMEM_OPTIONS: value over 255 in 'exitcode=256'" err

# --- the status changes, and stdio's buffers are still flushed
cat >flush.c <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
int
main(void)
{
	char *volatile p = malloc(40);

	p = NULL;
	printf("buffered, no newline");
	return (0);
}
EOF2
cc -O0 -o flush flush.c || fail "flush.c does not compile"
out=$(env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck ./flush 2>/dev/null)
st=$?
check "exit 23 with stdout flushed (status $st, '$out')" \
    test $st -eq 23 -a "$out" = "buffered, no newline"

# --- suppressions: a function, a module, a pattern; the indirect leaks
# of a suppressed leak go with it; bad lines are named
cat >supp <<'EOF'
# comments and blank lines are skipped

leak:list
not a suppression
EOF
env LD_PRELOAD="$ST_SO" UMEM_DEBUG=default UMEM_OPTIONS=leakcheck,leaksuppress=supp \
    ./leaky.O2 list 2>err >/dev/null
st=$?
check "suppressed list: status 0 (got $st)" test $st -eq 0
check "suppressed list: no report" test "$(grep -c 'leak of' err)" -eq 0
check "suppressed list: 10 allocations suppressed" grep -q \
    '^slabtrace\[[0-9]*\]: suppressed: 10 allocation(s) (leaksuppress=supp)$' err
check "a bad suppression line is named" grep -q \
    "leaksuppress: supp: 'not a suppression' is not leak:PATTERN; ignored" err
printf 'leak:^_M_construct\nleak:*basic_string*_M_constr*\n' >supp2
env LD_PRELOAD="$ST_SO" UMEM_DEBUG=default UMEM_OPTIONS=leakcheck,leaksuppress=supp2 \
    ./leaky_cxx.O2 object 2>err >/dev/null
st=$?
check "suppressed string: status 23 (got $st)" test $st -eq 23
check "suppressed string: the rest reported" grep -q \
    '^slabtrace\[[0-9]*\]: 104 byte(s) leaked in 2 allocation(s)\.$' err
printf 'leak:libstdc++\n' >supp3
env LD_PRELOAD="$ST_SO" UMEM_DEBUG=default UMEM_OPTIONS=leakcheck,leaksuppress=supp3 \
    ./leaky_cxx.O2 object 2>err >/dev/null
check "a module pattern suppresses" grep -q \
    '^slabtrace\[[0-9]*\]: 104 byte(s) leaked in 2 allocation(s)\.$' err
printf 'leak:kmem_alloc_64\n' >supp4
env LD_PRELOAD="$ST_SO" LEAKY_API=1 UMEM_OPTIONS=leaksuppress=supp4 \
    ./leaky.O2 lost_local 2>err >/dev/null
st=$?
check "without stacks, the cache's name suppresses (status $st)" \
    test $st -eq 0
env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck,leaksuppress=missing \
    ./leaky.O2 lost_local 2>err >/dev/null
check "a missing suppression file is said" grep -q \
    'leaksuppress: cannot read missing' err

# --- slabtrace run --leaks (with --options after it)
"$ST_CLI" run --leaks --options=dump=off ./leaky.O2 realloc 2>err >/dev/null
st=$?
check "run --leaks: status 23 (got $st)" test $st -eq 23
check "run --leaks: the report" grep -q \
    '^slabtrace\[[0-9]*\]: Direct leak of 1000 byte(s) in 1 object(s) allocated from:$' err
"$ST_CLI" run --leaks ./leaky.O2 mmap 2>err >/dev/null
st=$?
check "run --leaks, nothing leaked: status 0 (got $st)" test $st -eq 0

# --- leaksignal=USR2: a check in a running process, which goes on
cat >onsignal.c <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
__attribute__((noinline)) static void
lose(void)
{
	char *p = malloc(77);

	memset(p, 1, 77);
	__asm__ volatile("" : : "r"(p) : "memory");
}
int
main(void)
{
	volatile char pad[8192];

	pad[0] = 0;
	lose();
	memset((char *)pad, 0, sizeof (pad));
	kill(getpid(), SIGUSR2);
	sleep(2);               /* the check runs in a thread of its own */
	printf("still here\n");
	return (pad[0]);
}
EOF
cc -g -O0 -o onsignal onsignal.c || fail "onsignal.c does not compile"
out=$(env LD_PRELOAD="$ST_SO" UMEM_DEBUG=default UMEM_OPTIONS=leaksignal=USR2 \
    ./onsignal 2>err)
st=$?
check "leaksignal: the program goes on (status $st, '$out')" \
    test $st -eq 0 -a "$out" = "still here"
check "leaksignal: the report" grep -q \
    '^slabtrace\[[0-9]*\]: detected memory leaks (the leak check on signal)$' err
check "leaksignal: the leak" grep -q \
    '^slabtrace\[[0-9]*\]: Direct leak of 77 byte(s) in 1 object(s) allocated from:$' err
check "leaksignal: the stack" grep -q 'lose+0x[0-9a-f]*  .*onsignal\.c:9$' err
env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leaksignal=BOGUS ./onsignal 2>err \
    >/dev/null
st=$?
check "leaksignal=BOGUS is refused (status $st)" test $st -eq 1

# --- JSON: one record for the report, its stacks titled
env LD_PRELOAD="$ST_SO" UMEM_DEBUG=default UMEM_OPTIONS=leakcheck,json \
    ./leaky.O2 list 2>err >/dev/null
json=$(grep '^{"slabtrace":1,' err)
check "json: one record" test "$(printf '%s\n' "$json" | grep -c .)" -eq 1
check "json: its kind" grep -q '"kind":"memory leaks"' <<<"$json"
check "json: the direct leak's stack" grep -q \
    '"title":"Direct leak of 16 byte(s) in 1 object(s)"' <<<"$json"
if command -v python3 >/dev/null; then
	check "json: it parses" python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$json"
fi

# --- the corpus's leak programs, each caught at -O0 and -O2
for f in "$ROOT"/tests/corpus/leak_*.c "$ROOT"/tests/corpus/leak_*.cc; do
	n=$(basename "$f")
	for o in O0 O2; do
		case $f in
		*.cc) c++ -std=c++17 -g -$o -DBAD -o corpus "$f" ;;
		*) cc -g -$o -DBAD -o corpus "$f" ;;
		esac || { fail "$n does not compile"; continue; }
		env LD_PRELOAD="$ST_SO" UMEM_OPTIONS=leakcheck ./corpus \
		    2>err >/dev/null
		st=$?
		check "corpus $n -$o: caught (status $st)" test $st -eq 23
		check "corpus $n -$o: one direct leak" test \
		    "$(grep -c 'Direct leak of' err)" -eq 1
	done
done

[ $fails -eq 0 ] || exit 1
