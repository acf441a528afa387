// The archive service driven through the bus exactly as the gateway drives it.
import {
  ARCHIVE_PREFS,
  AccountDeletedV1,
  ArchiveEvents,
  ArchiveLookupQuery,
  ArchiveLookupResult,
  ArchiveMetadataResult,
  ArchiveOptedInResult,
  ArchivePrefsV1,
  ArchiveSubjects,
  ArchiveSweptV1,
  GATEWAY_EVENTS,
  GatewayEvents,
  envelope,
  jidToken,
} from '@parley/contracts';
import { BusReplyError } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { prefsChanged } from './handlers/prefs-events';
import { Harness, startHarness, storeMessage } from './testing/harness';

// Hooks and tests share a loaded CI machine with other suites: generous limits, no timing assertions.
jest.setTimeout(60_000);
/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

const MIN = 60_000;

describe('archive service (real NATS + Postgres, through the bus)', () => {
  let h: Harness;

  beforeAll(async () => {
    // One store command at a time: messages sharing a timestamp keep their publication order.
    h = await startHarness({ ARCHIVE_PAGE_MAX: '100', ARCHIVE_PAGE_DEFAULT: '20', ARCHIVE_STORE_CONCURRENCY: '1', ARCHIVE_OUTBOX_INTERVAL: '200ms' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  const setPrefs = (jid: string, p: ArchivePrefsV1) => h.bus.request<ArchivePrefsV1>(ArchiveSubjects.setPrefs, { jid, ...p });
  const getPrefs = (jid: string) => h.bus.request<ArchivePrefsV1>(ArchiveSubjects.getPrefs, { jid });
  const lookup = (q: ArchiveLookupQuery) => h.bus.request<ArchiveLookupResult>(ArchiveSubjects.lookup, q);
  const rows = async (owner: string) => (await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM archive_messages WHERE owner = $1', [owner]))[0].n;
  const condition = (p: Promise<unknown>) =>
    p.then(
      () => 'no error',
      (e: unknown) => (e instanceof BusReplyError ? e.error.condition : String(e)),
    );
  const prefsEventsFor = (jid: string) => h.prefsEvents.filter((p) => p.event.data.jid === jid);

  describe('opt-in', () => {
    it('starts a new account at never and archives nothing before opt-in', async () => {
      await expect(getPrefs('alicE@localhost')).resolves.toEqual({ default: 'never', always: [], never: [] });
      await storeMessage(h.bus, { owner: 'alicE@localhost', peer: 'bob@localhost/phone' });
      await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'bob@localhost/phone', direction: 'out' });
      await h.drained();
      expect(await rows('alice@localhost')).toBe(0);
      await expect(lookup({ owner: 'alice@localhost' })).resolves.toEqual({ items: [], complete: true, count: 0 });
    });

    it('archives after opt-in, and publishes prefs-changed on the user’s own subject', async () => {
      await expect(setPrefs('alicE@localhost', { default: 'always', always: [], never: [] })).resolves.toEqual({ default: 'always', always: [], never: [] });
      const ts = new Date(Date.now() - 5 * MIN);
      const id = await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'bob@localhost/phone', body: 'first', timestamp: ts });
      await h.drained();
      const page = await lookup({ owner: 'alice@localhost' });
      expect(page).toMatchObject({ complete: true, count: 1, first: id, last: id, firstIndex: 0 });
      expect(page.items).toEqual([
        {
          id,
          timestamp: ts.toISOString(),
          with: 'bob@localhost',
          direction: 'in',
          stanza: `<message xmlns='jabber:client' from='bob@localhost/phone' to='alice@localhost/home' type='chat' id='m-${id}'><body>first</body></message>`,
        },
      ]);
      const seen = await waitFor(() => prefsEventsFor('alice@localhost')[0], { what: 'prefs-changed for alice' });
      expect(seen.subject).toBe(h.bus.subject(`archive.evt.prefs-changed.${jidToken('alice@localhost')}`));
      expect(seen.event.type).toBe(ArchiveEvents.prefsChanged);
      expect(seen.event.data).toEqual({ jid: 'alice@localhost', default: 'always', always: [], never: [], optedIn: true, version: 1 });
    });

    it('keeps only chat/normal messages with a body, once per stanza-id', async () => {
      const id = await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'carol@localhost/x', type: 'normal' });
      await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'carol@localhost/x', stanzaId: id, body: 'replayed' });
      await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'carol@localhost/x', type: 'headline' });
      await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'carol@localhost/x', type: 'groupchat' });
      await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'carol@localhost/x', body: '' });
      await h.drained();
      const page = await lookup({ owner: 'alice@localhost', with: 'carol@localhost' });
      expect(page.items.map((i) => i.id)).toEqual([id]);
      expect(page.items[0].stanza).toContain('<body>hello</body>');
    });

    it('follows a roster default with the inRoster flag from the gateway', async () => {
      await setPrefs('dave@localhost', { default: 'roster', always: [], never: [] });
      const kept = await storeMessage(h.bus, { owner: 'dave@localhost', peer: 'friend@localhost/a', inRoster: true });
      await storeMessage(h.bus, { owner: 'dave@localhost', peer: 'stranger@localhost/a', inRoster: false });
      await h.drained();
      expect((await lookup({ owner: 'dave@localhost' })).items.map((i) => i.id)).toEqual([kept]);
    });

    it('applies the always and never lists, full JIDs per resource', async () => {
      await setPrefs('erin@localhost', { default: 'roster', always: ['stranger@localhost/desk'], never: ['friend@localhost'] });
      const desk = await storeMessage(h.bus, { owner: 'erin@localhost', peer: 'stranger@localhost/desk', inRoster: false });
      await storeMessage(h.bus, { owner: 'erin@localhost', peer: 'stranger@localhost/phone', inRoster: false });
      await storeMessage(h.bus, { owner: 'erin@localhost', peer: 'friend@localhost/a', inRoster: true });
      await h.drained();
      expect((await lookup({ owner: 'erin@localhost' })).items.map((i) => i.id)).toEqual([desk]);
    });

    it('stops archiving at once when prefs go back to never, keeping what was archived', async () => {
      await setPrefs('frank@localhost', { default: 'always', always: [], never: [] });
      const before = await storeMessage(h.bus, { owner: 'frank@localhost', peer: 'bob@localhost/phone' });
      await h.drained();
      await setPrefs('frank@localhost', { default: 'never', always: [], never: [] });
      await storeMessage(h.bus, { owner: 'frank@localhost', peer: 'bob@localhost/phone' });
      await h.drained();
      expect((await lookup({ owner: 'frank@localhost' })).items.map((i) => i.id)).toEqual([before]);
      const last = await waitFor(() => prefsEventsFor('frank@localhost').find((p) => p.event.data.version === 2), { what: 'second prefs-changed' });
      expect(last.event.data).toMatchObject({ default: 'never', optedIn: false });
    });

    it('refuses malformed preferences', async () => {
      expect(await condition(h.bus.request(ArchiveSubjects.setPrefs, { jid: 'gina@localhost', default: 'sometimes', always: [], never: [] }))).toBe('bad-request');
      expect(await condition(h.bus.request(ArchiveSubjects.setPrefs, { jid: 'gina@localhost', default: 'always', always: ['not a jid'], never: [] }))).toBe(
        'bad-request',
      );
      expect(await condition(h.bus.request(ArchiveSubjects.getPrefs, { jid: 'localhost' }))).toBe('jid-malformed');
      expect(await condition(h.bus.request(ArchiveSubjects.getPrefs, { jid: 'gina@@localhost' }))).toBe('jid-malformed');
      await expect(getPrefs('gina@localhost')).resolves.toEqual({ default: 'never', always: [], never: [] });
    });
  });

  describe('queries', () => {
    const OWNER = 'pager@localhost';
    const ids: string[] = [];
    const stamps: Date[] = [];
    const t0 = Date.now() - 10 * 24 * 60 * MIN;

    beforeAll(async () => {
      await setPrefs(OWNER, { default: 'always', always: [], never: [] });
      // 250 messages one minute apart, alternating peers; messages 100..104 share one timestamp.
      for (let i = 0; i < 250; i++) {
        const ts = new Date(i >= 100 && i < 105 ? t0 + 100 * MIN : t0 + i * MIN);
        stamps.push(ts);
        const peer = i % 2 === 0 ? 'romeo@localhost/orchard' : i % 5 === 0 ? 'juliet@localhost/balcony' : 'juliet@localhost/chamber';
        ids.push(await storeMessage(h.bus, { owner: OWNER, peer, timestamp: ts, direction: i % 3 === 0 ? 'out' : 'in', body: `m${i}` }));
      }
      await h.drained();
    }, HOOK_TIMEOUT);

    it('pages forward through 250 messages with no gaps or duplicates', async () => {
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await lookup({ owner: OWNER, rsm: { max: 30, after } });
        pages++;
        expect(page.count).toBe(250);
        expect(page.firstIndex).toBe(seen.length);
        seen.push(...page.items.map((i) => i.id));
        expect(page.first).toBe(page.items[0].id);
        expect(page.last).toBe(page.items[page.items.length - 1].id);
        if (page.complete) break;
        after = page.last;
        expect(pages).toBeLessThan(20);
      }
      expect(pages).toBe(9);
      expect(seen).toEqual(ids);
    });

    it('pages backward from the last page with no gaps or duplicates', async () => {
      const seen: string[] = [];
      let before = '';
      for (;;) {
        const page = await lookup({ owner: OWNER, rsm: { max: 40, before } });
        expect(page.firstIndex).toBe(250 - seen.length - page.items.length);
        seen.unshift(...page.items.map((i) => i.id));
        if (page.complete) break;
        before = page.first!;
      }
      expect(seen).toEqual(ids);
    });

    it('uses the server’s default page size and reports an incomplete first page', async () => {
      const page = await lookup({ owner: OWNER });
      expect(page.items).toHaveLength(20);
      expect(page.complete).toBe(false);
      expect((await lookup({ owner: OWNER, rsm: { max: 1000 } })).items).toHaveLength(100);
    });

    it('answers count only for max 0, and skips by RSM index', async () => {
      await expect(lookup({ owner: OWNER, rsm: { max: 0 } })).resolves.toEqual({ items: [], complete: false, count: 250 });
      const page = await lookup({ owner: OWNER, rsm: { max: 5, index: 100 } });
      expect(page.items.map((i) => i.id)).toEqual(ids.slice(100, 105));
      expect(page.firstIndex).toBe(100);
    });

    it('flips a page without changing which items it holds', async () => {
      const page = await lookup({ owner: OWNER, rsm: { max: 10, after: ids[9] }, flipPage: true });
      expect(page.items.map((i) => i.id)).toEqual(ids.slice(10, 20).reverse());
      // first/last stay chronological, so `after: last` still continues forward
      expect(page.first).toBe(ids[10]);
      expect(page.last).toBe(ids[19]);
    });

    it('filters by bare with (every resource) and full with (that resource only)', async () => {
      const all = await lookup({ owner: OWNER, with: 'juliet@localhost', rsm: { max: 100 }, count: true });
      const expectedJuliet = ids.filter((_, i) => i % 2 === 1);
      expect(all.count).toBe(expectedJuliet.length);
      expect(all.items.map((i) => i.id)).toEqual(expectedJuliet.slice(0, 100));
      const balcony = await lookup({ owner: OWNER, with: 'juliet@localhost/balcony', rsm: { max: 100 } });
      expect(balcony.items.map((i) => i.id)).toEqual(ids.filter((_, i) => i % 2 === 1 && i % 5 === 0));
      expect(balcony.complete).toBe(true);
      const romeoLast = await lookup({ owner: OWNER, with: 'Romeo@localhost', rsm: { max: 3, before: '' } });
      expect(romeoLast.items.map((i) => i.id)).toEqual([ids[244], ids[246], ids[248]]);
    });

    it('filters by start and end, inclusive, including messages sharing a timestamp', async () => {
      const page = await lookup({ owner: OWNER, start: stamps[98].toISOString(), end: stamps[106].toISOString(), rsm: { max: 100 } });
      expect(page.items.map((i) => i.id)).toEqual(ids.slice(98, 107));
      expect(page.complete).toBe(true);
      const start = await lookup({ owner: OWNER, start: stamps[240].toISOString() });
      expect(start.items.map((i) => i.id)).toEqual(ids.slice(240));
      const end = await lookup({ owner: OWNER, end: stamps[4].toISOString() });
      expect(end.items.map((i) => i.id)).toEqual(ids.slice(0, 5));
      const tied = await lookup({ owner: OWNER, start: stamps[100].toISOString(), end: stamps[100].toISOString(), rsm: { max: 2 } });
      expect(tied.items.map((i) => i.id)).toEqual(ids.slice(100, 102));
      const rest = await lookup({ owner: OWNER, start: stamps[100].toISOString(), end: stamps[100].toISOString(), rsm: { max: 10, after: tied.last } });
      expect(rest.items.map((i) => i.id)).toEqual(ids.slice(102, 105));
    });

    it('filters by after-id and before-id (between two known messages)', async () => {
      const after = await lookup({ owner: OWNER, afterId: ids[244] });
      expect(after.items.map((i) => i.id)).toEqual(ids.slice(245));
      const between = await lookup({ owner: OWNER, afterId: ids[100], beforeId: ids[110] });
      expect(between.items.map((i) => i.id)).toEqual(ids.slice(101, 110));
      expect(between.count).toBe(9);
      const before = await lookup({ owner: OWNER, beforeId: ids[3], rsm: { max: 10 } });
      expect(before.items.map((i) => i.id)).toEqual(ids.slice(0, 3));
      // before-id does not imply paging backward; RSM before does
      const beforeLastPage = await lookup({ owner: OWNER, beforeId: ids[50], rsm: { max: 2, before: '' } });
      expect(beforeLastPage.items.map((i) => i.id)).toEqual(ids.slice(48, 50));
    });

    it('fetches specific messages by ids, in archive order', async () => {
      const page = await lookup({ owner: OWNER, ids: [ids[200], ids[7], ids[100]] });
      expect(page.items.map((i) => i.id)).toEqual([ids[7], ids[100], ids[200]]);
      expect(page.items[0].stanza).toContain('<body>m7</body>');
      const combined = await lookup({ owner: OWNER, ids: [ids[200], ids[7], ids[100]], afterId: ids[50] });
      expect(combined.items.map((i) => i.id)).toEqual([ids[100], ids[200]]);
    });

    it('answers item-not-found for an id that is not in this archive', async () => {
      const foreign = (await lookup({ owner: 'alice@localhost' })).items[0].id;
      for (const q of [{ afterId: 'nope' }, { beforeId: 'nope' }, { ids: [ids[0], 'nope'] }, { rsm: { after: 'nope' } }, { rsm: { before: 'nope' } }, { afterId: foreign }])
        expect(await condition(lookup({ owner: OWNER, ...q }))).toBe('item-not-found');
    });

    it('answers bad-request for a malformed query', async () => {
      expect(await condition(lookup({ owner: OWNER, start: 'yesterday' }))).toBe('bad-request');
      expect(await condition(lookup({ owner: OWNER, rsm: { after: ids[1], before: ids[5] } }))).toBe('bad-request');
    });

    it('reports the archive’s first and last message (#extended metadata)', async () => {
      await expect(h.bus.request<ArchiveMetadataResult>(ArchiveSubjects.metadata, { owner: OWNER })).resolves.toEqual({
        start: { id: ids[0], timestamp: stamps[0].toISOString() },
        end: { id: ids[249], timestamp: stamps[249].toISOString() },
      });
      await expect(h.bus.request<ArchiveMetadataResult>(ArchiveSubjects.metadata, { owner: 'nobody@localhost' })).resolves.toEqual({});
    });

    it('never shows one user another user’s messages', async () => {
      const mine = await lookup({ owner: 'alice@localhost', rsm: { max: 100 } });
      expect(mine.items.some((i) => ids.includes(i.id))).toBe(false);
    });
  });

  describe('the prefs projection', () => {
    it('keeps only the latest prefs per user, so a new gateway can replay them', async () => {
      await setPrefs('henry@localhost', { default: 'always', always: [], never: [] });
      await setPrefs('henry@localhost', { default: 'roster', always: ['bob@localhost'], never: ['eve@localhost'] });
      await setPrefs('henry@localhost', { default: 'never', always: ['bob@localhost'], never: [] });
      const replay = await h.replayPrefs();
      const henry = replay.filter((r) => r.event.data.jid === 'henry@localhost');
      expect(henry).toHaveLength(1);
      expect(henry[0].event.data).toEqual({ jid: 'henry@localhost', default: 'never', always: ['bob@localhost'], never: [], optedIn: true, version: 3 });
      // one message per user who ever set prefs
      const jids = replay.map((r) => r.event.data.jid);
      expect(new Set(jids).size).toBe(jids.length);
      expect(jids).toEqual(expect.arrayContaining(['alice@localhost', 'dave@localhost', 'erin@localhost', 'frank@localhost', 'pager@localhost']));
      expect(replay.find((r) => r.event.data.jid === 'frank@localhost')!.event.data.optedIn).toBe(false);
    });

    it('answers the janitor totals: opted-in users and archived messages, no JID', async () => {
      const [r] = await h.sql(`SELECT (SELECT count(*) FROM archive_prefs WHERE default_pref <> 'never' OR cardinality(always_jids) > 0)::int AS o, (SELECT count(*) FROM archive_messages)::int AS m`);
      expect(r.o).toBeGreaterThan(0);
      await expect(h.bus.request(ArchiveSubjects.stats, {})).resolves.toEqual({ optedIn: r.o, messages: r.m });
    });

    it('lists opted-in users as a fallback, paged by JID', async () => {
      const first = await h.bus.request<ArchiveOptedInResult>(ArchiveSubjects.optedIn, { limit: 2 });
      expect(first.users.map((u) => u.jid)).toEqual(['alice@localhost', 'dave@localhost']);
      expect(first.next).toBe('dave@localhost');
      const rest = await h.bus.request<ArchiveOptedInResult>(ArchiveSubjects.optedIn, { after: first.next });
      expect(rest.users.map((u) => u.jid)).toEqual(['erin@localhost', 'henry@localhost', 'pager@localhost']);
      expect(rest.next).toBeUndefined();
      expect(rest.users.find((u) => u.jid === 'henry@localhost')).toEqual({ jid: 'henry@localhost', default: 'never', always: ['bob@localhost'], never: [], version: 3 });
    });

    it('publishes on its timer an event committed while NATS could not take it (outbox)', async () => {
      // What a change leaves behind when the publish after its commit failed.
      await h.sql(`INSERT INTO archive_prefs (jid, default_pref, always_jids, never_jids) VALUES ('ivan@localhost', 'always', '{}', '{}')`);
      const left = prefsChanged({ jid: 'ivan@localhost', default: 'always', always: [], never: [], version: 1 });
      await h.sql('INSERT INTO outbox (subject, envelope) VALUES ($1, $2)', [left.subject, JSON.stringify(left.event)]);
      const seen = await waitFor(() => prefsEventsFor('ivan@localhost')[0], { what: 'relayed prefs', timeoutMs: 15_000 });
      expect(seen.event.data).toMatchObject({ default: 'always', optedIn: true, version: 1 });
      await waitFor(async () => (await h.sql('SELECT count(*)::int AS n FROM outbox'))[0].n === 0, { what: 'an empty outbox' });
    });
  });

  describe('account deletion', () => {
    it('erases the archive and prefs and purges the user’s prefs subject, idempotently', async () => {
      await setPrefs('kate@localhost', { default: 'always', always: [], never: [] });
      await storeMessage(h.bus, { owner: 'kate@localhost', peer: 'bob@localhost/phone' });
      await storeMessage(h.bus, { owner: 'kate@localhost', peer: 'bob@localhost/phone', direction: 'out' });
      await h.drained();
      expect(await rows('kate@localhost')).toBe(2);
      const kateSubject = ArchiveEvents.prefsChangedFor('kate@localhost');
      await waitFor(async () => (await h.bus.lastOnSubject(ARCHIVE_PREFS, kateSubject))?.subject === kateSubject, { what: 'kate prefs in stream' });
      const aliceRows = await rows('alice@localhost');

      const deleted = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'Kate@localhost', reason: 'user' });
      await h.bus.publishEvent(deleted);
      await waitFor(async () => (await rows('kate@localhost')) === 0, { what: 'kate archive erased' });
      await waitFor(async () => (await h.sql(`SELECT 1 FROM archive_prefs WHERE jid = 'kate@localhost'`)).length === 0, { what: 'kate prefs erased' });
      await waitFor(async () => (await h.bus.lastOnSubject(ARCHIVE_PREFS, kateSubject)) === undefined, { what: 'kate subject purged' });
      await expect(getPrefs('kate@localhost')).resolves.toEqual({ default: 'never', always: [], never: [] });
      // other users untouched
      expect(await rows('alice@localhost')).toBe(aliceRows);
      await expect(h.bus.lastOnSubject(ARCHIVE_PREFS, ArchiveEvents.prefsChangedFor('alice@localhost'))).resolves.toBeTruthy();
      // and nothing is archived for the deleted user afterwards
      await storeMessage(h.bus, { owner: 'kate@localhost', peer: 'bob@localhost/phone' });
      await h.drained();
      expect(await rows('kate@localhost')).toBe(0);
      // a replayed deletion changes nothing
      await h.bus.publishEvent(envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'kate@localhost', reason: 'admin' }));
      await waitFor(async () => {
        const c = await h.bus.consumerBacklog(GATEWAY_EVENTS, 'archive-account-deleted');
        return c.pending === 0 && c.ackPending === 0;
      }, { what: 'replayed deletion handled' });
      await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'bob@localhost/phone' });
      await h.drained();
      expect(await rows('alice@localhost')).toBe(aliceRows + 1);
    });
  });
});

describe('archive retention (short ARCHIVE_RETENTION)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ ARCHIVE_RETENTION: '2s' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  it('sweeps messages older than the retention when told (the janitor drives it) and publishes counts only', async () => {
    await h.bus.request(ArchiveSubjects.setPrefs, { jid: 'alice@localhost', default: 'always', always: [], never: [] });
    const old = await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'bob@localhost/phone', timestamp: new Date(Date.now() - 1700) });
    const fresh = await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'bob@localhost/phone', timestamp: new Date(Date.now() + 60 * MIN) });
    // the swept event proves `old` was stored (not dropped as expired) and then swept
    const swept = await waitFor(
      async () => {
        await h.bus.request<ArchiveSweptV1>(ArchiveSubjects.sweep, {});
        return h.events.find((e) => e.type === ArchiveEvents.swept && e.data.deleted === 1);
      },
      { what: 'swept event', intervalMs: 300 },
    );
    // Counts and times only: nothing names a user.
    expect(Object.keys(swept.data).every((k) => ['cutoff', 'deleted', 'retentionMs', 'oldestRemaining'].includes(k))).toBe(true);
    expect(swept.data.retentionMs).toBe(2000);
    await h.drained();
    const left = (await h.sql('SELECT stanza_id FROM archive_messages')).map((r) => r.stanza_id);
    expect(left).toEqual([fresh]);
    expect(left).not.toContain(old);
  });

  it('sweeps on archive.cmd.sweep and drops store commands already past the retention', async () => {
    await storeMessage(h.bus, { owner: 'alice@localhost', peer: 'bob@localhost/phone', timestamp: new Date(Date.now() - 10_000) });
    await h.drained();
    expect(await h.sql('SELECT 1 FROM archive_messages')).toHaveLength(1);
    const reply = await h.bus.request<ArchiveSweptV1>(ArchiveSubjects.sweep, {});
    expect(reply).toMatchObject({ deleted: 0, retentionMs: 2000 });
    expect(Date.parse(reply.cutoff)).toBeLessThanOrEqual(Date.now() - 2000);
    // What is left: the message of the previous test dated an hour ahead.
    expect(Date.parse(reply.oldestRemaining!)).toBeGreaterThan(Date.now() + 30 * MIN);
    // alice asked for it (prefs always): its refusal is a delivery failure, without content.
    const failed = await waitFor(() => h.events.find((e) => e.type === ArchiveEvents.deliveryFailed), { what: 'archive delivery-failed' });
    expect(failed.data).toEqual({ owner: 'alice@localhost', with: 'bob@localhost', direction: 'in', reason: 'expired', at: expect.any(String) });
    expect(JSON.stringify(failed)).not.toContain('hello');
  });
});

describe('archive order under concurrent store commands', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ ARCHIVE_STORE_CONCURRENCY: '8', ARCHIVE_PAGE_MAX: '200' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  it('keeps each owner’s messages in publication order, even when they share a timestamp', async () => {
    const owners = ['alice@localhost', 'bob@localhost'];
    for (const jid of owners) await h.bus.request(ArchiveSubjects.setPrefs, { jid, default: 'always', always: [], never: [] });
    const ts = new Date();
    // published back to back (not awaited one by one), as a gateway does
    const published = await Promise.all(
      Array.from({ length: 90 }, (_, i) => {
        const owner = owners[i % 3 === 0 ? 1 : 0];
        return storeMessage(h.bus, { owner, peer: 'carol@localhost/x', body: `n${i}`, timestamp: ts }).then((id) => ({ owner, id }));
      }),
    );
    await h.drained();
    for (const owner of owners) {
      const page = await h.bus.request<ArchiveLookupResult>(ArchiveSubjects.lookup, { owner, rsm: { max: 200 } });
      expect(page.items.map((i) => i.id)).toEqual(published.filter((p) => p.owner === owner).map((p) => p.id));
    }
  });
});
