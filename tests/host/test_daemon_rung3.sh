#!/usr/bin/env bash
# Host tier: the daemon's run requests on rung 3 (a kernel without BPF LSM or fmod_ret, with
# Landlock, a mount namespace and seccomp, as these hosts). The command of `warden run` through
# the daemon has its exec and file rules enforced, as root inside the sandbox; sandboxes made or
# adopted without a command are still refused unless degraded; `warden status` and the log say
# which mechanism enforces (and every SANDBOX_CREATED event, per feature); a running rung-3 sandbox switches to a policy that changes only
# network addresses, and keeps its policy when one changes its file rules.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
cd "$(dirname "$0")/../.."
WARDEN=$PWD/${WARDEN:-build/warden}
N=15
plan $N
skip_all() {
	for _ in $(seq $N); do skip "daemon on rung 3" "$1"; done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root"
need_fs bpf /sys/fs/bpf || skip_all "no bpffs on /sys/fs/bpf and it cannot be mounted"
probe=$("$WARDEN" probe --json 2>/dev/null)
[ "$(jq -r '.run_rung // 0' <<<"$probe")" = 3 ] ||
	skip_all "warden run is not on rung 3 here (run_rung $(jq -r '.run_rung // 0' <<<"$probe"))"

T=$(mktemp -d /tmp/wd-dr3.XXXXXX)
PIN=/sys/fs/bpf/warden-dr3-$$
export WARDEN_SOCKET=$T/run/control.sock
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	[ -n "${lpid:-}" ] && kill -9 "$lpid" 2>/dev/null
	wait 2>/dev/null
	"$WARDEN" daemon -c "$T/warden.yaml" --reset >/dev/null 2>&1
	rm -rf "$PIN" "$T"
}
trap cleanup EXIT
cat >"$T/warden.yaml" <<EOF
version: 1
events:
  sinks:
    - name: main
      type: file
      dir: $T/events
daemon:
  state_dir: $T/state
  run_dir: $T/run
  bpf_dir: $PIN
  metrics: off
  degraded: false
  policies: [$T/ci.yaml]
EOF
cat >"$T/ci.yaml" <<'EOF'
version: 1
name: ci
identities: ["ci:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/]
files:
  read:
    allow: [/]
    deny: [/etc/shadow]
  write:
    allow: ["${workdir}/", /dev/null]
network:
  allow:
    - to: 127.0.0.1
EOF
mkdir -p "$T/work"
jqt() { jq -e "$@" >/dev/null; }
PORT=$((20000 + $$ % 20000))
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(64)
while True: s.accept()[0].close()" &
lpid=$!
"$WARDEN" daemon -c "$T/warden.yaml" >"$T/daemon.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do "$WARDEN" status >/dev/null 2>&1 && break; sleep 0.1; done

"$WARDEN" status --json >"$T/status.json" 2>&1
check "status: rung3 in use for run requests, and what enforces each feature" "$(jq -c '.features[] | select(.name | test("rung3|by_feature"))' "$T/status.json" 2>&1)" \
	jqt '([.features[] | select(.name == "rung3" and .in_use and (.detail | test("Landlock ABI")))] | length == 1) and
		([.features[] | select(.name == "by_feature_run" and (.detail | test("^enforced by landlock( \\+ exec tracepoint)?: exec")))] | length == 1) and
		([.features[] | select(.name == "by_feature_other" and (.detail | test("NOT ENFORCED: exec|fanotify( \\+ exec tracepoint)?: exec")))] | length == 1)' "$T/status.json"

cd "$T/work"
out=$("$WARDEN" run -i ci:r3 -- sh -c 'id -u; cat /etc/shadow >/dev/null 2>&1; echo shadow=$?; echo x >/etc/wd-r3-$$ 2>/dev/null; echo etc=$?; echo ok >made; cat made; exit 7' 2>"$T/run.err")
rc=$?
check "run via the daemon on rung 3: exit status passed through" "rc=$rc $(cat "$T/run.err")" [ "$rc" = 7 ]
check "as root inside: /etc/shadow (read deny) refused" "$out" grep -q '^shadow=1$' <<<"$out"
check "as root inside: a write outside the write rules refused, none made" "$out" \
	bash -c 'grep -q "^etc=[12]$" <<<"$1" && [ ! -e /etc/wd-r3-'$$' ]' _ "$out"
check "the workdir is writable and readable (the allow path)" "$out" \
	bash -c 'grep -qx 0 <<<"$1" && grep -qx ok <<<"$1"' _ "$out"
cp /bin/true "$T/work/mytrue"
out=$("$WARDEN" run -i ci:r3 -- sh -c "$T/work/mytrue; echo exec=\$?" 2>&1)
check "exec outside the exec rules refused (a copy of true in the workdir)" "$out" \
	grep -q '^exec=126$' <<<"$out"
check "the log says rung 3 enforces the run's sandbox" "$(grep rung "$T/daemon.log")" \
	grep -Eq "created: policy .*; enforced by landlock( \\+ exec tracepoint)?: exec" "$T/daemon.log"

# The seccomp filter's refusals are events of the daemon too (the sys_exit program, attached at
# the first run request on rung 3).
out=$("$WARDEN" run -i ci:r3 -- /usr/bin/python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print("keyctl", l.syscall(250, 0, ctypes.c_long(-3), 0), ctypes.get_errno())' 2>&1)
for _ in $(seq 50); do
	"$WARDEN" events "$T/events/main.pb" 2>/dev/null | grep -q 'syscall keyctl' && break
	sleep 0.1
done
check "a seccomp refusal in a run request is a deny event" \
	"$out; $("$WARDEN" events "$T/events/main.pb" 2>&1 | grep -i deny)" \
	bash -c 'grep -q "^keyctl -1 1$" <<<"$3" && "$1" events "$2" | grep -q "ci:r3.* DENY confine syscall keyctl EPERM pid=[1-9][0-9]* .*comm=python3 .*hook=seccomp"' _ "$WARDEN" "$T/events/main.pb" "$out"

# The sys_exit program costs every system call of the node: gone with the last rung-3 sandbox.
for _ in $(seq 50); do grep -q "seccomp events program is detached" "$T/daemon.log" && break; sleep 0.1; done
check "the seccomp events program is detached once no rung-3 sandbox is left" \
	"$(grep -i "seccomp events\|ended" "$T/daemon.log" | tail -3)" \
	grep -q "no rung-3 sandbox left: the seccomp events program is detached" "$T/daemon.log"

check "its SANDBOX_CREATED event says per feature what enforces it" \
	"$("$WARDEN" events "$T/events/main.pb" 2>&1 | grep sandbox-created | head -2)" \
	bash -c '"$1" events "$2" | grep "ci:r3" | grep -Eq "sandbox-created .*enforced by landlock( \+ exec tracepoint)?: exec.*; cgroup: network.*NOT ENFORCED: .*sockets passed in"' _ "$WARDEN" "$T/events/main.pb"
out=$("$WARDEN" sandbox create -i ci:nocmd --json 2>&1)
rc=$?
# Without degraded no rung covers it: rung 4 (fanotify, tests/host/test_rung4.sh) leaves
# confinement to the container runtime, so it runs only where degraded is asked.
check "a sandbox without a command is still refused (no rung covers it without degraded)" "rc=$rc $out" \
	bash -c '[ "$1" != 0 ] && grep -q "cannot enforce exec and file rules" <<<"$2"' _ "$rc" "$out"

# A running rung-3 sandbox: a reload changing only network addresses switches it; one changing
# file rules does not (Landlock cannot change under it), and the log says so.
CONN="import socket; print(socket.socket().connect_ex(('127.0.0.1', $PORT)))"
"$WARDEN" run -i ci:live -- sh -c "python3 -c \"$CONN\" >c1; touch ready; while [ ! -e go ]; do sleep 0.05; done; python3 -c \"$CONN\" >c2; touch ready2; while [ ! -e go2 ]; do sleep 0.05; done; cat /etc/hostname >c3" >/dev/null 2>"$T/live.err" &
job=$!
for _ in $(seq 100); do [ -e ready ] && break; sleep 0.05; done
sb=$("$WARDEN" sandbox list --json | jq -r '.[] | select(.identity == "ci:live") | .id')
sed -i 's/    - to: 127.0.0.1/    - to: 10.9.9.9/' "$T/ci.yaml"
kill -HUP "$dpid"
for _ in $(seq 50); do grep -q "reloaded" "$T/daemon.log" && break; sleep 0.1; done
touch go
for _ in $(seq 100); do [ -e ready2 ] && break; sleep 0.05; done
check "reload changing network addresses only: the running rung-3 sandbox switched (connect 0, then 1)" \
	"c1=$(cat c1 2>&1) c2=$(cat c2 2>&1) $(cat "$T/live.err")" \
	bash -c '[ "$(cat c1)" = 0 ] && [ "$(cat c2)" = 1 ] && ! grep -q "$1 runs on rung 3" "$2"' _ "$sb" "$T/daemon.log"
sed -i 's|    deny: \[/etc/shadow\]|    deny: [/etc/shadow, /etc/hostname]|' "$T/ci.yaml"
kill -HUP "$dpid"
for _ in $(seq 50); do grep -q "$sb runs on rung 3" "$T/daemon.log" && break; sleep 0.1; done
check "reload changing file rules: it keeps its policy, and the log says why" \
	"$(grep "$sb" "$T/daemon.log" | tail -3)" \
	grep -q "$sb runs on rung 3, where exec, file and socket rules are fixed at start" "$T/daemon.log"
touch go2
wait $job
check "... and it runs the policy it started with, as its sandbox says (/etc/hostname readable)" \
	"c3=$(cat c3 2>&1)" [ "$(cat c3 2>/dev/null)" = "$(cat /etc/hostname)" ]
out=$("$WARDEN" run -i ci:r3 -- cat /etc/hostname 2>&1)
check "the next run gets the new policy (/etc/hostname now denied)" "$out" grep -q 'Permission denied' <<<"$out"

done_testing
