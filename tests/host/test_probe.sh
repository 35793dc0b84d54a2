#!/usr/bin/env bash
# Host tier: `warden probe` tells the truth about the host kernel: cgroup hooks attach, BPF LSM is
# reported as it is (refused on our hosts, with the reason), exit status matches the verdict, and
# nothing is left behind.
set -u
. "$(dirname "$0")/../lib/tap.sh"
WARDEN=${WARDEN:-build/warden}
plan 7

json=$("$WARDEN" probe --json 2>/dev/null)
rc=$?
parses() { jq -e . >/dev/null <<<"$json"; }
check "json parses" "output: $json" parses

# The cgroup2 mount, found independently of warden's parser.
want_cg=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") print $5; break } }' \
	/proc/self/mountinfo | head -n1)
got_cg=$(jq -r .cgroup2 <<<"$json")
check "cgroup2 mount from mountinfo" "warden says '$got_cg', mountinfo says '$want_cg'" \
	test -n "$want_cg" -a "$got_cg" = "$want_cg"

# The host runs cgroup sock_addr programs natively (KERNEL.md): all four must attach.
n_cg=$(jq '[.features[] | select(.name | startswith("cgroup/")) | select(.available)] | length' <<<"$json")
check "cgroup sock_addr hooks attach" "$n_cg of 4 attached" test "$n_cg" = 4

verdict=$(jq -r .verdict <<<"$json")
case "$verdict:$rc" in
full:0 | partial:1 | none:2) pass "exit status $rc matches verdict $verdict" ;;
*) fail "exit status matches verdict" "verdict $verdict, exit status $rc" ;;
esac

lsm=$(jq -r '.features[] | select(.name == "bpf_lsm") | .available' <<<"$json")
why=$(jq -r '.features[] | select(.name == "bpf_lsm") | .detail' <<<"$json")
if [ "$lsm" = false ]; then
	# A refusal must say why and must not be called full enforcement.
	check "LSM refusal explained" "detail: $why" grep -q "refused (load failed: " <<<"$why"
	# Without BPF LSM, full only where rung 2 (fmod_ret) was seen covering every hook.
	fr=$(jq -r '.features[] | select(.name == "bpf_lsm") | .enforced_by // "none"' <<<"$json")
	check "no full enforcement claimed without LSM or fmod_ret" "verdict $verdict, bpf_lsm enforced by $fr" \
		test "$verdict" != full -o "$fr" = fmod_ret
else
	check "LSM available means full" "verdict $verdict" test "$verdict" = full
	pass "LSM available on this host: nothing to explain"
fi

# The probe must not leave its throwaway cgroup or any attachment behind.
left=$(find "$want_cg" -maxdepth 1 -name 'warden-probe.*' 2>/dev/null | wc -l)
check "no leftover probe cgroup" "$left left under $want_cg" test "$left" = 0

done_testing
