// End-to-end: what real clients and third-party scripts tripped over (issue "Interop").
// Each case failed before its fix; real gateways, the real roster service, real clients.
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, RawXmpp, rawLogin, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const ROSTER = 'jabber:iq:roster';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const WAIT = 20_000;

type Stanza = Awaited<ReturnType<TestClient['waitFor']>>;

describe('interop with real clients, end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const raws: RawXmpp[] = [];

  const { clients, accounts, jid, login } = e2eUsers(PASSWORD, () => gw1.starttlsPort);
  const rosterGet = (c: TestClient) => c.iqStanza(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })), WAIT);
  const isPushFor = (s: Stanza, contact: string) => s.is('iq') && s.attrs.type === 'set' && s.getChild('query', ROSTER)?.getChild('item')?.attrs.jid === contact;
  const features = (q: Stanza) => q.getChildren('feature').map((f) => f.attrs.var);

  beforeAll(async () => {
    stack = await startStack('interop');
    await stack.startService('roster');
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
  });

  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers the RFC 3921 session request after binding, as Strophe.js sends it (RFC 6121 Appendix E)', async () => {
    const [alice] = await accounts('alicE');
    const a = await login(gw1, alice, { presence: false });
    // Strophe.js: no 'to'; other libraries address the server
    const bare = await a.iqStanza(xml('iq', { type: 'set' }, xml('session', { xmlns: 'urn:ietf:params:xml:ns:xmpp-session' })), WAIT);
    expect(bare.attrs.type).toBe('result');
    const toServer = await a.iqStanza(xml('iq', { type: 'set', to: 'localhost' }, xml('session', { xmlns: 'urn:ietf:params:xml:ns:xmpp-session' })), WAIT);
    expect(toServer.attrs.type).toBe('result');
    // and the session goes on as usual
    expect((await a.iqStanza(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT)).attrs.type).toBe('result');
  });

  it('delivers an approval to interested resources only, before the roster push, on both gateways (RFC 6121 §3.1.6)', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const interested1 = await login(gw1, alice, { resource: 'one' });
    const interested2 = await login(gw2, alice, { resource: 'two' });
    const notInterested = await login(gw2, alice, { resource: 'quiet' }); // available, never asked for the roster
    const b = await login(gw1, bob, { resource: 'b' });
    await Promise.all([rosterGet(interested1), rosterGet(interested2), rosterGet(b)]);

    await interested1.send(xml('presence', { to: jid(bob), type: 'subscribe' }));
    await b.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe', 'request', WAIT);
    await b.send(xml('presence', { to: jid(alice), type: 'subscribed' }));
    await b.send(xml('presence', { to: jid(alice), type: 'subscribe' })); // right behind: must not overtake the approval

    for (const c of [interested1, interested2]) {
      const push = await c.waitFor((s) => isPushFor(s, jid(bob)) && s.getChild('query')?.getChild('item')?.attrs.subscription === 'to', 'push with subscription to', WAIT);
      const approval = c.received.findIndex((s) => s.is('presence') && s.attrs.type === 'subscribed' && s.attrs.from === jid(bob));
      expect(approval).toBeGreaterThanOrEqual(0);
      expect(approval).toBeLessThan(c.received.indexOf(push));
      const request = await c.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === jid(bob), 'request back', WAIT);
      expect(c.received.indexOf(request)).toBeGreaterThan(approval); // RFC 6120 §10.1: in the order sent
    }
    // bob's presence follows the approval to every available resource, the quiet one included...
    await notInterested.waitFor((s) => s.is('presence') && s.attrs.from === `${jid(bob)}/b` && !s.attrs.type, "bob's presence", WAIT);
    // ...and the request to every available one, the quiet one included...
    await notInterested.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === jid(bob), 'request back', WAIT);
    // ...but the approval and the pushes went to interested resources only
    expect(notInterested.received.some((s) => s.is('presence') && s.attrs.type === 'subscribed')).toBe(false);
    expect(notInterested.received.some((s) => s.is('iq') && s.attrs.type === 'set')).toBe(false);
  });

  it('delivers a kept subscription request whole, extensions included (RFC 6121 §3.1.3)', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const b = await login(gw1, bob);
    await b.send(
      xml(
        'presence',
        { to: jid(alice), type: 'subscribe', id: 'req1' },
        xml('status', {}, 'it is Bob'),
        xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Bobby'),
        xml('preauth', { xmlns: 'urn:xmpp:pars:0', token: 'f00dfeed' }),
      ),
    );
    // alice was offline: the request is kept and delivered at her login, whole
    await waitFor(async () => {
      const probe = await connectClient({ port: gw2.starttlsPort, username: alice, password: PASSWORD, resource: `check${Date.now()}` });
      try {
        const req = await probe.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe', 'kept request', 3_000).catch(() => undefined);
        if (!req) return undefined;
        expect(req.attrs.from).toBe(jid(bob));
        expect(req.attrs.to).toBe(jid(alice));
        expect(req.attrs.id).toBe('req1');
        expect(req.getChildText('status')).toBe('it is Bob');
        expect(req.getChild('nick', 'http://jabber.org/protocol/nick')?.text()).toBe('Bobby');
        expect(req.getChild('preauth', 'urn:xmpp:pars:0')?.attrs.token).toBe('f00dfeed');
        return true;
      } finally {
        await probe.stop();
      }
    }, { what: 'the kept request', timeoutMs: WAIT });
  });

  it("stamps the stream's xml:lang on stanzas without one and echoes it in the stream header (RFC 6120 §4.7.4, §8.1.5)", async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const b = await login(gw1, bob);
    // alice's client declares German on the stream (raw: the client library always says nothing or `en`)
    const raw = await RawXmpp.connect(gw2.starttlsPort);
    raws.push(raw);
    const open = () => raw.send(`<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='de' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
    open();
    const header = await raw.expect(/<stream:stream [^>]*>/);
    expect(header[0]).toMatch(/xml:lang='de'/);
    await raw.expect(/<\/stream:features>/);
    raw.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await raw.expect(/<proceed/);
    await raw.startTls();
    open();
    await raw.expect(/<\/stream:features>/);
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${alice}\0${PASSWORD}`).toString('base64')}</auth>`);
    await raw.expect(/<success/);
    raw.received = '';
    open();
    await raw.expect(/<\/stream:features>/);
    raw.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>de</resource></bind></iq>`);
    await raw.expect(/<jid>[^<]+<\/jid>/);
    raw.send(`<message to='${jid(bob)}' type='chat' id='m-de'><body>Guten Tag</body></message>`);
    raw.send(`<message to='${jid(bob)}' type='chat' id='m-fr' xml:lang='fr'><body>Bonjour</body></message>`);
    const de = await b.waitFor((s) => s.attrs.id === 'm-de', 'german message', WAIT);
    expect(de.attrs['xml:lang']).toBe('de');
    const fr = await b.waitFor((s) => s.attrs.id === 'm-fr', 'french message', WAIT);
    expect(fr.attrs['xml:lang']).toBe('fr');
    // a client that declares nothing gets the server default and its stanzas stay as they were
    const plain = await rawLogin(gw1.starttlsPort, bob, PASSWORD, 'plain', { keep: true });
    raws.push(plain);
    expect(plain.received).toMatch(/<stream:stream [^>]*xml:lang='en'/);
    plain.send(`<message to='${jid(alice)}/de' type='chat' id='m-none'><body>hi</body></message>`);
    const got = await raw.expect(/<message[^>]*id=["']m-none["'][^>]*>/);
    expect(got[0]).not.toMatch(/xml:lang/);
  });

  it('bounces a subscription request to another domain with remote-server-not-found and leaves the roster alone', async () => {
    const [alice] = await accounts('alicE');
    const a = await login(gw1, alice);
    await rosterGet(a);
    await a.send(xml('presence', { to: 'romeo@example.net', type: 'subscribe', id: 'far' }));
    const err = await a.waitFor((s) => s.is('presence') && s.attrs.type === 'error' && s.attrs.id === 'far', 'presence error', WAIT);
    expect(err.attrs.from).toBe('romeo@example.net');
    expect(err.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    const roster = await rosterGet(a);
    expect(roster.getChild('query')?.getChildren('item').find((i) => i.attrs.jid === 'romeo@example.net')).toBeUndefined();
    expect(a.received.some((s) => isPushFor(s, 'romeo@example.net'))).toBe(false);
  });

  it("lists an account's features in its disco#info: everything to the owner, what is answered to others (XEP-0030)", async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice);
    const b = await login(gw2, bob);
    const own = await a.iq(xml('iq', { type: 'get', to: jid(alice) }, xml('query', { xmlns: DISCO_INFO })), WAIT);
    expect(own.getChild('identity')?.attrs).toMatchObject({ category: 'account', type: 'registered' });
    expect(features(own)).toEqual(
      expect.arrayContaining([DISCO_INFO, 'http://jabber.org/protocol/disco#items', 'urn:xmpp:ping', 'urn:xmpp:mam:2', 'urn:xmpp:blocking', 'jabber:iq:register']),
    );
    // each advertised feature is answered for the owner: ping and disco#items, for instance
    expect((await a.iqStanza(xml('iq', { type: 'get', to: jid(alice) }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT)).attrs.type).toBe('result');
    const other = await b.iq(xml('iq', { type: 'get', to: jid(alice) }, xml('query', { xmlns: DISCO_INFO })), WAIT);
    expect(features(other).sort()).toEqual([DISCO_INFO, 'http://jabber.org/protocol/disco#items', 'urn:xmpp:ping']);
    for (const f of features(other)) {
      const payload = f === 'urn:xmpp:ping' ? xml('ping', { xmlns: f }) : xml('query', { xmlns: f });
      expect((await b.iqStanza(xml('iq', { type: 'get', to: jid(alice) }, payload), WAIT)).attrs.type).toBe('result');
    }
    // the server lists registration, which it answers (password change)
    const server = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: DISCO_INFO })), WAIT);
    expect(features(server)).toContain('jabber:iq:register');
  });

  it('answers a probe of a deleted account with unsubscribed, correcting the roster (RFC 6121 §4.3.2)', async () => {
    const [alice, ghost] = await accounts('alicE', 'ghOst');
    const a = await login(gw1, alice);
    await rosterGet(a);
    // the account goes away
    const g = await login(gw2, ghost);
    await g.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))), WAIT).catch(() => undefined);
    await g.stop();
    // (each gateway learns of the deletion from an event: ask until this one has)
    const answer = await waitFor(
      async () => {
        await a.send(xml('presence', { to: jid(ghost), type: 'probe' }));
        return a.waitFor((s) => s.is('presence') && s.attrs.type === 'unsubscribed' && s.attrs.from === jid(ghost), 'unsubscribed', 1_000).catch(() => undefined);
      },
      { what: 'unsubscribed from the deleted account', timeoutMs: WAIT },
    );
    expect(answer.attrs.to?.split('/')[0]).toBe(jid(alice));
    // and a probe of an account that never existed, through the other gateway
    const a2 = await login(gw2, alice, { resource: 'two' });
    await a2.send(xml('presence', { to: 'neverwas@localhost', type: 'probe' }));
    await a2.waitFor((s) => s.is('presence') && s.attrs.type === 'unsubscribed' && s.attrs.from === 'neverwas@localhost', 'unsubscribed', WAIT);
    // a probe of an existing contact without a subscription is not answered that way
    const [carol] = await accounts('carol');
    await login(gw1, carol);
    await a2.send(xml('presence', { to: jid(carol), type: 'probe', id: 'p-carol' }));
    await a2.iqStanza(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT);
    expect(a2.received.some((s) => s.is('presence') && s.attrs.from?.startsWith(jid(carol)))).toBe(false);
  });
});
