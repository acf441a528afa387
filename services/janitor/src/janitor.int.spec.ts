// The janitor against real NATS and Postgres, with fake gateway and owner responders on
// the bus: activity rows from gateway events, inactivity deletions, the leased sweeps of
// two replicas, the retention report, the delivery-error log and anonymous statistics.
import {
  accountErased,
  DeliveryErrorsResult,
  ErasuresResult,
  envelope,
  GatewayEvents,
  GatewaySubjects,
  JanitorSubjects,
  LastActivityResult,
  ArchiveEvents,
  OfflineEvents,
  OfflineSubjects,
  RetentionReportResult,
  StatsResult,
  SweepNowResult,
} from '@parley/contracts';
import { waitFor } from '@parley/testing-stack';
import { LEASE_BUCKET, LEASE_KEY } from './domain/housekeeper';
import { GatewayInstances } from './domain/instances';
import { Harness, startHarness } from './testing/harness';

const HOOK_TIMEOUT = 60_000;
const HOUR = 3600_000;
const ago = (ms: number) => new Date(Date.now() - ms);

const publish = (h: Harness, type: string, data: object, occurredAt = new Date(), id?: string) => h.bus.publishEvent(envelope(type, data, { occurredAt, id }), type, { dedupe: id === undefined });

describe('janitor: activity, error log, report, statistics', () => {
  let h: Harness;
  beforeAll(async () => {
    // A long interval: this suite drives sweeps with janitor.cmd.sweep-now.
    h = await startHarness({ JANITOR_SWEEP_INTERVAL: '1h' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  const row = async (jid: string) => (await h.sql('SELECT * FROM account_activity WHERE jid = $1', [jid]))[0];

  it('keeps one row per account from the gateway events: created, last used, open sessions, last logout; a redelivery counts once', async () => {
    const registered = envelope(GatewayEvents.accountRegistered, { jid: 'Alice@localhost', via: 'in-band' }, { occurredAt: ago(2 * HOUR) });
    await h.bus.publishEvent(registered);
    await h.bus.publishEvent(registered, registered.type, { dedupe: false }); // delivered twice
    await waitFor(() => row('alice@localhost'), { what: 'alice row' });
    await publish(h, GatewayEvents.sessionOpened, { jid: 'alice@localhost/phone', instanceId: 'gw-1', mechanism: 'SCRAM-SHA-256' }, ago(HOUR));
    await publish(h, GatewayEvents.sessionOpened, { jid: 'alice@localhost/laptop', instanceId: 'gw-2', mechanism: 'SCRAM-SHA-256' }, ago(HOUR));
    await publish(h, GatewayEvents.sessionClosed, { jid: 'alice@localhost/phone', instanceId: 'gw-1', reason: 'closed' }, ago(HOUR / 2));
    // Events are applied in stream order: the logout is the last of them.
    await waitFor(async () => (await row('alice@localhost')).last_logout_at, { what: 'the logout applied' });

    const r = await row('alice@localhost');
    expect(new Date(r.created_at).getTime()).toBe(Date.parse(registered.occurredAt));
    expect(new Date(r.last_used_at).getTime()).toBeGreaterThan(Date.parse(registered.occurredAt));
    expect(await h.sql('SELECT jid, instance_id, open FROM account_session')).toEqual([{ jid: 'alice@localhost', instance_id: 'gw-2', open: 1 }]);
    const la = await h.bus.request<LastActivityResult>(JanitorSubjects.lastActivity, { jid: 'ALICE@localhost' });
    expect(la).toEqual({ online: true, hidden: false, lastLogoutAt: new Date(r.last_logout_at).toISOString() });
    // The account's whole row, for the user's data export.
    await expect(h.bus.request(JanitorSubjects.accountActivity, { jid: 'alice@localhost' })).resolves.toEqual({
      known: true,
      createdAt: registered.occurredAt,
      lastUsedAt: new Date(r.last_used_at).toISOString(),
      lastLogoutAt: new Date(r.last_logout_at).toISOString(),
      exempt: false,
      hidden: false,
    });
    await expect(h.bus.request(JanitorSubjects.accountActivity, { jid: 'nobody@localhost' })).resolves.toEqual({ known: false });
    // No history: one row, whatever happened.
    expect(await h.sql('SELECT count(*)::int AS n FROM account_activity')).toEqual([{ n: 1 }]);

    await expect(h.bus.request(JanitorSubjects.setLastActivityVisibility, { jid: 'alice@localhost', hidden: true })).resolves.toEqual({ hidden: true });
    expect((await h.bus.request<LastActivityResult>(JanitorSubjects.lastActivity, { jid: 'alice@localhost' })).hidden).toBe(true);
    await expect(h.bus.request(JanitorSubjects.lastActivity, { jid: '@@' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });

    await publish(h, GatewayEvents.accountDeleted, { jid: 'alice@localhost', reason: 'user' });
    await waitFor(async () => (await row('alice@localhost')) === undefined, { what: 'row removed with the account' });
    expect(await h.sql('SELECT * FROM account_session')).toEqual([]);

    const stats = await h.bus.request<StatsResult>(JanitorSubjects.stats, {});
    expect(stats.days[0].counts).toMatchObject({ 'deletions.user': 1 });
    expect(stats.days.reduce((n, d) => n + (d.counts.registrations ?? 0), 0)).toBe(1);
  });


  it('applies a batch of session changes (what gateways publish) in one go, like the single events, once', async () => {
    const t = (msAgo: number) => ago(msAgo).toISOString();
    await publish(h, GatewayEvents.sessionOpened, { jid: 'fred@localhost/old', instanceId: 'gw-9', mechanism: 'PLAIN' }, ago(3 * HOUR));
    await waitFor(() => row('fred@localhost'), { what: 'fred row' });
    const batch = envelope(
      GatewayEvents.sessionsChanged,
      {
        instanceId: 'gw-9',
        changes: [
          { jid: 'Fred@localhost/a', kind: 'opened', at: t(2 * HOUR), mechanism: 'SCRAM-SHA-1' },
          { jid: 'gina@localhost/x', kind: 'opened', at: t(2 * HOUR), mechanism: 'SCRAM-SHA-1' },
          { jid: 'fred@localhost/old', kind: 'closed', at: t(HOUR), reason: 'closed' },
          { jid: 'gina@localhost/x', kind: 'closed', at: t(HOUR / 2), reason: 'timeout' },
          { jid: 'fred@localhost/b', kind: 'opened', at: t(HOUR / 4), mechanism: 'SCRAM-SHA-1' },
        ],
      },
      { occurredAt: new Date() },
    );
    await h.bus.publishEvent(batch);
    await h.bus.publishEvent(batch, batch.type, { dedupe: false }); // delivered twice
    await waitFor(() => row('gina@localhost'), { what: 'the batch applied' });
    const fred = await row('fred@localhost');
    expect(new Date(fred.last_used_at).toISOString()).toBe(batch.data.changes[4].at);
    expect(new Date(fred.last_logout_at).toISOString()).toBe(batch.data.changes[2].at);
    const gina = await row('gina@localhost');
    expect(new Date(gina.last_logout_at).toISOString()).toBe(batch.data.changes[3].at);
    // fred: old closed, a and b open → 2 on gw-9; gina: opened and closed → no row
    expect(await h.sql("SELECT jid, open FROM account_session WHERE instance_id = 'gw-9' ORDER BY jid")).toEqual([{ jid: 'fred@localhost', open: 2 }]);
    expect(await h.sql("SELECT count(*)::int AS n FROM handled_event WHERE id = $1", [batch.id])).toEqual([{ n: 1 }]);
  });
  it('moves the count of a session resumed on another gateway, without taking the move for a logout', async () => {
    const t = (msAgo: number) => ago(msAgo).toISOString();
    const opened = t(3 * HOUR);
    const at = (instanceId: string, changes: object[]) => envelope(GatewayEvents.sessionsChanged, { instanceId, changes }, { occurredAt: new Date() });
    await h.bus.publishEvent(at('gw-5', [{ jid: 'hana@localhost/phone', kind: 'opened', at: opened, mechanism: 'SCRAM-SHA-1' }]));
    await waitFor(() => row('hana@localhost'), { what: 'hana row' });
    // the other gateway's opening may be applied before the first one's closing
    await h.bus.publishEvent(at('gw-6', [{ jid: 'hana@localhost/phone', kind: 'opened', at: t(HOUR), mechanism: 'SCRAM-SHA-1', reason: 'moved' }]));
    await h.bus.publishEvent(at('gw-5', [{ jid: 'hana@localhost/phone', kind: 'closed', at: t(HOUR), reason: 'moved' }]));
    const sessions = () => h.sql("SELECT instance_id, open FROM account_session WHERE jid = 'hana@localhost' ORDER BY instance_id");
    await waitFor(async () => JSON.stringify(await sessions()) === JSON.stringify([{ instance_id: 'gw-6', open: 1 }]), { what: 'the session counted on gw-6 only' });
    expect((await row('hana@localhost')).last_logout_at).toBeNull(); // still online: no logout
    const loggedOut = t(HOUR / 2);
    await h.bus.publishEvent(at('gw-6', [{ jid: 'hana@localhost/phone', kind: 'closed', at: loggedOut, reason: 'closed' }]));
    await waitFor(async () => ((await sessions()) as unknown[]).length === 0, { what: 'no open session' });
    expect(new Date((await row('hana@localhost')).last_logout_at).toISOString()).toBe(loggedOut);
  });

  it('records which owners confirmed each account erasure, without the JID, and lists the unconfirmed ones', async () => {
    const deletion = envelope(GatewayEvents.accountDeleted, { jid: 'erin@localhost', reason: 'admin' });
    await h.bus.publishEvent(deletion);
    // Owners confirm on their own subjects; a repeat (redelivery) is recorded once.
    for (const owner of ['roster', 'offline']) await h.bus.publishEvent(accountErased(owner, deletion, { items: 2 }));
    await h.bus.publishEvent(accountErased('roster', deletion, { items: 2 }), undefined, { dedupe: false });
    // A forged confirmation: archive's payload on roster's subject is refused.
    await h.bus.publishEvent({ ...accountErased('archive', deletion, {}), type: 'erasure.evt.roster' }, 'erasure.evt.roster', { dedupe: false });
    const entry = async (pending: boolean) => (await h.bus.request<ErasuresResult>(JanitorSubjects.erasures, { pending })).entries.find((e) => e.deletionId === deletion.id);
    const pending = await waitFor(async () => {
      const e = await entry(true);
      return e?.reason && Object.keys(e.confirmed).length === 2 ? e : undefined;
    }, { what: 'two confirmations and the deletion' });
    expect(pending).toMatchObject({ reason: 'admin', deletedAt: deletion.occurredAt, missing: ['archive', 'upload', 'profile'], confirmed: { roster: { erased: { items: 2 } }, offline: { erased: { items: 2 } } } });
    await h.bus.publishEvent(accountErased('archive', deletion, { messages: 5, prefs: 1 }));
    await h.bus.publishEvent(accountErased('upload', deletion, { files: 3 }));
    await waitFor(async () => (await entry(true))?.missing.join() === 'profile', { what: 'only the profile missing' });
    await h.bus.publishEvent(accountErased('profile', deletion, { vcards: 1, privateXml: 0, nodes: 2 }));
    await waitFor(async () => (await entry(true)) === undefined, { what: 'no longer pending' });
    expect((await entry(false))!.missing).toEqual([]);
    // Nothing in the record names the user.
    expect(JSON.stringify(await h.sql('SELECT * FROM erasure'))).not.toContain('erin');
    expect(JSON.stringify(await h.sql('SELECT * FROM erasure_confirmation'))).not.toContain('erin');
  });

  it('exempts only accounts it knows', async () => {
    await publish(h, GatewayEvents.accountRegistered, { jid: 'ops@localhost', via: 'admin' });
    await waitFor(() => row('ops@localhost'), { what: 'ops row' });
    await expect(h.bus.request(JanitorSubjects.setExempt, { jid: 'ops@localhost', exempt: true })).resolves.toEqual({ exempt: true });
    expect((await row('ops@localhost')).exempt).toBe(true);
    await expect(h.bus.request(JanitorSubjects.setExempt, { jid: 'nobody@localhost', exempt: true })).rejects.toMatchObject({ error: { condition: 'item-not-found' } });
  });

  it('logs delivery failures from the gateway and the offline service without content, queryable by JID and time with counts by reason', async () => {
    const secret = 'the secret body text';
    await publish(h, GatewayEvents.deliveryFailed, { from: 'bob@localhost', to: 'ghost@localhost', kind: 'message', reason: 'service-unavailable', detail: 'unknown-user', at: new Date().toISOString(), body: secret, stanza: `<message><body>${secret}</body></message>` });
    await publish(h, GatewayEvents.deliveryFailed, { to: 'carol@localhost', kind: 'presence', reason: 'not-acceptable', at: ago(3 * 86_400_000).toISOString() });
    await publish(h, OfflineEvents.deliveryFailed, { from: 'bob@localhost/phone', to: 'dave@localhost', reason: 'quota', messageType: 'chat', stanzaId: 'x1', at: new Date().toISOString(), stanza: secret });
    await publish(h, ArchiveEvents.deliveryFailed, { owner: 'erin@localhost', with: 'Bob@localhost', direction: 'in', reason: 'too-large', at: new Date().toISOString() });
    // Unusable input is dropped, not retried forever.
    await publish(h, GatewayEvents.deliveryFailed, { from: 'bob@localhost', to: 'x@localhost', kind: 'message', reason: `free text ${secret}`, at: new Date().toISOString() });
    await waitFor(async () => (await h.sql('SELECT count(*)::int AS n FROM delivery_failure'))[0].n === 4, { what: 'four failures logged' });

    const all = await h.bus.request<DeliveryErrorsResult>(JanitorSubjects.errors, {});
    expect(all.total).toBe(4);
    expect(all.countsByReason).toEqual({ 'service-unavailable': 1, 'not-acceptable': 1, quota: 1, 'not-archived': 1 });
    const bob = await h.bus.request<DeliveryErrorsResult>(JanitorSubjects.errors, { jid: 'BOB@localhost', since: ago(HOUR).toISOString() });
    expect(bob.items.map((i) => [i.source, i.from, i.to, i.kind, i.reason, i.detail])).toEqual(
      expect.arrayContaining([
        ['gateway', 'bob@localhost', 'ghost@localhost', 'message', 'service-unavailable', 'unknown-user'],
        ['offline', 'bob@localhost', 'dave@localhost', 'message', 'quota', undefined],
        ['archive', 'bob@localhost', 'erin@localhost', 'message', 'not-archived', 'too-large'],
      ]),
    );
    expect(bob.total).toBe(3);
    const dump = JSON.stringify(await h.sql('SELECT * FROM delivery_failure')) + JSON.stringify(all);
    expect(dump).not.toContain('secret');
    expect(dump).not.toContain('<body');
    await expect(h.bus.request(JanitorSubjects.errors, { since: 'yesterday' })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
  });

  it("records each owner's sweep in the report with the counts the owner answered, and publishes them", async () => {
    const { entries } = await h.bus.request<SweepNowResult>(JanitorSubjects.sweepNow, {});
    const pick = (owner: string, what: string) => entries.find((e) => e.owner === owner && e.what === what);
    expect(pick('offline', 'messages')).toMatchObject({ deleted: h.sweepReplies.offline.messagesDeleted, cutoff: h.sweepReplies.offline.cutoff });
    expect(pick('offline', 'markers')).toMatchObject({ deleted: h.sweepReplies.offline.markersDeleted });
    expect(pick('archive', 'messages')).toMatchObject({ deleted: h.sweepReplies.archive.deleted });
    expect(pick('gateway', 'username-tombstones')).toMatchObject({ deleted: h.sweepReplies.gateway.tombstonesDeleted, cutoff: h.sweepReplies.gateway.cutoff });
    expect(pick('upload', 'files')).toMatchObject({ deleted: h.sweepReplies.upload.filesDeleted, cutoff: h.sweepReplies.upload.cutoff });
    expect(pick('upload', 'slots')).toMatchObject({ deleted: h.sweepReplies.upload.slotsDeleted });
    expect(pick('janitor', 'delivery-log')).toMatchObject({ deleted: 0 });
    expect(h.calls.filter((c) => c.subject === OfflineSubjects.sweep)).toHaveLength(1);

    const report = await h.bus.request<RetentionReportResult>(JanitorSubjects.report, {});
    expect(report.latest.find((e) => e.owner === 'archive')).toMatchObject({ what: 'messages', deleted: 2, oldestRemaining: '2026-11-05T08:00:00.000Z' });
    expect(report.latest.find((e) => e.owner === 'offline' && e.what === 'messages')).toMatchObject({ deleted: 3, oldestRemaining: '2026-11-20T10:00:00.000Z' });
    const ev = await waitFor(() => h.recorded.find((e) => e.data.owner === 'offline'), { what: 'sweep-recorded for offline' });
    expect(ev.data.deleted).toEqual({ messages: 3, markers: 1 });
  });

  it('deletes erasure records older than JANITOR_REPORT_RETENTION on its own sweep, and keeps recent ones', async () => {
    await h.sql(`INSERT INTO erasure (deletion_id, reason, deleted_at) VALUES ('old-del', 'admin', now() - interval '100 days'), ('new-del', 'admin', now())`);
    await h.sql(`INSERT INTO erasure_confirmation (deletion_id, owner, confirmed_at, erased) VALUES ('old-del', 'roster', now() - interval '100 days', '{}'), ('new-del', 'roster', now(), '{}')`);
    const { entries } = await h.bus.request<SweepNowResult>(JanitorSubjects.sweepNow, {});
    expect(entries.find((e) => e.owner === 'janitor' && e.what === 'erasure-records')).toMatchObject({ deleted: 1 });
    const left = (await h.sql('SELECT deletion_id FROM erasure')).map((r) => r.deletion_id);
    expect(left).toContain('new-del');
    expect(left).not.toContain('old-del');
    expect((await h.sql(`SELECT count(*)::int AS n FROM erasure_confirmation WHERE deletion_id = 'old-del'`))[0].n).toBe(0);
  });

  it("sums the messages the gateways' heartbeats say they routed into the day's statistics, ignoring malformed counts", async () => {
    const before = (await h.bus.request<StatsResult>(JanitorSubjects.stats, { days: 1 })).days[0]?.counts['messages.routed'] ?? 0;
    const instances = h.service.app!.get(GatewayInstances);
    for (const m of [5, 7, 0]) h.bus.publish(GatewaySubjects.heartbeat, { i: 'gw-count', n: 1, m });
    h.bus.publish(GatewaySubjects.heartbeat, { i: 'gw-count', n: 1, m: -3 }); // malformed: ignored
    await h.bus.flush();
    await waitFor(async () => {
      await instances.flushRouted();
      const counts = (await h.bus.request<StatsResult>(JanitorSubjects.stats, { days: 1 })).days[0].counts;
      return counts['messages.routed'] === before + 12;
    }, { what: '12 more routed messages counted' });
  });

  it('keeps statistics without JIDs', async () => {
    await h.bus.request(JanitorSubjects.sweepNow, {});
    const stats = await h.bus.request<StatsResult>(JanitorSubjects.stats, { days: 7 });
    const today = stats.days[0];
    expect(today.counts.sweeps).toBeGreaterThanOrEqual(1);
    expect(today.counts['delivery-failures.quota']).toBe(1);
    const dump = JSON.stringify(stats) + JSON.stringify(await h.sql('SELECT * FROM daily_stat'));
    for (const who of ['@', 'alice', 'bob', 'ghost', 'dave', 'ops', 'localhost']) expect(dump).not.toContain(who);
  });
});

describe('janitor: inactivity', () => {
  let h: Harness;
  let holding = true;
  let holder: Promise<void>;
  beforeAll(async () => {
    h = await startHarness({ JANITOR_SWEEP_INTERVAL: '1s', ACCOUNT_INACTIVITY: '1h', ACCOUNT_INACTIVITY_NOTICE: '10m', JANITOR_INSTANCE_TIMEOUT: '1h' }, { start: false });
    // The spec holds the lease while it sets the accounts up, so no pass sees half of them.
    const kv = await h.bus.kv(LEASE_BUCKET, { ttlMs: 2000 });
    const value = () => new TextEncoder().encode(JSON.stringify({ holder: 'spec', lastRunAt: new Date(0).toISOString() }));
    let rev = await kv.create(LEASE_KEY, value());
    holder = (async () => {
      while (holding) {
        await new Promise((r) => setTimeout(r, 200));
        const cur = await kv.get(LEASE_KEY);
        rev = cur ? await kv.update(LEASE_KEY, value(), cur.revision) : await kv.create(LEASE_KEY, value());
      }
      await kv.delete(LEASE_KEY);
    })();
    expect(rev).toBeDefined();
    await h.start();
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    holding = false;
    await holder;
    await h?.close();
  }, HOOK_TIMEOUT);

  it('warns, then asks the gateway to delete an inactive account, but not an active, exempt or online one', async () => {
    const old = ago(2 * HOUR);
    for (const u of ['idle', 'exempt', 'online', 'busy', 'active']) await publish(h, GatewayEvents.accountRegistered, { jid: `${u}@localhost`, via: 'in-band' }, u === 'active' ? new Date() : old);
    // online: a session still open (as far as events tell); busy: online at the gateway although the janitor missed it.
    await publish(h, GatewayEvents.sessionOpened, { jid: 'online@localhost/res', instanceId: 'gw-1', mechanism: 'PLAIN' }, old);
    h.onlineAtGateway.add('busy@localhost');
    await waitFor(async () => (await h.sql('SELECT count(*)::int AS n FROM account_session'))[0].n === 1 && (await h.sql('SELECT count(*)::int AS n FROM account_activity'))[0].n === 5, {
      what: 'five rows, one session',
    });
    await h.bus.request(JanitorSubjects.setExempt, { jid: 'exempt@localhost', exempt: true });
    holding = false;
    await holder;

    // First the notice, once, to every inactive account that is neither exempt nor open.
    await waitFor(() => h.calls.filter((c) => c.subject === GatewaySubjects.serverNotice).length === 2, { what: 'two notices' });
    expect(h.calls.filter((c) => c.subject === GatewaySubjects.serverNotice).map((c) => c.data.to).sort()).toEqual(['busy@localhost', 'idle@localhost']);
    // The deletion waits NOTICE after it: pretend the notices went out 11 minutes ago.
    await h.sql(`UPDATE account_activity SET notice_sent_at = now() - interval '11 minutes' WHERE notice_sent_at IS NOT NULL`);
    await waitFor(async () => (await h.sql(`SELECT 1 FROM account_activity WHERE jid = 'idle@localhost'`)).length === 0, { what: 'idle deleted', timeoutMs: 20_000 });
    // busy was refused as online: it counts as used now.
    await waitFor(() => h.calls.some((c) => c.subject === GatewaySubjects.deleteAccount && c.data.jid === 'busy@localhost'), { what: 'busy asked' });
    await waitFor(async () => Date.parse((await h.sql(`SELECT last_used_at FROM account_activity WHERE jid = 'busy@localhost'`))[0].last_used_at) > Date.now() - HOUR, {
      what: 'busy marked used',
    });
    // Two more passes, then nothing else was asked.
    const passes = async () => (await h.sql(`SELECT count(*)::int AS n FROM retention_report WHERE owner = 'archive'`))[0].n;
    const n = await passes();
    await waitFor(async () => (await passes()) >= n + 2, { what: 'two more passes', timeoutMs: 20_000 });
    const asked = h.calls.filter((c) => c.subject === GatewaySubjects.deleteAccount);
    expect(new Set(asked.map((c) => c.data.jid))).toEqual(new Set(['idle@localhost', 'busy@localhost']));
    expect(asked.every((c) => c.data.reason === 'inactivity')).toBe(true);
    expect(h.calls.filter((c) => c.subject === GatewaySubjects.serverNotice)).toHaveLength(2);
    const left = (await h.sql('SELECT jid FROM account_activity ORDER BY jid')).map((r) => r.jid);
    expect(left).toEqual(['active@localhost', 'busy@localhost', 'exempt@localhost', 'online@localhost']);
    const stats = await h.bus.request<StatsResult>(JanitorSubjects.stats, {});
    expect(stats.days[0].counts['deletions.inactivity']).toBe(1);
    // The owners' totals, read at each pass (counts only).
    expect(stats.days[0].counts).toMatchObject({ registered: 4, 'offline.held': 7, 'offline.users': 2, 'archive.opted-in': 3, 'archive.held': 40, 'uploads.held': 6, 'uploads.bytes': 6144, 'uploads.stored': 2 });
  }, 90_000);
});

describe('janitor: two replicas', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ JANITOR_SWEEP_INTERVAL: '1s' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  it('never sweep twice in an interval, and the other takes over when the leader stops', async () => {
    const replica = await h.startReplica('janitor-b');
    const sweeps = () => h.calls.filter((c) => c.subject === OfflineSubjects.sweep).map((c) => c.at);
    await waitFor(() => sweeps().length >= 5, { what: 'five sweeps', timeoutMs: 30_000 });
    const kv = await h.bus.kv(LEASE_BUCKET);
    const holderOf = async () => {
      const cur = await kv.get(LEASE_KEY);
      return cur ? JSON.parse(new TextDecoder().decode(cur.value)).holder : undefined;
    };
    const leader = await holderOf();
    expect(['janitor-a', 'janitor-b']).toContain(leader);
    // Stop the leader; the other replica leads once the interval of the last pass is over.
    if (leader === 'janitor-a') await h.service.stop();
    else await replica.close();
    const before = sweeps().length;
    await waitFor(async () => (await holderOf()) === (leader === 'janitor-a' ? 'janitor-b' : 'janitor-a'), { what: 'the other replica leads', timeoutMs: 30_000 });
    await waitFor(() => sweeps().length >= before + 2, { what: 'sweeps go on', timeoutMs: 30_000 });
    const at = sweeps();
    // Two replicas on independent 1 s timers would put two sweeps within half an interval of each other.
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(500);
    if (leader === 'janitor-a') await h.service.start(); // for close()
  }, 90_000);
});
