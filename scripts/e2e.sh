#!/usr/bin/env bash
# End-to-end browser tests: builds `nrm`, runs `nrm demo --cases 40` on a fresh temporary
# database, and drives Debian's Chromium through the First Responder and decision maker
# journeys with playwright-core (node:test), checking every page with axe and saving a
# full-page screenshot of each under e2e/screenshots/. Needs Node 20+ and /usr/bin/chromium
# (`apt-get install -y chromium`); never skips: a missing browser fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

chromium="${E2E_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "e2e: $chromium is missing: install it with 'apt-get install -y chromium' (.ci/run does)" >&2
  exit 1
fi
command -v node >/dev/null || { echo "e2e: node (20 or later) is missing" >&2; exit 1; }
command -v npm >/dev/null || { echo "e2e: npm is missing" >&2; exit 1; }

echo "== e2e: cargo build --locked -p nrm"
cargo build --locked -p nrm
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
bin="$target/debug/nrm"

if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  echo "== e2e: npm ci"
  (cd e2e && npm ci --no-audit --no-fund)
fi

tmp="$(mktemp -d)"
server=""
cleanup() {
  status=$?
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$tmp/server.log" ]; then
    echo "== e2e: the last lines the server logged"
    tail -n 40 "$tmp/server.log"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
export NRM_DATABASE_URL="sqlite://$tmp/nrm.sqlite"
export NRM_DATA_DIR="$tmp"
export NRM_LISTEN="127.0.0.1:$port"
export RUST_BACKTRACE=0

echo "== e2e: nrm demo --cases 40 on $NRM_LISTEN"
"$bin" demo --cases 40 >"$tmp/server.log" 2>&1 &
server=$!

ready=""
for _ in $(seq 1 120); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "e2e: the server stopped before it was ready" >&2
    exit 1
  fi
  if node -e "fetch('http://127.0.0.1:$port/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    ready=1
    break
  fi
  sleep 0.5
done
[ -n "$ready" ] || { echo "e2e: the server was not ready after 60 s" >&2; exit 1; }

mkdir -p "$tmp/state"
# localhost (not 127.0.0.1): Chromium treats http://localhost as a secure context, so it keeps
# the __Host- session cookie, which is Secure.
# E2E_TESTS names test files to run instead of the whole folder (one journey while working).
tests="${E2E_TESTS:-e2e/tests/}"
echo "== e2e: node --test $tests"
NRM_BASE_URL="http://localhost:$port" NRM_BIN="$bin" E2E_STATE_DIR="$tmp/state" E2E_CHROMIUM="$chromium" \
  node --test --test-reporter=spec --test-concurrency=1 --test-timeout=300000 $tests
