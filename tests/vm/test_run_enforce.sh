#!/usr/bin/env bash
# vm tier: `warden run` holds a sandboxed root shell to its policy at every enforcement point,
# and each known escape fails (../shared/THREATS.md). Every case asserts the errno seen inside the
# sandbox and the event warden reported.
set -u
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
WARDEN=${WARDEN:-build/warden}
BUILD=$(dirname "$WARDEN")
PY=/usr/bin/python3 # the system's: exec from the home directory is not what we test here
A="$PY $PWD/tests/helpers/attempt.py"
W=/tmp/wdt
# Events and live policies go where the sandbox cannot write (warden refuses otherwise).
E=/run/wdt-ev
rm -rf "$W" "$E"
mkdir -p "$W" "$E"
plan 75

# --- fixtures, made outside the sandbox ------------------------------------------------------
cp /usr/bin/true "$W/payload"
cp /usr/bin/true "$W/blob" # never run or mapped executable by anyone
cp "$BUILD/tests/helpers/preload.so" "$W/preload.so"
echo secret >"$W/secret"
ln "$W/secret" "$W/hardlink"
ln -s /etc/shadow "$W/symlink"
mkdir "$W/abcd" && touch "$W/abcd/f" # 13 characters: the directory-slash case of bit 2
echo victim >"$E/victim"           # /run: not writable by the policy
touch "$W/x
warden[FORGED]: allow exec make"   # a file name that tries to forge an event line
sleep 600 &                        # a process outside the sandbox, for ptrace and signals
outside=$!
# Listeners: the allowed and the denied port both accept, so a refusal can only be warden's.
$PY - <<'PY' &
import socket, time
socks = []
for fam, addr, port, kind in [(socket.AF_INET, "127.0.0.1", 47001, socket.SOCK_STREAM),
                              (socket.AF_INET, "127.0.0.1", 47002, socket.SOCK_STREAM),
                              (socket.AF_INET, "127.0.0.1", 47005, socket.SOCK_STREAM),
                              (socket.AF_INET, "127.0.0.1", 47006, socket.SOCK_STREAM),
                              (socket.AF_INET6, "::1", 47001, socket.SOCK_STREAM),
                              (socket.AF_INET, "127.0.0.1", 47003, socket.SOCK_DGRAM),
                              (socket.AF_INET, "127.0.0.1", 47004, socket.SOCK_DGRAM)]:
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    socks.append(s)
open("/tmp/wdt/listening", "w").close()
time.sleep(600)
PY
listener=$!
# A stand-in for docker.sock (protected by the policy) and an unprotected unix socket.
$PY - <<'PY' &
import socket, time
socks = []
for path in ["/tmp/wdt/docker.sock", "/tmp/wdt/other.sock"]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    socks.append(s)
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.bind("/tmp/wdt/dgram.sock")
socks.append(d)
open("/tmp/wdt/unix.ready", "w").close()
time.sleep(600)
PY
unixl=$!
# A socket made outside the sandbox, handed over SCM_RIGHTS to whoever connects.
$PY - <<'PY' &
import os, socket
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind("/tmp/wdt/fd.sock")
srv.listen(1)
open("/tmp/wdt/fd.ready", "w").close()
c, _ = srv.accept()
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, tcp.fileno().to_bytes(4, "little"))])
c.close()
PY
passer=$!
for f in listening fd.ready unix.ready; do
	for _ in $(seq 100); do [ -e "$W/$f" ] && break; sleep 0.1; done
done
trap 'kill $listener $passer $unixl $outside 2>/dev/null' EXIT

# --- the sandboxed session --------------------------------------------------------------------
cat >"$W/inside.sh" <<INSIDE
r() { name=\$1; shift; echo "R \$name \$("\$@" 2>/dev/null | tail -n1)"; }
r exec-usr $A exec /usr/bin/echo ok
r read-passwd $A read /etc/passwd
r read-shadow $A read /etc/shadow
r symlink $A read $W/symlink
r hardlink $A read $W/hardlink
r proc-root $A read /proc/self/root/etc/shadow
r environ-other $A read /proc/1/environ
r environ-self $A read /proc/self/environ
r exec-tmp $A exec $W/payload
/lib64/ld-linux-x86-64.so.2 $W/payload 2>/dev/null; echo "R ldso rc=\$?"
WARDEN_TEST_MARKER=$W/PWNED LD_PRELOAD=$W/preload.so /usr/bin/true 2>/dev/null; echo "R preload rc=\$?"
r memfd $A memfd-exec /usr/bin/true
r mprotect-allowed $A mprotect-exec /usr/bin/echo
r mprotect-denied $A mprotect-exec $W/payload
r mprotect-unknown $A mprotect-exec $W/blob
r tcp-allowed $A connect4 127.0.0.1 47001
r tcp-denied $A connect4 127.0.0.1 47002
r v6-allowed $A connect6 ::1 47001
r v4mapped $A connect6 ::ffff:127.0.0.1 47005
r udp-allowed $A udp4 127.0.0.1 47003
r udp-denied $A udp4 127.0.0.1 47004
r tfo $A tfo 127.0.0.1 47006
r packet $A packet
r raw $A raw
r passed-in $A passed-connect $W/fd.sock 127.0.0.1 47002
r unix-protected $A unix $W/docker.sock
r unix-other $A unix $W/other.sock
r kill-warden $A kill \$PPID 9
r stop-warden $A kill \$PPID 19
r kill-outside $A kill $outside 9
r bpf $A bpf
r mount $A mount-bind /tmp/wdt /usr/local
r chroot $A chroot /tmp/wdt
r userns $A unshare-user
r vm-read $A vm-read $outside
r ptrace $A ptrace $outside
r kcore $A read /proc/kcore
r lsrr $A lsrr 10.99.0.2
r retopts $A retopts 127.0.0.2 47003
r sctp $A sctp
r udplite $A ip-proto 136
r l2tp $A ip-proto 115
r broadcast $A broadcast
r any-alias $A connect4 0.0.0.0 47002
r unix-dgram $A unix-dgram $W/dgram.sock
r truncate $A truncate $E/victim
r link-protected $A link $W/secret $W/hl2
r mprotect-cow $A mprotect-cow /usr/bin/echo
r listdir-deny $A listdir $W/abcd
r newline-name $A read $W/x*
r join-cgroup $A join-cgroup /sys/fs/cgroup
r clone-into $A clone-into-cgroup /sys/fs/cgroup
# A grandchild the harness moves into a sub-cgroup, then out of the sandbox altogether.
( echo \$\$ > /dev/null; sh -c 'echo \$\$ > $W/gc.pid; while [ ! -e $W/go ]; do sleep 0.1; done;
  $A read /etc/shadow > $W/gc.read; $A connect4 127.0.0.1 47002 > $W/gc.connect;
  while [ ! -e $W/go2 ]; do sleep 0.1; done; $A read /etc/shadow > $W/gc.read2' ) &
wait
INSIDE

$WARDEN run -i test:vm -p tests/vm/policy-enforce.yaml --events "$E/events" -- sh "$W/inside.sh" \
	>"$W/out" 2>"$W/err" &
run=$!
# Move the grandchild: first into a sub-cgroup of its sandbox, then out to the root cgroup.
for _ in $(seq 600); do [ -s "$W/gc.pid" ] && break; sleep 0.1; done
gc=$(cat "$W/gc.pid" 2>/dev/null)
cgroup2=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") print $5; break } }' /proc/self/mountinfo | head -n1)
sb=$(sed -n 's/^0:://p' "/proc/$gc/cgroup" 2>/dev/null)
mkdir -p "$cgroup2$sb/sub" && echo "$gc" >"$cgroup2$sb/sub/cgroup.procs"
in_sub=$(sed -n 's/^0:://p' "/proc/$gc/cgroup")
touch "$W/go"
for _ in $(seq 300); do [ -s "$W/gc.connect" ] && break; sleep 0.1; done
echo "$gc" >"$cgroup2/cgroup.procs"
out_of_sb=$(sed -n 's/^0:://p' "/proc/$gc/cgroup")
touch "$W/go2"
wait $run
rc=$?

res() { sed -n "s/^R $1 //p" "$W/out"; }
ev() { grep -q -- "$1" "$E/events"; }
is() { # NAME EXPECTED [EVENT-PATTERN]
	local got
	got=$(res "$1")
	if [ "$got" != "$2" ]; then
		fail "$1" "sandbox saw '$got', want '$2'"
	elif [ -n "${3:-}" ] && ! ev "$3"; then
		fail "$1" "no event matching '$3' in $(wc -l <"$E/events") events"
	else
		pass "$1: $2"
	fi
}

check "warden run exit status 0" "exit $rc; stderr: $(head -c 600 "$W/err")" test "$rc" = 0
is exec-usr ok "allow exec /usr/bin/echo"
is read-passwd ok
is read-shadow errno=EACCES "DENY open-read /etc/shadow .*files.read deny /etc/shadow"
is symlink errno=EACCES "DENY open-read /etc/shadow"
is hardlink errno=EACCES "DENY open-read $W/hardlink .*files.read deny $W/secret"
is proc-root errno=EACCES "DENY open-read /etc/shadow .*comm=python3"
is environ-other errno=EACCES "DENY open-read /proc/1/environ"
is environ-self ok
is exec-tmp errno=EACCES "DENY exec $W/payload .*exec deny /tmp/"
check "ld.so ./payload fails" "$(res ldso)" test "$(res ldso)" != "rc=0"
check "ld.so mapping denied" "no DENY mmap-exec event" ev "DENY mmap-exec $W/payload"
check "LD_PRELOAD constructor never ran" "marker exists" test ! -e "$W/PWNED"
check "LD_PRELOAD mapping denied" "no event" ev "DENY mmap-exec $W/preload.so"
is memfd errno=EACCES "DENY exec /memfd:payload (deleted)"
is mprotect-allowed ok
is mprotect-denied errno=EACCES "DENY mmap-exec payload .*hook=file_mprotect"
is mprotect-unknown errno=EACCES "DENY mmap-exec blob .*hook=file_mprotect rule=0"
is tcp-allowed ok "allow connect 127.0.0.1:47001/tcp"
is tcp-denied errno=EPERM "DENY connect 127.0.0.1:47002/tcp"
is v6-allowed ok "allow connect \[::1\]:47001/tcp"
is v4mapped errno=EPERM "DENY connect 127.0.0.1:47005/tcp .*hook=cgroup/connect6"
is udp-allowed ok "allow send 127.0.0.1:47003/udp"
is udp-denied errno=EPERM "DENY send 127.0.0.1:47004/udp"
is tfo errno=EPERM "DENY [a-z]* 127.0.0.1:47006/tcp .*hook=cgroup/connect4"
is packet errno=EPERM "DENY socket family=17"
is raw errno=EPERM "DENY socket family=2 type=3"
is passed-in errno=EBADMSG "DENY confine receive-socket-from-outside .*hook=file_receive"
is unix-protected errno=EPERM "DENY connect unix:/tmp/wdt/docker.sock .*hook=unix_stream_connect .*files.read deny /tmp/wdt/docker.sock"
is unix-other ok
is kill-warden errno=EPERM "DENY confine signal 9 to pid .*hook=task_kill"
is stop-warden errno=EPERM "DENY confine signal 19 to pid"
is kill-outside errno=EPERM "DENY confine signal 9 to pid $outside"
is bpf errno=EPERM "DENY confine bpf cmd=11 .*hook=bpf"
is mount errno=EPERM "DENY confine capability 21 .*hook=capable"
is chroot errno=EPERM "DENY confine capability 18 "
is userns errno=EPERM "DENY confine user-namespace .*hook=userns_create"
is vm-read errno=EPERM "DENY confine ptrace pid $outside .*hook=ptrace_access_check"
is ptrace errno=EPERM
is kcore errno=EPERM "DENY confine capability 17 "
is lsrr errno=EPERM "DENY confine source-routing option=4 "
is retopts errno=EPERM "DENY confine source-routing option=7 "
is sctp errno=EPERM "DENY socket family=2 type=1 "
is udplite errno=EPERM "DENY socket family=2 type=2 "
is l2tp errno=EPERM "DENY socket family=2 type=2 "
is broadcast errno=EPERM "DENY confine broadcast .*hook=socket_setsockopt"
is any-alias errno=EPERM
is unix-dgram errno=EPERM "DENY connect unix:/tmp/wdt/dgram.sock .*hook=unix_may_send .*files.read deny /tmp/wdt/dgram.sock"
is truncate errno=EACCES "DENY truncate $E/victim .*hook=path_truncate"
is link-protected errno=EPERM "DENY confine hardlink-of-protected-file .*hook=path_link"
is mprotect-cow errno=EACCES "DENY mmap-exec echo .*hook=file_mprotect"
is listdir-deny errno=EACCES "DENY open-read $W/abcd "
is newline-name ok "allow open-read $W/x\\\\x0awarden\\[FORGED\\]"
check "a file name cannot forge an event line" "$(grep -c '^warden\[FORGED' "$E/events") forged" \
	test "$(grep -c '^warden\[FORGED' "$E/events")" = 0
is join-cgroup errno=EPERM "DENY confine write /sys/fs/cgroup/cgroup.procs"
is clone-into errno=EPERM "DENY confine clone-into-cgroup"
check "grandchild was moved into a sub-cgroup" "cgroup '$in_sub' (sandbox '$sb')" \
	test "$in_sub" = "$sb/sub"
check "grandchild in sub-cgroup: read denied" "$(cat "$W/gc.read" 2>&1)" \
	grep -qx errno=EACCES "$W/gc.read"
check "grandchild in sub-cgroup: connect denied" "$(cat "$W/gc.connect" 2>&1)" \
	grep -qx errno=EPERM "$W/gc.connect"
check "grandchild moved out of the sandbox by root outside" "cgroup '$out_of_sb'" test "$out_of_sb" = /
check "grandchild outside the cgroup still governed (task tag)" "$(cat "$W/gc.read2" 2>&1)" \
	grep -qx errno=EACCES "$W/gc.read2"
check "every event names identity and sandbox" "$(grep -vc '^warden\[test:vm sb-' "$E/events") lines without" \
	test "$(grep -vc '^warden\[test:vm sb-' "$E/events")" = 0

# --- a process already running when its policy tightens (SIGHUP reload) -----------------------
echo data >"$W/later"
cp tests/vm/policy-enforce.yaml "$E/live.yaml"
$WARDEN run -i test:vm -p "$E/live.yaml" --events "$E/events2" -- $PY -c "
import errno, os, time
def rd():
    try:
        open('$W/later').read()
        return 'ok'
    except OSError as e:
        return 'errno=' + errno.errorcode[e.errno]
open('$W/before', 'w').write(rd())
while not os.path.exists('$W/tightened'):
    time.sleep(0.1)
open('$W/after', 'w').write(rd())
while not os.path.exists('$W/broken'):
    time.sleep(0.1)
open('$W/after-bad', 'w').write(rd())
" 2>"$W/err2" &
run=$!
for _ in $(seq 600); do [ -s "$W/before" ] && break; sleep 0.1; done
sed -i "s|deny: \[/etc/shadow, |deny: [$W/later, /etc/shadow, |" "$E/live.yaml"
kill -HUP $run
for _ in $(seq 300); do grep -q "policy reloaded" "$W/err2" && break; sleep 0.1; done
touch "$W/tightened"
for _ in $(seq 300); do [ -s "$W/after" ] && break; sleep 0.1; done
echo "exec: {alow: []}" >>"$E/live.yaml"
kill -HUP $run
for _ in $(seq 300); do grep -q "reload rejected" "$W/err2" && break; sleep 0.1; done
touch "$W/broken"
wait $run
check "running process: allowed before the reload" "$(cat "$W/before" 2>&1)" grep -qx ok "$W/before"
check "running process: denied at its next action after it" "$(cat "$W/after" 2>&1); $(cat "$W/err2")" \
	grep -qx errno=EACCES "$W/after"
check "the denial names the new rule" "$(grep later "$E/events2")" \
	grep -q "DENY open-read $W/later .*files.read deny $W/later" "$E/events2"
check "an invalid reload is rejected with file:line:column" "$(cat "$W/err2")" \
	grep -q "live.yaml:[0-9]*:[0-9]*: " "$W/err2"
check "after a rejected reload the tightened policy stays" "$(cat "$W/after-bad" 2>&1)" \
	grep -qx errno=EACCES "$W/after-bad"

# --- audit mode allows everything and reports what it would have denied ----------------------
$WARDEN run -i test:vm -p tests/vm/policy-enforce.yaml --audit --events "$E/events3" -- \
	sh -c "$A read /etc/shadow > $W/audit.read; $W/payload; echo \$? > $W/audit.exec; $A join-cgroup /sys/fs/cgroup > $W/audit.join" 2>/dev/null
check "audit: the read went through" "$(cat "$W/audit.read" 2>&1)" grep -qx ok "$W/audit.read"
check "audit: reported as a would-be denial" "$(grep shadow "$E/events3")" \
	grep -q "AUDIT-DENY open-read /etc/shadow .*files.read deny /etc/shadow" "$E/events3"
check "audit: confinement still holds" "$(cat "$W/audit.join" 2>&1)" grep -qx errno=EPERM "$W/audit.join"
check "audit: the /tmp payload ran, reported" "exit $(cat "$W/audit.exec" 2>&1); $(grep payload "$E/events3")" \
	grep -q "AUDIT-DENY exec $W/payload" "$E/events3"
check "truncate left the file alone" "$(cat "$E/victim")" grep -qx victim "$E/victim"

# --- the terminal warden was started from cannot be fed keystrokes (TIOCSTI) ----------------
$PY - "$WARDEN" "$A" >"$W/tty.out" 2>&1 <<'PY'
import os, pty, sys
warden, attempt = sys.argv[1], sys.argv[2].split()
pid, fd = pty.fork()  # the child gets the pty as its controlling terminal
if pid == 0:
    os.execv(warden, [warden, "run", "-i", "test:vm", "-p", "tests/vm/policy-enforce.yaml",
                      "--events", "/run/wdt-ev/events-tty", "--", *attempt, "tiocsti"])
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
check "TIOCSTI into the starting terminal refused" "$(head -c 300 "$W/tty.out")" \
	grep -aq "^errno=EPERM" "$W/tty.out"

# --- a cgroup namespace hiding the real depth must not make enforcement silently absent ------
cg2=/sys/fs/cgroup
mkdir -p "$cg2/ctr/inner"
(
	echo $BASHPID >"$cg2/ctr/inner/cgroup.procs"
	exec unshare -C -m sh -c "umount -l $cg2 && mount -t cgroup2 none $cg2 && $WARDEN run -i test:vm \
		-p tests/vm/policy-enforce.yaml -- cat /etc/shadow"
) >"$W/ns.out" 2>"$W/ns.err"
rc=$?
check "in a cgroup namespace warden refuses instead of running unconfined (exit 125)" \
	"exit $rc; out: $(head -c 200 "$W/ns.out"); err: $(head -c 300 "$W/ns.err")" \
	test "$rc" = 125 -a ! -s "$W/ns.out"
check "the refusal says why" "$(cat "$W/ns.err")" grep -q "does not treat the sandbox as sandboxed" "$W/ns.err"

done_testing
