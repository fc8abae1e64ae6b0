#!/usr/bin/env bash
# mimic's test command. Checks everything the chosen parts need *before* any long step, installs
# what it can (as root, from Debian's packages), and otherwise says exactly what is missing and
# exits at once. CI runs it with no arguments: everything.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/test.sh [--quick | --clients | --portal] [--help]

  (no option)  everything: formatting, clippy, rustdoc, every Rust test (unit, API over real HTTP,
               end to end through the binary, the tutorials and the README walk), the real-client
               suite and the portal's browser test. About 25 minutes on 2 cores with the caches
               outside the clone warm (cargo's target dir, the client venv, npm); a first run
               also builds and installs those.
  --quick      formatting, clippy, the Rust tests and benches only (no root, no Node, no browser).
  --clients    the real-client suite only (az, azure-identity, msal, SDKs, Node and Rust clients in
               a loopback-only network namespace; root, Python 3 with venv, Node >= 20).
  --portal     the portal's browser test only (headless Chromium in a loopback-only namespace; root,
               Node >= 20, Debian's chromium).
  --help       this text.

As root it installs missing Debian packages (curl, jq, python3-venv, iproute2, util-linux, chromium)
with apt-get. It never installs Node: Debian 12's nodejs is 18, too old for the JS clients.
EOF
}

rust=1 clients=1 portal=1
case "${1:-}" in
  "") ;;
  --quick) clients=0 portal=0 ;;
  --clients) rust=0 portal=0 ;;
  --portal) rust=0 clients=0 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "scripts/test.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac
if [ "$#" -gt 1 ]; then
  echo "scripts/test.sh: one option at most" >&2
  exit 2
fi

# ---------------------------------------------------------------- preflight: nothing long before it
missing_debian=()   # Debian packages that would provide what is missing
problems=()         # what cannot be installed here, each with how to get it
root=0; [ "$(id -u)" -eq 0 ] && root=1

need_command() { # command, Debian package
  command -v "$1" >/dev/null 2>&1 || missing_debian+=("$2")
}

command -v cargo >/dev/null 2>&1 ||
  problems+=("cargo (Rust): install rustup from https://rustup.rs, then 'rustup default stable'")
need_command curl curl
need_command jq jq
need_command python3 python3
if [ "$clients" -eq 1 ]; then
  python3 -m venv --help >/dev/null 2>&1 || missing_debian+=(python3-venv)
fi
if [ "$clients" -eq 1 ] || [ "$portal" -eq 1 ]; then
  need_command ip iproute2
  need_command unshare util-linux
  [ "$root" -eq 1 ] ||
    problems+=("root: the client and portal suites run inside a network namespace of their own (unshare --net); run as root, or run 'scripts/test.sh --quick'")
  node_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
  if [ -z "$node_major" ] || ! command -v npm >/dev/null 2>&1; then
    problems+=("Node.js >= 20 with npm (none found): install Node 20 or newer (nodejs.org, NodeSource or nvm; Debian 12's nodejs 18 is too old), or run 'scripts/test.sh --quick'")
  elif [ "$node_major" -lt 20 ]; then
    problems+=("Node.js >= 20 (found $(node --version)): install Node 20 or newer (nodejs.org, NodeSource or nvm), or run 'scripts/test.sh --quick'")
  fi
fi
if [ "$portal" -eq 1 ]; then
  [ -x "${MIMIC_CHROMIUM:-/usr/bin/chromium}" ] || missing_debian+=(chromium)
fi

if [ "${#missing_debian[@]}" -gt 0 ]; then
  if [ "$root" -eq 1 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing ${missing_debian[*]} (apt-get)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debian[@]}" >/dev/null
  else
    problems+=("Debian packages ${missing_debian[*]}: as root, 'apt-get install -y ${missing_debian[*]}'")
  fi
fi
if [ "$rust" -eq 1 ] && command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
if [ "${#problems[@]}" -gt 0 ]; then
  echo "scripts/test.sh: cannot run these tests here yet; missing:" >&2
  for problem in "${problems[@]}"; do echo "  - $problem" >&2; done
  exit 1
fi

# ---------------------------------------------------------------- the tests
if [ "$rust" -eq 1 ]; then
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
  RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --locked --quiet
  cargo test --workspace --locked
  # Every bench builds, so none rots; the load bench runs briefly (bounded: about 15 s of load on
  # 127.0.0.1) against the release binary. Its figures go to the log, never into a pass/fail.
  cargo bench --workspace --locked --no-run
  # --workspace, as the build above: with `-p mimic` cargo unifies features differently and builds
  # every workspace crate a second time in release (2 minutes of CI).
  MIMIC_BENCH_SECONDS=1 MIMIC_BENCH_MANY=200 MIMIC_BENCH_SUBSCRIPTION=1000 cargo bench --workspace --locked --bench load
fi

# Real clients (az, azure-identity, msal, management SDKs, Node, Rust) in a loopback-only namespace.
if [ "$clients" -eq 1 ]; then
  bash scripts/clients.sh
fi

# The portal in a real browser (headless Chromium + playwright-core), also loopback-only.
if [ "$portal" -eq 1 ]; then
  bash scripts/portal.sh
fi
