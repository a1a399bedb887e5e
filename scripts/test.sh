#!/usr/bin/env bash
# The whole test suite: every crate, every backend (SQLite always; PostgreSQL at
# NRM_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). With CI set, an
# unreachable PostgreSQL fails the run instead of being skipped. Ends with one summary line
# counting every test in every test binary.
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
     END { printf "Total: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
