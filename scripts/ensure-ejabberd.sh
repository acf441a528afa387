#!/usr/bin/env bash
# Ensures Debian's ejabberd for the federation interop test with ejabberd
# (e2e/src/s2s-ejabberd.e2e.spec.ts), which runs it as a plain process (`erl … -s ejabberd`)
# with its own configuration and Mnesia directory (the system service is never used).
exec bash "$(dirname "$0")/ensure-packages.sh" ejabberd "the federation interop test with ejabberd" ejabberd:ejabberdctl ejabberd:erl
