#!/usr/bin/env bash
# vm tier: in the BPF LSM test bed `warden probe` must find every feature, BPF LSM included, see
# every LSM hook act, and exit 0 (full enforcement).
set -u
. "$(dirname "$0")/../lib/tap.sh"
WARDEN=${WARDEN:-build/warden}
plan 7

json=$("$WARDEN" probe --json 2>/dev/null)
rc=$?
check "exit status 0" "exit status $rc; output: $json" test "$rc" = 0
check "verdict full" "verdict: $(jq -r .verdict <<<"$json" 2>&1)" \
	test "$(jq -r .verdict <<<"$json")" = full
check "bpf_lsm available" "$(jq -c '.features[] | select(.name == "bpf_lsm")' <<<"$json")" \
	test "$(jq -r '.features[] | select(.name == "bpf_lsm") | .available' <<<"$json")" = true
# Hooks of newer kernels are absent on 6.1 (nothing to enforce), never missing.
missing=$(jq -r '[.features[] | select((.available or .absent) | not) | .name] | join(", ")' <<<"$json")
check "no feature missing" "missing: $missing" test -z "$missing"
absent=$(jq -r '[.features[] | select(.absent) | .name] | sort | join(" ")' <<<"$json")
check "only the hooks of newer kernels are absent" "absent: $absent" \
	test "$absent" = "lsm/file_truncate lsm/inode_remove_acl lsm/inode_set_acl"
# Every LSM hook the enforcer attaches was seen refusing a test child, not just attached.
unseen=$(jq -r '[.features[] | select(.name | startswith("lsm/")) | select(.absent | not) |
	select(.detail | (startswith("refused a test child") or startswith("ran when a test child")) | not) | .name] | join(", ")' <<<"$json")
check "every LSM hook seen refusing a test child" "not seen: $unseen" test -z "$unseen"

# Its test files and cgroups are gone when it is done.
left=$(ls -d /tmp/warden-probe.* /sys/fs/cgroup/warden-probe.* 2>/dev/null)
check "nothing left behind (test files, cgroups)" "left: $left" test -z "$left"

done_testing
