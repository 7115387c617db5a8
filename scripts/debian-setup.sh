#!/bin/sh
# Installs what slabtrace needs to build, test, benchmark and demo on Debian
# (run as root, or with sudo available).  Safe to run again.
set -e
pkgs="build-essential g++ clang libclang-rt-dev make git perl python3 sqlite3 gdb valgrind
      libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
      libdw-dev libelf-dev libcapstone-dev libedit-dev pkg-config binutils groff-base
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
