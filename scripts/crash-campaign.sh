#!/usr/bin/env bash
# The crash campaign (issue #17, not run in CI): CYCLES kill -9 cycles per engine (default
# 200) of the crash-durability test (crates/nrm/tests/crash.rs). Each cycle starts the real
# `nrm serve`, submits referrals from 8 clients, SIGKILLs the server with requests in flight,
# restarts it on the same database and reads back every referral acknowledged in that cycle
# (the last cycle reads back every one of the campaign), checks the audit checkpoints against
# the chain, and on SQLite runs PRAGMA integrity_check at the end. Any acknowledged referral
# lost fails the run. CI runs the same test with 3 cycles per engine.
#   scripts/crash-campaign.sh [CYCLES] [sqlite|postgres|both]
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-200}"
which="${2:-both}"
export CI="${CI:-true}"
cargo build --locked -p nrm --tests
run() {
  local engine="$1"
  echo "== $engine: $cycles kill -9 cycles"
  local started=$SECONDS
  local log status=0
  log="$(mktemp)"
  NRM_CRASH_CYCLES="$cycles" cargo test --locked -p nrm --test crash -- --nocapture --exact \
    "acknowledged_submissions_survive_kill_9_on_$engine" >"$log" 2>&1 || status=$?
  grep -E "survived|lost|came back|FAILED|panicked|test result" "$log" || true
  rm -f "$log"
  echo "== $engine: $((SECONDS - started)) s, exit $status"
  return "$status"
}
case "$which" in
  sqlite|postgres) run "$which" ;;
  both) run sqlite; run postgres ;;
  *) echo "usage: $0 [CYCLES] [sqlite|postgres|both]" >&2; exit 2 ;;
esac
