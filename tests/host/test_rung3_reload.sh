#!/usr/bin/env bash
# Host tier, rung 3: SIGHUP to `warden run`. Landlock, the mounts and the seccomp filter are fixed
# when the command starts, so a reload is taken only when the new policy confines alike (its
# confinement digest, policy/digest.c, is unchanged): a change of network addresses switches the
# running sandbox at once (its network rules are maps); a change of file rules is refused, saying
# why, and the sandbox keeps running the policy it started with.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

rung3_or_skip
W=$(mktemp -d /tmp/wd-r3hup.XXXXXX) # the job's workdir
E=$(mktemp -d /run/wd-r3hup.XXXXXX) # the policy: out of the sandbox's reach
lpid= job=
trap '[ -n "$lpid" ] && kill -9 $lpid; [ -n "$job" ] && kill -9 $job; wait 2>/dev/null; rm -rf "$W" "$E"' EXIT
plan 6

PORT=$((20000 + $$ % 20000))
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(64)
while True: s.accept()[0].close()" &
lpid=$!
cat >"$E/p.yaml" <<'EOF'
version: 1
name: hup
identities: ["ci:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/]
files:
  read:
    allow: [/]
    deny: [/etc/shadow]
  write:
    allow: ["${workdir}/", /dev/null]
network:
  allow:
    - to: 127.0.0.1
EOF
CONN="import socket; print(socket.socket().connect_ex(('127.0.0.1', $PORT)))"
# step N: the job's Nth connect (or read) once go<N-1> exists, then ready<N>.
(cd "$W" && exec "$WARDEN" run -i ci:hup --policy "$E/p.yaml" -- sh -c "
	python3 -c \"$CONN\" >c1; touch ready1
	while [ ! -e go1 ]; do sleep 0.05; done; python3 -c \"$CONN\" >c2; touch ready2
	while [ ! -e go2 ]; do sleep 0.05; done; cat /etc/hostname >c3 2>&1; touch ready3" \
	>/dev/null 2>"$E/err") &
job=$!
wait_for() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }
wait_for "$W/ready1"
check "the job connects to the node's listener the policy allows" "c1=$(cat "$W/c1" 2>&1) $(tail -n3 "$E/err")" \
	test "$(cat "$W/c1" 2>/dev/null)" = 0

sed -i 's/    - to: 127.0.0.1/    - to: 10.9.9.9/' "$E/p.yaml"
kill -HUP $job
for _ in $(seq 100); do grep -q "policy reloaded\|reload refused" "$E/err" && break; sleep 0.05; done
check "a reload changing network addresses only is taken on rung 3" "$(grep -i reload "$E/err")" \
	grep -q "policy reloaded" "$E/err"
touch "$W/go1"
wait_for "$W/ready2"
check "... and the running job meets it at its next connect (refused)" "c2=$(cat "$W/c2" 2>&1)" \
	bash -c '[ "$(cat "$1")" != 0 ]' _ "$W/c2"

sed -i 's|    deny: \[/etc/shadow\]|    deny: [/etc/shadow, /etc/hostname]|' "$E/p.yaml"
kill -HUP $job
for _ in $(seq 100); do grep -q "reload refused" "$E/err" && break; sleep 0.05; done
check "a reload changing file rules is refused, saying why" "$(grep -i reload "$E/err")" \
	grep -q "policy reload refused: on rung 3 the exec, file and socket rules .*the new policy changes them" "$E/err"
touch "$W/go2"
wait_for "$W/ready3"
check "... and the job runs the policy it started with (/etc/hostname readable)" "c3=$(cat "$W/c3" 2>&1)" \
	test "$(cat "$W/c3" 2>/dev/null)" = "$(cat /etc/hostname)"
wait $job
rc=$?
job=
check "the job ends normally" "rc $rc: $(tail -n3 "$E/err")" test "$rc" = 0
done_testing
