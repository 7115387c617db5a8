#!/bin/bash
# python3 running python.py; stdout must not depend on the allocator.
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not installed"; exit 77; }
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
exec "$PY" -S "$(dirname "$0")/python.py"
