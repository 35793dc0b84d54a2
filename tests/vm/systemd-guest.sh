#!/bin/bash
# The scenario of tests/vm/systemd-run, run by warden-vm-test.service inside the VM where
# systemd is PID 1: dist/warden.service (ExecStart pointed at the binary under test) is in
# /etc/systemd/system and /etc/warden/warden.yaml says degraded: false.
# TAP goes to stdout (the console) and to $WARDEN_VM_OUT/tap; the exit status to
# $WARDEN_VM_OUT/status. The unit powers the VM off when this script ends.
# The checks are `sh -c '...'` scripts whose $ must reach that sh unexpanded.
# shellcheck disable=SC2016,SC2001
set -uo pipefail # not -e: a failing check is reported, and the next one still runs

out=${WARDEN_VM_OUT:-/run/warden-vm/out}
repo='' warden=''
# shellcheck disable=SC1091 # written by tests/vm/systemd-run: repo=, warden=
. /run/warden-vm/ctl/env
# shellcheck disable=SC1091
. "$repo/tests/lib/tap.sh"
export WARDEN_SOCKET=/run/warden/control.sock
exec > >(tee "$out/tap") 2>&1
tee_pid=$!

# Whatever happens, leave the journal and a status for the host.
finish() {
    journalctl -b --no-pager -o short-monotonic >"$out/journal.txt" 2>&1
    # Let tee finish the tap file before the status says we are done.
    exec >/dev/null 2>&1
    wait "$tee_pid"
    # shellcheck disable=SC2154 # _tap_failed: counted by tests/lib/tap.sh
    if [ "$_tap_failed" -eq 0 ]; then echo 0; else echo 1; fi >"$out/status.tmp"
    mv -f "$out/status.tmp" "$out/status"
    sync
}
trap finish EXIT

# prop NAME: one property of warden.service.
prop() { systemctl show -P "$1" warden.service; }
# ujournal: the unit's journal so far (journald may lag behind the process by a moment).
ujournal() { journalctl --sync 2>/dev/null; journalctl -u warden.service --no-pager -o cat; }

# w TEXT: a failure's explanation; tap.sh puts "# " before its first line only.
w() {
    local s="$*"
    printf '%s' "${s//$'\n'/$'\n'# }"
}

plan 16

echo "# kernel $(uname -r), lsm $(cat /sys/kernel/security/lsm)"
echo "# $(systemctl --version | head -n1), system state: $(systemctl is-system-running)"
pid1=$(readlink /proc/1/exe)
check "systemd is PID 1 ($pid1)" "PID 1 is $pid1" \
    sh -c 'case "$1" in */systemd/systemd) exit 0 ;; *) exit 1 ;; esac' _ "$pid1"

# systemd-analyze verify complains about what it finds odd in the unit; shown, not judged.
systemd-analyze verify /etc/systemd/system/warden.service 2>&1 | sed 's/^/# verify: /'
check "warden.service is loaded (Type=$(prop Type))" "LoadState=$(prop LoadState)" \
    sh -c '[ "$(systemctl show -P LoadState warden.service)" = loaded ] &&
        [ "$(systemctl show -P Type warden.service)" = notify ]'

# --- start: Type=notify, so `systemctl start` returns once the daemon sent READY=1 ----------
t0=$(date +%s.%N)
systemctl start warden.service
rc=$?
t1=$(date +%s.%N)
# The daemon logs "warden daemon: ready: ..." just before READY=1. Had systemd not waited for
# READY=1, start would return right after the exec, long before that line (BPF loading takes
# seconds here).
ready_line=$(ujournal | grep -m1 'daemon: ready: ')
echo "# systemctl start took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; $(systemctl is-active warden.service)"
check "systemctl start warden succeeds (exit 0)" "$(w "rc=$rc; $(ujournal | tail -n 5)")" [ "$rc" -eq 0 ]
check "active (running) only after READY=1: the daemon had logged '$ready_line'" \
    "state $(prop ActiveState)/$(prop SubState)" \
    sh -c '[ -n "$1" ] && [ "$(systemctl show -P ActiveState warden.service)" = active ] &&
        [ "$(systemctl show -P SubState warden.service)" = running ]' _ "$ready_line"
# Timing, for the record: exec of the main process to the unit's entering active.
s=$(prop ExecMainStartTimestampMonotonic)
a=$(prop ActiveEnterTimestampMonotonic)
[ "$a" -lt "$s" ] || echo "# exec to active: $(((a - s) / 1000)) ms"
check "the daemon runs with full (BPF LSM) enforcement" "$(w "$(ujournal | tail -n 5)")" \
    sh -c 'printf "%s" "$1" | grep -q "full enforcement"' _ "$ready_line"

mainpid=$(prop MainPID)
st=$("$warden" status 2>&1)
echo "$st" | sed 's/^/# status: /'
check "warden status answers over the control socket" "$(w "$st")" \
    sh -c 'printf "%s" "$1" | grep -q "full enforcement"' _ "$st"

# --- reload: ExecReload sends SIGHUP; the daemon says RELOADING=1 ... READY=1 ----------------
systemctl reload warden.service
rc=$?
# Whether systemd waited for the daemon (RELOADING=1 ... READY=1) or only for kill(1): shown.
if ujournal | grep -q 'daemon: reloaded '; then w=yes; else w=no; fi
echo "# the daemon's 'reloaded' line was logged when systemctl reload returned: $w"
# kill -HUP returns at once; give the daemon a moment to log the reload.
for _ in $(seq 20); do ujournal | grep -q 'daemon: reloaded ' && break; sleep 0.5; done
check "systemctl reload warden succeeds and the daemon logs 'reloaded'" \
    "$(w "rc=$rc; $(ujournal | tail -n 5)")" \
    sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -q "daemon: reloaded /etc/warden/warden.yaml"' \
    _ "$rc" "$(ujournal)"
sleep 1
check "after the reload: active (running), same main PID, no restart" \
    "state $(prop ActiveState)/$(prop SubState) MainPID $(prop MainPID) (was $mainpid) NRestarts $(prop NRestarts)" \
    sh -c '[ "$(systemctl show -P ActiveState warden.service)/$(systemctl show -P SubState warden.service)" = active/running ] &&
        [ "$(systemctl show -P MainPID warden.service)" = "$1" ] && [ "$(systemctl show -P NRestarts warden.service)" = 0 ]' _ "$mainpid"

# --- the log, through systemd ----------------------------------------------------------------
status_out=$(systemctl status --no-pager -n 20 warden.service 2>&1)
echo "$status_out" | sed 's/^/# systemctl status: /'
check "systemctl status shows the daemon's log" "$(w "$status_out")" \
    sh -c 'printf "%s" "$1" | grep -q "reloaded /etc/warden" && printf "%s" "$1" | grep -q "ready: full"' _ "$status_out"
check "journalctl -u warden has the daemon's log and systemd's reload messages" "$(w "$(journalctl -u warden.service --no-pager | tail -n 10)")" \
    sh -c 'j=$(journalctl -u warden.service --no-pager); printf "%s" "$j" | grep -q "ready: full" &&
        printf "%s" "$j" | grep -q "Reloaded" && printf "%s" "$j" | grep -q "reloaded /etc/warden"'

# --- a job through the daemon: the daemon lives in system.slice/warden.service; where do the
# sandboxes go, and does systemd leave them be? ------------------------------------------------
# Not from /: the default policy refuses / as the job's working directory.
jobdir=$(mktemp -d /tmp/job.XXXXXX)
job=$(cd "$jobdir" && timeout 60 "$warden" run -i ci:systemd-vm -- sh -c 'cat /proc/self/cgroup; exit 3' 2>&1)
rc=$?
echo "$job" | sed 's/^/# job: /'
check "a job runs through the daemon (exit status 3 passed back)" "rc=$rc" [ "$rc" -eq 3 ]

# --- the system bus: a sandboxed root must not reach systemd (issue: grant nothing) -----------
# The bus (dbus.socket is in sockets.target, but the boot target is basic.target: start it) and
# systemd's private socket are the node's: on the default policy nothing allows them, so a
# transient unit outside (systemd-run, busctl StartTransientUnit) cannot be asked for.
systemctl start dbus.socket dbus.service >/dev/null 2>&1
bus_ok=$(busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId 2>&1)
check "outside the sandbox the system bus answers" "$(w "$bus_ok")" \
    sh -c 'busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null'
rm -f /run/wd-escaped
esc=$(cd "$jobdir" && timeout 120 "$warden" run -i ci:systemd-vm -- sh -c '
    systemd-run --unit=wd-escape --quiet /bin/touch /run/wd-escaped; echo "systemd-run rc=$?"
    busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
        org.freedesktop.systemd1.Manager StartTransientUnit "ssa(sv)a(sa(sv))" \
        wd-escape2.service fail 1 ExecStart "a(sasb)" 1 /bin/touch 2 /bin/touch /run/wd-escaped false 0
    echo "busctl rc=$?"
    for s in /run/dbus/system_bus_socket /run/systemd/private; do
        python3 -c "import socket, sys, errno
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1]); print(sys.argv[1], \"ok\")
except OSError as e:
    print(sys.argv[1], \"errno=\" + errno.errorcode.get(e.errno, str(e.errno)))" "$s"
    done' 2>&1)
echo "$esc" | sed 's/^/# sandboxed: /'
sleep 1
check "systemd-run and busctl from the sandbox fail, and nothing ran outside" "$(w "$esc")" \
    sh -c 'printf "%s" "$1" | grep -q "systemd-run rc=[1-9]" && printf "%s" "$1" | grep -q "busctl rc=[1-9]" &&
        [ ! -e /run/wd-escaped ] && ! systemctl is-active -q wd-escape.service &&
        ! systemctl is-active -q wd-escape2.service' _ "$esc"
check "the bus and systemd's private socket refuse a sandboxed root (EPERM)" "$(w "$esc")" \
    sh -c 'printf "%s" "$1" | grep -q "^/run/dbus/system_bus_socket errno=EPERM" &&
        printf "%s" "$1" | grep -q "^/run/systemd/private errno=EPERM"' _ "$esc"
evs=$("$warden" events /var/lib/warden/events 2>&1 | grep -E "DENY connect unix:/run/(dbus/system_bus_socket|systemd/private)")
check "the daemon's events name the refused sockets" "$(w "$evs")" \
    sh -c 'printf "%s" "$1" | grep -q system_bus_socket && printf "%s" "$1" | grep -q systemd/private' _ "$evs"

# --- stop -----------------------------------------------------------------------------------
systemctl stop warden.service
rc=$?
sleep 2 # RestartSec=1: a restart, if Restart=always wrongly kicked in, would show by now
check "systemctl stop warden: inactive, main process exit 0, no restart" \
    "rc=$rc state $(prop ActiveState)/$(prop SubState) Result=$(prop Result) ExecMainStatus=$(prop ExecMainStatus) ExecMainCode=$(prop ExecMainCode) NRestarts=$(prop NRestarts)" \
    sh -c '[ "$1" -eq 0 ] && [ "$(systemctl show -P ActiveState warden.service)" = inactive ] &&
        [ "$(systemctl show -P Result warden.service)" = success ] &&
        [ "$(systemctl show -P ExecMainStatus warden.service)" = 0 ] &&
        [ "$(systemctl show -P NRestarts warden.service)" = 0 ]' _ "$rc"
ujournal | tail -n 4 | sed 's/^/# log: /'

echo "# failed units: $(systemctl list-units --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
done_testing
