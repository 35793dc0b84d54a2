#!/usr/bin/env bash
# Host tier: warden as a systemd service, as far as a host without systemd as PID 1 allows.
# systemd's own analyzer accepts dist/warden.service (pointed at the built binary); the daemon
# speaks the readiness protocol Type=notify relies on, to a $NOTIFY_SOCKET listener: READY=1
# only once its control socket answers, RELOADING=1 then READY=1 around a SIGHUP reload (which
# takes effect), STOPPING=1 on SIGTERM, then a clean exit. The same for an abstract socket name.
# As on a fresh machine, no bpffs is mounted on /sys/fs/bpf (in a mount namespace of the test's
# own): the daemon mounts it itself.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
cd "$(dirname "$0")/../.."
WARDEN=$PWD/${WARDEN:-build/warden}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/wd-systemd.XXXXXX)
PIN=/sys/fs/bpf/warden-sd-$$
export WARDEN_SOCKET=$T/run/control.sock
N=10
plan $N
dpid=
lpid=
cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	wait 2>/dev/null
	"$WARDEN" daemon -c "$T/warden.yaml" --reset >/dev/null 2>&1
	rm -rf "$PIN" "$T"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ]; then
	for _ in $(seq $N); do skip "systemd" "needs root"; done
	exit 0
fi
no_fs bpf /sys/fs/bpf || { echo "Bail out! cannot unmount bpffs in the test's own mount namespace"; exit 1; }

# --- the unit file, by systemd's analyzer ------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/bin/warden|$WARDEN|" dist/warden.service >"$T/warden.service"
	out=$(systemd-analyze verify "$T/warden.service" 2>&1)
	rc=$?
	check "systemd-analyze verify accepts dist/warden.service, without a warning" "rc=$rc $out" \
		[ "$rc:$out" = "0:" ]
else
	skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

# --- the readiness protocol -------------------------------------------------------------------
cat >"$T/warden.yaml" <<EOF
version: 1
daemon:
  state_dir: $T/state
  run_dir: $T/run
  bpf_dir: $PIN
  metrics: off
  degraded: true
EOF
# Records each datagram, and whether the control socket accepted a connection when it came.
listen() {
	$PY -c "
import socket, sys
addr, out, ctl = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\0' + addr[1:]) if addr.startswith('@') else addr)
open(out + '.up', 'w').close()
while True:
    msg = s.recv(4096).decode()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ok = c.connect_ex(ctl) == 0
    c.close()
    with open(out, 'a') as f:
        f.write('%s ctl=%s\n' % (msg.strip(), 'up' if ok else 'down'))
" "$1" "$2" "$T/run/control.sock" &
	lpid=$!
	for _ in $(seq 100); do [ -e "$2.up" ] && return 0; sleep 0.05; done
	return 1
}
wait_line() { # FILE N: until FILE has N lines
	for _ in $(seq 100); do [ -e "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0; sleep 0.05; done
	return 1
}

listen "$T/notify.sock" "$T/msgs"
NOTIFY_SOCKET=$T/notify.sock "$WARDEN" daemon -c "$T/warden.yaml" >>"$T/daemon.log" 2>&1 &
dpid=$!
wait_line "$T/msgs" 1
check "READY=1 once started, and the control socket already answers" "$(cat "$T/msgs") $(tail -3 "$T/daemon.log")" \
	grep -qx "READY=1 ctl=up" "$T/msgs"
check "...and the daemon is ready for clients" "$("$WARDEN" status 2>&1 | head -3)" \
	sh -c '"$1" status >/dev/null' _ "$WARDEN"
check "no bpffs on /sys/fs/bpf before: the daemon mounted it and pinned there" \
	"/sys/fs/bpf is $(fs_on /sys/fs/bpf); $(ls "$PIN" 2>&1 | head -3)" \
	sh -c '[ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ] && [ -d "$1/links" ]' _ "$PIN"

# A reload that changes something: a policy file added to the config.
cat >"$T/p.yaml" <<'EOF'
version: 1
name: p
identities: ["ci:*"]
EOF
echo "  policies: [$T/p.yaml]" >>"$T/warden.yaml"
kill -HUP "$dpid"
wait_line "$T/msgs" 3
check "SIGHUP: RELOADING=1, then READY=1" "$(cat "$T/msgs")" \
	sh -c 'sed -n 2,3p "$1" | cut -d" " -f1 | tr "\n" " " | grep -qx "RELOADING=1 READY=1 "' _ "$T/msgs"
check "...and the reload took effect" "$(grep reloaded "$T/daemon.log")" \
	grep -q "reloaded $T/warden.yaml: 1 policy files" "$T/daemon.log"

# A reload the daemon must refuse still ends with READY=1 (the old configuration in force).
echo "  bogus: 1" >>"$T/warden.yaml"
kill -HUP "$dpid"
wait_line "$T/msgs" 5
check "a rejected reload: RELOADING=1, READY=1, the old configuration stays" \
	"$(cat "$T/msgs") $(grep -i reload "$T/daemon.log" | tail -2)" \
	sh -c 'sed -n 4,5p "$1" | cut -d" " -f1 | tr "\n" " " | grep -qx "RELOADING=1 READY=1 " &&
		grep -q "reload of .* rejected" "$2"' _ "$T/msgs" "$T/daemon.log"
sed -i '$d' "$T/warden.yaml"

kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
wait_line "$T/msgs" 6
check "SIGTERM: STOPPING=1, exit status 0" "rc=$rc $(tail -1 "$T/msgs")" \
	sh -c '[ "$1" = 0 ] && tail -1 "$2" | grep -q "^STOPPING=1"' _ "$rc" "$T/msgs"
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
lpid=

# An abstract socket name (systemd's own, for some services): '@' stands for the leading NUL.
listen "@wd-notify-$$" "$T/msgs2"
NOTIFY_SOCKET=@wd-notify-$$ "$WARDEN" daemon -c "$T/warden.yaml" >>"$T/daemon.log" 2>&1 &
dpid=$!
wait_line "$T/msgs2" 1
check "an abstract \$NOTIFY_SOCKET gets READY=1 too" "$(cat "$T/msgs2" 2>/dev/null)" \
	grep -qx "READY=1 ctl=up" "$T/msgs2"
kill -TERM "$dpid"
wait "$dpid"
dpid=
# Without $NOTIFY_SOCKET nothing is sent, and nothing breaks (shown by every other test).
check "no datagram after the daemon exited but STOPPING=1" "$(cat "$T/msgs2")" \
	sh -c '[ "$(wc -l <"$1")" = 2 ] && tail -1 "$1" | grep -q "^STOPPING=1"' _ "$T/msgs2"
done_testing
