#!/usr/bin/env bash
# vm tier: the daemon with BPF LSM. A sandboxed root process cannot signal the daemon, call
# bpf(), read warden's pins, state or counter, reach the control socket, make a user namespace
# or mount, nor be given a policy that lets it write the sink; a job's denials hold while the
# daemon is SIGKILLed and restarted, and the restarted daemon takes the sandbox over.
set -u
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
WARDEN=$PWD/${WARDEN:-build/warden}
PY=/usr/bin/python3
A="$PY $PWD/tests/helpers/attempt.py"
T=/run/wdd
rm -rf "$T" /tmp/wdd
mkdir -p "$T" /tmp/wdd
export WARDEN_SOCKET=$T/run/control.sock
plan 21
dpid=
trap '[ -n "$dpid" ] && kill -9 $dpid 2>/dev/null; "$WARDEN" daemon -c "$T/warden.yaml" --reset >/dev/null 2>&1' EXIT

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
  bpf_dir: /sys/fs/bpf/warden
  metrics: off
  admin_group: nogroup
  policies: [$T/job.yaml]
  adopt:
    - cgroup: /wdvm/job-*
      identity: "job:{base}"
      policy: $T/job.yaml
EOF
cat >"$T/job.yaml" <<'EOF'
version: 1
name: job
identities: ["job:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/]
  deny: [/tmp/]
files:
  read:
    allow: [/]
  write:
    allow: [/tmp/, /dev/null]
EOF
cp /usr/bin/true /tmp/wdd/payload
start() {
	"$WARDEN" daemon -c "$T/warden.yaml" >>"$T/daemon.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do "$WARDEN" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
start
check "the daemon starts with full enforcement" "$(tail -3 "$T/daemon.log")" \
	sh -c '"$1" status | grep -q "full enforcement"' _ "$WARDEN"

# --- self-protection, from a sandboxed root shell ----------------------------------------------
"$WARDEN" run -i job:probe -- sh -c "
r() { n=\$1; shift; echo \"R \$n \$(\"\$@\" 2>/dev/null | tail -n1)\"; }
r kill $A kill $dpid 9
r bpf $A bpf
r pins $A read /sys/fs/bpf/warden/maps/wd_sandboxes
r state $A read $T/state/state.db
r seq $A write $T/run/seq
r sock $A unix $T/run/control.sock
r userns $A unshare-user
r mount $A mount-bind /tmp/wdd /usr/local
r exec-tmp $A exec /tmp/wdd/payload
" >"$T/probe.out" 2>"$T/probe.err"
res() { sed -n "s/^R $1 //p" "$T/probe.out"; }
check "cannot kill the daemon (EPERM)" "got '$(res kill)'" [ "$(res kill)" = "errno=EPERM" ]
check "cannot call bpf() (EPERM)" "got '$(res bpf)'" [ "$(res bpf)" = "errno=EPERM" ]
check "cannot open warden's pins in bpffs (EPERM)" "got '$(res pins)'" [ "$(res pins)" = "errno=EPERM" ]
check "cannot read the daemon's state (EACCES)" "got '$(res state)'" [ "$(res state)" = "errno=EACCES" ]
check "cannot write the node's counter (EACCES)" "got '$(res seq)'" [ "$(res seq)" = "errno=EACCES" ]
check "cannot reach the control socket (EPERM)" "got '$(res sock)'" [ "$(res sock)" = "errno=EPERM" ]
check "cannot make a user namespace (EPERM)" "got '$(res userns)'" [ "$(res userns)" = "errno=EPERM" ]
check "cannot mount (EPERM)" "got '$(res mount)'" [ "$(res mount)" = "errno=EPERM" ]
check "the job's policy holds: exec from /tmp denied (EACCES)" "got '$(res exec-tmp)'" [ "$(res exec-tmp)" = "errno=EACCES" ]

# --- the same self-protection as warden run: no policy may let a sandbox write the sink ----------
cat >/tmp/wdd/leaky.yaml <<EOF
version: 1
name: leaky
identities: ["job:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/]
files:
  read:
    allow: [/]
  write:
    allow: [/tmp/, $T/]
EOF
out=$({ "$WARDEN" policy apply --identity job:leaky /tmp/wdd/leaky.yaml &&
	"$WARDEN" run -i job:leaky -- true; } 2>&1)
rc=$?
check "a policy that lets the sandbox write the daemon's sink is refused, naming the rule" \
	"rc=$rc $out" sh -c '{ [ "$1" = 1 ] || [ "$1" = 125 ]; } &&
	printf %s "$2" | grep -q "could forge or erase its own record" &&
	printf %s "$2" | grep -qF "leaky.yaml:10:"' _ "$rc" "$out"

# --- an unprivileged member of the admin group ------------------------------------------------
out=$(cd / && setpriv --reuid=65534 --regid=65534 --init-groups "$WARDEN" run -i job:nobody -- sh -c 'id -u; exit 4' 2>&1)
rc=$?
check "a non-root admin runs a job: it runs as the caller (uid 65534), exit status passed" "rc=$rc $out" \
	sh -c '[ "$1" = 4 ] && printf %s "$2" | grep -qx 65534' _ "$rc" "$out"

# --- SIGKILL during a job ----------------------------------------------------------------------
# The job outlasts the daemon's restart: under the test bed's emulation loading and verifying
# the programs takes 10-15 s.
"$WARDEN" run -i job:long -- sh -c "
ok=0; bad=0; i=0
while [ \$i -lt 60 ]; do
	if /tmp/wdd/payload 2>/dev/null; then bad=\$((bad+1)); else ok=\$((ok+1)); fi
	i=\$((i+1)); sleep 0.5
done
echo \"\$ok \$bad\" > /tmp/wdd/long.out" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -n "$("$WARDEN" sandbox list 2>/dev/null)" ] && break; sleep 0.1; done
sb=$("$WARDEN" sandbox list --json | jq -r '.[0].id')
sleep 1
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
sleep 2
start
check "restarted daemon takes the sandbox over" "$(tail -3 "$T/daemon.log")" \
	sh -c '"$1" sandbox show "$2" >/dev/null' _ "$WARDEN" "$sb"
check "...with the kernel programs it left pinned" "$(grep 'took over' "$T/daemon.log")" \
	grep -q "kernel programs were still attached" "$T/daemon.log"
for _ in $(seq 900); do [ -s /tmp/wdd/long.out ] && break; sleep 0.1; done
read -r denied leaked </tmp/wdd/long.out
check "exec from /tmp denied throughout ($denied attempts, none through)" "denied=$denied leaked=$leaked" \
	sh -c '[ "$1" = 60 ] && [ "$2" = 0 ]' _ "$denied" "$leaked"
"$WARDEN" events --json "$T/events" >"$T/ev.jsonl" 2>/dev/null
n=$(jq -s --arg sb "$sb" '[.[] | select(.sandbox.id == $sb and .exec.path == "/tmp/wdd/payload" and .decision == "DECISION_DENIED")] | length' "$T/ev.jsonl")
check "every denial is in the sink, those while the daemon was down too ($n of 60)" "" [ "$n" = 60 ]

# --- an upgrade: a daemon of another build replaces the programs, with no gap ------------------
rm -f /tmp/wdd/long.out
"$WARDEN" run -i job:upgrade -- sh -c "
ok=0; bad=0; i=0
while [ \$i -lt 40 ]; do
	if /tmp/wdd/payload 2>/dev/null; then bad=\$((bad+1)); else ok=\$((ok+1)); fi
	i=\$((i+1)); sleep 0.1
done
echo \"\$ok \$bad\" > /tmp/wdd/long.out" >/dev/null 2>&1 &
sleep 1
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
WARDEN_BUILD_ID=upgradetest start
check "a daemon of another build replaces the pinned programs" "$(grep replaced "$T/daemon.log")" \
	sh -c 'grep -q "replaced [0-9]* kernel programs of another warden build" "$1" || exit 1
		if ls /sys/fs/bpf/warden/links | grep "^lsm_" | grep -qv "@upgradetest"; then exit 1; fi
		ls /sys/fs/bpf/warden/links | grep -q "@upgradetest"' _ "$T/daemon.log"
for _ in $(seq 900); do [ -s /tmp/wdd/long.out ] && break; sleep 0.1; done
read -r denied leaked </tmp/wdd/long.out
check "exec from /tmp denied throughout the upgrade ($denied attempts, none through)" "denied=$denied leaked=$leaked" \
	sh -c '[ "$1" = 40 ] && [ "$2" = 0 ]' _ "$denied" "$leaked"

# --- the kernel holds a cgroup an adoption rule matches from its mkdir on ---------------------
# The daemon is stopped (SIGSTOP), so only the kernel's hold can deny: exec from /tmp in a new
# matching cgroup is refused by the rule's policy; in a cgroup no rule matches it runs.
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
mkdir -p "$CG2/wdvm"
kill -STOP "$dpid"
mkdir "$CG2/wdvm/job-1" "$CG2/wdvm/free-1"
in_cg() { sh -c 'echo $$ >"$1/cgroup.procs" && /tmp/wdd/payload 2>/dev/null; echo $?' _ "$1"; }
held=$(in_cg "$CG2/wdvm/job-1")
free=$(in_cg "$CG2/wdvm/free-1")
check "held from its mkdir with no daemon running: exec from /tmp refused (126)" "got '$held'" [ "$held" = 126 ]
check "...while in a cgroup no rule matches it runs (0)" "got '$free'" [ "$free" = 0 ]
kill -CONT "$dpid"
for _ in $(seq 40); do "$WARDEN" sandbox list | grep -q job:job-1 && break; sleep 0.25; done
check "then the daemon adopts it, held by the kernel since its mkdir" "$(grep 'adoption rule' "$T/daemon.log")" \
	grep -q "job-1 adopted as job:job-1 (.*; held by the kernel since it was made)" "$T/daemon.log"
rmdir "$CG2/wdvm/job-1" "$CG2/wdvm/free-1" "$CG2/wdvm"
rm -rf /tmp/wdd
done_testing
