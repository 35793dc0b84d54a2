#!/usr/bin/env bash
# Host tier: `warden run` exports its events through the sinks of its config file. An invalid
# config or a sink that cannot open stops it before anything runs; the file sink holds every
# event as Google's protoc decodes it, numbered without gaps, with lifecycle events; a ring
# buffer forced to overflow (warden stopped while the sandbox keeps producing) is accounted
# exactly: events delivered plus events reported lost equal events produced; two warden
# processes share the node's sequence counter. An installed warden (a running daemon counting
# on the node's counter in /run/warden) is hidden: the counter is these runs' alone.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
cd "$(dirname "$0")/../.."
ROOT=$PWD
WARDEN=${WARDEN:-build/warden}
PY=/usr/bin/python3
W=$(mktemp -d /tmp/wd-export.XXXXXX)
trap 'rm -rf "$W"' EXIT
plan 19

if [ "$(id -u)" != 0 ]; then
	for _ in $(seq 19); do skip "export" "needs root (cgroups and BPF)"; done
	exit 0
fi
if "$WARDEN" probe --json 2>/dev/null | jq -e '.features[] | select(.name == "bpf_lsm") | .available' >/dev/null; then
	mode=()
else
	# The export path is what is under test, on the network rules alone: rung 3 is taken away
	# (it would refuse these sinks in /tmp, which its write rules let the sandbox reach, as BPF
	# LSM does; tests/host/test_rung3.sh covers rung 3).
	mode=(--degraded)
	export WARDEN_DISABLE=landlock
fi

jqt() { jq -e "$@" >/dev/null; }

# Writes a config with one file sink NAME in DIR.
config() { # FILE NAME DIR [EXTRA-YAML]
	cat >"$1" <<EOF
version: 1
node: test-node
events:
  sinks:
    - name: $2
      type: file
      dir: $3
${4:-}
EOF
}

# Whether the node seqs of a JSON-lines file grow by exactly one, except where an EVENTS_LOST
# event names the gap (its range, then its own number). In Python: seqs are 64-bit, beyond
# what jq's doubles hold exactly.
seq_ok() { # JSONL
	python3 - "$1" <<'EOF'
import json, sys
prev = None
for n, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    s = int(e["header"]["seq"])
    lc = e.get("lifecycle") or {}
    if prev is not None:
        want = prev + 1
        if lc.get("kind") == "EVENTS_LOST" and not lc.get("sink"):
            if int(lc["lost_first_seq"]) != want:
                sys.exit("line %d: lost range starts at %s, expected %d" % (n, lc["lost_first_seq"], want))
            want = int(lc["lost_last_seq"]) + 1
        if s != want:
            sys.exit("line %d: seq %d, expected %d" % (n, s, want))
    prev = s
EOF
}

# The events of a sink directory as JSON lines.
events_json() { "$WARDEN" events --json "$1"; }

# --- An invalid config: file:line:column, exit 125, the command never runs ---------------------
cat >"$W/bad.yaml" <<'EOF'
version: 1
events:
  sinks:
    - name: main
      type: file
      dri: /tmp/x
EOF
out=$("$WARDEN" run "${mode[@]}" -c "$W/bad.yaml" -i test:export -- touch "$W/ran" 2>&1)
rc=$?
check "invalid config: exit 125" "rc=$rc: $out" [ "$rc" = 125 ]
check "invalid config: file:line:column and a suggestion" "$out" \
	grep -q "$W/bad.yaml:6:7: unknown key \"dri\".*did you mean \"dir\"" <<<"$out"
check "invalid config: the command never ran" "$W/ran exists" [ ! -e "$W/ran" ]

# --- A sink that cannot open: exit 125, nothing runs -------------------------------------------
: >"$W/not-a-dir"
config "$W/unopenable.yaml" main "$W/not-a-dir/sub"
out=$("$WARDEN" run "${mode[@]}" -c "$W/unopenable.yaml" -i test:export -- touch "$W/ran" 2>&1)
rc=$?
check "unopenable sink: exit 125 naming the sink" "rc=$rc: $out" \
	sh -c '[ "$1" = 125 ] && printf %s "$2" | grep -q "sink main"' _ "$rc" "$out"
check "unopenable sink: the command never ran" "$W/ran exists" [ ! -e "$W/ran" ]

# --- The file sink through warden run ---------------------------------------------------------
N=40
config "$W/c1.yaml" main "$W/out1"
out=$("$WARDEN" run "${mode[@]}" -c "$W/c1.yaml" -i test:export -l repo=acme/api -l job=7 -- \
	$PY -c "
import socket
for i in range($N):
    s = socket.socket(); s.settimeout(0.5)
    s.connect_ex(('10.255.0.1', 80 + i)); s.close()" 2>&1)
rc=$?
check "warden run with a file sink: exit 0" "rc=$rc: $out" [ "$rc" = 0 ]
events_json "$W/out1" >"$W/e1.jsonl" 2>"$W/e1.err"
check "every record decodes (warden events)" "$(cat "$W/e1.err")" [ -s "$W/e1.jsonl" ] 

# protoc, which warden did not write, decodes every record.
python3 - "$W/out1/main.pb" "$W/rec" <<'EOF'
import os, sys
data = open(sys.argv[1], "rb").read(); os.makedirs(sys.argv[2])
i = n = 0
while i < len(data):
    v = s = 0
    while True:
        b = data[i]; i += 1; v |= (b & 0x7f) << s; s += 7
        if b < 0x80: break
    open("%s/%05d.bin" % (sys.argv[2], n), "wb").write(data[i:i + v]); i += v; n += 1
EOF
bad=0
for f in "$W"/rec/*.bin; do
	protoc -I"$ROOT/proto" --decode warden.v1.Event "$ROOT/proto/warden/v1/event.proto" <"$f" >/dev/null 2>&1 || bad=$((bad + 1))
done
check "protoc --decode warden.v1.Event reads every record" "$bad records failed" [ "$bad" = 0 ]
n_conn=$(jq -s '[.[] | select(.connect)] | length' "$W/e1.jsonl")
check "one connect event per attempt ($N)" "got $n_conn" [ "$n_conn" = "$N" ]
check "node seq: consecutive, no gaps" "$(jq -c '.header.seq' "$W/e1.jsonl" | tr '\n' ' ')" \
	seq_ok "$W/e1.jsonl"
check "sandbox seq: 1, 2, 3, ..." "$(jq -c '.header.sandbox_seq' "$W/e1.jsonl" | tr '\n' ' ')" \
	jqt -s '[.[].header.sandbox_seq | tonumber] == [range(1; length + 1)]' "$W/e1.jsonl"
check "lifecycle: created, policy applied, ..., ended with the exit status" \
	"$(jq -c '.lifecycle // empty' "$W/e1.jsonl")" \
	jqt -s '[.[] | .lifecycle.kind // empty] as $k | $k[0] == "SANDBOX_CREATED" and $k[1] == "POLICY_APPLIED" and $k[-1] == "SANDBOX_ENDED" and (.[-1].lifecycle.detail == "exit status 0")' "$W/e1.jsonl"
check "identity, labels, node, sandbox in every event" "$(head -1 "$W/e1.jsonl")" \
	jqt -s 'all(.identity.name == "test:export" and .identity.labels.repo == "acme/api" and .identity.labels.job == "7" and .header.node == "test-node" and (.sandbox.id | startswith("sb-")))' "$W/e1.jsonl"

# --- Forced overflow: exact accounting ---------------------------------------------------------
# warden is stopped (SIGSTOP, from outside the sandbox) while the sandbox makes P denied
# connects, each of which the kernel reports; the 32 MiB ring buffer holds about 320,000 of the
# cgroup hooks' short records (55,000 full ones, where BPF LSM reports them).
P=400000
config "$W/c2.yaml" main "$W/out2"
"$WARDEN" run "${mode[@]}" -c "$W/c2.yaml" -i test:overflow -- $PY -c "
import os, socket, time
open('$W/ready', 'w').close()
while not os.path.exists('$W/go'): time.sleep(0.01)
n = 0
for i in range($P):
    s = socket.socket()
    n += s.connect_ex(('10.255.0.2', 9)) != 0
    s.close()
open('$W/done', 'w').write(str(n))" >"$W/ov.out" 2>&1 &
wpid=$!
for _ in $(seq 200); do [ -e "$W/ready" ] && break; sleep 0.05; done
kill -STOP "$wpid"
touch "$W/go"
for _ in $(seq 1200); do [ -s "$W/done" ] && break; sleep 0.05; done
kill -CONT "$wpid"
wait "$wpid"
rc=$?
check "overflow run: exit 0, all $P attempts refused" "rc=$rc, refused $(cat "$W/done" 2>/dev/null)" \
	[ "$rc" = 0 ] && [ "$(cat "$W/done" 2>/dev/null)" = "$P" ]
events_json "$W/out2" >"$W/e2.jsonl"
delivered=$(jq -s '[.[] | select(.connect)] | length' "$W/e2.jsonl")
lost=$(jq -s '[.[] | select(.lifecycle.kind == "EVENTS_LOST") | .lifecycle.lost_count | tonumber] | add // 0' "$W/e2.jsonl")
check "the overflow really lost events" "delivered $delivered, lost $lost" [ "$lost" -gt 0 ]
check "delivered + reported lost = produced ($delivered + $lost = $P)" "$(grep -i lost "$W/ov.out" | head -3)" \
	[ $((delivered + lost)) = "$P" ]
# Every gap in seq is exactly the range an EVENTS_LOST event names.
check "seq gaps are exactly the reported ranges" "$(jq -c 'select(.lifecycle.kind == "EVENTS_LOST") | .lifecycle' "$W/e2.jsonl" | head -3)" \
	seq_ok "$W/e2.jsonl"

# --- Two warden processes, one node counter ----------------------------------------------------
config "$W/c3.yaml" a "$W/out3"
config "$W/c4.yaml" b "$W/out4"
conn="import socket
for i in range(200):
    s = socket.socket(); s.connect_ex(('10.255.0.3', 9)); s.close()"
"$WARDEN" run "${mode[@]}" -c "$W/c3.yaml" -i test:a -- $PY -c "$conn" >/dev/null 2>&1 &
p1=$!
"$WARDEN" run "${mode[@]}" -c "$W/c4.yaml" -i test:b -- $PY -c "$conn" >/dev/null 2>&1 &
p2=$!
wait $p1 $p2
events_json "$W/out3" | jq -r '.header.seq' >"$W/s3"
events_json "$W/out4" | jq -r '.header.seq' >"$W/s4"
check "two processes: each one's seqs grow" "" sh -c 'sort -n -c "$1" && sort -n -c "$2"' _ "$W/s3" "$W/s4"
dups=$(sort "$W/s3" "$W/s4" | uniq -d | wc -l)
check "two processes: no seq used twice ($(wc -l <"$W/s3") + $(wc -l <"$W/s4") events)" "$dups duplicates" [ "$dups" = 0 ]
done_testing
