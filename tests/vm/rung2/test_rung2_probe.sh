#!/usr/bin/env bash
# vm tier, rung 2 boot (tests/check boots the test bed with lsm= lacking bpf, the Ubuntu and
# RHEL default; the enforcement tests run there after this one): BPF LSM programs attach there
# but never run, and the same programs attached as fmod_ret to the security_* functions do.
# `warden probe` must say so: full enforcement, every hook by fmod_ret and seen refusing, and
# `warden run` enforces without --degraded. With rung 2 taken away (WARDEN_DISABLE, tests only)
# the same kernel has no exec or file enforcement, and says so.
set -u
. "$(dirname "$0")/../../lib/tap.sh"
cd "$(dirname "$0")/../../.."
WARDEN=$PWD/${WARDEN:-build/warden}
T=/run/wdrung2
plan 13

lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)
if [ -z "$lsm" ] || grep -qw bpf <<<"${lsm//,/ }"; then
	for i in $(seq 12); do skip "case $i" "this boot's LSM list is '$lsm': needs one without bpf"; done
	exit 0
fi
rm -rf "$T"
mkdir -p "$T"

# --- warden probe ------------------------------------------------------------------------------
json=$("$WARDEN" probe --json 2>/dev/null)
rc=$?
text=$("$WARDEN" probe 2>/dev/null)
check "probe exits 0 (full) on rung 2" "exit status $rc; $(grep -E '^(verdict|missing)' <<<"$text")" test "$rc" = 0
check "every LSM feature is enforced by fmod_ret" "enforcement: $(jq -c .enforcement <<<"$json")" \
	test "$(jq -c .enforcement <<<"$json")" = '{"exec":"fmod_ret","file":"fmod_ret","socket":"fmod_ret","confinement":"fmod_ret","network":"cgroup"}'
nfr=$(jq '[.features[] | select(.name | startswith("fmod_ret/")) | select(.absent | not)] | length' <<<"$json")
nyes=$(jq '[.features[] | select(.name | startswith("fmod_ret/")) | select(.available)] | length' <<<"$json")
check "every fmod_ret/ row of a hook this kernel has is seen refusing ($nyes of $nfr)" \
	"$(jq -r '.features[] | select(.name | startswith("fmod_ret/")) | select((.available or .absent) | not) | "\(.name): \(.detail)"' <<<"$json")" \
	test "$nyes" = "$nfr" -a "$nfr" -gt 30
check "bpf_lsm and each lsm/ row: not available themselves, enforced by fmod_ret" \
	"$(jq -c '[.features[] | select(.name == "bpf_lsm" or (.name | startswith("lsm/"))) | select(.absent | not) | select(.available or .enforced_by != "fmod_ret") | .name]' <<<"$json")" \
	test "$(jq '[.features[] | select(.name == "bpf_lsm" or (.name | startswith("lsm/"))) | select(.absent | not) | select(.available or .enforced_by != "fmod_ret")] | length' <<<"$json")" = 0
check "the table says fmod_ret in its verdict and per feature" "$(grep -E '^(enforced by|verdict)' <<<"$text")" \
	bash -c 'grep -q "^verdict: full enforcement: .*fmod_ret" <<<"$1" && grep -q "^enforced by: exec fmod_ret, file fmod_ret" <<<"$1" &&
		grep -q "^lsm/file_open .*enforced by fmod_ret/security_file_open" <<<"$1"' _ "$text"
check "key_free is an fentry row, mmap_file has a program of its own" \
	"$(jq -c '[.features[] | select(.name == "fmod_ret/security_key_free" or .name == "fmod_ret/security_mmap_file") | {name, available}]' <<<"$json")" \
	test "$(jq '[.features[] | select(.name == "fmod_ret/security_key_free" or .name == "fmod_ret/security_mmap_file") | select(.available)] | length' <<<"$json")" = 2

# --- warden run --------------------------------------------------------------------------------
# The default policy denies exec in /tmp (and allows it in the workdir, $T).
P=/tmp/wdrung2-payload
cp /usr/bin/true "$P"
# The events go to a file of their own: on stderr the job's own messages could land inside an
# event line.
EV=/run/wdrung2.ev
rm -f "$EV"
out=$(cd "$T" && "$WARDEN" run -i test:rung2 --events "$EV" -- sh -c "$P; echo exec=\$?; cat /etc/shadow >/dev/null 2>&1; echo read=\$?" 2>&1)
rc=$?
ev=$(cat "$EV" 2>&1)
check "warden run runs without --degraded and says fmod_ret enforces" "exit $rc: $(grep 'warden run:' <<<"$out")" \
	bash -c '[ "$1" = 0 ] && grep -q "warden run: exec, file, socket and confinement rules enforced by fmod_ret" <<<"$2" && ! grep -q DEGRADED <<<"$2"' _ "$rc" "$out"
check "exec in /tmp refused on rung 2 (the default policy), with its event" "$out $(grep DENY <<<"$ev")" \
	bash -c 'grep -qx "exec=126" <<<"$1" && grep -q "DENY exec /tmp/wdrung2-payload .*hook=bprm_check_security" <<<"$2"' _ "$out" "$ev"
check "a read of /etc/shadow refused on rung 2, with its event" "$out $(grep DENY <<<"$ev")" \
	bash -c 'grep -qx "read=1" <<<"$1" && grep -q "DENY open-read /etc/shadow .*hook=file_open" <<<"$2"' _ "$out" "$ev"

# --- a hook rung 2 cannot move: reported as not enforced, never lost ----------------------------
# WARDEN_DISABLE=fmodret:FN (tests only) takes one function away as if this kernel's BTF lacked it.
json=$(WARDEN_DISABLE=fmodret:security_file_open "$WARDEN" probe --json 2>/dev/null)
rc=$?
check "without fmod_ret on security_file_open: probe partial, file not enforced, the rest by fmod_ret" \
	"exit $rc; $(jq -c .enforcement <<<"$json")" \
	bash -c '[ "$1" = 1 ] && [ "$(jq -r .enforcement.file <<<"$2")" = none ] && [ "$(jq -r .enforcement.exec <<<"$2")" = fmod_ret ] &&
		jq -e ".features[] | select(.name == \"fmod_ret/security_file_open\") | .available == false" >/dev/null <<<"$2"' _ "$rc" "$json"
out=$(WARDEN_DISABLE=fmodret:security_file_open "$WARDEN" run -i test:rung2 -- true 2>&1)
rc=$?
check "... and warden run refuses, naming file_open" "exit $rc: $out" \
	bash -c '[ "$1" = 125 ] && grep -q "missing BPF LSM hooks: file_open" <<<"$2"' _ "$rc" "$out"
out=$(WARDEN_DISABLE=fmodret "$WARDEN" run -i test:rung2 -- sh -c "$P; echo exec=\$?" 2>&1)
rc=$?
check "WARDEN_DISABLE=fmodret: warden run refuses (125) rather than run unenforced" "exit $rc: $out" \
	bash -c '[ "$1" = 125 ] && ! grep -q "exec=" <<<"$2"' _ "$rc" "$out"
# --- the daemon on rung 2: the kernel's recursion misses of its fmod_ret programs, monitored ----
# A trampoline program already running on a CPU is skipped there (fail open): warden status reads
# the kernel's count for every fmod_ret program the daemon's pinned links run.
D=/run/wdrung2-d
mkdir -p "$D"
cat >"$D/warden.yaml" <<EOF
version: 1
daemon:
  state_dir: $D/state
  run_dir: $D/run
  bpf_dir: /sys/fs/bpf/wdrung2
  metrics: off
EOF
WARDEN_SOCKET=$D/run/control.sock "$WARDEN" daemon -c "$D/warden.yaml" >"$D/daemon.log" 2>&1 &
dpid=$!
for _ in $(seq 300); do WARDEN_SOCKET=$D/run/control.sock "$WARDEN" status >/dev/null 2>&1 && break; sleep 0.1; done
st=$(WARDEN_SOCKET=$D/run/control.sock "$WARDEN" status --json 2>&1)
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
"$WARDEN" daemon -c "$D/warden.yaml" --reset >/dev/null 2>&1
check "warden status: recursion misses counted over the daemon's fmod_ret programs" \
	"$(jq -c '.features[] | select(.name == "recursion_misses")' <<<"$st" 2>&1) $(tail -n2 "$D/daemon.log")" \
	bash -c 'jq -e ".features[] | select(.name == \"recursion_misses\") | .in_use and (.detail | test(\"^[0-9]+ calls not decided over ([3-9][0-9]|[1-9][0-9][0-9]) fmod_ret programs\"))" <<<"$1" >/dev/null' _ "$st"
rm -rf "$T" "$P" "$D"
done_testing
