#!/usr/bin/env bash
# Starts the whole service on this machine: dependencies, Postgres (a local one
# started when absent), build, an authenticated NATS for Parley (scripts/local-bus.sh;
# NATS_URL uses yours instead), migrations (each service migrates its own database
# at start), then every service, each connecting to NATS as its own bus role.
# Ctrl-C stops the services (NATS keeps running).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/services.sh
node scripts/build.mjs
. scripts/local-bus.sh
exec node scripts/run-all.mjs
