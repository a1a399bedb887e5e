#!/usr/bin/env bash
# Repeats the kill -9 crash-durability test (crates/nrm/tests/crash.rs) N times on both
# backends. Each run does 3 cycles of: submit from 8 clients, SIGKILL mid-flight, restart,
# read back every acknowledged referral.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
cargo build --locked -p nrm --tests
for i in $(seq 1 "$runs"); do
  echo "== run $i of $runs"
  cargo test --locked -p nrm --test crash -- --nocapture 2>&1 | grep -E "survived|FAILED|panicked"
done
