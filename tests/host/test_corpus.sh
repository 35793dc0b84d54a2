#!/usr/bin/env bash
# Host tier: the corpus of ordinary CI work (tests/lib/corpus.sh) on the embedded default policy:
# full enforcement if this kernel has BPF LSM, else --degraded (network rules only), every step
# with zero denials.
exec "$(dirname "$0")/../lib/corpus.sh" host
