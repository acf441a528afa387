#!/usr/bin/env bash
# Runs every test: installs dependencies, ensures NATS and Postgres and Debian's
# chromium (for the browser test), prosody and ejabberd (for the federation interop tests) and
# biboumi with ngircd (for the real-transport test), builds, type-checks, lints (module boundaries,
# import rules), then runs the unit, integration and end-to-end tiers with Nx
# (targets test-unit, test-int, e2e: tools/nx/test-tiers.js).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/services.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-kube.sh
bash scripts/ensure-prosody.sh
bash scripts/ensure-transport.sh
bash scripts/ensure-ejabberd.sh
node scripts/build.mjs
echo "[test] typecheck" >&2
npx tsc -p tsconfig.json --noEmit
echo "[test] lint (module boundaries need the project graph)" >&2
NX_DAEMON=false npx nx show projects >/dev/null
npx eslint .
echo "[test] import rules: no cycles (type-only imports included), gateway modules only through host/ and api.ts" >&2
npm run --silent lint:cycles
export PARLEY_TEST_SUMMARY_DIR="$PWD/tmp/test-summary"
rm -rf "$PARLEY_TEST_SUMMARY_DIR"
status=0
# The tiers in order (unit, integration, end-to-end), each for every project; a failing
# tier does not stop the next, so one run reports every failure.
for target in test-unit test-int e2e; do
  echo "[test] jest: $target" >&2
  NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t "$target" --parallel=2 --outputStyle=static -- --ci "$@" || status=$?
done
node -e '
  const fs = require("fs"), dir = process.env.PARLEY_TEST_SUMMARY_DIR;
  let p = 0, f = 0, s = 0;
  for (const n of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const r = JSON.parse(fs.readFileSync(dir + "/" + n, "utf8")); p += r.passed; f += r.failed; s += r.skipped;
  }
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
'
exit $status
