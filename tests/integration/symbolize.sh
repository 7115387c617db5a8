#!/bin/bash
# symbolize: `slabtrace symbolize` turns MODULE<TAB>ADDR queries into
# FUNCTION<TAB>FILE<TAB>LINE frames and an empty line: demangled C++ names
# with the file and line the markers below sit on (taken from addr2line's
# line table, so independent of us), inlined frames innermost first with
# their call sites, the symbol table's name when there is no DWARF (strip
# -g, a fully stripped shared library), DWARF again through .gnu_debuglink,
# "??" for a missing module, garbage and overlong lines, several queries
# answered one by one through a pipe (nothing held back), paths relative
# to the working directory.  Run by tests/run-tests.sh, which sets ST_CLI.
: "${ST_CLI:?}"
for tool in g++ addr2line nm strip objcopy; do
	if ! command -v "$tool" >/dev/null; then
		echo "no $tool"
		exit 77
	fi
done
# shellcheck source=tests/check.sh
. "${ST_ROOT:-$(dirname "$0")/../..}/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
T=$'\t'

# ---- the programs ----

cat >reg.cc <<'EOF'
#include <cstdio>
#include <vector>

struct Registry {
	std::vector<int> r_items;
	~Registry();
	void add(int v);
};

Registry::~Registry()
{
	std::printf("%zu\n", r_items.size());	// MARK-DTOR
}

void
Registry::add(int v)
{
	r_items.push_back(v);	// MARK-ADD
}

#ifndef LIB
int
main(int argc, char **argv)
{
	(void) argv;
	Registry reg;
	reg.add(argc);
	return 0;
}
#endif
EOF
cat >inl.cc <<'EOF'
#include <cstdio>

static inline int __attribute__((always_inline))
scale(int x)
{
	return x * 3 + std::printf("%d\n", x);	// MARK-SCALE
}

__attribute__((noinline)) int
compute(int x)
{
	return scale(x) + 1;	// MARK-COMPUTE
}

int
main(int argc, char **argv)
{
	(void) argv;
	return compute(argc) == 42;
}
EOF
g++ -g -O0 -o prog0 reg.cc &&
    g++ -g -O2 -o prog2 inl.cc &&
    g++ -g -O0 -fPIC -shared -DLIB -o libreg.so reg.cc || exit 1

line_of() {	# file marker: the line number of the marker comment
	grep -n "$2" "$1" | head -n 1 | cut -d: -f1
}
sym_of() {	# binary mangled-name: its address, hex without 0x
	nm "$1" | awk -v s="$2" '$3 == s { print $1; exit }' | sed 's/^0*//'
}
size_of() {	# binary mangled-name: its size in bytes
	local hex
	hex=$(nm -S "$1" | awk -v s="$2" '$4 == s { print $2; exit }')
	[ -n "$hex" ] && echo $((16#$hex))
}
# The first address of function SYM in BIN whose line (addr2line, without
# inlining) is LINE: the expected answer comes from binutils' reading.
addr_at_line() {	# bin sym line
	local start size a
	start=$(sym_of "$1" "$2")
	size=$(size_of "$1" "$2")
	[ -n "$start" ] && [ -n "$size" ] || return 1
	for ((a = 0x$start; a < 0x$start + size; a++)); do
		printf '%x\n' "$a"
	done | addr2line -e "$1" -a | paste - - |
	    awk -v l=":$3" 'index($2, l) && substr($2, length($2) - length(l) + 1) == l {
		print $1; exit }' | sed 's/^0x0*//'
}
sym() {	# symbolize -e, with the answer's lines joined by '|'
	"$ST_CLI" symbolize -e "$@" | paste -s -d '|'
}

L_DTOR=$(line_of reg.cc MARK-DTOR)
L_ADD=$(line_of reg.cc MARK-ADD)
L_SCALE=$(line_of inl.cc MARK-SCALE)
L_COMPUTE=$(line_of inl.cc MARK-COMPUTE)

# ---- -O0: a mangled method, file and line ----

A_DTOR=$(addr_at_line prog0 _ZN8RegistryD2Ev "$L_DTOR")
A_ADD=$(addr_at_line prog0 _ZN8Registry3addEi "$L_ADD")
check "found the addresses of the markers" test -n "$A_DTOR" -a -n "$A_ADD"
check "the destructor, demangled, at its line" \
    same "$(sym prog0 "$A_DTOR")" "Registry::~Registry()${T}reg.cc${T}$L_DTOR|"
check "a method with its parameters" \
    same "$(sym prog0 "$A_ADD")" "Registry::add(int)${T}reg.cc${T}$L_ADD|"

PB=_ZNSt6vectorIiSaIiEE9push_backERKi
A_PB=$(printf '%x' $((0x$(sym_of prog0 $PB) + 4)))
out=$(sym prog0 "$A_PB")
check "std::vector<int>::push_back, in stl_vector.h (got '$out')" \
    grep -q "^std::vector<int, std::allocator<int> >::push_back(int const&)${T}/.*/stl_vector.h${T}[1-9][0-9]*|\$" <<<"$out"

# Against addr2line -f -i -C, frame by frame, over a function.
a2l() {	# bin addr: addr2line's answer in our format
	addr2line -f -i -C -e "$1" "$2" | paste - - |
	    sed -E 's/ \(discriminator [0-9]+\)$//; s/:([0-9?]+)$/\t\1/; s/\t\?$/\t0/' |
	    sed -E "s|${T}$PWD/|${T}|" | paste -s -d '|'
}
n=0 bad=0
start=$(sym_of prog0 _ZN8Registry3addEi)
for ((a = 0x$start; a < 0x$start + $(size_of prog0 _ZN8Registry3addEi); a += 3)); do
	x=$(printf '%x' $a)
	got=$(sym prog0 "$x")
	want=$(a2l prog0 "$x")
	n=$((n + 1))
	if [ "$got|" != "$want|" ] && [ "$got" != "$want|" ]; then
		bad=$((bad + 1))
		[ $bad -le 3 ] && same "$got" "$want|"
	fi
done
check "Registry::add agrees with addr2line at $n addresses ($bad differ)" \
    test $bad -eq 0 -a $n -gt 3

# ---- -O2: an inlined static function, innermost first ----

A_INL=$(addr_at_line prog2 _Z7computei "$L_SCALE")
check "found an address of the inlined scale()" test -n "$A_INL"
# g++ gives a static function that was only ever inlined no linkage name:
# its DW_AT_name, without the parameters, is all there is.
out=$(sym prog2 "$A_INL")
out=${out/#scale(int)$T/scale$T}
check "inlined frames: scale() at its line, then compute() at the call" \
    same "$out" "scale${T}inl.cc${T}$L_SCALE|compute(int)${T}inl.cc${T}$L_COMPUTE|"
locs=$(sym prog2 "$A_INL" | tr '|' '\n' | sed '/^$/d' | cut -f2,3 |
    paste -s -d ' ')
want=$(addr2line -i -e prog2 "$A_INL" | sed "s|^$PWD/||; s/:/\t/" |
    paste -s -d ' ')
check "the inlined frames' files and lines are addr2line -i's" \
    same "$locs " "$want "

# ---- no DWARF: the symbol table's name ----

strip -g -o prog0-nodebug prog0
check "strip -g: the name from .symtab, file ??" \
    same "$(sym prog0-nodebug "$A_DTOR")" "Registry::~Registry()${T}??${T}0|"
strip -o libreg-stripped.so libreg.so
A_LIB=$(printf '%x' $((0x$(sym_of libreg.so _ZN8RegistryD2Ev) + 8)))
check "a fully stripped shared library: the name from .dynsym" \
    same "$(sym libreg-stripped.so "$A_LIB")" "Registry::~Registry()${T}??${T}0|"
check "the same library with its DWARF" \
    grep -q "^Registry::~Registry()${T}reg.cc${T}[0-9]*|\$" \
    <<<"$(sym libreg.so "$A_LIB")"
objcopy --only-keep-debug prog0 prog0.debug
objcopy --strip-debug --add-gnu-debuglink=prog0.debug prog0 prog0-linked
check "DWARF found again through .gnu_debuglink" \
    same "$(sym prog0-linked "$A_DTOR")" \
    "Registry::~Registry()${T}reg.cc${T}$L_DTOR|"

# ---- what cannot be answered ----

check "a missing module" \
    same "$(sym /nonexistent/module 1234)" "??${T}??${T}0|"
check "a directory" same "$(sym "$work" 10)" "??${T}??${T}0|"
check "an address outside the module" \
    same "$(sym prog0 ffffffffff)" "??${T}??${T}0|"
check "not hex" same "$(sym prog0 xyz)" "??${T}??${T}0|"

long=$(head -c 5000 /dev/zero | tr '\0' x)
out=$(printf '%s\n' "garbage" "" "$PWD/prog0" "${T}1234" "$PWD/prog0${T}" \
    "$PWD/prog0${T}12g4" "$long${T}1234" "$PWD/prog0$T$A_DTOR" |
    "$ST_CLI" symbolize)
st=$?
want=$(for _ in 1 2 3 4 5 6 7; do printf '??\t??\t0\n\n'; done
    printf 'Registry::~Registry()\treg.cc\t%s\n\n' "$L_DTOR")
check "garbage lines get ?? each, and the next query its answer (status $st)" \
    same "$out" "$want"
check "exit status 0 at EOF" test $st -eq 0

# ---- the pipe: one answer per query, as they come ----

coproc SYMB { "$ST_CLI" symbolize; }
ask() {	# module addr: send one query, read its answer (5 s at most)
	local l ans=""
	printf '%s\t%s\n' "$1" "$2" >&"${SYMB[1]}"
	while IFS= read -r -t 5 l <&"${SYMB[0]}"; do
		[ -z "$l" ] && { printf '%s|' "$ans"; return 0; }
		ans+="$l|"
	done
	printf 'TIMEOUT(%s)' "$ans"
	return 1
}
r1=$(ask "$PWD/prog0" "$A_DTOR")
r2=$(ask "$PWD/prog2" "$A_INL")
r2=${r2/#scale(int)$T/scale$T}
r3=$(ask /nonexistent 10)
r4=$(ask "$PWD/prog0" "$A_ADD")
r5=$(ask "$PWD/libreg-stripped.so" "$A_LIB")
fd=${SYMB[1]}
exec {fd}>&-		# EOF on its stdin
wait "$SYMB_PID"
st=$?
check "pipe: first query" same "$r1" "Registry::~Registry()${T}reg.cc${T}$L_DTOR||"
check "pipe: inlined" same "$r2" \
    "scale${T}inl.cc${T}$L_SCALE|compute(int)${T}inl.cc${T}$L_COMPUTE||"
check "pipe: missing module" same "$r3" "??${T}??${T}0||"
check "pipe: the first module again" same "$r4" \
    "Registry::add(int)${T}reg.cc${T}$L_ADD||"
check "pipe: a stripped library" same "$r5" "Registry::~Registry()${T}??${T}0||"
check "pipe: exit 0 when stdin closes (got $st)" test $st -eq 0

# ---- paths, usage ----

mkdir sub
out=$(cd sub && "$ST_CLI" symbolize -e ../prog0 "$A_DTOR" | head -n 1)
check "outside the source's directory the path is absolute" \
    same "$out" "Registry::~Registry()${T}$PWD/reg.cc${T}$L_DTOR"
check "'slabtrace help symbolize' shows the protocol" \
    grep -q "MODULE<TAB>ADDR" <<<"$("$ST_CLI" help symbolize)"
"$ST_CLI" symbolize 1234 >/dev/null 2>&1
st=$?
check "addresses without -e are a usage error (got $st)" test $st -eq 2
out=$("$ST_CLI" symbolize --bogus 2>/dev/null)
check "a bad option writes nothing to stdout" test -z "$out"

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all symbolize checks passed"
exit 0
