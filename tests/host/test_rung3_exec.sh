#!/usr/bin/env bash
# Host tier, the exec second line of rungs 3 and 4 (issue 18): where no LSM program runs, the
# LSM object's raw_tp/sched_process_exec program (bpf/lsm/exec.bpf.h, wd_exec_tp) decides every
# exec of a sandbox again with the exec rules, on the file the kernel runs (its walked path and,
# for exact denies, its device and inode), kills a denied one before its first instruction and
# reports every exec. Landlock refuses first on rung 3, so the denials here are seen with Landlock
# taken away (WARDEN_DISABLE=landlock, --degraded): root in the sandbox runs a denied binary by its
# name and through a hard link in a directory the exec rules allow. The allow path: an ordinary
# job runs with every exec reported and none denied.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

rung3_or_skip # the exec tracepoint is for kernels without LSM programs
json=$PROBE_JSON

# The workdir on the same file system as the denied binary, so that a hard link can be made.
DENIED=$(command -v curl || command -v wget || true)
if [ -z "$DENIED" ]; then
	echo "1..0 # SKIP neither curl nor wget to deny"
	exit 0
fi
DENIED=$(realpath "$DENIED")
W=$(realpath "$(mktemp -d /var/tmp/wd-exec.XXXXXX)")
E=$(mktemp -d /run/wd-exec.XXXXXX) # events and policy: out of the sandbox's reach
trap 'rm -rf "$W" "$E"' EXIT
plan 14

cat >"$E/policy.yaml" <<YAML
version: 1
name: rung3-exec
identities: ["*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/, "\${workdir}/"]
  deny: [$DENIED]
files:
  read:
    allow: [/]
  write:
    allow: ["\${workdir}/", /tmp/, /dev/null]
network:
  allow:
    - to: sandbox
YAML

# wrun ENV... -- CMD: warden run in the workdir, events to $E/ev, stderr to $E/err.
wrun() {
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	rm -f "$E/ev"
	(cd "$W" && env "${envs[@]}" "$WARDEN" run -i ci:exec --policy "$E/policy.yaml" \
		--events "$E/ev" "$@" 2>"$E/err")
}
ev() { head -c 1500 "$E/ev" 2>/dev/null; }

# --- the allow path: an ordinary job, every exec reported, none denied -----------------------
out=$(wrun -- -- sh -c 'ls / >/dev/null && echo a | grep -q a && cat /etc/hostname >/dev/null &&
	python3 -c "print(1)" >/dev/null && git --version >/dev/null 2>&1; echo done')
rc=$?
check "an ordinary job runs to its end on rung 3 with the exec tracepoint" "rc $rc out $out: $(tail -n3 "$E/err")" \
	test "$rc" = 0 -a "$out" = done
check "... its execs are reported, allowed, by raw_tp/sched_process_exec with the rule" "$(ev)" \
	grep -q "allow exec /usr/bin/ls .*hook=raw_tp/sched_process_exec rule=[0-9]* (.*exec allow /usr/)" "$E/ev"
check "... and none denied" "$(grep DENY "$E/ev" | head -n3)" bash -c '! grep -q "DENY exec" "$1"' _ "$E/ev"
check "the report names the exec tracepoint as the second line" "$(grep '  exec' "$E/err")" \
	grep -q "exec: landlock + exec tracepoint" "$E/err"

# --- Landlock taken away: the tracepoint alone decides ------------------------------------------
out=$(wrun WARDEN_DISABLE=landlock -- --degraded -- sh -c "$DENIED --version >/dev/null 2>&1; echo rc=\$?")
check "without Landlock, root's exec of the denied $DENIED is killed before it runs: $out" \
	"$(tail -n3 "$E/err")" test "$out" = "rc=137"
check "... with a DENY exec event naming the rule" "$(ev)" \
	grep -q "DENY exec $DENIED .*hook=raw_tp/sched_process_exec .*exec deny $DENIED" "$E/ev"
check "... and the report says the exec tracepoint enforces exec" "$(grep '  exec' "$E/err")" \
	grep -q "  exec: exec tracepoint (" "$E/err"

if [ "$(stat -c %d "$DENIED")" = "$(stat -c %d "$W")" ]; then
	out=$(wrun WARDEN_DISABLE=landlock -- --degraded -- sh -c "ln $DENIED ./hl && ./hl --version >/dev/null 2>&1; echo rc=\$?")
	check "a hard link of it in the workdir (exec allowed there) is the same file: killed: $out" \
		"$(tail -n3 "$E/err")" test "$out" = "rc=137"
	check "... the event names the link's path and the deny rule (by device and inode)" "$(ev)" \
		grep -q "DENY exec $W/hl .*exec deny $DENIED" "$E/ev"
	rm -f "$W/hl"
else
	skip "a hard link of it: $DENIED and /var/tmp are on different file systems"
	skip "... the event names the link's path"
fi

out=$(wrun WARDEN_DISABLE=landlock -- --degraded -- sh -c 'cp /bin/true ./t && ./t; echo rc=$?')
check "a binary copied into the workdir runs (the exec rules allow it there): $out" \
	"$(tail -n3 "$E/err")" test "$out" = "rc=0"

# --- the tracepoint taken away too: reported, never silently lost ------------------------------
out=$(wrun WARDEN_DISABLE=landlock,exectp -- --degraded -- sh -c "$DENIED --version >/dev/null 2>&1; echo rc=\$?")
check "without Landlock and the exec tracepoint the denied binary runs: $out" "$(tail -n3 "$E/err")" \
	test "$out" = "rc=0"
check "... and the report says exec is NOT ENFORCED, naming why" "$(grep '  NOT ENFORCED: exec' "$E/err")" \
	grep -q "NOT ENFORCED: exec: not enforced (.*no exec tracepoint: disabled by WARDEN_DISABLE" "$E/err"
check "... and no exec events" "$(ev)" bash -c '! grep -q " exec " "$1"' _ "$E/ev"

check "warden probe --json: the exec tracepoint seen killing a test child's exec" "$(jq -c '.rung3 | {exec_tracepoint, exec_tracepoint_detail}' <<<"$json")" \
	bash -c 'jq -e ".rung3.exec_tracepoint and (.rung3.exec_tracepoint_detail | test(\"killed\"))" <<<"$1" >/dev/null' _ "$json"

done_testing
