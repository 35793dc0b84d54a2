#!/usr/bin/env bash
# The layers of user/ (README.md, "Layout"): a folder may include its own headers and those of
# folders in lower layers, never a folder in its own layer or above. One TAP case per folder;
# each failure names the file, the line and the include that goes up. Then: only main.c at the
# top of user/, and every unit test named after the module it tests.
#
# Layer 0  lib        no warden concepts: YAML, JSON, UTF-8, durations, cgroup2 and mount tables
# Layer 1  hooks      the one table of LSM hooks: ids, names, events, what the probe checks
#          pb         protobuf wire, event-agnostic
#          policy     YAML -> policy model -> map entries (pure)
#          ctl        the control socket's protocol, server and client
#          metrics    Prometheus exposition and its HTTP server
# Layer 2  event      kernel record -> warden.v1.Event, and back to people
# Layer 3  enforce    the userspace side of bpf/: load, attach, pin, probe, maps
#          export     where events go: pipeline and sinks
#          state      the daemon's SQLite store
# Layer 4  config     /etc/warden/config.yaml (names sinks, so above export)
# Layer 5  sandbox    one sandbox's life, shared by `warden run` and the daemon
# Layer 6  daemon     the host agent
# Layer 7  cli        every `warden <verb>`
# user/main.c sits on top and may include anything.
set -u
cd "$(dirname "$0")/../.."

declare -A layer=(
	[lib]=0
	[hooks]=1
	[pb]=1 [policy]=1 [ctl]=1 [metrics]=1
	[event]=2
	[enforce]=3 [export]=3 [state]=3
	[config]=4
	[sandbox]=5
	[daemon]=6
	[cli]=7
)

folders=$(find user -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
n=$(($(wc -w <<<"$folders") + 2))
echo "1..$n"
i=0
bad_all=0
for d in $folders; do
	i=$((i + 1))
	if [ -z "${layer[$d]+x}" ]; then
		echo "not ok $i - user/$d has no layer: add it to tests/unit/test_layers.sh and README.md"
		bad_all=1
		continue
	fi
	mine=${layer[$d]}
	bad=0
	while IFS=: read -r file line inc; do
		dep=${inc%%/*}
		[ "$dep" = "$d" ] && continue
		[ -z "${layer[$dep]+x}" ] && continue # include/warden/, generated skeletons and protobuf
		if [ "${layer[$dep]}" -ge "$mine" ]; then
			echo "# $file:$line: includes \"$inc\": $dep (layer ${layer[$dep]}) is not below $d (layer $mine)"
			bad=1
		fi
	done < <(grep -Hn '^#include "' user/"$d"/*.[ch] | sed -E 's/^([^:]*):([0-9]*):#include "([^"]*)".*/\1:\2:\3/')
	if [ $bad = 0 ]; then
		echo "ok $i - user/$d (layer $mine) includes only lower layers"
	else
		echo "not ok $i - user/$d (layer $mine) includes a layer at or above its own"
		bad_all=1
	fi
done
# Every source file lives in a folder; only main.c stays at the top.
i=$((i + 1))
stray=$(find user -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) ! -name main.c | sort)
if [ -z "$stray" ]; then
	echo "ok $i - user/ holds only main.c and folders"
else
	echo "not ok $i - files outside a layer folder: $(echo $stray)"
	bad_all=1
fi
# Tests mirror the tree: tests/unit/test_F_x.c tests user/F/x.c (or x.h), test_F.c the folder F.
# The few that test something outside user/ say what, here.
declare -A outside=(
	[bpf_names]="the program names of bpf/'s objects"
	[glob]="include/warden/glob.h, the matcher the kernel and the daemon share"
	[format_equiv]="every sink format of export/ against the formatters of before"
)
i=$((i + 1))
misnamed=
for t in tests/unit/test_*.c; do
	n=$(basename "$t" .c)
	n=${n#test_}
	[ -d "user/$n" ] && continue
	[ -n "${outside[$n]+x}" ] && continue
	f=${n%%_*} m=${n#*_}
	[ "$f" != "$n" ] && { [ -e "user/$f/$m.c" ] || [ -e "user/$f/$m.h" ]; } && continue
	misnamed="$misnamed $t"
done
if [ -z "$misnamed" ]; then
	echo "ok $i - every unit test is named after the module it tests"
else
	echo "not ok $i - not named after a module (user/F/x.c is tested by test_F_x.c):$misnamed"
	bad_all=1
fi
exit $bad_all
