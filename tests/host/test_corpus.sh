#!/usr/bin/env bash
# Host tier: the corpus of ordinary CI work (tests/lib/corpus.sh) on the embedded default policy:
# full enforcement if this kernel has BPF LSM, else rung 3 (Landlock, a mount namespace, seccomp)
# where the probe claims it, else --degraded (network rules only); every step with zero denials.
# An installed warden (its config, a running daemon) is hidden: the job's `warden run` is local
# and alone, as in the other run tests.
set -u
. "$(dirname "$0")/../lib/tap.sh"
own_mounts "$@"
hide_installed || { echo "Bail out! cannot hide an installed warden's files"; exit 1; }
exec "$(dirname "$0")/../lib/corpus.sh" host
