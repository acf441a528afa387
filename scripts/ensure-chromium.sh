#!/usr/bin/env bash
# Ensures Debian's chromium for the browser end-to-end test (Converse.js through
# playwright-core; Playwright's own browser downloads are never used). Installs the
# `chromium` package when /usr/bin/chromium is missing and we are root on a Debian-like
# machine. When it cannot be installed it says so and exits 0: the browser test itself
# then fails with the same message (it never passes or skips without a browser).
set -uo pipefail
CHROMIUM="${PARLEY_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[chromium] $CHROMIUM missing: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  # apt's lock may be held by another install for a while; wait for it rather than fail
  if apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 \
    && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >&2; then
    [ -x "$CHROMIUM" ] && exit 0
  fi
  echo "[chromium] could not install Debian's chromium; the browser test will fail" >&2
  exit 0
fi
echo "[chromium] $CHROMIUM missing and cannot be installed here (needs root and apt-get):" >&2
echo "[chromium]   sudo apt-get install -y --no-install-recommends chromium" >&2
echo "[chromium] the browser tests (converse, upload-browser, web-client, account-page e2e specs) will fail until it is installed" >&2
exit 0
