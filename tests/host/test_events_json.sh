#!/usr/bin/env bash
# Host tier (root not needed): warden's JSON is JSON to a parser warden did not write, and
# `warden events --follow` follows a file sink while it is appended to and rotated. Events of
# every kind go through the real encoder into the real JSON lines sink and the real file sink
# (tests/helpers/events_writer, a test aid built next to warden by `make tests`);
# jq parses every line of both JSON formats, from the sink and from `warden events --json/--ocsf`,
# and checks the OCSF classes, and action and disposition of denials; gzip and zcat read the
# sink's rotated segments. A follower started before the sink exists must print every record
# once, in order, across rotations, and never half a record.
set -u
. "$(dirname "$0")/../lib/tap.sh"
WARDEN=${WARDEN:-build/warden}
EVENTS_WRITER=${EVENTS_WRITER:-$(dirname "$WARDEN")/tests/helpers/events_writer}
N=116 # 4 rounds of the 29 synthetic variants: 4 EVENTS_LOST events of 3 each, so seq ends at 128
TESTS=23
plan $TESTS

tmp=$(mktemp -d /tmp/wd-events-json.XXXXXX)
followers=()
cleanup() {
	for p in "${followers[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

skip_all() {
	for i in $(seq $TESTS); do skip "events-json $i" "$1"; done
	done_testing
}
command -v jq >/dev/null || skip_all "jq is not installed (scripts/setup installs it)"
"$WARDEN" events --help >"$tmp/help" 2>&1 || skip_all "'$WARDEN events' is not available: $(head -n1 "$tmp/help")"
[ -x "$EVENTS_WRITER" ] || skip_all "no $EVENTS_WRITER (make tests builds it)"

# jq parses each line of FILE on its own, and there are COUNT of them.
jq_lines() { # FILE COUNT
	local n parsed
	n=$(wc -l <"$1")
	parsed=$(jq -c . "$1" 2>/dev/null | wc -l)
	test "$n" = "$2" -a "$parsed" = "$2"
}

# Runs the commands separated by --; true if all are.
all_of() {
	local cmd=()
	for a in "$@" --; do
		if [ "$a" = -- ]; then
			"${cmd[@]}" || return 1
			cmd=()
		else
			cmd+=("$a")
		fi
	done
}

# The seqs of a warden-JSON file strictly grow (no event twice, none out of order).
seqs_grow() { # JSONL
	jq -e -s '[.[].header.seq | tonumber] | . == (unique)' "$1" >/dev/null
}

# FILE holds the same events, in the same order, as `warden events --json` reads from SOURCE.
same_events() { # FILE SOURCE
	"$WARDEN" events --json "$2" >"$1.want" 2>/dev/null
	cmp -s "$1" "$1.want"
}

# Waits up to 15 s for FILE to have at least COUNT lines.
wait_lines() { # FILE COUNT
	for _ in $(seq 150); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- the JSON lines sink, both formats
"$EVENTS_WRITER" jsonl "$tmp/sink/w.jsonl" $N warden 2>"$tmp/err"
rc=$?
check "jq parses every line the jsonl sink wrote, warden JSON ($N)" \
	"exit status $rc, $(wc -l <"$tmp/sink/w.jsonl" 2>&1) lines; $(head -c 300 "$tmp/err")" \
	jq_lines "$tmp/sink/w.jsonl" $N
last=$(tail -n1 "$tmp/sink/w.jsonl" | jq -r .header.seq)
check "and its seqs are in order, up to 128 (4 EVENTS_LOST of 3)" \
	"last $last: $(jq -c .header.seq "$tmp/sink/w.jsonl" | tr '\n' ' ' | head -c 300)" \
	all_of seqs_grow "$tmp/sink/w.jsonl" -- test "$last" = 128

"$EVENTS_WRITER" jsonl "$tmp/sink/o.jsonl" $N ocsf 2>"$tmp/err"
rc=$?
check "jq parses every line the jsonl sink wrote, OCSF ($N)" \
	"exit status $rc, $(wc -l <"$tmp/sink/o.jsonl" 2>&1) lines; $(head -c 300 "$tmp/err")" \
	jq_lines "$tmp/sink/o.jsonl" $N

got=$(jq -c 'select(.unmapped.hook == "bprm_check_security" and .unmapped.decision == "DECISION_DENIED")
	| [.class_uid, .category_uid, .activity_id, .type_uid, .action_id, .action, .disposition_id, .disposition, .process.file.path]' \
	"$tmp/sink/o.jsonl" | sort -u)
check "an exec denial is Process Activity Launch, Denied and Blocked" "got: $got" \
	test "$got" = '[1007,1,1,100701,2,"Denied",2,"Blocked","/tmp/payload"]'

got=$(jq -c 'select(.unmapped.decision == "DECISION_AUDIT_DENIED") | [.class_uid, .activity_id, .action_id, .disposition_id]' \
	"$tmp/sink/o.jsonl" | sort -u)
check "an audit denial (a UDP send) is Network Activity Traffic, Allowed and Detected" "got: $got" \
	test "$got" = '[4001,6,1,15]'

got=$(jq -c 'select(.unmapped.file_open.read) | [.class_uid, .activity_name, .action_id, .disposition_id, .file.path]' \
	"$tmp/sink/o.jsonl" | sort -u)
check "a denied read of /etc/shadow is File System Activity Read" "got: $got" \
	test "$got" = '[1001,"Read",2,2,"/etc/shadow"]'

bad=$(jq -c 'select((.class_uid | IN(0, 1001, 1005, 1007, 4001, 6002) | not)
	or .type_uid != .class_uid * 100 + .activity_id
	or .metadata.version != "1.1.0" or .metadata.product.name != "warden"
	or (.time | type) != "number"
	or ((.action_id != null) and (.unmapped.decision == null)))' "$tmp/sink/o.jsonl" | head -n3)
check "every OCSF line has a known class, type_uid = class_uid*100 + activity_id, metadata" \
	"bad lines: $bad" test -z "$bad"

got=$(jq -c 'select(.unmapped.lifecycle.kind == "EVENTS_LOST") | [.class_uid, .unmapped.lifecycle.lost_count]' \
	"$tmp/sink/o.jsonl" | sort | uniq -c | tr -s ' ')
check "EVENTS_LOST comes out in OCSF, with its count (4 of 3)" "got: $got" \
	test "$got" = ' 4 [0,"3"]'

# The escaping survives a real parser: a file name with bytes that are not UTF-8 (U+FFFD in the
# event), a newline, quotes and a tab.
got=$(jq -c 'select(.unmapped.file_open.write and (.file.path | startswith("/tmp/we")))
	| .file.path == "/tmp/we\ufffd\ufffdird\n\"name\"\ttab"' "$tmp/sink/o.jsonl" | sort -u)
check "a path with control characters and quotes comes back exactly through jq" "got: $got" \
	test "$got" = true

# --- rotation in the sink: gzip segments that zcat reads back
"$EVENTS_WRITER" jsonl "$tmp/rot/r.jsonl" $N warden 4096 2>"$tmp/err"
rc=$?
nseg=$(find "$tmp/rot" -name 'r.jsonl-*.gz' | wc -l)
gz_ok=true
for g in "$tmp"/rot/r.jsonl-*.gz; do gzip -t "$g" 2>/dev/null || gz_ok=false; done
check "the sink rotates by size into gzip segments gzip -t accepts" \
	"exit status $rc, $nseg segments, gzip -t: $gz_ok; $(head -c 200 "$tmp/err")" \
	test $rc = 0 -a "$nseg" -gt 3 -a $gz_ok = true
{
	for g in $(find "$tmp/rot" -name 'r.jsonl-*.gz' | sed 's/.*-\([0-9]*\)\.gz$/\1 &/' | sort -n | cut -d' ' -f2); do
		zcat "$g"
	done
	cat "$tmp/rot/r.jsonl"
} >"$tmp/rot.all"
strip='del(.header.boot_ns, .header.wall_ns)'
jq -c "$strip" "$tmp/rot.all" >"$tmp/rot.stripped" 2>&1
jq -c "$strip" "$tmp/sink/w.jsonl" >"$tmp/w.stripped"
check "zcat of the segments, then the file, is every line, in order" \
	"$(wc -l <"$tmp/rot.all") lines; $(diff "$tmp/rot.stripped" "$tmp/w.stripped" | head -n3)" \
	all_of jq_lines "$tmp/rot.all" $N -- cmp -s "$tmp/rot.stripped" "$tmp/w.stripped"

# --- warden events --json and --ocsf
mkdir -p "$tmp/pb"
"$EVENTS_WRITER" pb "$tmp/pb/ev.pb" $N 2>"$tmp/err"
"$WARDEN" events --json "$tmp/pb/ev.pb" >"$tmp/pb.json" 2>>"$tmp/err"
rc1=$?
"$WARDEN" events --ocsf "$tmp/pb/ev.pb" >"$tmp/pb.ocsf" 2>>"$tmp/err"
rc2=$?
check "jq parses every line of warden events --json and --ocsf ($N each)" \
	"exit status $rc1 $rc2, $(wc -l <"$tmp/pb.json") and $(wc -l <"$tmp/pb.ocsf") lines; $(head -c 300 "$tmp/err")" \
	all_of test $rc1 = 0 -a $rc2 = 0 -- jq_lines "$tmp/pb.json" $N -- jq_lines "$tmp/pb.ocsf" $N

# The sink and warden events say the same of the same events (bar the clock of lifecycle events).
check "the jsonl sink's lines are warden events --json's lines" \
	"$(diff <(jq -c "$strip" "$tmp/sink/w.jsonl") <(jq -c "$strip" "$tmp/pb.json") | head -n4)" \
	cmp -s <(jq -c "$strip" "$tmp/sink/w.jsonl") <(jq -c "$strip" "$tmp/pb.json")
ostrip='del(.time, .metadata.original_time, .unmapped.boot_ns)'
check "and its OCSF lines are warden events --ocsf's lines" \
	"$(diff <(jq -c "$ostrip" "$tmp/sink/o.jsonl") <(jq -c "$ostrip" "$tmp/pb.ocsf") | head -n4)" \
	cmp -s <(jq -c "$ostrip" "$tmp/sink/o.jsonl") <(jq -c "$ostrip" "$tmp/pb.ocsf")

want=$(jq -r 'select(.decision == "DECISION_DENIED") | .header.seq' "$tmp/pb.json" | wc -l)
got=$("$WARDEN" events --ocsf --decision denied "$tmp/pb/ev.pb" | jq -r 'select(.action_id == 2 and .disposition_id == 2) | .metadata.uid' | wc -l)
check "--ocsf --decision denied: every line is Denied and Blocked ($want)" "got $got" \
	test "$got" = "$want" -a "$want" -gt 0

"$WARDEN" events --json --ocsf "$tmp/pb/ev.pb" >/dev/null 2>"$tmp/err"
rc=$?
check "--json with --ocsf is a usage error" "exit status $rc: $(cat "$tmp/err")" \
	test $rc = 2

# --- --follow: started before the sink exists, through two writers and many rotations
mkdir -p "$tmp/f"
"$WARDEN" events --follow --json "$tmp/f" >"$tmp/follow.out" 2>"$tmp/follow.err" &
followers+=($!)
dirpid=$!
sleep 0.3
"$EVENTS_WRITER" pb "$tmp/f/ev.pb" 100 4096 2>"$tmp/err"
wait_lines "$tmp/follow.out" 100
check "--follow DIR prints the first writer's 100 events, rotated as they were" \
	"$(wc -l <"$tmp/follow.out") lines, follower stderr: $(head -c 300 "$tmp/follow.err"); $(head -c 200 "$tmp/err")" \
	same_events "$tmp/follow.out" "$tmp/f"

# A second writer continues the numbering; a file follower joins at the current segment.
cur=$("$WARDEN" events "$tmp/f/ev.pb" | wc -l)
"$WARDEN" events --follow --ocsf "$tmp/f/ev.pb" >"$tmp/follow1.out" 2>"$tmp/follow1.err" &
followers+=($!)
wait_lines "$tmp/follow1.out" "$cur"
# The directory follower is stopped while the writer rotates: it must catch up from the rotated
# segments; the file follower keeps up live.
kill -STOP "$dirpid"
"$EVENTS_WRITER" pb "$tmp/f/ev.pb" 200 4096 2>"$tmp/err"
kill -CONT "$dirpid"
wait_lines "$tmp/follow.out" 300
sleep 0.5 # anything printed twice would be there by now
check "across 2 writers and $(find "$tmp/f" -name 'ev-*.pb.gz' | wc -l) rotations: each event once, in order" \
	"$(wc -l <"$tmp/follow.out") lines, follower stderr: $(head -c 300 "$tmp/follow.err")" \
	all_of seqs_grow "$tmp/follow.out" -- same_events "$tmp/follow.out" "$tmp/f"
wait_lines "$tmp/follow1.out" $((cur + 200))
check "--follow --ocsf NAME.pb prints from the current segment on ($cur + 200 lines)" \
	"$(wc -l <"$tmp/follow1.out") lines, stderr: $(head -c 300 "$tmp/follow1.err")" \
	all_of jq_lines "$tmp/follow1.out" $((cur + 200)) -- test ! -s "$tmp/follow1.err"

# Half a record is waited for, never printed; the rest completes it.
mkdir -p "$tmp/one"
"$EVENTS_WRITER" pb "$tmp/one/x.pb" 1 2>/dev/null
size=$(stat -c %s "$tmp/one/x.pb")
head -c $((size / 2)) "$tmp/one/x.pb" >>"$tmp/f/ev.pb"
sleep 1.5 # longer than the follower's longest sleep
n_half=$(wc -l <"$tmp/follow.out")
tail -c +$((size / 2 + 1)) "$tmp/one/x.pb" >>"$tmp/f/ev.pb"
wait_lines "$tmp/follow.out" 301
last=$(tail -n1 "$tmp/follow.out" | jq -r .lifecycle.kind 2>&1)
check "half a record is not printed; once whole, it is" \
	"lines with half of it: $n_half, then $(wc -l <"$tmp/follow.out"), last: $last; stderr: $(head -c 300 "$tmp/follow.err")" \
	all_of test "$n_half" = 300 -a "$last" = SANDBOX_CREATED -a ! -s "$tmp/follow.err" -- \
	same_events "$tmp/follow.out" "$tmp/f"

check "the followers are still running" "" kill -0 "$dirpid" "${followers[1]}"

"$WARDEN" events --follow "$tmp/pb/ev.pb" "$tmp/pb/ev.pb" >/dev/null 2>"$tmp/err"
rc=$?
check "--follow with two inputs is a usage error that says what to give" "exit status $rc: $(cat "$tmp/err")" \
	grep -q 'give its directory or its current segment' "$tmp/err"

grep -q -- '--follow' "$tmp/help" && grep -q -- '--ocsf' "$tmp/help"
check "--help documents --follow and --ocsf" "$(grep -c -- '--follow\|--ocsf' "$tmp/help") mentions" \
	test $? = 0

done_testing
