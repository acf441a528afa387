// The archive schema migrates an empty database cleanly, and back down.
import { openDataSource } from '@parley/persistence';
import { createTestDatabase, TestDatabase } from '@parley/testing-stack';
import { entities } from './entities';
import { migrations } from './migrations';

/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

describe('archive migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('archive_migrations');
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await db?.drop();
  }, HOOK_TIMEOUT);

  it('create the tables and the paging indexes from empty, idempotently, and undo them', async () => {
    const ds = await openDataSource({ url: db.url, entities, migrations });
    const indexes = (await ds.query(`SELECT indexname FROM pg_indexes WHERE tablename IN ('archive_messages', 'archive_prefs') ORDER BY indexname`)).map(
      (r: { indexname: string }) => r.indexname,
    );
    expect(indexes).toEqual(
      expect.arrayContaining([
        'archive_messages_owner_stanza_id',
        'archive_messages_owner_ts_seq',
        'archive_messages_owner_with_ts_seq',
        'archive_messages_ts',
        'archive_prefs_opted_in',
        'archive_prefs_pkey',
        'archive_prefs_unpublished',
      ]),
    );
    await ds.destroy();
    const again = await openDataSource({ url: db.url, entities, migrations });
    expect(await again.query('SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: migrations.length }]);
    await again.undoLastMigration();
    expect(await again.query(`SELECT to_regclass('archive_messages') AS m, to_regclass('archive_prefs') AS p`)).toEqual([{ m: null, p: null }]);
    await again.destroy();
  });
});
