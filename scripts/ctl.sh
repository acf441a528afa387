#!/usr/bin/env bash
# Admin CLI: `npm run ctl -- help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
[ -f dist/services/gateway/src/cli/ctl.js ] || node scripts/build.mjs >&2
exec node dist/services/gateway/src/cli/ctl.js "$@"
