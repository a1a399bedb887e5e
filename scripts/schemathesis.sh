#!/usr/bin/env bash
# API robustness: schemathesis (pinned, from PyPI, in a venv under the cargo target dir) against
# the OpenAPI document the built `nrm` serves, on a fresh SQLite database with the demo
# accounts, once per kind of caller:
#   - a First Responder organisation's API token (submissions),
#   - a signed-in CA manager (work queue, cases, decisions, lifecycle actions, sweep),
#   - a signed-in administrator (organisations and accounts).
# Checks: no 5xx (not_a_server_error), and every response's status, content type and body
# match the document (status_code_conformance, content_type_conformance,
# response_schema_conformance). Any failure fails the script. Bounded in time: the examples
# per operation (SCHEMATHESIS_EXAMPLES, default 100) and a hard timeout per caller
# (SCHEMATHESIS_SECONDS, default 240).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

version="4.32.5"
examples="${SCHEMATHESIS_EXAMPLES:-100}"
seconds="${SCHEMATHESIS_SECONDS:-240}"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac

venv="$target/schemathesis/venv"
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$version"; then
  echo "== schemathesis: pip install schemathesis==$version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

echo "== schemathesis: cargo build --locked -p nrm"
cargo build --locked -p nrm
bin="$target/debug/nrm"

tmp="$(mktemp -d)"
server=""
cleanup() {
  status=$?
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$tmp/server.log" ]; then
    echo "== schemathesis: the last lines the server logged"
    tail -n 40 "$tmp/server.log"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
export NRM_DATABASE_URL="sqlite://$tmp/nrm.sqlite"
export NRM_DATA_DIR="$tmp"
export NRM_LISTEN="127.0.0.1:$port"
export NRM_LOG="warn"
export RUST_BACKTRACE=0

echo "== schemathesis: demo accounts and 20 cases on a fresh database"
"$bin" demo --cases 20 --no-serve >"$tmp/demo.log" 2>&1
"$bin" serve >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  kill -0 "$server" 2>/dev/null || { echo "schemathesis: the server stopped before it was ready" >&2; exit 1; }
  if python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('$base/ready').status == 200 else 1)" 2>/dev/null; then
    break
  fi
  sleep 0.5
done

# The First Responder organisation's API token (the demo's police force).
organisation="$("$bin" org list | awk '$2 == "first_responder_organisation" { print $1; exit }')"
token="$("$bin" token create --organisation "$organisation" --name schemathesis \
  --scopes submit_referral,submit_duty_to_notify | tail -n 1)"

# A session for a demo account: the password is the demo's, the code from `nrm user code`.
sign_in() {
  local email="$1" code cookie
  code="$("$bin" user code --email "$email" | tail -n 1)"
  cookie="$(python3 - "$base" "$email" "$code" <<'PY'
import json, sys, urllib.request
base, email, code = sys.argv[1:4]
body = json.dumps({"email": email, "password": "demo passphrase 2026", "code": code}).encode()
request = urllib.request.Request(f"{base}/api/v1/sign-in", body, {"content-type": "application/json"})
with urllib.request.urlopen(request) as response:
    for header in response.headers.get_all("set-cookie") or []:
        name_value = header.split(";", 1)[0]
        if name_value.startswith("__Host-nrm-session="):
            print(name_value)
PY
)"
  [ -n "$cookie" ] || { echo "schemathesis: could not sign in as $email" >&2; exit 1; }
  echo "$cookie"
}
manager="$(sign_in ca.manager@demo.invalid)"
administrator="$(sign_in administrator@demo.invalid)"

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
failed=0
run() {
  local who="$1"
  shift
  echo "== schemathesis as $who: $examples examples per operation, at most $seconds s"
  # Signing out or changing the password would end the caller's own session mid-run. The
  # legacy import's body is JSON Lines (application/x-ndjson), which schemathesis cannot
  # generate; crates/web/tests/legacy_import.rs covers it on both engines.
  # From the temporary directory: schemathesis keeps a cache in the working directory.
  (cd "$tmp" && timeout --signal=INT "$seconds" "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
    --checks "$checks" --max-examples "$examples" --phases examples,coverage,fuzzing \
    --seed 20261201 --workers 1 --no-color --generation-database none \
    --exclude-path /api/v1/sign-out --exclude-path /api/v1/me/password \
    --exclude-path /api/v1/legacy-import \
    "$@") || failed=1
}
run "a First Responder's API token" -H "Authorization: Bearer $token" --include-tag submissions
# Sign-in (and its throttle's 429) is exercised in this run too.
run "a CA manager" -H "Cookie: $manager" --exclude-tag submissions --exclude-tag administration
run "an administrator" -H "Cookie: $administrator" --include-tag administration

if [ "$failed" -ne 0 ]; then
  echo "schemathesis: failures above" >&2
  exit 1
fi
echo "schemathesis: no server errors and no schema violations"
