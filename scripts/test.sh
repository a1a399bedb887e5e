#!/usr/bin/env bash
# The whole test suite: every crate, every backend (SQLite always; PostgreSQL at
# NRM_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). With CI set, an
# unreachable PostgreSQL fails the run instead of being skipped. Then the end-to-end browser
# tests (scripts/e2e.sh: Chromium against `nrm demo`; a missing browser fails, never skips).
# Ends with one summary line counting every test in every test binary and every browser test.
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
e2e_log="$(mktemp)"
trap 'rm -f "$log" "$e2e_log"' EXIT
cargo test --workspace --locked --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "== end-to-end browser tests (scripts/e2e.sh)"
bash scripts/e2e.sh 2>&1 | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
  status=$e2e_status
fi
awk -v e2e_status="$e2e_status" '
     FILENAME == ARGV[1] && /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
     FILENAME == ARGV[2] && $1 == "ℹ" && $2 == "pass" && $3 ~ /^[0-9]+$/ { p += $3 }
     FILENAME == ARGV[2] && $1 == "ℹ" && $2 == "fail" && $3 ~ /^[0-9]+$/ { f += $3; e2e_failed += $3 }
     END {
       # The browser tests did not run, or failed without a count (build, browser, server): one failure.
       if (e2e_status != 0 && e2e_failed == 0) f += 1
       printf "Total: %d passed, %d failed\n", p, f
     }' "$log" "$e2e_log"
exit "$status"
