#!/usr/bin/env bash
# Ensures Debian's ejabberd for the federation interop test with ejabberd
# (e2e/src/s2s-ejabberd.e2e.spec.ts), which runs it as a plain process (`erl … -s ejabberd`)
# with its own configuration and Mnesia directory (the system service is never used or
# started). Installs the `ejabberd` package when it is missing and we are root on a
# Debian-like machine. When it cannot be installed it says so and exits 0: the interop
# test itself then fails with the same message.
set -uo pipefail
if command -v ejabberdctl >/dev/null 2>&1 && command -v erl >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[ejabberd] missing: installing Debian's ejabberd" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 \
    && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends ejabberd >&2; then
    command -v ejabberdctl >/dev/null 2>&1 && exit 0
  fi
  echo "[ejabberd] could not install Debian's ejabberd; the ejabberd federation interop test will fail" >&2
  exit 0
fi
echo "[ejabberd] missing and cannot be installed here (needs root and apt-get):" >&2
echo "[ejabberd]   sudo apt-get install -y --no-install-recommends ejabberd" >&2
exit 0
