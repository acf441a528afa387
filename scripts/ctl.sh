#!/usr/bin/env bash
# Admin CLI: `npm run ctl -- help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
[ -f dist/services/gateway/src/cli/ctl.js ] || node scripts/build.mjs >&2
# Beside a local `npm start` (scripts/local-bus.sh), talk to its NATS as the operator's `admin` user.
_creds=${PARLEY_STATE:-/var/lib/parley}/bus/credentials.env
if [ -z "${NATS_URL:-}" ] && [ -r "$_creds" ]; then
  export NATS_URL="nats://127.0.0.1:${PARLEY_NATS_PORT:-4223}" NATS_USER=admin
  NATS_PASSWORD=$(sed -n 's/^PARLEY_NATS_ADMIN_PASSWORD=//p' "$_creds"); export NATS_PASSWORD
fi
exec node dist/services/gateway/src/cli/ctl.js "$@"
