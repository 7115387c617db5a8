#!/bin/bash
# headers_cxx: <umem.h> and <slabtrace.h> compile as C++ with g++ and, if
# installed, clang++: -Wall -Wextra -Wpedantic -Werror, as C++11, 17 and
# 20, each header alone and both together in either order.  (The runner
# also builds and runs tests/integration/headers_cxx.cc with g++.)
# Run by tests/run-tests.sh with ST_ROOT set.
: "${ST_ROOT:?}"
cd "$ST_ROOT" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/headers_cxx.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

compilers=(g++)
if command -v clang++ >/dev/null 2>&1; then
	compilers+=(clang++)
else
	echo "note: clang++ is not installed: g++ only"
fi

fails=0
src() {	# headers... -> a translation unit using them
	local h
	for h in "$@"; do
		printf '#include <%s>\n' "$h"
	done
	printf 'int main() { return 0; }\n'
}
for order in "umem.h" "slabtrace.h" "umem.h slabtrace.h" \
    "slabtrace.h umem.h"; do
	# shellcheck disable=SC2086
	src $order >"$TMP/t.cc"
	for cxx in "${compilers[@]}"; do
		for std in c++11 c++17 c++20; do
			if ! "$cxx" -std=$std -Wall -Wextra -Wpedantic -Werror \
			    -Iinclude -fsyntax-only "$TMP/t.cc" \
			    >"$TMP/log" 2>&1; then
				echo "FAILED: $cxx -std=$std with $order:"
				sed 's/^/    /' "$TMP/log" | head -n 10
				fails=$((fails + 1))
			fi
		done
	done
done
for cxx in "${compilers[@]}"; do
	if ! "$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude \
	    -Itests -fsyntax-only tests/integration/headers_cxx.cc \
	    >"$TMP/log" 2>&1; then
		echo "FAILED: $cxx tests/integration/headers_cxx.cc:"
		sed 's/^/    /' "$TMP/log" | head -n 10
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ] || exit 1
exit 0
