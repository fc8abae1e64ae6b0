#!/usr/bin/env bash
# The portal's real-browser test (tests/portal): Debian's Chromium, headless, driven by
# playwright-core (pinned in tests/portal/package-lock.json, installed with npm ci into a cache
# outside the clone). mimic and the browser both run inside a fresh network namespace that has only
# loopback, so nothing the browser does can leave this machine. Screenshots go to $MIMIC_ARTIFACTS
# (default target/portal-artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${MIMIC_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "scripts/portal.sh: Chromium is needed at $chromium (Debian: apt-get install -y chromium; .ci/run installs it)." >&2
  exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "scripts/portal.sh: Node.js (node, npm; >= 20) is needed for tests/portal." >&2
  exit 1
fi

cache="${MIMIC_CACHE:-$HOME/.cache/mimic}"
stamp=$(cat tests/portal/package.json tests/portal/package-lock.json | sha256sum | cut -c1-16)
node_dir="$cache/portal-node-$stamp"
if [ ! -f "$node_dir/.installed" ]; then
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  cp tests/portal/package.json tests/portal/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$node_dir/.installed"
fi
# ES modules ignore NODE_PATH: the test runs from a copy next to its node_modules.
test_dir=$(mktemp -d "$node_dir/run.XXXXXX")
trap 'rm -rf "$test_dir"' EXIT
cp tests/portal/portal.test.mjs "$test_dir/"

target="${CARGO_TARGET_DIR:-target}"
cargo build --locked -p mimic
export MIMIC_BIN MIMIC_ARTIFACTS MIMIC_CHROMIUM="$chromium" PORTAL_TEST="$test_dir/portal.test.mjs"
MIMIC_BIN="$(cd "$target/debug" && pwd)/mimic"
MIMIC_ARTIFACTS="${MIMIC_ARTIFACTS:-$PWD/target/portal-artifacts}"
mkdir -p "$MIMIC_ARTIFACTS"

if ! unshare --net true 2>/dev/null; then
  echo "scripts/portal.sh: cannot create a network namespace (unshare --net failed; run as root)." >&2
  echo "The portal test never runs on the host network." >&2
  exit 1
fi
# Inside the namespace: loopback up, `mimic up` on ephemeral ports in a temp data dir, the test, stop.
unshare --net -- bash -c '
  set -euo pipefail
  ip link set lo up
  data=$(mktemp -d)
  RUST_LOG=warn "$MIMIC_BIN" --data-dir "$data" up --arm-addr 127.0.0.1:0 --aad-addr 127.0.0.1:0 \
    >"$data/mimic.log" 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf \"$data\"" EXIT
  for _ in $(seq 600); do
    [ -f "$data/endpoints.json" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "mimic up exited:" >&2; cat "$data/mimic.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -f "$data/endpoints.json" ] || { echo "mimic up did not start in 60 s:" >&2; cat "$data/mimic.log" >&2; exit 1; }
  status=0
  MIMIC_DATA_DIR="$data" NODE_EXTRA_CA_CERTS="$data/ca.pem" node "$PORTAL_TEST" || status=$?
  [ "$status" -eq 0 ] || { echo "--- mimic log (tail) ---" >&2; tail -n 40 "$data/mimic.log" >&2; }
  exit "$status"
'
