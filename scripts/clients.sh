#!/usr/bin/env bash
# The real-client conformance suite (tests/clients): installs the pinned clients into a venv outside
# the clone (reused between runs), builds mimic, then runs pytest inside a fresh network namespace
# that has only loopback — so nothing a client does can leave this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MIMIC_CACHE:-$HOME/.cache/mimic}"
requirements=tests/clients/requirements.txt
stamp=$(sha256sum "$requirements" | cut -c1-16)
venv="$cache/clients-venv-$stamp"
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -r "$requirements"
fi

target="${CARGO_TARGET_DIR:-target}"
cargo build --locked -p mimic
export MIMIC_BIN
MIMIC_BIN="$(cd "$target/debug" && pwd)/mimic"

# The non-Python clients (tests/clients/node, tests/clients/rust) need the package registries, so
# they are installed and built here, before the namespace; both are cached under $cache.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "scripts/clients.sh: Node.js (node, npm; >= 20) is needed for tests/clients/test_node.py." >&2
  exit 1
fi
# npm ci into a directory keyed by package.json + package-lock.json; the tests run node with NODE_PATH.
node_stamp=$(cat tests/clients/node/package.json tests/clients/node/package-lock.json | sha256sum | cut -c1-16)
node_dir="$cache/clients-node-$node_stamp"
if [ ! -f "$node_dir/.installed" ]; then
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  cp tests/clients/node/package.json tests/clients/node/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$node_dir/.installed"
fi
export MIMIC_NODE_PATH="$node_dir/node_modules"
# The Rust client is its own Cargo project (not in the workspace), with its own lock and target dir.
rust_target="$cache/clients-rust-target"
CARGO_TARGET_DIR="$rust_target" cargo build --locked --manifest-path tests/clients/rust/Cargo.toml
export MIMIC_RUST_CLIENT="$rust_target/debug/mi-arm"
export MIMIC_RUST_KV_SECRET="$rust_target/debug/kv-secret"
# Terraform's azurerm provider, replayed from its source (test_terraform_replay.py runs each sequence).
export MIMIC_TF_REPLAY
MIMIC_TF_REPLAY=$(cargo test --locked -p mimic --test terraform_replay --no-run --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "terraform_replay" and message.get("executable"):
        print(message["executable"])')

if ! unshare --net true 2>/dev/null; then
  echo "scripts/clients.sh: cannot create a network namespace (unshare --net failed; run as root)." >&2
  echo "The client suite never runs on the host network." >&2
  exit 1
fi
export PATH="$venv/bin:$PATH"
# A full run also checks that docs/compatibility.md is what this run's results produce.
check_compat=""
if [ $# -eq 0 ] && [ -z "${MIMIC_COMPAT_OUT:-}" ]; then
  check_compat=1
  export MIMIC_COMPAT_OUT
  MIMIC_COMPAT_OUT=$(mktemp)
fi
unshare --net -- bash -c 'ip link set lo up && exec python -m pytest tests/clients -p no:cacheprovider -q "$@"' pytest "$@"
if [ -n "$check_compat" ] && ! diff -u docs/compatibility.md "$MIMIC_COMPAT_OUT"; then
  echo "scripts/clients.sh: docs/compatibility.md is out of date (diff above)." >&2
  echo "Refresh it: MIMIC_COMPAT_OUT=docs/compatibility.md bash scripts/clients.sh" >&2
  exit 1
fi
