#!/usr/bin/env bash
# Install Debian's chromium (offline browser tests, PDF printing) and poppler-utils (pdftotext,
# pdftoppm: the PDF tests read and render printed reports), only if missing.
# Idempotent: does nothing when both are there. Called by `make browser` / `make test`.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=()
[ -x "$CHROMIUM" ] || PACKAGES+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || PACKAGES+=(poppler-utils)

if [ ${#PACKAGES[@]} -eq 0 ]; then
    echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"); poppler-utils present"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ${PACKAGES[*]} missing and apt-get is not available (not Debian/Ubuntu)." >&2
    echo "       Install Chromium yourself, or set HIWORKBOOK_CHROMIUM to its path." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "error: ${PACKAGES[*]} missing; installing needs root." >&2
    echo "       Run as root, or with passwordless sudo:  sudo apt-get install -y ${PACKAGES[*]}" >&2
    exit 1
fi

echo "installing Debian's ${PACKAGES[*]} (chromium is about 350 MB) ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

if [ ! -x "$CHROMIUM" ]; then
    echo "error: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
