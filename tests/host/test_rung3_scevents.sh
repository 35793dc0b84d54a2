#!/usr/bin/env bash
# Host tier, rung 3: the seccomp filter's refusals are deny events. A job calls what the filter
# refuses (keyctl, bpf, mount, a packet socket, a user namespace by unshare(2) and by unshare(1),
# clone3); each is refused with the filter's error (EPERM; ENOSYS for clone3, which is no event:
# glibc falls back to clone, decided there) and shows in the
# --events file as a DENY line with hook=seccomp, the call's name, the job's host pid and its
# command, and in the file sink as a SYSCALL confinement. Calls the filter refuses only for some
# arguments say "seccomp filter or the kernel". No false ones: an ordinary job (a pipeline, a C
# compile, python) and calls the kernel refuses with EPERM outside the filter's list (setuid,
# kill as nobody) give none, nor does a process outside the sandbox whose mount(2) the kernel
# refuses while the program is attached. With WARDEN_DISABLE=scevents the report says seccomp
# refusals are NOT REPORTED and none is. Skipped where warden run is not on rung 3 with seccomp.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (cgroups, BPF)"
command -v jq >/dev/null || skip_all "jq is not installed (scripts/setup installs it)"
PY=$(command -v python3) || skip_all "python3 is not installed"
PY=$(realpath "$PY")
case $PY in /usr/*) ;; *) PY=/usr/bin/python3 ;; esac # the default policy runs /usr
[ -x "$PY" ] || skip_all "no python3 under /usr"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
json=$("$WARDEN" probe --json 2>/dev/null)
rung=$(jq -r '.run_rung // 0' <<<"$json")
[ "$rung" = 3 ] || skip_all "warden run is on rung $rung here, not 3"
[ "$(jq -r '.rung3.seccomp' <<<"$json")" = true ] ||
	skip_all "no seccomp filter on rung 3 here ($(jq -r '.rung3.seccomp_detail' <<<"$json"))"
plan 23

E=$(mktemp -d /run/wd-r3sc.XXXXXX) # config, sinks, events: out of the sandbox's reach
W=$(mktemp -d /tmp/wd-r3sc-w.XXXXXX)
trap 'rm -rf "$E" "$W"' EXIT
cat >"$E/config.yaml" <<EOF
version: 1
node: test-node
events:
  sinks:
    - name: main
      type: file
      dir: $E/out
EOF

# The refused calls, by number (x86_64), with the error each returned; comm wd-scev; then it
# waits for $W/go, so that the test can learn its host pid and act outside meanwhile.
cat >"$W/refuse.py" <<'EOF'
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"wd-scev", 0, 0, 0)  # PR_SET_NAME
def call(name, nr, *args):
    r = libc.syscall(nr, *args)
    print(name, "ok" if r >= 0 else ctypes.get_errno(), flush=True)
call("keyctl", 250, 0, ctypes.c_long(-3), 0)       # KEYCTL_GET_KEYRING_ID, session
call("bpf", 321, 0, 0, 0)
call("mount", 165, b"none", b"/mnt", b"tmpfs", 0, 0)
call("unshare", 272, 0x10000000)                   # CLONE_NEWUSER
call("clone3", 435, 0, 0)
try:
    socket.socket(17, 3, 0).close()                # AF_PACKET, SOCK_RAW
    print("socket ok", flush=True)
except OSError as e:
    print("socket", e.errno, flush=True)
open("ready", "w").close()
for _ in range(200):
    if os.path.exists("go"):
        break
    time.sleep(0.05)
EOF

# jrun NAME SCRIPT: SCRIPT under sh in the sandbox (default policy, cwd $W); the --events file in
# $E/NAME.ev, the sink's events as JSON lines in $E/NAME.json, the status in $rc.
jrun() {
	rm -rf "$E/out"
	(cd "$W" && "$WARDEN" run -i ci:rung3-scevents -c "$E/config.yaml" --events "$E/$1.ev" \
		-- sh -c "$2" >"$E/$1.out" 2>"$E/$1.err")
	rc=$?
	"$WARDEN" events --json "$E/out/main.pb" >"$E/$1.json" 2>"$E/$1.jerr"
}

# ---- Refusals reported ----------------------------------------------------------------------
rm -f "$W/ready" "$W/go"
jrun deny "$PY refuse.py; unshare -U true; echo \"unshare(1) \$?\"" &
job=$!
for _ in $(seq 100); do [ -e "$W/ready" ] && break; sleep 0.1; done
hostpid=$(pgrep -x wd-scev | head -n1)
# Outside the sandbox, while the program is attached: the kernel refuses nobody's mount(2)
# with the same error, and that is no refusal of warden's.
outside=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PY" -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(165, b"none", b"/mnt", b"tmpfs", 0, 0)
print(os.getpid(), ctypes.get_errno() if r < 0 else "ok")')
touch "$W/go"
wait $job

check "the report says seccomp refusals are reported by the sys_exit tracepoint" \
	"$(grep 'denial events' "$E/deny.err")" \
	grep -q 'denial events: .*sys_exit.*seccomp refusals from the raw_syscalls:sys_exit tracepoint' "$E/deny.err"
check "... and does not call them NOT REPORTED" "$(grep 'denial events' "$E/deny.err")" \
	bash -c '! grep "denial events" "$1" | grep -q "NOT REPORTED: seccomp"' _ "$E/deny.err"
check "the job learnt its host pid" "pgrep: '$hostpid'; $(cat "$E/deny.err")" test -n "$hostpid"
check "keyctl, bpf, mount, unshare(2) and the packet socket are refused with EPERM" \
	"$(cat "$E/deny.out")" \
	bash -c 'for c in keyctl bpf mount unshare socket; do grep -qx "$c 1" "$1" || exit 1; done' _ "$E/deny.out"
check "clone3 answers ENOSYS" "$(cat "$E/deny.out")" grep -qx "clone3 38" "$E/deny.out"
check "unshare -U is refused" "$(cat "$E/deny.out")" grep -qx "unshare(1) 1" "$E/deny.out"
for c in keyctl bpf mount; do
	check "a deny event names $c with EPERM, the job's host pid and command" \
		"pid $hostpid: $(cat "$E/deny.ev")" \
		grep -q " DENY confine syscall $c EPERM pid=$hostpid .*comm=wd-scev .*hook=seccomp rule=0 (confinement: refused by warden's seccomp filter)" "$E/deny.ev"
done
check "the packet socket's event says the filter or the kernel refused it" \
	"$(cat "$E/deny.ev")" \
	grep -q " DENY confine syscall socket EPERM (seccomp filter or the kernel) pid=$hostpid .*hook=seccomp" "$E/deny.ev"
check "clone3's ENOSYS (glibc falls back to clone, decided there) is no event" "$(cat "$E/deny.ev")" \
	bash -c '! grep -q " syscall clone3" "$1"' _ "$E/deny.ev"
check "unshare(1)'s refusal is an event of its own process" "$(cat "$E/deny.ev")" \
	grep -q " DENY confine syscall unshare EPERM (seccomp filter or the kernel) pid=[1-9][0-9]* .*comm=unshare .*hook=seccomp" "$E/deny.ev"
check "the outside process's mount was refused by the kernel" "$outside" \
	grep -qE '^[0-9]+ 1$' <<<"$outside"
check "... and is no event" "$outside: $(cat "$E/deny.ev")" \
	bash -c '! grep -q "pid=${1%% *} " "$2"' _ "$outside" "$E/deny.ev"
check "nothing else is reported (6 refusals and clone3, 6 events)" "$(cat "$E/deny.ev")" \
	test "$(grep -c ' DENY ' "$E/deny.ev")" = 6
jqt() { jq -e "$@" >/dev/null; }
check "the sink has keyctl as a SYSCALL confinement of hook seccomp" \
	"$(cat "$E/deny.jerr" "$E/deny.json")" \
	jqt -s '[.[] | select(.decision == "DECISION_DENIED" and .hook == "seccomp")
		| select(.confinement.what == "SYSCALL" and .confinement.syscall_name == "keyctl"
			and .confinement.syscall == 250 and .confinement.error == 1
			and (.confinement.maybe_kernel | not) and .process.pid > 0)] | length == 1' \
	"$E/deny.json"
check "... and the packet socket as one the kernel may have refused" "$(cat "$E/deny.json")" \
	jqt -s '[.[] | select(.hook == "seccomp" and .confinement.syscall_name == "socket"
		and .confinement.maybe_kernel == true)] | length == 1' "$E/deny.json"

# ---- No false ones --------------------------------------------------------------------------
cc_step=true
command -v cc >/dev/null && cc_step="printf '#include <stdio.h>\nint main(void){puts(\"built\");return 0;}\n' >h.c && cc -o h h.c && ./h"
jrun allow "ls / | sort | wc -l >/dev/null && echo one two | tr a-z A-Z; $cc_step; $PY -c '
import os, socket, subprocess, ctypes
libc = ctypes.CDLL(None, use_errno=True)
subprocess.run([\"true\"], check=True)
socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
os.setuid(65534)
for what, f in ((\"setuid\", lambda: os.setuid(0)), (\"kill\", lambda: os.kill(1, 0))):
    try:
        f(); print(what, \"ok\")
    except OSError as e:
        print(what, e.errno)
'"
check "an ordinary job runs (a pipeline, a C compile where cc is, python)" \
	"rc $rc: $(cat "$E/allow.out" "$E/allow.err")" \
	bash -c '[ "$1" = 0 ] && grep -qx "ONE TWO" "$2" && { [ "$3" = true ] || grep -qx built "$2"; }' \
	_ "$rc" "$E/allow.out" "$cc_step"
check "... its setuid and kill are refused by the kernel with EPERM" "$(cat "$E/allow.out")" \
	bash -c 'grep -qx "setuid 1" "$1" && grep -qx "kill 1" "$1"' _ "$E/allow.out"
check "... and it produces no seccomp event" "$(cat "$E/allow.ev")" \
	bash -c '! grep -q "hook=seccomp" "$1" && ! grep -q "\"seccomp\"" "$2"' _ "$E/allow.ev" "$E/allow.json"

# ---- WARDEN_DISABLE=scevents ----------------------------------------------------------------
rm -f "$W/ready" "$W/go"
touch "$W/go"
WARDEN_DISABLE=scevents jrun off "$PY refuse.py"
check "without the mechanism the report says seccomp refusals are NOT REPORTED" \
	"$(grep 'denial events' "$E/off.err")" \
	grep -q 'denial events: .*NOT REPORTED: seccomp refusals (disabled by WARDEN_DISABLE)' "$E/off.err"
check "... the calls are refused all the same" "$(cat "$E/off.out")" \
	bash -c 'grep -qx "keyctl 1" "$1" && grep -qx "clone3 38" "$1"' _ "$E/off.out"
check "... and none is reported" "$(cat "$E/off.ev")" \
	bash -c '! grep -q "hook=seccomp" "$1" && ! grep -q "\"seccomp\"" "$2"' _ "$E/off.ev" "$E/off.json"
done_testing
