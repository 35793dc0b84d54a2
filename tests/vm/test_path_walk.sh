#!/usr/bin/env bash
# vm tier: warden's BPF path walk against bpf_d_path on the test bed's kernel (Debian 6.1), whose
# mount and dentry layouts differ from the host's: the same generated tree and checks as the host
# tier's tests/host/test_path_walk.c, which this runs.
cd "$(dirname "$0")/../.."
bin=${WARDEN:-build/warden}
bin=$(dirname "$bin")/tests/host/test_path_walk
if [ ! -x "$bin" ]; then
	echo "1..0 # SKIP $bin is not built (make tests)"
	exit 0
fi
exec "$bin"
