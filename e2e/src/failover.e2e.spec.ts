// End-to-end: a gateway is killed (SIGKILL) while a user's session lives on it. Messages
// sent to that user from another gateway right afterwards — before the peers' heartbeat
// timeout would notice — are neither lost nor bounced: the dead gateway's subject has no
// listener, NATS says so at once, and the sender's gateway stores them offline. The user
// gets each exactly once at the next login. ROUTE_PEER_TIMEOUT is long here, so the
// heartbeat path cannot be what saves them.
import { OfflineFetchResult, OfflineSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, rawLogin, TestClient, xml } from '@parley/testing-xmpp';
import { e2eUsers, E2EStack, startStack } from './stack';

jest.setTimeout(120_000);

/** Sends probes from `from` to `to` until one arrives (gateways learn of each other's sessions asynchronously); the id that arrived. */
async function reaches(from: TestClient, to: string, arrived: (id: string) => Promise<unknown>): Promise<string> {
  for (let n = 0; n <= 30; n++) {
    const id = `probe-${n}`;
    await from.send(xml('message', { to, type: 'chat', id }, xml('body', {}, 'probe')));
    try {
      await arrived(id);
      return id;
    } catch {
      // not yet: the next probe
    }
  }
  throw new Error(`the sender's gateway never learnt of ${to}`);
}

describe('a gateway killed under its sessions', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const users = e2eUsers('failover password 1', () => gw1.starttlsPort);
  const env = { ROUTE_HEARTBEAT: '1s', ROUTE_PEER_TIMEOUT: '5m' };

  beforeAll(async () => {
    stack = await startStack('failover');
    await stack.startService('roster');
    await stack.startService('offline');
    gw1 = await stack.startGateway(env);
  });

  beforeEach(async () => {
    gw2 = await stack.startGateway({ ...env, LOG_LEVEL: 'debug' });
  });

  afterEach(async () => {
    await gw2.stop();
  });

  afterAll(async () => {
    await Promise.all(users.clients.map((c) => c.stop().catch(() => undefined)));
    await stack?.stop();
  });

  it('messages for sessions on the dead gateway are stored offline, each once', async () => {
    const [alice, bob] = await users.accounts('alice', 'bob');
    const b = await users.login(gw1, bob);
    const a = await users.login(gw2, alice);
    const aliceFull = a.jid;
    // bob's gateway knows alice's session once a message to her full JID reaches her
    await reaches(b, aliceFull, (id) => a.waitFor((s) => s.is('message') && s.attrs.id === id, id, 1000));

    await gw2.kill();
    await a.stop().catch(() => undefined);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(`full-${i}`);
      await b.send(xml('message', { to: aliceFull, type: 'chat', id: `full-${i}` }, xml('body', {}, `to the full JID ${i}`)));
      sent.push(`bare-${i}`);
      await b.send(xml('message', { to: users.jid(alice), type: 'chat', id: `bare-${i}` }, xml('body', {}, `to the bare JID ${i}`)));
    }
    // a ping round trip after the last message: bob's gateway has routed them all
    await b.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));

    const again = await users.login(gw1, alice);
    const got = () => again.received.filter((s) => s.is('message') && sent.includes(s.attrs.id)).map((s) => s.attrs.id);
    for (const id of sent) await again.waitFor((s) => s.is('message') && s.attrs.id === id, `offline copy of ${id}`, 30_000);
    // a round trip through alice's gateway: any duplicate would have arrived by now
    await again.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(got().sort()).toEqual([...sent].sort());
    expect(b.received.filter((s) => s.is('message') && s.attrs.type === 'error')).toEqual([]);
  });

  it('a gateway asked to stop (SIGTERM) moves resumable sessions to another gateway, where their clients resume them', async () => {
    const [alice, bob] = await users.accounts('alice', 'bob');
    const b = await users.login(gw1, bob);
    // alice on gw2 with resumable stream management, acknowledging nothing
    const raw = await rawLogin(gw2.starttlsPort, alice, 'failover password 1', 'phone');
    raw.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    const id = (await raw.expect(/<enabled[^>]*id=.([^'"]+)./))[1];
    raw.send(`<presence/>`);
    const aliceFull = `${users.jid(alice)}/phone`;
    await reaches(b, aliceFull, (id) => raw.expect(new RegExp(`id=['"]${id}['"]`), 1000));
    const sent = ['held-0', 'held-1', 'held-2'];
    for (const m of sent) await b.send(xml('message', { to: aliceFull, type: 'chat', id: m }, xml('body', {}, m)));
    for (const m of sent) await raw.expect(new RegExp(`id=['"]${m}['"]`), 10_000);
    await gw2.stop(); // SIGTERM: the session moves to gw1, the connection drops without a stream error
    await raw.expectClosed();
    expect(raw.received).not.toMatch(/system-shutdown|see-other-host/);

    // the client reconnects (to gw1) and resumes, acknowledging nothing: everything comes again, in order
    const again = await rawLogin(gw1.starttlsPort, alice, 'failover password 1', '');
    again.send(`<resume xmlns='urn:xmpp:sm:3' previd='${id}' h='0'/>`);
    await again.expect(/<resumed /, 15_000);
    await again.expect(/id=.held-2./);
    const order = [...again.received.matchAll(/id=.(held-\d)./g)].map((m) => m[1]);
    expect(order).toEqual(sent);
    // the session lives on gw1 now: bob's next message reaches it
    await b.send(xml('message', { to: aliceFull, type: 'chat', id: 'after-move' }, xml('body', {}, 'still there?')));
    await again.expect(/id=.after-move./, 15_000);
    expect(b.received.filter((s) => s.is('message') && s.attrs.type === 'error')).toEqual([]);
    again.close();
  });

  it('messages for a session waiting for resumption survive the death of its gateway (kept in offline storage until acknowledged)', async () => {
    const [alice, bob] = await users.accounts('alice', 'bob');
    const b = await users.login(gw1, bob);
    const raw = await rawLogin(gw2.starttlsPort, alice, 'failover password 1', 'phone');
    raw.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    await raw.expect(/<enabled/);
    raw.send(`<presence/>`);
    const aliceFull = `${users.jid(alice)}/phone`;
    await reaches(b, aliceFull, (id) => raw.expect(new RegExp(`id=['"]${id}['"]`), 1000));
    const mark = gw2.logs.length;
    raw.close(); // the connection drops: the session waits on gw2
    await waitFor(() => gw2.logs.slice(mark).some((l) => l.includes('waiting for resumption')), { what: 'gw2 to notice the drop', timeoutMs: 15_000 });
    const sent = ['away-0', 'away-1', 'away-2'];
    for (const m of sent) await b.send(xml('message', { to: aliceFull, type: 'chat', id: m }, xml('body', {}, m)));
    await b.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    // gw2 handed them to offline storage (they stay there until alice acknowledges them); then it dies
    const bus = await Bus.connect(stack.busOptions('failover-test'));
    try {
      await waitFor(
        async () => {
          // Each of the three stored once. Not a count of everything stored: a probe that left
          // before gw1 learnt of alice's session went to storage too (RFC 6121 §8.5.3.2.1) and,
          // delivered to a client that never acknowledges, stays there.
          const { messages } = await bus.request<OfflineFetchResult>(OfflineSubjects.fetch, { user: users.jid(alice), limit: 500 });
          const stored = messages.map((m) => m.stanzaId).filter((id): id is string => !!id && sent.includes(id));
          // a failure names what was stored last time
          if (stored.join() !== sent.join()) throw new Error(`stored: ${messages.map((m) => m.stanzaId ?? '?').join(', ') || 'nothing'}`);
          return true;
        },
        { what: 'the messages in offline storage', timeoutMs: 30_000, intervalMs: 50 },
      );
    } finally {
      await bus.close();
    }
    await gw2.kill();
    const again = await users.login(gw1, alice);
    for (const m of sent) await again.waitFor((s) => s.is('message') && s.attrs.id === m, `stored copy of ${m}`, 30_000);
    await again.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const ids = again.received.filter((s) => s.is('message') && sent.includes(s.attrs.id)).map((s) => s.attrs.id);
    expect(ids).toEqual(sent); // each once, in order
  });
});
