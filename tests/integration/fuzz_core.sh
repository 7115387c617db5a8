#!/bin/bash
# fuzz_core: the libFuzzer target for the debugger's dump reader
# (tests/fuzz/fuzz_core.c, src/mdb/target.c): whole dump files, seeded
# with real dumps made small by tests/fuzz/mkseed_core.py (every header
# and note, the memory left out); its saved corpus and old crashes run
# clean, then 20 s of fuzzing (tests/fuzz/run.sh says how).  By hand:
#   ST_ROOT=$PWD bash tests/integration/fuzz_core.sh
# timeout: 240
: "${ST_ROOT:?ST_ROOT must be the repository root}"
FZ_NAME=core FZ_SRCS="tests/fuzz/fuzz_core.c src/mdb/target.c" \
    FZ_MAXLEN=65536 exec bash "$ST_ROOT/tests/fuzz/run.sh"
