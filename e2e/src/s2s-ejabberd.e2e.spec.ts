// End-to-end: server-to-server federation (RFC 6120 STARTTLS, Server Dialback XEP-0220,
// RFC 6121 subscriptions and presence) against a real ejabberd 23.01 from Debian.
//
// ejabberd finds a server by DNS only (SRV, then A/AAAA on 5269; an IP-literal domain is
// its own address, on 5269), so Parley's domain is an IP literal (a random loopback
// address) with its s2s listener on the standard port there, as in the Prosody suite.
// Parley finds ejabberd through S2S_STATIC_ROUTES (ejabberd's s2s port is a free one).
// ejabberd requires STARTTLS on s2s and authenticates with dialback: neither side's
// self-signed certificate is trusted.
import { randomLoopback } from '@parley/testing-peers';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { EjabberdProcess, startEjabberd } from './ejabberd';
import { peerOutage } from './peer-outage';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const WAIT = 30_000;
const SECRET = 'federation-dialback-secret-ejabberd-0123456789';
const ROSTER = 'jabber:iq:roster';

describe('federation with ejabberd (s2s, STARTTLS, dialback), end to end', () => {
  let stack: E2EStack;
  let ej: EjabberdProcess;
  let gw: GatewayProcess;
  let domain: string;
  const clients: TestClient[] = [];
  let seq = 0;

  const ours = async (name: string) => {
    const u = `${name}${++seq}`;
    expect(await registerInBand(gw.starttlsPort, u, PASSWORD, domain)).toMatch(/type=.result./);
    return login(u, gw.starttlsPort, domain);
  };
  const theirs = async (name: string) => {
    const u = `${name}${++seq}`;
    await ej.register(u, PASSWORD);
    return login(u, ej.c2sPort, ej.domain);
  };
  const login = async (username: string, port: number, d: string, resource?: string) => {
    const c = await connectClient({ port, username, password: PASSWORD, domain: d, resource, mechanism: d === domain ? undefined : 'PLAIN' });
    clients.push(c);
    // an interested resource (RFC 6121 §2.1.6): roster pushes and subscription approvals reach it
    await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })), WAIT);
    return c;
  };
  const bare = (c: TestClient) => c.jid.split('/')[0];
  const rosterItem = async (c: TestClient, of: string) => (await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })), WAIT)).getChildren('item').find((i) => i.attrs.jid === of);
  /** A roster push (RFC 6121 §2.1.6) of `of` with `subscription`. */
  const isRosterPush =
    (of: string, subscription: string): Parameters<TestClient['waitFor']>[0] =>
    (s) => {
      const item = s.is('iq') && s.attrs.type === 'set' ? s.getChild('query', ROSTER)?.getChild('item') : undefined;
      return item?.attrs.jid === of && item.attrs.subscription === subscription;
    };

  /** `a` (Parley) and `b` (ejabberd) subscribe to each other, each side seeing its roster pushes. */
  const befriend = async (a: TestClient, b: TestClient) => {
    await a.send(xml('presence', { to: bare(b), type: 'subscribe' }));
    await b.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bare(a), 'subscribe at ejabberd', WAIT);
    await b.send(xml('presence', { to: bare(a), type: 'subscribed' }));
    await a.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribed' && s.attrs.from === bare(b), 'subscribed at parley', WAIT);
    await a.waitFor(isRosterPush(bare(b), 'to'), 'roster push (to) at parley', WAIT);
    await b.waitFor(isRosterPush(bare(a), 'from'), 'roster push (from) at ejabberd', WAIT);
    await b.send(xml('presence', { to: bare(a), type: 'subscribe' }));
    await a.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bare(b), 'subscribe at parley', WAIT);
    await a.send(xml('presence', { to: bare(b), type: 'subscribed' }));
    await b.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribed' && s.attrs.from === bare(a), 'subscribed at ejabberd', WAIT);
    await a.waitFor(isRosterPush(bare(b), 'both'), 'roster push (both) at parley', WAIT);
    await b.waitFor(isRosterPush(bare(a), 'both'), 'roster push (both) at ejabberd', WAIT);
  };

  beforeAll(async () => {
    // ejabberd takes seconds to boot: meanwhile the stack starts (both kept for afterAll even if the other fails)
    const [e, st] = await Promise.allSettled([startEjabberd(), startStack('s2s-ejabberd')]);
    if (e.status === 'fulfilled') ej = e.value;
    if (st.status === 'fulfilled') stack = st.value;
    if (e.status === 'rejected') throw e.reason;
    if (st.status === 'rejected') throw st.reason;
    await stack.startService('roster');
    await stack.startService('offline');
    domain = randomLoopback();
    gw = await stack.startGateway({
      XMPP_DOMAIN: domain,
      S2S_ENABLED: 'true',
      S2S_DIALBACK_SECRET: SECRET,
      S2S_HOST: domain,
      S2S_PORT: '5269',
      S2S_STATIC_ROUTES: `${ej.domain}=${ej.domain}:${ej.s2sPort}`,
      S2S_CONNECT_TIMEOUT: '10s',
      S2S_RETRY_AFTER: '1s',
    });
  }, 150_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await stack?.stop();
    await ej?.remove();
  });

  it('subscribes both ways with roster pushes on each side; presence is broadcast and probed across', async () => {
    expect(gw.s2sPort).toBe(5269);
    const alice = await ours('alice');
    const bob = await theirs('bob');
    await befriend(alice, bob);
    expect((await rosterItem(alice, bare(bob)))?.attrs.subscription).toBe('both');
    expect((await rosterItem(bob, bare(alice)))?.attrs.subscription).toBe('both');

    // broadcast: a new available presence reaches the contact on the other server, both ways
    await bob.send(xml('presence', {}, xml('status', {}, 'at ejabberd')));
    await alice.waitFor((s) => s.is('presence') && s.attrs.from === bob.jid && s.getChildText('status') === 'at ejabberd', 'ejabberd presence at parley', WAIT);
    await alice.send(xml('presence', {}, xml('status', {}, 'at parley')));
    await bob.waitFor((s) => s.is('presence') && s.attrs.from === alice.jid && s.getChildText('status') === 'at parley', 'parley presence at ejabberd', WAIT);

    // probe: a session that logs in later learns the remote contact's current presence (RFC 6121 §4.3)
    const alice2 = await login(bare(alice).split('@')[0], gw.starttlsPort, domain, 'second');
    await alice2.waitFor((s) => s.is('presence') && s.attrs.from === bob.jid && s.attrs.type === undefined, 'probed ejabberd presence', WAIT);
    const bob2 = await login(bare(bob).split('@')[0], ej.c2sPort, ej.domain, 'second');
    await bob2.waitFor((s) => s.is('presence') && s.attrs.from === alice.jid && s.attrs.type === undefined, 'probed parley presence', WAIT);

    // unavailable crosses too
    await bob2.stop();
    await alice.waitFor((s) => s.is('presence') && s.attrs.from === bob2.jid && s.attrs.type === 'unavailable', 'unavailable from ejabberd', WAIT);

    // cancelling (RFC 6121 §3.3): alice unsubscribes from bob's presence; both rosters follow
    await alice.send(xml('presence', { to: bare(bob), type: 'unsubscribe' }));
    await alice.waitFor(isRosterPush(bare(bob), 'from'), 'roster push (from) at parley', WAIT);
    await bob.waitFor((s) => s.is('presence') && s.attrs.type === 'unsubscribe' && s.attrs.from === bare(alice), 'unsubscribe at ejabberd', WAIT);
    await bob.waitFor(isRosterPush(bare(alice), 'to'), 'roster push (to) at ejabberd', WAIT);
    // and bob, now subscribed to alice only, still gets her presence, she no longer his
    await alice.send(xml('presence', {}, xml('status', {}, 'after unsubscribe')));
    await bob.waitFor((s) => s.is('presence') && s.attrs.from === alice.jid && s.getChildText('status') === 'after unsubscribe', 'presence after unsubscribe', WAIT);
  });

  it('exchanges chat messages and IQs both ways', async () => {
    const carol = await ours('carol');
    const dan = await theirs('dan');
    const pong = await carol.iqStanza(xml('iq', { type: 'get', to: ej.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT);
    expect(pong.attrs.type).toBe('result');
    await carol.send(xml('message', { to: bare(dan), type: 'chat', id: 'e1' }, xml('body', {}, 'hello ejabberd')));
    const got = await dan.waitFor((s) => s.is('message') && s.attrs.id === 'e1', 'message at ejabberd', WAIT);
    expect(got.attrs.from).toBe(carol.jid);
    expect(got.getChildText('body')).toBe('hello ejabberd');
    await dan.send(xml('message', { to: carol.jid, type: 'chat', id: 'e2' }, xml('body', {}, 'hello parley')));
    const back = await carol.waitFor((s) => s.is('message') && s.attrs.id === 'e2', 'message at parley', WAIT);
    expect(back.attrs.from).toBe(dan.jid);
    expect(back.getChildText('body')).toBe('hello parley');
    // to the bare JID: the message reaches the (only) resource on the other side
    await dan.send(xml('message', { to: bare(carol), type: 'chat', id: 'e3' }, xml('body', {}, 'to your bare jid')));
    expect((await carol.waitFor((s) => s.is('message') && s.attrs.id === 'e3', 'bare-JID message at parley', WAIT)).getChildText('body')).toBe('to your bare jid');
    // an IQ from ejabberd's user to a Parley user's full JID, answered by the client
    await dan.send(xml('iq', { to: carol.jid, type: 'get', id: 'v1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    await carol.waitFor((s) => s.is('iq') && s.attrs.id === 'v1' && s.attrs.from === dan.jid, 'IQ at parley', WAIT);
    // errors cross too: a message to an account the other server does not have comes back as a stanza error (RFC 6121 §8.5.2)
    await carol.send(xml('message', { to: `nobody${seq}@${ej.domain}`, type: 'chat', id: 'e4' }, xml('body', {}, 'anyone at ejabberd?')));
    const fromEj = await carol.waitFor((s) => s.is('message') && s.attrs.id === 'e4' && s.attrs.type === 'error', 'error from ejabberd', WAIT);
    expect(fromEj.attrs.from).toBe(`nobody${seq}@${ej.domain}`);
    expect(fromEj.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    await dan.send(xml('message', { to: `nobody${seq}@${domain}`, type: 'chat', id: 'e5' }, xml('body', {}, 'anyone at parley?')));
    const fromUs = await dan.waitFor((s) => s.is('message') && s.attrs.id === 'e5' && s.attrs.type === 'error', 'error from parley', WAIT);
    expect(fromUs.attrs.from).toBe(`nobody${seq}@${domain}`);
    expect(fromUs.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  });

  it("stores an ejabberd user's message for an offline Parley user and delivers it at login", async () => {
    const erin = await theirs('erin');
    const fay = `fay${++seq}`;
    expect(await registerInBand(gw.starttlsPort, fay, PASSWORD, domain)).toMatch(/type=.result./);
    await erin.send(xml('message', { to: `${fay}@${domain}`, type: 'chat', id: 'stored' }, xml('body', {}, 'while you were away')));
    // the message is stored asynchronously: log in until it is there (bounded)
    await waitFor(
      async () => {
        const c = await login(fay, gw.starttlsPort, domain);
        const got = await c.waitFor((st) => st.attrs.id === 'stored', 'offline message', 3000).catch(() => undefined);
        await c.stop();
        if (!got) return false;
        expect(got.attrs.from).toBe(erin.jid);
        expect(got.getChildText('body')).toBe('while you were away');
        expect(got.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
        return true;
      },
      { what: 'the stored message at login', timeoutMs: WAIT },
    );
    expect(erin.received.some((s) => s.attrs.id === 'stored' && s.attrs.type === 'error')).toBe(false);
  });

  it('a peer that goes away and comes back: stanzas bounce while it is down and flow both ways once it is back', async () => {
    const gina = await ours('gina');
    const hal = await theirs('hal');
    const back = await peerOutage({ local: gina, remote: hal, peer: ej, password: PASSWORD, waitMs: WAIT, keep: (c) => clients.push(c) });
    // and from the restarted ejabberd: a new inbound stream, authenticated with dialback again
    await back.send(xml('message', { to: gina.jid, type: 'chat', id: 'from-restarted' }, xml('body', {}, 'I am back')));
    await gina.waitFor((s) => s.attrs.id === 'from-restarted', 'message from the restarted ejabberd', WAIT);
    expect(gw.logs.some((l) => l.includes(SECRET))).toBe(false);
  });
});
