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
