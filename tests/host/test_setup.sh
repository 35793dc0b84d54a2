#!/usr/bin/env bash
# Host tier: scripts/setup on a machine where dpkg has never heard of some packages (a fresh
# Debian: dpkg-query exits 1 for them) installs exactly those, and does nothing when all are there.
# A package that an installed one provides (NodeSource's nodejs provides npm) counts as there.
# dpkg-query and apt-get are stand-ins on PATH; setup's own logic is what runs.
set -u
. "$(dirname "$0")/../lib/tap.sh"
plan 6

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
# A dpkg that knows only make and gcc: like the real one, it reports unknown names on stderr and
# exits 1. Asked about no package by name, it lists what is installed (with PROVIDES_NPM, a nodejs
# that provides npm).
cat >"$tmp/bin/dpkg-query" <<'SH'
#!/bin/sh
rc=0
case "$*" in
*Provides*)
	echo "install ok installed	"
	[ -n "${PROVIDES_NPM:-}" ] && echo "install ok installed	nodejs-dev, nodejs-doc (= 1.0), npm"
	exit 0
	;;
esac
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
PATH="$tmp/bin:$PATH" PROVIDES_NPM=1 scripts/setup >/dev/null 2>&1
inst=$(grep '^install ' "$tmp/apt.log" 2>/dev/null)
check "a package an installed one provides is not installed" "apt-get: $inst" \
	bash -c 'grep -qw libbpf-dev <<<"$1" && ! grep -qw npm <<<"$1"' _ "$inst"
check "one nothing provides still is" "apt-get: $inst" grep -qw nodejs <<<"$inst"

rm -f "$tmp/apt.log"
PATH="$tmp/bin:$PATH" KNOWS_ALL=1 scripts/setup >/dev/null 2>&1
check "nothing touched when all are installed" "apt-get ran: $(cat "$tmp/apt.log" 2>/dev/null)" \
	test ! -e "$tmp/apt.log"
done_testing
