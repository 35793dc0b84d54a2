#!/usr/bin/env bash
# Host tier, rung 3: the policy's jit key. "jit: deny" is W^X by warden's seccomp filter: root in
# the sandbox cannot map anonymous executable memory, map anything writable and executable, make
# a mapping executable with mprotect or attach executable SysV shm, and each refusal is an event;
# ordinary mappings (malloc's, ld.so's of a library) work. "jit: allow" (the embedded default
# policy's) lets a JIT run: the same calls succeed and Java runs.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
WARDEN=$(realpath "${WARDEN:-build/warden}")

rung3_or_skip .rung3.seccomp "its seccomp filter"
W=$(mktemp -d /tmp/wd-jit.XXXXXX) # the job's workdir
E=$(mktemp -d /run/wd-jit.XXXXXX) # events and policies: out of the sandbox's reach
trap 'rm -rf "$W" "$E"' EXIT
plan 10

for mode in deny allow; do
	cat >"$E/$mode.yaml" <<YAML
version: 1
name: rung3-jit-$mode
identities: ["*"]
jit: $mode
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/, /sbin/]
files:
  read:
    allow: [/]
  write:
    allow: ["\${workdir}/", /tmp/, /dev/null]
YAML
done
cat >"$W/wx.py" <<'PY'
import ctypes, errno, mmap
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
R, W, X, PRIV, ANON = 1, 2, 4, 0x02, 0x20
def mm(prot, flags):
    p = libc.mmap(None, 4096, prot, flags, -1, 0)
    return "ok" if p not in (None, ctypes.c_void_p(-1).value) else errno.errorcode[ctypes.get_errno()]
print("anon-rw", mm(R | W, PRIV | ANON))
print("anon-rx", mm(R | X, PRIV | ANON))
print("anon-rwx", mm(R | W | X, PRIV | ANON))
p = libc.mmap(None, 4096, R | W, PRIV | ANON, -1, 0)
r = libc.mprotect(ctypes.c_void_p(p), 4096, R | X)
print("mprotect-rx", "ok" if r == 0 else errno.errorcode[ctypes.get_errno()])
print("library", "ok" if ctypes.CDLL("libm.so.6") else "failed")
PY
rm -f "$E/ev"
out=$(cd "$W" && "$WARDEN" run -i ci:jit --policy "$E/deny.yaml" --events "$E/ev" -- python3 wx.py 2>"$E/err")
check "jit: deny: malloc-like memory and a library load work" "$out $(tail -n3 "$E/err")" \
	bash -c 'grep -qx "anon-rw ok" <<<"$1" && grep -qx "library ok" <<<"$1"' _ "$out"
check "... anonymous executable memory refused (EPERM)" "$out" grep -qx "anon-rx EPERM" <<<"$out"
check "... writable and executable memory refused" "$out" grep -qx "anon-rwx EPERM" <<<"$out"
check "... mprotect(PROT_EXEC) refused" "$out" grep -qx "mprotect-rx EPERM" <<<"$out"
check "... each an event naming the call" "$(grep -E 'syscall (mmap|mprotect)' "$E/ev" | head -n3)" \
	bash -c 'grep -q " DENY confine syscall mmap EPERM .*hook=seccomp" "$1" && grep -q " DENY confine syscall mprotect EPERM .*hook=seccomp" "$1"' _ "$E/ev"
check "... and the report names seccomp for executable anonymous memory" "$(grep 'anonymous memory' "$E/err")" \
	grep -q "executable anonymous memory: seccomp (jit: deny, W^X" "$E/err"

out=$(cd "$W" && "$WARDEN" run -i ci:jit --policy "$E/allow.yaml" -- python3 wx.py 2>"$E/err2")
check "jit: allow: the same calls succeed" "$out $(tail -n3 "$E/err2")" \
	bash -c 'grep -qx "anon-rx ok" <<<"$1" && grep -qx "anon-rwx ok" <<<"$1" && grep -qx "mprotect-rx ok" <<<"$1"' _ "$out"
check "... and the report says the policy allows it" "$(grep 'anonymous memory' "$E/err2")" \
	grep -q "executable anonymous memory: policy allows (jit: allow)" "$E/err2"

if command -v java >/dev/null; then
	out=$(cd "$W" && "$WARDEN" run -i ci:jit --policy "$E/deny.yaml" -- java -version 2>&1)
	check "jit: deny: the JVM cannot start (it generates code)" "$(tail -n3 <<<"$out")" \
		bash -c '! grep -q "openjdk version" <<<"$1"' _ "$out"
	out=$(cd "$W" && "$WARDEN" run -i ci:jit --policy "$E/allow.yaml" -- java -version 2>&1)
	check "jit: allow: the JVM runs" "$(tail -n3 <<<"$out")" grep -q "openjdk version" <<<"$out"
else
	skip "jit: deny: the JVM cannot start" "no java here"
	skip "jit: allow: the JVM runs" "no java here"
fi
done_testing
