#!/usr/bin/env bash
# vm tier: real jobs run unchanged on the embedded default policy under full BPF LSM enforcement,
# every step with zero denials (issue 15; the corpus and its conventions: tests/lib/corpus.sh).
exec "$(dirname "$0")/../lib/corpus.sh" vm
