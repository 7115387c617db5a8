# check.sh: what the test scripts share (sourced; the shell's tests/check.h).
#   check DESCRIPTION COMMAND...   COMMAND must succeed, else a FAILED line
#   same GOT EXPECTED              equal, or say how they differ
#   fail WHAT...                   a FAILED line
#   mdb ARGS...                    `slabtrace mdb` (ST_CLI) under a time
#                                  limit, stdout to ./out, stderr to ./err;
#                                  a crash or a hang is a failure
# A script ends with: [ $fails -eq 0 ] || exit 1
fails=0
check() {
	local what=$1
	shift
	if ! "$@"; then
		echo "FAILED: $what"
		fails=$((fails + 1))
	fi
}
# shellcheck disable=SC2317	# called through check
same() {
	[ "$1" = "$2" ] && return 0
	printf '  got:      %q\n  expected: %q\n' "$1" "$2"
	return 1
}
fail() {
	echo "FAILED: $*"
	fails=$((fails + 1))
}
mdb() {
	timeout 60 "$ST_CLI" mdb "$@" >out 2>err </dev/null
	st=$?
	if [ $st -ge 124 ]; then
		fail "mdb $*: status $st (crash or hang)"
		sed 's/^/    /' err | head -5
	fi
	return $st
}
