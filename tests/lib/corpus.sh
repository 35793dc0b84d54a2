#!/usr/bin/env bash
# shellcheck disable=SC2016 # step scripts are single-quoted: they expand in the job, not here
# Real jobs run unchanged (issue 15): a corpus of ordinary CI work run as a job in a sandbox on
# the EMBEDDED DEFAULT policy (no --policy), enforcing. Each step is its own TAP case; it passes
# only if its commands succeed AND no DENY or AUDIT-DENY event is attributed to it. A step whose
# tool is not installed is skipped, naming the tool.
#
# Usage: corpus.sh vm|host. vm: full enforcement (BPF LSM), as the default policy is meant to
# run. host: full enforcement where the kernel has BPF LSM, else rung 3 (Landlock, a mount
# namespace, seccomp) where `warden probe` says it enforces, else `--degraded` (network rules
# only: network denials still show). Called by tests/vm/test_corpus.sh and
# tests/host/test_corpus.sh. Environment:
#   CORPUS_ONLY=REGEX     run only the steps whose names match (the others are skipped)
#   CORPUS_SEPARATE=1     one `warden run` per step instead of one for the whole corpus
#   CORPUS_KEEP=DIR       keep each step's script, output, exit status and events in DIR
#
# One sandbox runs every step: a `warden run` costs about 10 s under the test bed's emulation,
# more than most steps (the whole corpus takes about 95 s there on an idle 2-core machine, up to
# 280 s when other VMs share it; 15 s on a host). The job marks the start of each step with a
# UDP connect to 127.7.0.(step):39998, where the driver's own UDP socket listens (bound to
# 0.0.0.0 inside the sandbox, so the default policy's "to: sandbox" allows it; every connect is
# reported, with full or degraded enforcement), and each event is attributed to the step whose
# marker came last before it in the events file. Events before the first marker or after the
# closing marker (127.7.1.0) are the job driver's own, and count against the corpus case that
# ends the plan.
#
# The job's environment is what a CI runner gives it (HOME as given); where a tool would write a
# cache or config into the home directory, which the default policy does not let a job write, the
# step points it into the workdir through the tool's own variable, as CI configurations do
# (docs/policy.md, "Tool caches in the home directory").
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/tap.sh"
cd "$here/../.." || exit 1
REPO=$PWD
WARDEN=$(realpath "${WARDEN:-build/warden}")
FIX=$REPO/tests/corpus
where=${1:-host}
# The whole test must end, with its TAP, before tests/lib/run-tests kills it.
budget=$((${WARDEN_TEST_TIMEOUT:-300} - 25))
step_timeout=150

flags=()
case $where in
vm) lsm="required (vm)" ;; # never --degraded: without BPF LSM warden refuses, and every step fails
host)
	probe=$("$WARDEN" probe --json 2>/dev/null)
	if [ "$(jq -r .verdict <<<"$probe" 2>/dev/null)" = full ]; then
		lsm=yes
	elif [ "$(jq -r '.run_rung // 0' <<<"$probe" 2>/dev/null)" = 3 ]; then
		# Rung 3 (issue 18): Landlock, a mount namespace and seccomp enforce exec and file
		# rules; their refusals are not events yet, so a step they break fails by its
		# commands, not by a DENY event.
		lsm="no, rung 3 (Landlock, mount namespace, seccomp)"
	else
		lsm=no
		flags=(--degraded)
	fi
	;;
*)
	echo "usage: corpus.sh vm|host" >&2
	exit 2
	;;
esac

# The job's working directory: a fresh `mktemp -d` under /tmp, as test runners make (the default
# policy lets a job write, and run what it builds, in its working directory wherever that is).
W=$(mktemp -d /tmp/wd-corpus.XXXXXX)
# Events go where the sandbox cannot write (warden refuses otherwise).
E=$(mktemp -d /run/wd-corpus.XXXXXX)
trap 'rm -rf "$W" "$E"' EXIT
# The "checkout": the corpus's sources, copied in before the job starts. The job's driver and its
# per-step records live in $J (created by the job itself: a file made here and rewritten there
# would be an overwrite, which is one of the things under test).
cp -R "$FIX/." "$W/"
J=$W/.corpus
mkdir "$J"

# The job runs the system's tools (the Debian packages scripts/setup installs), found on the
# system's PATH, as in the test bed: a harness PATH may put toolchains in the home directory first
# (pyenv, cargo), and the default policy refuses to run anything from there (by design,
# docs/policy.md).
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

echo "# warden $WARDEN; kernel $(uname -r); BPF LSM: $lsm; flags: ${flags[*]:-(none)}; workdir $W"

# step NAME "TOOLS" SCRIPT [VAR=VALUE...]: registers a step. SCRIPT runs under
# `bash -eu -o pipefail` in the workdir, with the extra environment given.
names=() skipped=() canary=()
step() {
	local name=$1 tools=$2 script=$3 t n=${#names[@]} why="" v
	shift 3
	if [ -n "${CORPUS_ONLY:-}" ] && ! grep -qE -- "$CORPUS_ONLY" <<<"$name"; then
		why="not selected by CORPUS_ONLY"
	fi
	for t in $tools; do
		[ -z "$why" ] || break
		PATH=$SYSPATH command -v "$t" >/dev/null 2>&1 || why="$t is not installed (scripts/setup installs it)"
	done
	names+=("$name")
	skipped+=("$why")
	canary+=("")
	{
		for v in "$@"; do printf 'export %q\n' "$v"; done
		printf '%s\n' "$script"
	} >"$J/$(printf %02d $((n + 1))).sh"
}

# canary NAME SCRIPT: a step that warden must refuse something in. It passes only if a denial is
# attributed to it, so a change that stops the pass rule from seeing denials (the event format,
# the markers) fails the corpus instead of passing every step.
canary() {
	step "$1" "" "$2"
	canary[${#canary[@]} - 1]=1
}

# Steps run in this order, the cheap ones first: if the test bed is slow enough for the corpus to
# run out of time, the steps left are reported as not run, by name.
# --- the shell idioms builds use ----------------------------------------------------------------
# A UDP connect sends nothing, refused or not: the metadata address is never sent a packet.
canary "canary: a connect to the metadata endpoint is refused, and seen" \
	'! (: >/dev/udp/169.254.169.254/53) 2>/dev/null'
step "sh: > creates a file, > overwrites it" "" \
	'echo one >out.txt && echo two >out.txt && test "$(cat out.txt)" = two'
step "sh: >> appends" "" \
	'echo one >>app.txt && echo two >>app.txt && test "$(wc -l <app.txt)" = 2'
step "sh: sed -i edits in place" "sed" \
	'printf "version=1\n" >sed.txt && sed -i "s/=1/=2/" sed.txt && grep -qx version=2 sed.txt'
step "sh: mktemp -d scratch directory" "mktemp" \
	'd=$(mktemp -d) && echo scratch >"$d/f" && test "$(cat "$d/f")" = scratch && rm -rf "$d" &&
	 f=$(mktemp) && echo x >"$f" && rm "$f"'
step "sh: tee and tee -a" "tee" \
	'echo one | tee tee.log >/dev/null && echo two | tee -a tee.log >/dev/null &&
	 test "$(wc -l <tee.log)" = 2'
step "sh: a fifo (mkfifo) between two processes" "mkfifo" \
	'mkfifo pipe && (echo through-fifo >pipe &) && test "$(cat pipe)" = through-fifo && rm pipe'
step "sh: flock on a lock file" "flock" \
	'flock build.lock true && flock build.lock true &&
	 ( flock -n 9 && echo locked ) 9>>build.lock | grep -x locked >/dev/null &&
	 ( flock 9 && ! flock -n build.lock true ) 9>>build.lock'
step "sh: tar with gzip" "tar gzip" \
	'tar -czf src.tar.gz c && mkdir -p untar-gz && tar -xzf src.tar.gz -C untar-gz &&
	 cmp c/main.c untar-gz/c/main.c'
step "sh: tar with xz" "tar xz" \
	'tar -cJf src.tar.xz c && mkdir -p untar-xz && tar -xJf src.tar.xz -C untar-xz &&
	 cmp c/main.c untar-xz/c/main.c'
step "sh: hard and symbolic links in the workdir" "ln" \
	'echo original >link.orig && ln link.orig link.hard && ln -s link.orig link.sym &&
	 ln -s c link.dir && echo more >>link.hard && test "$(cat link.sym)" = "$(printf "original\nmore")" &&
	 test -f link.dir/main.c'
step "sh: chmod +x a script, run it" "chmod" \
	'printf "#!/bin/sh\necho ran\n" >run.sh && chmod +x run.sh && test "$(./run.sh)" = ran'
step "sh: truncate -s" "truncate" \
	'truncate -s 1M sparse.bin && test "$(stat -c %s sparse.bin)" = 1048576 &&
	 truncate -s 10 sparse.bin && test "$(stat -c %s sparse.bin)" = 10'
step "sh: rm -rf a tree" "rm" \
	'mkdir -p tree/a/b/c && touch tree/a/f tree/a/b/g && ln -s a tree/l && rm -rf tree && test ! -e tree'
step "sh: cp over an existing file" "cp" \
	'echo first >cp.src && cp cp.src cp.dst && echo second >>cp.src && cp cp.src cp.dst &&
	 cmp cp.src cp.dst'
step "sh: mv within the workdir" "mv" \
	'echo moved >mv.a && mkdir -p mvdir && mv mv.a mvdir/mv.b && echo over >mv.c &&
	 mv -f mv.c mvdir/mv.b && mv mvdir mvdir2 && test "$(cat mvdir2/mv.b)" = over'

# --- servers the job starts itself --------------------------------------------------------------
step "net: a unix socket server and client" "python3" \
	'python3 - <<"PY"
import os, socket, threading
path = "srv.sock"
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.sendall(c.recv(64).upper())
    c.close()
t = threading.Thread(target=serve)
t.start()
cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
cli.connect(path)
cli.sendall(b"ping")
assert cli.recv(64) == b"PING"
t.join()
os.unlink(path)
PY'
step "net: python3 -m http.server on 127.0.0.1, curl" "python3 curl" \
	'mkdir -p www && echo served >www/index.html
	 python3 -u -m http.server 0 --bind 127.0.0.1 --directory www >http.log 2>&1 &
	 srv=$!
	 trap "kill $srv 2>/dev/null" EXIT
	 port=
	 while [ -z "$port" ] && [ $SECONDS -lt 90 ] && kill -0 $srv 2>/dev/null; do
	   sleep 0.2
	   port=$(sed -n "s/^Serving HTTP on 127.0.0.1 port \([0-9]*\).*/\1/p" http.log 2>/dev/null || true)
	 done
	 test -n "$port" || { echo "no server: $(cat http.log 2>/dev/null)" >&2; exit 1; }
	 test "$(curl -fsS --noproxy "*" -m 30 "http://127.0.0.1:$port/index.html")" = served'

step "net: its own UDP, IPv6 and abstract socket servers" "python3" \
	'python3 - <<"PY"
import socket, threading
# UDP on 127.0.0.1, as a test DNS or statsd stand-in would be.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.sendto(b"q", u.getsockname())
assert u.recvfrom(16)[0] == b"q"
# TCP on ::1 ("localhost" on many systems), reached by its address and through [::].
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t.bind(("::1", 0))
t.listen(2)
port = t.getsockname()[1]
def serve():
    for _ in range(1):
        s, _ = t.accept()
        s.sendall(b"hi")
        s.close()
th = threading.Thread(target=serve)
th.start()
k = socket.create_connection(("::1", port))
assert k.recv(8) == b"hi"
th.join()
# An abstract unix socket (no file), as language servers and test harnesses use.
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
a.bind("\0corpus-" + str(port))
a.listen(1)
b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
b.connect("\0corpus-" + str(port))
PY'

# --- C with make --------------------------------------------------------------------------------
step "c: make builds a two-file program" "make cc" \
	'cd c && make && test "$(./hello)" = "hello, corpus"'
step "c: make rebuilds after a change" "make cc sed" \
	'cd c && sed -i "s/hello, corpus/hello, again/" greet.c && make &&
	 test "$(./hello)" = "hello, again"'
step "c: make clean, then make -j2" "make cc" \
	'cd c && make clean && make -j2 && test "$(./hello)" = "hello, again"'

# --- git ----------------------------------------------------------------------------------------
# Identity and settings go to a global config file in the workdir (GIT_CONFIG_GLOBAL), as CI
# systems configure git for a job, instead of ~/.gitconfig: the home directory is not the job's.
git_env=("GIT_CONFIG_GLOBAL=$W/gitconfig")
step "git: init, add, commit" "git" \
	'git config --global user.name "CI Job" && git config --global user.email ci@example.invalid &&
	 git config --global init.defaultBranch main &&
	 git init -q repo && cd repo && echo one >a.txt && git add a.txt && git commit -qm first &&
	 echo two >>a.txt && git commit -qam second && test "$(git rev-list --count HEAD)" = 2' \
	"${git_env[@]}"
step "git: branch, commit on both, merge" "git" \
	'cd repo && git checkout -qb feature && echo b >b.txt && git add b.txt && git commit -qm b &&
	 git checkout -q main && echo c >c.txt && git add c.txt && git commit -qm c &&
	 git merge -q --no-edit feature && test -f b.txt && test "$(git rev-list --count HEAD)" = 5' \
	"${git_env[@]}"
step "git: clone from a local path" "git" \
	'git clone -q repo clone && cd clone && git log --oneline | grep "Merge branch" >/dev/null &&
	 test -z "$(git status --porcelain)"' \
	"${git_env[@]}"

# --- Python -------------------------------------------------------------------------------------
# --without-pip: ensurepip takes about 7 s natively, minutes under the test bed's emulation.
step "python: a venv, and its python runs" "python3" \
	'python3 -m venv --without-pip venv &&
	 venv/bin/python -c "import sys; assert sys.prefix != sys.base_prefix, sys.prefix"'
step "python: sqlite3 database, written twice" "python3" \
	'for n in 1 2; do python3 - "$n" <<"PY"
import sqlite3, sys
db = sqlite3.connect("corpus.db")
db.execute("create table if not exists t (n integer)")
db.execute("insert into t values (?)", (int(sys.argv[1]),))
db.commit()
assert db.execute("select count(*) from t").fetchone()[0] == int(sys.argv[1])
db.close()
PY
	 done'
step "python: overwriting files" "python3" \
	'python3 - <<"PY"
import os, shutil
for text in ("first", "second"):
    with open("py.txt", "w") as f:
        f.write(text)
assert open("py.txt").read() == "second"
with open("py.txt", "r+") as f:
    f.write("S")
shutil.copyfile("py.txt", "py2.txt")
shutil.copyfile("py.txt", "py2.txt")
with open("py.tmp", "w") as f:
    f.write("replaced")
os.replace("py.tmp", "py.txt")
assert open("py.txt").read() == "replaced"
PY'

# --- Perl ---------------------------------------------------------------------------------------
step "perl: a script writes files, perl -i edits one" "perl" \
	'perl -e '\''open(my $f, ">", "pl.txt") or die $!; print $f "alpha\nbeta\n"; close $f;
	             open($f, ">>", "pl.txt") or die $!; print $f "gamma\n"; close $f;'\'' &&
	 perl -pi -e "s/beta/BETA/" pl.txt && perl -ne "print if /BETA/" pl.txt | grep -x BETA >/dev/null'

# --- Java ---------------------------------------------------------------------------------------
step "java: javac compiles a class" "javac java" \
	'cd java && javac Hot.java && test -f Hot.class'
# PrintCompilation names what the JIT compiled: work() must be among it (tier 4 is C2). -Xbatch
# compiles in the foreground, so a busy machine cannot end the run before C2 has finished.
step "java: a hot loop is JIT-compiled" "java" \
	'cd java && java -Xbatch -XX:+PrintCompilation Hot >jit.log && grep -qx "hot true" jit.log &&
	 grep -Eq "^ +[0-9]+ +[0-9]+ +[%sbn! ]* 4 +Hot::work" jit.log'

# --- C++ with cmake and ninja -------------------------------------------------------------------
step "c++: cmake configures for ninja" "cmake ninja c++" \
	'cmake -S cmake -B cmake-build -G Ninja'
step "c++: ninja builds, then has nothing to do" "cmake ninja c++" \
	'ninja -C cmake-build && test "$(cmake-build/app)" = "built with cmake and ninja" &&
	 ninja -C cmake-build | grep "no work to do" >/dev/null'

# --- Node ---------------------------------------------------------------------------------------
# npm keeps its cache and logs in ~/.npm: pointed into the workdir (npm_config_cache), as CI
# configurations do; no update check, and nothing here needs the registry.
npm_env=("npm_config_cache=$W/.npm-cache" "npm_config_update_notifier=false"
	"npm_config_fund=false" "npm_config_audit=false")
step "node: fs.writeFileSync over an existing file" "node" \
	'node -e "
const fs = require(\"fs\");
fs.writeFileSync(\"node.txt\", \"first\");
fs.writeFileSync(\"node.txt\", \"second\");
if (fs.readFileSync(\"node.txt\", \"utf8\") !== \"second\") process.exit(1);
fs.appendFileSync(\"node.txt\", \"!\");
fs.mkdirSync(\"nodedir/a/b\", { recursive: true });
fs.renameSync(\"node.txt\", \"nodedir/a/b/node.txt\");
fs.rmSync(\"nodedir\", { recursive: true });
"'
step "npm: npm init -y" "npm node" \
	'mkdir -p pkg && cd pkg && npm init -y >/dev/null && test -f package.json' \
	"${npm_env[@]}"
step "npm: npm pack of a local package" "npm node" \
	'cd pkg && echo "module.exports = 42;" >index.js && npm pack --offline &&
	 tar -tzf pkg-1.0.0.tgz | grep -x package/index.js >/dev/null' \
	"${npm_env[@]}"

# --- running the job ----------------------------------------------------------------------------
nsteps=${#names[@]}
plan $((nsteps + 1))

# The job's driver: for each step, the marker, then the step with its own timeout, its output and
# exit status kept in the workdir. DRIVER_STEPS lists the steps one driver runs.
write_driver() { # FILE STEP...
	local f=$1 i
	shift
	{
		echo 'cd "$(dirname "$0")/.."'
		# The markers' listener: the job's own socket, as a test server of its own would be.
		echo 'python3 -c "import socket, signal, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((\"0.0.0.0\", 39998)); print(\"ready\", flush=True); signal.pause()" >.corpus/marker.ready & marker=$!'
		echo 'for _ in $(seq 200); do [ -s .corpus/marker.ready ] && break; sleep 0.1; done'
		for i in "$@"; do
			printf ': >/dev/udp/127.7.0.%d/39998\n' $((10#$i))
			printf 's=$(date +%%s.%%N); timeout -k 5 %d bash -eu -o pipefail .corpus/%s.sh >.corpus/%s.out 2>.corpus/%s.err </dev/null; echo $? >.corpus/%s.rc\n' \
				"$step_timeout" "$i" "$i" "$i" "$i"
			printf 'echo "$s $(date +%%s.%%N)" >.corpus/%s.time\n' "$i"
		done
		echo ': >/dev/udp/127.7.1.0/39998'
		echo 'kill $marker'
	} >"$f"
}

# run_sandbox EVENTS STEP...: one `warden run` of a driver for these steps; its exit status.
run_sandbox() {
	local ev=$1 left
	shift
	write_driver "$J/driver-${1}.sh" "$@"
	left=$((budget - SECONDS))
	[ "$left" -gt 10 ] || left=10
	(cd "$W" && env PATH="$SYSPATH" timeout -k 5 "$left" "$WARDEN" run -i ci:corpus "${flags[@]}" \
		--events "$ev" -- bash "$J/driver-${1}.sh") >"$E/warden-$1.out" 2>"$E/warden-$1.err" </dev/null
}

todo=()
for i in "${!names[@]}"; do
	[ -z "${skipped[$i]}" ] && todo+=("$(printf %02d $((i + 1)))")
done
job_ok=1 job_why=()
batches=()
if [ -n "${CORPUS_SEPARATE:-}" ]; then batches=("${todo[@]}"); else batches=("${todo[*]}"); fi
for b in "${batches[@]}"; do
	[ -n "$b" ] || continue
	# shellcheck disable=SC2086 # a batch is a list of step numbers
	set -- $b
	run_sandbox "$E/events-$1" "$@"
	rc=$?
	if [ "$rc" != 0 ]; then
		job_ok=0
		job_why+=("warden run for steps $* exited $rc$([ "$rc" = 124 ] && echo " (stopped: the corpus's ${budget} s were up)")")
		mapfile -t -O ${#job_why[@]} job_why < <(tail -n 5 "$E/warden-$1.err")
	fi
	# On rung 3 the job must really have been confined by it, not run degraded.
	if [[ $lsm == "no, rung 3"* ]] && ! grep -q "rung 3 enforces" "$E/warden-$1.err"; then
		job_ok=0
		job_why+=("warden run for steps $* did not say rung 3 enforces:")
		mapfile -t -O ${#job_why[@]} job_why < <(head -n 5 "$E/warden-$1.err")
	fi
	# Split the events by marker: step.NN gets the events after its marker, driver gets the rest.
	awk -v dir="$E" '
		/: [A-Za-z-]+ connect 127\.7\.[01]\.[0-9]+:39998\/udp / {
			a = $0; sub(/.*connect 127\.7\./, "", a); sub(/:.*/, "", a); split(a, q, ".")
			if ($0 ~ /: (AUDIT-)?DENY /) print >> (dir "/driver") # a refused marker: the driver
			if (q[1] == 1) { cur = dir "/driver"; next }
			if (q[2] > 0) { cur = sprintf("%s/step.%02d", dir, q[2]); print "" >> cur; next }
		}
		{ print >> (cur == "" ? dir "/driver" : cur) }
	' "$E/events-$1" 2>/dev/null
done

deny_re='^warden\[[^]]*\]: (AUDIT-)?DENY '
for i in "${!names[@]}"; do
	n=$(printf %02d $((i + 1)))
	name=${names[$i]}
	if [ -n "${skipped[$i]}" ]; then
		skip "$name" "${skipped[$i]}"
		continue
	fi
	rc=$(cat "$J/$n.rc" 2>/dev/null)
	denials=$(grep -E "$deny_re" "$E/step.$n" 2>/dev/null)
	secs=$(awk '{ printf "%.1f", $2 - $1 }' "$J/$n.time" 2>/dev/null)
	if [ ! -e "$E/step.$n" ]; then
		fail "$name" "did not run: no start marker for it in the events (the job ended before it?)"
	elif [ -n "${canary[$i]}" ]; then
		if [ "$rc" = 0 ] && grep -q 'DENY connect 169\.254\.169\.254:53/udp ' <<<"$denials"; then
			pass "$name"
		else
			fail "$name" "exit status ${rc:-unknown}; the refusal was not attributed to it: $(head -c 300 <<<"$denials")"
		fi
		continue
	elif [ "$rc" = 0 ] && [ -z "$denials" ]; then
		pass "$name"
		echo "#   ${secs} s"
		continue
	else
		why="exit status ${rc:-unknown}"
		[ "$rc" = 124 ] && why="timed out after $step_timeout s"
		fail "$name" "$why, $(grep -c . <<<"$denials" | sed 's/^0$/no/') denial(s) attributed to it, ${secs:-?} s"
	fi
	if [ -s "$J/$n.err" ]; then
		echo "# stderr (last 15 lines):"
		tail -n 15 "$J/$n.err" | sed 's/^/#   /'
	fi
	if [ -n "$denials" ]; then
		echo "# denials:"
		head -n 20 <<<"$denials" | sed 's/^/#   /'
	fi
done

# The job as a whole: warden ran it to its end, and the driver itself was denied nothing.
driver_denials=$(grep -E "$deny_re" "$E/driver" 2>/dev/null)
[ -z "$driver_denials" ] || { job_ok=0; job_why+=("denials outside every step:" "$driver_denials"); }
if [ "$job_ok" = 1 ]; then
	pass "corpus: the job ran to its end, nothing denied outside its steps"
else
	fail "corpus: the job ran to its end, nothing denied outside its steps" "${job_why[0]}"
	printf '%s\n' "${job_why[@]:1}" | sed 's/^/#   /'
fi
if [ -n "${CORPUS_KEEP:-}" ]; then
	mkdir -p "$CORPUS_KEEP" && cp -R "$J/." "$E/." "$CORPUS_KEEP/"
fi
echo "# ${#todo[@]} steps ran in ${SECONDS} s"
done_testing
