#!/usr/bin/env bash
# Host tier, unix sockets on rung 3 (issue 18, B3): without BPF LSM, the cgroup hooks for unix
# sockets (cgroup/connect_unix, sendmsg_unix; Linux 6.7+) decide connects and sends by the path
# as written. Listeners outside the sandbox, one no rule names and one a unix: rule allows; root
# inside tries every way to the first: stream, datagram sendto, //, /./, .., /proc/self/root,
# /proc/self/cwd, /dev/fd. The hooks do not resolve the path: a symbolic link in the workdir, a
# relative path after cd and another user's socket under the write rules pass them; for every
# socket there at the start (in /run, in /tmp, in the workdir) a mount covers it, so each of those
# ways is refused (ECONNREFUSED) and a hard link to it crosses mounts (EXDEV). A socket made
# after the start is the hooks' only: the report says so, and this test expects a symbolic link
# to one to get through.
# Where the hooks are missing, warden run must refuse without --degraded.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

rung=$("$WARDEN" probe --json 2>/dev/null | jq -r '.run_rung // 0')
if [ "$rung" != 3 ]; then
	echo "1..0 # SKIP warden run is on rung $rung here, not 3"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP no python3 for the listeners"
	exit 0
fi

W=$(mktemp -d /tmp/wd-unix-w.XXXXXX) # the job's workdir
E=$(mktemp -d /run/wd-unix.XXXXXX)   # the listeners, events and policy: out of the sandbox's reach
T=$(mktemp -d /tmp/wd-unix-a.XXXXXX) # another user's, under the write rules (an ssh agent's)
LPID= LPID2=
trap '[ -n "$LPID" ] && kill $LPID $LPID2 2>/dev/null; rm -rf "$W" "$E" "$T"' EXIT
DENIED=$E/docker.sock # no rule names it: the node's, refused
ALLOWED=$E/ok.sock    # a unix: rule allows it
DGRAM=$E/dgram.sock   # a datagram socket no rule names
AGENT=$T/agent.sock   # under /tmp, which the job may write: the hooks take it for the job's own
PRE=$W/pre.sock       # in the workdir before the start: not the job's either

cat >"$E/listen.py" <<'PY'
import os, socket, sys, threading
def serve(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(16)
    while True:
        c, _ = s.accept()
        c.sendall(b"hello\n")
        c.close()
# listen.py DGRAM RECEIVED STREAM...: a datagram socket writing what it gets to RECEIVED, and
# stream listeners answering "hello"; RECEIVED is made once all are bound.
for p in sys.argv[3:]:
    threading.Thread(target=serve, args=(p,), daemon=True).start()
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.bind(sys.argv[1])
while not all(os.path.exists(p) for p in sys.argv[3:]):
    pass
open(sys.argv[2], "w").close()
while True:
    data = d.recv(100)
    with open(sys.argv[2], "ab") as f:
        f.write(data + b"\n")
PY
python3 "$E/listen.py" "$DGRAM" "$E/received" "$DENIED" "$ALLOWED" "$AGENT" "$PRE" &
LPID=$!
for _ in $(seq 50); do [ -e "$E/received" ] && break; sleep 0.1; done

# The client: connects (or sends a datagram with -d) to each path, one line per path.
cat >"$E/client.py" <<'PY'
import socket, sys
dgram = sys.argv[1] == "-d"
for p in sys.argv[2:] if dgram else sys.argv[1:]:
    try:
        if dgram:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(b"leak " + p.encode(), p)
            print("sent")
        else:
            s = socket.socket(socket.AF_UNIX)
            s.connect(p)
            print(s.recv(6).decode().strip() or "empty")
    except OSError as e:
        print("errno", e.errno)
PY

cat >"$E/policy.yaml" <<YAML
version: 1
name: rung3-unix
identities: ["*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/]
files:
  read:
    allow: [/]
  write:
    allow: ["\${workdir}/", /tmp/, /dev/null]
network:
  allow:
    - to: sandbox
    - unix: $ALLOWED
sockets:
  allow: [unix, inet, inet6]
YAML

# jrun SCRIPT [ARGS...]: runs SCRIPT under sh in the sandbox (cwd $W); output in $out.
jrun() {
	: >"$E/ev"
	out=$(cd "$W" && "$WARDEN" run -i ci:unix --policy "$E/policy.yaml" --events "$E/ev" \
		-- sh -c "$1" 2>"$E/stderr")
	rc=$?
}
err() { cat "$E/stderr"; }

jrun 'true'
if grep -q "NOT ENFORCED: unix sockets" "$E/stderr" || [ "$rc" != 0 ]; then
	# No hooks here: warden run must refuse without --degraded, and say why.
	plan 2
	check "without the unix socket hooks warden run refuses (no --degraded)" "rc $rc: $(err)" \
		test "$rc" != 0
	check "... naming unix sockets as what it cannot enforce" "$(err)" \
		grep -q "cannot enforce unix sockets" "$E/stderr"
	done_testing
fi
if ! grep -q "unix sockets: mount-ns" "$E/stderr"; then
	echo "1..0 # SKIP no mount namespace here: sockets are the hooks' only ($(err))"
	exit 0
fi
plan 33
check "the start-up message says how unix sockets are enforced" "$(err)" \
	grep -q "unix sockets: mount-ns + cgroup" "$E/stderr"
check "... that the sockets there at the start are covered" "$(err)" \
	grep -q "are covered by a mount" "$E/stderr"
check "... and what a path cannot show for the others" "$(err)" \
	grep -q "a symlink the sandbox makes leads to them" "$E/stderr"
check "... with what this start's scan found" "$(err)" \
	grep -Eq "at this start: [0-9]+ covered, [1-9][0-9]* allowed" "$E/stderr"
(cd "$W" && "$WARDEN" run -v -i ci:unix --policy "$E/policy.yaml" -- true >/dev/null 2>"$E/v")
check "warden run -v names the covered sockets, not the allowed one" \
	"$(grep "the node's socket" "$E/v")" \
	sh -c 'grep -q "socket $2 covered" "$1" && grep -q "socket $3 covered" "$1" &&
		grep -q "socket $4 covered" "$1" && ! grep -q "socket $5 covered" "$1"' - \
	"$E/v" "$DENIED" "$AGENT" "$PRE" "$ALLOWED"
# The row is required: where the hooks are missing (simulated), warden run refuses without
# --degraded, saying why.
out=$(cd "$W" && WARDEN_DISABLE=cgunix "$WARDEN" run -i ci:unix --policy "$E/policy.yaml" \
	-- true 2>"$E/stderr")
rc=$?
check "without the unix socket hooks warden run refuses (no --degraded)" "rc $rc: $(err)" \
	test "$rc" != 0
check "... naming unix sockets as what it cannot enforce" "$(err)" \
	grep -q "cannot enforce unix sockets" "$E/stderr"

C="python3 $E/client.py"
jrun "$C $DENIED"
check "connect to a socket no rule names refused (EPERM)" "out: $out $(err)" test "$out" = "errno 1"
check "... with a unix event naming it" "events: $(cat "$E/ev")" \
	grep -q "DENY connect unix:$DENIED .*hook=unix_stream_connect" "$E/ev"
jrun "$C $ALLOWED"
check "connect to the socket a unix: rule allows works" "out: $out $(err)" test "$out" = hello
jrun "$C -d $DGRAM"
check "datagram sendto a socket no rule names refused" "out: $out $(err)" test "$out" = "errno 1"
check "... with a unix_may_send event" "events: $(cat "$E/ev")" \
	grep -q "DENY connect unix:$DGRAM .*hook=unix_may_send" "$E/ev"
check "... and nothing arrived" "received: $(cat "$E/received")" test ! -s "$E/received"

# The same socket by other spellings of its path.
jrun "$C /${DENIED} ${DENIED%/*}/./${DENIED##*/} ${DENIED%/*}/../${E##*/}/${DENIED##*/}"
check "//, /./ and .. spellings refused" "out: $out" \
	test "$out" = "$(printf 'errno 1\nerrno 1\nerrno 1')"
jrun "cd $W && $C ../${E##*/}/${DENIED##*/}"
check "a relative path with .. refused" "out: $out $(err)" test "$out" = "errno 1"
# The hooks do not see the working directory: a relative path passes them as the sandbox's own
# (a job's "srv.sock" in its workdir must work). The mount over the node's socket refuses it.
jrun "cd $E && $C ${DENIED##*/}"
check "a relative path after cd to a node's socket refused (covered: ECONNREFUSED)" \
	"out: $out $(err)" test "$out" = "errno 111"
jrun "cd $T && $C ${AGENT##*/}"
check "... and to another user's socket under /tmp" "out: $out $(err)" test "$out" = "errno 111"
jrun "$C pre.sock $W/pre.sock"
check "a socket in the workdir from before the start refused, relative and absolute" \
	"out: $out $(err)" test "$out" = "$(printf 'errno 111\nerrno 111')"
jrun "$C $AGENT /proc/self/root$AGENT"
check "another user's socket under the write rules refused, and through /proc/self/root" \
	"out: $out $(err)" test "$out" = "$(printf 'errno 111\nerrno 1')"
jrun "ln $AGENT $W/hard.sock; echo rc \$?; test -e $W/hard.sock && $C $W/hard.sock"
check "a hard link to a covered socket fails (EXDEV)" "out: $out $(err)" \
	sh -c 'printf "%s" "$1" | grep -q "rc 1" && printf "%s" "$1" | grep -vq hello' - "$out"
check "... saying why" "$(err)" grep -q "cross-device\|Invalid cross" "$E/stderr"
jrun "rm -f $AGENT; echo rc \$?; mv $AGENT $T/moved.sock; echo rc \$?"
check "a covered socket can be neither removed nor renamed (EBUSY)" "out: $out $(err)" \
	test "$out" = "$(printf 'rc 1\nrc 1')"
jrun "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"rel.sock\"); s.listen(1); c = socket.socket(socket.AF_UNIX); c.connect(\"rel.sock\"); print(\"own\")'"
check "its own socket by a relative path works" "out: $out $(err)" test "$out" = own
jrun "$C /proc/self/root$DENIED /proc/\$\$/root$DENIED"
check "/proc/self/root and /proc/PID/root refused" "out: $out" \
	test "$out" = "$(printf 'errno 1\nerrno 1')"
jrun "cd $E && $C /proc/self/cwd/${DENIED##*/}"
check "/proc/self/cwd refused" "out: $out" test "$out" = "errno 1"
# An O_PATH descriptor of the socket file (Landlock does not check O_PATH opens), reached
# through /dev/fd/N and /proc/self/fd/N: magic links to it.
jrun "python3 -c 'import os, sys; fd = os.open(\"$DENIED\", os.O_PATH); sys.argv = [\"c\", \"/dev/fd/%d\" % fd, \"/proc/self/fd/%d\" % fd]; exec(open(\"$E/client.py\").read())'"
check "/dev/fd/N and /proc/self/fd/N of an O_PATH descriptor refused" "out: $out $(err)" \
	test "$out" = "$(printf 'errno 1\nerrno 1')"
jrun "$C /proc/self/root$ALLOWED"
check "even an allowed socket through /proc is refused (no lexical answer)" "out: $out" \
	test "$out" = "errno 1"

# The sandbox's own socket, in its workdir: allowed (to: sandbox, where it may bind).
jrun "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"own.sock\"); s.listen(1); c = socket.socket(socket.AF_UNIX); c.connect(\"$W/own.sock\"); print(\"own\")'"
check "its own socket in the workdir works" "out: $out $(err)" test "$out" = own

# The hooks do not resolve a symlink where the sandbox may write; the mounts cover the sockets
# there at the start.
jrun "ln -s $DENIED link.sock && $C $W/link.sock link.sock; rm -f link.sock"
check "a symlink in the workdir to a node's socket under /run refused" "out: $out $(err)" \
	test "$out" = "$(printf 'errno 111\nerrno 111')"
jrun "ln -s $AGENT link.sock && $C $W/link.sock; ln -s /proc/self/root$AGENT l2.sock && $C l2.sock; rm -f link.sock l2.sock"
check "... and to another user's socket under /tmp, directly or through /proc/self/root" \
	"out: $out $(err)" test "$out" = "$(printf 'errno 111\nerrno 111')"
jrun "ln -s $ALLOWED link.sock && $C link.sock; rm -f link.sock"
check "a symlink to the socket a unix: rule allows works (not covered)" "out: $out $(err)" \
	test "$out" = hello

# Known hole, stated in the report: a socket made after the start is the hooks' only, and a
# symlink the sandbox makes leads to it.
LATE=$T/late.sock
(cd "$W" && "$WARDEN" run -i ci:unix --policy "$E/policy.yaml" -- sh -c \
	"touch started; while [ ! -S $LATE ]; do sleep 0.1; done; ln -sf $LATE late.sock;
	 $C late.sock" >"$E/late.out" 2>"$E/stderr") &
JPID=$!
for _ in $(seq 100); do [ -e "$W/started" ] && break; sleep 0.1; done
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); c.sendall(b"hello\n")' "$LATE" &
LPID2=$!
wait "$JPID"
if [ "$(cat "$E/late.out")" = hello ]; then
	pass "a symlink to a socket made after the start gets through (documented, not enforced)"
else
	fail "a symlink to a socket made after the start gets through (documented, not enforced)" \
		"out: $(cat "$E/late.out") $(err): if this is refused now, update the unix sockets row"
fi

# The default policy names no unix socket: the node's are refused.
out=$(cd "$W" && "$WARDEN" run -i ci:unix -- python3 "$E/client.py" "$DENIED" 2>"$E/stderr")
check "the default policy refuses the node's socket" "out: $out $(err)" test "$out" = "errno 1"

done_testing
