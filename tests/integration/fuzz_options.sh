#!/bin/bash
# fuzz_options: the libFuzzer target for the option parser
# (tests/fuzz/fuzz_options.c, src/options.c through src/print.c): its saved
# corpus and old crashes run clean, then 20 s of fuzzing
# (tests/fuzz/run.sh says how).  By hand:
#   ST_ROOT=$PWD bash tests/integration/fuzz_options.sh
# timeout: 240
: "${ST_ROOT:?ST_ROOT must be the repository root}"
FZ_NAME=options FZ_SRCS="tests/fuzz/fuzz_options.c src/print.c" \
    exec bash "$ST_ROOT/tests/fuzz/run.sh"
