#!/usr/bin/env bash
# vm tier: grant nothing (issue 16). A sandboxed root on the embedded default policy reaches no
# service of the node unless its policy names it: a credential agent on 127.0.0.1:8200 (and ::1,
# and through 0.0.0.0, :: and ::ffff:127.0.0.1), the stub resolver on 127.0.0.53:53, an API socket
# and a datagram socket under /run, an agent's abstract socket, keys another process put in the
# user's keyrings, another sandbox's listeners, the reuseport group of the node's listener, the
# terminal it was started from. Every stand-in service is started outside the sandbox first and
# answers a client outside it, so a refusal can only be warden's; inside, the attempt must fail
# with the errno and a DENY event of the very process that tried (its pid) naming the
# destination. The same kinds of service started inside the sandbox stay reachable with no DENY
# event, and so do the node's services that a policy names.
# Then the ways around all this that a security review found (11-13): connects and sends to the
# unspecified address from sockets bound so that the hooks and the kernel disagree on where they
# go, a connected UDP socket whose peer port a node service takes after the check, the node's
# System V IPC objects, a key named like the kernel's, a node's private key signing for the
# sandbox, request_key() starting /sbin/request-key outside, and TIOCSTI from a 32-bit process.
# Each is tried outside a sandbox first, where it works (so a refusal inside is warden's), but for
# one the kernel refuses by itself (said in a diagnostic line). Longer than 600 lines: every case
# uses the stand-in services and the helpers (standin, refused, reached, ...) defined at the top.
set -u
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.." || exit 1
WARDEN=${WARDEN:-build/warden}
WARDEN=$(realpath "$WARDEN")
PY=/usr/bin/python3 # the system's: exec from the home directory is not what we test here
SIPY=$PWD/tests/helpers/standin.py
REACH=$PWD/tests/helpers/reach.py
E=/run/wdn-ev          # events, logs, the outside stand-ins' ready files: no sandbox writes here
RUN=/run/wdtest-engine # the node's API sockets
rm -rf "$E" "$RUN"
mkdir -p "$E" "$RUN"
D=$(mktemp -d /root/wdn-a.XXXXXX)  # sandbox A's workdir (the run on the default policy)
DB=$(mktemp -d /root/wdn-b.XXXXXX) # sandbox B's workdir (the other sandbox, serving)
TMPSOCK=/tmp/wdn-a-$$.sock         # sandbox A's own socket in /tmp
plan 75

outside=()
b_run=
KU=
KUS=
KW=
KD=
KP=
SHM=
MSQ=
SBIN=$(realpath /sbin) # where the kernel finds /sbin/request-key
OVL=                   # the test's overlay on $SBIN, with a request-key of its own
cleanup() {
	[ ${#outside[@]} -eq 0 ] || kill "${outside[@]}" 2>/dev/null
	[ -z "$b_run" ] || kill "$b_run" 2>/dev/null
	for k in $KU $KUS $KW $KD $KP; do "$PY" "$SIPY" key-drop "$k" >/dev/null 2>&1; done
	[ -z "$SHM" ] || "$PY" "$SIPY" ipc-drop shm "$SHM"
	[ -z "$MSQ" ] || "$PY" "$SIPY" ipc-drop msgq "$MSQ"
	[ -z "$OVL" ] || umount "$SBIN"
	rm -rf "$D" "$DB" "$RUN" "$TMPSOCK" "$OVL"
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
# The credential agent's IPv4 listener is in a reuseport group: a sandbox must not join it.
standin cred4 tcp 127.0.0.1 8200 --reuseport
standin cred6 tcp ::1 8200
standin stub udp 127.0.0.53 53
standin api unix "$RUN/api.sock"
standin dgram unix-dgram "$RUN/dgram.sock"
standin agent abstract wdtest-agent
standin agent2 abstract wdtest-agent2
await "$E"/{cred4,cred6,stub,api,dgram,agent,agent2}.ready
up=$?
check "the node's stand-in services listen" "$(cat "$E/standin.log")" test "$up" = 0
# Keys another process of the same user put in the user keyring (@u) and in the user-session
# keyring (@us, the session keyring of every process of the user that has none of its own), with
# the kernel's default permissions; and one in @u whose permissions let every process of the user
# do everything with it, so that only warden can refuse it.
KU=$("$PY" "$SIPY" key wdtest-token-u "token-u-$$" --ring user 2>>"$E/standin.log")
KUS=$("$PY" "$SIPY" key wdtest-token-us "token-us-$$" --ring user-session 2>>"$E/standin.log")
KW=$("$PY" "$SIPY" key wdtest-token-w "token-w-$$" --ring user --perm 0x3f3f0000 2>>"$E/standin.log")
ctl=
for a in "tcp 127.0.0.1 8200" "tcp ::1 8200" "udp 127.0.0.53 53" "unix $RUN/api.sock" \
	"unix-dgram $RUN/dgram.sock" "abstract wdtest-agent" "abstract wdtest-agent2" \
	"key-read ${KU:-none}" "key-read ${KUS:-none}" "key-read ${KW:-none}" \
	"key-search wdtest-token-u" "key-link ${KW:-none}"; do
	# shellcheck disable=SC2086 # the words of $a are reach.py's arguments
	got=$("$PY" "$REACH" $a 2>&1)
	[ "$got" = ok ] || ctl="$ctl; $a: $got"
done
check "each stand-in answers a client outside the sandbox (keys $KU $KUS $KW)" "${ctl#; }" test -z "$ctl"

# --- 11-13: the node's side of the review's ways in ----------------------------------------------
# 11. Stand-ins that log every client: a TCP service on 127.0.0.1:8210, a UDP one on
# 127.0.0.1:8211, and one on 127.0.0.1:8213 that starts late, when FILE appears: after a sandbox
# (or the control outside) connected a UDP socket to a socket of its own there and closed that.
standin tcp8210 tcp 127.0.0.1 8210 --log "$E/node-8210.log"
standin udp8211 udp 127.0.0.1 8211 --log "$E/node-8211.log"
late_service() { # WANT READY LOG: in the background, the late UDP service once WANT appears
	(
		for _ in $(seq 6000); do [ -e "$1" ] && break; sleep 0.1; done
		[ -e "$1" ] && exec "$PY" "$SIPY" udp 127.0.0.1 8213 --ready "$2" --log "$3" >>"$E/standin.log" 2>&1
	) &
	outside+=($!)
	late_pid=$!
}
await "$E"/{tcp8210,udp8211}.ready || echo "# the review's stand-ins did not start: $(tail -n3 "$E/standin.log")"
# Outside a sandbox each way reaches the node: connect(0.0.0.0) from a socket bound to a multicast
# or broadcast address goes to 127.0.0.1, and so does connect(::) from one bound to
# ::ffff:127.0.0.1 (the own listener each holds at the bound address changes nothing); a send to
# 0.0.0.0 with a zero IP_PKTINFO source reaches 127.0.0.1 too (the answer goes astray, the node's
# log has it); a connected UDP socket reaches a service that bound its peer's port later. Nothing
# listens on 127.0.0.1:8219.
late_service "$E/late-ctl.want" "$E/late-ctl.ready" "$E/node-8213-ctl.log"
ctl=
for a in "tcp-from 224.0.0.1 224.0.0.1 0.0.0.0 8210=ok" "tcp-from 127.255.255.255 127.255.255.255 0.0.0.0 8210=ok" \
	"tcp-from ::1 ::ffff:127.0.0.1 :: 8210=ok" "udp-late 8213 $E/late-ctl.want $E/late-ctl.ready=ok" \
	"tcp 127.0.0.1 8219=errno=ECONNREFUSED"; do
	# shellcheck disable=SC2086 # the words are reach.py's arguments
	got=$("$PY" "$REACH" ${a%%=*} 2>&1)
	[ "$got" = "${a#*=}" ] || ctl="$ctl; ${a%%=*}: $got, want ${a#*=}"
done
# (the answer of the node goes to 127.0.0.1, where nobody waits: its log tells)
"$PY" "$REACH" udp-pktinfo 127.0.0.2 127.0.0.2 8211 >/dev/null 2>&1 &
for _ in $(seq 100); do grep -qs wdtest-pktinfo "$E/node-8211.log" && break; sleep 0.1; done
kill $! 2>/dev/null
wait $!
grep -qs wdtest-pktinfo "$E/node-8211.log" || ctl="$ctl; udp-pktinfo: the node's log has no wdtest-pktinfo"
# The kernel itself refuses the IPv6 socket bound to ::ffff:224.0.0.1 (its route lookup takes the
# multicast source): said here, so that the check below is read for what it is.
echo "# outside, tcp-from 224.0.0.1 ::ffff:224.0.0.1 ::ffff:0.0.0.0: $("$PY" "$REACH" tcp-from 224.0.0.1 ::ffff:224.0.0.1 ::ffff:0.0.0.0 8210 2>&1)"
kill "$late_pid" 2>/dev/null
wait "$late_pid" 2>/dev/null
check "outside a sandbox the review's ways reach the node's services" "${ctl#; }" test -z "$ctl"
: >"$E/node-8210.log"
: >"$E/node-8211.log"
# 12, 13. The node's System V IPC objects (a fixed key), a "user" key named like the kernel's
# keyrings that every process of the user may read, a private key that every process of the user
# may search (and so sign with; it needs the kernel's PKCS#8 parser), and a /sbin/request-key
# that notes when the kernel starts it (on an overlay: only in the test bed, whose root is the
# host's, read-only).
IPCKEY=0x57446e01
SHM=$("$PY" "$SIPY" shm "$IPCKEY" 2>>"$E/standin.log")
MSQ=$("$PY" "$SIPY" msgq "$IPCKEY" 2>>"$E/standin.log")
KD=$("$PY" "$SIPY" key .wdtest-token-dot "token-dot-$$" --ring user --perm 0x3f0b0000 2>>"$E/standin.log")
pkey_why=
modprobe pkcs8_key_parser 2>>"$E/standin.log" || pkey_why="no pkcs8_key_parser module (modprobe failed)"
if [ -z "$pkey_why" ]; then
	KP=$("$PY" "$SIPY" pkey wdtest-node-signing --ring user --perm 0x3f0b0000 2>>"$E/standin.log") ||
		pkey_why="the kernel took no private key: $(tail -n1 "$E/standin.log")"
fi
UPCALL_LOG=$E/upcall.log
upcall_why=
if [ "${WARDEN_VM:-}" != 1 ]; then
	upcall_why="a request-key of the test's own is put over $SBIN only in the test bed (WARDEN_VM=1)"
elif OVL=$(mktemp -d /run/wdn-ovl.XXXXXX) && mkdir "$OVL/u" "$OVL/w" &&
	mount -t overlay wdtest-upcall -o "lowerdir=$SBIN,upperdir=$OVL/u,workdir=$OVL/w" "$SBIN"; then
	printf '#!/bin/sh\n# the test'"'"'s request-key: notes that the kernel started it\necho "request-key $*" >>%s\nexit 1\n' \
		"$UPCALL_LOG" >"$SBIN/request-key"
	chmod 755 "$SBIN/request-key"
else
	upcall_why="cannot mount an overlay on $SBIN"
	rmdir "$OVL"/* "$OVL" 2>/dev/null
	OVL=
fi
ctl=
for a in "shm-find $IPCKEY" "msg-find $IPCKEY" "key-read ${KD:-none}" ${KP:+"key-sign $KP"}; do
	# shellcheck disable=SC2086
	got=$("$PY" "$REACH" $a 2>&1)
	[ "$got" = ok ] || ctl="$ctl; $a: $got"
done
if [ -z "$upcall_why" ]; then
	got=$("$PY" "$REACH" request-key "wdtest-upcall-out-$$" 2>&1)
	[ "$got" = errno=ENOKEY ] && [ -s "$UPCALL_LOG" ] ||
		ctl="$ctl; request-key outside: $got, helper log '$(cat "$UPCALL_LOG" 2>/dev/null)'"
	: >"$UPCALL_LOG"
fi
check "outside a sandbox the node's IPC objects and keys are found and work (shm $SHM, msq $MSQ, keys $KD ${KP:-none}), request_key starts the helper" \
	"${ctl#; }${pkey_why:+ (private key: $pkey_why)}${upcall_why:+ (upcall: $upcall_why)}" test -z "$ctl"
# 13. A 32-bit program, x86_64 only; it runs outside first, in a session of its own.
STI32=$(dirname "$WARDEN")/tests/helpers/sti32
sti_why=
if [ "$(uname -m)" != x86_64 ]; then
	sti_why="needs an x86_64 machine (a 32-bit x86 program, int \$0x80); this is $(uname -m)"
elif [ ! -x "$STI32" ]; then
	sti_why="$STI32 is not built (make tests)"
else
	"$STI32" </dev/null >/dev/null 2>&1
	rc=$?
	case $rc in
	0) cp "$STI32" "$D/sti32" ;;
	126) sti_why="this kernel runs no 32-bit programs (exit $rc)" ;;
	*) sti_why="outside a sandbox, TIOCSTI from sti32 did not work either (exit $rc)" ;;
	esac
fi

# --- what runs inside the sandboxes -------------------------------------------------------------
# r NAME CMD...: runs CMD, prints "R NAME <its one line> pid=<its pid>" (the pid the events name).
# serve NAME ARGS...: a stand-in of this sandbox's own, in the background ("S NAME pid").
# ready NAME...: waits for this sandbox's stand-ins to listen.
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
# rx NAME CMD...: as r, for a program that answers by its exit status ("R NAME exit=N pid=...")
rx() {
	name=$1
	shift
	sh -c 'echo $$ >"$0"; exec "$@"' "$WD/$name.pid" "$@" </dev/null >/dev/null 2>>"$WD/clients.err"
	echo "R $name exit=$? pid=$(cat "$WD/$name.pid" 2>/dev/null)"
}
LIB
export PY SIPY REACH E RUN DB KU KUS KW TMPSOCK IPCKEY KD KP

# Sandbox B serves TCP, a unix socket in its workdir and an abstract socket, reaches them itself,
# and keeps serving until sandbox A has tried them.
cat >"$DB/b.sh" <<'B'
. "$E/lib.sh"
serve b-tcp tcp 127.0.0.1 8400
serve b-unix unix "$WD/api.sock"
serve b-abstract abstract wdtest-sandbox-b
ready b-tcp b-unix b-abstract
r b-tcp "$PY" "$REACH" tcp 127.0.0.1 8400
r b-unix "$PY" "$REACH" unix "$WD/api.sock"
r b-abstract "$PY" "$REACH" abstract wdtest-sandbox-b
touch "$WD/b.ready"
i=0
while [ ! -e "$WD/b.stop" ] && [ $i -lt 2400 ]; do sleep 0.1; i=$((i + 1)); done
kill $servers
wait
B
(cd "$DB" && exec "$WARDEN" run -i test:node-b --events "$E/events-b" -- sh "$DB/b.sh") \
	>"$E/out-b" 2>"$E/err-b" &
b_run=$!
await "$DB/b.ready" || echo "# sandbox B never became ready: $(head -c 300 "$E/err-b")"

# Sandbox A, on the default policy: the node's services and B's are refused; its own are not.
cat >"$D/a.sh" <<'A'
. "$E/lib.sh"
# 1. the credential agent on loopback, by every name of it
r cred4 "$PY" "$REACH" tcp 127.0.0.1 8200
r cred6 "$PY" "$REACH" tcp ::1 8200
r cred-any4 "$PY" "$REACH" tcp 0.0.0.0 8200
r cred-any6 "$PY" "$REACH" tcp :: 8200
r cred-mapped "$PY" "$REACH" tcp ::ffff:127.0.0.1 8200
# 2. the stub resolver
r stub "$PY" "$REACH" udp 127.0.0.53 53
# 3. the API sockets under /run
r api "$PY" "$REACH" unix "$RUN/api.sock"
r dgram "$PY" "$REACH" unix-dgram "$RUN/dgram.sock"
# 4. an agent's abstract socket
r agent "$PY" "$REACH" abstract wdtest-agent
# 5. keys made outside
r key-read-u "$PY" "$REACH" key-read "$KU"
r key-read-us "$PY" "$REACH" key-read "$KUS"
r key-search-u "$PY" "$REACH" key-search wdtest-token-u
r key-search-us "$PY" "$REACH" key-search wdtest-token-us
r key-link-u "$PY" "$REACH" key-link "$KU"
r key-link-us "$PY" "$REACH" key-link "$KUS"
r key-read-w "$PY" "$REACH" key-read "$KW"
r key-search-w "$PY" "$REACH" key-search wdtest-token-w
r key-link-w "$PY" "$REACH" key-link "$KW"
# 6. the other sandbox's servers
r b-tcp "$PY" "$REACH" tcp 127.0.0.1 8400
r b-unix "$PY" "$REACH" unix "$DB/api.sock"
r b-abstract "$PY" "$REACH" abstract wdtest-sandbox-b
# 9. joining the credential agent's reuseport group
r reuseport "$PY" "$REACH" reuseport 127.0.0.1 8200
# 5, 7. the sandbox's own keys and servers
r key-own "$PY" "$REACH" key-own
serve in-tcp4 tcp 127.0.0.1 8300
serve in-tcp6 tcp ::1 8300
serve in-tcp-2 tcp 127.0.0.2 8200
serve in-udp4 udp 127.0.0.1 5300
serve in-udp6 udp ::1 5300
serve in-stub udp 127.0.0.54 53
serve in-unix-wd unix "$WD/api.sock"
serve in-unix-tmp unix "$TMPSOCK"
serve in-dgram unix-dgram "$WD/dgram.sock"
serve in-abstract abstract wdtest-inside-a
ready in-tcp4 in-tcp6 in-tcp-2 in-udp4 in-udp6 in-stub in-unix-wd in-unix-tmp in-dgram in-abstract
r in-tcp4 "$PY" "$REACH" tcp 127.0.0.1 8300
r in-tcp6 "$PY" "$REACH" tcp ::1 8300
r in-tcp-2 "$PY" "$REACH" tcp 127.0.0.2 8200
r in-udp4 "$PY" "$REACH" udp 127.0.0.1 5300
r in-udp6 "$PY" "$REACH" udp ::1 5300
r in-stub "$PY" "$REACH" udp 127.0.0.54 53
r in-unix-wd "$PY" "$REACH" unix "$WD/api.sock"
r in-unix-tmp "$PY" "$REACH" unix "$TMPSOCK"
r in-dgram "$PY" "$REACH" unix-dgram "$WD/dgram.sock"
r in-abstract "$PY" "$REACH" abstract wdtest-inside-a
kill $servers
wait
A
(cd "$D" && exec "$WARDEN" run -i test:node --events "$E/events-a" -- sh "$D/a.sh") \
	>"$E/out-a" 2>"$E/err-a"
rc_a=$?
touch "$DB/b.stop"
wait "$b_run"
rc_b=$?
b_run=

# 8. A policy that names the node's services: those are reachable, nothing else of the node is.
cat >"$E/named.yaml" <<'POLICY'
version: 1
name: wdtest-named
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
    - unix: /run/wdtest-engine/api.sock
    - abstract: "wdtest-agent"
POLICY
cat >"$D/named.sh" <<'N'
. "$E/lib.sh"
r named-cred4 "$PY" "$REACH" tcp 127.0.0.1 8200
r named-api "$PY" "$REACH" unix "$RUN/api.sock"
r named-agent "$PY" "$REACH" abstract wdtest-agent
r named-cred6 "$PY" "$REACH" tcp ::1 8200
r named-stub "$PY" "$REACH" udp 127.0.0.53 53
r named-dgram "$PY" "$REACH" unix-dgram "$RUN/dgram.sock"
r named-agent2 "$PY" "$REACH" abstract wdtest-agent2
N
(cd "$D" && exec "$WARDEN" run -i test:node -p "$E/named.yaml" --events "$E/events-named" -- \
	sh "$D/named.sh") >"$E/out-named" 2>"$E/err-named"
rc_named=$?

# 10. The terminal warden was started from, on the default policy: no keystrokes pushed into it.
(cd "$D" && "$PY" - "$WARDEN" "$PY" "$REACH" "$D/tty.pid" "$E/events-tty" >"$E/out-tty" 2>&1) <<'PY'
import os, pty, sys
warden, py, reach, pidfile, events = sys.argv[1:]
pid, fd = pty.fork()  # the child gets the pty as its controlling terminal
if pid == 0:
    os.execv(warden, [warden, "run", "-i", "test:node", "--events", events, "--", "sh", "-c",
                      'echo $$ > "$0"; exec "$@"', pidfile, py, reach, "tiocsti"])
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
PY

# 11-13. One run on the default policy for the review's ways in. The late UDP service starts when
# the sandbox says so (late.want in its workdir), and the sandbox waits for it (late.ready).
late_service "$D/late.want" "$E/late.ready" "$E/node-8213.log"
cat >"$D/review.sh" <<'R'
. "$E/lib.sh"
# 11. own sockets where the hooks look, the node's service where the kernel goes
r mcast-any "$PY" "$REACH" tcp-from 224.0.0.1 224.0.0.1 0.0.0.0 8210
r bcast-any "$PY" "$REACH" tcp-from 127.255.255.255 127.255.255.255 0.0.0.0 8210
r mcast-any6 "$PY" "$REACH" tcp-from 224.0.0.1 ::ffff:224.0.0.1 ::ffff:0.0.0.0 8210
r mapped-any6 "$PY" "$REACH" tcp-from ::1 ::ffff:127.0.0.1 :: 8210
r pktinfo-any "$PY" "$REACH" udp-pktinfo 127.0.0.2 127.0.0.2 8211
r udp-late "$PY" "$REACH" udp-late 8213 "$WD/late.want" "$E/late.ready"
r udp-own-connected "$PY" "$REACH" udp-connected-server 8212
r no-listener "$PY" "$REACH" tcp 127.0.0.1 8219
# 12. the node's System V IPC, and the sandbox's own
r shm-node "$PY" "$REACH" shm-find "$IPCKEY"
r msg-node "$PY" "$REACH" msg-find "$IPCKEY"
r shm-own "$PY" "$REACH" shm-own "$IPCKEY"
# 13. keys, the request-key upcall, 32-bit TIOCSTI
r key-dot "$PY" "$REACH" key-read "$KD"
[ -z "$KP" ] || r key-sign "$PY" "$REACH" key-sign "$KP"
r request-key "$PY" "$REACH" request-key "wdtest-upcall-in-$$"
[ ! -x ./sti32 ] || rx sti32 ./sti32
R
(cd "$D" && exec "$WARDEN" run -i test:node --events "$E/events-r" -- sh "$D/review.sh") \
	>"$E/out-r" 2>"$E/err-r"
rc_r=$?

# --- what happened --------------------------------------------------------------------------
# res NAME OUT: what NAME's client printed; pid_of NAME OUT: its pid
res() { sed -n "s/^R $1 \(.*\) pid=[0-9]*\$/\1/p" "$2" | head -n1; }
pid_of() { sed -n "s/^R $1 .* pid=\([0-9]*\)\$/\1/p" "$2" | head -n1; }
# denials EVENTS PID: the DENY events of that process; has_denial EVENTS PID [ERE]: one (naming ERE)
denials() { [ -n "$2" ] && grep -F " pid=$2 " "$1" | grep -F " DENY "; }
has_denial() { denials "$1" "$2" | grep -Eq -- "${3:-.}"; }
no_denial_at_all() { [ -s "$1" ] && ! grep -qF ' DENY ' "$1"; }
# all_named ID-ERE EVENTS...: every line names identity and sandbox
all_named() {
	local id=$1
	shift
	[ -s "$1" ] && ! cat "$@" | grep -Evq "^warden\[$id sb-[0-9a-f]+\]: "
}
# refused OUT EVENTS NAME ERRNO-ERE DEST-ERE: the client saw errno=ERRNO, and a DENY event of its
# process names the destination
refused() {
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
# reached OUT EVENTS NAME: the client got its answer, and its process drew no DENY event
reached() {
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
# unreached OUT EVENTS NAME ERRNO-ERE DEST-ERE: the client saw errno=ERRNO, no service answered;
# an EPERM must come with a DENY event of its process naming the destination
unreached() {
	local got pid
	got=$(res "$3" "$1")
	pid=$(pid_of "$3" "$1")
	if ! printf '%s\n' "$got" | grep -Eqx "errno=($4)"; then
		fail "$3 does not reach the node" "sandbox saw '$got', want errno=$4"
	elif [ "$got" = errno=EPERM ] && ! denials "$2" "$pid" | grep -Eq -- "$5"; then
		fail "$3 does not reach the node" "EPERM, but no DENY event of pid ${pid:-?} matching /$5/"
	else
		pass "$3 does not reach the node: $got"
	fi
}
# egress_denials EVENTS DEST-ERE: the DENY events of the packet check naming DEST (no process)
egress_denials() { grep -F ' DENY ' "$1" | grep -F 'hook=cgroup_skb/egress' | grep -E -- "$2"; }
A_OUT=$E/out-a A_EV=$E/events-a
touch "$A_EV" "$E/events-b" "$E/events-named" "$E/events-tty" "$E/events-r"

check "sandbox A (default policy) exit status 0" "exit $rc_a; stderr: $(head -c 600 "$E/err-a")" test "$rc_a" = 0
# 1.
refused "$A_OUT" "$A_EV" cred4 EPERM '127\.0\.0\.1:8200'
refused "$A_OUT" "$A_EV" cred6 EPERM '\[::1\]:8200'
refused "$A_OUT" "$A_EV" cred-any4 EPERM '(0\.0\.0\.0|127\.0\.0\.1):8200'
refused "$A_OUT" "$A_EV" cred-any6 EPERM '\[(::|::1)\]:8200'
refused "$A_OUT" "$A_EV" cred-mapped EPERM '127\.0\.0\.1\]?:8200'
# 2.
refused "$A_OUT" "$A_EV" stub EPERM '127\.0\.0\.53:53'
# 3.
refused "$A_OUT" "$A_EV" api EPERM 'api\.sock'
refused "$A_OUT" "$A_EV" dgram EPERM 'dgram\.sock'
# 4.
refused "$A_OUT" "$A_EV" agent EPERM 'wdtest-agent'
# 5. The kernel reports a refusal by the LSM in its own words: keyctl(KEYCTL_READ) turns a refused
# lookup of the key into ENOKEY, a keyring search a refused key into EACCES, and a key the
# sandbox no longer possesses (a session keyring of its own) meets the key's own permissions
# first, EACCES without asking the LSM. So for the keys with the default permissions only the
# refusal is asserted; the key whose permissions allow everything can only be refused by warden,
# and that refusal must be reported.
for k in key-read-u key-read-us key-search-u key-search-us key-link-u key-link-us; do
	got=$(res "$k" "$A_OUT")
	case $got in
	errno=EPERM | errno=EACCES | errno=ENOKEY) pass "$k refused: $got" ;;
	*) fail "$k refused" "sandbox saw '$got', want errno=EPERM, EACCES or ENOKEY" ;;
	esac
done
refused "$A_OUT" "$A_EV" key-read-w 'EPERM|EACCES|ENOKEY' 'key'
refused "$A_OUT" "$A_EV" key-search-w 'EPERM|EACCES|ENOKEY' 'key'
refused "$A_OUT" "$A_EV" key-link-w 'EPERM|EACCES|ENOKEY' 'key'
reached "$A_OUT" "$A_EV" key-own
# 6.
check "sandbox B exit status 0" "exit $rc_b; stderr: $(head -c 600 "$E/err-b")" test "$rc_b" = 0
refused "$A_OUT" "$A_EV" b-tcp EPERM '127\.0\.0\.1:8400'
refused "$A_OUT" "$A_EV" b-unix EPERM 'api\.sock'
refused "$A_OUT" "$A_EV" b-abstract EPERM 'wdtest-sandbox-b'
reached "$E/out-b" "$E/events-b" b-tcp
reached "$E/out-b" "$E/events-b" b-unix
reached "$E/out-b" "$E/events-b" b-abstract
check "sandbox B reported events, and no DENY among them" "$(grep -F ' DENY ' "$E/events-b" | head -n3)" \
	no_denial_at_all "$E/events-b"
# 9. EADDRINUSE would be the kernel keeping the group to its owner; EPERM is warden, with an event.
got=$(res reuseport "$A_OUT")
pid=$(pid_of reuseport "$A_OUT")
case $got in
errno=EADDRINUSE) pass "reuseport: joining the node listener's group refused: $got" ;;
errno=EPERM)
	check "reuseport: joining the node listener's group refused: $got" \
		"no DENY event of pid $pid naming 8200" has_denial "$A_EV" "$pid" 8200
	;;
*) fail "reuseport: joining the node listener's group refused" "sandbox saw '$got', want errno=EPERM or errno=EADDRINUSE" ;;
esac
# 7.
for n in in-tcp4 in-tcp6 in-tcp-2 in-udp4 in-udp6 in-stub in-unix-wd in-unix-tmp in-dgram in-abstract; do
	reached "$A_OUT" "$A_EV" "$n"
done
bad=
while read -r _ name spid; do
	d=$(denials "$A_EV" "$spid" | head -n1)
	[ -z "$d" ] || bad="$bad; $name: $d"
done < <(grep '^S ' "$A_OUT")
check "sandbox A's own servers drew no DENY event ($(grep -c '^S ' "$A_OUT") servers)" "${bad#; }" \
	test -z "$bad" -a "$(grep -c '^S ' "$A_OUT")" = 10
# 8.
check "named policy: exit status 0" "exit $rc_named; stderr: $(head -c 600 "$E/err-named")" test "$rc_named" = 0
reached "$E/out-named" "$E/events-named" named-cred4
reached "$E/out-named" "$E/events-named" named-api
reached "$E/out-named" "$E/events-named" named-agent
refused "$E/out-named" "$E/events-named" named-cred6 EPERM '\[::1\]:8200'
refused "$E/out-named" "$E/events-named" named-stub EPERM '127\.0\.0\.53:53'
refused "$E/out-named" "$E/events-named" named-dgram EPERM 'dgram\.sock'
refused "$E/out-named" "$E/events-named" named-agent2 EPERM 'wdtest-agent2'
# 10.
tty_pid=$(cat "$D/tty.pid" 2>/dev/null)
check "TIOCSTI into the starting terminal refused: $(grep -ao '^errno=[A-Z]*' "$E/out-tty" | head -n1)" \
	"$(head -c 300 "$E/out-tty")" grep -aq '^errno=EPERM' "$E/out-tty"
check "and reported" "no DENY event of pid ${tty_pid:-?}: $(head -n3 "$E/events-tty")" \
	has_denial "$E/events-tty" "$tty_pid"
# 11.
R_OUT=$E/out-r R_EV=$E/events-r
check "review run: exit status 0" "exit $rc_r; stderr: $(head -c 600 "$E/err-r")" test "$rc_r" = 0
unreached "$R_OUT" "$R_EV" mcast-any 'ENETUNREACH|EPERM' ':8210/'
unreached "$R_OUT" "$R_EV" bcast-any 'ENETUNREACH|EPERM' ':8210/'
unreached "$R_OUT" "$R_EV" mcast-any6 'ENETUNREACH|EINVAL|EPERM' ':8210/'
refused "$R_OUT" "$R_EV" mapped-any6 EPERM '127\.0\.0\.1\]?:8210/tcp'
check "the node's TCP service on 127.0.0.1:8210 had no client from the sandbox" \
	"its log: $(head -n3 "$E/node-8210.log")" test ! -s "$E/node-8210.log"
got=$(res pktinfo-any "$R_OUT")
if [ "$got" != own ]; then
	fail "pktinfo-any: a send to 0.0.0.0 with a zero IP_PKTINFO source goes to the sandbox's own socket" \
		"sandbox saw '$got', want own; the node's log: $(head -n2 "$E/node-8211.log")"
else
	check "pktinfo-any: a send to 0.0.0.0 with a zero IP_PKTINFO source goes to the sandbox's own socket, not the node's" \
		"the node's log: $(head -n2 "$E/node-8211.log")" test ! -s "$E/node-8211.log"
fi
got=$(res udp-late "$R_OUT")
if [ "$got" != errno=EPERM ]; then
	fail "udp-late: a connected UDP socket refused once a node service took its peer's port" \
		"sandbox saw '$got', want errno=EPERM; the late service's log: $(head -n2 "$E/node-8213.log" 2>/dev/null)"
elif ! egress_denials "$R_EV" '127\.0\.0\.1:8213/udp' | grep -q .; then
	fail "udp-late: a connected UDP socket refused once a node service took its peer's port" \
		"EPERM, but no DENY event of hook=cgroup_skb/egress naming 127.0.0.1:8213/udp"
elif [ ! -e "$E/late.ready" ] || [ -s "$E/node-8213.log" ]; then
	fail "udp-late: a connected UDP socket refused once a node service took its peer's port" \
		"the late service: ready=$([ -e "$E/late.ready" ] && echo yes || echo no), log: $(head -n2 "$E/node-8213.log" 2>/dev/null)"
else
	pass "udp-late: a connected UDP socket refused once a node service took its peer's port: $got, the packet check reported it, the service got nothing"
fi
reached "$R_OUT" "$R_EV" udp-own-connected
check "udp-own-connected: and no packet of it refused" "$(egress_denials "$R_EV" ':8212/' | head -n2)" \
	test -z "$(egress_denials "$R_EV" ':8212/')"
got=$(res no-listener "$R_OUT")
pid=$(pid_of no-listener "$R_OUT")
check "no-listener: a connect to loopback where nothing listens is refused by the kernel: $got, no DENY event" \
	"sandbox saw '$got', want errno=ECONNREFUSED; DENY: $(denials "$R_EV" "$pid" | head -n1)$(egress_denials "$R_EV" ':8219/' | head -n1)" \
	test "$got" = errno=ECONNREFUSED -a -z "$(denials "$R_EV" "$pid")$(egress_denials "$R_EV" ':8219/')"
# 12. No DENY event: the node's objects are not there to be refused (an IPC namespace of its own).
for n in shm-node msg-node; do
	got=$(res "$n" "$R_OUT")
	check "$n: the node's System V object (key $IPCKEY) is not found inside: $got" \
		"sandbox saw '$got', want errno=ENOENT" test "$got" = errno=ENOENT
done
got=$(res shm-own "$R_OUT")
check "shm-own: the sandbox's own segment with the same key works: $got" "sandbox saw '$got', want ok" test "$got" = ok
# 13.
refused "$R_OUT" "$R_EV" key-dot 'ENOKEY|EPERM|EACCES' "key ${KD:-none} .*hook=key_permission"
if [ -n "$pkey_why" ]; then
	skip "key-sign: the node's private key does not sign for the sandbox" "$pkey_why"
else
	refused "$R_OUT" "$R_EV" key-sign 'EPERM|EACCES|ENOKEY' "key $KP .*hook=key_permission"
fi
refused "$R_OUT" "$R_EV" request-key EPERM 'hook=key_permission'
if [ -n "$upcall_why" ]; then
	skip "request-key: /sbin/request-key not started for the sandbox" "$upcall_why"
else
	check "request-key: /sbin/request-key not started for the sandbox" "the helper ran: $(head -n2 "$UPCALL_LOG")" \
		test ! -s "$UPCALL_LOG"
fi
if [ -n "$sti_why" ]; then
	skip "sti32: TIOCSTI from a 32-bit process refused" "$sti_why"
else
	# Kernels without a hook of its own for compat ioctls take them through file_ioctl.
	hook=file_ioctl
	grep -qw security_file_ioctl_compat /proc/kallsyms && hook=file_ioctl_compat
	got=$(res sti32 "$R_OUT")
	pid=$(pid_of sti32 "$R_OUT")
	if [ "$got" != exit=101 ]; then
		fail "sti32: TIOCSTI from a 32-bit process refused" "sti32 $got, want exit=101 (100 + EPERM)"
	else
		check "sti32: TIOCSTI from a 32-bit process refused (exit 101: EPERM), reported by $hook" \
			"no DENY event of pid ${pid:-?} with hook=$hook: $(grep -F " pid=$pid " "$R_EV" | head -n2)" \
			has_denial "$R_EV" "$pid" "terminal-input .*hook=$hook "
	fi
fi
# The node's services outlived every attempt (no sandbox took them down or over).
ctl=
for a in "tcp 127.0.0.1 8200" "unix $RUN/api.sock" "abstract wdtest-agent" "key-read ${KU:-none}" \
	"key-read ${KW:-none}"; do
	# shellcheck disable=SC2086
	got=$("$PY" "$REACH" $a 2>&1)
	[ "$got" = ok ] || ctl="$ctl; $a: $got"
done
check "the node's services still answer outside, its keys are still there" "${ctl#; }" test -z "$ctl"
check "every event names identity and sandbox" \
	"$(cat "$A_EV" "$E/events-b" "$E/events-named" "$E/events-r" | grep -Ev '^warden\[test:node(-b)? sb-' | head -n2)" \
	all_named 'test:node(-b)?' "$A_EV" "$E/events-b" "$E/events-named" "$E/events-r"

done_testing
