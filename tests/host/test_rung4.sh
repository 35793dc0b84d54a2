#!/usr/bin/env bash
# Host tier: rung 4, the daemon's sandboxes without a command on a kernel without BPF LSM or
# fmod_ret. A cgroup the test makes, with a process in a mount namespace of its own moved into
# it, is adopted by an adoption rule; as root inside it, exec outside the exec rules, a read of
# /etc/shadow and a hardlink to a read-denied file are refused by fanotify, with events (hook
# "fanotify", the rule); the node's processes (a loop opening files all along) are never held
# up; a stalled decider is answered DENY by the watchdog for the sandbox only; a SIGKILLed daemon
# leaves nothing blocked (the kernel answers ALLOW: rung 4 fails open on the daemon's death).
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
cd "$(dirname "$0")/../.."
WARDEN=$PWD/${WARDEN:-build/warden}
N=20
plan $N
skip_all() {
	for _ in $(seq $N); do skip "rung 4" "$1"; done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root"
need_fs bpf /sys/fs/bpf || skip_all "no bpffs on /sys/fs/bpf and it cannot be mounted"
command -v nsenter >/dev/null || skip_all "no nsenter"
probe=$("$WARDEN" probe --json 2>/dev/null)
[ "$(jq -r '.verdict // 0' <<<"$probe")" != 0 ] || skip_all "BPF LSM enforces here: rung 4 is not used"
[ "$(jq -r '.rung4.fanotify' <<<"$probe")" = true ] ||
	skip_all "fanotify not seen refusing: $(jq -r '.rung4.detail' <<<"$probe")"
CG2=$(cgroup2_root)
[ -n "$CG2" ] || skip_all "no cgroup2 mount"

T=$(mktemp -d /tmp/wd-r4.XXXXXX)
PIN=/sys/fs/bpf/warden-r4-$$
CG=$CG2/wdr4-$$/job-1
export WARDEN_SOCKET=$T/run/control.sock
dpid= agent= hloop=
cleanup() {
	for p in $dpid $agent $hloop; do kill -9 "$p" 2>/dev/null; done
	[ -n "$hloop" ] && pkill -9 -P "$hloop" 2>/dev/null
	wait 2>/dev/null
	"$WARDEN" daemon -c "$T/warden.yaml" --reset >/dev/null 2>&1
	[ -d "$CG" ] && echo 1 >"$CG/cgroup.kill" 2>/dev/null && sleep 0.2
	rmdir "$CG" "$CG2/wdr4-$$" 2>/dev/null
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
  degraded: true
  policies: [$T/ci.yaml]
  adopt:
    - cgroup: "/wdr4-$$/job-*"
      identity: "ci:{base}"
EOF
cat >"$T/ci.yaml" <<EOF
version: 1
name: ci
identities: ["ci:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/]
files:
  read:
    allow: [/]
    deny: [/etc/shadow, $T/secret]
  write:
    allow: [/tmp/, /dev/null]
EOF
jqt() { jq -e "$@" >/dev/null; }
echo secret >"$T/secret"
mkdir -p "$T/pub" "$T/mnt"
ln "$T/secret" "$T/pub/link" # same inode, a path no rule names
cp /bin/true "$T/mytrue"

# The sandbox's process: a mount namespace of its own, then moved into the cgroup, then adopted
# when the daemon starts (its scan finds the cgroup).
mkdir -p "$CG"
unshare -m --propagation private sh -c "echo \$\$ >$CG/cgroup.procs; exec sleep 600" &
agent=$!
for _ in $(seq 50); do grep -qx "$agent" "$CG/cgroup.procs" 2>/dev/null && break; sleep 0.05; done
# inside CMD...: run as root in the sandbox (its mount namespace, then its cgroup).
inside() { nsenter -t "$agent" -m sh -c "echo \$\$ >$CG/cgroup.procs; $*"; }

# The node's own process: opens files all along; its count must keep rising.
(n=0; while :; do cat /etc/hostname >/dev/null && n=$((n + 1)) && echo $n >"$T/hloop.new" && mv -f "$T/hloop.new" "$T/hloop"; done) &
hloop=$!
hcount() { local n; n=$(cat "$T/hloop" 2>/dev/null); echo "${n:-0}"; }

start_daemon() {
	env "$@" "$WARDEN" daemon -c "$T/warden.yaml" >>"$T/daemon.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do "$WARDEN" status >/dev/null 2>&1 && break; sleep 0.1; done
	for _ in $(seq 50); do "$WARDEN" sandbox list 2>/dev/null | grep -q ci:job-1 && break; sleep 0.1; done
}
start_daemon

check "the cgroup is adopted (degraded asked: rung 4 never claims confinement), rung 4 marks its namespace's mounts" "$(grep -E 'adopt|rung 4' "$T/daemon.log")" \
	grep -qE "sandbox .*: rung 4: [1-9][0-9]* mounts of its mount namespaces marked" "$T/daemon.log"
"$WARDEN" status --json >"$T/status.json" 2>&1
check "status: rung4 in use, by_feature_other says fanotify for exec and file read" \
	"$(jq -c '.features[] | select(.name | test("rung4|by_feature_other"))' "$T/status.json" 2>&1)" \
	jqt '([.features[] | select(.name == "rung4" and .in_use)] | length == 1) and
		([.features[] | select(.name == "by_feature_other" and (.detail | test("fanotify( \\+ exec tracepoint)?: exec")) and (.detail | test("fanotify: (exec, )?file read")) and (.detail | test("NOT ENFORCED: .*file write.*daemon death")))] | length == 1)' "$T/status.json"
"$WARDEN" sandbox list --json >"$T/list.json" 2>&1
check "the sandbox says what rung 4 does not enforce" "$(cat "$T/list.json")" \
	jqt '.[] | select(.identity == "ci:job-1") | .not_enforced | join(" ") | test("rung 4.*file writes")' "$T/list.json"

h0=$(hcount)
out=$(inside "$T/mytrue; echo exec=\$?" 2>&1)
check "as root inside: exec outside the exec rules refused" "$out" grep -q '^exec=126$' <<<"$out"
out=$(inside 'cat /etc/shadow >/dev/null; echo shadow=$?' 2>&1)
check "as root inside: read of /etc/shadow refused (EPERM)" "$out" \
	bash -c 'grep -q "^shadow=1$" <<<"$1" && grep -qi "not permitted" <<<"$1"' _ "$out"
out=$(inside "cat $T/pub/link >/dev/null; echo link=\$?" 2>&1)
check "as root inside: a hardlink to a read-denied file refused (by device and inode)" "$out" grep -q '^link=1$' <<<"$out"
out=$(inside "cat /etc/hostname >/dev/null && /bin/true && echo ok" 2>&1)
check "the allow path: reads and execs the rules allow work inside" "$out" grep -qx ok <<<"$out"
# A mount made inside after adoption: marked at the daemon's next look.
inside "mount --bind /etc $T/mnt" >/dev/null 2>&1
for _ in $(seq 30); do grep -q "new mounts marked" "$T/daemon.log" && break; sleep 0.1; done
out=$(inside "cat $T/mnt/shadow >/dev/null; echo bind=\$?" 2>&1)
check "a bind mount made inside is marked on the tick: /etc/shadow through it refused" "$out $(grep 'new mounts' "$T/daemon.log")" grep -q '^bind=1$' <<<"$out"
# A process of the sandbox in the node's mount namespace, whose mounts fanotify never marks (a
# stalled daemon must not freeze the node): its exec outside the exec rules is not seen by
# fanotify; the exec tracepoint (the second line) kills it before it runs.
out=$(sh -c "echo \$\$ >$CG/cgroup.procs; $T/mytrue; echo node=\$?" 2>&1)
check "an exec by a sandbox process in the node's mount namespace: killed by the exec tracepoint" "$out" \
	grep -q '^node=137$' <<<"$out"
for _ in $(seq 30); do
	"$WARDEN" events "$T/events/main.pb" 2>/dev/null | grep -q "DENY exec $T/mytrue .*sched_process_exec" && break
	sleep 0.2
done
check "... reported, hook raw_tp/sched_process_exec" "$("$WARDEN" events "$T/events/main.pb" 2>&1 | grep sched_process_exec | head -n3)" \
	bash -c '"$1" events "$2" | grep -q "DENY exec $3/mytrue .*hook=raw_tp/sched_process_exec"' _ "$WARDEN" "$T/events/main.pb" "$T"
check "the node's processes are untouched: /etc/shadow readable outside" "" sh -c 'cat /etc/shadow >/dev/null' 
sleep 0.3
h1=$(hcount)
check "the node's loop kept opening files meanwhile" "before $h0, after $h1" [ "$h1" -gt "$h0" ]

for _ in $(seq 30); do
	"$WARDEN" events "$T/events/main.pb" >"$T/events.txt" 2>&1
	[ "$(grep -c 'hook=fanotify' "$T/events.txt")" -ge 3 ] && break
	sleep 0.2
done
check "events: the exec denial, hook fanotify, for the sandbox" "$(grep fanotify "$T/events.txt")" \
	grep -qE "ci:job-1.*mytrue.*deny.*hook=fanotify|deny.*ci:job-1.*hook=fanotify.*mytrue|mytrue.*hook=fanotify" "$T/events.txt"
check "events: the read of /etc/shadow denied, naming the rule" "$(grep shadow "$T/events.txt")" \
	grep -qE "/etc/shadow.*hook=fanotify.*files.read deny /etc/shadow" "$T/events.txt"
check "events: the hardlink denied by the rule on the file it is" "$(grep link "$T/events.txt")" \
	grep -qE "pub/link.*hook=fanotify.*files.read deny $T/secret" "$T/events.txt"

# A stalled decider (test knob): the watchdog answers DENY for the sandbox after 2 s; the node's
# processes are never held up. The restarted daemon takes the sandbox over and marks again.
kill "$dpid"
wait "$dpid" 2>/dev/null
start_daemon WARDEN_TEST_FANOTIFY_STALL_MS=4000
check "after a restart the sandbox is taken over and marked again" "$(tail -5 "$T/daemon.log")" \
	grep -q "took over 1 sandboxes" "$T/daemon.log"
h0=$(hcount)
t0=$(date +%s%N)
out=$(inside 'cat /etc/hostname >/dev/null; echo r=$?' 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
h1=$(hcount)
# Its first event is the exec of cat: refused (126), or the open if that got through (1).
check "stalled decider: the sandbox's exec or open is refused by the watchdog after ~2 s" "$out ${ms}ms" \
	bash -c 'grep -qE "^r=(1|126)$" <<<"$1" && [ "$2" -ge 1500 ] && [ "$2" -lt 6000 ]' _ "$out" "$ms"
check "...said in the log, and the node's loop went on meanwhile ($h0 -> $h1)" "$(grep -i watchdog "$T/daemon.log")" \
	bash -c 'grep -q "watchdog answered DENY" "$1" && [ "$2" -gt "$3" ]' _ "$T/daemon.log" "$h1" "$h0"

# SIGKILL while a sandbox process waits for the (stalled) decider: the kernel answers it.
sleep 4.5 # the stalled decider is done with the last event
(t0=$(date +%s%N); inside 'cat /etc/hostname >/dev/null; echo r=$?' >"$T/killed.out" 2>&1
	echo $((($(date +%s%N) - t0) / 1000000)) >"$T/killed.ms") &
waiter=$!
sleep 0.7
kill -9 "$dpid"
t1=$(date +%s%N)
wait "$waiter"
ms=$((($(date +%s%N) - t1) / 1000000))
dpid=
check "daemon SIGKILLed while a sandbox open waits: it gets its answer at once (fails open)" \
	"$(cat "$T/killed.out") total $(cat "$T/killed.ms")ms, ${ms}ms after the kill" \
	bash -c 'grep -q "^r=0$" "$1" && [ "$2" -lt 1000 ]' _ "$T/killed.out" "$ms"
h0=$(hcount)
sleep 0.3
check "the node is not frozen after the daemon's death" "$h0 -> $(hcount)" [ "$(hcount)" -gt "$h0" ]
done_testing
