#!/usr/bin/env bash
# Host tier: `warden daemon` on a kernel without BPF LSM (network enforcement, degraded: true).
# Config and policy checks; the CLI through the control socket; a sandboxed job stays denied
# while the daemon is SIGKILLed and until it is back, and the restarted daemon takes the
# sandbox over and delivers the events buffered meanwhile; an invalid config or policy is
# rejected with the old one in force; unauthorised clients are refused, root inside a sandbox
# included; TTLs expire with no client; metrics are scraped and parsed. bpffs is mounted on
# /sys/fs/bpf, if the machine has none there, in a mount namespace of the test's own.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
cd "$(dirname "$0")/../.."
WARDEN=$PWD/${WARDEN:-build/warden}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/wd-daemon.XXXXXX)
PIN=/sys/fs/bpf/warden-test-$$
PORT=$((20000 + $$ % 20000))
export WARDEN_SOCKET=$T/run/control.sock
plan 54
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	wait 2>/dev/null
	"$WARDEN" daemon -c "$T/warden.yaml" --reset >/dev/null 2>&1
	# The adoption cases' cgroups, if the test did not get to remove them.
	if [ -n "${CG2:-}" ] && [ -d "$CG2/wdtest-$$" ]; then
		find "$CG2/wdtest-$$" -depth -type d -exec sh -c 'echo 1 >"$1/cgroup.kill"' _ {} \; 2>/dev/null
		sleep 0.2
		find "$CG2/wdtest-$$" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rm -rf "$PIN" "$T"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ]; then
	for _ in $(seq 54); do skip "daemon" "needs root"; done
	exit 0
fi
# Pins before the daemon starts (an older build's ring buffer, below) need bpffs already.
if ! need_fs bpf /sys/fs/bpf; then
	for _ in $(seq 54); do skip "daemon" "no bpffs on /sys/fs/bpf and it cannot be mounted"; done
	exit 0
fi
CG2=$(cgroup2_root)
if [ -z "$CG2" ]; then
	for _ in $(seq 54); do skip "daemon" "no cgroup2 mount in /proc/self/mountinfo"; done
	exit 0
fi

cat >"$T/warden.yaml" <<EOF
version: 1
node: test-node
events:
  sinks:
    - name: main
      type: file
      dir: $T/events
daemon:
  state_dir: $T/state
  run_dir: $T/run
  bpf_dir: $PIN
  metrics: 127.0.0.1:$PORT
  degraded: true
  policies: [$T/ci.yaml]
  adopt:
    - cgroup: "/wdtest-$$/auto-*"
      identity: "pod:{base}"
    - cgroup: "/wdtest-$$/pods/*/c-*"
      identity: "ctr:{base}"
    - cgroup: "/wdtest-$$/held-*"
      identity: "held:{base}"
      policy: $T/held.yaml
EOF
cat >"$T/ci.yaml" <<'EOF'
version: 1
name: ci
identities: ["ci:*"]
exec:
  allow: [/]
files:
  read:
    allow: [/]
  write:
    allow: [/]
network:
  allow:
    - to: 127.0.0.1
EOF
# The adoption rule's policy: the same, bound to the rule (its identities match nothing).
sed 's/^name: ci$/name: held/; s/^identities: .*/identities: ["nobody:*"]/' "$T/ci.yaml" >"$T/held.yaml"
jqt() { jq -e "$@" >/dev/null; }
start() {
	"$WARDEN" daemon -c "$T/warden.yaml" >>"$T/daemon.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do "$WARDEN" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# --- config and policies checked before anything runs ---------------------------------------
out=$("$WARDEN" daemon -c "$T/warden.yaml" --check 2>&1)
check "daemon --check: valid config" "$out" grep -q "valid: 1 sinks, 1 policy files" <<<"$out"
sed 's/degraded: true/degraded: maybe/' "$T/warden.yaml" >"$T/bad.yaml"
out=$("$WARDEN" daemon -c "$T/bad.yaml" --check 2>&1)
rc=$?
check "daemon --check: invalid config, file:line:column" "rc=$rc $out" \
	sh -c '[ "$1" != 0 ] && printf %s "$2" | grep -q "bad.yaml:13:13: daemon.degraded must be true or false"' _ "$rc" "$out"

# A ring buffer pinned by an older build, of another size: the daemon reuses it as it is
# (refusing it would leave the node without its daemon after an upgrade).
mkdir -p "$PIN/maps"
bpftool map create "$PIN/maps/wd_events" type ringbuf key 0 value 0 entries $((8 << 20)) name wd_events
check "an older build's 8 MiB ring buffer is pinned" "$(bpftool map show pinned "$PIN/maps/wd_events" 2>&1)" \
	sh -c 'bpftool map show pinned "$1" | grep -q "max_entries 8388608"' _ "$PIN/maps/wd_events"
check "the daemon starts and answers" "$(tail -5 "$T/daemon.log" 2>/dev/null)" start
"$WARDEN" status --json >"$T/status.json"
check "status --json: degraded, names what it cannot protect, holds new cgroups" "$(cat "$T/status.json")" \
	jqt '.enforcement == "degraded" and (.not_protected | length) > 0 and .sinks[0].name == "main" and ([.features[] | select(.name == "cgroup_hold" and .in_use)] | length == 1)' "$T/status.json"

# --- warden run through the daemon ----------------------------------------------------------
out=$("$WARDEN" run -i ci:job1 -l repo=acme -- $PY -c "
import socket, sys
a = socket.socket().connect_ex(('127.0.0.1', $PORT))
b = socket.socket(); b.settimeout(1); b = b.connect_ex(('10.255.0.9', 80))
print(a, b); sys.exit(7)" 2>"$T/run.err")
rc=$?
check "run via the daemon: exit status passed through" "rc=$rc $(cat "$T/run.err")" [ "$rc" = 7 ]
check "run via the daemon: allowed connect went through, denied one refused (EPERM)" "got '$out'" [ "$out" = "0 1" ]
check "the sandbox is gone when its command ended" "$("$WARDEN" sandbox list)" \
	sh -c '[ -z "$("$1" sandbox list)" ]' _ "$WARDEN"
check "the pinned ring buffer was reused, its size kept, and carried the run's events" \
	"$(bpftool map show pinned "$PIN/maps/wd_events" 2>&1; ls -l "$T/events" 2>&1)" \
	sh -c 'bpftool map show pinned "$1" | grep -q "max_entries 8388608" &&
		"$2" events "$3/main.pb" 2>/dev/null | grep -q "ci:job1"' _ "$PIN/maps/wd_events" "$WARDEN" "$T/events"

# --- SIGKILL of the daemon during a job -------------------------------------------------------
"$WARDEN" run -i ci:long -- $PY -c "
import socket, time
ok = bad = 0
end = time.time() + 4
while time.time() < end:
    s = socket.socket(); s.settimeout(0.5)
    if s.connect_ex(('10.255.0.10', 80)) == 0: bad += 1
    else: ok += 1
    s.close(); time.sleep(0.02)
open('$T/long.out', 'w').write('%d %d' % (ok, bad))" >/dev/null 2>&1 &
client=$!
for _ in $(seq 50); do [ -n "$("$WARDEN" sandbox list 2>/dev/null)" ] && break; sleep 0.1; done
sb=$("$WARDEN" sandbox list --json | jq -r '.[0].id')
sleep 0.5
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
sleep 1.5
check "daemon killed: its programs stay pinned" "$(ls "$PIN/links" 2>&1 | head -3)" \
	sh -c 'ls "$1/links" | grep -q "^cg_"' _ "$PIN"
start
check "restarted daemon takes the sandbox over" "$(tail -3 "$T/daemon.log")" \
	sh -c '"$1" sandbox show "$2" >/dev/null' _ "$WARDEN" "$sb"
for _ in $(seq 100); do [ -s "$T/long.out" ] && break; sleep 0.1; done
read -r denied leaked <"$T/long.out"
check "the job was denied throughout ($denied attempts, none through)" "denied=$denied leaked=$leaked" \
	sh -c '[ "$1" -gt 20 ] && [ "$2" = 0 ]' _ "$denied" "$leaked"
for _ in $(seq 40); do [ -z "$("$WARDEN" sandbox list)" ] && break; sleep 0.25; done
check "the taken-over sandbox ends when its command does" "$("$WARDEN" sandbox list)" \
	sh -c '[ -z "$("$1" sandbox list)" ]' _ "$WARDEN"
wait "$client" 2>/dev/null
"$WARDEN" events --json "$T/events" >"$T/ev.jsonl" 2>/dev/null
n=$(jq -s --arg sb "$sb" '[.[] | select(.sandbox.id == $sb and .connect != null)] | length' "$T/ev.jsonl")
check "every denied connect of the job is in the sink, those made while the daemon was down too ($n of $denied)" "" \
	[ "$n" = "$denied" ]

# --- an invalid reload or policy leaves the old one in force ------------------------------------
cp "$T/ci.yaml" "$T/ci.good"
printf 'version: 1\nname: ci\nidentities: ["ci:*"]\nnetwork:\n  allow: [{to: 300.1.1.1}]\n' >"$T/ci.yaml"
kill -HUP "$dpid"
sleep 1
check "SIGHUP with an invalid policy file: rejected, file:line:column in the log" "$(tail -4 "$T/daemon.log")" \
	sh -c 'grep -q "ci.yaml:5:" "$1" && grep -q "reload of .* rejected" "$1"' _ "$T/daemon.log"
out=$("$WARDEN" run -i ci:after -- $PY -c "import socket; print(socket.socket().connect_ex(('127.0.0.1', $PORT)))" 2>&1)
check "the old policy is still in force (loopback allowed)" "$out" [ "$(tail -1 <<<"$out")" = 0 ]
cp "$T/ci.good" "$T/ci.yaml"

# --- a valid reload reaches a running job at its next action -----------------------------------
"$WARDEN" run -i ci:reload -- $PY -c "
import os, socket, time
a = socket.socket().connect_ex(('127.0.0.1', $PORT))
open('$T/reload.ready', 'w').close()
while not os.path.exists('$T/reload.go'): time.sleep(0.05)
b = socket.socket().connect_ex(('127.0.0.1', $PORT))
open('$T/reload.out', 'w').write('%d %d' % (a, b))" >/dev/null 2>&1 &
rjob=$!
for _ in $(seq 100); do [ -e "$T/reload.ready" ] && break; sleep 0.05; done
sed 's/    - to: 127.0.0.1/    - to: 10.9.9.9/' "$T/ci.good" >"$T/ci.yaml"
kill -HUP "$dpid"
for _ in $(seq 40); do grep -q "reloaded $T/warden.yaml" "$T/daemon.log" && break; sleep 0.1; done
touch "$T/reload.go"
wait $rjob
check "SIGHUP: the running job meets the new policy at its next connect (allowed, then EPERM)" \
	"got '$(cat "$T/reload.out" 2>/dev/null)'" [ "$(cat "$T/reload.out" 2>/dev/null)" = "0 1" ]
cp "$T/ci.good" "$T/ci.yaml"
kill -HUP "$dpid"
sleep 0.5
printf 'version: 1\nname: bad\nidentities: ["ci:*"]\nexec:\n  allow: [relative/path]\n' >"$T/bad-policy.yaml"
out=$("$WARDEN" policy apply --identity ci:x "$T/bad-policy.yaml" 2>&1)
rc=$?
check "policy apply of an invalid policy: refused with file:line:column (exit 1)" "rc=$rc $out" \
	sh -c '[ "$1" = 1 ] && printf %s "$2" | grep -q "bad-policy.yaml:5:"' _ "$rc" "$out"
check "policy show: nothing was applied" "" sh -c '! "$1" policy show --identity ci:x >/dev/null 2>&1' _ "$WARDEN"
printf 'version: 1\nname: strict\nidentities: ["ci:*"]\nexec:\n  allow: [/]\nfiles:\n  read:\n    allow: [/]\n  write:\n    allow: [/]\n' >"$T/strict.yaml"
out=$("$WARDEN" policy apply --identity ci:x "$T/strict.yaml" 2>&1)
check "policy apply: a valid policy gets a generation" "$out" grep -q "applied: generation" <<<"$out"
out=$("$WARDEN" run -i ci:x -- $PY -c "import socket; print(socket.socket().connect_ex(('127.0.0.1', $PORT)))" 2>&1)
check "the applied policy governs the identity's next sandbox (loopback now denied)" "$out" [ "$(tail -1 <<<"$out")" = 1 ]
"$WARDEN" policy diff --identity ci:x "$T/ci.yaml" >"$T/diff.out" 2>&1
check "policy diff: unified diff against the policy in force" "$(head -5 "$T/diff.out")" \
	sh -c 'grep -q "^-name: strict" "$1" && grep -q "^+name: ci" "$1"' _ "$T/diff.out"

# --- apply to a running sandbox, then a restart: it keeps the applied policy -------------------
sby=$("$WARDEN" sandbox create -i ci:y --json | jq -r .id)
"$WARDEN" policy apply --identity ci:y "$T/strict.yaml" --json >"$T/apply.json"
gen=$(jq -r .generation "$T/apply.json")
check "apply --identity switches the identity's running sandbox" "$(cat "$T/apply.json")" \
	jqt --arg sb "$sby" '.sandbox_ids | index($sb) != null' "$T/apply.json"
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
start
"$WARDEN" sandbox show "$sby" --json >"$T/show.json"
check "after a restart it still runs the applied policy (generation $gen)" "$(cat "$T/show.json")" \
	jqt --arg g "$gen" '(.policy_name | endswith("strict.yaml")) and .policy_generation == $g' "$T/show.json"
"$WARDEN" sandbox revoke "$sby" >/dev/null

# --- authorisation ---------------------------------------------------------------------------
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WARDEN" status 2>&1)
rc=$?
check "an unprivileged uid is refused" "rc=$rc $out" \
	sh -c '[ "$1" != 0 ] && printf %s "$2" | grep -qi "permission denied"' _ "$rc" "$out"
out=$("$WARDEN" run -i ci:inside -- "$WARDEN" status 2>&1)
# On rung 3 (these hosts) the kernel refuses the connect first (the unix socket hooks: the
# control socket is the guard's); with the LSM the daemon refuses the peer and logs it.
check "root inside a sandbox is refused" "$out" grep -Eq "permission denied.*sandbox|control.sock: Operation not permitted" <<<"$out"
check "refusals are logged, by the daemon or as the kernel's refusal" "$(grep refused "$T/daemon.log" | tail -2)" \
	bash -c 'grep -q "refused status" "$1" || grep -q "control.sock: Operation not permitted" <<<"$2"' _ "$T/daemon.log" "$out"

# --- revoke -------------------------------------------------------------------------------------
# A duration no other process on the machine sleeps for (GNU sleep takes fractions): pgrep finds
# this test's sleeps and nobody else's.
LONG=60.$$
"$WARDEN" run -i ci:revokeme -- sleep $LONG >/dev/null 2>&1 &
rc_client=$!
for _ in $(seq 50); do "$WARDEN" sandbox list | grep -q ci:revokeme && break; sleep 0.1; done
sbr=$("$WARDEN" sandbox list --json | jq -r '.[] | select(.identity == "ci:revokeme") | .id')
out=$("$WARDEN" sandbox revoke "$sbr" --reason "test" --json 2>&1)
check "sandbox revoke --json" "$out" jqt --arg id "$sbr" '.id == $id and .state == "revoked"' <<<"$out"
wait $rc_client
rc=$?
check "revoke killed its command; its client was told (exit $rc)" "" sh -c '[ "$1" != 0 ] && ! pgrep -x -f "sleep $2" >/dev/null' _ "$rc" "$LONG"

# --- TTLs with no client ------------------------------------------------------------------------
"$WARDEN" sandbox create -i ci:ttl --ttl 2s --json >"$T/ttl.json"
sbt=$(jq -r .id "$T/ttl.json")
check "sandbox create with a TTL" "$(cat "$T/ttl.json")" jqt '.expires_wall_ns != "0"' "$T/ttl.json"
"$WARDEN" run -i ci:ttl2 --ttl 2s -- sleep $LONG >/dev/null 2>&1 &
c2=$!
sleep 0.5
kill -9 $c2 # the client goes away; the TTL is the daemon's
sleep 2.5
check "TTL expiry with no client: both sandboxes ended" "$("$WARDEN" sandbox list)" \
	sh -c '[ -z "$("$1" sandbox list)" ]' _ "$WARDEN"
check "... their processes killed (no sleep $LONG left)" "$(pgrep -af "sleep $LONG")" sh -c '! pgrep -x -f "sleep $1" >/dev/null' _ "$LONG"
"$WARDEN" events --json "$T/events" | jq -c 'select(.lifecycle.kind == "SANDBOX_EXPIRED") | .sandbox.id' >"$T/expired"
check "... and reported as SANDBOX_EXPIRED" "$(cat "$T/expired")" grep -q "$sbt" "$T/expired"

# --- adoption: on request, and by pattern ------------------------------------------------------
mkdir -p "$CG2/wdtest-$$/job1"
$PY -c "
import os, socket, time
while not os.path.exists('$T/adopt.go'): time.sleep(0.02)
s = socket.socket(); s.settimeout(1)
open('$T/adopt.out', 'w').write(str(s.connect_ex(('10.255.0.11', 80))))" &
apid=$!
echo $apid >"$CG2/wdtest-$$/job1/cgroup.procs"
out=$("$WARDEN" sandbox adopt --identity ci:adopted --cgroup "/wdtest-$$/job1" --json 2>&1)
check "sandbox adopt: a runner's cgroup becomes a sandbox" "$out" jqt '.adopted == true and .identity == "ci:adopted"' <<<"$out"
touch "$T/adopt.go"
wait $apid
check "a process that was already running in it is now denied (EPERM)" "got '$(cat "$T/adopt.out")'" [ "$(cat "$T/adopt.out")" = 1 ]
rmdir "$CG2/wdtest-$$/job1"
for _ in $(seq 20); do "$WARDEN" sandbox list | grep -q ci:adopted || break; sleep 0.25; done
check "the adopted sandbox ends when its owner removes the cgroup" "$("$WARDEN" sandbox list)" \
	sh -c '! "$1" sandbox list | grep -q ci:adopted' _ "$WARDEN"
mkdir "$CG2/wdtest-$$/auto-7f3a"
for _ in $(seq 20); do "$WARDEN" sandbox list | grep -q pod:auto-7f3a && break; sleep 0.25; done
check "adoption by pattern: a new matching cgroup is adopted as pod:{base}" "$(grep -i adopt "$T/daemon.log" | tail -3)" \
	sh -c '"$1" sandbox list | grep -q "pod:auto-7f3a"' _ "$WARDEN"
check "...seen by inotify when it was made, not at the next periodic scan" "$(grep 'adoption rule' "$T/daemon.log" | tail -3)" \
	grep -q "auto-7f3a adopted as pod:auto-7f3a (seen by inotify[;)]" "$T/daemon.log"
# Two levels made at once (a pod, then its container): the container's directory appears
# before the daemon can watch the pod's.
mkdir -p "$CG2/wdtest-$$/pods/p1/c-9"
for _ in $(seq 20); do "$WARDEN" sandbox list | grep -q ctr:c-9 && break; sleep 0.25; done
check "a pattern with a wildcard level: a container made with its pod is adopted, by inotify" \
	"$(grep 'adoption rule' "$T/daemon.log" | tail -3)" \
	grep -q "c-9 adopted as ctr:c-9 (seen by inotify[;)]" "$T/daemon.log"
rmdir "$CG2/wdtest-$$/pods/p1/c-9" "$CG2/wdtest-$$/pods/p1" "$CG2/wdtest-$$/pods"
rmdir "$CG2/wdtest-$$/auto-7f3a"
sleep 1

# --- the kernel holds a new matching cgroup from its mkdir on, daemon or not -----------------
# The daemon is stopped (SIGSTOP): it cannot adopt anything, so what is enforced is the kernel's
# hold alone. In each cgroup: connect to 127.0.0.1 (the metrics port) and to 10.255.0.13.
probe_in() {
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -c "
import socket
a = socket.socket(); a.settimeout(0.5); b = socket.socket(); b.settimeout(0.5)
print(a.connect_ex((\"127.0.0.1\", $3)), b.connect_ex((\"10.255.0.13\", 80)))"' _ "$1" "$PY" "$PORT"
}
held_n() {
	"${BPFTOOL:-bpftool}" map dump pinned "$PIN/maps/wd_sandboxes" -j |
		jq '[.[] | select(.formatted.value.flags == 1)] | length'
}
kill -STOP "$dpid"
mkdir "$CG2/wdtest-$$/held-1" "$CG2/wdtest-$$/auto-h1" "$CG2/wdtest-$$/free-1"
out1=$(probe_in "$CG2/wdtest-$$/held-1")
out2=$(probe_in "$CG2/wdtest-$$/auto-h1")
rc2=$?
out3=$(probe_in "$CG2/wdtest-$$/free-1")
check "held from its mkdir, no daemon: the rule's policy (127.0.0.1 allowed, 10.255.0.13 EPERM)" \
	"got '$out1'" [ "$out1" = "0 1" ]
# Nothing allowed includes exec where exec is enforced without BPF LSM too (the exec tracepoint
# kills it before it runs): then python never connects at all.
check "held from its mkdir, rule without a policy: nothing allowed until adopted (EPERM twice, or its exec killed)" \
	"got '$out2', exit $rc2" bash -c '[ "$1" = "1 1" ] || { [ -z "$1" ] && [ "$2" = 137 ]; }' _ "$out2" "$rc2"
check "a cgroup no rule matches is not held" "got '$out3'" sh -c '[ "${1% *}" = 0 ] && [ "${1#* }" != 1 ]' _ "$out3"
mkdir "$CG2/wdtest-$$/held-2"
n1=$(held_n)
rmdir "$CG2/wdtest-$$/held-2"
n2=$(held_n)
check "a held cgroup removed before adoption is forgotten by the kernel" "held: $n1 then $n2" \
	[ "$n1-$n2" = 3-2 ]
kill -CONT "$dpid"
for _ in $(seq 20); do "$WARDEN" sandbox list | grep -q held:held-1 && break; sleep 0.25; done
check "then the daemon adopts it, and says the kernel held it since its mkdir" \
	"$(grep 'adoption rule' "$T/daemon.log" | tail -3)" \
	grep -q "held-1 adopted as held:held-1 (.*; held by the kernel since it was made)" "$T/daemon.log"
check "the held cgroup's denial reached the daemon's log before the adoption" \
	"$(grep 'held cgroup' "$T/daemon.log" | tail -3)" \
	grep -q "warden\[held cgroup [0-9]*\]: DENY connect 10.255.0.13:80" "$T/daemon.log"
# The rule's policy file changes (no network at all now) and the daemon reloads: the sandbox
# adopted under the rule follows it.
sed -i '/^network:/,$d' "$T/held.yaml"
nr=$(grep -c "reloaded" "$T/daemon.log")
kill -HUP "$dpid"
for _ in $(seq 40); do [ "$(grep -c "reloaded" "$T/daemon.log")" -gt "$nr" ] && break; sleep 0.1; done
out1=$(probe_in "$CG2/wdtest-$$/held-1")
check "a reload with the rule's policy changed: its adopted sandbox follows (EPERM twice)" \
	"got '$out1' $(grep -i 'reload' "$T/daemon.log" | tail -2)" [ "$out1" = "1 1" ]
# Revoked while its cgroup still matches: back to the kernel's hold, not free, even with no
# daemon to adopt it again.
sbh=$("$WARDEN" sandbox list --json | jq -r '.[] | select(.identity == "held:held-1") | .id')
"$WARDEN" sandbox revoke "$sbh" >/dev/null 2>&1
kill -STOP "$dpid"
out1=$(probe_in "$CG2/wdtest-$$/held-1")
kill -CONT "$dpid"
check "a revoked adopted sandbox whose cgroup still matches is held again (EPERM twice)" \
	"got '$out1' (sandbox $sbh) $(grep 'held by the kernel until' "$T/daemon.log" | tail -1)" \
	[ "$out1" = "1 1" ]
# The daemon SIGKILLed, not stopped: the pinned programs and rules hold a new match alone; a
# restarted daemon keeps the slot it is held under until it has adopted it (held.yaml now
# allows no network, so EPERM twice throughout).
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
mkdir "$CG2/wdtest-$$/held-3"
out1=$(probe_in "$CG2/wdtest-$$/held-3")
check "no daemon at all: a new match is held by the pinned rules (EPERM twice)" "got '$out1'" \
	[ "$out1" = "1 1" ]
start
for _ in $(seq 20); do "$WARDEN" sandbox list | grep -q held:held-3 && break; sleep 0.25; done
out1=$(probe_in "$CG2/wdtest-$$/held-3")
check "the restarted daemon adopts it, still denied (EPERM twice)" \
	"got '$out1' $(grep 'held-3' "$T/daemon.log" | tail -2)" \
	sh -c '[ "$1" = "1 1" ] && "$2" sandbox list | grep -q held:held-3' _ "$out1" "$WARDEN"
rmdir "$CG2/wdtest-$$/held-1" "$CG2/wdtest-$$/auto-h1" "$CG2/wdtest-$$/free-1" \
	"$CG2/wdtest-$$/held-3"
sleep 1
# The daemon itself, moved into a cgroup: neither that cgroup nor its parent can be adopted.
orig=$(sed -n 's/^0:://p' /proc/$dpid/cgroup)
mkdir "$CG2/wdtest-$$/dmn"
echo "$dpid" >"$CG2/wdtest-$$/dmn/cgroup.procs"
out1=$("$WARDEN" sandbox adopt --identity ci:self --cgroup "/wdtest-$$/dmn" 2>&1)
rc1=$?
out2=$("$WARDEN" sandbox adopt --identity ci:self --cgroup "/wdtest-$$" 2>&1)
rc2=$?
echo "$dpid" >"$CG2$orig/cgroup.procs"
rmdir "$CG2/wdtest-$$/dmn"
check "the daemon's own cgroup and its parent cannot be adopted" "rc=$rc1/$rc2 $out1 / $out2" \
	sh -c '[ "$1" != 0 ] && [ "$2" != 0 ] && printf %s "$3" | grep -q "the warden daemon itself runs in it"' _ "$rc1" "$rc2" "$out1$out2"
check "...and nothing was adopted" "$("$WARDEN" sandbox list)" sh -c '! "$1" sandbox list | grep -q ci:self' _ "$WARDEN"
rmdir "$CG2/wdtest-$$" 2>/dev/null

# --- metrics ------------------------------------------------------------------------------------
# Counters live in the daemon (they start again after a restart, as Prometheus expects).
"$WARDEN" run -i ci:metrics -- $PY -c "import socket; socket.socket().connect_ex(('10.255.0.12', 80))" >/dev/null 2>&1
curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
check "metrics: the exposition format parses" "$(head -5 "$T/metrics.txt")" python3 - "$T/metrics.txt" <<'EOF'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = name + r'="(?:[^"\\\n]|\\["\\n])*"'
sample = re.compile(r'^(' + name + r')(\{' + label + r'(,' + label + r')*\})? (\S+)$')
types = {}
n = 0
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        _, _, fam, t = line.split(' ', 3)
        assert t in ('counter', 'gauge', 'untyped'), line
        types[fam] = t
    elif line.startswith('# HELP ') or not line:
        continue
    else:
        m = sample.match(line)
        assert m, 'bad sample line: ' + line
        assert m.group(1) in types, 'sample before its TYPE: ' + line
        float(m.group(4))
        n += 1
assert n > 5, n
EOF
check "metrics: decisions by identity, sinks, ring buffer, sandboxes" "$(grep -c . "$T/metrics.txt") lines" \
	sh -c 'grep -q "^warden_decisions_total{identity=\"ci:metrics\",kind=\"connect\",decision=\"denied\"} 1" "$1" && grep -q "^warden_sink_events_exported_total{sink=\"main\"}" "$1" && grep -q "^warden_ringbuf_size_bytes" "$1" && grep -q "^warden_sandboxes" "$1"' _ "$T/metrics.txt"

# A bpf_dir that is not on a BPF file system (and not /sys/fs/bpf, where warden mounts one): the
# daemon does not start, and says what to do.
mkdir -p "$T/offbpf/pins"
sed "s|^  bpf_dir: .*|  bpf_dir: $T/offbpf/pins|" "$T/warden.yaml" >"$T/offbpf.yaml"
timeout 30 "$WARDEN" daemon -c "$T/offbpf.yaml" >"$T/offbpf.log" 2>&1
rc=$?
check "a bpf_dir off bpffs: refused, naming the fix" "exit $rc; $(head -c 400 "$T/offbpf.log")" \
	sh -c 'test "$1" = 1 && grep -q "is not on a BPF file system; mount one there (mount -t bpf bpf DIR)" "$2"' _ "$rc" "$T/offbpf.log"
done_testing
