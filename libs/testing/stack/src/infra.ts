// Real NATS and Postgres for tests, found in this order: NATS_URL / DATABASE_URL
// when set; the usual localhost ports when something answers there; containers via
// testcontainers when a Docker engine is present; otherwise a clear error saying
// what to start. Nothing here fakes a service.
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { Client } from 'pg';

/** Where the test infrastructure lives. */
export interface TestInfra {
  natsUrl: string;
  /** A Postgres server URL whose user may CREATE DATABASE. */
  postgresUrl: string;
  /** Stops what this module started (containers); no-op for external services. */
  stop(): Promise<void>;
}

/**
 * Whether something accepts TCP on host:port. A refusal answers at once; a timeout is
 * tried again with a longer one, since a suite that does synchronous work meanwhile (a
 * peer server's set-up) can hold the event loop past the first timer.
 */
async function reachable(host: string, port: number): Promise<boolean> {
  for (const timeoutMs of [500, 3000]) {
    const r = await connectWithin(host, port, timeoutMs);
    if (r !== 'timeout') return r === 'open';
  }
  return false;
}

function connectWithin(host: string, port: number, timeoutMs: number): Promise<'open' | 'refused' | 'timeout'> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (r: 'open' | 'refused' | 'timeout') => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done('timeout'));
    s.once('error', () => done('refused'));
    s.connect(port, host, () => done('open'));
  });
}

async function fromContainers(): Promise<TestInfra | undefined> {
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
  } catch {
    return undefined; // no Docker engine: fall through to the clear error
  }
  const nats = await new tc.GenericContainer('nats:2.10-alpine').withCommand(['-js']).withExposedPorts(4222).start();
  const pg = await new tc.GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_PASSWORD: 'parley', POSTGRES_USER: 'postgres' })
    .withExposedPorts(5432)
    .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return {
    natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
    postgresUrl: `postgres://postgres:parley@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`,
    stop: async () => {
      await Promise.all([nats.stop(), pg.stop()]);
    },
  };
}

let cached: Promise<TestInfra> | undefined;

/** Resolves the test infrastructure once per test process. */
export function testInfra(): Promise<TestInfra> {
  cached ??= (async () => {
    let natsUrl = process.env.NATS_URL;
    let postgresUrl = process.env.DATABASE_URL;
    if (!natsUrl && (await reachable('127.0.0.1', 4222))) natsUrl = 'nats://127.0.0.1:4222';
    if (!postgresUrl && (await reachable('127.0.0.1', 5432))) postgresUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
    if (natsUrl && postgresUrl) return { natsUrl, postgresUrl, stop: async () => undefined };
    const containers = await fromContainers();
    if (containers) return containers;
    throw new Error(
      'Tests need a real NATS (with JetStream) and PostgreSQL. Set NATS_URL and DATABASE_URL, ' +
        'start them on 127.0.0.1:4222 and :5432 (`bash scripts/services.sh` does), or install a Docker engine for testcontainers.',
    );
  })();
  return cached;
}

/** A unique, NATS-safe namespace so parallel suites never see each other's subjects or streams. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Replaces the database name of a Postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A database that exists for one suite. */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database on the test server; drop() removes it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const { postgresUrl } = await testInfra();
  const name = `parley_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(postgresUrl, name),
    drop: async () => {
      const c = new Client({ connectionString: postgresUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (tests wait for conditions, never sleep). */
export async function waitFor<T>(check: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}
