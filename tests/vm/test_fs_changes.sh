#!/usr/bin/env bash
# vm tier: every change to the file system meets the write rules of the embedded default policy,
# as root inside the sandbox: refused outside them (the errno the job sees, and the event that names
# the change, the path and the rule), allowed inside the workdir. The persistence cases: a file
# renamed from the workdir into /etc/cron.d or over ~/.bashrc, a symlink or hardlink made there, a
# protected file moved out into the workdir, a setuid chmod. A path too long to resolve is refused.
set -u
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
WARDEN=${WARDEN:-build/warden}
WARDEN=$(realpath "$WARDEN")
PY=/usr/bin/python3
A="$PY $PWD/tests/helpers/attempt.py"
E=/run/wdf-ev # events: where the sandbox cannot write
# A rename or a link is refused with EXDEV across mounts before any LSM is asked, so the workdir
# and the places outside the rules share one: a checkout in the home directory (the workdir rule
# makes it writable) and the rest of the home directory (writable by no rule; /root is a tmpfs
# in the guest).
W=$(mktemp -d /root/wdf.XXXXXX) # the job's workdir
O=/root/wdf-out                 # outside every write rule, writable by root on the file system
rm -rf "$E" "$O"
mkdir -p "$E" "$O/dir" "$O/sub"
plan 71

# /etc is the host's, read-only over 9p in the guest: a tmpfs over /etc/cron.d makes it writable
# for the file system, so only warden stands between the job and persistence there. A second job
# works in /etc/cron.d/work, on the same mount (a workdir on the root file system, as on a node).
cron_mounted=
if mount -t tmpfs wdf-cron /etc/cron.d 2>/dev/null; then cron_mounted=1; fi
trap '[ -z "$cron_mounted" ] || umount /etc/cron.d' EXIT
C=/etc/cron.d/work
echo victim >"$O/victim"
echo victim2 >"$O/victim2"
echo rc >/root/.bashrc
for f in file a b c chm chn trunc otrunc ftrunc xat acl unl; do echo "$f" >"$W/$f"; done
mkdir "$W/rmd" "$W/rdir"
cp /usr/bin/true "$W/payload"

cat >"$W/inside.sh" <<INSIDE
r() { name=\$1; shift; echo "R \$name \$("\$@" 2>/dev/null | tail -n1)"; }
# --- refused: outside the write rules
r rename-over-bashrc $A rename $W/a /root/.bashrc
r rename-out $A rename $O/victim $W/stolen
r rename-dir-out $A rename $O/sub $W/sub
r exchange $A exchange $W/b $O/victim2
r unlink $A unlink $O/victim
r rmdir $A rmdir $O/dir
r mkdir $A mkdir $O/newdir
r mkfifo $A mkfifo $O/fifo
r create $A create $O/new
r bind-unix $A bind-unix $O/sock
r chmod $A chmod $O/victim 777
r chown $A chown $O/victim 1 1
r setacl $A setacl $O/victim
r setxattr $A setxattr $O/victim user.wd x
r removexattr $A removexattr $O/victim user.wd
r truncate $A truncate $O/victim
r open-trunc $A open-trunc $O/victim
r unlink-devnull $A unlink /dev/null
r chmod-devnull $A chmod /dev/null 600
r setuid-chmod $A chmod $W/file 4755
r setuid-create $A create $W/suid 4755
r link-outside-in $A link $O/victim $W/hl-out
r tmpfile-setuid $A tmpfile-link $W $W/tmpsuid 4755
r setgid-noexec $A chmod $W/file 2644
r tmpfile-setuid-open $A tmpfile-open $W 4755
r coredump-filter-own $A write-text /proc/self/coredump_filter 0x33
r coredump-filter-other $A write-text /proc/1/coredump_filter 0x33
r deep $A deep-mkdir
# --- allowed: the workdir
r w-rename $A rename $W/c $W/c2
r w-exchange $A exchange $W/c2 $W/b
r w-unlink $A unlink $W/unl
r w-rmdir $A rmdir $W/rmd
r w-mkdir $A mkdir $W/newdir
r w-mkfifo $A mkfifo $W/fifo
r w-create $A create $W/new
r w-bind-unix $A bind-unix $W/sock
r w-symlink $A symlink file $W/sl
r w-link $A link $W/file $W/hl
r w-chmod $A chmod $W/chm 755
r w-chown $A chown $W/chn 0 0
r w-setacl $A setacl $W/acl
r w-tmpfile $A tmpfile-link $W $W/tmpfile 755
r w-truncate $A truncate $W/trunc
r w-open-trunc $A open-trunc $W/otrunc
r w-ftruncate $A ftruncate $W/ftrunc
r w-rename-dir $A rename $W/rdir $W/rdir2
r w-setgid-dir $A chmod $W/newdir 2775
INSIDE

# A bind mount of another part of the same file system: extended attributes are decided through
# every mount that reaches the file, and one that does not (this one) must not refuse them.
mkdir -p /run/wdf-bind && mount --bind "$O/sub" /run/wdf-bind
(cd "$W" && "$WARDEN" run -i test:fs --events "$E/events" -- sh "$W/inside.sh") >"$E/out" 2>"$E/err"
rc=$?
umount /run/wdf-bind
# The home directory inside the workdir (HOME below it): the protected names in it, and the
# directories on the way to them, may not be moved, removed or replaced by a symlink.
H=$(mktemp -d /root/wdf-h.XXXXXX)
mkdir -p "$H/u/.aws" "$H/keys"
echo key >"$H/u/.aws/credentials"
cat >"$H/inside.sh" <<INSIDE
r() { name=\$1; shift; echo "R \$name \$("\$@" 2>/dev/null | tail -n1)"; }
r symlink-onto-ssh $A symlink $H/keys $H/u/.ssh
r mkdir-ssh $A mkdir $H/u/.ssh
r rename-home-away $A rename $H/u $H/ux
r rmdir-home $A rmdir $H/u
r h-mkdir-config $A mkdir $H/u/.cache
r move-secret-out $A rename $H/u/.aws/credentials $H/c
r link-secret-out $A link $H/u/.aws/credentials $H/c2
r h-write-in-home $A create $H/u/notes
INSIDE
(cd "$H" && HOME=$H/u "$WARDEN" run -i test:fs --events "$E/events-home" -- sh "$H/inside.sh") \
	>>"$E/out" 2>>"$E/err"
cat "$E/events-home" >>"$E/events"
if [ -n "$cron_mounted" ]; then
	mkdir "$C" && cp /usr/bin/true "$C/payload" && echo x >"$C/file"
	cat >"$C/inside.sh" <<INSIDE
r() { name=\$1; shift; echo "R \$name \$("\$@" 2>/dev/null | tail -n1)"; }
r rename-into-cron $A rename $C/payload /etc/cron.d/evil
r symlink-cron $A symlink /tmp/x /etc/cron.d/link
r hardlink-cron $A link $C/file /etc/cron.d/hl
r cron-w-rename $A rename $C/file $C/file2
INSIDE
	(cd "$C" && "$WARDEN" run -i test:fs --events "$E/events-cron" -- sh "$C/inside.sh") >>"$E/out" 2>>"$E/err"
	cat "$E/events-cron" >>"$E/events"
fi

res() { sed -n "s/^R $1 //p" "$E/out"; }
ev() { grep -q -- "$1" "$E/events"; }
is() { # NAME EXPECTED [EVENT-PATTERN]
	local got
	got=$(res "$1")
	if [ "$got" != "$2" ]; then
		fail "$1" "sandbox saw '$got', want '$2'; $(grep -- "${3:-^$}" "$E/events" | head -3)"
	elif [ -n "${3:-}" ] && ! ev "$3"; then
		fail "$1" "no event matching '$3'; $(grep -c . "$E/events") events"
	else
		pass "$1: $2"
	fi
}

check "warden run exit status 0" "exit $rc; stderr: $(head -c 600 "$E/err")" test "$rc" = 0
if [ -n "$cron_mounted" ]; then
	is rename-into-cron errno=EACCES "DENY rename-to /etc/cron.d/evil .*hook=path_rename"
	is symlink-cron errno=EACCES "DENY symlink /etc/cron.d/link .*hook=path_symlink"
	is hardlink-cron errno=EACCES "DENY link /etc/cron.d/hl .*hook=path_link"
	is cron-w-rename ok
else
	for n in rename-into-cron symlink-cron hardlink-cron cron-w-rename; do
		skip "$n" "no tmpfs over /etc/cron.d"
	done
fi
is rename-over-bashrc errno=EACCES "DENY rename-to /root/.bashrc .*files.write deny"
is rename-out errno=EACCES "DENY rename-from $O/victim .*hook=path_rename"
is rename-dir-out errno=EACCES "DENY rename-from $O/sub "
is exchange errno=EACCES "DENY rename-to $O/victim2 "
is unlink errno=EACCES "DENY unlink $O/victim .*hook=path_unlink"
is rmdir errno=EACCES "DENY rmdir $O/dir .*hook=path_rmdir"
is mkdir errno=EACCES "DENY mkdir $O/newdir .*hook=path_mkdir"
is mkfifo errno=EACCES "DENY mknod $O/fifo .*hook=path_mknod"
is create errno=EACCES "DENY mknod $O/new .*hook=path_mknod"
is bind-unix errno=EACCES "DENY mknod $O/sock "
is chmod errno=EACCES "DENY chmod $O/victim .*hook=path_chmod"
is chown errno=EACCES "DENY chown $O/victim .*hook=path_chown"
is setacl errno=EACCES "DENY setxattr $O/victim .*hook=inode_set"
is setxattr errno=EACCES "DENY setxattr $O/victim "
is removexattr errno=EACCES "DENY removexattr $O/victim "
is truncate errno=EACCES "DENY truncate $O/victim .*hook=path_truncate"
is open-trunc errno=EACCES "DENY open-write $O/victim .*hook=file_open"
is unlink-devnull errno=EPERM "DENY confine unlink /dev/null "
is chmod-devnull errno=EPERM "DENY confine chmod /dev/null "
is setuid-chmod errno=EPERM "DENY confine setuid-or-setgid-file mode=4755 .*hook=path_chmod"
is setuid-create errno=EPERM "DENY confine setuid-or-setgid-file mode=4755 .*hook=path_mknod"
is link-outside-in errno=EACCES "DENY link $O/victim .*hook=path_link"
is tmpfile-setuid errno=EPERM "DENY confine setuid-or-setgid-file mode=4755 "
is setgid-noexec errno=EPERM "DENY confine setuid-or-setgid-file mode=2644 "
is symlink-onto-ssh errno=EACCES "DENY symlink $H/u/.ssh .*deny \${home}/.ssh/"
is mkdir-ssh errno=EACCES "DENY mkdir $H/u/.ssh "
is rename-home-away errno=EACCES "DENY rename-from $H/u "
is rmdir-home errno=EACCES "DENY rmdir $H/u "
is h-mkdir-config ok
is move-secret-out errno=EACCES "DENY rename-from $H/u/.aws/credentials .*files.read deny"
is link-secret-out errno=EPERM "DENY confine hardlink-of-protected-file .*hook=path_link"
is tmpfile-setuid-open errno=EPERM "DENY confine setuid-or-setgid-file mode=4755 .*hook=path_mknod"
is coredump-filter-own ok
is coredump-filter-other errno=EACCES "DENY open-write /proc/1/coredump_filter "
is h-write-in-home ok
deep=$(res deep)
check "a path too long to resolve is refused at PATH_MAX, not before" "$deep" \
	sh -c "echo '$deep' | grep -Eq '^(4[0-9]{3}) errno=EACCES$' && test \$(echo '$deep' | cut -d' ' -f1) -gt 4000"
check "and reported as such" "$(grep -c 'path too long' "$E/events") events" \
	ev "DENY mkdir (path too long to resolve) .*hook=path_mkdir"
for n in w-rename w-exchange w-unlink w-rmdir w-mkdir w-mkfifo w-create w-bind-unix w-symlink \
	w-link w-chmod w-chown w-setacl w-tmpfile w-truncate w-open-trunc w-ftruncate w-rename-dir \
	w-setgid-dir; do
	is "$n" ok
done
check "nothing in the workdir was denied" "$(grep "DENY.* $W/" "$E/events" | grep -v "$W/suid\|$W/file \|$W/d\{200\}" | head -3)" \
	sh -c "! grep 'DENY.* $W/' '$E/events' | grep -v ' $W/suid\| $W/file \|confine setuid\|path too long\|/ddddd' | grep -q ."
check "the first allowed change in a directory is reported" "$(grep "allow rename-from" "$E/events" | head -2)" \
	ev "allow rename-from $W/.*hook=path_rename"
check "outside files untouched" "$(cat "$O/victim" "$O/victim2" /root/.bashrc 2>&1)" \
	test "$(cat "$O/victim" "$O/victim2" /root/.bashrc)" = "victim
victim2
rc"
check "nothing landed in /etc/cron.d" "$(ls /etc/cron.d)" test "$(ls /etc/cron.d)" = work
check "the workdir's file is not setuid" "$(stat -c %a "$W/file")" test "$(stat -c %a "$W/file")" != 4755
check "no setuid or setgid file was made" "$(find "$W" -perm /6000 -type f)" test -z "$(find "$W" -perm /6000 -type f)"
check "every event names identity and sandbox" "$(grep -vc '^warden\[test:fs sb-' "$E/events")" \
	test "$(grep -vc '^warden\[test:fs sb-' "$E/events")" = 0

# --- audit mode: the change goes through and is reported as a would-be denial; confinement holds
echo victim >"$O/audit"
(cd "$W" && "$WARDEN" run -i test:fs --audit --events "$E/events-audit" -- \
	sh -c "$A unlink $O/audit > $W/audit.unlink; $A chmod $W/file 4755 > $W/audit.setuid") 2>/dev/null
check "audit: the unlink went through" "$(cat "$W/audit.unlink")" test "$(cat "$W/audit.unlink")" = ok -a ! -e "$O/audit"
check "audit: reported as AUDIT-DENY" "$(grep unlink "$E/events-audit")" \
	grep -q "AUDIT-DENY unlink $O/audit " "$E/events-audit"
check "audit: setuid still refused" "$(cat "$W/audit.setuid")" test "$(cat "$W/audit.setuid")" = errno=EPERM

rm -rf "$W" "$O" "$C" "$H"
done_testing
