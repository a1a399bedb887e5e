#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target in fuzz/ for SECONDS each (default 600), one at a time, at the
# lowest CPU priority: not part of CI (which replays the committed corpus in
# crates/web/tests/fuzz_corpus.rs), but the nightly/pre-release run (security target #19:
# at least an hour per target nightly: `scripts/fuzz.sh 3600`).
#
# The stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly flags) and no
# sanitizer: the code is safe Rust (`unsafe_code = "forbid"`), so libFuzzer's coverage
# guidance is what matters. New inputs go to a working corpus under fuzz/target/, seeded from
# the committed fuzz/corpus/<target>/; a crash is written to fuzz/artifacts/<target>/ and
# fails the run. Add a minimised crash to fuzz/corpus/<target>/ once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
targets=(submission_body page_form rulebook next_path)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
export RUSTC_BOOTSTRAP=1

nice -n 19 cargo fuzz build --sanitizer none
for target in "${targets[@]}"; do
  work="fuzz/target/corpus/$target"
  mkdir -p "$work"
  echo "== fuzz $target for ${seconds}s"
  nice -n 19 cargo fuzz run --sanitizer none "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -dict="fuzz/dict/$target.dict"
done
