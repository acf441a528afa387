// The Postgres store's group commit (acceptMany) on a real database: one transaction
// decides a batch in order — quota counted across the batch, repeats and earlier
// receipts are duplicates, erased accounts refused, refusals in the outbox — and two
// batches for the same users at once neither deadlock nor overshoot the quota.
import { envelope, OfflineEvents } from '@parley/contracts';
import { randomUUID } from 'node:crypto';
import type { HandOff } from '../domain/hand-off';
import { AcceptOptions } from './offline-store';
import { storeOnTestDatabase } from '../testing/store-on-test-database';


describe('TypeOrmOfflineStore.acceptMany (real Postgres)', () => {
  const t = storeOnTestDatabase('offline_accept_many');

  let n = 0;
  const h = (user: string, over: Partial<HandOff> = {}): HandOff => {
    n += 1;
    return {
      id: randomUUID(),
      user,
      from: 'bob@localhost/phone',
      type: 'chat',
      stanzaId: `s${n}`,
      noStore: false,
      chatStateOnly: false,
      // The same arrival time for all: the insertion order alone keeps them in order.
      arrivedAt: new Date(Date.UTC(2026, 0, 1)),
      stanza: `<message xmlns='jabber:client' type='chat' id='s${n}'><body>${n}</body></message>`,
      ...over,
    };
  };
  const opts = (quota: number): AcceptOptions => ({
    quota,
    now: new Date(),
    refusalEvent: (r, x) => envelope(OfflineEvents.deliveryFailed, { reason: r.reason, handOff: x.id }, { id: `df-${x.id}` }),
  });
  const ids = async (user: string) => (await t.store.page(user, { limit: 100, maxBytes: 1 << 20 })).items.map((m) => m.id);

  it('decides a batch in order: the quota counts the earlier ones, a repeated id is a duplicate, refusals go to the outbox', async () => {
    const a = [h('a1@localhost'), h('a1@localhost'), h('a1@localhost')];
    const b = h('b1@localhost');
    const batch = [a[0], b, a[1], a[0], a[2]];
    const outcomes = await t.store.acceptMany(batch, opts(2));
    expect(outcomes.map((o) => [o.kind, o.duplicate])).toEqual([
      ['stored', false],
      ['stored', false],
      ['stored', false],
      ['stored', true],
      ['refused', false],
    ]);
    expect(outcomes[4]).toMatchObject({ reason: 'quota' });
    expect(await ids('a1@localhost')).toEqual([a[0].id, a[1].id]);
    expect(await ids('b1@localhost')).toEqual([b.id]);
    const outbox: Array<{ envelope: { id: string } }> = await t.ds.query('SELECT envelope FROM outbox');
    expect(outbox.map((r) => r.envelope.id)).toEqual([`df-${a[2].id}`]);
    // A redelivery of the whole batch changes nothing and answers the recorded outcomes.
    const again = await t.store.acceptMany(batch, opts(2));
    expect(again.map((o) => [o.kind, o.duplicate])).toEqual([
      ['stored', true],
      ['stored', true],
      ['stored', true],
      ['stored', true],
      ['refused', true],
    ]);
    expect((await t.ds.query('SELECT count(*)::int AS n FROM outbox'))[0].n).toBe(1);
  });

  it('refuses what arrived before an account deletion and stores what arrived after', async () => {
    await t.store.eraseAccount('gone@localhost', new Date(Date.UTC(2026, 0, 2)));
    const before = h('gone@localhost', {
      arrivedAt: new Date(Date.UTC(2026, 0, 1)),
    });
    const after = h('gone@localhost', {
      arrivedAt: new Date(Date.UTC(2026, 0, 3)),
    });
    const other = h('kept@localhost');
    const outcomes = await t.store.acceptMany([before, other, after], opts(10));
    expect(outcomes.map((o) => (o.kind === 'refused' ? o.reason : o.kind))).toEqual(['account-deleted', 'stored', 'stored']);
    expect(await ids('gone@localhost')).toEqual([after.id]);
  });

  it('refuses what may not be stored, among stored ones, with its detail', async () => {
    const ok = h('c1@localhost');
    const headline = h('c1@localhost', { type: 'headline' });
    const outcomes = await t.store.acceptMany([ok, headline], opts(10));
    expect(outcomes[0]).toMatchObject({ kind: 'stored' });
    expect(outcomes[1]).toMatchObject({
      kind: 'refused',
      reason: 'not-storable',
      detail: 'type-headline',
    });
  });

  it('keeps the batch order for equal arrival times, and lets overlapping batches run at once without overshooting the quota', async () => {
    const users = ['p1@localhost', 'p2@localhost', 'p3@localhost'];
    const batches = Array.from({ length: 4 }, (_, i) => (i % 2 ? [...users].reverse() : users).flatMap((u) => [h(u), h(u)]));
    const results = await Promise.all(batches.map((b) => t.store.acceptMany(b, opts(5))));
    for (const u of users) {
      const stored = batches.flatMap((b, i) => b.filter((x, j) => x.user === u && results[i][j].kind === 'stored'));
      expect(stored).toHaveLength(5);
      expect((await ids(u)).sort()).toEqual(stored.map((x) => x.id).sort());
    }
    const inOneBatch = batches[0].filter((x) => x.user === 'p1@localhost').map((x) => x.id);
    const order = await ids('p1@localhost');
    expect(order.indexOf(inOneBatch[0])).toBeLessThan(order.indexOf(inOneBatch[1]));
  });
});
