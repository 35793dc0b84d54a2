#!/usr/bin/env bash
# Host tier, rung 3 (issue 18, "events on every rung"): a job refused by Landlock produces warden's
# usual deny event, read from the kernel's Landlock audit records: `cat /etc/shadow` (the default
# policy denies it) and the exec of a binary copied to /tmp each show in the --events file and in
# the file sink (`warden events --json`) with the path, the host pid, enforcement point
# "landlock"; a job that is refused nothing produces no denial. The kernel writes Landlock records
# only while audit is enabled: where it is disabled this test enables it for its runs and puts it
# back (warden itself never changes it). Skipped where warden run is not on rung 3, where
# Landlock has no audit records (ABI < 7), or without CAP_AUDIT_READ / CAP_AUDIT_CONTROL.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")
TESTS=13

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (cgroups, BPF, audit)"
command -v jq >/dev/null || skip_all "jq is not installed (scripts/setup installs it)"
json=$("$WARDEN" probe --json 2>/dev/null)
rung=$(jq -r '.run_rung // 0' <<<"$json")
[ "$rung" = 3 ] || skip_all "warden run is on rung $rung here, not 3"
abi=$(jq -r '.rung3.landlock_abi // 0' <<<"$json")
[ "$abi" -ge 7 ] || skip_all "Landlock ABI $abi has no audit records (7 needed, Linux 6.15)"
# CAP_AUDIT_READ (37) joins the multicast group; CAP_AUDIT_CONTROL (30) reads the status.
caps=$((16#$(awk '/^CapEff/ {print $2}' /proc/self/status)))
[ $((caps >> 37 & 1)) = 1 ] || skip_all "no CAP_AUDIT_READ: the audit records cannot be read"
[ $((caps >> 30 & 1)) = 1 ] || skip_all "no CAP_AUDIT_CONTROL: the audit status cannot be read"

# audit_ctl [0|1]: prints audit's "enabled" (0, 1, 2: locked); with an argument, sets it first.
audit_ctl() {
	python3 - "$@" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)  # NETLINK_AUDIT
s.settimeout(2)
def req(t, data=b""):
    s.send(struct.pack("=IHHII", 16 + len(data), t, 5, 1, 0) + data)  # REQUEST | ACK
    while True:
        m = s.recv(9000)
        ln, typ = struct.unpack("=IH", m[:6])
        if typ == 2:  # NLMSG_ERROR
            err = struct.unpack("=i", m[16:20])[0]
            if err:
                sys.exit("audit: error %d" % err)
            if t != 1000:
                return None
        elif typ == 1000:
            return struct.unpack("=II", m[16:24])[1]
if len(sys.argv) > 1:
    req(1001, struct.pack("=II", 1, int(sys.argv[1])))  # AUDIT_SET: mask ENABLED
print(req(1000))  # AUDIT_GET
EOF
}
was=$(audit_ctl) || skip_all "cannot read the audit status"
E=$(mktemp -d /run/wd-r3ev.XXXXXX) # config, sinks, events: out of the sandbox's reach
W=$(mktemp -d /tmp/wd-r3ev-w.XXXXXX)
restore() {
	[ "$was" = 0 ] && audit_ctl 0 >/dev/null
	rm -rf "$E" "$W"
}
trap restore EXIT
if [ "$was" = 0 ]; then
	audit_ctl 1 >/dev/null || skip_all "audit is disabled and cannot be enabled"
	echo "# audit was disabled: enabled for this test, disabled again at its end"
fi
plan $TESTS

cat >"$E/config.yaml" <<EOF
version: 1
node: test-node
events:
  sinks:
    - name: main
      type: file
      dir: $E/out
EOF

# jrun NAME SCRIPT [OPTION]: SCRIPT under sh in the sandbox (default policy, cwd $W); the --events file in
# $E/NAME.ev, the sink's events as JSON lines in $E/NAME.json, the status in $rc.
jrun() {
	rm -rf "$E/out"
	(cd "$W" && "$WARDEN" run -i ci:rung3-events -c "$E/config.yaml" --events "$E/$1.ev" \
		${3:-} -- sh -c "$2" >"$E/$1.out" 2>"$E/$1.err")
	rc=$?
	"$WARDEN" events --json "$E/out/main.pb" >"$E/$1.json" 2>"$E/$1.jerr"
}

check "the report names Landlock's audit records as the source of denial events" \
	"$("$WARDEN" probe 2>&1 | grep 'denial events')" \
	bash -c '"$1" probe 2>&1 | grep "denial events" | grep -q "landlock audit"' _ "$WARDEN"

# pid: the shell's ($$, in the sandbox's pid namespace: events carry the node's pids, so the
# checks name the shell by its command); cat and the exec attempt run in its children.
jrun deny 'echo $$ >pid; cat /etc/shadow; cp /bin/true /tmp/wd-r3ev-x.$$ && /tmp/wd-r3ev-x.$$; echo done'
pid=$(cat "$W/pid" 2>/dev/null)
check "the job ran, its read refused" "rc $rc: $(cat "$E/deny.out" "$E/deny.err")" \
	bash -c 'grep -q "^done$" "$1" && grep -q "shadow: Permission denied" "$2"' _ \
	"$E/deny.out" "$E/deny.err"
line=$(grep ' DENY open-read /etc/shadow ' "$E/deny.ev")
check "the --events file has a deny event for /etc/shadow" "$(cat "$E/deny.ev")" test -n "$line"
check "... with the enforcement point landlock and the deny rule" "$line" \
	grep -q 'hook=landlock rule=[1-9][0-9]* (.*files.read deny /etc/shadow)' <<<"$line"
check "... with the job's host pids and its command" "pid $pid: $line" \
	grep -q "pid=[1-9][0-9]* ppid=[1-9][0-9]* uid=0 comm=cat exe=/usr/bin/cat " <<<"$line"
jqt() { jq -e "$@" >/dev/null; }
sel='select(.decision == "DECISION_DENIED" and .hook == "landlock")'
check "the sink has the read denial (warden events)" "$(cat "$E/deny.jerr" "$E/deny.json")" \
	jqt -s "[.[] | $sel | select(.file_open.path == \"/etc/shadow\" and .file_open.read)
		| select(.process.ppid > 0 and .process.ancestry[0].comm == \"sh\" and .sandbox.id != null
			and .identity.name == \"ci:rung3-events\" and .rule.id > 0)]
		| length == 1" "$E/deny.json"
# The exec from /tmp is refused by the noexec mount before Landlock sees it (may_open's
# path_noexec check comes before security_file_open): the kernel writes no Landlock record.
if grep -q " DENY exec /tmp/wd-r3ev-x.$pid " "$E/deny.ev"; then
	pass "the exec from /tmp is reported"
else
	skip "the exec from /tmp is reported" \
		"refused by the noexec mount before Landlock, which writes no record (not reported)"
fi
check "no denial of anything else (the self-check is not news)" "$(cat "$E/deny.ev")" \
	test "$(grep -c ' DENY ' "$E/deny.ev")" -le 2

# Landlock alone (no mount namespace, --degraded): the exec is Landlock's to refuse, and report.
WARDEN_DISABLE=mountns jrun exec 'echo $$ >pid; cp /bin/true /tmp/wd-r3ev-x.$$ && /tmp/wd-r3ev-x.$$; echo done' --degraded
pid=$(cat "$W/pid" 2>/dev/null)
xline=$(grep " DENY exec /tmp/wd-r3ev-x.$pid " "$E/exec.ev")
check "Landlock's exec refusal of a binary copied to /tmp is a deny event" \
	"$(cat "$E/exec.ev" "$E/exec.err")" test -n "$xline"
# $$ is the shell's pid in the sandbox's pid namespace; events carry the node's pids.
check "... with the shell's child, hook=landlock and the exec deny rule" "pid $pid: $xline" \
	grep -q "ppid=[1-9][0-9]* uid=0 comm=sh .*hook=landlock rule=[1-9][0-9]* (.*exec deny /tmp/)" <<<"$xline"
check "the sink has the exec denial with its path" "$(cat "$E/exec.json")" \
	jqt -s "[.[] | $sel | select(.exec.path == \"/tmp/wd-r3ev-x.$pid\" and .process.ppid > 0)]
		| length == 1" "$E/exec.json"

jrun allow 'echo hello >hello.txt && cat hello.txt >/dev/null && ls / >/dev/null && true'
check "an allowed job runs" "rc $rc: $(cat "$E/allow.err")" test "$rc" = 0
check "... and produces no denial" "$(cat "$E/allow.ev")" \
	bash -c '! grep -q " DENY " "$1" && ! jq -e -s "[.[] | select(.decision == \"DECISION_DENIED\")] | length > 0" "$2" >/dev/null' \
	_ "$E/allow.ev" "$E/allow.json"
done_testing
