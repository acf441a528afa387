// The archive schema migrates an empty database cleanly, and back down.
import { ArchiveEvents, ArchivePrefsChangedV1, EventEnvelope } from '@parley/contracts';
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
      ]),
    );
    expect(await ds.query(`SELECT to_regclass('outbox') AS o`)).toEqual([{ o: 'outbox' }]);
    await ds.destroy();
    const again = await openDataSource({ url: db.url, entities, migrations });
    expect(await again.query('SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: migrations.length }]);
    for (let i = 0; i < migrations.length; i++) await again.undoLastMigration();
    expect(await again.query(`SELECT to_regclass('archive_messages') AS m, to_regclass('archive_prefs') AS p`)).toEqual([{ m: null, p: null }]);
    await again.destroy();
  });

  it('queue, on upgrade to the shared outbox, the preference changes the old per-row outbox had not published', async () => {
    const old = await createTestDatabase('archive_migrations_upgrade');
    try {
      const v1 = await openDataSource({ url: old.url, entities, migrations: migrations.slice(0, 1) });
      await v1.query(`INSERT INTO archive_prefs (jid, default_pref, always_jids, never_jids, version, published_version) VALUES
        ('pending@localhost', 'never', '{bob@localhost}', '{}', 3, 2),
        ('done@localhost', 'always', '{}', '{}', 1, 1)`);
      await v1.destroy();
      const v2 = await openDataSource({ url: old.url, entities, migrations });
      const rows: Array<{ subject: string; envelope: EventEnvelope<ArchivePrefsChangedV1> }> = await v2.query('SELECT subject, envelope FROM outbox ORDER BY seq');
      expect(rows).toHaveLength(1);
      expect(rows[0].subject).toBe(ArchiveEvents.prefsChangedFor('pending@localhost'));
      expect(rows[0].envelope).toMatchObject({ type: ArchiveEvents.prefsChanged, data: { jid: 'pending@localhost', default: 'never', always: ['bob@localhost'], optedIn: true, version: 3 } });
      await v2.destroy();
    } finally {
      await old.drop();
    }
  }, HOOK_TIMEOUT);
});
