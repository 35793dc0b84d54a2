# shellcheck shell=bash
# TAP helpers for shell tests: `plan N`, `pass NAME`, `fail NAME WHY`, `skip NAME WHY`.
# Sourced by tests/*/test_*.sh; a test's exit status is 1 if any case failed.
_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	echo "# $2"
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
# check NAME WHY CMD...: pass if CMD succeeds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
done_testing() { exit $((_tap_failed > 0)); }

# --- leaving the machine as it was found --------------------------------------------------------
# A fresh machine has no bpffs, tracefs or debugfs mounted, and no warden installed. A test that
# needs a file system mounts it; one that must not meet an installed warden hides its files.
# Both happen in a mount namespace of the test's own, so whatever is mounted there (by the test or
# by warden, whose daemon mounts bpffs when it pins) goes away with the test however it ends, and
# the machine's mounts stay as they were.

# own_mounts "$@": first thing in a root test, before any cd: runs the test again in a mount
# namespace of its own (private propagation). Returns at once for a non-root test or once inside.
own_mounts() {
	[ "$(id -u)" = 0 ] && [ -z "${WD_TEST_OWN_MOUNTS:-}" ] || return 0
	if ! unshare --mount --propagation private true 2>/dev/null; then
		echo "1..0 # SKIP needs a mount namespace of its own (unshare --mount) to mount what it needs"
		exit 0
	fi
	WD_TEST_OWN_MOUNTS=$$ exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
}

# fs_on DIR: the type of the file system DIR is on, as stat names it (bpf_fs, tracefs, sysfs...).
fs_on() { stat -f -c %T "$1" 2>/dev/null; }
_fs_name() { case $1 in bpf) echo bpf_fs ;; *) echo "$1" ;; esac; }

# need_fs TYPE DIR: a TYPE file system (bpf, tracefs, debugfs) on DIR, mounted in the test's own
# namespace unless one is there. Prints why not and fails when it cannot be mounted.
need_fs() {
	[ "$(fs_on "$2")" = "$(_fs_name "$1")" ] && return 0
	[ -n "${WD_TEST_OWN_MOUNTS:-}" ] || { echo "# need_fs $1 $2: call own_mounts first"; return 1; }
	mount -t "$1" "$1" "$2" 2>&1 | sed 's/^/# /'
	[ "$(fs_on "$2")" = "$(_fs_name "$1")" ]
}

# no_fs TYPE DIR: no TYPE file system on DIR any more, as on a fresh machine (unmounted in the
# test's own namespace only).
no_fs() {
	[ -n "${WD_TEST_OWN_MOUNTS:-}" ] || { echo "# no_fs $1 $2: call own_mounts first"; return 1; }
	while [ "$(fs_on "$2")" = "$(_fs_name "$1")" ]; do umount "$2" || return 1; done
}

# hide_installed: what an installed warden left on the machine (a config in /etc/warden, a daemon's
# control socket and node counter in /run/warden, its state in /var/lib/warden) is covered by an
# empty tmpfs in the test's own namespace, so the test meets warden as on a fresh machine.
hide_installed() {
	local d
	[ "$(id -u)" = 0 ] || return 0
	[ -n "${WD_TEST_OWN_MOUNTS:-}" ] || { echo "# hide_installed: call own_mounts first"; return 1; }
	for d in /etc/warden /run/warden /var/lib/warden; do
		[ -d "$d" ] || continue
		mount -t tmpfs -o mode=0755 warden-test "$d" || return 1
	done
}

# cgroup2_root: where cgroup2 is mounted (on most hosts /sys/fs/cgroup, on hybrid ones
# /sys/fs/cgroup/unified), from mountinfo: the file system type follows the "-" separator, after
# a varying number of optional fields.
cgroup2_root() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# rung3_or_skip [JQ DESC]: for a root test of `warden run` on rung 3 (after own_mounts, with
# $WARDEN set): exits with a whole-test TAP skip unless the caller is root, the probe says
# `warden run` is on rung 3 and, with JQ, the probe's JSON satisfies JQ (DESC says what it
# needs). Leaves the probe's JSON in $PROBE_JSON.
rung3_or_skip() {
	local rung
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (warden run)"
		exit 0
	fi
	PROBE_JSON=$("$WARDEN" probe --json 2>/dev/null)
	rung=$(jq -r '.run_rung // 0' <<<"$PROBE_JSON")
	if [ "$rung" != 3 ]; then
		echo "1..0 # SKIP warden run is on rung $rung here, not 3"
		exit 0
	fi
	if [ $# -ge 1 ] && ! jq -e "$1" <<<"$PROBE_JSON" >/dev/null; then
		echo "1..0 # SKIP rung 3 here lacks $2"
		exit 0
	fi
}
