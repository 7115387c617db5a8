#!/bin/bash
# fuzz_cmd: the libFuzzer target for the debugger's command language
# (tests/fuzz/fuzz_cmd.c over src/mdb/): its saved corpus and old crashes
# run clean, then 20 s of fuzzing (tests/fuzz/run.sh says how).  By hand:
#   ST_ROOT=$PWD bash tests/integration/fuzz_cmd.sh
# timeout: 240
: "${ST_ROOT:?ST_ROOT must be the repository root}"
export ST_ROOT
dw=$(pkg-config --libs libdw 2>/dev/null || echo -ldw -lelf)
# Every file of the debugger, and ::findleaks's scanner src/leaky.c (cd:
# the names relative to the root).
mdb_srcs=$(cd "$ST_ROOT" && echo src/mdb/*.c src/leaky.c)
FZ_NAME=cmd FZ_SRCS="tests/fuzz/fuzz_cmd.c $mdb_srcs" \
    FZ_LIBS="$dw -lstdc++" FZ_MAXLEN=512 exec bash "$ST_ROOT/tests/fuzz/run.sh"
