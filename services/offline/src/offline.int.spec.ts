// The offline service driven through the bus exactly as the gateway drives it.
import {
  OfflineStatsResult,
  AccountDeletedV1,
  EventEnvelope,
  GatewayEvents,
  OfflineCountResult,
  OfflineDeletedResult,
  OfflineDeliveryFailedV1,
  OfflineEvents,
  OfflineFetchResult,
  OfflineFirstPagesResult,
  OfflinePagesResult,
  MAX_PAGES_ENTRIES,
  MAX_FIRST_PAGES_USERS,
  OfflineHeadersResult,
  OfflineSubjects,
  OfflineSweepResult,
  OfflineSweptV1,
  envelope,
} from '@parley/contracts';
import { BusReplyError } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Harness, handOff, handOffs, startHarness } from './testing/harness';

/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

const DAY = 24 * 3600 * 1000;
const BOB = 'bOb@localhost/phone';

describe('offline service (real NATS + Postgres, through the bus)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ OFFLINE_QUOTA: '3', OFFLINE_FETCH_MAX_BYTES: '16KiB' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  const count = async (user: string) => (await h.bus.request<OfflineCountResult>(OfflineSubjects.count, { user })).count;
  const fetch = (q: object) => h.bus.request<OfflineFetchResult>(OfflineSubjects.fetch, q);
  const failures = (to: string) => h.events.filter((e) => e.type === OfflineEvents.deliveryFailed && e.data.to === to) as EventEnvelope<OfflineDeliveryFailedV1>[];
  const oneFailure = async (to: string, what: string) => {
    await waitFor(() => failures(to).length === 1, { what });
    return failures(to);
  };
  const condition = (p: Promise<unknown>) => p.then(
    () => 'no error',
    (e: unknown) => (e instanceof BusReplyError ? e.error.condition : String(e)),
  );

  it('stores messages for an offline user and fetches them in arrival order with their arrival times', async () => {
    const user = `alice1@localhost`;
    const t0 = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await handOff(h.bus, { from: BOB, to: 'alicE1@localhost', body: `hello ${i}`, stanzaId: `s${i}`, arrivedAt: new Date(t0 + i * 1000) }));
    await waitFor(async () => (await count(user)) === 3, { what: 'three stored messages' });

    const page = await fetch({ user });
    expect(page.next).toBeUndefined();
    expect(page.messages.map((m) => m.id)).toEqual(ids);
    expect(page.messages.map((m) => m.arrivedAt)).toEqual([0, 1, 2].map((i) => new Date(t0 + i * 1000).toISOString()));
    expect(page.messages[0]).toMatchObject({ from: BOB, type: 'chat', stanzaId: 's0' });
    expect(page.messages[0].stanza).toContain('<body>hello 0</body>');
    expect(page.messages[0].delayStamped).toBeUndefined();
  });

  it('fetch does not delete; ack deletes exactly what was acknowledged and is idempotent', async () => {
    const user = 'alice1@localhost';
    const before = await fetch({ user });
    expect((await fetch({ user })).messages).toHaveLength(3);
    const [first, second] = before.messages;
    await expect(h.bus.request<OfflineDeletedResult>(OfflineSubjects.ack, { user, ids: [first.id, second.id] })).resolves.toEqual({ deleted: 2 });
    await expect(h.bus.request<OfflineDeletedResult>(OfflineSubjects.ack, { user, ids: [first.id] })).resolves.toEqual({ deleted: 0 });
    expect((await fetch({ user })).messages.map((m) => m.id)).toEqual([before.messages[2].id]);
    expect(await h.sql('SELECT id FROM offline_message WHERE id = ANY($1)', [[first.id, second.id]])).toEqual([]);
  });

  it('only deletes the acknowledging user’s messages', async () => {
    const [remaining] = (await fetch({ user: 'alice1@localhost' })).messages;
    await expect(h.bus.request(OfflineSubjects.ack, { user: 'mallory@localhost', ids: [remaining.id] })).resolves.toEqual({ deleted: 0 });
    expect(await count('alice1@localhost')).toBe(1);
  });

  it('stamps XEP-0203 <delay/> with the arrival time when asked', async () => {
    const [m] = (await fetch({ user: 'alice1@localhost', stampDelay: true })).messages;
    expect(m.delayStamped).toBe(true);
    expect(m.stanza).toMatch(new RegExp(`<delay xmlns='urn:xmpp:delay' from='localhost' stamp='${m.arrivedAt}'/></message>$`));
  });

  it('stores a hand-off id once, whether JetStream or the database drops the repeat', async () => {
    const id = randomUUID();
    await handOff(h.bus, { from: BOB, to: 'alice2@localhost', body: 'once', id });
    await handOff(h.bus, { from: BOB, to: 'alice2@localhost', body: 'once', id }); // same Nats-Msg-Id: JetStream drops it
    // Past JetStream's de-duplication (no Nats-Msg-Id): the service's own receipt must catch it.
    const again = envelope(OfflineSubjects.store, { to: 'alice2@localhost', from: BOB, type: 'chat', noStore: false, arrivedAt: new Date().toISOString(), stanza: `<message type='chat'><body>once</body></message>` }, { id });
    await h.bus.publishEvent(again, OfflineSubjects.store, { dedupe: false });
    const marker = await handOff(h.bus, { from: BOB, to: 'alice2@localhost', body: 'after' });
    await waitFor(async () => (await fetch({ user: 'alice2@localhost' })).messages.some((m) => m.id === marker), { what: 'the marker message' });
    expect((await fetch({ user: 'alice2@localhost' })).messages.map((m) => m.id)).toEqual([id, marker]);
    expect(await h.sql('SELECT count(*)::int AS n FROM offline_message WHERE id = $1', [id])).toEqual([{ n: 1 }]);
  });

  it('stores the hand-offs of a version 2 envelope (a gateway turn) for several users, each in order, once though redelivered', async () => {
    // quota 3: alice gets two of the envelopes and the marker
    const t0 = Date.now() - 60_000;
    const spec = (to: string, i: number) => ({ from: BOB, to, body: `many ${i}`, stanzaId: `v2-${i}`, arrivedAt: new Date(t0 + i) });
    const first = await handOffs(h.bus, [spec('alice20@localhost', 0), spec('carol20@localhost', 1), spec('alice20@localhost', 2)]);
    const second = await handOffs(h.bus, [spec('carol20@localhost', 3), spec('dave20@localhost', 4)]);
    // past JetStream's de-duplication: the whole first envelope again
    await h.bus.publishEvent(first.envelope, OfflineSubjects.store, { dedupe: false });
    const marker = await handOff(h.bus, { from: BOB, to: 'alice20@localhost', body: 'after' });
    await waitFor(async () => (await fetch({ user: 'alice20@localhost' })).messages.some((m) => m.id === marker), { what: 'the marker message' });
    const [a0, c1, a2] = first.ids;
    const [c3, d4] = second.ids;
    expect((await fetch({ user: 'alice20@localhost' })).messages.map((m) => m.id)).toEqual([a0, a2, marker]);
    expect((await fetch({ user: 'dave20@localhost' })).messages.map((m) => m.id)).toEqual([d4]);
    expect((await fetch({ user: 'carol20@localhost' })).messages.map((m) => [m.id, m.from])).toEqual([
      [c1, BOB],
      [c3, BOB],
    ]);
    expect(await h.sql('SELECT count(*)::int AS n FROM offline_message WHERE id = ANY($1::text[])', [[...first.ids, ...second.ids]])).toEqual([{ n: 5 }]);
  });

  it('does not store a hand-off again when it is redelivered after the user took it', async () => {
    const id = randomUUID();
    await handOff(h.bus, { from: BOB, to: 'alice3@localhost', body: 'delivered', id });
    await waitFor(async () => (await count('alice3@localhost')) === 1, { what: 'stored' });
    await h.bus.request(OfflineSubjects.ack, { user: 'alice3@localhost', ids: [id] });
    const again = envelope(OfflineSubjects.store, { to: 'alice3@localhost', from: BOB, type: 'chat', noStore: false, arrivedAt: new Date().toISOString(), stanza: `<message type='chat'><body>delivered</body></message>` }, { id });
    await h.bus.publishEvent(again, OfflineSubjects.store, { dedupe: false });
    const marker = await handOff(h.bus, { from: BOB, to: 'alice3@localhost', body: 'next' });
    await waitFor(async () => (await count('alice3@localhost')) >= 1, { what: 'the marker' });
    expect((await fetch({ user: 'alice3@localhost' })).messages.map((m) => m.id)).toEqual([marker]);
  });

  it.each([
    ['groupchat', { type: 'groupchat' as const }, 'type-groupchat'],
    ['headline', { type: 'headline' as const }, 'type-headline'],
    ['error', { type: 'error' as const }, 'type-error'],
    ['<no-store/> (stated)', { noStore: true }, 'no-store-hint'],
    ['<no-store/> (only in the stanza)', { extra: `<no-store xmlns='urn:xmpp:hints'/>` }, 'no-store-hint'],
    ['chat states only', { chatStateOnly: true }, 'chat-state-only'],
  ])('refuses a message (%s) defensively', async (_what, opts, detail) => {
    const to = `nostore-${detail}-${Math.random().toString(36).slice(2, 8)}@localhost`;
    const id = await handOff(h.bus, { from: BOB, to, body: 'do not keep', stanzaId: 'ns1', ...opts });
    const [failure] = await oneFailure(to, 'delivery-failed');
    expect(failure.data).toMatchObject({ reason: 'not-storable', detail, stanzaId: 'ns1', from: BOB, to });
    expect(await count(to)).toBe(0);
    expect(await h.sql('SELECT outcome, reason FROM hand_off_receipt WHERE id = $1', [id])).toEqual([{ outcome: 'refused', reason: 'not-storable' }]);
  });

  it('refuses a message past the quota and publishes delivery-failed without content', async () => {
    const to = 'alice4@localhost';
    for (let i = 0; i < 3; i++) await handOff(h.bus, { from: BOB, to, body: `fits ${i}` });
    await waitFor(async () => (await count(to)) === 3, { what: 'quota filled' });
    const id = await handOff(h.bus, { from: BOB, to, body: 'secret words over quota', stanzaId: 'q4' });
    const [failure] = await oneFailure(to, 'delivery-failed');

    expect(Object.keys(failure.data).sort()).toEqual(['at', 'from', 'messageType', 'reason', 'stanzaId', 'to']);
    expect(failure.data).toMatchObject({ from: BOB, to, reason: 'quota', stanzaId: 'q4', messageType: 'chat' });
    expect(Number.isNaN(Date.parse(failure.data.at))).toBe(false);
    expect(JSON.stringify(failure)).not.toMatch(/secret words|<message|body/);
    expect(failure).toMatchObject({ type: OfflineEvents.deliveryFailed, causationId: id });
    expect(await count(to)).toBe(3);
    expect(await h.sql('SELECT count(*)::int AS n FROM offline_message WHERE id = $1', [id])).toEqual([{ n: 0 }]);
  });

  it('tells the sender once: a redelivered over-quota hand-off republishes the same event id, which is dropped', async () => {
    const to = 'alice4@localhost';
    const [first] = failures(to);
    const id = first.causationId!;
    // Redelivered without Nats-Msg-Id, so it does reach the service again.
    const again = envelope(OfflineSubjects.store, { to, from: BOB, type: 'chat', stanzaId: 'q4', noStore: false, arrivedAt: new Date().toISOString(), stanza: `<message type='chat'/>` }, { id });
    await h.bus.publishEvent(again, OfflineSubjects.store, { dedupe: false });
    const marker = await handOff(h.bus, { from: BOB, to: 'marker-once@localhost', body: 'm' });
    await waitFor(async () => (await fetch({ user: 'marker-once@localhost' })).messages.some((m) => m.id === marker), { what: 'the marker' });
    expect(failures(to)).toHaveLength(1);
    expect(await count(to)).toBe(3);
  });

  it('sweeps messages older than the retention, silently, and publishes swept counts', async () => {
    const to = 'alice5@localhost';
    const old = await handOff(h.bus, { from: BOB, to, body: 'ancient', arrivedAt: new Date(Date.now() - 31 * DAY) });
    const fresh = await handOff(h.bus, { from: BOB, to, body: 'recent', arrivedAt: new Date(Date.now() - 29 * DAY) });
    await waitFor(async () => (await count(to)) === 2, { what: 'two stored' });
    const failuresBefore = h.events.filter((e) => e.type === OfflineEvents.deliveryFailed).length;

    const result = await h.bus.request<OfflineSweepResult>(OfflineSubjects.sweep, {});
    expect(result.messagesDeleted).toBe(1);
    expect((await fetch({ user: to })).messages.map((m) => m.id)).toEqual([fresh]);
    expect(await h.sql('SELECT id FROM offline_message WHERE id = $1', [old])).toEqual([]);

    const swept = await waitFor(() => h.events.find((e) => e.type === OfflineEvents.swept && e.data.trigger === 'command'), { what: 'swept' });
    const data = swept.data as OfflineSweptV1;
    expect(data).toMatchObject({ messagesDeleted: 1, retentionMs: 30 * DAY, cutoff: result.cutoff });
    expect(Object.keys(data).sort()).toEqual(['cutoff', 'markersDeleted', 'messagesDeleted', 'retentionMs', 'trigger']);
    expect(h.events.filter((e) => e.type === OfflineEvents.deliveryFailed)).toHaveLength(failuresBefore);
  });

  it('erases a deleted account’s messages and refuses what was still in flight for it', async () => {
    const to = 'alicE6@localhost';
    await handOff(h.bus, { from: BOB, to, body: 'for a soon deleted account' });
    await waitFor(async () => (await count(to)) === 1, { what: 'stored' });
    const deletedAt = new Date();
    const gone = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'alice6@localhost', reason: 'user' }, { occurredAt: deletedAt });
    await h.bus.publishEvent(gone);
    await h.bus.publishEvent(gone); // replayed: nothing more happens
    await waitFor(async () => (await count(to)) === 0, { what: 'erased' });
    expect(await h.sql('SELECT count(*)::int AS n FROM offline_message WHERE user_jid = $1', ['alice6@localhost'])).toEqual([{ n: 0 }]);

    // A message that arrived before the deletion but was still in the stream is refused...
    await handOff(h.bus, { from: BOB, to, body: 'in flight', stanzaId: 'late', arrivedAt: new Date(deletedAt.getTime() - 1000) });
    const [failure] = await oneFailure('alice6@localhost', 'refusal');
    expect(failure.data).toMatchObject({ reason: 'account-deleted', stanzaId: 'late' });
    // ...while one for a re-registered account of the same name, arriving later, is stored.
    const later = await handOff(h.bus, { from: BOB, to, body: 'welcome back', arrivedAt: new Date(deletedAt.getTime() + 1000) });
    await waitFor(async () => (await count(to)) === 1, { what: 'stored after re-registration' });
    expect((await fetch({ user: to })).messages.map((m) => m.id)).toEqual([later]);
    // The marker holds no JID.
    expect(JSON.stringify(await h.sql('SELECT * FROM erased_account'))).not.toMatch(/alice6/i);
  });

  describe('XEP-0013 flexible offline retrieval', () => {
    const user = 'alice7@localhost';
    let ids: string[];

    beforeAll(async () => {
      ids = [];
      for (const [i, from] of ['bOb@localhost/phone', 'carol@localhost/desk', 'bOb@localhost/laptop'].entries())
        ids.push(await handOff(h.bus, { from, to: user, body: `m${i}`, arrivedAt: new Date(Date.now() - 10_000 + i) }));
      await waitFor(async () => (await count(user)) === 3, { what: 'three stored' });
    }, HOOK_TIMEOUT);

    it('counts and lists headers with node = id and the sender as name, in arrival order', async () => {
      expect(await count(user)).toBe(3);
      const headers = await h.bus.request<OfflineHeadersResult>(OfflineSubjects.headers, { user });
      expect(headers.next).toBeUndefined();
      expect(headers.items.map((i) => [i.id, i.from])).toEqual([
        [ids[0], 'bOb@localhost/phone'],
        [ids[1], 'carol@localhost/desk'],
        [ids[2], 'bOb@localhost/laptop'],
      ]);
      const paged = await h.bus.request<OfflineHeadersResult>(OfflineSubjects.headers, { user, limit: 2 });
      expect(paged.items).toHaveLength(2);
      const rest = await h.bus.request<OfflineHeadersResult>(OfflineSubjects.headers, { user, limit: 2, after: paged.next });
      expect(rest.items.map((i) => i.id)).toEqual([ids[2]]);
      expect(rest.next).toBeUndefined();
    });

    it('fetches one message by node without deleting it, and answers item-not-found for an unknown node', async () => {
      const one = await fetch({ user, ids: [ids[1]] });
      expect(one.messages.map((m) => m.id)).toEqual([ids[1]]);
      expect(one.messages[0].stanza).toContain('<body>m1</body>');
      expect(await count(user)).toBe(3);
      expect(await condition(fetch({ user, ids: [ids[1], 'no-such-node'] }))).toBe('item-not-found');
      expect(await condition(fetch({ user: 'someone-else@localhost', ids: [ids[1]] }))).toBe('item-not-found');
    });

    it('removes one message by node, all-or-nothing', async () => {
      expect(await condition(h.bus.request(OfflineSubjects.remove, { user, ids: [ids[0], 'no-such-node'] }))).toBe('item-not-found');
      expect(await count(user)).toBe(3);
      await expect(h.bus.request(OfflineSubjects.remove, { user, ids: [ids[0]] })).resolves.toEqual({ deleted: 1 });
      expect((await fetch({ user })).messages.map((m) => m.id)).toEqual([ids[1], ids[2]]);
    });

    it('purges all messages', async () => {
      await expect(h.bus.request(OfflineSubjects.purge, { user })).resolves.toEqual({ deleted: 2 });
      expect(await count(user)).toBe(0);
    });
  });

  it('pages a large backlog below the byte bound, continuing with the cursor', async () => {
    const to = 'alice8@localhost';
    const big = 'x'.repeat(5000);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await handOff(h.bus, { from: BOB, to, body: `${i}${big}`, arrivedAt: new Date(Date.now() - 5000 + i) }));
    await waitFor(async () => (await count(to)) === 3, { what: 'three big messages' });
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await fetch({ user: to, after });
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(16 * 1024);
      seen.push(...page.messages.map((m) => m.id));
      after = page.next;
      pages += 1;
    } while (after && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(ids);
    const limited = await fetch({ user: to, limit: 1 });
    expect(limited.messages).toHaveLength(1);
    expect(limited.next).toBeDefined();
  });

  it("answers several users' first pages in one reply below the byte bound, each as its own fetch would, the rest by cursor", async () => {
    const [small, big, none] = ['first1@localhost', 'first2@localhost', 'first3@localhost'];
    const smallIds: string[] = [];
    for (let i = 0; i < 2; i++) smallIds.push(await handOff(h.bus, { from: BOB, to: small, body: `small ${i}`, arrivedAt: new Date(Date.now() - 5000 + i) }));
    const bigIds: string[] = [];
    for (let i = 0; i < 3; i++) bigIds.push(await handOff(h.bus, { from: BOB, to: big, body: `${i}${'y'.repeat(5000)}`, arrivedAt: new Date(Date.now() - 5000 + i) }));
    await waitFor(async () => (await count(small)) === 2 && (await count(big)) === 3, { what: 'both backlogs stored' });

    const r = await h.bus.request<OfflineFirstPagesResult>(OfflineSubjects.firstPages, { users: [small, none, 'First2@localhost'], stampDelay: true });
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(16 * 1024);
    expect(r.pages).toHaveLength(3);
    expect(r.pages[0]).toEqual(await fetch({ user: small, stampDelay: true }));
    expect(r.pages[0].messages.map((m) => m.id)).toEqual(smallIds);
    expect(r.pages[0].messages[0].delayStamped).toBe(true);
    expect(r.pages[1]).toEqual({ messages: [] });
    // what did not fit continues with offline.qry.fetch from the cursor, in order and complete
    const seen = r.pages[2].messages.map((m) => m.id);
    expect(seen.length).toBeLessThan(3);
    let after = r.pages[2].next;
    while (after) {
      const page = await fetch({ user: big, after });
      seen.push(...page.messages.map((m) => m.id));
      after = page.next;
    }
    expect(seen).toEqual(bigIds);
    // a user the reply has no room for gets no messages and a cursor from the start of the backlog
    const late = 'first4@localhost';
    const lateId = await handOff(h.bus, { from: BOB, to: late, body: `late${'z'.repeat(12000)}` });
    await waitFor(async () => (await count(late)) === 1, { what: 'the late backlog stored' });
    const crowded = await h.bus.request<OfflineFirstPagesResult>(OfflineSubjects.firstPages, { users: [big, big, late] });
    expect(crowded.pages[0]).toEqual(crowded.pages[1]);
    expect(crowded.pages[2].messages).toEqual([]);
    expect((await fetch({ user: late, after: crowded.pages[2].next })).messages.map((m) => m.id)).toEqual([lateId]);
    expect(await condition(h.bus.request(OfflineSubjects.firstPages, { users: [] }))).toBe('bad-request');
    expect(await condition(h.bus.request(OfflineSubjects.firstPages, { users: ['@x'] }))).toBe('jid-malformed');
    expect(await condition(h.bus.request(OfflineSubjects.firstPages, { users: Array.from({ length: MAX_FIRST_PAGES_USERS + 1 }, (_, i) => `u${i}@localhost`) }))).toBe('bad-request');
  });

  it('answers several pages with cursors in one reply (offline.qry.pages), each as its own fetch would, the same user twice too', async () => {
    const [ann, ben] = ['pages1@localhost', 'pages2@localhost'];
    const annIds: string[] = [];
    for (let i = 0; i < 5; i++) annIds.push(await handOff(h.bus, { from: BOB, to: ann, body: `ann ${i}`, arrivedAt: new Date(Date.now() - 5000 + i) }));
    const benIds: string[] = [];
    for (let i = 0; i < 3; i++) benIds.push(await handOff(h.bus, { from: BOB, to: ben, body: `${i}${'b'.repeat(5000)}`, arrivedAt: new Date(Date.now() - 5000 + i) }));
    await waitFor(async () => (await count(ann)) === 3 && (await count(ben)) === 3, { what: 'both backlogs stored (quota 3)' });

    const annFirst = await fetch({ user: ann, limit: 1 });
    const pages = (q: object) => h.bus.request<OfflinePagesResult>(OfflineSubjects.pages, q);
    const r = await pages({ pages: [{ user: ann, after: annFirst.next }, { user: 'Pages1@localhost' }, { user: ann, after: annFirst.next }, { user: 'pages3@localhost' }], limit: 10, stampDelay: true });
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(16 * 1024);
    expect(r.pages).toHaveLength(4);
    expect(r.pages[0]).toEqual(await fetch({ user: ann, after: annFirst.next, limit: 10, stampDelay: true }));
    expect(r.pages[0].messages.map((m) => m.id)).toEqual(annIds.slice(1, 3));
    expect(r.pages[1].messages.map((m) => m.id)).toEqual(annIds.slice(0, 3));
    expect(r.pages[2]).toEqual(r.pages[0]);
    expect(r.pages[3]).toEqual({ messages: [] });
    // pages past the bound: what each got plus where to go on, until every backlog is read, in order
    const seen = new Map<string, string[]>([
      [ann, []],
      [ben, []],
    ]);
    let asked: Array<{ user: string; after?: string }> = [{ user: ben }, { user: ann }];
    for (let round = 0; asked.length && round < 10; round++) {
      const got = await pages({ pages: asked });
      expect(Buffer.byteLength(JSON.stringify(got))).toBeLessThanOrEqual(16 * 1024);
      got.pages.forEach((p, k) => seen.get(asked[k].user)!.push(...p.messages.map((m) => m.id)));
      asked = got.pages.flatMap((p, k) => (p.next ? [{ user: asked[k].user, after: p.next }] : []));
    }
    expect(seen.get(ann)).toEqual(annIds.slice(0, 3));
    expect(seen.get(ben)).toEqual(benIds);
    // a message larger than the whole bound still comes, alone, first in a reply: no backlog is stuck behind it
    const huge = 'pages4@localhost';
    const hugeId = await handOff(h.bus, { from: BOB, to: huge, body: 'h'.repeat(20_000) });
    await waitFor(async () => (await count(huge)) === 1, { what: 'the huge message stored' });
    const crowded = await pages({ pages: [{ user: ann }, { user: huge }] });
    expect(crowded.pages[1].messages).toEqual([]);
    const alone = await pages({ pages: [{ user: huge, after: crowded.pages[1].next }, { user: ann }] });
    expect(alone.pages[0].messages.map((m) => m.id)).toEqual([hugeId]);
    expect(alone.pages[0].next).toBeUndefined();
    expect(await condition(pages({ pages: [] }))).toBe('bad-request');
    expect(await condition(pages({ pages: [{ user: ann, after: 'not a cursor' }] }))).toBe('bad-request');
    expect(await condition(pages({ pages: [{ user: '@x' }] }))).toBe('jid-malformed');
    expect(await condition(pages({ pages: ['x'] }))).toBe('bad-request');
    expect(await condition(pages({ pages: Array.from({ length: MAX_PAGES_ENTRIES + 1 }, (_, i) => ({ user: `u${i}@localhost` })) }))).toBe('bad-request');
  });

  it('answers jid-malformed for a request without an account JID, bad-request for other malformed requests', async () => {
    expect(await condition(fetch({}))).toBe('jid-malformed');
    expect(await condition(h.bus.request(OfflineSubjects.ack, { user: 'a@localhost', ids: [] }))).toBe('bad-request');
    expect(await condition(fetch({ user: 'a@localhost', after: 'not-a-cursor' }))).toBe('bad-request');
  });

  it('answers the janitor totals that match what is stored, with no JID', async () => {
    const [r] = await h.sql('SELECT count(*)::int AS messages, count(DISTINCT user_jid)::int AS users FROM offline_message');
    const totals = await h.bus.request<OfflineStatsResult>(OfflineSubjects.stats, {});
    expect(totals).toEqual({ messages: r.messages, users: r.users });
    expect(JSON.stringify(totals)).not.toContain('@');
  });

  it('runs on a database whose schema matches its entities exactly', async () => {
    const ds = h.app.get(DataSource);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});
