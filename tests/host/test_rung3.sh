#!/usr/bin/env bash
# Host tier, rung 3 (issue 18): on a kernel without BPF LSM, `warden run` enforces exec and file
# rules and confinement with Landlock, a mount namespace and seccomp, and says so. Every attack
# runs as root inside the sandbox and must be refused; the deny-inside-allow cases hold or the
# policy is refused with the rule named; the allowed path still works. Skipped where BPF LSM
# enforces (rung 1 is tested elsewhere) or where the probe does not claim rung 3.
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
plan 36

W=$(mktemp -d /tmp/wd-r3w.XXXXXX) # the job's workdir
# A tree readable but for one file and one directory, outside the write rules (a read deny
# inside a writable tree is held too, but keeps new names out of the directories on its way).
D=$(mktemp -d /var/tmp/wd-r3d.XXXXXX)
E=$(mktemp -d /run/wd-r3e.XXXXXX) # events and policies: out of the sandbox's reach
trap 'umount /mnt/wdalias 2>/dev/null; rm -rf "$W" "$D" "$E" /mnt/wdalias /var/tmp/wd-r3-hl' EXIT
echo secret >"$D/secret"
echo public >"$D/public"
mkdir "$D/sdir" && echo inner >"$D/sdir/f"
cp /bin/true "$D/payload" # outside every exec rule
echo keep >"$E/outside"    # outside every write rule
cat >"$E/policy.yaml" <<YAML
version: 1
name: rung3-test
identities: ["*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, "\${workdir}/"]
  deny: [/tmp/]
files:
  read:
    allow: [/]
    deny: [$D/secret, $D/sdir/]
  write:
    allow: ["\${workdir}/", /tmp/, /dev/null]
network:
  allow:
    - to: sandbox
sockets:
  allow: [unix, inet, inet6, netlink]
YAML

# jrun SCRIPT: runs SCRIPT under sh in the sandbox (cwd $W); output in $out, status in $rc.
jrun() {
	out=$(cd "$W" && "$WARDEN" run -i ci:rung3 --policy "$E/policy.yaml" --events "$E/ev" \
		-- sh -c "$1" 2>"$E/stderr")
	rc=$?
}
err() { cat "$E/stderr"; }

jrun 'echo started'
check "warden run starts without --degraded" "rc $rc: $(err)" test "$rc" = 0 -a "$out" = started
check "the start-up message names the mechanisms" "$(err)" \
	grep -q "exec: landlock" "$E/stderr"
check "... and what is not enforced" "$(err)" grep -q "NOT ENFORCED: sockets passed in" "$E/stderr"

# --- exec -------------------------------------------------------------------------------------
jrun "cp /bin/true /tmp/wd-r3-x.\$\$ && /tmp/wd-r3-x.\$\$; echo \$?"
check "exec from an exec-denied dir (/tmp) refused" "out: $out $(err)" test "$out" = 126
jrun "$D/payload 2>&1; echo \$?"
check "exec of a file no exec rule allows refused (EACCES)" "out: $out" \
	grep -q "Permission denied" <<<"$out"
jrun "cp /bin/true /tmp/wd-r3-y.\$\$ && /lib64/ld-linux-x86-64.so.2 /tmp/wd-r3-y.\$\$; echo \$?"
check "ld.so /tmp/x refused (mount noexec)" "out: $out" test "$(tail -n1 <<<"$out")" != 0
jrun 'cp /bin/true ./mine && ./mine && echo ran'
check "exec in the workdir allowed" "out: $out $(err)" test "$out" = ran

# --- files ------------------------------------------------------------------------------------
jrun "cat $D/secret 2>&1"
check "read of a denied file refused" "out: $out" grep -q "Permission denied" <<<"$out"
jrun "cat $D/public"
check "its sibling stays readable (deny inside an allowed tree)" "out: $out" test "$out" = public
jrun "cat $D/sdir/f 2>&1; ls $D/sdir 2>&1"
check "a denied directory: contents refused, names masked" "out: $out" \
	bash -c 'grep -q "^cat: " <<<"$1" && ! grep -qx -e f -e inner <<<"$1"' _ "$out"
# The job is running (its plan made) before the file exists.
(jrun "touch started; while [ ! -e go ]; do sleep 0.1; done; cat $D/later 2>&1" &&
	echo "$out" >"$E/later.out") &
for _ in $(seq 100); do [ -e "$W/started" ] && break; sleep 0.1; done
echo later >"$D/later"
touch "$W/go"
wait
out=$(cat "$E/later.out")
check "a file made later in an expanded directory is refused" "out: $out" \
	grep -q "Permission denied" <<<"$out"
jrun "ln $D/secret /tmp/wd-r3-ln.\$\$ 2>&1 && cat /tmp/wd-r3-ln.\$\$ 2>&1"
check "a hard link to the denied file, made inside, gets nothing" "out: $out" \
	bash -c '! grep -q "^secret$" <<<"$1"' _ "$out"
jrun "echo x >$E/outside 2>&1; echo x >/etc/wd-r3-test 2>&1; cat $E/outside"
check "writes outside the write rules refused" "out: $out" \
	test "$(tail -n1 <<<"$out")" = keep -a ! -e /etc/wd-r3-test
jrun "chmod 600 $E/outside 2>&1; rm -f $D/public 2>&1; mv $D/secret /tmp/ 2>&1"
check "chmod, rm and rename outside the write rules refused" "out: $out" \
	test "$(stat -c %a "$E/outside")" = 644 -a -e "$D/public" -a -e "$D/secret"
jrun 'echo w >w.txt && cat w.txt'
check "writes in the workdir allowed" "out: $out $(err)" test "$out" = w

# --- confinement, as root -----------------------------------------------------------------------
py() { jrun "python3 -c '$1' 2>&1"; }
py 'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); print(l.ptrace(16,1,0,0), os.strerror(ctypes.get_errno()))'
check "ptrace of a host process (pid 1) refused" "out: $out" grep -q "^-1 " <<<"$out"
jrun 'cat /proc/1/environ >/dev/null 2>&1 && echo read || echo refused'
check "/proc/1/environ of a host process refused" "out: $out" test "$out" = refused
py 'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); print(l.syscall(250,0,-3,0), os.strerror(ctypes.get_errno()))'
check "keyctl refused" "out: $out" grep -q "^-1 Operation not permitted" <<<"$out"
jrun 'unshare -Ur true 2>&1; unshare -m true 2>&1; echo $?'
check "unshare (user, mount namespaces) refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
py 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)'
check "AF_PACKET socket refused" "out: $out" grep -q "PermissionError" <<<"$out"
py 'import os; os.memfd_create("x")'
check "memfd_create refused (fileless_exec: deny)" "out: $out" grep -q "PermissionError" <<<"$out"
jrun "kill -0 $$ 2>&1; echo \$?"
check "a signal to a process outside refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0
cg=$(cgroup2_root)
jrun "echo \$\$ >$cg/cgroup.procs 2>&1; cat /proc/self/cgroup"
check "moving out of the sandbox cgroup refused" "out: $out" grep -q "wd-\|warden" <<<"$out"
jrun 'mount -t tmpfs x /mnt 2>&1; echo $?'
check "mount refused" "out: $out" test "$(tail -n1 <<<"$out")" != 0

# --- what rung 3 cannot express: refused, with the rule -----------------------------------------
ln "$D/public" /var/tmp/wd-r3-hl
sed "s|deny: \[$D/secret|deny: [$D/public, $D/secret|" "$E/policy.yaml" >"$E/hl.yaml"
out=$(cd "$W" && "$WARDEN" run -i ci:rung3 --policy "$E/hl.yaml" -- true 2>&1)
rc=$?
check "a denied file with another hard link refuses the policy, naming the rule" \
	"rc $rc: $out" bash -c '[ "$1" = 125 ] && grep -q "hl.yaml:10:[0-9]* files.read deny '"$D"'/public" <<<"$2" && grep -q "2 hard links" <<<"$2"' _ "$rc" "$out"
rm -f /var/tmp/wd-r3-hl
mkdir -p /mnt/wdalias && mount --bind "$D" /mnt/wdalias
out=$(cd "$W" && "$WARDEN" run -i ci:rung3 --policy "$E/policy.yaml" -- true 2>&1)
rc=$?
check "a bind mount aliasing a denied file refuses the policy" "rc $rc: $out" \
	bash -c '[ "$1" = 125 ] && grep -q "mount at /mnt/wdalias" <<<"$2"' _ "$rc" "$out"
umount /mnt/wdalias

# --- a mechanism taken away is reported, never silently lost ------------------------------------
for mech in seccomp mountns landlock cgroup; do
	out=$(cd "$W" && WARDEN_DISABLE=$mech "$WARDEN" run -i ci:rung3 --policy "$E/policy.yaml" \
		-- true 2>&1)
	rc=$?
	check "without $mech: refused without --degraded, naming what is not enforced" \
		"rc $rc: $out" bash -c '[ "$1" = 125 ] && grep -q "cannot enforce" <<<"$2"' _ "$rc" "$out"
done
out=$(cd "$W" && WARDEN_DISABLE=seccomp "$WARDEN" run --degraded -i ci:rung3 \
	--policy "$E/policy.yaml" -- true 2>&1)
check "without seccomp, --degraded runs and says confinement is not enforced" "$out" \
	grep -q "NOT ENFORCED: confinement" <<<"$out"
# The cgroup hooks count only when a test child saw them refuse: with the trial's programs not
# attached (WARDEN_DISABLE=cgroup), nothing may claim the network, block devices or unix sockets.
out=$(cd "$W" && WARDEN_DISABLE=cgroup "$WARDEN" run --degraded -i ci:rung3 \
	--policy "$E/policy.yaml" -- true 2>&1)
check "without the cgroup hooks seen refusing, --degraded says network is not enforced" "$out" \
	grep -q "NOT ENFORCED: network: not enforced (warden's cgroup sock_addr programs were not seen refusing: a test child in a test cgroup: connect NOT refused" <<<"$out"
check "... nor block devices" "$out" \
	grep -q "NOT ENFORCED: block devices: not enforced (.*mknod of a block device in a test cgroup NOT refused" <<<"$out"
check "... nor unix sockets" "$out" grep -q "NOT ENFORCED: unix sockets: not enforced" <<<"$out"
# And with them: each seen refusing, in the probe and in warden run's report.
out=$(cd "$W" && "$WARDEN" run -i ci:rung3 --policy "$E/policy.yaml" -- true 2>&1)
check "with them: network, block devices and unix sockets each seen refused by a test child" "$out" \
	bash -c 'grep -q "  network: cgroup (.*connect refused, send refused" <<<"$1" &&
		grep -q "  block devices: cgroup (.*mknod of a block device in a test cgroup refused" <<<"$1" &&
		{ grep -q "  unix sockets: .*cgroup" <<<"$1" || ! jq -e .rung3.cgroup_unix <<<"$2" >/dev/null; }' _ "$out" "$json"
pj=$("$WARDEN" probe --json 2>/dev/null)
check "warden probe --json: cgroup_network, cgroup_device from a trial" "$(jq -c .rung3 <<<"$pj")" \
	bash -c 'jq -e ".rung3.cgroup_network and .rung3.cgroup_device and (.rung3.cgroup_network_detail | test(\"connect refused\"))" <<<"$1" >/dev/null' _ "$pj"

done_testing
