#!/usr/bin/env bash
# Host tier, rung 3: changes to the file system outside the write rules meet a read-only mount of
# the sandbox's mount namespace (EROFS) before Landlock is asked, so Landlock has no record of
# them; the sys_exit program reports each as a deny event (hook read-only-mount, the call, no
# path: its arguments are user memory). Root in the sandbox tries mkdir, mknod, unlink, rename,
# chmod, chown, a symlink, truncate and a setxattr outside the write rules; every one is refused
# and reported. Opens for writing are refused and not reported (no path to tell a JVM's own
# coredump_filter from /etc). The allow path: the same changes in the workdir succeed and report nothing, and
# an EROFS outside a sandbox is not reported.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

rung3_or_skip .rung3.mount_ns "a mount namespace"
W=$(mktemp -d /tmp/wd-rofs.XXXXXX) # the job's workdir
E=$(mktemp -d /run/wd-rofs.XXXXXX) # events and policy: out of the sandbox's reach
trap 'rm -rf "$W" "$E"; rm -rf /var/lib/wd-rofs-never' EXIT
plan 9

cat >"$E/policy.yaml" <<'YAML'
version: 1
name: rung3-rofs
identities: ["*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/]
files:
  read:
    allow: [/]
  write:
    allow: ["${workdir}/", /dev/null]
YAML

# Each change as root, outside the write rules, then in the workdir; "NAME rc" per line.
cat >"$W/changes.sh" <<'SH'
t() { name=$1; shift; "$@" 2>/dev/null; echo "$name $?"; }
for d in /var/lib "$PWD"; do
	tag=out; [ "$d" = "$PWD" ] && tag=in
	t "$tag-mkdir" mkdir "$d/wd-rofs-never"
	t "$tag-create" mknod "$d/wd-rofs-file" p
	t "$tag-symlink" ln -s /x "$d/wd-rofs-link"
	t "$tag-chmod" chmod 600 "${d}/wd-rofs-file"
done
t out-unlink rm -f /etc/hostname
t out-rename mv /etc/hosts /etc/hosts.x
t out-chmod-etc chmod 600 /etc/hosts
t out-chown chown 1:1 /etc/hosts
t out-truncate truncate -s 0 /etc/hosts
t out-setxattr setfattr -n user.x -v 1 /etc/hosts
SH
rm -f "$E/ev"
out=$(cd "$W" && "$WARDEN" run -i ci:rofs --policy "$E/policy.yaml" --events "$E/ev" -- sh changes.sh 2>"$E/err")
rc=$?
check "the job ran to its end" "rc $rc: $(tail -n3 "$E/err")" test "$rc" = 0
bad=$(grep '^out-' <<<"$out" | grep ' 0$')
check "every change outside the write rules is refused" "$out" test -z "$bad"
bad=$(grep '^in-' <<<"$out" | grep -v ' 0$')
check "the same changes in the workdir succeed" "$out" test -z "$bad"
n=$(grep -c ' DENY .*hook=read-only-mount' "$E/ev")
check "the refusals are deny events with hook read-only-mount (at least 7, got $n)" "$(head -c 1200 "$E/ev")" \
	test "$n" -ge 7
# A write-open refused by a read-only mount is not reported (no path: a JVM's own
# /proc/PID/coredump_filter would be every Java start's); the row says so.
out2=$(cd "$W" && "$WARDEN" run -i ci:rofs --policy "$E/policy.yaml" --events "$E/evo" -- sh -c ': >/etc/wd-rofs-x; echo $?' 2>"$E/erro")
check "a write-open refused by a read-only mount: refused, not reported" "$out2 $(head -c 600 "$E/evo")" \
	bash -c '[ "$1" != 0 ] && ! grep -q "DENY" "$2"' _ "$out2" "$E/evo"
check "... naming the call, EROFS and the rule text" "$(grep read-only-mount "$E/ev" | head -n3)" \
	bash -c 'grep -q " DENY confine syscall mkdir EROFS (read-only mount) pid=[1-9][0-9]* .*hook=read-only-mount rule=0 (file write: refused by a read-only mount" "$1" &&
		grep -q " DENY confine syscall unlinkat EROFS" "$1" && grep -q " DENY confine syscall renameat2\? EROFS\| DENY confine syscall rename EROFS" "$1"' _ "$E/ev"
check "the workdir's changes drew no deny event" "$(grep DENY "$E/ev" | grep -v read-only-mount | head -n3)" \
	bash -c '! grep " DENY " "$1" | grep -vq "hook=read-only-mount"' _ "$E/ev"
check "the report names the read-only mounts' refusals as events" "$(grep 'denial events' "$E/err")" \
	grep -q "denial events: .*changes to the file system the read-only mounts refused (EROFS.*NOT REPORTED: opens for writing they refused" "$E/err"

# Outside a sandbox an EROFS is the node's business: a read-only bind of the workdir, written.
mkdir -p "$E/ro" && mount --bind -o ro "$W" "$E/ro" 2>/dev/null
(cd "$W" && "$WARDEN" run -i ci:rofs --policy "$E/policy.yaml" --events "$E/ev2" -- sh -c "sleep 0.5" 2>/dev/null) &
job=$!
sleep 0.2
mkdir "$E/ro/outside" 2>/dev/null
wait $job
umount "$E/ro" 2>/dev/null
check "an EROFS outside any sandbox, while one runs, is no event" "$(cat "$E/ev2" 2>/dev/null | head -n3)" \
	bash -c '! grep -q "read-only-mount" "$1"' _ "$E/ev2"
done_testing
