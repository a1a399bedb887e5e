#!/usr/bin/env bash
# The whole test suite: every crate, every backend (SQLite always; PostgreSQL at
# NRM_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). With CI set, an
# unreachable PostgreSQL fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
