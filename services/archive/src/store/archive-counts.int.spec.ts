// The per-owner message counts (archive_counts, kept by triggers) against real Postgres:
// exact through inserts, duplicates, the retention sweep and erasure, and what an
// unfiltered MAM query's RSM <count/> and first index are read from.
import 'reflect-metadata';
import { envelope } from '@parley/contracts';
import { openDataSource } from '@parley/persistence';
import { createTestDatabase, TestDatabase } from '@parley/testing-stack';
import type { DataSource } from 'typeorm';
import { planLookup } from '../domain/lookup';
import { entities } from '../persistence/entities';
import { migrations } from '../persistence/migrations';
import { PgArchiveStore } from './pg-archive-store';

const HOOK_TIMEOUT = 60_000;
const LIMITS = { pageDefault: 50, pageMax: 250 };
const DAY = 24 * 3600_000;

describe('archive counts (triggers on archive_messages)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: PgArchiveStore;
  beforeAll(async () => {
    db = await createTestDatabase('archive_counts');
    ds = await openDataSource({ url: db.url, entities, migrations });
    store = PgArchiveStore.over(ds);
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  }, HOOK_TIMEOUT);

  const counts = async () => Object.fromEntries(((await ds.query('SELECT owner, n::int AS n FROM archive_counts ORDER BY owner')) as Array<{ owner: string; n: number }>).map((r) => [r.owner, r.n]));
  const real = async () =>
    Object.fromEntries(((await ds.query('SELECT owner, count(*)::int AS n FROM archive_messages GROUP BY owner ORDER BY owner')) as Array<{ owner: string; n: number }>).map((r) => [r.owner, r.n]));
  const put = (owner: string, id: string, ts: Date) =>
    store.storeIfAllowed(owner, () => ({
      store: true,
      record: { owner, stanzaId: id, ts, withBare: 'peer@localhost', withFull: 'peer@localhost/r', direction: 'in', stanza: `<message xmlns='jabber:client'><body>${id}</body></message>` },
    }));

  it('counts each owner\'s messages exactly through inserts, duplicates, bulk inserts, the sweep and erasure', async () => {
    const now = Date.now();
    for (let i = 0; i < 30; i++) await put('ann@localhost', `a${i}`, new Date(now - (i < 10 ? 40 : 1) * DAY + i * 1000));
    for (let i = 0; i < 5; i++) await put('bo@localhost', `b${i}`, new Date(now - DAY + i));
    expect(await put('ann@localhost', 'a3', new Date())).toEqual({ stored: true, duplicate: true }); // no second row, no second count
    // a bulk insert (one statement, many rows, two owners) as an older replica might write
    await ds.query(
      `INSERT INTO archive_messages (owner, stanza_id, ts, with_bare, with_full, direction, stanza)
       SELECT CASE WHEN g % 2 = 0 THEN 'ann@localhost' ELSE 'cy@localhost' END, 'bulk' || g, now(), 'p@localhost', 'p@localhost/r', 'i', '<message/>'
       FROM generate_series(1, 40) g`,
    );
    expect(await counts()).toEqual({ 'ann@localhost': 50, 'bo@localhost': 5, 'cy@localhost': 20 });
    expect(await counts()).toEqual(await real());

    await store.sweep(new Date(now - 30 * DAY), (r) => ({ subject: 'archive.evt.swept', event: envelope('archive.evt.swept', r) }));
    expect(await counts()).toEqual({ 'ann@localhost': 40, 'bo@localhost': 5, 'cy@localhost': 20 });
    await store.eraseUser('bo@localhost', 'archive.evt.prefs-changed.bo@localhost');
    expect(await counts()).toEqual({ 'ann@localhost': 40, 'cy@localhost': 20 }); // the row goes with the last message
    expect(await counts()).toEqual(await real());
  });

  it('answers an unfiltered query\'s count and first index from the counts, as a full count would', async () => {
    const owner = 'ann@localhost';
    const total = (await real())[owner];
    const cases = [
      { rsm: { max: 7 } }, // first page
      { rsm: { max: 7, index: 5 } }, // from an offset
      { rsm: { max: 7, before: '' } }, // last page
    ];
    for (const c of cases) {
      const page = await store.lookup(planLookup({ owner, ...c }, LIMITS));
      expect(page.count).toBe(total);
      const ids: string[] = (await ds.query('SELECT stanza_id FROM archive_messages WHERE owner = $1 ORDER BY ts, seq', [owner])).map((r: { stanza_id: string }) => r.stanza_id);
      expect(page.firstIndex).toBe(ids.indexOf(page.rows[0].id));
    }
    // a middle page after an RSM cursor
    const ids: string[] = (await ds.query('SELECT stanza_id FROM archive_messages WHERE owner = $1 ORDER BY ts, seq', [owner])).map((r: { stanza_id: string }) => r.stanza_id);
    const mid = await store.lookup(planLookup({ owner, rsm: { max: 5, after: ids[12] } }, LIMITS));
    expect(mid.count).toBe(total);
    expect(mid.firstIndex).toBe(13);
    const back = await store.lookup(planLookup({ owner, rsm: { max: 5, before: ids[30] } }, LIMITS));
    expect(back.firstIndex).toBe(25);
    // an owner with nothing archived
    const none = await store.lookup(planLookup({ owner: 'nobody@localhost', rsm: { max: 5 } }, LIMITS));
    expect(none.count).toBe(0);
    expect(none.rows).toEqual([]);
    // a filtered query still counts its own rows
    const filtered = await store.lookup(planLookup({ owner, with: 'peer@localhost', rsm: { max: 5 } }, LIMITS));
    expect(filtered.count).toBe((await ds.query("SELECT count(*)::int AS n FROM archive_messages WHERE owner = $1 AND with_bare = 'peer@localhost'", [owner]))[0].n);
  });
  it('keeps exact counts while bulk inserts and bulk deletes of the same owners run at once, without a deadlock', async () => {
    const owners = Array.from({ length: 8 }, (_, i) => `lock${i}@localhost`);
    const insert = (order: string[], tag: string) =>
      ds.query(
        `INSERT INTO archive_messages (owner, stanza_id, ts, with_bare, with_full, direction, stanza)
         SELECT o, $2 || o || g, now(), 'p@localhost', 'p@localhost/r', 'i', '<message/>' FROM unnest($1::text[]) WITH ORDINALITY AS u(o, k), generate_series(1, 3) g ORDER BY k`,
        [order, tag],
      );
    const reversed = [...owners].reverse();
    await insert(owners, 'seed');
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        insert(owners, `a${round}`),
        insert(reversed, `b${round}`),
        ds.query("DELETE FROM archive_messages WHERE owner = ANY($1::text[]) AND stanza_id LIKE 'seed%' AND stanza_id LIKE '%1'", [reversed]),
        ds.query('DELETE FROM archive_messages WHERE owner = ANY($1::text[]) AND stanza_id LIKE $2', [owners, `a${round - 1}%`]),
      ]);
    }
    const mine = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith('lock')));
    expect(mine(await counts())).toEqual(mine(await real()));
  });
});
