// The per-user counts of waiting messages (offline_counts, kept by triggers on
// offline_message) against real Postgres: exact through batches, duplicates, delivery
// acks, XEP-0013 removal, the retention sweep and erasure; what the quota and
// `offline.qry.stats` are read from; and a sweep running across users while batches for
// the same users commit neither deadlocks nor drifts.
import { envelope, OfflineEvents } from '@parley/contracts';
import { randomUUID } from 'node:crypto';
import type { HandOff } from '../domain/hand-off';
import { AcceptOptions } from './offline-store';
import { storeOnTestDatabase } from '../testing/store-on-test-database';

const DAY = 24 * 3600_000;

describe('offline counts (triggers on offline_message)', () => {
  const t = storeOnTestDatabase('offline_counts');

  const h = (user: string, arrivedAt = new Date()): HandOff => {
    const id = randomUUID();
    return { id, user, from: 'bob@localhost/phone', type: 'chat', stanzaId: id, noStore: false, chatStateOnly: false, arrivedAt, stanza: `<message xmlns='jabber:client' type='chat'><body>${id}</body></message>` };
  };
  const opts = (quota = 1000): AcceptOptions => ({
    quota,
    now: new Date(),
    refusalEvent: (r, x) => envelope(OfflineEvents.deliveryFailed, { reason: r.reason, handOff: x.id }, { id: `df-${x.id}` }),
  });
  const counts = async () => Object.fromEntries(((await t.ds.query('SELECT user_jid, n::int AS n FROM offline_counts ORDER BY user_jid')) as Array<{ user_jid: string; n: number }>).map((r) => [r.user_jid, r.n]));
  const real = async () =>
    Object.fromEntries(((await t.ds.query('SELECT user_jid, count(*)::int AS n FROM offline_message GROUP BY user_jid ORDER BY user_jid')) as Array<{ user_jid: string; n: number }>).map((r) => [r.user_jid, r.n]));
  const ids = async (user: string) => (await t.store.page(user, { limit: 100, maxBytes: 1 << 20 })).items.map((m) => m.id);
  const swept = () => envelope(OfflineEvents.swept, { messages: 0 }, { id: randomUUID() });

  it('counts each user\'s waiting messages exactly through batches, duplicates, acks, removal, the sweep and erasure', async () => {
    const old = new Date(Date.now() - 40 * DAY);
    const ann = [...Array.from({ length: 4 }, () => h('ann@localhost', old)), ...Array.from({ length: 6 }, () => h('ann@localhost'))];
    const bo = Array.from({ length: 3 }, () => h('bo@localhost'));
    await t.store.acceptMany([...ann, ...bo], opts());
    await t.store.acceptMany([ann[5], bo[0]], opts()); // duplicates: no second row, no second count
    expect(await counts()).toEqual({ 'ann@localhost': 10, 'bo@localhost': 3 });
    expect(await t.store.count('ann@localhost')).toBe(10);
    expect(await t.store.totals()).toEqual({ messages: 13, users: 2 });

    expect(await t.store.deleteIds('ann@localhost', [ann[9].id, ann[8].id])).toBe(2); // delivered and acknowledged
    expect(await t.store.deleteExactly('bo@localhost', [bo[0].id, 'no-such-id'])).toBeUndefined(); // all or nothing: rolled back
    expect(await counts()).toEqual({ 'ann@localhost': 8, 'bo@localhost': 3 });
    await t.store.sweep({ messagesBefore: new Date(Date.now() - 30 * DAY), markersBefore: new Date(0), swept });
    expect(await counts()).toEqual({ 'ann@localhost': 4, 'bo@localhost': 3 });
    await t.store.eraseAccount('bo@localhost', new Date());
    expect(await counts()).toEqual({ 'ann@localhost': 4 }); // the row goes with the last message
    expect(await t.store.count('bo@localhost')).toBe(0);
    expect(await counts()).toEqual(await real());
    expect(await t.store.totals()).toEqual({ messages: 4, users: 1 });
  });

  it('refuses past the quota from the counts, as a full count would', async () => {
    const user = 'quota@localhost';
    const first = await t.store.acceptMany(Array.from({ length: 3 }, () => h(user)), opts(4));
    expect(first.map((o) => o.kind)).toEqual(['stored', 'stored', 'stored']);
    const second = await t.store.acceptMany(Array.from({ length: 3 }, () => h(user)), opts(4));
    expect(second.map((o) => o.kind)).toEqual(['stored', 'refused', 'refused']);
    await t.store.deleteIds(user, (await ids(user)).slice(0, 2));
    const third = await t.store.acceptMany(Array.from({ length: 3 }, () => h(user)), opts(4));
    expect(third.map((o) => o.kind)).toEqual(['stored', 'stored', 'refused']);
    expect(await t.store.count(user)).toBe(4);
  });

  it('keeps exact counts while a sweep across users runs with batches for the same users, without a deadlock', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `race${i}@localhost`);
    const old = new Date(Date.now() - 40 * DAY);
    // old messages of every user, in user order and in reverse, for the sweep to take
    await t.store.acceptMany(users.flatMap((u) => Array.from({ length: 5 }, () => h(u, old))), opts());
    const batches = Array.from({ length: 6 }, (_, k) => {
      const order = k % 2 === 0 ? users : [...users].reverse();
      return order.flatMap((u) => [h(u), h(u)]);
    });
    await Promise.all([
      ...batches.map((b) => t.store.acceptMany(b, opts())),
      t.store.sweep({ messagesBefore: new Date(Date.now() - 30 * DAY), markersBefore: new Date(0), swept }),
      ...users.map(async (u) => t.store.deleteIds(u, (await ids(u)).slice(0, 1))),
    ]);
    expect(await counts()).toEqual(await real());
  });
});
