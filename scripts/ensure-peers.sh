#!/usr/bin/env bash
# Installs the reference servers of `npm run bench -- --compare` from Debian's packages
# when they are missing: prosody and ejabberd. Only the comparison mode calls this
# (never `npm test`). The bench runs them as private processes with their own
# configuration, data directory and loopback ports; nothing system-wide is started
# or configured here (the packages' own services are left as apt installs them).
set -euo pipefail
missing=()
command -v prosody >/dev/null 2>&1 || missing+=(prosody)
command -v ejabberdctl >/dev/null 2>&1 || missing+=(ejabberd)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "[bench] the comparison needs Debian's ${missing[*]}: run as root 'apt-get install -y ${missing[*]}' (or pass --servers= without them)" >&2
  exit 1
fi
echo "[bench] installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
