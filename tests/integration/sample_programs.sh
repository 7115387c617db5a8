#!/bin/bash
# sample_programs: the real programs of tests/programs/ under the sampled
# firewall give the same stdout and exit status as without slabtrace, and
# no report: under LD_PRELOAD with UMEM_DEBUG=firewall,sample=1 (every
# malloc due: the 256 slots fill, the rest fall back to the caches, freed
# slots are taken again), with the default rate, and under
# `slabtrace run --debug=firewall,sample=100` (the option passed on; one in
# 100, since sample=1 makes every free of a sampled buffer and the next
# malloc two mprotect calls, which cost sqlite3 minutes on a loaded
# virtual machine).  A program that is not installed (its script exits
# 77) is skipped.
# timeout: 1500
# Run by tests/run-tests.sh with ST_SO, ST_CLI and ST_ROOT set.
: "${ST_SO:?} ${ST_CLI:?} ${ST_ROOT:?}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sample_programs.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
unset KMEM_FLAGS UMEM_DEBUG UMEM_LOGGING UMEM_OPTIONS SLABTRACE_RUN
REPORT_RE='^slabtrace(\[[0-9]+\])?: '
fails=0 ran=0

for src in "$ST_ROOT"/tests/programs/*.sh; do
	name=$(basename "$src" .sh)
	timeout -k 5 300 bash "$src" >"$TMP/$name.ref" 2>/dev/null </dev/null
	ref=$?
	if [ $ref -eq 77 ]; then
		echo "skip $name: $(head -n 1 "$TMP/$name.ref")"
		continue
	fi
	for how in every default cli; do
		case $how in
		every)
			timeout -k 5 300 env LD_PRELOAD="$ST_SO" \
			    UMEM_DEBUG=firewall,sample=1 bash "$src" \
			    >"$TMP/$name.$how" 2>"$TMP/$name.$how.err" </dev/null ;;
		default)
			timeout -k 5 300 env LD_PRELOAD="$ST_SO" \
			    UMEM_DEBUG=firewall,sample bash "$src" \
			    >"$TMP/$name.$how" 2>"$TMP/$name.$how.err" </dev/null ;;
		cli)
			timeout -k 5 300 "$ST_CLI" run \
			    --debug=firewall,sample=100 -- bash "$src" \
			    >"$TMP/$name.$how" 2>"$TMP/$name.$how.err" </dev/null ;;
		esac
		st=$?
		if [ $st -ne $ref ]; then
			echo "FAIL $name ($how): exit status $st, without" \
			    "slabtrace $ref"
			tail -n 15 "$TMP/$name.$how.err"
			fails=$((fails + 1))
		elif ! cmp -s "$TMP/$name.ref" "$TMP/$name.$how"; then
			echo "FAIL $name ($how): stdout differs"
			diff "$TMP/$name.ref" "$TMP/$name.$how" | head -n 20
			fails=$((fails + 1))
		elif grep -q -E "$REPORT_RE" "$TMP/$name.$how.err"; then
			echo "FAIL $name ($how): slabtrace reported something"
			grep -E "$REPORT_RE" "$TMP/$name.$how.err" | head -n 20
			fails=$((fails + 1))
		else
			echo "ok $name ($how)"
		fi
		ran=$((ran + 1))
	done
done
[ $ran -gt 0 ] || { echo "SKIP: no program installed"; exit 77; }
echo "$ran runs, $fails failed"
[ $fails -eq 0 ]
