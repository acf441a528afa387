// End-to-end: XEP-0191 blocking with the real roster service, two real gateways and
// real clients — the block list protocol, its pushes, and its enforcement.
import { RosterSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { befriend, E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const BLOCKING = 'urn:xmpp:blocking';
const WAIT = 20_000;

type Stanza = Awaited<ReturnType<TestClient['waitFor']>>;

describe('blocking (XEP-0191), end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;

  const { clients, accounts, jid, login } = e2eUsers(PASSWORD, () => gw1.starttlsPort);
  const next = (c: TestClient, pred: (s: Stanza) => boolean, what: string) => {
    const from = c.received.length;
    return () => c.waitFor((s) => c.received.indexOf(s) >= from && pred(s), what, WAIT);
  };
  const blocklist = async (c: TestClient) => (await c.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: BLOCKING })), WAIT)).getChildren('item').map((i) => i.attrs.jid);
  const block = (c: TestClient, ...jids: string[]) => c.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: BLOCKING }, ...jids.map((j) => xml('item', { jid: j })))), WAIT);
  const unblock = (c: TestClient, ...jids: string[]) => c.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: BLOCKING }, ...jids.map((j) => xml('item', { jid: j })))), WAIT);
  const blockPush = (c: TestClient, name: 'block' | 'unblock', items: string[]) =>
    c.waitFor(
      (s) => {
        const el = s.is('iq') && s.attrs.type === 'set' ? s.getChild(name, BLOCKING) : undefined;
        return !!el && JSON.stringify(el.getChildren('item').map((i) => i.attrs.jid).sort()) === JSON.stringify([...items].sort());
      },
      `${name} push of ${items.join(', ') || 'everything'}`,
      WAIT,
    );
  const presenceFrom = (c: TestClient, from: string, type?: string) =>
    c.waitFor((s) => s.is('presence') && s.attrs.from === from && s.attrs.type === type, `${type ?? 'available'} presence from ${from}`, WAIT);
  const ping = (c: TestClient) => c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT);
  const errorOf = (s: Stanza) => s.getChild('error');


  beforeAll(async () => {
    stack = await startStack('blocking');
    await stack.startService('roster', { ROSTER_MAX_BLOCKED: '3' });
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('advertises urn:xmpp:blocking on the server and on the account', async () => {
    const [juliet] = await accounts('julieT');
    const j = await login(gw1, juliet, { presence: false });
    const server = await j.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), WAIT);
    expect(server.getChildren('feature').map((f) => f.attrs.var)).toContain(BLOCKING);
    const account = await j.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), WAIT);
    expect(account.getChildren('feature').map((f) => f.attrs.var)).toContain(BLOCKING);
  });

  it('keeps the block list and pushes block, unblock and unblock-all to the resources that asked for it', async () => {
    const [juliet] = await accounts('julieT');
    const j1 = await login(gw1, juliet, { resource: 'one' });
    const j2 = await login(gw2, juliet, { resource: 'two' });
    const quiet = await login(gw1, juliet, { resource: 'quiet' });
    expect(await blocklist(j1)).toEqual([]);
    expect(await blocklist(j2)).toEqual([]);
    await block(j1, 'IAGO@localhost', 'montague.lit');
    for (const c of [j1, j2]) await blockPush(c, 'block', ['iago@localhost', 'montague.lit']);
    await ping(quiet); // on j1's gateway: a push to it would have come first
    expect(quiet.received.some((s) => s.is('iq') && s.getChild('block', BLOCKING))).toBe(false);
    expect(await blocklist(quiet)).toEqual(['iago@localhost', 'montague.lit']);

    await unblock(j2, 'iago@localhost');
    for (const c of [j1, j2, quiet]) await blockPush(c, 'unblock', ['iago@localhost']);
    await block(j1, 'tybalt@localhost');
    await unblock(j1); // everything
    for (const c of [j1, j2, quiet]) await blockPush(c, 'unblock', []);
    expect(await blocklist(j2)).toEqual([]);
  });

  it('refuses a block without items, a malformed JID and a list over its limit', async () => {
    const [juliet] = await accounts('julieT');
    const j = await login(gw1, juliet);
    await expect(block(j)).rejects.toThrow(/bad-request/);
    await expect(block(j, 'not@a@jid')).rejects.toThrow(/jid-malformed/);
    await expect(block(j, 'a@localhost', 'b@localhost', 'c@localhost', 'd@localhost')).rejects.toThrow(/not-allowed/);
    expect(await blocklist(j)).toEqual([]);
  });

  it("stops a blocked contact's stanzas and presence both ways, across gateways, until unblocked", async () => {
    const [juliet, romeo, nurse] = await accounts('julieT', 'rOmeo', 'nurse');
    const j = await login(gw1, juliet, { resource: 'balcony' });
    const r = await login(gw2, romeo, { resource: 'orchard' });
    const n = await login(gw2, nurse, { resource: 'kitchen' });
    await befriend(j, r);
    await befriend(j, n);
    const J = `${jid(juliet)}/balcony`;
    const R = `${jid(romeo)}/orchard`;
    await presenceFrom(r, J);

    // §3.3: blocking sends unavailable to the contact
    const gone = next(r, (s) => s.is('presence') && s.attrs.from === J && s.attrs.type === 'unavailable', 'unavailable from juliet');
    await block(j, jid(romeo));
    await gone();
    const blockedAt = r.received.length;

    // inbound: messages and IQ get/set answered service-unavailable, presence dropped
    await r.send(xml('presence', { to: J }, xml('status', {}, 'blocked presence')));
    await r.send(xml('message', { to: jid(juliet), type: 'chat', id: 'm1' }, xml('body', {}, 'hello?')));
    const bounced = await r.waitFor((s) => s.attrs.id === 'm1' && s.attrs.type === 'error', 'message refused', WAIT);
    expect(errorOf(bounced)?.getChild('service-unavailable')).toBeDefined();
    await expect(r.iq(xml('iq', { type: 'get', to: J }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT)).rejects.toThrow(/service-unavailable/);
    await ping(j);
    expect(j.received.some((s) => s.attrs.from?.startsWith(jid(romeo)) && (s.is('message') || s.getChildText('status') === 'blocked presence'))).toBe(false);

    // outbound: refused with not-acceptable and <blocked/>
    await j.send(xml('message', { to: jid(romeo), type: 'chat', id: 'm2' }, xml('body', {}, 'psst')));
    const refused = await j.waitFor((s) => s.attrs.id === 'm2' && s.attrs.type === 'error', 'message to a blocked contact refused', WAIT);
    expect(errorOf(refused)?.getChild('not-acceptable')).toBeDefined();
    expect(errorOf(refused)?.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined();
    await j.send(xml('presence', { to: R, id: 'p1' }));
    const presenceRefused = await j.waitFor((s) => s.is('presence') && s.attrs.id === 'p1' && s.attrs.type === 'error', 'directed presence refused', WAIT);
    expect(errorOf(presenceRefused)?.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined();

    // juliet's presence reaches her other subscribers, not romeo; a new session neither probes him nor is seen by him
    await j.send(xml('presence', {}, xml('status', {}, 'not for romeo')));
    await n.waitFor((s) => s.is('presence') && s.attrs.from === J && s.getChildText('status') === 'not for romeo', 'status for the nurse', WAIT);
    const j2 = await login(gw2, juliet, { resource: 'tomb' });
    await presenceFrom(n, `${jid(juliet)}/tomb`);
    await presenceFrom(j2, `${jid(nurse)}/kitchen`);
    await ping(r);
    expect(r.received.slice(blockedAt).some((s) => s.is('presence') && s.attrs.from?.startsWith(jid(juliet)))).toBe(false);
    expect(j2.received.some((s) => s.is('presence') && s.attrs.from === R)).toBe(false);

    // §3.4: unblocking sends juliet's presence to romeo and probes him; stanzas flow again
    const back = next(r, (s) => s.is('presence') && s.attrs.from === J && !s.attrs.type, 'juliet available again');
    const probed = next(j, (s) => s.is('presence') && s.attrs.from === R && !s.attrs.type, "romeo's presence after unblock");
    await unblock(j2, jid(romeo));
    await back();
    await probed();
    await r.send(xml('message', { to: J, type: 'chat', id: 'm3' }, xml('body', {}, 'at last')));
    await j.waitFor((s) => s.is('message') && s.attrs.id === 'm3', 'message after unblock', WAIT);
  });

  it('ends directed presence to a JID when it gets blocked', async () => {
    const [juliet, friar] = await accounts('julieT', 'friar');
    const j = await login(gw1, juliet, { resource: 'cell' });
    const f = await login(gw2, friar, { resource: 'church' });
    // gw1 learns of friar's session on gw2 from an announcement; until then directed presence
    // to that full JID is dropped (RFC 6121 §8.5.3.2.2), so send it until it arrives
    await waitFor(
      async () => {
        await j.send(xml('presence', { to: `${jid(friar)}/church` }, xml('status', {}, 'just for you')));
        return f.waitFor((s) => s.is('presence') && s.attrs.from === `${jid(juliet)}/cell` && !s.attrs.type, 'directed presence', 1_000).catch(() => undefined);
      },
      { what: 'directed presence', timeoutMs: WAIT },
    );
    await block(j, jid(friar));
    await f.waitFor((s) => s.is('presence') && s.attrs.from === `${jid(juliet)}/cell` && s.attrs.type === 'unavailable', 'unavailable on block', WAIT);
  });

  it('asks the roster service nothing for chat between users online on different gateways', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const bus = await Bus.connect(stack.busOptions('e2e-blocklist-observer'));
    let asked = 0;
    // one user's list (the block-list IQ) and several users' lists (enforcement) alike
    const subs = [RosterSubjects.blocklist, RosterSubjects.blocklists].map((subject) => bus.subscribe(subject, () => void (asked += 1)));
    try {
      const a = await login(gw1, alice, { resource: 'a' });
      const b = await login(gw2, bob, { resource: 'b' });
      await Promise.all([ping(a), ping(b)]); // initial presence (and the login answer) handled
      for (let i = 0; i < 20; i++) {
        await a.send(xml('message', { to: `${jid(bob)}/b`, type: 'chat', id: `ab${i}` }, xml('body', {}, 'hi')));
        await b.send(xml('message', { to: jid(alice), type: 'chat', id: `ba${i}` }, xml('body', {}, 'hello')));
      }
      await b.waitFor((s) => s.attrs.id === 'ab19', 'last message to bob', WAIT);
      await a.waitFor((s) => s.attrs.id === 'ba19', 'last message to alice', WAIT);
      expect(b.received.filter((s) => s.is('message')).length).toBe(20);
      expect(asked).toBe(0);
      await blocklist(a); // the observer does see requests
      await waitFor(() => asked === 1, { what: 'the observed block-list request', timeoutMs: WAIT });
    } finally {
      for (const sub of subs) sub.unsubscribe();
      await bus.close();
    }
  });

  it('protects a user without a session: stanzas for an offline blocking account are refused', async () => {
    const [nurse, tybalt, friar] = await accounts('nurse', 'tYbalt', 'friar');
    const n = await login(gw1, nurse);
    await block(n, jid(tybalt));
    await n.stop();
    const t = await login(gw2, tybalt);
    const f = await login(gw2, friar);
    const disco = (c: TestClient) => c.iq(xml('iq', { type: 'get', to: jid(nurse) }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), WAIT);
    await expect(disco(t)).rejects.toThrow(/service-unavailable/);
    expect((await disco(f)).getChild('identity')?.attrs.category).toBe('account');
    await t.send(xml('message', { to: jid(nurse), type: 'chat', id: 'late' }, xml('body', {}, 'are you there?')));
    const err = await t.waitFor((s) => s.attrs.id === 'late' && s.attrs.type === 'error', 'refused', WAIT);
    expect(errorOf(err)?.getChild('service-unavailable')).toBeDefined();
  });
});
