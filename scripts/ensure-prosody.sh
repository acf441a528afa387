#!/usr/bin/env bash
# Ensures Debian's prosody for the federation interop test (e2e/src/s2s.e2e.spec.ts),
# which runs it as a plain process with its own configuration and data directory (the
# system service is never used). Installs the `prosody` package when it is missing and
# we are root on a Debian-like machine. When it cannot be installed it says so and
# exits 0: the interop test itself then fails with the same message.
set -uo pipefail
if command -v prosody >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[prosody] missing: installing Debian's prosody" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 \
    && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prosody >&2; then
    command -v prosody >/dev/null 2>&1 && exit 0
  fi
  echo "[prosody] could not install Debian's prosody; the federation interop test will fail" >&2
  exit 0
fi
echo "[prosody] missing and cannot be installed here (needs root and apt-get):" >&2
echo "[prosody]   sudo apt-get install -y --no-install-recommends prosody" >&2
exit 0
