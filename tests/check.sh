# check.sh: what the test scripts share (sourced; the shell's tests/check.h).
#   check DESCRIPTION COMMAND...   COMMAND must succeed, else a FAILED line
#   same GOT EXPECTED              equal, or say how they differ
#   fail WHAT...                   a FAILED line
#   mdb ARGS...                    `slabtrace mdb` (ST_CLI) under a time
#                                  limit, stdout to ./out, stderr to ./err;
#                                  a crash or a hang is a failure
#   dump_patch FILE VADDR HEX      write bytes at a virtual address of a
#                                  dump (its PT_LOAD data); 1 if not there
#   le64 HEX                       a number as 8 little-endian bytes, hex
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
dump_patch() {
	python3 - "$@" <<'EOF'
import struct, sys
path, vaddr, data = sys.argv[1], int(sys.argv[2], 16), bytes.fromhex(sys.argv[3])
f = open(path, 'r+b')
h = f.read(64)
phoff, = struct.unpack_from('<Q', h, 32)
phentsize, phnum = struct.unpack_from('<HH', h, 54)
for i in range(phnum):
    f.seek(phoff + i * phentsize)
    t, fl, off, va, pa, fsz, msz, al = struct.unpack('<IIQQQQQQ', f.read(56))
    if t == 1 and va <= vaddr < va + fsz:
        f.seek(off + vaddr - va)
        f.write(data)
        sys.exit(0)
sys.exit(1)
EOF
}
le64() { python3 -c "import struct,sys; print(struct.pack('<Q', int(sys.argv[1], 16)).hex())" "$1"; }
