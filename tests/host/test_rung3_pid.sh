#!/usr/bin/env bash
# Host tier, rung 3 (issue 18, review B2/B4): a sandbox of `warden run` lives in a pid namespace of
# its own, so a root inside cannot name a process of the node: kill, prlimit (RLIMIT_CPU kills by
# SIGXCPU), renice, taskset, ionice, pidfd_open and /proc/PID of a `sleep` started outside are
# refused, and the sleep is checked unchanged afterwards. Warden's init is pid 1: signals to
# warden run reach the job, exit codes and deaths by signal are reported as before, orphans are
# reaped, the TTL kills. Also: netlink works (ip addr, if_nameindex), IP protocols but TCP, UDP and
# ping are refused, acct(NULL) is refused, a mount made after planning is read-only and noexec.
# Skipped where BPF LSM enforces or rung 3 is not claimed.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

json=$("$WARDEN" probe --json 2>/dev/null)
rung=$(jq -r '.run_rung // 0' <<<"$json")
if [ "$rung" != 3 ]; then
	echo "1..0 # SKIP warden run is on rung $rung here, not 3 (probe: $(jq -c .rung3 <<<"$json"))"
	exit 0
fi
if [ "$(jq -r '.rung3.pid_ns' <<<"$json")" != true ]; then
	echo "1..0 # SKIP no pid namespace here ($(jq -r '.rung3.pid_ns_detail' <<<"$json"))"
	exit 0
fi
plan 33

W=$(mktemp -d /tmp/wd-r3p.XXXXXX)     # the job's workdir (the default policy's ${workdir})
E=$(mktemp -d /run/wd-r3pe.XXXXXX)    # out of the sandbox's reach
sleep 600 &                            # a process of the node
H=$!
trap 'kill $H 2>/dev/null; umount /mnt/wd-r3p-proc 2>/dev/null; rm -rf "$W" "$E" /mnt/wd-r3p-proc' EXIT

# jrun SCRIPT [warden options]: SCRIPT under sh in the sandbox, default policy, cwd $W.
jrun() {
	local s=$1
	shift
	out=$(cd "$W" && "$WARDEN" run -i ci:rung3-pid "$@" -- sh -c "$s" 2>"$E/stderr")
	rc=$?
}
err() { cat "$E/stderr"; }
state() { # what a root could change of process $1
	echo "nice=$(ps -o ni= -p "$1") $(taskset -p "$1" | sed 's/.*: //') $(ionice -p "$1")"
	grep -E "^Max (cpu time|open files|processes)" "/proc/$1/limits"
}
before=$(state $H)

jrun 'echo started'
check "warden run starts without --degraded" "rc $rc: $(err)" test "$rc" = 0 -a "$out" = started
check "the start-up message names the pid namespace" "$(err)" \
	grep -q "signals and ptrace: pid-ns + landlock" "$E/stderr"

# --- processes of the node, as root -------------------------------------------------------------
jrun "kill -9 $H 2>&1; echo \$?"
check "kill -9 of a host process refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
jrun "prlimit --cpu=1:1 --pid $H 2>&1; echo \$?"
check "prlimit --cpu of a host process refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
jrun "renice -n 19 -p $H 2>&1; echo \$?"
check "renice of a host process refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
jrun "renice -n 19 -u root 2>&1; echo \$?"
check "renice of every root process refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
jrun "taskset -p 1 $H 2>&1; echo \$?"
check "taskset -p of a host process refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
jrun "ionice -c 3 -p $H 2>&1; echo \$?"
check "ionice -p of a host process refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
py() { jrun "python3 -c '$1' 2>&1"; }
py "import os
try: os.pidfd_open($H); print(\"opened\")
except OSError as e: print(e.errno)
try: os.sched_setscheduler($H, os.SCHED_IDLE, os.sched_param(0)); print(\"set\")
except OSError as e: print(e.errno)"
check "pidfd_open and sched_setscheduler of a host process refused" "out: $out" \
	bash -c '! grep -q -e opened -e "^set" <<<"$1" && [ "$(wc -l <<<"$1")" = 2 ]' _ "$out"
jrun "cat /proc/$H/cmdline 2>&1; ls /proc/$H/ >/dev/null 2>&1 && echo listed; echo \$?"
check "/proc/PID of a host process not there" "out: $out" \
	bash -c '! grep -q -e sleep -e listed <<<"$1"' _ "$out"
after=$(state $H)
check "the host process survived, unchanged" "before: $before; after: $after" \
	bash -c 'kill -0 "$1" && [ "$2" = "$3" ]' _ $H "$before" "$after"
mkdir -p /mnt/wd-r3p-proc && mount -t proc proc /mnt/wd-r3p-proc
jrun "ls /mnt/wd-r3p-proc/$H >/dev/null 2>&1 && echo listed; cat /mnt/wd-r3p-proc/1/comm"
check "another proc mount shows the namespace's processes only" "out: $out $(err)" \
	test "$out" = warden-init
umount /mnt/wd-r3p-proc
jrun 'ps -e -o pid=,comm='
check "ps shows the sandbox's processes only, warden's init as pid 1" "out: $out" \
	bash -c '[ "$(wc -l <<<"$1")" -le 4 ] && grep -qx " *1 warden-init" <<<"$1" &&
		! grep -q "sleep" <<<"$1"' _ "$out"

# --- its own processes: the allowed path ---------------------------------------------------------
jrun 'nice -n 5 nice; renice -n 3 -p $$ >/dev/null && echo reniced; taskset -p 1 $$ >/dev/null &&
	echo pinned; prlimit --cpu=100:100 sh -c "ulimit -t"; ionice -c 3 -p $$ && echo ioniced'
check "nice, renice, taskset, ionice of its own processes and prlimit on a command work" \
	"out: $out $(err)" test "$(echo $out)" = "5 reniced pinned 100 ioniced"
py 'import os; os.sched_setaffinity(0, {0}); print(sorted(os.sched_getaffinity(0)))'
check "python os.sched_setaffinity(0, ...) works" "out: $out" test "$out" = "[0]"
printf 'all: a b c d\na b c d:\n\t@sleep 0.2; echo $@ >$@\n' >"$W/Makefile"
jrun 'make -s -j4 && cat a b c d | tr "\n" " "'
check "make -j4 works" "out: $out $(err)" test "$out" = "a b c d "

# --- the init: statuses, signals, orphans, the TTL -----------------------------------------------
jrun 'exit 3'
check "exit 3 is warden run's status" "rc $rc" test "$rc" = 3
jrun 'kill -9 $$'
check "killed by SIGKILL: 137" "rc $rc" test "$rc" = 137
jrun 'kill -TERM $$'
check "killed by SIGTERM: 143" "rc $rc" test "$rc" = 143
jrun 'kill -9 1; kill -TERM 1; sleep 0.2; echo alive'
check "the job cannot kill the init (a SIGTERM to it comes back to the job)" "rc $rc out: $out" \
	test "$rc" = 143 -o "$out" = alive
jrun '(sleep 0.2 &); sleep 1; ps -e -o stat=,comm='
check "a double-forked orphan is reaped" "out: $out" bash -c '! grep -q "^Z" <<<"$1"' _ "$out"
for sig in INT TERM QUIT; do
	(cd "$W" && exec env --default-signal="$sig" "$WARDEN" run -i ci:rung3-pid -- sh -c \
		"trap 'echo got-$sig; exit 7' $sig; echo ready; while :; do sleep 0.1; done" \
		>"$E/sig.out" 2>"$E/sig.err") &
	w=$!
	for _ in $(seq 100); do grep -q ready "$E/sig.out" 2>/dev/null && break; sleep 0.1; done
	kill -"$sig" $w
	wait $w
	rc=$?
	check "SIG$sig to warden run reaches the job" "rc $rc out: $(cat "$E/sig.out")" \
		bash -c '[ "$1" = 7 ] && grep -q "got-'"$sig"'" "$2"' _ "$rc" "$E/sig.out"
done
(cd "$W" && exec env --default-signal=INT "$WARDEN" run -i ci:rung3-pid -- setpriv --reuid=65534 \
	--regid=65534 --clear-groups sh -c "trap 'echo got-INT; exit 7' INT; echo ready;
	while :; do sleep 0.1; done" >"$E/sig.out" 2>"$E/sig.err") &
w=$!
for _ in $(seq 100); do grep -q ready "$E/sig.out" 2>/dev/null && break; sleep 0.1; done
kill -INT $w
wait $w
rc=$?
check "SIGINT reaches a job that changed its user (setpriv)" "rc $rc out: $(cat "$E/sig.out")" \
	bash -c '[ "$1" = 7 ] && grep -q got-INT "$2"' _ "$rc" "$E/sig.out"
start=$(date +%s)
jrun 'sleep 60' --ttl 1s
check "the TTL kills the sandbox (137)" "rc $rc after $(($(date +%s) - start))s" \
	test "$rc" = 137 -a $(($(date +%s) - start)) -lt 20

# --- sockets and capabilities --------------------------------------------------------------------
jrun 'ip addr show lo'
check "ip addr works (netlink allowed)" "rc $rc out: $out $(err)" grep -q "127.0.0.1" <<<"$out"
py 'import socket; print(socket.if_nameindex()[0][1])'
check "python socket.if_nameindex works" "out: $out" test "$out" = lo
py 'import socket
for p, t in ((262, 1), (136, 2), (132, 1)):
    try: socket.socket(socket.AF_INET, t, p); print(p, "made")
    except OSError as e: print(p, e.errno)
socket.socket(socket.AF_INET, socket.SOCK_STREAM, 6); print("tcp")'
check "MPTCP, UDP-Lite and SCTP sockets refused, TCP made" "out: $out" \
	test "$(echo $out)" = "262 1 136 1 132 1 tcp"
py 'import ctypes, os; l = ctypes.CDLL(None, use_errno=True); print(l.acct(None), ctypes.get_errno())'
check "acct(NULL) refused (CAP_SYS_PACCT dropped)" "out: $out" test "$out" = "-1 1"

# --- a mount made after the plan, before the sandbox's copy of the table ------------------------
# gdb stops warden at wd_spawn (planning done) while a tmpfs is mounted: the race made certain.
if command -v gdb >/dev/null; then
	mkdir -p /mnt/wd-r3p-race
	out=$(cd "$W" && timeout 120 gdb -q -batch -ex 'break wd_spawn' -ex run \
		-ex 'shell mount -t tmpfs wd-r3p-race /mnt/wd-r3p-race' -ex continue \
		--args "$WARDEN" run -i ci:rung3-pid -- sh -c \
		'touch /mnt/wd-r3p-race/x 2>&1; grep -c " /mnt/wd-r3p-race ro,.*noexec" /proc/self/mountinfo' \
		2>&1)
	umount /mnt/wd-r3p-race 2>/dev/null
	rmdir /mnt/wd-r3p-race
	check "a mount made after planning is read-only and noexec in the sandbox" "out: $out" \
		bash -c 'grep -q "Read-only file system" <<<"$1" && grep -qx 1 <<<"$1"' _ "$out"
else
	skip "a mount made after planning is read-only and noexec in the sandbox" "no gdb"
fi

# --- taken away: reported, never silently lost -------------------------------------------------------
out=$(cd "$W" && WARDEN_DISABLE=pidns "$WARDEN" run -i ci:rung3-pid -- true 2>&1)
rc=$?
check "without the pid namespace: refused without --degraded" "rc $rc: $out" \
	bash -c '[ "$1" = 125 ] && grep -q "cannot enforce signals and ptrace" <<<"$2"' _ "$rc" "$out"
out=$(cd "$W" && WARDEN_DISABLE=pidns "$WARDEN" run --degraded -i ci:rung3-pid -- \
	sh -c "test -e /proc/$H && echo named" 2>&1)
check "... with --degraded it runs, saying so" "$out" \
	bash -c 'grep -q "NOT ENFORCED: signals and ptrace" <<<"$1" && grep -qx named <<<"$1"' _ "$out"

done_testing
