#!/usr/bin/env bash
# Host tier: `warden run` on a kernel without BPF LSM. It must refuse to pretend (exit 125 naming
# the missing hooks) unless --degraded, and then enforce the network rules through cgroup hooks
# for every process in the sandbox, report events, pass the exit status through, close
# inherited fds, kill what is left when the command ends or the TTL passes, and remove the cgroup.
# An installed warden (its config, a running daemon) is hidden: these runs are local and alone.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.."
WARDEN=${WARDEN:-build/warden}
# This is the path of a kernel with no rung for exec and file rules: BPF LSM off and rung 3 taken
# away (tests/host/test_rung3.sh covers rung 3), so warden refuses, or with --degraded enforces
# the network alone.
export WARDEN_DISABLE=landlock
PY=/usr/bin/python3
A="$PY $PWD/tests/helpers/attempt.py"
W=$(mktemp -d /tmp/wd-host.XXXXXX)
plan 29

if "$WARDEN" probe --json 2>/dev/null | jq -e '.features[] | select(.name == "bpf_lsm") | .available' >/dev/null; then
	lsm=yes
else
	lsm=no
fi

# Listeners on ephemeral loopback ports: allowed and denied ports both accept.
$PY - "$W" <<'PY' &
import socket, sys, time
w = sys.argv[1]
out = []
socks = []
for fam, addr, kind in [(socket.AF_INET, "127.0.0.1", socket.SOCK_STREAM),
                        (socket.AF_INET, "127.0.0.1", socket.SOCK_STREAM),
                        (socket.AF_INET, "127.0.0.1", socket.SOCK_DGRAM),
                        (socket.AF_INET, "127.0.0.1", socket.SOCK_DGRAM)]:
    s = socket.socket(fam, kind)
    s.bind((addr, 0))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    socks.append(s)
    out.append(str(s.getsockname()[1]))
open(w + "/ports.tmp", "w").write(" ".join(out) + "\n")
import os; os.rename(w + "/ports.tmp", w + "/ports")
time.sleep(300)
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 100); do [ -s "$W/ports" ] && break; sleep 0.1; done
read -r TCP_OK TCP_NO UDP_OK UDP_NO <"$W/ports"

cat >"$W/policy.yaml" <<POLICY
version: 1
name: host-net
identities: ["test:*"]
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
      ports: [$TCP_OK]
      protocol: tcp
    - to: 127.0.0.1
      ports: [$UDP_OK]
      protocol: udp
POLICY

# 1. No pretending: without --degraded, a kernel without BPF LSM is refused.
if [ $lsm = no ]; then
	"$WARDEN" run -i test:host -p "$W/policy.yaml" -- true 2>"$W/refuse"
	rc=$?
	check "refused without --degraded (exit 125)" "exit $rc" test $rc = 125
	check "refusal names the missing hooks" "$(cat "$W/refuse")" grep -q "missing BPF LSM hooks: bprm_check_security" "$W/refuse"
	check "refusal says how to enable BPF LSM" "$(cat "$W/refuse")" grep -q "CONFIG_BPF_LSM=y" "$W/refuse"
else
	skip "refused without --degraded" "this kernel runs BPF LSM"
	skip "refusal names the missing hooks" "this kernel runs BPF LSM"
	skip "refusal says how to enable BPF LSM" "this kernel runs BPF LSM"
fi

# 2. Degraded: network rules enforced, and said loudly what is not.
cat >"$W/inside.sh" <<INSIDE
r() { name=\$1; shift; echo "R \$name \$("\$@" 2>/dev/null | tail -n1)"; }
r tcp-ok $A connect4 127.0.0.1 $TCP_OK
r tcp-no $A connect4 127.0.0.1 $TCP_NO
r v4mapped $A connect6 ::ffff:127.0.0.1 $TCP_NO
r udp-ok $A udp4 127.0.0.1 $UDP_OK
r udp-no $A udp4 127.0.0.1 $UDP_NO
r tfo $A tfo 127.0.0.1 $TCP_NO
sh -c "$A connect4 127.0.0.1 $TCP_NO > $W/grandchild" &
wait
ls /proc/self/fd > $W/fds
exit 7
INSIDE
"$WARDEN" run -i test:host -p "$W/policy.yaml" --degraded --stats --events "$W/events" -- sh "$W/inside.sh" 3<"$W/policy.yaml" >"$W/out" 2>"$W/err"
rc=$?
res() { sed -n "s/^R $1 //p" "$W/out"; }
is() { # NAME EXPECTED EVENT-PATTERN
	local got
	got=$(res "$1")
	if [ "$got" != "$2" ]; then
		fail "$1" "sandbox saw '$got', want '$2'; stderr: $(head -c 400 "$W/err")"
	elif ! grep -q -- "$3" "$W/events"; then
		fail "$1" "no event matching '$3'"
	else
		pass "$1: $2"
	fi
}
check "exit status of the command passed through" "exit $rc" test $rc = 7
if [ $lsm = no ]; then
	check "degraded mode says what is not enforced" "$(cat "$W/err")" grep -q "NOT ENFORCED: file read" "$W/err"
else
	pass "degraded mode warning not needed: BPF LSM present"
fi
is tcp-ok ok "allow connect 127.0.0.1:$TCP_OK/tcp"
is tcp-no errno=EPERM "DENY connect 127.0.0.1:$TCP_NO/tcp .*rule=0 (default: no rule allows it)"
is v4mapped errno=EPERM "DENY connect 127.0.0.1:$TCP_NO/tcp .*hook=cgroup/connect6"
is udp-ok ok "allow send 127.0.0.1:$UDP_OK/udp"
is udp-no errno=EPERM "DENY send 127.0.0.1:$UDP_NO/udp"
is tfo errno=EPERM "DENY connect 127.0.0.1:$TCP_NO/tcp .*comm=python3"
check "grandchild governed too" "$(cat "$W/grandchild" 2>&1)" grep -qx errno=EPERM "$W/grandchild"
check "inherited fd 3 closed at sandbox entry" "fds: $(tr '\n' ' ' <"$W/fds")" \
	test "$(grep -cvE '^[0-2]$' "$W/fds")" -le 1
# Rule hit counters: the allow rule decided the allowed TCP connect; the default denied 5 times
# (tcp-no, v4mapped, udp-no, tfo, grandchild).
check "hit counter of the TCP allow rule" "$(grep 'rule ' "$W/err")" \
	grep -q "rule [0-9]*: 1 (.*network allow 127.0.0.1 ports $TCP_OK tcp)" "$W/err"
check "hit counter of the default deny" "$(grep 'rule 0' "$W/err")" grep -q "rule 0: 5 (default" "$W/err"
check "events name identity and sandbox" "$(head -n1 "$W/events")" grep -q '^warden\[test:host sb-[0-9a-f]\{16\}\]: ' "$W/events"

# 3. What the command leaves behind dies with the sandbox; the cgroup is removed.
marker=wd-leftover-$$
"$WARDEN" run -i test:host -p "$W/policy.yaml" --degraded -- \
	bash -c "sed -n 's/^0:://p' /proc/self/cgroup >$W/cg3; (exec -a $marker sleep 300) & while ! pgrep -f $marker >/dev/null; do sleep 0.05; done; echo started > $W/leftover" 2>/dev/null
sleep 0.2
check "leftover background process killed" "started: $(cat "$W/leftover" 2>&1); $(pgrep -af "$marker")" \
	test -s "$W/leftover" -a -z "$(pgrep -f "$marker")"
# This run's sandbox cgroup (the machine may have sandboxes of its own).
cg2=$(cgroup2_root)
sb3=$(cat "$W/cg3" 2>/dev/null)
check "sandbox cgroup removed" "cgroup '$sb3': $(ls -d "$cg2$sb3" 2>&1)" \
	sh -c 'case $2 in /warden/sb-*) test ! -e "$1$2" ;; *) false ;; esac' _ "$cg2" "$sb3"

# 4. If warden dies however it dies, the sandbox dies with it, while still enforced: the guardian
#    process holds the BPF links and kills the sandbox cgroup before letting go.
marker=wd-orphan-$$
"$WARDEN" run -i test:host -p "$W/policy.yaml" --degraded -- bash -c "exec -a $marker sleep 300" 2>/dev/null &
wpid=$!
# (^: the sandboxed process itself, not warden, whose command line names it too)
for _ in $(seq 200); do pgrep -f "^$marker" >/dev/null && break; sleep 0.05; done
check "the sandboxed process runs" "not found" sh -c "pgrep -f '^$marker' >/dev/null"
sb4=$(sed -n 's/^0:://p' "/proc/$(pgrep -f "^$marker" | head -n1)/cgroup" 2>/dev/null)
kill -9 $wpid
wait $wpid 2>/dev/null
for _ in $(seq 100); do pgrep -f "^$marker" >/dev/null || break; sleep 0.05; done
check "warden killed from outside: the sandbox dies too" "$(pgrep -af "^$marker")" \
	test -z "$(pgrep -f "^$marker")"
for _ in $(seq 100); do [ ! -e "$cg2$sb4" ] && break; sleep 0.05; done
check "and its cgroup is removed" "cgroup '$sb4': $(ls -d "$cg2$sb4" 2>&1)" \
	sh -c 'case $2 in /warden/sb-*) test ! -e "$1$2" ;; *) false ;; esac' _ "$cg2" "$sb4"
# Without BPF LSM nothing stops the sandbox from killing warden itself; the guardian still ends it.
"$WARDEN" run -i test:host -p "$W/policy.yaml" --degraded -- sh -c "touch $W/killing; kill -9 \$PPID; sleep 2; touch $W/survived" 2>/dev/null
sleep 3
check "the sandbox did kill warden" "no marker" test -e "$W/killing"
check "sandbox that killed warden did not live on" "survived: $(ls "$W/survived" 2>&1)" test ! -e "$W/survived"
# This test's guardians (a forked warden: its command line names this test's files), living ones:
# a zombie is a guardian that ended, left to a PID 1 that does not reap.
our_guards() {
	local p
	for p in $(pgrep -x warden-guard); do
		[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$W/" && echo "$p"
	done
}
check "no warden-guard left behind" "$(our_guards | xargs -r ps -o pid,stat,args -p)" test -z "$(our_guards)"

# 5. The TTL kills the sandbox even though the command would run on.
start=$(date +%s)
"$WARDEN" run -i test:host -p "$W/policy.yaml" --degraded --ttl 2s -- sleep 60 2>"$W/ttl"
rc=$?
took=$(($(date +%s) - start))
check "TTL kills the sandbox (exit 137)" "exit $rc after ${took}s" test $rc = 137 -a $took -lt 10
check "TTL expiry reported" "$(cat "$W/ttl")" grep -q "TTL expired" "$W/ttl"

# 6. Bad input: nothing applied, clear errors.
printf 'version: 1\nname: bad\nidentities: ["test:*"]\nexec:\n  alow: [/usr/]\n' >"$W/bad.yaml"
"$WARDEN" run -i test:host -p "$W/bad.yaml" --degraded -- true 2>"$W/bad"
rc=$?
check "invalid policy refused with file:line:column" "exit $rc: $(cat "$W/bad")" \
	grep -q "bad.yaml:5:3: " "$W/bad"
"$WARDEN" run -i 'no kind' --degraded -- true 2>/dev/null
check "invalid identity is a usage error (exit 2)" "exit $?" test $? = 2
"$WARDEN" run -i other:x -p "$W/policy.yaml" --degraded -- true 2>"$W/noapply"
rc=$?
check "policy that does not apply to the identity refused" "exit $rc: $(cat "$W/noapply")" \
	grep -q "does not apply to identity" "$W/noapply"

done_testing
