#!/usr/bin/env bash
# Host tier: scripts/setup on a machine where dpkg has never heard of some packages (a fresh
# Debian: dpkg-query exits 1 for them) installs exactly those, and does nothing when all are there.
# dpkg-query and apt-get are stand-ins on PATH; setup's own logic is what runs.
set -u
. "$(dirname "$0")/../lib/tap.sh"
plan 4

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
# A dpkg that knows only make and gcc: like the real one, it reports unknown names on stderr and
# exits 1.
cat >"$tmp/bin/dpkg-query" <<'SH'
#!/bin/sh
rc=0
for a in "$@"; do
	case "$a" in
	-*) ;;
	make | gcc) echo "$a install ok installed" ;;
	*) [ -n "${KNOWS_ALL:-}" ] && echo "$a install ok installed" || { echo "dpkg-query: no packages found matching $a" >&2; rc=1; } ;;
	esac
done
exit $rc
SH
cat >"$tmp/bin/apt-get" <<SH
#!/bin/sh
echo "\$*" >>"$tmp/apt.log"
SH
chmod +x "$tmp/bin/"*

out=$(PATH="$tmp/bin:$PATH" scripts/setup 2>&1)
rc=$?
check "setup succeeds when dpkg knows nothing of some packages" "rc $rc: $out" test $rc = 0
inst=$(grep '^install ' "$tmp/apt.log" 2>/dev/null)
check "the unknown ones are installed" "apt-get: $inst" grep -qw libbpf-dev <<<"$inst"
check "the installed ones are not" "apt-get: $inst" bash -c '! grep -qwE "make|gcc" <<<"$1"' _ "$inst"

rm -f "$tmp/apt.log"
PATH="$tmp/bin:$PATH" KNOWS_ALL=1 scripts/setup >/dev/null 2>&1
check "nothing touched when all are installed" "apt-get ran: $(cat "$tmp/apt.log" 2>/dev/null)" \
	test ! -e "$tmp/apt.log"
done_testing
