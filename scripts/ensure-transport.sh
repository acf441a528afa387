#!/usr/bin/env bash
# Ensures Debian's biboumi (an XMPP↔IRC gateway, an external component) and ngircd (an IRC
# server) for the real-transport test (e2e/src/transport-irc.e2e.spec.ts), which runs both
# as plain processes with their own configuration files in a temporary directory (the
# system services and /etc are never used). Installs the packages that are missing when
# we are root on a Debian-like machine. When they cannot be installed it says so and
# exits 0: the transport test itself then fails with the same message.
set -uo pipefail
# Debian puts ngircd in /usr/sbin, which a plain user's PATH may lack
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
has biboumi || missing+=(biboumi)
has ngircd || missing+=(ngircd)
if [ "${#missing[@]}" = "0" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[transport] missing: installing Debian's ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The packages' system services are not wanted: a system ngircd would hold port 6667 on
  # every address (the test's own ngircd listens on 127.x.y.z:6667) and a system biboumi
  # would knock at port 5347. Unless the machine has its own policy, a policy-rc.d (the
  # Debian way, as container images do) keeps the install from starting them; it is
  # removed again when the install is over.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  if apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 \
    && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    has biboumi && has ngircd && exit 0
  fi
  echo "[transport] could not install Debian's ${missing[*]}; the real-transport test will fail" >&2
  exit 0
fi
echo "[transport] missing and cannot be installed here (needs root and apt-get): ${missing[*]}" >&2
echo "[transport]   sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
exit 0
