#!/bin/bash
# git: init a repository, commit a few hundred generated files over several
# commits, then log --stat, gc, repack and fsck.  Names, e-mails, dates and
# HOME are fixed, so the object names and the output must not depend on the
# allocator.
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 77; }
set -e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME="Slab Trace" GIT_AUTHOR_EMAIL=st@example.org
export GIT_COMMITTER_NAME="Slab Trace" GIT_COMMITTER_EMAIL=st@example.org
mkdir -p "$HOME" "$tmp/repo"
cd "$tmp/repo"
git init -q -b main .
git config core.autocrlf false
git config gc.auto 0
git config pack.threads 1

for c in 1 2 3 4 5 6; do
	export GIT_AUTHOR_DATE="2024-01-0$c 12:00:00 +0000"
	export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
	mkdir -p dir0 dir1 dir2 dir3 dir4 dir5 dir6 dir7
	awk -v c="$c" 'BEGIN {
		for (d = 0; d < 8; d++) {
			if (c >= 4 && d == 3)
				continue
			for (f = (c * 7) % 13; f <= 60; f++) {
				if ((f + d + c) % 5 == 0)
					continue
				file = "dir" d "/file" f ".txt"
				for (i = 0; i < 40 + f; i++)
					printf "line %d of file %d in dir %d, commit %d: %s\n",
					    i, f, d, (i % 3 == 0 ? c : 0),
					    substr("abcdefghijklmnopqrstuvwxyz",
					    1 + (i * f) % 26) > file
				close(file)
			}
		}
	}'
	[ "$c" -eq 4 ] && rm -rf dir3
	git add -A
	git commit -q -m "commit $c" -m "$(seq -s ' ' 1 $((c * 10)))"
done
git tag -a v1 -m "tag v1"
git log --stat --format='%H %an <%ae> %ad%n%s%n%b' --date=iso
git gc -q
git repack -q -a -d -f --window=50 --depth=20
git count-objects -v | grep -v -e size -e prune
git fsck --full --strict --no-progress
git verify-pack -v .git/objects/pack/*.idx | sort | sha256sum
git rev-list --all --objects | wc -l
git diff --stat HEAD~5 HEAD | tail -1
git describe --tags
git rev-parse HEAD
