#!/usr/bin/env bash
# Runs every test mimic has: formatting, lints, and the whole workspace's tests (unit, API over real
# HTTP, end-to-end through the real binary, and the tutorials executed as written).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { echo "scripts/test.sh: '$tool' is required (see .ci/run)" >&2; exit 1; }
done

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --locked --quiet
cargo test --workspace --locked

# Real clients (az, azure-identity, msal, management SDKs, Node, Rust) in a loopback-only namespace.
bash scripts/clients.sh

# The portal in a real browser (headless Chromium + playwright-core), also loopback-only.
bash scripts/portal.sh
