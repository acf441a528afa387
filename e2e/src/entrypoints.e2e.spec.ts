// The image's entry point run outside a container, as the image's unprivileged user, from an
// application directory assembled as the Dockerfile's runtime stage does (production
// dependencies only, from the lockfile; dist/; the scripts it copies), on the image's
// directory layout (scripts/image-layout.sh, as the Dockerfile runs it) with each
// compose service's command and environment: `migrate` applies every service's migrations,
// then every service starts and becomes ready (/readyz: NATS, its database, and for upload
// its writable directory; the gateway writes its development certificate to DATA_DIR). A
// root-owned data directory fails here. Then /metrics of every service is scraped: each
// metric the alerts and the Grafana dashboard use is exported by some service.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { AuthenticatedNats, startAuthenticatedNats } from '@parley/nats';
import { testInfra, uniqueNamespace, waitFor } from '@parley/testing-stack';

const ROOT = join(__dirname, '../..');
const SERVICES = ['gateway', 'roster', 'offline', 'archive', 'janitor', 'upload', 'profile'];
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command: string[]; environment: Record<string, string> }> };
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The image user (the Dockerfile's last USER) when the test runs as root; else the current user. */
const [imageUid, imageGid] = [...dockerfile.matchAll(/^USER (\d+):(\d+)/gm)].at(-1)!.slice(1).map(Number);
const asRoot = process.getuid?.() === 0;
const uid = asRoot ? imageUid : process.getuid!();
const gid = asRoot ? imageGid : process.getgid!();

/** The runtime stage (from `AS runtime` on). */
const runtimeStage = dockerfile.slice(dockerfile.indexOf(' AS runtime'));

/**
 * Assembles the image's /app in `app`: what the runtime stage copies from the build context
 * (COPY without --from), the build stage's dist/ (this checkout's build), and the deps
 * stage's production-only node_modules (npm ci --omit=dev from the lockfile).
 */
function assembleApp(app: string): void {
  for (const m of runtimeStage.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)) {
    const dest = join(app, m[2]);
    for (const src of m[1].split(/\s+/)) {
      mkdirSync(m[2].endsWith('/') ? dest : dirname(dest), { recursive: true });
      cpSync(join(ROOT, src), m[2].endsWith('/') ? join(dest, basename(src)) : dest);
    }
  }
  expect(runtimeStage).toMatch(/^COPY --from=build \/app\/dist dist$/m);
  cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
  expect(dockerfile).toMatch(/^RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts/m);
  cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], { cwd: app, stdio: 'pipe' });
}

/** The runtime stage's ENV (the last ENV instruction). */
function imageEnv(): Record<string, string> {
  const block = [...dockerfile.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)].at(-1)![1].replace(/\\\n/g, ' ');
  return Object.fromEntries([...block.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe('image entry points as the unprivileged user, on the image layout', () => {
  let nats: AuthenticatedNats;
  let root: string;
  let app: string;
  let prefix: string;
  let postgresUrl: string;
  const procs = new Map<string, { proc: ChildProcess; logs: string[]; httpPort: number }>();

  const envFor = (service: string, extra: Record<string, string> = {}): Record<string, string> => {
    const fromImage = imageEnv();
    // Image paths live under the temporary root; listeners stay on loopback in tests (the image's and compose's).
    for (const [k, v] of Object.entries(fromImage)) if (v.startsWith('/data')) fromImage[k] = join(root, v);
    for (const k of Object.keys(fromImage)) if (/_HOST$/.test(k)) fromImage[k] = '127.0.0.1';
    const fromCompose = Object.fromEntries(
      Object.entries(compose.services[service].environment).map(([k, v]) => [k, /_HOST$/.test(k) ? '127.0.0.1' : String(v).replace(/^\$\{[A-Z0-9_]+:-([^}]*)\}$/, '$1').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1')]),
    );
    return {
      PATH: process.env.PATH!,
      HOME: root,
      ...fromImage,
      ...fromCompose,
      DATABASE_URL: postgresUrl,
      DATABASE_PREFIX: prefix,
      NATS_URL: nats.url,
      NATS_NAMESPACE: nats.namespace,
      ...(service === 'migrate' ? {} : nats.env(service)),
      ...extra,
    };
  };

  const run = (args: string[], env: Record<string, string>) =>
    spawn(join(app, 'scripts/docker-entrypoint.sh'), args, { env, uid, gid, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(async () => {
    ({ postgresUrl } = await testInfra());
    nats = await startAuthenticatedNats(uniqueNamespace('img'));
    prefix = `parley_test_img_${Date.now().toString(36)}`;
    root = mkdtempSync(join(tmpdir(), 'parley-image-'));
    chmodSync(root, 0o755);
    execFileSync('sh', [join(ROOT, 'scripts/image-layout.sh'), root, String(uid), String(gid)]);
    app = mkdtempSync(join(tmpdir(), 'parley-image-app-'));
    chmodSync(app, 0o755);
    assembleApp(app);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(
      [...procs.values()].map(
        ({ proc }) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            proc.once('exit', () => resolve());
            proc.kill('SIGTERM');
            setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await nats?.stop();
    const admin = new Client({ connectionString: postgresUrl });
    await admin.connect();
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS "${prefix}_${s}" WITH (FORCE)`);
    await admin.end();
    if (root) rmSync(root, { recursive: true, force: true });
    if (app) rmSync(app, { recursive: true, force: true });
  }, 60_000);

  it('migrates every service database with the `migrate` command, reporting each', async () => {
    expect(compose.services.migrate.command).toEqual(['migrate']);
    const p = run(['migrate'], envFor('migrate'));
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => p.once('exit', r));
    expect([code, out]).toEqual([0, expect.any(String)]);
    for (const s of SERVICES) expect(out).toMatch(new RegExp(`^${s}: migrating .*${prefix}_${s} \\.\\.\\. applied `, 'm'));
  }, 120_000);

  it('starts every service with its compose command and becomes ready, writing only where the image lets it', async () => {
    for (const service of SERVICES) {
      expect(compose.services[service].command).toEqual([service]);
      const httpPort = await freePort();
      const env = envFor(service, { HTTP_PORT: String(httpPort), C2S_PORT: '0', C2S_DIRECT_TLS_PORT: '0', WS_PORT: '0', UPLOAD_HTTP_PORT: '0' });
      const proc = run(compose.services[service].command, env);
      const logs: string[] = [];
      proc.stdout!.on('data', (d) => logs.push(String(d)));
      proc.stderr!.on('data', (d) => logs.push(String(d)));
      procs.set(service, { proc, logs, httpPort });
    }
    for (const [service, { proc, logs, httpPort }] of procs) {
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`${service} exited with ${proc.exitCode}: ${logs.join('').slice(-2000)}`);
          const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
          return r.status === 200;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `${service} ready` },
      ).catch((e) => {
        throw new Error(`${(e as Error).message}\n${logs.join('').slice(-2000)}`);
      });
    }
    // The gateway generated its development certificate in DATA_DIR, as the image user.
    const dataDir = join(root, 'data');
    const generated = readdirSync(dataDir).filter((f) => f !== 'uploads');
    expect(generated.length).toBeGreaterThan(0);
    for (const f of generated) expect(statSync(join(dataDir, f)).uid).toBe(uid);
  }, 180_000);

  it('exports every metric the alerts and the Grafana dashboard use', async () => {
    const exported = new Set<string>();
    for (const [, { httpPort }] of procs) {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(m[1]);
        if (m[2] === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) exported.add(m[1] + suffix);
        if (m[2] === 'summary') for (const suffix of ['_count', '_sum']) exported.add(m[1] + suffix);
      }
    }
    const rules = readFileSync(join(ROOT, 'k8s/monitoring/prometheusrule.yaml'), 'utf8');
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'k8s/monitoring/parley-dashboard.json'), 'utf8'));
    const exprs = [
      ...(parse(rules) as { spec: { groups: { rules: { expr: string }[] }[] } }).spec.groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ...dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr)),
    ];
    expect(exprs.length).toBeGreaterThan(10);
    // Metric names: identifiers followed by a selector, a range or the end of an argument.
    const PROMQL = new Set(['sum', 'max', 'min', 'avg', 'rate', 'increase', 'by', 'without', 'histogram_quantile', 'time', 'le', 'and', 'or', 'unless']);
    const used = new Set<string>();
    for (const e of exprs) {
      const bare = e
        .replace(/\{[^}]*\}/g, '{}')
        .replace(/"[^"]*"/g, '""')
        .replace(/\b(by|without)\s*\([^)]*\)/g, '');
      for (const m of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|\s*[<>=]|$)/g)) if (!PROMQL.has(m[1]) && !/^\d/.test(m[1])) used.add(m[1]);
    }
    used.delete('up'); // Prometheus' own
    expect(used.size).toBeGreaterThan(8);
    const unknown = [...used].filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
  }, 60_000);
});
