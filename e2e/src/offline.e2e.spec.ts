// End-to-end: offline messages (RFC 6121 §8.5.2.2, XEP-0160, XEP-0203 delay, XEP-0013
// flexible retrieval) with real NATS, real Postgres, two (at times three) real gateway
// processes, the real offline service and real clients.
import {
  EventEnvelope,
  OFFLINE_EVENTS,
  OfflineCountResult,
  OfflineDeliveryFailedV1,
  OfflineEvents,
  OfflineFetchQuery,
  OfflinePagesQuery,
  OfflineSubjects,
  OfflineSweepResult,
} from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, RawXmpp, rawLogin as rawLoginAs, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery';
const DELAY = 'urn:xmpp:delay';
const OFFLINE = 'http://jabber.org/protocol/offline';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const WAIT = 30_000;

type Stanza = TestClient['received'][number];

describe('offline messages, end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  let bus: Bus;
  const events: EventEnvelope<any>[] = [];
  const clients: TestClient[] = [];

  const login = async (gw: GatewayProcess, username: string, extra: Partial<Parameters<typeof connectClient>[0]> = {}) => {
    const c = await connectClient({ port: gw.starttlsPort, username, password: PASSWORD, ...extra });
    clients.push(c);
    return c;
  };
  /**
   * Logs in, waits for XEP-0198 to be enabled, then sends initial presence. (@xmpp/client
   * resets its inbound count only after awaiting <enabled/>, so a stanza read together with
   * it may go uncounted — and it never counts IQ results its own iqCaller consumes, such as
   * its bind — after which its <a h/> stays short and the server waits for an
   * acknowledgement that never comes.)
   */
  const online = async (gw: GatewayProcess, username: string, extra: { resource?: string; priority?: number } = {}) => {
    const c = await login(gw, username, { resource: extra.resource, presence: false });
    await waitFor(() => (c.xmpp as unknown as { streamManagement?: { enabled?: boolean } }).streamManagement?.enabled, { what: 'stream management', timeoutMs: WAIT });
    await c.send(xml('presence', {}, extra.priority === undefined ? undefined : xml('priority', {}, String(extra.priority))));
    return c;
  };
  const send = (from: TestClient, to: string, id: string, body: string | undefined, attrs: Record<string, string> = { type: 'chat' }, ...extra: ReturnType<typeof xml>[]) =>
    from.send(xml('message', { to, id, ...attrs }, body === undefined ? undefined : xml('body', {}, body), ...extra));
  const count = async (user: string) => (await bus.request<OfflineCountResult>(OfflineSubjects.count, { user })).count;
  const waitCount = (user: string, n: number) => waitFor(async () => (await count(user)) === n, { what: `${n} offline messages for ${user}`, timeoutMs: WAIT, intervalMs: 50 });
  const got = (c: TestClient, id: string) => c.waitFor((s) => s.is('message') && s.attrs.id === id, `message ${id}`, WAIT);
  const messagesFrom = (c: TestClient, from: string) => c.received.filter((s) => s.is('message') && s.attrs.from === from && s.attrs.type !== 'error');
  const errorFor = (c: TestClient, id: string) => c.waitFor((s) => s.is('message') && s.attrs.id === id && s.attrs.type === 'error', `error for ${id}`, WAIT);
  const delayOf = (s: Stanza) => s.getChild('delay', DELAY);
  /** Waits until `observer`'s gateway knows `full` is gone (an IQ to it bounces instead of being forwarded). */
  const gone = (observer: TestClient, full: string) =>
    waitFor(
      async () => {
        try {
          await observer.iq(xml('iq', { type: 'get', to: full }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 2000);
          return false;
        } catch (e) {
          return /service-unavailable/.test((e as Error).message);
        }
      },
      { what: `${full} to be gone`, timeoutMs: WAIT },
    );
  const restartOffline = async (env: Record<string, string> = {}) => {
    await stack.services.get('offline')!.stop();
    await stack.startService('offline', env);
  };

  beforeAll(async () => {
    stack = await startStack('offline');
    await stack.startService('offline');
    // no username tombstones here: a test registers a deleted name again at once, to show the new account gets none of the old one's messages
    gw1 = await stack.startGateway({ USERNAME_TOMBSTONE: '0s' });
    gw2 = await stack.startGateway({ USERNAME_TOMBSTONE: '0s' });
    bus = await Bus.connect(stack.busOptions('e2e-offline-observer'));
    await bus.consume({
      stream: OFFLINE_EVENTS,
      durable: 'e2e-offline-observer',
      filterSubjects: OFFLINE_EVENTS.subjects,
      handler: async (e) => {
        events.push(e);
      },
    });
    for (const u of ['alicE', 'bOb', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'oscar']) {
      expect(await registerInBand(gw1.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    }
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  it('stores chat and normal messages for an offline user and delivers them at login, in order, with <delay/>, once', async () => {
    const alice = await login(gw1, 'alicE');
    const before = Date.now();
    await send(alice, 'BOB@localhost', 'm1', 'first', { type: 'chat' });
    await send(alice, 'bob@localhost', 'm2', 'second', {});
    await send(alice, 'bob@localhost/gone', 'm3', 'third', { type: 'chat' }); // RFC 6121 §8.5.3.2.1: chat to an offline full JID falls back to the bare JID
    await send(alice, 'bob@localhost', 'm4', 'fourth', { type: 'normal' });
    await waitCount('bob@localhost', 4);

    const bob = await online(gw2, 'bOb');
    await got(bob, 'm4');
    const delivered = messagesFrom(bob, alice.jid);
    expect(delivered.map((s) => s.attrs.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(delivered.map((s) => s.getChildText('body'))).toEqual(['first', 'second', 'third', 'fourth']);
    expect(delivered[1].attrs.type).toBeUndefined();
    const stamps = delivered.map((s) => {
      const d = delayOf(s);
      expect(d?.attrs.from).toBe('localhost');
      return Date.parse(d!.attrs.stamp);
    });
    expect(stamps.every((t, i) => t >= before - 1000 && t <= Date.now() && (i === 0 || t >= stamps[i - 1]))).toBe(true);
    expect(alice.received.some((s) => s.attrs.type === 'error')).toBe(false);

    // deleted once delivered: the next login gets only what arrived since
    await waitCount('bob@localhost', 0);
    await bob.stop();
    await gone(alice, bob.jid);
    await send(alice, 'bob@localhost', 'm5', 'fifth');
    const again = await online(gw1, 'bob');
    await got(again, 'm5');
    expect(messagesFrom(again, alice.jid).map((s) => s.attrs.id)).toEqual(['m5']);
  });

  it('stores for an account whose only resource has negative priority, and delivers on non-negative presence', async () => {
    const alice = await login(gw1, 'alice');
    await send(alice, 'carol@localhost', 'n1', 'while you were away');
    await waitCount('carol@localhost', 1);

    // RFC 6121 §4.7.2.3 / XEP-0160 §2: a negative-priority resource gets nothing pushed at login
    const negative = await online(gw2, 'carol', { resource: 'negative', priority: -1 });
    // (a stanza of one stream is handled after the ones before it: a push would arrive before this echo;
    // a message rather than an IQ, as @xmpp/client does not count IQ results for XEP-0198)
    await negative.send(xml('message', { to: negative.jid, type: 'chat', id: 'probe' }, xml('body', {}, 'probe')));
    await got(negative, 'probe');
    expect(negative.received.some((s) => s.is('message') && s.attrs.id !== 'probe')).toBe(false);
    expect(await count('carol@localhost')).toBe(1);

    // ...and a message to the bare JID is stored rather than delivered to it
    await send(alice, 'carol@localhost', 'n2', 'still away?');
    await waitCount('carol@localhost', 2);

    // the next resource with non-negative presence gets the backlog
    const positive = await online(gw1, 'carol', { resource: 'positive', priority: 0 });
    await got(positive, 'n2');
    expect(messagesFrom(positive, alice.jid).map((s) => s.attrs.id)).toEqual(['n1', 'n2']);
    expect(delayOf(messagesFrom(positive, alice.jid)[0])).toBeDefined();
    await waitCount('carol@localhost', 0);
    await positive.stop();

    // a negative resource that raises its priority gets what arrived meanwhile
    await send(alice, 'carol@localhost', 'n3', 'now?');
    await waitCount('carol@localhost', 1);
    await negative.send(xml('presence', {}, xml('priority', {}, '1')));
    const n3 = await got(negative, 'n3');
    expect(delayOf(n3)?.attrs.from).toBe('localhost');
    expect(messagesFrom(negative, alice.jid).map((s) => s.attrs.id)).toEqual(['n3']);
    await waitCount('carol@localhost', 0);
  });

  it('does not store groupchat, headline, <no-store/> or chat-state-only messages', async () => {
    const alice = await login(gw1, 'alice');
    await send(alice, 'dave@localhost', 'g1', 'room talk', { type: 'groupchat' });
    await send(alice, 'dave@localhost', 'h1', 'breaking news', { type: 'headline' });
    await send(alice, 'dave@localhost', 'ns1', 'off the record', { type: 'chat' }, xml('no-store', { xmlns: 'urn:xmpp:hints' }));
    await send(alice, 'dave@localhost', 'cs1', undefined, { type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }));
    await send(alice, 'dave@localhost', 's1', 'sentinel', { type: 'chat' });

    // RFC 6121 §8.5.2.2.1: groupchat, and a chat message that is not stored, are bounced
    const g1 = await errorFor(alice, 'g1');
    expect(g1.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    const ns1 = await errorFor(alice, 'ns1');
    expect(ns1.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    await waitCount('dave@localhost', 1);

    // delivered in arrival order: whatever had been stored before the sentinel would come first
    const dave = await online(gw2, 'dave');
    await got(dave, 's1');
    expect(messagesFrom(dave, alice.jid).map((s) => s.attrs.id)).toEqual(['s1']);
    // headline and chat states are dropped silently
    expect(alice.received.some((s) => s.attrs.type === 'error' && (s.attrs.id === 'h1' || s.attrs.id === 'cs1' || s.attrs.id === 's1'))).toBe(false);
    expect(events.some((e) => e.type === OfflineEvents.deliveryFailed && e.data.to === 'dave@localhost')).toBe(false);
  });

  it('serves XEP-0013 flexible retrieval: count, headers, view, remove, fetch, purge, and then no flood', async () => {
    const alice = await login(gw1, 'alice');
    for (const [id, body] of [['x1', 'one'], ['x2', 'two'], ['x3', 'three']]) await send(alice, 'erin@localhost', id, body);
    await waitCount('erin@localhost', 3);

    const erin = await login(gw2, 'erin', { presence: false });
    const server = await erin.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: DISCO_INFO })));
    expect(server.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining(['msgoffline', OFFLINE]));

    const numberOf = async () => {
      const info = await erin.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: DISCO_INFO, node: OFFLINE })));
      expect(info.attrs.node).toBe(OFFLINE);
      expect(info.getChild('identity')?.attrs).toMatchObject({ category: 'automation', type: 'message-list' });
      expect(info.getChildren('feature').map((f) => f.attrs.var)).toContain(OFFLINE);
      const form = info.getChild('x', 'jabber:x:data')!;
      const field = (v: string) => form.getChildren('field').find((f) => f.attrs.var === v);
      expect(field('FORM_TYPE')?.getChildText('value')).toBe(OFFLINE);
      return Number(field('number_of_messages')?.getChildText('value'));
    };
    expect(await numberOf()).toBe(3);

    const headers = await erin.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: DISCO_ITEMS, node: OFFLINE })));
    const items = headers.getChildren('item');
    expect(items).toHaveLength(3);
    for (const i of items) expect(i.attrs).toMatchObject({ jid: 'erin@localhost', name: alice.jid });
    const nodes = items.map((i) => i.attrs.node);
    expect(new Set(nodes).size).toBe(3);

    // view one: the message comes before the result, tagged with its node, stamped
    await erin.iq(xml('iq', { type: 'get' }, xml('offline', { xmlns: OFFLINE }, xml('item', { action: 'view', node: nodes[1] }))));
    const viewed = erin.received.filter((s) => s.is('message'));
    expect(viewed.map((s) => s.attrs.id)).toEqual(['x2']);
    expect(viewed[0].getChild('offline', OFFLINE)?.getChild('item')?.attrs.node).toBe(nodes[1]);
    expect(delayOf(viewed[0])?.attrs.from).toBe('localhost');

    // viewing deletes nothing; removing does, and a removed node is gone
    expect(await numberOf()).toBe(3);
    await erin.iq(xml('iq', { type: 'set' }, xml('offline', { xmlns: OFFLINE }, xml('item', { action: 'remove', node: nodes[0] }))));
    await expect(erin.iq(xml('iq', { type: 'get' }, xml('offline', { xmlns: OFFLINE }, xml('item', { action: 'view', node: nodes[0] }))))).rejects.toThrow(/item-not-found/);
    expect(await numberOf()).toBe(2);

    // another user may not look
    const bob = await login(gw1, 'bob', { presence: false });
    await expect(bob.iq(xml('iq', { type: 'get', to: 'erin@localhost' }, xml('query', { xmlns: DISCO_ITEMS, node: OFFLINE })))).rejects.toThrow(/forbidden/);

    // XEP-0013 §2.2: after asking for headers, initial presence pushes nothing. Stanzas of one
    // stream are handled in order, so a push would arrive before the fetch below answers.
    erin.received.splice(0);
    await erin.send(xml('presence'));
    await erin.iq(xml('iq', { type: 'get' }, xml('offline', { xmlns: OFFLINE }, xml('fetch'))));
    const fetched = erin.received.filter((s) => s.is('message'));
    expect(fetched.map((s) => s.attrs.id)).toEqual(['x2', 'x3']);
    expect(fetched.every((s) => s.getChild('offline', OFFLINE)?.getChild('item')?.attrs.node)).toBe(true);
    expect(await numberOf()).toBe(2);

    await erin.iq(xml('iq', { type: 'set' }, xml('offline', { xmlns: OFFLINE }, xml('purge'))));
    expect(await numberOf()).toBe(0);
    expect(await count('erin@localhost')).toBe(0);
  });

  it('erases the offline messages of a deleted account', async () => {
    const alice = await login(gw1, 'alice');
    await send(alice, 'frank@localhost', 'd1', 'for the old frank');
    await waitCount('frank@localhost', 1);

    const frank = await login(gw2, 'frank', { presence: false });
    await frank.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    await waitCount('frank@localhost', 0);

    expect(await registerInBand(gw2.starttlsPort, 'frank', PASSWORD)).toMatch(/type=.result./);
    await send(alice, 'frank@localhost', 'd2', 'for the new frank');
    const newFrank = await online(gw2, 'frank');
    await got(newFrank, 'd2');
    expect(messagesFrom(newFrank, alice.jid).map((s) => s.attrs.id)).toEqual(['d2']);
  });

  it('keeps a message handed off while the offline service is down, and delivers it once the service is back', async () => {
    await stack.services.get('offline')!.stop();
    const alice = await login(gw1, 'alice');
    await send(alice, 'grace@localhost', 'o1', 'are you there?');

    // logging in does not depend on the offline service
    const early = await online(gw2, 'grace');
    await early.waitFor((s) => s.is('presence') && s.attrs.from === early.jid, 'own presence', WAIT);
    await early.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(early.received.some((s) => s.is('message'))).toBe(false);
    await early.stop();

    await stack.startService('offline');
    await waitCount('grace@localhost', 1);
    const grace = await online(gw2, 'grace');
    const o1 = await got(grace, 'o1');
    expect(delayOf(o1)?.attrs.from).toBe('localhost');
    expect(alice.received.some((s) => s.attrs.id === 'o1' && s.attrs.type === 'error')).toBe(false);
    await waitCount('grace@localhost', 0);
  });

  it('delivers at once, in order and once, what the offline service stores while the user is already online', async () => {
    expect(await registerInBand(gw1.starttlsPort, 'kate', PASSWORD)).toMatch(/type=.result./);
    await stack.services.get('offline')!.stop();
    const alice = await login(gw1, 'alice');
    const ids = Array.from({ length: 30 }, (_, i) => `late-${i}`);
    for (const id of ids) await send(alice, 'kate@localhost', id, `queued ${id}`);
    // Kate comes online while the hand-offs wait on the bus: her login finds nothing stored.
    // (No IQ here: @xmpp/client does not count IQ results in its XEP-0198 acknowledgements.)
    const kate = await online(gw2, 'kate');
    await kate.waitFor((s) => s.is('presence') && s.attrs.from === kate.jid, 'own presence', WAIT);
    expect(kate.received.some((s) => s.is('message'))).toBe(false);
    // The service comes back and stores them: each reaches her open session, not her next login.
    await stack.startService('offline');
    await waitFor(() => messagesFrom(kate, alice.jid).length >= ids.length, { what: 'all 30 delivered to the open session', timeoutMs: WAIT });
    await waitCount('kate@localhost', 0);
    const got = messagesFrom(kate, alice.jid).map((m) => m.attrs.id);
    expect(got).toEqual(ids); // arrival order, each once
    expect(messagesFrom(kate, alice.jid).every((m) => delayOf(m) !== undefined)).toBe(true);
  });

  it('loses nothing when the gateway dies between reading the backlog and deleting it', async () => {
    const alice = await login(gw1, 'alice');
    await send(alice, 'heidi@localhost', 'k1', 'one');
    await send(alice, 'heidi@localhost', 'k2', 'two');
    await waitCount('heidi@localhost', 2);

    const gw3 = await stack.startGateway({ USERNAME_TOMBSTONE: '0s' });
    let fetching = false;
    // pages are asked with offline.qry.pages (several sessions at once); offline.qry.fetch only without it
    const watches = [
      bus.subscribe<OfflineFetchQuery>(OfflineSubjects.fetch, (q) => {
        if (q.user === 'heidi@localhost') fetching = true;
      }),
      bus.subscribe<OfflinePagesQuery>(OfflineSubjects.pages, (q) => {
        if (q.pages.some((p) => p.user === 'heidi@localhost')) fetching = true;
      }),
    ];
    await bus.flush();
    // Hold the offline service so gw3's read of the backlog is in flight when gw3 dies.
    const offline = stack.services.get('offline')!.proc;
    offline.kill('SIGSTOP');
    try {
      await login(gw3, 'heidi', { resource: 'doomed' });
      await waitFor(() => fetching, { what: 'gw3 to read the backlog', timeoutMs: WAIT });
      await gw3.kill();
    } finally {
      offline.kill('SIGCONT');
      for (const w of watches) w.unsubscribe();
    }

    expect(await count('heidi@localhost')).toBe(2);
    const heidi = await online(gw2, 'heidi', { resource: 'survivor' });
    await got(heidi, 'k2');
    expect(messagesFrom(heidi, alice.jid).map((s) => s.attrs.id)).toEqual(['k1', 'k2']);
    await waitCount('heidi@localhost', 0);
  });

  it('keeps exactly one stored copy when a stream-management session ends without acknowledging the backlog', async () => {
    const alice = await login(gw1, 'alice');
    await send(alice, 'oscar@localhost', 'a1', 'one');
    await send(alice, 'oscar@localhost', 'a2', 'two');
    await waitCount('oscar@localhost', 2);

    // A client that enables XEP-0198 (not resumable), takes the backlog, and vanishes without <a/>:
    // the gateway routes unacknowledged messages again, but these are still stored.
    const raw = await rawLogin(gw2.starttlsPort, 'oscar', 'vanishing');
    raw.send(`<enable xmlns='urn:xmpp:sm:3'/>`);
    await raw.expect(/<enabled /);
    raw.send('<presence/>');
    await raw.expect(/id="a2"[\s\S]*<\/message>/);
    expect(raw.received).toMatch(/id="a1"/);
    raw.close();

    const bob = await login(gw2, 'bob');
    await gone(bob, 'oscar@localhost/vanishing');
    await send(bob, 'oscar@localhost', 'a3', 'three');
    const oscar = await online(gw1, 'oscar');
    await got(oscar, 'a3');
    expect(oscar.received.filter((s) => s.is('message')).map((s) => s.attrs.id)).toEqual(['a1', 'a2', 'a3']);
    await waitCount('oscar@localhost', 0);
    await oscar.stop();
    await gone(bob, oscar.jid);
    await send(bob, 'oscar@localhost', 'a4', 'four');
    const later = await online(gw2, 'oscar');
    await got(later, 'a4');
    expect(later.received.filter((s) => s.is('message')).map((s) => s.attrs.id)).toEqual(['a4']);
  });

  describe('with a small quota and a short retention', () => {
    beforeAll(async () => {
      await restartOffline({ OFFLINE_QUOTA: '2', OFFLINE_RETENTION: '1s' });
    });

    it('bounces resource-constraint past the quota and publishes delivery-failed without content', async () => {
      const alice = await login(gw1, 'alice');
      await send(alice, 'ivan@localhost', 'q1', 'secret one');
      await send(alice, 'ivan@localhost', 'q2', 'secret two');
      await send(alice, 'ivan@localhost', 'q3', 'secret three');

      const bounce = await errorFor(alice, 'q3');
      expect(bounce.attrs.from).toBe('ivan@localhost');
      const err = bounce.getChild('error')!;
      expect(err.attrs.type).toBe('wait');
      expect(err.getChild('resource-constraint', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
      expect(err.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toMatch(/full/);

      const failed = await waitFor(() => events.find((e): e is EventEnvelope<OfflineDeliveryFailedV1> => e.type === OfflineEvents.deliveryFailed && e.data.to === 'ivan@localhost'), { timeoutMs: WAIT });
      expect(failed.data).toMatchObject({ from: alice.jid, to: 'ivan@localhost', reason: 'quota', messageType: 'chat', stanzaId: 'q3' });
      expect(JSON.stringify(failed)).not.toMatch(/secret/);
      expect(await count('ivan@localhost')).toBe(2);
      expect(alice.received.filter((s) => s.attrs.type === 'error').map((s) => s.attrs.id)).toEqual(['q3']);

      const ivan = await online(gw2, 'ivan');
      await got(ivan, 'q2');
      expect(messagesFrom(ivan, alice.jid).map((s) => s.attrs.id)).toEqual(['q1', 'q2']);
      await waitCount('ivan@localhost', 0);
    });

    it('deletes messages older than the retention on a sweep, silently', async () => {
      const alice = await login(gw1, 'alice');
      await send(alice, 'judy@localhost', 'r1', 'soon forgotten');
      await waitCount('judy@localhost', 1);

      const sweeps: OfflineSweepResult[] = [];
      await waitFor(
        async () => {
          sweeps.push(await bus.request<OfflineSweepResult>(OfflineSubjects.sweep, {}));
          return (await count('judy@localhost')) === 0;
        },
        { what: 'a sweep to delete the expired message', timeoutMs: WAIT, intervalMs: 250 },
      );
      const swept = sweeps[sweeps.length - 1];
      expect(swept.messagesDeleted).toBeGreaterThanOrEqual(1);
      expect(Date.parse(swept.cutoff)).toBeLessThanOrEqual(Date.now() - 1000);
      await waitFor(() => events.some((e) => e.type === OfflineEvents.swept && e.data.messagesDeleted >= 1), { timeoutMs: WAIT });

      await send(alice, 'judy@localhost', 'r2', 'sentinel');
      await waitCount('judy@localhost', 1);
      const judy = await online(gw2, 'judy');
      await got(judy, 'r2');
      expect(messagesFrom(judy, alice.jid).map((s) => s.attrs.id)).toEqual(['r2']);
      // expiry is silent: no bounce, no delivery-failed
      expect(alice.received.some((s) => s.attrs.type === 'error')).toBe(false);
      expect(events.some((e) => e.type === OfflineEvents.deliveryFailed && e.data.to === 'judy@localhost')).toBe(false);
    });
  });
});

function rawLogin(port: number, username: string, resource: string, keep = false): Promise<RawXmpp> {
  return rawLoginAs(port, username, PASSWORD, resource, { keep });
}
