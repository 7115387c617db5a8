#!/bin/bash
# gcc: compile gcc_input.c with -O2 -g (gcc, cc1, as and ld all inherit the
# preload), run the program, and print its output and a hash of the object
# file, which must be byte-for-byte the same with and without slabtrace.
command -v gcc >/dev/null || { echo "SKIP: gcc not installed"; exit 77; }
set -e
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The same working directory and source path in every run: both end up in
# the debugging information.
cd "$here"
gcc -O2 -g -Wall -Wextra -c gcc_input.c -o "$tmp/gcc_input.o"
gcc -O2 -S gcc_input.c -o "$tmp/gcc_input.s"
gcc -o "$tmp/gcc_input" "$tmp/gcc_input.o"
sha256sum < "$tmp/gcc_input.o"
sha256sum < "$tmp/gcc_input.s"
# C++ too: cc1plus is a much bigger allocator user.
if command -v g++ >/dev/null; then
	g++ -O2 -std=c++17 -fsized-deallocation -I../../include -I.. \
	    -c ../integration/cxx_new.cc -o "$tmp/cxx.o"
	sha256sum < "$tmp/cxx.o"
fi
set +e
"$tmp/gcc_input"
echo "exit $?"
