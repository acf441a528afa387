// The bus permissions against a real nats-server configured from BUS_ROLES: each role
// can do its job, and nothing else.
import { connect, NatsConnection } from 'nats';
import {
  ARCHIVE_INBOX,
  envelope,
  GATEWAY_EVENTS,
  GatewayEvents,
  OFFLINE_INBOX,
  OfflineSubjects,
  ROSTER_EVENTS,
  RosterEvents,
  RosterSubjects,
  Durables,
} from '@parley/contracts';
import { uniqueNamespace, waitFor } from '@parley/testing-stack';
import { AuthenticatedNats, startAuthenticatedNats } from './test-server';
import { Bus, isPermissionError } from './bus';
import { inboxPrefixFor, wireSubject } from './naming';

const HOOK_TIMEOUT = 60_000;

/** How an operation ended: refused by the bus permissions, accepted, or failed otherwise. */
const refused = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'accepted',
    (e) => (isPermissionError(e) ? 'refused' : `failed otherwise: ${(e as Error).message}`),
  );

describe('bus permissions (nats-server with the rendered authorization)', () => {
  let nats: AuthenticatedNats;
  let ns: string;
  const open: Array<{ close(): Promise<void> }> = [];
  const bus = async (role: string): Promise<Bus> => {
    const b = await Bus.connect({ url: nats.url, name: `perm-${role}`, namespace: ns, ...nats.credentials(role) });
    open.push(b);
    return b;
  };
  /** A raw connection (to see what the server refuses) that records asynchronous permission errors. */
  const raw = async (role: string): Promise<{ nc: NatsConnection; errors: string[] }> => {
    const c = nats.credentials(role);
    const nc = await connect({ servers: nats.url, user: c.user, pass: c.password, inboxPrefix: inboxPrefixFor(c.user) });
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.data));
    })();
    open.push({ close: () => nc.close() });
    return { nc, errors };
  };

  beforeAll(async () => {
    ns = uniqueNamespace('perm');
    nats = await startAuthenticatedNats(ns);
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    for (const c of open.splice(0).reverse()) await c.close().catch(() => undefined);
    await nats.stop();
  }, HOOK_TIMEOUT);

  it('refuses a connection without credentials or with a wrong password', async () => {
    await expect(connect({ servers: nats.url, timeout: 3000 })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: nats.url, user: nats.credentials('roster').user, pass: 'not-the-password', timeout: 3000 })).rejects.toThrow(/authorization/i);
  });

  it('lets each role do its job: roster answers the gateway, consumes account deletions and publishes its events', async () => {
    const gateway = await bus('gateway');
    const roster = await bus('roster');
    await gateway.ensureStreams([GATEWAY_EVENTS]);
    await roster.ensureStreams([ROSTER_EVENTS, GATEWAY_EVENTS]);
    const sub = roster.serve(RosterSubjects.get, (q: { user: string }) => ({ items: [], user: q.user }), { queue: 'roster' });
    await roster.flush();
    await expect(gateway.request(RosterSubjects.get, { user: 'a@localhost' })).resolves.toEqual({ items: [], user: 'a@localhost' });
    sub.unsubscribe();

    const seen: string[] = [];
    const consumer = await roster.consume<{ jid: string }>({
      stream: GATEWAY_EVENTS,
      durable: Durables.rosterAccountDeleted,
      filterSubjects: [GatewayEvents.accountDeleted],
      handler: async (e) => {
        seen.push(e.data.jid);
      },
    });
    await gateway.publishEvent(envelope(GatewayEvents.accountDeleted, { jid: 'gone@localhost', reason: 'user' }));
    await waitFor(() => seen.includes('gone@localhost'));
    await consumer.stop();

    await expect(roster.publishEvent(envelope(RosterEvents.userErased, { jid: 'gone@localhost' }))).resolves.toBeUndefined();
    expect(nats.violations()).toEqual([]);
  });

  it("roster's credentials cannot publish gateway.evt.* (core or into the stream)", async () => {
    const admin = await raw('admin');
    const got: string[] = [];
    const watch = admin.nc.subscribe(wireSubject(ns, 'gateway.evt.>'), { callback: (_e, m) => got.push(m.subject) });
    await admin.nc.flush();

    const roster = await bus('roster');
    expect(await refused(roster.publishEvent(envelope(GatewayEvents.accountDeleted, { jid: 'victim@localhost', reason: 'admin' })))).toBe('refused');
    roster.publish(GatewayEvents.accountDeleted, { jid: 'victim@localhost', reason: 'admin' });
    await roster.flush();
    await waitFor(() => nats.violations().some((l) => l.includes(wireSubject(ns, GatewayEvents.accountDeleted))));
    await admin.nc.flush();
    expect(got).toEqual([]);
    watch.unsubscribe();
  });

  it("roster's credentials cannot read offline.* (subscribe, request, or consume the offline inbox)", async () => {
    const gateway = await bus('gateway');
    await gateway.ensureStreams([OFFLINE_INBOX]);
    const { nc, errors } = await raw('roster');
    const stolen: string[] = [];
    const onMsg = (e: Error | null, m: { subject: string } | null) => (e ? errors.push(String(e)) : m && stolen.push(m.subject));
    nc.subscribe(wireSubject(ns, 'offline.>'), { callback: onMsg });
    nc.subscribe(wireSubject(ns, OfflineSubjects.fetch), { callback: onMsg });
    await nc.flush();
    await waitFor(() => nats.violations().filter((l) => /subscription violation/i.test(l)).length >= 2);
    gateway.publish(OfflineSubjects.fetch, { user: 'someone@localhost' });
    await gateway.publishEvent(envelope(OfflineSubjects.store, { to: 'someone@localhost' }));
    await gateway.flush();

    const roster = await bus('roster');
    expect(await refused(roster.request(OfflineSubjects.fetch, { user: 'someone@localhost' }, { timeoutMs: 3000 }))).toBe('refused');
    expect(await refused(
      roster.consume({ stream: OFFLINE_INBOX, durable: Durables.offlineStore, filterSubjects: [OfflineSubjects.store], handler: async () => undefined }),
    )).toBe('refused');
    // Nor can it reach the archive's inbox, or another role's replies.
    expect(await refused(roster.consume({ stream: ARCHIVE_INBOX, durable: Durables.archiveStore, filterSubjects: [], handler: async () => undefined }))).toBe('refused');
    nc.subscribe('_INBOX_gateway.>', { callback: onMsg });
    await nc.flush();
    await waitFor(() => nats.violations().some((l) => l.includes('_INBOX_gateway')));
    expect(stolen).toEqual([]);
  });

  it('a service cannot change the configuration of a stream it does not own', async () => {
    const gateway = await bus('gateway');
    await gateway.ensureStreams([GATEWAY_EVENTS]);
    const roster = await bus('roster');
    // Same configuration: nothing to do. A different one (as an older or newer version would have): refused, not fatal.
    await expect(roster.ensureStreams([GATEWAY_EVENTS])).resolves.toBeUndefined();
    await expect(roster.ensureStreams([{ ...GATEWAY_EVENTS, maxAgeMs: 1000 }])).resolves.toBeUndefined();
    const { nc } = await raw('admin');
    const info = await (await nc.jetstreamManager()).streams.info(`${ns.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_${GATEWAY_EVENTS.name}`);
    expect(info.config.max_age).toBe(GATEWAY_EVENTS.maxAgeMs * 1_000_000);
  });
});
