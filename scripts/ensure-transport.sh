#!/usr/bin/env bash
# Ensures Debian's biboumi (an XMPP↔IRC gateway, an external component) and ngircd (an IRC
# server) for the real-transport test (e2e/src/transport-irc.e2e.spec.ts), which runs both
# as plain processes with their own configuration files in a temporary directory (the
# system services and /etc are never used).
exec bash "$(dirname "$0")/ensure-packages.sh" transport "the real-transport test" biboumi ngircd
