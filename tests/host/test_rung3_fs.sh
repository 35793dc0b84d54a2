#!/usr/bin/env bash
# Host tier, rung 3 (issue 18), file system: a deny inside a writable tree keeps the rest of the
# tree writable and the denied path refused (new files there, hard links, renames); separate
# mounts take the rules of their mount point; a job writes its own /proc/self/coredump_filter; the
# hard-link check never stops silently; a mount showing a denied directory's contents elsewhere
# refuses the policy; terminals work while devpts stays read-only; device ioctls only on
# terminals and /dev/null-like devices (Landlock ABI 5). Every refusal is tried as root inside
# the sandbox. Skipped where `warden run` is not on rung 3.
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
abi=$(jq -r ".rung3.landlock_abi // 0" <<<"$json")
plan 22

T=$(mktemp -d /tmp/wd-r3fs.XXXXXX) # a writable tree (the job's /tmp rule) holding the workdir
W=$T/job
E=$(mktemp -d /run/wd-r3fs-e.XXXXXX) # policies and output: out of the sandbox's reach
ptmx=$(stat -c '%a %u' /dev/pts/ptmx) # restored whatever a failing check did to it
trap 'chmod "${ptmx% *}" /dev/pts/ptmx; chown "${ptmx#* }" /dev/pts/ptmx; rm -rf "$T" "$E"' EXIT
mkdir -p "$W/rdir" "$W/wdir" "$W/cache" "$W/ro"
echo secret >"$W/rsecret"
echo inner >"$W/rdir/f"
echo keep >"$W/wfile"
echo keep >"$W/wdir/f"
cat >"$E/policy.yaml" <<YAML
version: 1
name: rung3-fs
identities: ["*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, "\${workdir}/"]
files:
  read:
    allow: [/]
    deny: ["\${workdir}/rsecret", "\${workdir}/rdir/"]
  write:
    allow: ["\${workdir}/", $T/, /dev/null, /dev/tty, /dev/ptmx, /dev/pts/]
    deny: ["\${workdir}/wfile", "\${workdir}/wdir/"]
sockets:
  allow: [unix, inet, inet6, netlink]
YAML

# jrun SCRIPT [POLICY]: runs SCRIPT under sh in the sandbox (cwd $W); output in $out, status $rc.
jrun() {
	out=$(cd "$W" && "$WARDEN" run -i ci:rung3fs --policy "${2:-$E/policy.yaml}" \
		--events "$E/ev" -- sh -c "$1" 2>"$E/stderr")
	rc=$?
}
err() { tail -n 3 "$E/stderr"; }

jrun 'echo started'
check "warden run starts" "rc $rc: $(err)" test "$rc" = 0 -a "$out" = started

# --- 1. a deny inside a writable tree ----------------------------------------------------------
jrun "echo a >$T/new && cat $T/new && echo b >new && cat new && mkdir d && echo c >d/f && \
	cat d/f && mv new renamed && rm renamed && echo ok"
check "the writable tree around denies stays writable (new names, mkdir, mv, rm)" \
	"out: $out $(err)" test "$(tail -n1 <<<"$out")" = ok
jrun 'cat rsecret 2>&1; cat rdir/f 2>&1; ls rdir 2>&1'
check "the read-denied file and directory stay refused" "out: $out" \
	bash -c '! grep -qx -e secret -e inner -e f <<<"$1" && grep -q "rsecret: Permission denied" <<<"$1"' _ "$out"
jrun 'echo x >rdir/new 2>&1; cat rdir/new 2>&1; ln rsecret l1 2>&1; cat l1 2>&1;
	mv rsecret moved 2>&1; cat moved 2>&1; mv rdir rdir2 2>&1; cat rdir2/f 2>&1;
	mv . ../x 2>&1; cat ../x/rsecret 2>&1; true'
check "... also through new files, hard links and renames" "out: $out" \
	bash -c '! grep -qx -e secret -e inner -e x <<<"$1"' _ "$out"
check "... and the denied names are all still there" "ls: $(ls "$W" "$W/rdir")" \
	test -e "$W/rsecret" -a -e "$W/rdir/f"
# The job is running before the host makes a file in the read-denied directory.
(jrun "touch started; while [ ! -e go ]; do sleep 0.1; done; cat rdir/later 2>&1" &&
	echo "$out" >"$E/later.out") &
for _ in $(seq 100); do [ -e "$W/started" ] && break; sleep 0.1; done
echo later >"$W/rdir/later"
touch "$W/go"
wait
check "a file made later in the read-denied directory is refused" "out: $(cat "$E/later.out")" \
	bash -c '! grep -qx later "$1"' _ "$E/later.out"
rm -f "$W/started" "$W/go"
jrun 'echo x >wfile 2>&1; echo x >>wdir/f 2>&1; echo x >wdir/new 2>&1; rm -f wfile 2>&1;
	mv wdir wdir2 2>&1; chmod 600 wfile 2>&1; ln wdir/f l2 2>&1; echo x >>l2 2>&1;
	echo x >other && mv other wfile 2>&1; true'
check "the write-denied file and directory stay unchanged (write, create, rm, mv, chmod, link)" \
	"out: $out" bash -c '[ "$(cat "$1/wfile")" = keep ] && [ "$(cat "$1/wdir/f")" = keep ] &&
	[ ! -e "$1/wdir/new" ] && [ "$(stat -c %a "$1/wfile")" = 644 ]' _ "$W"
jrun 'cat wfile wdir/f'
check "... and stay readable" "out: $out $(err)" test "$out" = "keep
keep"

# --- 2. separate mounts take the rules of their mount point -------------------------------------
mount -t tmpfs -o size=4m wd-r3fs-cache "$W/cache"
mount -t tmpfs -o size=4m,ro wd-r3fs-ro "$W/ro"
mkdir -p /mnt/wd-r3fs && mount -t tmpfs -o size=4m wd-r3fs-mnt /mnt/wd-r3fs
# The workdir one tree (no deny inside it), and one expanded around the denies in it.
grep -v "wfile\|rsecret" "$E/policy.yaml" >"$E/plain.yaml"
for pol in plain policy; do
	jrun 'echo c >cache/f && cat cache/f && cp /bin/true cache/t && ./cache/t && echo ran' \
		"$E/$pol.yaml"
	check "a tmpfs mounted in the workdir is writable and executable there ($pol.yaml)" \
		"out: $out $(err)" test "$(tail -n1 <<<"$out")" = ran
done
jrun 'touch ro/x 2>&1; touch /mnt/wd-r3fs/x 2>&1; true'
check "a read-only mount in the workdir stays read-only; a mount outside the rules too" \
	"out: $out" test ! -e "$W/ro/x" -a ! -e /mnt/wd-r3fs/x
umount "$W/cache" "$W/ro" /mnt/wd-r3fs

# --- 3. /proc/self/coredump_filter --------------------------------------------------------------
jrun 'echo 0x33 >/proc/self/coredump_filter && cat /proc/self/coredump_filter'
check "the job writes its own /proc/self/coredump_filter" "out: $out $(err)" \
	grep -q "00000033" <<<"$out"
before=$(cat /proc/1/coredump_filter)
jrun '{ echo 0x3f >/proc/1/coredump_filter; echo 1 >/proc/sys/kernel/sysrq; } 2>&1; true'
check "... but no other process's, nor /proc/sys" "out: $out" \
	bash -c '[ "$(cat /proc/1/coredump_filter)" = "$1" ] && grep -q "coredump_filter: " <<<"$2" &&
	grep -q "sysrq: " <<<"$2"' _ "$before" "$out"

# --- 4. hard links of denied files made before the start ---------------------------------------
mkdir -p "$T/hl/deny" "$T/hl/many"
echo secret >"$T/hl/deny/s"
ln "$T/hl/deny/s" "$T/hl/alias"
sed "/rsecret/s|deny: \[|deny: [$T/hl/deny/, |" "$E/policy.yaml" >"$E/hl.yaml"
jrun "cat $T/hl/alias" "$E/hl.yaml"
check "a hard link (made before the start) to a file in a denied directory refuses the policy" \
	"rc $rc: $out $(err)" bash -c '[ "$1" = 125 ] && grep -q "hl.yaml:.*deny '"$T"'/hl/deny/" "$2" &&
	grep -q "2 hard links" "$2"' _ "$rc" "$E/stderr"
rm "$T/hl/alias"
# More entries than any fixed bound in a denied directory, one of them linked outside.
(cd "$T/hl/deny" && seq 30000 | xargs touch)
ln "$T/hl/deny/29999" "$T/hl/alias2"
jrun true "$E/hl.yaml"
check "... and so does one among 30000 entries (never a silent stop)" "rc $rc: $(err)" \
	bash -c '[ "$1" = 125 ] && grep -q "hl.yaml:" "$2"' _ "$rc" "$E/stderr"
rm -rf "$T/hl"

# --- 5. a mount showing a denied directory's contents elsewhere ---------------------------------
mkdir -p "$W/rdir/sub" /mnt/wd-r3fs-alias && echo inner2 >"$W/rdir/sub/g"
mount --bind "$W/rdir/sub" /mnt/wd-r3fs-alias
jrun 'cat /mnt/wd-r3fs-alias/g 2>&1'
check "a bind mount of a directory inside a denied one refuses the policy" "rc $rc: $out $(err)" \
	bash -c '[ "$1" = 125 ] && grep -q "mount at /mnt/wd-r3fs-alias" "$2"' _ "$rc" "$E/stderr"
umount /mnt/wd-r3fs-alias
mount --bind "$W/rsecret" "$T/alias-file" 2>/dev/null || {
	touch "$T/alias-file" && mount --bind "$W/rsecret" "$T/alias-file"
}
jrun "cat $T/alias-file 2>&1"
check "a bind mount of a denied file refuses the policy" "rc $rc: $out $(err)" \
	bash -c '[ "$1" = 125 ] && grep -q "mount at '"$T"'/alias-file" "$2"' _ "$rc" "$E/stderr"
umount "$T/alias-file"
rm -rf "$W/rdir/sub" "$T/alias-file"

# --- 6. terminals -------------------------------------------------------------------------------
jrun 'script -qc "stty -a" /dev/null 2>&1 | head -n1'
check "a job makes a terminal of its own (script) and stty works on it" "out: $out $(err)" \
	grep -q "speed" <<<"$out"
jrun '/usr/bin/python3 -c "import pty,os; p,c=pty.openpty(); print(os.ttyname(c))" 2>&1'
check "python pty.openpty works" "out: $out $(err)" grep -q "^/dev/pts/" <<<"$out"
mode=$(stat -c %a /dev/pts/ptmx)
jrun 'chmod 666 /dev/pts/ptmx 2>&1; chown 1 /dev/pts/ptmx 2>&1; chmod 666 /dev/ptmx 2>&1; true'
check "chmod and chown of the host's ptmx refused" "out: $out" \
	bash -c '[ "$(stat -c %a%u /dev/pts/ptmx)" = "${1}0" ] && [ "$(stat -c %a /dev/ptmx)" = 666 ] &&
	grep -q "changing permissions of .*/dev/pts/ptmx" <<<"$2"' _ "$mode" "$out"

# --- 7. device ioctls (Landlock ABI 5) -----------------------------------------------------------
if [ "$abi" -lt 5 ]; then
	skip "an ioctl on a device other than a terminal refused" "Landlock ABI $abi < 5"
elif [ ! -c /dev/loop-control ]; then
	skip "an ioctl on a device other than a terminal refused" "no /dev/loop-control"
else
	jrun '/usr/bin/python3 -c "
import fcntl, os
fd = os.open(\"/dev/loop-control\", os.O_RDONLY)
try:
    print(\"free\", fcntl.ioctl(fd, 0x4C82))
except OSError as e:
    print(\"refused\", e.errno)
" 2>&1'
	check "an ioctl on a device other than a terminal refused (LOOP_CTL_GET_FREE)" \
		"out: $out $(err)" test "$out" = "refused 13"
fi
jrun 'stty -a </dev/tty >/dev/null 2>&1; echo $?; head -c 4 /dev/zero | od -An -tx1'
check "ioctls on /dev/null-like devices and reads of /dev/zero work" "out: $out $(err)" \
	grep -q "00 00 00 00" <<<"$out"

done_testing
