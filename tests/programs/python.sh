#!/bin/bash
# python3 running python.py; stdout must not depend on the allocator.
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not installed"; exit 77; }
# PYTHONMALLOC=malloc: Python's objects from malloc, so the allocator sees
# them (and the library has no hint to print about pymalloc).
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONMALLOC=malloc
exec "$PY" -S "$(dirname "$0")/python.py"
