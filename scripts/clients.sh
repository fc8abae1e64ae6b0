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

if ! unshare --net true 2>/dev/null; then
  echo "scripts/clients.sh: cannot create a network namespace (unshare --net failed; run as root)." >&2
  echo "The client suite never runs on the host network." >&2
  exit 1
fi
export PATH="$venv/bin:$PATH"
exec unshare --net -- bash -c 'ip link set lo up && exec python -m pytest tests/clients -p no:cacheprovider -q "$@"' pytest "$@"
