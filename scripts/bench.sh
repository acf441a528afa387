#!/usr/bin/env bash
# `npm run bench [-- options]`: measures the gateway on this machine (localhost only).
# Ensures dependencies, NATS and Postgres like scripts/test.sh, builds dist/, raises
# the open-files limit as far as allowed (the generator and the gateway each hold one
# descriptor per connection), then runs dist/bench/run.js. It makes its own scratch
# database and NATS namespace and removes them, and its gateways, when done or
# interrupted. Options: `npm run bench -- --help`. Results: bench/results/latest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/services.sh
node scripts/build.mjs
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$(ulimit -Sn)" -lt "$hard" ]; then
  ulimit -Sn "$hard" 2>/dev/null || true
fi
echo "[bench] ulimit -n $(ulimit -Sn); $(nproc) CPU cores shared by generator, gateways, NATS and Postgres" >&2
# --compare / --servers=…: the same scenarios against Parley, Prosody and ejabberd (bench/compare.ts)
for a in "$@"; do
  case $a in
    --compare | --servers=*)
      bash scripts/ensure-peers.sh
      args=()
      for b in "$@"; do [ "$b" = --compare ] || args+=("$b"); done
      exec node --enable-source-maps dist/bench/compare.js "${args[@]}"
      ;;
  esac
done
exec node --enable-source-maps dist/bench/run.js "$@"
