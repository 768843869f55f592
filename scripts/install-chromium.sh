#!/usr/bin/env bash
# Install Debian's chromium for hiworkbook's offline browser tests, only if it is missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Called by `make browser` / `make test`.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $CHROMIUM is missing and apt-get is not available (not Debian/Ubuntu)." >&2
    echo "       Install Chromium yourself, or set HIWORKBOOK_CHROMIUM to its path." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "error: $CHROMIUM is missing; installing it needs root." >&2
    echo "       Run as root, or with passwordless sudo:  sudo apt-get install -y chromium" >&2
    exit 1
fi

echo "installing Debian's chromium (about 350 MB) ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "error: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
