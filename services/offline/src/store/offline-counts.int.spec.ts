// The per-user counts of waiting messages (offline_counts, kept by triggers on
// offline_message) against real Postgres: exact through batches, duplicates, delivery
// acks, XEP-0013 removal, the retention sweep and erasure; what the quota and
// `offline.qry.stats` are read from; and a sweep running across users while batches for
// the same users commit neither deadlocks nor drifts.
import { envelope, OfflineEvents } from '@parley/contracts';
import { openDataSource } from '@parley/persistence';
import { createTestDatabase, TestDatabase } from '@parley/testing-stack';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { HandOff } from '../domain/hand-off';
import { offlineDataSource } from '../persistence/data-source';
import { AcceptOptions } from './offline-store';
import { TypeOrmOfflineStore } from './typeorm-offline-store';

const HOOK_TIMEOUT = 60_000;
const DAY = 24 * 3600_000;

describe('offline counts (triggers on offline_message)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: TypeOrmOfflineStore;

  beforeAll(async () => {
    db = await createTestDatabase('offline_counts');
    ds = await openDataSource(offlineDataSource({ OFFLINE_DATABASE_URL: db.url }, 8));
    store = new TypeOrmOfflineStore(ds);
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  }, HOOK_TIMEOUT);

  const h = (user: string, arrivedAt = new Date()): HandOff => {
    const id = randomUUID();
    return { id, user, from: 'bob@localhost/phone', type: 'chat', stanzaId: id, noStore: false, chatStateOnly: false, arrivedAt, stanza: `<message xmlns='jabber:client' type='chat'><body>${id}</body></message>` };
  };
  const opts = (quota = 1000): AcceptOptions => ({
    quota,
    now: new Date(),
    refusalEvent: (r, x) => envelope(OfflineEvents.deliveryFailed, { reason: r.reason, handOff: x.id }, { id: `df-${x.id}` }),
  });
  const counts = async () => Object.fromEntries(((await ds.query('SELECT user_jid, n::int AS n FROM offline_counts ORDER BY user_jid')) as Array<{ user_jid: string; n: number }>).map((r) => [r.user_jid, r.n]));
  const real = async () =>
    Object.fromEntries(((await ds.query('SELECT user_jid, count(*)::int AS n FROM offline_message GROUP BY user_jid ORDER BY user_jid')) as Array<{ user_jid: string; n: number }>).map((r) => [r.user_jid, r.n]));
  const ids = async (user: string) => (await store.page(user, { limit: 100, maxBytes: 1 << 20 })).items.map((m) => m.id);
  const swept = () => envelope(OfflineEvents.swept, { messages: 0 }, { id: randomUUID() });

  it('counts each user\'s waiting messages exactly through batches, duplicates, acks, removal, the sweep and erasure', async () => {
    const old = new Date(Date.now() - 40 * DAY);
    const ann = [...Array.from({ length: 4 }, () => h('ann@localhost', old)), ...Array.from({ length: 6 }, () => h('ann@localhost'))];
    const bo = Array.from({ length: 3 }, () => h('bo@localhost'));
    await store.acceptMany([...ann, ...bo], opts());
    await store.acceptMany([ann[5], bo[0]], opts()); // duplicates: no second row, no second count
    expect(await counts()).toEqual({ 'ann@localhost': 10, 'bo@localhost': 3 });
    expect(await store.count('ann@localhost')).toBe(10);
    expect(await store.totals()).toEqual({ messages: 13, users: 2 });

    expect(await store.deleteIds('ann@localhost', [ann[9].id, ann[8].id])).toBe(2); // delivered and acknowledged
    expect(await store.deleteExactly('bo@localhost', [bo[0].id, 'no-such-id'])).toBeUndefined(); // all or nothing: rolled back
    expect(await counts()).toEqual({ 'ann@localhost': 8, 'bo@localhost': 3 });
    await store.sweep({ messagesBefore: new Date(Date.now() - 30 * DAY), markersBefore: new Date(0), swept });
    expect(await counts()).toEqual({ 'ann@localhost': 4, 'bo@localhost': 3 });
    await store.eraseAccount('bo@localhost', new Date());
    expect(await counts()).toEqual({ 'ann@localhost': 4 }); // the row goes with the last message
    expect(await store.count('bo@localhost')).toBe(0);
    expect(await counts()).toEqual(await real());
    expect(await store.totals()).toEqual({ messages: 4, users: 1 });
  });

  it('refuses past the quota from the counts, as a full count would', async () => {
    const user = 'quota@localhost';
    const first = await store.acceptMany(Array.from({ length: 3 }, () => h(user)), opts(4));
    expect(first.map((o) => o.kind)).toEqual(['stored', 'stored', 'stored']);
    const second = await store.acceptMany(Array.from({ length: 3 }, () => h(user)), opts(4));
    expect(second.map((o) => o.kind)).toEqual(['stored', 'refused', 'refused']);
    await store.deleteIds(user, (await ids(user)).slice(0, 2));
    const third = await store.acceptMany(Array.from({ length: 3 }, () => h(user)), opts(4));
    expect(third.map((o) => o.kind)).toEqual(['stored', 'stored', 'refused']);
    expect(await store.count(user)).toBe(4);
  });

  it('keeps exact counts while a sweep across users runs with batches for the same users, without a deadlock', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `race${i}@localhost`);
    const old = new Date(Date.now() - 40 * DAY);
    // old messages of every user, in user order and in reverse, for the sweep to take
    await store.acceptMany(users.flatMap((u) => Array.from({ length: 5 }, () => h(u, old))), opts());
    const batches = Array.from({ length: 6 }, (_, k) => {
      const order = k % 2 === 0 ? users : [...users].reverse();
      return order.flatMap((u) => [h(u), h(u)]);
    });
    await Promise.all([
      ...batches.map((b) => store.acceptMany(b, opts())),
      store.sweep({ messagesBefore: new Date(Date.now() - 30 * DAY), markersBefore: new Date(0), swept }),
      ...users.map(async (u) => store.deleteIds(u, (await ids(u)).slice(0, 1))),
    ]);
    expect(await counts()).toEqual(await real());
  });
});
