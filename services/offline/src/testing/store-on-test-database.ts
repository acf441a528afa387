// The Postgres offline store on a fresh, migrated test database for one suite: created
// before its tests, dropped after them. For the store's integration suites.
import { openDataSource } from '@parley/persistence';
import { createTestDatabase, TestDatabase } from '@parley/testing-stack';
import type { DataSource } from 'typeorm';
import { offlineDataSource } from '../persistence/data-source';
import { TypeOrmOfflineStore } from '../store/typeorm-offline-store';

const HOOK_TIMEOUT = 60_000;

/** Registers the suite's hooks; `store` and `ds` are set once `beforeAll` ran. */
export function storeOnTestDatabase(label: string): { store: TypeOrmOfflineStore; ds: DataSource } {
  const ctx = {} as { store: TypeOrmOfflineStore; ds: DataSource };
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(label);
    ctx.ds = await openDataSource(offlineDataSource({ OFFLINE_DATABASE_URL: db.url }, 8));
    ctx.store = new TypeOrmOfflineStore(ctx.ds);
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await ctx.ds?.destroy();
    await db?.drop();
  }, HOOK_TIMEOUT);
  return ctx;
}
