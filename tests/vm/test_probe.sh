#!/usr/bin/env bash
# vm tier: in the BPF LSM test bed `warden probe` must find every feature, BPF LSM included, and
# exit 0 (full enforcement).
set -u
. "$(dirname "$0")/../lib/tap.sh"
WARDEN=${WARDEN:-build/warden}
plan 4

json=$("$WARDEN" probe --json 2>/dev/null)
rc=$?
check "exit status 0" "exit status $rc; output: $json" test "$rc" = 0
check "verdict full" "verdict: $(jq -r .verdict <<<"$json" 2>&1)" \
	test "$(jq -r .verdict <<<"$json")" = full
check "bpf_lsm available" "$(jq -c '.features[] | select(.name == "bpf_lsm")' <<<"$json")" \
	test "$(jq -r '.features[] | select(.name == "bpf_lsm") | .available' <<<"$json")" = true
missing=$(jq -r '[.features[] | select(.available | not) | .name] | join(", ")' <<<"$json")
check "no feature missing" "missing: $missing" test -z "$missing"

done_testing
