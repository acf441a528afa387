// Creates the secret files a Kubernetes overlay's secretGenerator reads, with fresh random
// values, in k8s/overlays/<overlay>/secrets/ (git-ignored, mode 0600). Nothing secret is
// ever committed: run this once per cluster, keep the files somewhere safe (or feed the
// same keys from your secret manager), then `kubectl apply -k k8s/overlays/<overlay>`.
//   node scripts/k8s-secrets.mjs dev|prod [--dir DIR] [--force]
// Files: nats.env (every bus role's password, read by nats-server), <service>.env (that
// service's own bus password, database URL and secrets: one Secret per service), and the
// database's: dev postgres.env (the development server's superuser); prod db-<service>.env
// (each service's database role for CloudNativePG; with an external managed database put
// its URLs in <service>.env instead). Existing files are kept unless --force.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = ['gateway', 'roster', 'offline', 'archive', 'janitor', 'upload', 'profile'];

/** A password nats-server can read from its environment: a letter, then letters and digits. */
const password = (n = 32) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  return 'p' + [...bytes].map((b) => abc[b % abc.length]).join('');
};

function main(argv) {
  const overlay = argv.find((a) => !a.startsWith('--'));
  if (overlay !== 'dev' && overlay !== 'prod') {
    console.error('usage: node scripts/k8s-secrets.mjs dev|prod [--dir DIR] [--force]');
    return 2;
  }
  const dirArg = argv.indexOf('--dir');
  const dir = dirArg >= 0 ? argv[dirArg + 1] : join(root, 'k8s/overlays', overlay, 'secrets');
  const force = argv.includes('--force');
  // The bus roles are the users of the generated authorization block.
  const roles = [...readFileSync(join(root, 'k8s/base/nats/auth.conf'), 'utf8').matchAll(/\{ user: "([a-z0-9_-]+)"/g)].map((m) => m[1]);
  if (!roles.includes('admin')) throw new Error('k8s/base/nats/auth.conf has no admin user: regenerate it (ctl bus-config)');
  const bus = Object.fromEntries(roles.map((r) => [r, password()]));
  const files = {};
  files['nats.env'] = roles.map((r) => `PARLEY_NATS_${r.toUpperCase()}_PASSWORD=${bus[r]}`);
  const dbPasswords = Object.fromEntries(SERVICES.map((s) => [s, password()]));
  const pg = password();
  const dbUrl = (s) =>
    overlay === 'dev'
      ? `postgres://postgres:${pg}@postgres:5432/parley_${s}`
      : `postgres://parley_${s}:${dbPasswords[s]}@parley-db-rw:5432/parley_${s}?sslmode=require`;
  for (const s of SERVICES) {
    const keys = readFileSync(join(root, `k8s/base/config/${s}.secrets`), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const values = {
      NATS_PASSWORD: bus[s],
      [`${s.toUpperCase()}_DATABASE_URL`]: dbUrl(s),
      UPLOAD_SECRET: password(48),
      SCRAM_FAKE_SALT_SECRET: password(48),
      // one dialback secret for every gateway replica (federation, XEP-0185)
      S2S_DIALBACK_SECRET: password(48),
    };
    files[`${s}.env`] = keys.map((k) => `${k}=${values[k] ?? ''}`);
    if (overlay === 'prod') files[`db-${s}.env`] = [`username=parley_${s}`, `password=${dbPasswords[s]}`];
  }
  if (overlay === 'dev') files['postgres.env'] = [`POSTGRES_PASSWORD=${pg}`];
  // The operator's admin CLI inside the cluster (kubectl exec ... ctl) uses the admin role.
  files['admin.env'] = [`NATS_USER=admin`, `NATS_PASSWORD=${bus.admin}`];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kept = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (kept.length && !force) {
    console.error(`${dir} already holds ${kept.join(', ')}: kept (--force replaces them all; passwords must match between files)`);
    return kept.length === Object.keys(files).length ? 0 : 1;
  }
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), `${lines.join('\n')}\n`, { mode: 0o600 });
  console.log(`wrote ${Object.keys(files).length} secret files to ${dir}`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
