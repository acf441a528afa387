// docker-compose.yml and the Dockerfile, read as compose and Docker would: the whole stack
// from one command, each service as its own bus role, migrations first, healthchecks,
// named volumes on directories the image's user owns. (`docker compose config` also runs
// when the compose plugin is installed.)
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { read, ROOT, SERVICES } from './repo';

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any>; volumes: Record<string, unknown> };
const dockerfile = read('Dockerfile');
/** `${VAR:-default}` → default. */
const dflt = (v: string) => /^\$\{[A-Z0-9_]+:-([^}]*)\}$/.exec(v)?.[1];
const layoutDirs = [...read('scripts/image-layout.sh').matchAll(/^for d in ([^;]+);/gm)].flatMap((m) => m[1].trim().split(/\s+/)).map((d) => `/${d}`);

describe('docker-compose.yml', () => {
  it('runs NATS, Postgres, the migrations and every service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['migrate', 'nats', 'postgres', ...SERVICES].sort());
    expect(compose.services.migrate.command).toEqual(['migrate']);
    expect(compose.services.migrate.restart).toBe('no');
    for (const s of SERVICES) {
      const svc = compose.services[s];
      expect([s, svc.command]).toEqual([s, [s]]);
      expect(svc.image).toMatch(/^parley:/);
      expect(svc.build.context).toBe('.');
      expect(svc.depends_on).toEqual({
        nats: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(svc.healthcheck.test.join(' ')).toContain(`127.0.0.1:${svc.environment.HTTP_PORT}/readyz`);
      expect(svc.read_only).toBe(true);
      expect(svc.cap_drop).toEqual(['ALL']);
    }
    expect(compose.services.nats.healthcheck.test.join(' ')).toContain('js-enabled-only=true');
    expect(compose.services.postgres.healthcheck.test).toContain('pg_isready');
  });

  it('connects each service to NATS as its own role, with the password nats-server reads for it', () => {
    const roles = [...read('k8s/base/nats/auth.conf').matchAll(/\{ user: "([a-z0-9_-]+)"/g)].map((m) => m[1]);
    const natsEnv = compose.services.nats.environment;
    for (const r of roles) {
      const pw = natsEnv[`PARLEY_NATS_${r.toUpperCase()}_PASSWORD`];
      expect([r, typeof pw]).toEqual([r, 'string']);
      // nats-server parses a password it reads from the environment: a letter, then letters and digits.
      expect([r, dflt(pw)]).toEqual([r, expect.stringMatching(/^[A-Za-z][A-Za-z0-9]*$/)]);
    }
    for (const s of SERVICES) {
      const env = compose.services[s].environment;
      expect(env.NATS_USER).toBe(s);
      expect(env.NATS_PASSWORD).toBe(natsEnv[`PARLEY_NATS_${s.toUpperCase()}_PASSWORD`]);
      expect(env.NATS_URL).toBe('nats://nats:4222');
    }
    expect(compose.services.nats.volumes).toContain('./k8s/base/nats/auth.conf:/etc/nats/auth.conf:ro');
  });

  it('keeps state in named volumes mounted on directories the image user owns', () => {
    const mounts = Object.entries(compose.services).flatMap(([s, svc]) => (svc.volumes ?? []).map((v: string) => [s, ...v.split(':')]));
    for (const [, src] of mounts) if (!src.startsWith('./')) expect(Object.keys(compose.volumes)).toContain(src);
    const parleyMounts = mounts.filter(([s]) => (SERVICES as readonly string[]).includes(s)).map(([s, , target]) => [s, target]);
    expect(parleyMounts.sort()).toEqual([
      ['gateway', '/data'],
      ['upload', '/data/uploads'],
    ]);
    for (const [, target] of parleyMounts) expect(layoutDirs).toContain(target);
  });

  it('publishes the client ports, never the health/metrics port', () => {
    const published = Object.values(compose.services).flatMap((svc) => (svc.ports ?? []).map((p: string) => Number(p.split(':').at(-1))));
    expect(published.sort()).toEqual([5222, 5223, 5269, 5280, 5281, 5347]);
  });

  it('publishes the s2s port to every interface and the component port on loopback only, as the gateway listens', () => {
    const gw = compose.services.gateway;
    const env = gw.environment;
    const mapping = (containerPort: string) => (gw.ports as string[]).filter((p) => p.split(':').at(-1) === containerPort);
    // the listeners bind the container's interfaces, or the published ports would reach nothing
    expect(env.S2S_HOST).toBe('0.0.0.0');
    expect(env.COMPONENT_HOST).toBe('0.0.0.0');
    expect(mapping(env.S2S_PORT)).toEqual([`5269:${env.S2S_PORT}`]);
    expect(mapping(env.COMPONENT_PORT)).toEqual([`127.0.0.1:5347:${env.COMPONENT_PORT}`]);
    // federation and components stay off unless .env turns them on; no secret committed
    expect(dflt(env.S2S_ENABLED)).toBe('false');
    expect(dflt(env.S2S_DIALBACK_SECRET)).toBe('');
    expect(dflt(env.COMPONENTS)).toBe('');
  });

  it('is accepted by docker compose config when the compose plugin is installed', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // the plugin is absent here (no Docker engine in CI); the structure is checked above
    const r = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Dockerfile', () => {
  it('builds in stages from the lockfile and runs as an unprivileged user on its own layout', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^RUN npm ci .*--omit=dev/m);
    expect(dockerfile).toMatch(/^RUN npm ci --no-audit/m);
    expect(dockerfile).not.toMatch(/npm install/);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-/m);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const [uid, gid] = users.at(-1)!.split(':');
    expect(dockerfile).toContain(`RUN sh scripts/image-layout.sh / ${uid} ${gid}`);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/scripts\/docker-entrypoint.sh"\]/m);
    // Every file the runtime stage copies from the build context exists.
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const f of m[1].split(/\s+/)) expect([f, spawnSync('test', ['-e', f], { cwd: ROOT }).status]).toEqual([f, 0]);
  });
});
