#!/bin/bash
# perl running perl.pl; stdout must not depend on the allocator.
command -v perl >/dev/null || { echo "SKIP: perl not installed"; exit 77; }
exec perl "$(dirname "$0")/perl.pl"
