#!/usr/bin/env bash
# vm tier, a boot of its own (tests/check boots the test bed with lsm= lacking bpf, the Ubuntu
# and RHEL default): BPF LSM programs load and attach there but never run. Rung 2 (the same
# programs as fmod_ret on the security_* functions) enforces there instead (tests/vm/rung2/);
# here it is taken away (WARDEN_DISABLE=fmodret, read only by the probe, which can only remove
# mechanisms), leaving a kernel where no LSM hook enforces. Nothing may claim the enforcement
# that is not seen: `warden probe` exits non-zero and names the missing hooks, `warden run`
# refuses (125) unless --degraded when rung 3 is taken away too (WARDEN_DISABLE=landlock), and
# the daemon refuses to create or adopt sandboxes and says so. Then rung 3 on this kernel's
# Landlock (ABI 2 on Debian 12's 6.1): `warden run` and the daemon's run requests enforce exec
# and file rules, as root in the sandbox.
set -u
. "$(dirname "$0")/../../lib/tap.sh"
cd "$(dirname "$0")/../../.."
WARDEN=$PWD/${WARDEN:-build/warden}
T=/run/wdnobpf
plan 24

lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)
if [ -z "$lsm" ] || grep -qw bpf <<<"${lsm//,/ }"; then
	for i in $(seq 24); do skip "case $i" "this boot's LSM list is '$lsm': needs one without bpf"; done
	exit 0
fi

# --- rung 2 is there, unless taken away ---------------------------------------------------------
json=$("$WARDEN" probe --json 2>/dev/null)
rc=$?
check "with rung 2: probe exits 0, every LSM hook enforced by fmod_ret" "exit $rc; $(jq -c .enforcement <<<"$json")" \
	bash -c '[ "$1" = 0 ] && [ "$(jq -r .enforcement.file <<<"$2")" = fmod_ret ]' _ "$rc" "$json"
export WARDEN_DISABLE=fmodret
json=$("$WARDEN" probe --json 2>/dev/null)
check "WARDEN_DISABLE=fmodret: no fmod_ret rows, exec and file rules not enforced" "$(jq -c .enforcement <<<"$json")" \
	bash -c '[ "$(jq "[.features[] | select(.name | startswith(\"fmod_ret\"))] | length" <<<"$1")" = 0 ] &&
		[ "$(jq -r .enforcement.exec <<<"$1")" = none ] && [ "$(jq -r .enforcement.file <<<"$1")" = none ]' _ "$json"

# --- warden probe ------------------------------------------------------------------------------
export WARDEN_DISABLE=fmodret,landlock
json=$("$WARDEN" probe --json 2>/dev/null)
rc=$?
text=$("$WARDEN" probe 2>/dev/null)
check "probe exits 1 (partial), not 0" "exit status $rc" test "$rc" = 1
check "probe verdict is partial" "verdict: $(jq -r .verdict <<<"$json" 2>&1)" \
	test "$(jq -r .verdict <<<"$json")" = partial
why=$(jq -r '.features[] | select(.name == "bpf_lsm") | .detail' <<<"$json")
check "bpf_lsm: no, programs attach but never run, bpf missing from the LSM list" "detail: $why" \
	bash -c 'jq -e ".features[] | select(.name == \"bpf_lsm\") | .available == false" >/dev/null <<<"$1" &&
		grep -q "never run" <<<"$2" && grep -q "missing from the active LSM list" <<<"$2"' _ "$json" "$why"
seen=$(jq '[.features[] | select(.name | startswith("lsm/")) | select(.available)] | length' <<<"$json")
nhooks=$(jq '[.features[] | select(.name | startswith("lsm/")) | select(.absent | not)] | length' <<<"$json")
check "no LSM hook is called enforcing ($nhooks hooks)" "$seen of $nhooks called available" \
	test "$seen" = 0 -a "$nhooks" -gt 20
fo=$(jq -r '.features[] | select(.name == "lsm/file_open") | .detail' <<<"$json")
check "lsm/file_open: attached, but never ran" "detail: $fo" grep -q "attached, but never ran" <<<"$fo"
check "the table names what is missing" "$(tail -n 3 <<<"$text")" \
	bash -c 'grep -q "^missing: .*bpf_lsm.*lsm/bprm_check_security.*lsm/file_open" <<<"$1"' _ "$text"

# --- warden run --------------------------------------------------------------------------------
out=$("$WARDEN" run -i test:nobpf -- true 2>&1)
rc=$?
check "warden run refuses (exit 125)" "exit $rc: $out" test "$rc" = 125
check "warden run says which hooks were not seen enforcing" "$out" \
	bash -c 'grep -q "missing BPF LSM hooks: bprm_check_security" <<<"$1" && grep -q "never run" <<<"$1"' _ "$out"
out=$("$WARDEN" run -i test:nobpf --degraded -- true 2>&1)
rc=$?
check "warden run --degraded runs, saying loudly what is not enforced" "exit $rc: $out" \
	bash -c '[ "$1" = 0 ] && grep -q "DEGRADED" <<<"$2" && grep -q "NOT ENFORCED: file read" <<<"$2"' _ "$rc" "$out"

# The cgroup hooks still decide TCP and UDP, the sandbox's own listeners included ("to: sandbox"
# in the default policy): a service outside on loopback is refused, one the job starts is not.
check "--degraded names unix sockets and keyrings as not enforced, its own listeners as enforced" "$out" \
	bash -c 'grep -q "NOT ENFORCED: unix sockets" <<<"$1" && grep -q "NOT ENFORCED: confinement: .*keyrings" <<<"$1" &&
		grep -q "enforced: .*loopback listeners are the sandbox.s own" <<<"$1"' _ "$out"
# The exec second line (raw_tp/sched_process_exec) on this 6.1 kernel, where no LSM program runs
# and Landlock is taken away: the default policy's exec deny of /tmp/ kills root's exec there.
check "--degraded: the exec tracepoint enforces exec" "$out" grep -q "  exec: exec tracepoint (" <<<"$out"
out=$("$WARDEN" run -i test:nobpf --degraded -- sh -c 'cp /bin/true /tmp/wd-x && /tmp/wd-x; echo rc=$?' 2>/dev/null)
check "... root's exec of a copy in /tmp (exec deny /tmp/) is killed before it runs: $out" "$out" \
	test "$out" = "rc=137"
mkdir -p "$T"
python3 - "$T/outside.ready" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 8200))
s.listen(8)
open(sys.argv[1], "w").write("ready\n")
while True:
    c, _ = s.accept()
    c.sendall(b"token\n")
    c.close()
PY
opid=$!
for _ in $(seq 100); do [ -s "$T/outside.ready" ] && break; sleep 0.1; done
res=$(cd "$T" && "$WARDEN" run -i test:nobpf --degraded -- python3 -c '
import errno, socket, threading
def reach(port):
    try:
        return "ok:" + socket.create_connection(("127.0.0.1", port), timeout=5).recv(8).decode().strip()
    except OSError as e:
        return "errno=" + errno.errorcode.get(e.errno, str(e.errno))
own = socket.socket()
own.bind(("127.0.0.1", 0))
own.listen(1)
threading.Thread(target=lambda: own.accept()[0].sendall(b"mine\n"), daemon=True).start()
print("outside", reach(8200))
print("own", reach(own.getsockname()[1]))' 2>/dev/null)
kill "$opid" 2>/dev/null
check "degraded: the node's loopback service is refused (EPERM)" "$res" grep -qx "outside errno=EPERM" <<<"$res"
check "degraded: the job's own loopback server is reached" "$res" grep -qx "own ok:mine" <<<"$res"

# --- the daemon --------------------------------------------------------------------------------
rm -rf "$T"
mkdir -p "$T"
export WARDEN_SOCKET=$T/run/control.sock
dpid=
trap '[ -n "$dpid" ] && kill -9 $dpid 2>/dev/null; "$WARDEN" daemon -c "$T/warden.yaml" --reset >/dev/null 2>&1' EXIT
cat >"$T/warden.yaml" <<EOF
version: 1
daemon:
  state_dir: $T/state
  run_dir: $T/run
  bpf_dir: /sys/fs/bpf/wdnobpf
  metrics: off
  degraded: false
EOF
"$WARDEN" daemon -c "$T/warden.yaml" >"$T/daemon.log" 2>&1 &
dpid=$!
for _ in $(seq 200); do "$WARDEN" status >/dev/null 2>&1 && break; sleep 0.1; done
check "the daemon starts degraded and says what is not enforced" "$(cat "$T/daemon.log")" \
	bash -c 'grep -q "ready: degraded enforcement" "$1" && grep -q "LSM hooks not seen enforcing: .*file_open" "$1" &&
		grep -q "NOT ENFORCED" "$1" && ! grep -q "ready: full" "$1"' _ "$T/daemon.log"
out=$("$WARDEN" sandbox create -i ci:nobpf --json 2>&1)
rc=$?
check "the daemon refuses to create a sandbox it cannot enforce" "exit $rc: $out" \
	bash -c '[ "$1" != 0 ] && grep -q "cannot enforce exec and file rules" <<<"$2"' _ "$rc" "$out"
mkdir -p /sys/fs/cgroup/wdnobpf-job
out=$("$WARDEN" sandbox adopt --identity ci:nobpf --cgroup /wdnobpf-job --json 2>&1)
rc=$?
rmdir /sys/fs/cgroup/wdnobpf-job 2>/dev/null
check "the daemon refuses to adopt a cgroup it cannot enforce" "exit $rc: $out" \
	bash -c '[ "$1" != 0 ] && grep -q "cannot enforce exec and file rules" <<<"$2"' _ "$rc" "$out"

# --- rung 3 on this kernel's Landlock --------------------------------------------------------------
export WARDEN_DISABLE=fmodret
mkdir -p "$T/job"
# The default policy lets a job run what it builds in its workdir, and denies exec in /tmp/.
JOB='id -u; cat /etc/shadow >/dev/null 2>&1; echo shadow=$?; cp /bin/true /tmp/wd-r3-$$ && /tmp/wd-r3-$$; echo exec=$?
echo x >/etc/wd-r3 2>/dev/null; echo etc=$?; echo ok >f && cat f'
abi=$("$WARDEN" probe --json 2>/dev/null | jq -r .rung3.landlock_abi)
# 6.1 has no cgroup hooks for unix sockets (6.7): every policy's unix rules are not enforced
# there, so rung 3 alone is not enough without --degraded, and says why.
out=$(cd "$T/job" && WARDEN_LOCAL=1 "$WARDEN" run -i test:r3 -- true 2>&1)
rc=$?
check "rung 3 without unix socket hooks: warden run refuses (125) unless --degraded, naming them" \
	"exit $rc: $(tail -3 <<<"$out")" \
	bash -c '[ "$1" = 125 ] && grep -q "rung 3 here cannot enforce unix sockets" <<<"$2"' _ "$rc" "$out"
out=$(cd "$T/job" && WARDEN_LOCAL=1 "$WARDEN" run -i test:r3 --degraded -- sh -c "$JOB" 2>&1)
rc=$?
check "rung 3 (Landlock ABI $abi) with --degraded: runs, rung 3 enforcing, unix sockets NOT ENFORCED" \
	"exit $rc: $(head -3 <<<"$out")" \
	bash -c '[ "$1" = 0 ] && grep -q "rung 3 enforces (Landlock ABI" <<<"$2" &&
		grep -q "NOT ENFORCED: unix sockets" <<<"$2"' _ "$rc" "$out"
check "rung 3: as root, /etc/shadow, a copied binary and a write to /etc refused; the workdir works" \
	"$(tail -5 <<<"$out")" \
	bash -c 'grep -qx 0 <<<"$1" && grep -qx shadow=1 <<<"$1" && grep -qx exec=126 <<<"$1" &&
		grep -q "^etc=[12]$" <<<"$1" && grep -qx ok <<<"$1" && [ ! -e /etc/wd-r3 ]' _ "$out"
kill -9 "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
"$WARDEN" daemon -c "$T/warden.yaml" >"$T/daemon2.log" 2>&1 &
dpid=$!
for _ in $(seq 200); do "$WARDEN" status >/dev/null 2>&1 && break; sleep 0.1; done
out=$(cd "$T/job" && "$WARDEN" run -i test:r3d --degraded -- sh -c "$JOB" 2>&1)
rc=$?
check "rung 3 through the daemon (degraded asked): the run request's command enforced alike" "exit $rc: $out $(tail -3 "$T/daemon2.log")" \
	bash -c '[ "$1" = 0 ] && grep -qx shadow=1 <<<"$2" && grep -qx exec=126 <<<"$2" && grep -qx ok <<<"$2" &&
		grep -Eq "enforced by landlock( \+ exec tracepoint)?: exec" "$3"' _ "$rc" "$out" "$T/daemon2.log"
out=$("$WARDEN" sandbox create -i ci:nobpf --json 2>&1)
rc=$?
check "rung 3 does not cover a sandbox without a command: still refused" "exit $rc: $out" \
	bash -c '[ "$1" != 0 ] && grep -q "cannot enforce exec and file rules" <<<"$2"' _ "$rc" "$out"

done_testing
