// The janitor's controllers through Nest's testing module on the in-memory store, called
// through the same payload pipes as on the bus.
import { Test } from '@nestjs/testing';
import { envelope, EventEnvelope, GatewayEvents, JanitorSubjects, OfflineEvents } from '@parley/contracts';
import { TerminalError } from '@parley/nats';
import { LOGGER, SCHEDULER } from '@parley/runtime';
import { callWithPayloadPipes } from '@parley/testing-service';
import { ActivityHandler } from './activity.handler';
import { DeliveryFailuresHandler } from './delivery-failures.handler';
import { QueriesHandler } from './queries.handler';
import { JanitorMetrics } from '../domain/metrics';
import { InMemoryJanitorStore } from '../store/in-memory-janitor-store';
import { JANITOR_STORE } from '../store/janitor-store';
import { Health } from '@parley/runtime';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const HOUR = 3600_000;

describe('janitor controllers (in-memory store)', () => {
  let store: InMemoryJanitorStore;
  let activity: ActivityHandler;
  let failures: DeliveryFailuresHandler;
  let queries: QueriesHandler;

  beforeEach(async () => {
    store = new InMemoryJanitorStore();
    const module = await Test.createTestingModule({
      controllers: [ActivityHandler, DeliveryFailuresHandler, QueriesHandler],
      providers: [
        { provide: JANITOR_STORE, useValue: store },
        { provide: LOGGER, useValue: silent },
        { provide: SCHEDULER, useValue: { run: async () => [] } },
        Health,
        JanitorMetrics,
      ],
    }).compile();
    activity = module.get(ActivityHandler);
    failures = module.get(DeliveryFailuresHandler);
    queries = module.get(QueriesHandler);
  });

  const at = (msAgo: number) => ({ occurredAt: new Date(Date.now() - msAgo) });
  const event = <T>(type: string, data: T, msAgo = 0): EventEnvelope<T> => envelope(type, data, at(msAgo));

  it('keeps created, last used, sessions per instance and last logout in one row per account, counting a redelivery once', async () => {
    const reg = event(GatewayEvents.accountRegistered, { jid: 'Alice@Localhost', via: 'in-band' }, 3 * HOUR);
    await callWithPayloadPipes(activity, 'registered', reg);
    await callWithPayloadPipes(activity, 'registered', reg);
    await callWithPayloadPipes(activity, 'opened', event(GatewayEvents.sessionOpened, { jid: 'alice@localhost/a', instanceId: 'gw-1', mechanism: 'PLAIN' }, 2 * HOUR));
    await callWithPayloadPipes(activity, 'opened', event(GatewayEvents.sessionOpened, { jid: 'alice@localhost/b', instanceId: 'gw-1', mechanism: 'PLAIN' }, 2 * HOUR));
    const close = event(GatewayEvents.sessionClosed, { jid: 'alice@localhost/a', instanceId: 'gw-1', reason: 'closed' }, HOUR);
    await callWithPayloadPipes(activity, 'closed', close);
    await callWithPayloadPipes(activity, 'closed', close); // redelivered: still one session open

    const row = await store.activity('alice@localhost');
    expect(row).toMatchObject({ openSessions: 1, exempt: false, hidden: false });
    expect(row!.createdAt.toISOString()).toBe(reg.occurredAt);
    expect(row!.lastLogoutAt!.toISOString()).toBe(close.occurredAt);
    const la = await callWithPayloadPipes(queries, 'lastActivity', { jid: 'ALICE@localhost' });
    expect(la).toEqual({ online: true, hidden: false, lastLogoutAt: close.occurredAt });
    // Counted on the day the registration happened (yesterday, just after midnight UTC).
    const day = reg.occurredAt.slice(0, 10);
    expect((await store.stats(2, new Date())).find((d) => d.day === day)?.counts).toEqual({ registrations: 1 });
  });

  it('applies a batch of session changes in order, once, like the single events', async () => {
    await callWithPayloadPipes(activity, 'registered', event(GatewayEvents.accountRegistered, { jid: 'dora@localhost', via: 'in-band' }, 3 * HOUR));
    const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const batch = event(
      GatewayEvents.sessionsChanged,
      {
        instanceId: 'gw-2',
        changes: [
          { jid: 'Dora@localhost/a', kind: 'opened', at: iso(2 * HOUR), mechanism: 'SCRAM-SHA-1' },
          { jid: 'dora@localhost/b', kind: 'opened', at: iso(2 * HOUR), mechanism: 'SCRAM-SHA-1' },
          { jid: 'dora@localhost/a', kind: 'closed', at: iso(HOUR), reason: 'closed' },
          { jid: 'ed@localhost/x', kind: 'opened', at: iso(HOUR), mechanism: 'PLAIN' },
          { jid: 'ed@localhost/x', kind: 'closed', at: iso(HOUR / 2), reason: 'timeout' },
        ],
      },
      0,
    );
    await callWithPayloadPipes(activity, 'changed', batch);
    await callWithPayloadPipes(activity, 'changed', batch); // redelivered: applied once
    const dora = await store.activity('dora@localhost');
    expect(dora).toMatchObject({ openSessions: 1 });
    expect(dora!.lastLogoutAt!.toISOString()).toBe(batch.data.changes[2].at);
    expect(dora!.lastUsedAt.toISOString()).toBe(batch.data.changes[2].at);
    const ed = await store.activity('ed@localhost'); // first seen in the batch
    expect(ed).toMatchObject({ openSessions: 0 });
    expect(ed!.lastLogoutAt!.toISOString()).toBe(batch.data.changes[4].at);
    await expect(callWithPayloadPipes(activity, 'changed', event(GatewayEvents.sessionsChanged, { instanceId: 'gw-2', changes: [{ jid: 'localhost', kind: 'opened', at: iso(0) }] }))).rejects.toMatchObject({
      error: { condition: 'jid-malformed' },
    });
    await expect(callWithPayloadPipes(activity, 'changed', event(GatewayEvents.sessionsChanged, { instanceId: 'gw-2', changes: [{ jid: 'a@localhost/r', kind: 'moved', at: iso(0) }] }))).rejects.toBeInstanceOf(TerminalError);
    await expect(callWithPayloadPipes(activity, 'changed', event(GatewayEvents.sessionsChanged, { changes: [] }))).rejects.toBeInstanceOf(TerminalError);
  });

  it('answers an unknown user as never seen, and refuses a malformed JID', async () => {
    await expect(callWithPayloadPipes(queries, 'lastActivity', { jid: 'nobody@localhost' })).resolves.toEqual({ online: false, hidden: false });
    await expect(callWithPayloadPipes(queries, 'lastActivity', { jid: 'localhost' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });
    await expect(callWithPayloadPipes(queries, 'setVisibility', { jid: 'a@localhost', hidden: 'yes' })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
  });

  it('forgets the account (and its sessions) on account-deleted, counting the reason', async () => {
    await callWithPayloadPipes(activity, 'registered', event(GatewayEvents.accountRegistered, { jid: 'bob@localhost', via: 'in-band' }));
    await callWithPayloadPipes(activity, 'opened', event(GatewayEvents.sessionOpened, { jid: 'bob@localhost/x', instanceId: 'gw-1', mechanism: 'PLAIN' }));
    await callWithPayloadPipes(activity, 'deleted', event(GatewayEvents.accountDeleted, { jid: 'bob@localhost', reason: 'admin' }));
    expect(store.rows.size).toBe(0);
    expect((await store.stats(1, new Date()))[0].counts).toMatchObject({ 'deletions.admin': 1 });
    await expect(callWithPayloadPipes(queries, 'setExempt', { jid: 'bob@localhost', exempt: true })).rejects.toMatchObject({ error: { condition: 'item-not-found' } });
  });

  it('terminates session events without an instance', async () => {
    await expect(callWithPayloadPipes(activity, 'opened', event(GatewayEvents.sessionOpened, { jid: 'bob@localhost/x', mechanism: 'PLAIN' }))).rejects.toBeInstanceOf(TerminalError);
  });

  it('logs failures with bare JIDs and machine reasons only, and refuses free text', async () => {
    await callWithPayloadPipes(
      failures,
      'offline',
      envelope(OfflineEvents.deliveryFailed, { from: 'Bob@localhost/phone', to: 'carol@localhost', reason: 'quota', messageType: 'chat', at: new Date().toISOString(), stanza: '<message><body>hi there</body></message>' }),
    );
    await expect(
      callWithPayloadPipes(failures, 'gateway', envelope(GatewayEvents.deliveryFailed, { to: 'carol@localhost', kind: 'message', reason: 'hi there', at: new Date().toISOString() })),
    ).rejects.toBeInstanceOf(TerminalError);
    await expect(
      callWithPayloadPipes(failures, 'gateway', envelope(GatewayEvents.deliveryFailed, { to: 'carol@localhost', kind: 'body', reason: 'forbidden', at: new Date().toISOString() })),
    ).rejects.toBeInstanceOf(TerminalError);
    const r = await callWithPayloadPipes<any>(queries, 'errors', { jid: 'bob@localhost' });
    expect(r).toEqual({ items: [{ source: 'offline', from: 'bob@localhost', to: 'carol@localhost', kind: 'message', reason: 'quota', at: expect.any(String) }], countsByReason: { quota: 1 }, total: 1 });
    expect(JSON.stringify(store.failures)).not.toContain('hi there');
  });

  it('bounds the operators’ queries', async () => {
    await expect(callWithPayloadPipes(queries, 'report', { limit: 0 })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
    await expect(callWithPayloadPipes(queries, 'stats', { days: 1.5 })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
    await expect(callWithPayloadPipes(queries, 'report', {})).resolves.toEqual({ latest: [], recent: [] });
    expect(JanitorSubjects.report).toBe('janitor.qry.report');
  });
});
