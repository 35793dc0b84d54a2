#!/usr/bin/env bash
# vm tier: event export under full enforcement. warden refuses a policy that would let the
# sandbox write where its events are kept; a sandboxed root process cannot write the sink's
# files nor the node's sequence counter; exec, file and connect events reach the file sink with
# the process's exe, exec id and ancestry inside the sandbox.
set -u
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
WARDEN=${WARDEN:-build/warden}
PY=/usr/bin/python3
A="$PY $PWD/tests/helpers/attempt.py"
W=/tmp/wdx
OUT=/run/wdx-out # the policy below does not allow writes in /run
rm -rf "$W" "$OUT"
mkdir -p "$W"
plan 10

cat >"$W/policy.yaml" <<'EOF'
version: 1
name: vm-export
identities: ["test:*"]
exec:
  allow: [/usr/, /bin/, /lib/, /lib64/]
files:
  read:
    allow: [/]
    deny: [/etc/shadow]
  write:
    allow: [/tmp/, /dev/null]
EOF
jqt() { jq -e "$@" >/dev/null; }
config() { # FILE DIR
	cat >"$1" <<EOF
version: 1
events:
  sinks:
    - name: main
      type: file
      dir: $2
EOF
}

# --- A sink the policy lets the sandbox write: refused before anything runs ------------------
config "$W/writable.yaml" "$W/out"
out=$("$WARDEN" run -c "$W/writable.yaml" -p "$W/policy.yaml" -i test:x -- touch "$W/ran" 2>&1)
rc=$?
check "sink writable by the sandbox: exit 125" "rc=$rc: $out" [ "$rc" = 125 ]
check "the refusal names the file" "$out" grep -q "may write $W/out/main.pb" <<<"$out"
check "the command never ran" "$W/ran exists" [ ! -e "$W/ran" ]

# --- The sandbox against its own record ------------------------------------------------------
config "$W/c.yaml" "$OUT"
"$WARDEN" run -c "$W/c.yaml" -p "$W/policy.yaml" -i test:export -- sh -c "
echo \"R sink \$($A write $OUT/main.pb 2>/dev/null | tail -n1)\"
echo \"R seq \$($A write /run/warden/seq 2>/dev/null | tail -n1)\"
echo \"R trunc \$($A truncate $OUT/main.pb 2>/dev/null | tail -n1)\"
sh -c '$A read /etc/shadow; $A connect4 127.0.0.1 9' >/dev/null 2>&1
/usr/bin/true" >"$W/run.out" 2>"$W/run.err"
rc=$?
res() { sed -n "s/^R $1 //p" "$W/run.out"; }
check "run exit 0" "rc=$rc: $(tail -3 "$W/run.err")" [ "$rc" = 0 ]
check "the sandbox cannot write its sink's file (EACCES)" "got '$(res sink)'" [ "$(res sink)" = "errno=EACCES" ]
check "the sandbox cannot write the node's seq counter (EACCES)" "got '$(res seq)'" [ "$(res seq)" = "errno=EACCES" ]
check "the sandbox cannot truncate its sink's file (EACCES: the write rules)" "got '$(res trunc)'" [ "$(res trunc)" = "errno=EACCES" ]

"$WARDEN" events --json "$OUT" >"$W/ev.jsonl" 2>"$W/ev.err"
check "the denied shadow read is in the sink, with exe and exec id" "$(grep -c . "$W/ev.jsonl") events" \
	jqt -s 'any(.[]; .file_open.path == "/etc/shadow" and .decision == "DECISION_DENIED" and (.process.exe | endswith("python3") or test("python")) and (.process.exec_id | length > 0))' "$W/ev.jsonl"
check "its ancestry reaches the sandbox's shells" "$(jq -c 'select(.file_open.path == "/etc/shadow") | .process.ancestry' "$W/ev.jsonl")" \
	jqt -s 'any(.[]; .file_open.path == "/etc/shadow" and ([.process.ancestry[].comm] | index("sh")) != null)' "$W/ev.jsonl"
check "exec and connect events are in the sink" "$(jq -r '[.exec != null, .connect != null] | @tsv' "$W/ev.jsonl" | sort | uniq -c | tr '\n' ' ')" \
	jqt -s 'any(.[]; .exec.path == "/usr/bin/true") and any(.[]; .connect.port == 9 and .decision == "DECISION_DENIED")' "$W/ev.jsonl"
rm -rf "$W" "$OUT"
done_testing
