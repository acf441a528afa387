#!/usr/bin/env bash
# Ensures Debian's prosody for the federation interop tests (e2e/src/s2s.e2e.spec.ts,
# e2e/src/s2s-certs.e2e.spec.ts), which run it as a plain process with its own
# configuration and data directory (the system service is never used).
exec bash "$(dirname "$0")/ensure-packages.sh" prosody "the federation interop tests with Prosody" prosody
