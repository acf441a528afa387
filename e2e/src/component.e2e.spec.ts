// End-to-end: external components (XEP-0114) with the real @xmpp/component library,
// two real gateways (the component connected to one, users on both), the real roster
// service, and hostile components on raw sockets.
import { createHash } from 'node:crypto';
import { waitFor } from '@parley/testing-stack';
import { connectComponent, GatewayProcess, RawXmpp, TestClient, TestComponent, xml } from '@parley/testing-xmpp';
import { E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const SECRET = 'transport-shared-secret-0123';
const DOMAIN = 'transport.localhost';
const WAIT = 20_000;
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const ROSTER = 'jabber:iq:roster';
const MAM = 'urn:xmpp:mam:2';

describe('external components (XEP-0114), end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const components: TestComponent[] = [];
  const raws: RawXmpp[] = [];

  const { clients, accounts, jid, login } = e2eUsers(PASSWORD, () => gw1.starttlsPort);
  const connect = async (gw: GatewayProcess, password = SECRET, domain = DOMAIN) => {
    const c = await connectComponent({ port: gw.componentPort!, domain, password });
    components.push(c);
    return c;
  };
  const raw = async (gw: GatewayProcess) => {
    const r = await RawXmpp.connect(gw.componentPort!);
    raws.push(r);
    return r;
  };
  const openStream = (r: RawXmpp, to = DOMAIN) => r.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${to}'>`);
  const rawHandshake = async (r: RawXmpp, secret: string) => {
    openStream(r);
    const id = (await r.expect(/<stream:stream [^>]*id='([^']+)'/))[1];
    r.send(`<handshake>${createHash('sha1').update(id + secret).digest('hex')}</handshake>`);
  };
  const subscription = async (c: TestClient, of: string) => (await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })), WAIT)).getChildren('item').find((i) => i.attrs.jid === of);

  beforeAll(async () => {
    stack = await startStack('component');
    await stack.startService('roster');
    await stack.startService('archive');
    const env = { COMPONENTS: `transport:${SECRET}` };
    gw1 = await stack.startGateway(env);
    gw2 = await stack.startGateway(env);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await Promise.all(components.splice(0).map((c) => c.stop()));
    for (const r of raws.splice(0)) r.close();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('exchanges messages and IQs with users on either gateway, and is listed in the server disco#items', async () => {
    expect(gw1.componentPort).toBeGreaterThan(0);
    const comp = await connect(gw1);
    comp.xmpp.iqCallee.get(DISCO_INFO, 'query', () => xml('query', { xmlns: DISCO_INFO }, xml('identity', { category: 'gateway', type: 'irc', name: 'Test transport' })));
    const [alice, bob] = await accounts('alicE', 'bob');
    const a = await login(gw2, alice); // on the gateway the component is not connected to
    const b = await login(gw1, bob);

    await a.send(xml('message', { to: `friend@${DOMAIN}`, type: 'chat', id: 'a1' }, xml('body', {}, 'hello transport')));
    const m = await comp.waitFor((s) => s.is('message') && s.attrs.id === 'a1', 'message from alice');
    expect(m.attrs.from).toBe(a.jid);
    expect(m.getChildText('body')).toBe('hello transport');
    await b.send(xml('message', { to: `friend@${DOMAIN}`, type: 'chat', id: 'b1' }, xml('body', {}, 'from bob')));
    expect((await comp.waitFor((s) => s.attrs.id === 'b1', 'message from bob')).attrs.from).toBe(b.jid);

    await comp.send(xml('message', { from: `friend@${DOMAIN}/irc`, to: a.jid, type: 'chat', id: 'c1' }, xml('body', {}, 'hello alice')));
    const got = await a.waitFor((s) => s.is('message') && s.attrs.id === 'c1', 'message from the component', WAIT);
    expect(got.attrs.from).toBe(`friend@${DOMAIN}/irc`);
    await comp.send(xml('message', { from: `friend@${DOMAIN}`, to: jid(bob), type: 'chat', id: 'c2' }, xml('body', {}, 'hello bob')));
    await b.waitFor((s) => s.is('message') && s.attrs.id === 'c2', 'message to the bare JID', WAIT);

    const info = await a.iq(xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: DISCO_INFO })), WAIT);
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'gateway', type: 'irc' });
    const items = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: DISCO_ITEMS })), WAIT);
    expect(items.getChildren('item').map((i) => i.attrs.jid)).toContain(DOMAIN);
  });

  it('subscribes users to the component like a remote contact: requests both ways, roster items, presence broadcast and probes', async () => {
    const comp = await connect(gw1);
    const [carol] = await accounts('carol');
    const c = await login(gw2, carol);
    const carolBare = jid(carol);

    await c.send(xml('presence', { to: DOMAIN, type: 'subscribe' }));
    await comp.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === carolBare, 'subscribe from carol');
    await waitFor(async () => (await subscription(c, DOMAIN))?.attrs.ask === 'subscribe', { what: 'pending-out item', timeoutMs: WAIT });
    await comp.send(xml('presence', { from: DOMAIN, to: carolBare, type: 'subscribed' }));
    await comp.send(xml('presence', { from: DOMAIN, to: carolBare, type: 'subscribe' }));
    await c.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === DOMAIN, 'subscribe from the component', WAIT);
    await c.send(xml('presence', { to: DOMAIN, type: 'subscribed' }));
    await waitFor(async () => (await subscription(c, DOMAIN))?.attrs.subscription === 'both', { what: 'mutual subscription with the component', timeoutMs: WAIT });
    await comp.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribed' && s.attrs.from === carolBare, 'subscribed from carol');

    // carol's broadcast presence reaches the component, a subscriber
    await c.send(xml('presence', {}, xml('status', {}, 'around')));
    await comp.waitFor((s) => s.is('presence') && !s.attrs.type && s.attrs.from === c.jid && s.getChildText('status') === 'around', 'broadcast presence');
    // the component's presence reaches carol
    await comp.send(xml('presence', { from: DOMAIN, to: carolBare }, xml('show', {}, 'away')));
    await c.waitFor((s) => s.is('presence') && s.attrs.from === DOMAIN && s.getChildText('show') === 'away', 'component presence', WAIT);
    // a new session of carol probes the component
    const seen = comp.received.length;
    const c2 = await login(gw1, carol, { resource: 'second' });
    await comp.waitFor((s) => comp.received.indexOf(s) >= seen && s.is('presence') && s.attrs.type === 'probe' && s.attrs.from === carolBare, 'probe at login');
    await c2.stop();
  });

  it('archives messages with the component (XEP-0313) and copies them to the user\'s other resources (XEP-0280)', async () => {
    const comp = await connect(gw1);
    const [grace] = await accounts('grace');
    const g1 = await login(gw1, grace, { resource: 'one' });
    const g2 = await login(gw2, grace, { resource: 'two' });
    await g2.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })), WAIT);
    await g1.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM, default: 'always' })), WAIT);
    await g1.send(xml('message', { to: `pal@${DOMAIN}`, type: 'chat', id: 'arch1' }, xml('body', {}, 'keep this')));
    await comp.waitFor((st) => st.attrs.id === 'arch1', 'message to the component');
    const carbon = await g2.waitFor((st) => !!st.getChild('sent', 'urn:xmpp:carbons:2'), 'sent carbon', WAIT);
    expect(carbon.getChild('sent', 'urn:xmpp:carbons:2')!.getChild('forwarded')!.getChild('message')!.attrs.to).toBe(`pal@${DOMAIN}`);
    await comp.send(xml('message', { from: `pal@${DOMAIN}/r`, to: jid(grace), type: 'chat', id: 'arch2' }, xml('body', {}, 'and this')));
    await g1.waitFor((st) => st.attrs.id === 'arch2', 'reply', WAIT);
    let n = 0;
    await waitFor(
      async () => {
        const queryid = `cq${++n}`;
        await g1.iqStanza(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid })), WAIT);
        const bodies = g1.received.filter((st) => st.getChild('result', MAM)?.attrs.queryid === queryid).map((st) => st.getChild('result', MAM)!.getChild('forwarded')!.getChild('message')!.getChildText('body'));
        return bodies.includes('keep this') && bodies.includes('and this');
      },
      { what: 'both messages in the archive', timeoutMs: WAIT },
    );
  });

  it('bounces stanzas while the component is away, and finds it on whichever gateway it reconnects to', async () => {
    const [dave] = await accounts('dave');
    const d1 = await login(gw1, dave);
    await d1.send(xml('message', { to: `x@${DOMAIN}`, type: 'chat', id: 'away1' }, xml('body', {}, 'anyone?')));
    const err = await d1.waitFor((s) => s.attrs.id === 'away1' && s.attrs.type === 'error', 'bounce', WAIT);
    expect(err.getChild('error')!.getChild('service-unavailable')).toBeDefined();

    const comp = await connect(gw2);
    await d1.send(xml('message', { to: `x@${DOMAIN}`, type: 'chat', id: 'back1' }, xml('body', {}, 'there you are')));
    await comp.waitFor((s) => s.attrs.id === 'back1', 'message over NATS to gw2');
    await comp.stop(); // the server detaches it on the closing handshake, before stop() resolves
    await d1.send(xml('message', { to: `x@${DOMAIN}`, type: 'chat', id: 'gone1' }, xml('body', {}, 'still there?')));
    const gone = await d1.waitFor((s) => s.attrs.id === 'gone1', 'bounce after the component left', WAIT);
    expect(gone.attrs.type).toBe('error');
  });

  it('refuses a second connection of a connected component, on the other gateway too (conflict)', async () => {
    const first = await connect(gw1);
    const again = await raw(gw2);
    await rawHandshake(again, SECRET);
    await again.expect(/<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/);
    await again.expectClosed();
    const same = await raw(gw1);
    await rawHandshake(same, SECRET);
    await same.expect(/<conflict /);
    // the first one still works
    const [erin] = await accounts('erin');
    const e = await login(gw2, erin);
    await e.send(xml('message', { to: DOMAIN, type: 'chat', id: 'still' }, xml('body', {}, 'ping')));
    await first.waitFor((s) => s.attrs.id === 'still', 'message after the refused duplicate');
  });

  it('refuses a wrong secret, an unknown name, a forged from and garbage, and keeps serving the others', async () => {
    await expect(connectComponent({ port: gw1.componentPort!, domain: DOMAIN, password: 'wrong-secret-for-sure' })).rejects.toThrow(/not-authorized/);
    const unknown = await raw(gw1);
    openStream(unknown, 'other.localhost');
    await unknown.expect(/<host-unknown /);
    await unknown.expectClosed();

    const comp = await connect(gw1);
    const [frank] = await accounts('frank');
    const f = await login(gw2, frank);
    const forger = comp;
    await forger.send(xml('message', { from: 'admin@localhost', to: jid(frank), id: 'forged' }, xml('body', {}, 'trust me')));
    await waitFor(async () => forger.xmpp.status === 'disconnect' || forger.xmpp.status === 'offline' || forger.xmpp.status === 'close', { what: 'forger disconnected', timeoutMs: WAIT });

    const forged = await raw(gw1);
    await rawHandshake(forged, SECRET);
    await forged.expect(/<handshake\/>/);
    forged.send(`<message from='admin@localhost' to='${jid(frank)}' id='forged2'><body>x</body></message>`);
    await forged.expect(/<invalid-from /);
    await forged.expectClosed();

    const garbage = await raw(gw1);
    await rawHandshake(garbage, SECRET);
    await garbage.expect(/<handshake\/>/);
    garbage.send('<message <<< not xml');
    await garbage.expect(/<not-well-formed /);

    const good = await connect(gw1);
    await good.send(xml('message', { from: `ok@${DOMAIN}`, to: f.jid, id: 'good' }, xml('body', {}, 'fine')));
    await f.waitFor((s) => s.attrs.id === 'good', 'message after the hostile ones', WAIT);
    expect(f.received.some((s) => s.attrs.id === 'forged' || s.attrs.id === 'forged2')).toBe(false);
    // the secret never reaches the logs
    expect([...gw1.logs, ...gw2.logs].some((l) => l.includes(SECRET))).toBe(false);
  });
});
