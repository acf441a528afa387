// One Postgres database per service, reached through TypeORM. Each service names
// its database; the server comes from DATABASE_URL unless the service has its own
// <SERVICE>_DATABASE_URL (e.g. a managed database per service in production).
import { Client } from 'pg';
import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';

/** Default server when DATABASE_URL is unset (the dev machine's local Postgres). */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The database URL of one service: `<SERVICE>_DATABASE_URL` if set, else
 * `DATABASE_URL` (or the local default) with the database `parley_<service>`.
 */
export function serviceDatabaseUrl(service: string, env: Record<string, string | undefined> = process.env): string {
  const own = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (own) return own;
  const u = new URL(env.DATABASE_URL || DEFAULT_DATABASE_URL);
  u.pathname = `/${env.DATABASE_PREFIX || 'parley'}_${service}`;
  return u.toString();
}

/** Hides the password of a URL for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** Creates the database of `url` when it does not exist (needs CREATEDB on the server). */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`refusing to create database with unusual name "${name}"`);
  const probe = new Client({ connectionString: url });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (e) {
    await probe.end().catch(() => undefined);
    if ((e as { code?: string }).code !== '3D000') throw e; // 3D000: database does not exist
  }
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (e) {
    if ((e as { code?: string }).code !== '42P04') throw e; // created meanwhile
  } finally {
    await admin.end();
  }
}

/** What a service's data source consists of. */
export interface ServiceDataSourceOptions {
  url: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Connections opened at start and kept open while idle (default 2, at most the pool size). */
  poolMin?: number;
}

/** TypeORM options for a service: no synchronize, explicit migrations. */
export function dataSourceOptions(o: ServiceDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: o.url,
    entities: o.entities,
    migrations: o.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // TypeORM's own logger prints a failed query with its parameters (message bodies,
    // SCRAM keys): off. Errors reach the caller, which logs them without payloads.
    logging: false,
    extra: { max: o.poolSize ?? 10, min: poolMin(o) },
  };
}

const poolMin = (o: ServiceDataSourceOptions): number => Math.min(o.poolSize ?? 10, o.poolMin ?? 2);

/**
 * Opens the connections the pool keeps (`min`) now: the first requests after a start (a
 * login storm after a rollout) would otherwise wait while connections are set up.
 */
export async function warmPool(ds: DataSource): Promise<void> {
  const min = (ds.options.extra as { min?: number } | undefined)?.min ?? 0;
  await Promise.all(Array.from({ length: min }, () => ds.query('SELECT 1')));
}

/**
 * Runs `fn` while holding a Postgres advisory lock on the database, so replicas
 * starting together apply migrations one at a time.
 */
export async function withMigrationLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const lock = new Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('parley-migrations'))`);
    return await fn();
  } finally {
    await lock.end().catch(() => undefined); // ending the session releases the lock
  }
}

/** Applies pending migrations of a service database (creating it first), under the migration lock. */
export async function migrateDatabase(o: ServiceDataSourceOptions): Promise<string[]> {
  await ensureDatabase(o.url);
  return withMigrationLock(o.url, async () => {
    const ds = new DataSource({ ...dataSourceOptions(o), extra: { max: 1 } });
    await ds.initialize();
    try {
      const done = await ds.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  });
}

/** Creates the database if needed, applies pending migrations, and connects. */
export async function openDataSource(o: ServiceDataSourceOptions, opts: { migrate?: boolean } = {}): Promise<DataSource> {
  if (opts.migrate ?? true) await migrateDatabase(o);
  else await ensureDatabase(o.url);
  const ds = new DataSource(dataSourceOptions(o));
  await ds.initialize();
  await warmPool(ds);
  return ds;
}
