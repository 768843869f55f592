#!/usr/bin/env bash
# Install axe-core (Deque's accessibility rules engine) from the npm registry into .cache/axe, for
# the accessibility browser tests (tests/test_accessibility.py). Git-ignored; idempotent: does
# nothing when axe.min.js is already there. Called by `make browser` / `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.cache/axe"
AXE="$PREFIX/node_modules/axe-core/axe.min.js"

if [ -f "$AXE" ]; then
    echo "axe-core present: $AXE"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is missing; install Debian's npm (apt-get install -y npm) to fetch axe-core." >&2
    exit 1
fi
mkdir -p "$PREFIX"
echo "installing axe-core@4 from the npm registry into $PREFIX ..."
npm install --no-save --no-audit --no-fund --prefix "$PREFIX" "axe-core@4" >/dev/null
test -f "$AXE" || { echo "error: npm finished but $AXE is missing." >&2; exit 1; }
echo "axe-core installed: $AXE"
