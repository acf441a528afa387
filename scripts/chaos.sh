#!/usr/bin/env bash
# `npm run chaos [-- options]`: the fault-injection run (loopback only, bounded in time).
# Ensures dependencies, NATS and Postgres binaries like scripts/test.sh, builds dist/,
# then runs dist/bench/chaos.js, which starts its own NATS, its own PostgreSQL (when
# the server binaries are installed), two gateways and the services, and removes them
# when done. Options: `npm run chaos -- --help`. Results: bench/results/chaos.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/services.sh
node scripts/build.mjs
exec node --enable-source-maps dist/bench/chaos.js "$@"
