#!/usr/bin/env bash
# Host tier, block devices (issue 18, B1): a block device is the whole file system under the
# file rules, readable by uid 0 without any capability. The cgroup device program (bpf/cgroup/
# device.bpf.h) refuses every open and mknod of one in a sandbox, on every rung; char devices
# (/dev/null, /dev/zero, /dev/urandom, ptys) keep working. Root inside the sandbox tries to read
# a file the policy denies off a loop device that holds it.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (warden run, losetup)"
	exit 0
fi
if ! command -v losetup >/dev/null; then
	echo "1..0 # SKIP no losetup (util-linux) to make a loop device with"
	exit 0
fi
rung=$("$WARDEN" probe --json 2>/dev/null | jq -r '.run_rung // 0')
if [ "$rung" != 1 ] && [ "$rung" != 3 ]; then
	echo "1..0 # SKIP warden run does not enforce files here without --degraded (rung $rung)"
	exit 0
fi

W=$(mktemp -d /tmp/wd-dev.XXXXXX) # the job's workdir
E=$(mktemp -d /run/wd-dev.XXXXXX) # image, events and policy: out of the sandbox's reach
LOOP=
trap '[ -n "$LOOP" ] && losetup -d "$LOOP"; rm -rf "$W" "$E"' EXIT
mkdir "$E/denied"
SECRET="WDSECRET-$$-$RANDOM"
echo "$SECRET" >"$E/denied/secret"
# The secret in the image as a file system would hold it: somewhere in its blocks.
dd if=/dev/zero of="$E/img" bs=1M count=4 status=none
printf '%s\n' "$SECRET" | dd of="$E/img" bs=1 seek=65536 conv=notrunc status=none
if ! LOOP=$(losetup -f --show "$E/img" 2>"$E/losetup.err"); then
	LOOP=
	echo "1..0 # SKIP cannot attach a loop device: $(cat "$E/losetup.err")"
	exit 0
fi
MAJMIN=$(printf '%d:%d' "0x$(stat -c %t "$LOOP")" "0x$(stat -c %T "$LOOP")")
plan 11

cat >"$E/policy.yaml" <<YAML
version: 1
name: rung3-dev
identities: ["*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/]
files:
  read:
    allow: [/]
    deny: [$E/denied/]
  write:
    allow: ["\${workdir}/", /tmp/, /dev/null, /dev/tty, /dev/ptmx, /dev/pts/]
network:
  allow:
    - to: sandbox
sockets:
  allow: [unix, inet, inet6]
YAML

# jrun SCRIPT: runs SCRIPT under sh in the sandbox (cwd $W); output in $out, status in $rc.
jrun() {
	: >"$E/ev"
	out=$(cd "$W" && "$WARDEN" run -i ci:dev --policy "$E/policy.yaml" --events "$E/ev" \
		-- sh -c "$1" 2>"$E/stderr")
	rc=$?
}
err() { cat "$E/stderr"; }

jrun "cat $E/denied/secret 2>&1; echo rc=\$?"
check "the secret file itself is refused (the file rules hold)" "out: $out $(err)" \
	eval '! grep -q "$SECRET" <<<"$out"'

# --- the block device -------------------------------------------------------------------------
jrun "grep -a -o 'WDSECRET-[0-9-]*' $LOOP 2>&1; echo rc=\$?"
check "grep -a of the loop device refused" "out: $out $(err)" grep -q "Operation not permitted" <<<"$out"
check "... and the secret is not printed" "out: $out" eval '! grep -q "$SECRET" <<<"$out"'
check "... with a confinement event naming the device" "events: $(cat "$E/ev")" \
	grep -Eq "DENY confine .*(/dev/block/$MAJMIN|$LOOP) .*hook=file_open" "$E/ev"
jrun "dd if=/dev/zero of=$LOOP count=1 2>&1; echo rc=\$?"
check "a write to the loop device refused" "out: $out" grep -q "Operation not permitted" <<<"$out"
jrun "cat /proc/self/root$LOOP 2>&1 | grep -c '$SECRET'"
check "the loop device through /proc/self/root refused" "out: $out" test "$out" = 0
# mknod of a node for the same device: refused (EPERM by the device program; or EROFS where the
# mount namespace keeps the tree read-only); if one is made, it cannot be opened.
jrun "mknod ./blk b ${MAJMIN%:*} ${MAJMIN#*:} 2>&1; grep -a -c '$SECRET' ./blk 2>&1; true"
check "a block node of one's own for the device is no way in" "out: $out" \
	eval '! grep -q "^[1-9]" <<<"$out"'

# --- char devices still work ------------------------------------------------------------------
jrun 'echo x >/dev/null && echo ok'
check "/dev/null writable" "out: $out $(err)" test "$out" = ok
jrun 'head -c 8 /dev/zero | od -An -tx1 | tr -d " \n"'
check "/dev/zero readable" "out: $out $(err)" test "$out" = 0000000000000000
jrun 'head -c 16 /dev/urandom | wc -c'
check "/dev/urandom readable" "out: $out $(err)" test "$out" = 16
jrun "python3 -c 'import os, pty; m, s = pty.openpty(); os.write(s, b\"pong\"); print(os.read(m, 4).decode())'"
check "a pty opens and carries data" "out: $out $(err)" test "$out" = pong

done_testing
