#!/usr/bin/env bash
# Host tier: grant nothing (issue 16) where the kernel has no BPF LSM. The cgroup connect4/6 and
# sendmsg4/6 programs still decide loopback by listener, so a sandboxed root on the embedded
# default policy (--degraded) must not reach the node's credential agent on 127.0.0.1:8200 (nor
# through ::1, 0.0.0.0, :: or ::ffff:127.0.0.1), its stub resolver on 127.0.0.53:53, or another
# sandbox's TCP listener, while its own TCP and UDP servers stay reachable and a policy that names
# 127.0.0.1:8200 reaches it. Unix and abstract sockets and keyrings need BPF LSM: those cases are
# the vm tier's (tests/vm/test_node_services.sh) and are skipped here, saying so.
# It runs in a network namespace of its own (only lo): a real agent or systemd-resolved on this
# machine neither disturbs it nor is reached by it.
set -u
. "$(dirname "$0")/../lib/tap.sh"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (real cgroups and BPF)"
	exit 0
fi
if [ -z "${WD_TEST_OWN_NET:-}" ]; then
	if ! unshare --net true 2>/dev/null; then
		echo "1..0 # SKIP needs a network namespace of its own (unshare --net)"
		exit 0
	fi
	WD_TEST_OWN_NET=$$ exec unshare --net -- "$BASH" "$0" "$@"
fi
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
ip link set lo up || { echo "Bail out! cannot bring lo up in the test's network namespace"; exit 1; }
WARDEN=${WARDEN:-build/warden}
WARDEN=$(realpath "$WARDEN")
PY=/usr/bin/python3
SIPY=$PWD/tests/helpers/standin.py
REACH=$PWD/tests/helpers/reach.py
W=$(mktemp -d /tmp/wdn-host.XXXXXX)  # the sandboxes' workdirs
E=$(mktemp -d /run/wdn-host.XXXXXX)  # events, logs, ready files: where no sandbox writes
mkdir "$W/a" "$W/b"
plan 37

if "$WARDEN" probe --json 2>/dev/null | jq -e '.features[] | select(.name == "bpf_lsm") | .available' >/dev/null; then
	lsm=yes
	degraded=()
	why_skip="covered by the vm tier (tests/vm/test_node_services.sh)"
else
	lsm=no
	degraded=(--degraded)
	why_skip="needs BPF LSM; this kernel has none (warden probe: bpf_lsm no), and --degraded enforces only the cgroup connect/sendmsg hooks"
fi

outside=()
b_run=
cleanup() {
	[ ${#outside[@]} -eq 0 ] || kill "${outside[@]}" 2>/dev/null
	[ -z "$b_run" ] || kill "$b_run" 2>/dev/null
	rm -rf "$W" "$E"
}
trap cleanup EXIT

# await FILE...: each appears within 30 s (a stand-in's ready file)
await() {
	local f
	for f in "$@"; do
		for _ in $(seq 300); do [ -e "$f" ] && break; sleep 0.1; done
		[ -e "$f" ] || return 1
	done
}

# --- the node's services: stand-ins outside every sandbox --------------------------------------
standin() { # NAME ARGS...
	local name=$1
	shift
	"$PY" "$SIPY" "$@" --ready "$E/$name.ready" >>"$E/standin.log" 2>&1 &
	outside+=($!)
}
standin cred4 tcp 127.0.0.1 8200
standin cred6 tcp ::1 8200
standin stub udp 127.0.0.53 53
await "$E"/{cred4,cred6,stub}.ready
up=$?
check "the node's stand-in services listen" "$(cat "$E/standin.log")" test "$up" = 0
ctl=
for a in "tcp 127.0.0.1 8200" "tcp ::1 8200" "udp 127.0.0.53 53"; do
	# shellcheck disable=SC2086 # the words of $a are reach.py's arguments
	got=$("$PY" "$REACH" $a 2>&1)
	[ "$got" = ok ] || ctl="$ctl; $a: $got"
done
check "each stand-in answers a client outside the sandbox" "${ctl#; }" test -z "$ctl"

# --- what runs inside the sandboxes (as in tests/vm/test_node_services.sh) ----------------------
cat >"$E/lib.sh" <<'LIB'
WD=$PWD
servers=
r() {
	name=$1
	shift
	got=$(sh -c 'echo $$ >"$0"; exec "$@"' "$WD/$name.pid" "$@" 2>>"$WD/clients.err" | tail -n1)
	echo "R $name $got pid=$(cat "$WD/$name.pid" 2>/dev/null)"
}
serve() {
	name=$1
	shift
	"$PY" "$SIPY" "$@" --ready "$WD/$name.ready" >/dev/null 2>>"$WD/servers.err" &
	echo "S $name $!"
	servers="$servers $!"
}
ready() {
	for n in "$@"; do
		i=0
		while [ ! -e "$WD/$n.ready" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	done
}
LIB
export PY SIPY REACH E

# Sandbox B serves TCP, reaches it itself, and keeps serving until sandbox A has tried.
cat >"$W/b/b.sh" <<'B'
. "$E/lib.sh"
serve b-tcp tcp 127.0.0.1 8400
ready b-tcp
r b-tcp "$PY" "$REACH" tcp 127.0.0.1 8400
touch "$WD/b.ready"
i=0
while [ ! -e "$WD/b.stop" ] && [ $i -lt 2400 ]; do sleep 0.1; i=$((i + 1)); done
kill $servers
wait
B
(cd "$W/b" && exec "$WARDEN" run -i test:node-b "${degraded[@]}" --events "$E/events-b" -- sh "$W/b/b.sh") \
	>"$E/out-b" 2>"$E/err-b" &
b_run=$!
await "$W/b/b.ready" || echo "# sandbox B never became ready: $(head -c 300 "$E/err-b")"

cat >"$W/a/a.sh" <<'A'
. "$E/lib.sh"
r cred4 "$PY" "$REACH" tcp 127.0.0.1 8200
r cred6 "$PY" "$REACH" tcp ::1 8200
r cred-any4 "$PY" "$REACH" tcp 0.0.0.0 8200
r cred-any6 "$PY" "$REACH" tcp :: 8200
r cred-mapped "$PY" "$REACH" tcp ::ffff:127.0.0.1 8200
r stub "$PY" "$REACH" udp 127.0.0.53 53
r b-tcp "$PY" "$REACH" tcp 127.0.0.1 8400
serve in-tcp4 tcp 127.0.0.1 8300
serve in-tcp6 tcp ::1 8300
serve in-tcp-2 tcp 127.0.0.2 8200
serve in-udp4 udp 127.0.0.1 5300
serve in-udp6 udp ::1 5300
serve in-stub udp 127.0.0.54 53
ready in-tcp4 in-tcp6 in-tcp-2 in-udp4 in-udp6 in-stub
r in-tcp4 "$PY" "$REACH" tcp 127.0.0.1 8300
r in-tcp6 "$PY" "$REACH" tcp ::1 8300
r in-tcp-2 "$PY" "$REACH" tcp 127.0.0.2 8200
r in-udp4 "$PY" "$REACH" udp 127.0.0.1 5300
r in-udp6 "$PY" "$REACH" udp ::1 5300
r in-stub "$PY" "$REACH" udp 127.0.0.54 53
kill $servers
wait
A
(cd "$W/a" && exec "$WARDEN" run -i test:node "${degraded[@]}" --events "$E/events-a" -- sh "$W/a/a.sh") \
	>"$E/out-a" 2>"$E/err-a"
rc_a=$?
touch "$W/b/b.stop"
wait "$b_run"
rc_b=$?
b_run=

# A policy that names the node's credential agent on 127.0.0.1:8200, and nothing else.
cat >"$E/named.yaml" <<'POLICY'
version: 1
name: wdtest-named-tcp
identities: ["test:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/]
files:
  read:
    allow: [/]
  write:
    allow: ["${workdir}/", /tmp/, /dev/null]
network:
  allow:
    - to: 127.0.0.1
      ports: [8200]
POLICY
cat >"$W/a/named.sh" <<'N'
. "$E/lib.sh"
r named-cred4 "$PY" "$REACH" tcp 127.0.0.1 8200
r named-cred6 "$PY" "$REACH" tcp ::1 8200
r named-stub "$PY" "$REACH" udp 127.0.0.53 53
N
(cd "$W/a" && exec "$WARDEN" run -i test:node -p "$E/named.yaml" "${degraded[@]}" --events "$E/events-named" -- \
	sh "$W/a/named.sh") >"$E/out-named" 2>"$E/err-named"
rc_named=$?

# --- what happened --------------------------------------------------------------------------
res() { sed -n "s/^R $1 \(.*\) pid=[0-9]*\$/\1/p" "$2" | head -n1; }
pid_of() { sed -n "s/^R $1 .* pid=\([0-9]*\)\$/\1/p" "$2" | head -n1; }
denials() { [ -n "$2" ] && grep -F " pid=$2 " "$1" | grep -F " DENY "; }
no_denial_at_all() { [ -s "$1" ] && ! grep -qF ' DENY ' "$1"; }
refused() { # OUT EVENTS NAME ERRNO-ERE DEST-ERE
	local got pid
	got=$(res "$3" "$1")
	pid=$(pid_of "$3" "$1")
	if ! printf '%s\n' "$got" | grep -Eqx "errno=($4)"; then
		fail "$3 refused" "sandbox saw '$got', want errno=$4; $(denials "$2" "$pid" | head -n2)"
	elif ! denials "$2" "$pid" | grep -Eq -- "$5"; then
		fail "$3 refused" "no DENY event of pid ${pid:-?} matching /$5/; its events: $(grep -F " pid=$pid " "$2" | head -n3)"
	else
		pass "$3 refused: $got, with a DENY event naming it"
	fi
}
reached() { # OUT EVENTS NAME
	local got pid
	got=$(res "$3" "$1")
	pid=$(pid_of "$3" "$1")
	if [ "$got" != ok ]; then
		fail "$3 reachable" "sandbox saw '$got', want ok; $(denials "$2" "$pid" | head -n2)"
	elif denials "$2" "$pid" | grep -q .; then
		fail "$3 reachable" "but DENY events: $(denials "$2" "$pid" | head -n2)"
	else
		pass "$3 reachable, no DENY event"
	fi
}
A_OUT=$E/out-a A_EV=$E/events-a
touch "$A_EV" "$E/events-b" "$E/events-named"

check "sandbox A (default policy${degraded:+, ${degraded[*]}}) exit status 0" \
	"exit $rc_a; stderr: $(head -c 600 "$E/err-a")" test "$rc_a" = 0
refused "$A_OUT" "$A_EV" cred4 EPERM '127\.0\.0\.1:8200'
refused "$A_OUT" "$A_EV" cred6 EPERM '\[::1\]:8200'
refused "$A_OUT" "$A_EV" cred-any4 EPERM '(0\.0\.0\.0|127\.0\.0\.1):8200'
refused "$A_OUT" "$A_EV" cred-any6 EPERM '\[(::|::1)\]:8200'
refused "$A_OUT" "$A_EV" cred-mapped EPERM '127\.0\.0\.1\]?:8200'
refused "$A_OUT" "$A_EV" stub EPERM '127\.0\.0\.53:53'
skip "api socket under /run refused" "$why_skip"
skip "datagram socket under /run refused" "$why_skip"
skip "an agent's abstract socket refused" "$why_skip"
skip "keys made outside: read refused" "$why_skip"
skip "keys made outside: search refused" "$why_skip"
skip "keys made outside: link refused" "$why_skip"
skip "the sandbox's own session keyring works" "$why_skip"
check "sandbox B exit status 0" "exit $rc_b; stderr: $(head -c 600 "$E/err-b")" test "$rc_b" = 0
refused "$A_OUT" "$A_EV" b-tcp EPERM '127\.0\.0\.1:8400'
reached "$E/out-b" "$E/events-b" b-tcp
check "sandbox B reported events, and no DENY among them" "$(grep -F ' DENY ' "$E/events-b" | head -n3)" \
	no_denial_at_all "$E/events-b"
skip "sandbox B's unix and abstract sockets refused to A, reachable to B" "$why_skip"
skip "reuseport: joining the node listener's group refused" \
	"a refusal at bind is confinement; $why_skip"
for n in in-tcp4 in-tcp6 in-tcp-2 in-udp4 in-udp6 in-stub; do
	reached "$A_OUT" "$A_EV" "$n"
done
skip "the sandbox's own unix sockets (workdir, /tmp, datagram) and abstract socket reachable" "$why_skip"
bad=
while read -r _ name spid; do
	d=$(denials "$A_EV" "$spid" | head -n1)
	[ -z "$d" ] || bad="$bad; $name: $d"
done < <(grep '^S ' "$A_OUT")
check "sandbox A's own servers drew no DENY event ($(grep -c '^S ' "$A_OUT") servers)" "${bad#; }" \
	test -z "$bad" -a "$(grep -c '^S ' "$A_OUT")" = 6
check "named policy: exit status 0" "exit $rc_named; stderr: $(head -c 600 "$E/err-named")" test "$rc_named" = 0
reached "$E/out-named" "$E/events-named" named-cred4
refused "$E/out-named" "$E/events-named" named-cred6 EPERM '\[::1\]:8200'
refused "$E/out-named" "$E/events-named" named-stub EPERM '127\.0\.0\.53:53'
skip "named policy: a unix socket and an abstract socket it names reachable, others not" "$why_skip"
ctl=
for a in "tcp 127.0.0.1 8200" "tcp ::1 8200" "udp 127.0.0.53 53"; do
	# shellcheck disable=SC2086
	got=$("$PY" "$REACH" $a 2>&1)
	[ "$got" = ok ] || ctl="$ctl; $a: $got"
done
check "the node's services still answer outside" "${ctl#; }" test -z "$ctl"
[ "$lsm" = yes ] || check "degraded runs say what is not enforced" "$(head -c 300 "$E/err-a")" \
	grep -q "NOT ENFORCED" "$E/err-a"
[ "$lsm" = no ] || pass "degraded mode warning not needed: BPF LSM present"

done_testing
