#!/usr/bin/env bash
# Starts the whole service on this machine: dependencies, NATS and Postgres (local
# ones started when absent), build, migrations (each service migrates its own
# database at start), then every service. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/services.sh
node scripts/build.mjs
exec node scripts/run-all.mjs
