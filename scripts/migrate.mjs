// Applies every service's pending database migrations (`npm run migrate`; in the image:
// the `migrate` command, run by compose and the Kubernetes Job before the services).
// Each service also migrates its own database at start, under the same advisory lock,
// so running this is optional but makes a release's migrations one visible step.
// Usage: node scripts/migrate.mjs [service ...]   (default: every service)
// Database URLs as the services read them: <SERVICE>_DATABASE_URL, else DATABASE_URL
// with the database parley_<service>. Prints one line per service; exits 1 on the first failure.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
export const SERVICES = ['gateway', 'roster', 'offline', 'archive', 'janitor', 'upload', 'profile'];

const asked = process.argv.slice(2);
const unknown = asked.filter((s) => !SERVICES.includes(s));
if (unknown.length) {
  console.error(`migrate: unknown service ${unknown.join(', ')} (one of ${SERVICES.join(', ')})`);
  process.exit(2);
}
const persistence = join(root, 'dist/libs/platform/persistence/src/index.js');
if (!existsSync(persistence)) {
  console.error('migrate: dist/ is missing: build first (node scripts/build.mjs)');
  process.exit(2);
}
const { migrateDatabase, redactUrl } = require(persistence);
let failed = false;
for (const service of asked.length ? asked : SERVICES) {
  const mod = require(join(root, `dist/services/${service}/src/persistence/data-source.js`));
  const options = mod[`${service}DataSource`](process.env, 1);
  const started = Date.now();
  process.stdout.write(`${service}: migrating ${redactUrl(options.url)} ... `);
  try {
    const applied = await migrateDatabase(options);
    process.stdout.write(`${applied.length ? `applied ${applied.join(', ')}` : 'up to date'} (${Date.now() - started} ms)\n`);
  } catch (e) {
    process.stdout.write('failed\n');
    console.error(`${service}: ${e.message}`);
    failed = true;
    break;
  }
}
process.exit(failed ? 1 : 0);
