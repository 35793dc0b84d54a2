#!/usr/bin/env bash
# Host tier: warden's event files are what docs/events.md says, checked by consumers warden did
# not write. Events of every kind go through the real encoder and file sink
# (tests/helpers/events_writer, a test aid); Google's protoc decodes every record, jq parses
# every JSON line, gzip and zcat read the rotated segments, protoc-encoded events read back through
# `warden events`, and corrupt input is reported with the file and the record.
set -u
. "$(dirname "$0")/../lib/tap.sh"
WARDEN=${WARDEN:-build/warden}
EVENTS_WRITER=${EVENTS_WRITER:-$(dirname "$WARDEN")/tests/helpers/events_writer}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROTO_I="$ROOT/proto"
PROTO="$ROOT/proto/warden/v1/event.proto"
N=116  # synthetic events: 4 rounds of the 29 variants
NROT=600
plan 23

tmp=$(mktemp -d /tmp/wd-events-pb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Splits a length-delimited file into rec00000.bin, ... in DIR; prints the count. Written from
# the framing rule (a base-128 varint length, then that many bytes), not from warden's code.
split_records() { # FILE DIR
	python3 - "$1" "$2" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
i = n = 0
while i < len(data):
    v = s = 0
    while True:
        if i >= len(data):
            sys.exit("truncated length prefix")
        b = data[i]; i += 1
        v |= (b & 0x7f) << s; s += 7
        if b < 0x80:
            break
    if i + v > len(data):
        sys.exit("truncated record %d" % n)
    open("%s/rec%05d.bin" % (sys.argv[2], n), "wb").write(data[i:i + v])
    i += v; n += 1
print(n)
EOF
}

# Frames one message read from stdin.
frame() {
	python3 -c '
import sys
m = sys.stdin.buffer.read(); n = len(m); p = b""
while n >= 0x80:
    p += bytes([n & 0x7f | 0x80]); n >>= 7
sys.stdout.buffer.write(p + bytes([n]) + m)'
}

# True when consecutive seqs grow by one, except after an EVENTS_LOST event whose range covers
# exactly the gap; the first seq is $2.
seq_ok() { # JSONL-FILE FIRST
	jq -e -s --argjson first "$2" '
		def gap: if .lifecycle.kind == "EVENTS_LOST"
			then (.lifecycle.lost_count | tonumber) + 1 else 1 end;
		(.[0].header.seq | tonumber) == $first and
		([range(1; length) as $i |
			((.[$i].header.seq | tonumber) - (.[$i - 1].header.seq | tonumber)) ==
				(.[$i] | gap) and
			(.[$i].lifecycle.kind != "EVENTS_LOST" or
				(.[$i].lifecycle.lost_first_seq | tonumber) ==
					(.[$i - 1].header.seq | tonumber) + 1)] | all)' "$1" >/dev/null
}

# The reading exited 0 and gave COUNT events in seq order.
all_in_order() { # JSONL COUNT
	test "$rc" = 0 && test "$(wc -l <"$1")" = "$2" && seq_ok "$1" 1
}

# The reading exited 1 after COUNT lines (- : any) with a message matching REGEX.
failed_with() { # COUNT REGEX
	test "$rc" = 1 && { test "$1" = - || test "$(wc -l <"$tmp/out")" = "$1"; } &&
		grep -q "$2" "$tmp/err"
}

if ! "$WARDEN" events --help >"$tmp/help" 2>&1; then
	why="'$WARDEN events' is not available: $(head -n1 "$tmp/help")"
	for i in $(seq 23); do skip "events-pb $i" "$why"; done
	done_testing
fi
if [ ! -x "$EVENTS_WRITER" ]; then
	for i in $(seq 23); do skip "events-pb $i" "no $EVENTS_WRITER (make tests builds it)"; done
	done_testing
fi
have_protoc=true
command -v protoc >/dev/null || have_protoc=false

# --- the synthetic events
mkdir -p "$tmp/one" "$tmp/recs"
check "the events writer writes $N events" "exit status $?" \
	"$EVENTS_WRITER" pb "$tmp/one/ev.pb" $N
n=$(split_records "$tmp/one/ev.pb" "$tmp/recs" 2>&1)
check "the file is $N length-delimited records" "split: $n" test "$n" = $N

if $have_protoc; then
	bad=0
	: >"$tmp/protoc_seqs"
	for r in "$tmp"/recs/rec*.bin; do
		if ! protoc --decode warden.v1.Event -I "$PROTO_I" "$PROTO" <"$r" >"${r%.bin}.txt" 2>"$tmp/protoc.err"; then
			bad=$((bad + 1))
			echo "# $(basename "$r"): $(head -n2 "$tmp/protoc.err")"
		fi
		# The header's own seq: two spaces in, under "header {".
		sed -n 's/^  seq: \([0-9]*\)$/\1/p' "${r%.bin}.txt" >>"$tmp/protoc_seqs"
	done
	check "protoc --decode decodes every record" "$bad of $N refused" test $bad = 0
	# The invalid UTF-8 of variant 4 was made valid (protoc refuses proto3 strings that are not).
	check "protoc sees U+FFFD where the path had invalid bytes" "record 4: $(grep path "$tmp/recs/rec00004.txt")" \
		grep -q 'path: "/tmp/we\\357\\277\\275\\357\\277\\275ird\\n\\"name\\"\\ttab"' "$tmp/recs/rec00004.txt"
else
	skip "protoc --decode decodes every record" "protoc not installed (package protobuf-compiler)"
	skip "protoc sees U+FFFD where the path had invalid bytes" "protoc not installed"
fi

"$WARDEN" events --json "$tmp/one/ev.pb" >"$tmp/one.jsonl" 2>"$tmp/err"
rc=$?
lines=$(wc -l <"$tmp/one.jsonl")
parsed=$(jq -c . "$tmp/one.jsonl" 2>&1 | wc -l)
check "jq parses every line of --json ($N)" "exit status $rc, $lines lines, jq parsed $parsed: $(head -c 300 "$tmp/err")" \
	test $rc = 0 -a "$lines" = $N -a "$parsed" = $N

if $have_protoc; then
	jq -r '.header.seq' "$tmp/one.jsonl" >"$tmp/json_seqs"
	check "protoc and warden agree on every record's seq" "$(diff "$tmp/protoc_seqs" "$tmp/json_seqs" | head -n4)" \
		cmp -s "$tmp/protoc_seqs" "$tmp/json_seqs"
else
	skip "protoc and warden agree on every record's seq" "protoc not installed"
fi

kinds=$(jq -r 'keys[] | select(IN("exec", "file_open", "connect", "exec_mapping", "socket_create", "confinement", "lifecycle"))' \
	"$tmp/one.jsonl" | sort -u | tr '\n' ' ')
check "every action kind is present" "kinds: $kinds" \
	test "$kinds" = "confinement connect exec exec_mapping file_open lifecycle socket_create "

check "seq gaps are exactly the EVENTS_LOST ranges" "$(jq -c '[.header.seq, .lifecycle.kind]' "$tmp/one.jsonl" | tr '\n' ' ' | head -c 400)" \
	seq_ok "$tmp/one.jsonl" 1

"$WARDEN" events "$tmp/one/ev.pb" >"$tmp/one.txt" 2>"$tmp/err"
rc=$?
check "text output: one line per event" "exit status $rc, $(wc -l <"$tmp/one.txt") lines" \
	test $rc = 0 -a "$(wc -l <"$tmp/one.txt")" = $N
check "text lines read like warden run's" "$(grep -m1 'exec /tmp/payload' "$tmp/one.txt")" \
	grep -q 'warden\[ci:selftest/api#1 sb-5e1f7e5700000001\]: DENY exec /tmp/payload pid=1002 ppid=900 uid=1000 .* hook=bprm_check_security rule=2 (selftest.yaml:2:7 rule "2")$' "$tmp/one.txt"
check "control characters in paths are escaped, not printed" "$(grep -m1 open-write "$tmp/one.txt")" \
	grep -q 'open-write /tmp/we.*ird\\x0a"name"\\x09tab pid=' "$tmp/one.txt"

# --- written by Google's protoc, read by warden
if $have_protoc; then
	protoc --encode warden.v1.Event -I "$PROTO_I" "$PROTO" >"$tmp/google.bin" 2>"$tmp/err" <<'EOF'
header { seq: 7 boot_ns: 123 wall_ns: 1700000000000000000 node: "n1" warden_version: "9.9" }
identity { name: "agent:codegen" labels { key: "k" value: "v" } }
sandbox { id: "sb-00000000000000aa" cgroup_id: 5 }
process { pid: 41 ppid: 40 uid: 1000 comm: "curl" exe: "/usr/bin/curl" ancestry { pid: 40 comm: "sh" } }
decision: DECISION_DENIED
hook: "cgroup/connect6"
rule { id: 9 text: "p.yaml:4:3 network deny 2001:db8::/32" }
connect { family: FAMILY_INET6 address: "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" address_text: "2001:db8::1" port: 443 protocol: PROTOCOL_TCP ip_protocol: 6 }
EOF
	frame <"$tmp/google.bin" >"$tmp/google.pb"
	got=$("$WARDEN" events --json - <"$tmp/google.pb" 2>&1 |
		jq -r '[.header.seq, .identity.labels.k, .process.ancestry[0].comm, .decision, .connect.address, .connect.port, .rule.id] | @tsv' 2>&1)
	check "a protoc-encoded event reads back through --json" "got: $got" \
		test "$got" = "$(printf '7\tv\tsh\tDECISION_DENIED\tIAENuAAAAAAAAAAAAAAAAQ==\t443\t9')"
	got=$("$WARDEN" events - <"$tmp/google.pb" 2>&1)
	check "and as a line" "got: $got" grep -q 'warden\[agent:codegen sb-00000000000000aa\]: DENY connect \[2001:db8::1\]:443/tcp pid=41 ppid=40 uid=1000 comm=curl exe=/usr/bin/curl hook=cgroup/connect6 rule=9 (p.yaml:4:3 network deny 2001:db8::/32)' <<<"$got"
else
	skip "a protoc-encoded event reads back through --json" "protoc not installed"
	skip "and as a line" "protoc not installed"
fi

# --- rotation: many small segments, gzip-compressed
mkdir -p "$tmp/rot"
"$EVENTS_WRITER" pb "$tmp/rot/ev.pb" $NROT 4096 2>"$tmp/err"
rc=$?
nseg=$(find "$tmp/rot" -name 'ev-*.pb.gz' | wc -l)
gz_ok=true
for g in "$tmp"/rot/ev-*.pb.gz; do gzip -t "$g" || gz_ok=false; done
check "rotation by size makes gzip segments gzip -t accepts" "exit status $rc, $nseg segments, gzip -t: $gz_ok; $(head -c 200 "$tmp/err")" \
	test $rc = 0 -a "$nseg" -gt 3 -a $gz_ok = true

# zcat alone (segments by rotation number, then the current one) gives every record back.
mkdir -p "$tmp/rotrecs"
{
	for g in $(find "$tmp/rot" -name 'ev-*.pb.gz' | sed 's/.*-\([0-9]*\)\.pb\.gz$/\1 &/' | sort -n | cut -d' ' -f2); do
		zcat "$g"
	done
	cat "$tmp/rot/ev.pb"
} >"$tmp/rot.all"
n=$(split_records "$tmp/rot.all" "$tmp/rotrecs" 2>&1)
check "zcat of the segments holds all $NROT records" "split: $n" test "$n" = $NROT

"$WARDEN" events --json "$tmp/rot" >"$tmp/rot.jsonl" 2>"$tmp/err"
rc=$?
check "warden events DIR reads every segment, oldest first, in order" \
	"exit status $rc, $(wc -l <"$tmp/rot.jsonl") events; $(head -c 200 "$tmp/err")" \
	all_in_order "$tmp/rot.jsonl" $NROT

# A restarted writer continues the numbering from the last record in the sink.
last=$(jq -r '.header.seq' "$tmp/rot.jsonl" | tail -n1)
"$EVENTS_WRITER" pb "$tmp/rot/ev.pb" 16 4096 2>"$tmp/err"
"$WARDEN" events --json "$tmp/rot" >"$tmp/rot2.jsonl" 2>>"$tmp/err"
rc=$?
check "after a restart seq continues from the sink's last record ($last)" \
	"$(wc -l <"$tmp/rot2.jsonl") events, seq $(jq -r .header.seq "$tmp/rot2.jsonl" | sed -n "$((NROT + 1))p"); $(head -c 200 "$tmp/err")" \
	all_in_order "$tmp/rot2.jsonl" $((NROT + 16))

# --- filters agree with jq
want=$(jq -r 'select(.decision == "DECISION_DENIED") | .header.seq' "$tmp/one.jsonl" | wc -l)
got=$("$WARDEN" events --decision denied "$tmp/one/ev.pb" | wc -l)
check "--decision denied selects what jq selects ($want)" "warden: $got" test "$got" = "$want" -a "$want" -gt 0
want=$(jq -r 'select(.exec or .lifecycle) | .header.seq' "$tmp/one.jsonl" | wc -l)
got=$("$WARDEN" events --kind exec --kind lifecycle --identity 'ci:*' "$tmp/one/ev.pb" | wc -l)
none=$("$WARDEN" events --identity 'agent:*' "$tmp/one/ev.pb" | wc -l)
check "--kind and --identity select what jq selects ($want)" "warden: $got, other identity: $none" \
	test "$got" = "$want" -a "$none" = 0

# --- corrupt input is reported with the file and the record
cp "$tmp/one/ev.pb" "$tmp/trunc.pb"
truncate -s -3 "$tmp/trunc.pb"
"$WARDEN" events "$tmp/trunc.pb" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a truncated last record: exit 1, file and record named" "exit status $rc, $(wc -l <"$tmp/out") lines, stderr: $(cat "$tmp/err")" \
	failed_with $((N - 1)) "trunc.pb: record $N .*truncated"

printf '\xff\xff\xff\xff\x0f' >"$tmp/huge.pb"
"$WARDEN" events "$tmp/huge.pb" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a length prefix over the limit is refused" "exit status $rc, stderr: $(cat "$tmp/err")" \
	failed_with 0 "huge.pb: record 1 .*over the limit"

g=$(find "$tmp/rot" -name 'ev-*-2.pb.gz')
cp "$g" "$tmp/bad.pb.gz"
size=$(stat -c %s "$tmp/bad.pb.gz")
printf 'XXXXXXXXXXXXXXXX' | dd of="$tmp/bad.pb.gz" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$WARDEN" events "$tmp/bad.pb.gz" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a corrupt gzip segment is reported, not crashed on" "exit status $rc, stderr: $(cat "$tmp/err")" \
	failed_with - "bad.pb.gz: record [0-9]"

check "--help has an EXAMPLES: block" "$(head -n3 "$tmp/help")" grep -q '^EXAMPLES:' "$tmp/help"

done_testing
