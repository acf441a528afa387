// End-to-end: server-to-server federation (RFC 6120, Server Dialback XEP-0220) against
// a real Prosody from Debian, both directions, with two gateways sharing the dialback
// secret, plus hostile peers on raw sockets.
//
// Prosody finds a server by DNS only, so Parley's domain here is an IP literal (a random
// loopback address) and its s2s listener takes the standard port 5269 on that address:
// the one fixed port of the suite, on an address no other run uses. Parley finds
// Prosody through S2S_STATIC_ROUTES (Prosody's s2s port is a free one).
import { connect as tlsConnect } from 'node:tls';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, RawXmpp, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { freePort, ProsodyProcess, randomLoopback, startProsody } from './prosody';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const WAIT = 30_000;
const SECRET = 'federation-dialback-secret-0123456789abcdef';
const ROSTER = 'jabber:iq:roster';

describe('federation with Prosody (s2s, dialback), end to end', () => {
  let stack: E2EStack;
  let prosody: ProsodyProcess;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  let domain: string;
  let deadPort: number;
  const clients: TestClient[] = [];
  const raws: RawXmpp[] = [];
  let seq = 0;

  const ours = async (name: string, gw: GatewayProcess) => {
    const u = `${name}${++seq}`;
    expect(await registerInBand(gw.starttlsPort, u, PASSWORD, domain)).toMatch(/type=.result./);
    const c = await connectClient({ port: gw.starttlsPort, username: u, password: PASSWORD, domain });
    clients.push(c);
    return c;
  };
  const theirs = async (name: string) => {
    const u = `${name}${++seq}`;
    prosody.register(u, PASSWORD);
    const c = await connectClient({ port: prosody.c2sPort, username: u, password: PASSWORD, domain: prosody.domain, mechanism: 'PLAIN' });
    clients.push(c);
    return c;
  };
  const bare = (c: TestClient) => c.jid.split('/')[0];
  const rawS2s = async () => {
    const r = await RawXmpp.connect(5269, domain);
    raws.push(r);
    return r;
  };
  const openS2s = (r: RawXmpp, from: string) =>
    r.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${domain}' version='1.0'>`);

  beforeAll(async () => {
    prosody = await startProsody();
    stack = await startStack('s2s');
    await stack.startService('roster');
    domain = randomLoopback();
    deadPort = await freePort('127.0.0.1');
    const env = {
      XMPP_DOMAIN: domain,
      S2S_ENABLED: 'true',
      S2S_DIALBACK_SECRET: SECRET,
      S2S_STATIC_ROUTES: `${prosody.domain}=${prosody.domain}:${prosody.s2sPort},dead.example=127.0.0.1:${deadPort}`,
      S2S_CONNECT_TIMEOUT: '10s',
    };
    gw1 = await stack.startGateway({ ...env, S2S_HOST: domain, S2S_PORT: '5269' });
    gw2 = await stack.startGateway({ ...env, S2S_PORT: '-1' }); // outbound only: Prosody verifies its keys at gw1
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    for (const r of raws.splice(0)) r.close();
  });

  afterAll(async () => {
    await stack?.stop();
    await prosody?.stop();
  });

  it('exchanges IQs and messages with Prosody users both ways, from either gateway', async () => {
    expect(gw1.s2sPort).toBe(5269);
    const alice = await ours('alice', gw1);
    const bob = await theirs('bob');
    // our outbound link (Prosody checks our key at our s2s port) and Prosody's answer back on it
    const pong = await alice.iqStanza(xml('iq', { type: 'get', to: prosody.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), WAIT);
    expect(pong.attrs.type).toBe('result');
    await alice.send(xml('message', { to: bare(bob), type: 'chat', id: 'p1' }, xml('body', {}, 'hello prosody')));
    const got = await bob.waitFor((s) => s.is('message') && s.attrs.id === 'p1', 'message from parley', WAIT);
    expect(got.attrs.from).toBe(alice.jid);
    // Prosody's outbound link to us (we check its key with Prosody over our link)
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'p2' }, xml('body', {}, 'hello parley')));
    const back = await alice.waitFor((s) => s.is('message') && s.attrs.id === 'p2', 'message from prosody', WAIT);
    expect(back.attrs.from).toBe(bob.jid);
    expect(back.getChildText('body')).toBe('hello parley');
    // a user on the other gateway: its own link, its key verified at gw1 (the shared secret)
    const carol = await ours('carol', gw2);
    await carol.send(xml('message', { to: bare(bob), type: 'chat', id: 'p3' }, xml('body', {}, 'from gw2')));
    expect((await bob.waitFor((s) => s.attrs.id === 'p3', 'message from gw2', WAIT)).attrs.from).toBe(carol.jid);
    await bob.send(xml('message', { to: carol.jid, type: 'chat', id: 'p4' }, xml('body', {}, 'to gw2')));
    await carol.waitFor((s) => s.attrs.id === 'p4', 'message to gw2 through gw1', WAIT);
  });

  it('subscribes a local user and a Prosody user to each other', async () => {
    const dave = await ours('dave', gw2);
    const erin = await theirs('erin');
    await dave.send(xml('presence', { to: bare(erin), type: 'subscribe' }));
    await erin.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bare(dave), 'subscribe at prosody', WAIT);
    await erin.send(xml('presence', { to: bare(dave), type: 'subscribed' }));
    await waitFor(async () => (await dave.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })), WAIT)).getChildren('item').find((i) => i.attrs.jid === bare(erin))?.attrs.subscription === 'to', {
      what: 'subscription to the remote contact',
      timeoutMs: WAIT,
    });
    // erin is now available to dave: her presence crosses
    await erin.send(xml('presence', {}, xml('status', {}, 'remote')));
    await dave.waitFor((s) => s.is('presence') && s.attrs.from === erin.jid && s.getChildText('status') === 'remote', 'remote presence', WAIT);
  });

  it('bounces stanzas for a domain it cannot reach with remote-server-not-found', async () => {
    const frank = await ours('frank', gw2);
    await frank.send(xml('message', { to: 'someone@dead.example', type: 'chat', id: 'dead1' }, xml('body', {}, 'anyone?')));
    const err = await frank.waitFor((s) => s.attrs.id === 'dead1', 'bounce', WAIT);
    expect(err.attrs.type).toBe('error');
    expect(err.getChild('error')!.getChild('remote-server-not-found')).toBeDefined();
  });

  it('answers hostile peers with stream errors and keeps federating', async () => {
    const plain = await rawS2s();
    openS2s(plain, 'evil.example');
    await plain.expect(/<starttls[^>]*><required\/>/);
    plain.send(`<message from='x@evil.example' to='a@${domain}'><body>x</body></message>`);
    await plain.expect(/<policy-violation /);

    const garbage = await rawS2s();
    garbage.send('<<<>>> not xml');
    await garbage.expect(/<not-well-formed /);

    const wrongHost = await rawS2s();
    wrongHost.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='other.example' version='1.0'>`);
    await wrongHost.expect(/<host-unknown /);

    // inside TLS: dialback is offered
    const s = await rawS2s();
    openS2s(s, 'evil.example');
    await s.expect(/<\/stream:features>/);
    s.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await s.expect(/<proceed/);
    const tls = tlsConnect({ socket: s.socket, rejectUnauthorized: false });
    let text = '';
    tls.setEncoding('utf8');
    tls.on('data', (d: string) => (text += d));
    await new Promise<void>((r) => tls.once('secureConnect', () => r()));
    tls.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='dead.example' to='${domain}' version='1.0'>`);
    await waitFor(async () => /<\/stream:features>/.test(text), { what: 'features after TLS', timeoutMs: WAIT });
    expect(text).toMatch(/urn:xmpp:features:dialback/);
    tls.destroy();
    // a second TLS stream: a stanza before any dialback is refused
    const early = await rawS2s();
    openS2s(early, 'evil.example');
    await early.expect(/<\/stream:features>/);
    early.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await early.expect(/<proceed/);
    const tls2 = tlsConnect({ socket: early.socket, rejectUnauthorized: false });
    let text2 = '';
    tls2.setEncoding('utf8');
    tls2.on('data', (d: string) => (text2 += d));
    await new Promise<void>((r) => tls2.once('secureConnect', () => r()));
    tls2.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='evil.example' to='${domain}' version='1.0'>`);
    await waitFor(async () => /<\/stream:features>/.test(text2), { what: 'features after TLS', timeoutMs: WAIT });
    tls2.write(`<message from='x@evil.example' to='a@${domain}'><body>x</body></message>`);
    await waitFor(async () => /<not-authorized /.test(text2), { what: 'stanza before dialback refused', timeoutMs: WAIT });
    tls2.destroy();
  });

  it('refuses a dialback key that the claimed domain does not vouch for', async () => {
    const s = await rawS2s();
    openS2s(s, 'dead.example');
    await s.expect(/<\/stream:features>/);
    s.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await s.expect(/<proceed/);
    const tls = tlsConnect({ socket: s.socket, rejectUnauthorized: false });
    let text = '';
    tls.setEncoding('utf8');
    tls.on('data', (d: string) => (text += d));
    await new Promise<void>((r) => tls.once('secureConnect', () => r()));
    tls.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='dead.example' to='${domain}' version='1.0'>`);
    await waitFor(async () => /<\/stream:features>/.test(text), { what: 'features after TLS', timeoutMs: WAIT });
    tls.write(`<db:result from='dead.example' to='${domain}'>0123456789abcdef</db:result>`);
    await waitFor(async () => /type='invalid'/.test(text) && /<not-authorized /.test(text), { what: 'dialback refused', timeoutMs: WAIT });
    tls.destroy();
  });

  it('keeps federating after the hostile peers, and never logs the dialback secret', async () => {

    // the real peer still gets through
    const gina = await ours('gina', gw1);
    const hal = await theirs('hal');
    await hal.send(xml('message', { to: gina.jid, type: 'chat', id: 'after' }, xml('body', {}, 'still federating')));
    await gina.waitFor((st) => st.attrs.id === 'after', 'message after the hostile peers', WAIT);
    expect([...gw1.logs, ...gw2.logs].some((l) => l.includes(SECRET))).toBe(false);
  });
});
