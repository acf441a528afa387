#!/usr/bin/env bash
# Ensures Debian packages that tests run as private processes (peer servers, a transport):
#   bash scripts/ensure-packages.sh <tag> <what needs them> <package>[:<command>] ...
# A package counts as missing when its command (the package name unless given; /usr/sbin
# counts too, which a plain user's PATH may lack) is not there. Missing ones are installed
# when we are root on a Debian-like machine, without starting their system services: a
# system prosody, ejabberd or ngircd would hold the ports (5269, 6667) the tests use on
# their own loopback addresses, so unless the machine has its own policy a policy-rc.d
# (the Debian way, as container images do) keeps the install from starting them and is
# removed afterwards. Never fails: without the packages the test that needs them fails
# with its own message.
set -uo pipefail
tag=$1
what=$2
shift 2
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
for spec in "$@"; do
  pkg=${spec%%:*}
  cmd=${spec#*:}
  if ! has "$cmd" && [[ " ${missing[*]-} " != *" $pkg "* ]]; then missing+=("$pkg"); fi
done
if [ "${#missing[@]}" = "0" ]; then
  exit 0
fi
all_there() {
  for spec in "$@"; do has "${spec#*:}" || return 1; done
}
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[$tag] missing: installing Debian's ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  if apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 \
    && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    all_there "$@" && exit 0
  fi
  echo "[$tag] could not install Debian's ${missing[*]}; $what will fail" >&2
  exit 0
fi
echo "[$tag] missing and cannot be installed here (needs root and apt-get): ${missing[*]}" >&2
echo "[$tag]   sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
exit 0
