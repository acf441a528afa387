import { Client } from 'pg';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { testInfra, withDatabase } from '@parley/testing-stack';
import { ensureDatabase, openDataSource, redactUrl, serviceDatabaseUrl } from './database';

class CreateThing1700000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE thing (id serial PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE thing');
  }
}

describe('service databases', () => {
  it('derives one database per service from DATABASE_URL', () => {
    expect(serviceDatabaseUrl('roster', { DATABASE_URL: 'postgres://u:p@db:5432/postgres' })).toBe('postgres://u:p@db:5432/parley_roster');
    expect(serviceDatabaseUrl('roster', { ROSTER_DATABASE_URL: 'postgres://x/y' })).toBe('postgres://x/y');
  });

  it('never shows a password in a redacted url', () => {
    expect(redactUrl('postgres://u:secret@db/x')).not.toContain('secret');
  });

  it('creates a missing database and migrates it from empty', async () => {
    const { postgresUrl } = await testInfra();
    const name = `parley_test_persist_${process.pid}_${Date.now()}`;
    const url = withDatabase(postgresUrl, name);
    try {
      const ds = await openDataSource({ url, entities: [], migrations: [CreateThing1700000000000] });
      const rows = await ds.query(`SELECT to_regclass('thing') AS t`);
      expect(rows[0].t).toBe('thing');
      await ds.destroy();
      await ensureDatabase(url); // idempotent
      const again = await openDataSource({ url, entities: [], migrations: [CreateThing1700000000000] });
      expect(await again.query('SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: 1 }]);
      await again.destroy();
    } finally {
      const admin = new Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
  it('opens the connections the pool keeps before it is used, and keeps them', async () => {
    const { postgresUrl } = await testInfra();
    const name = `parley_test_persist_warm_${process.pid}_${Date.now()}`;
    const url = withDatabase(postgresUrl, name);
    const admin = new Client({ connectionString: postgresUrl });
    await admin.connect();
    const count = async () => (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])).rows[0].n as number;
    try {
      const ds = await openDataSource({ url, entities: [], migrations: [], poolSize: 5, poolMin: 3 });
      expect(await count()).toBe(3);
      await ds.destroy();
      const capped = await openDataSource({ url, entities: [], migrations: [], poolSize: 1, poolMin: 3 });
      expect(await count()).toBe(1);
      await capped.destroy();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
