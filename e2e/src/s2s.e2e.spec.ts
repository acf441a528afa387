// End-to-end: server-to-server federation (RFC 6120, Server Dialback XEP-0220) against
// a real Prosody from Debian, both directions, with two gateways sharing the dialback
// secret, plus hostile peers on raw sockets.
//
// Prosody finds a server by DNS only, so Parley's domain here is an IP literal (a random
// loopback address) and its s2s listener takes the standard port 5269 on that address:
// the one fixed port of the suite, on an address no other run uses. Parley finds
// Prosody through S2S_STATIC_ROUTES (Prosody's s2s port is a free one).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, RawXmpp, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { freePort, randomLoopback } from '@parley/testing-peers';
import { peerOutage } from './peer-outage';
import { ProsodyProcess, startProsody } from './prosody';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const WAIT = 30_000;
const SECRET = 'federation-dialback-secret-0123456789abcdef';
const ROSTER = 'jabber:iq:roster';
const MAM = 'urn:xmpp:mam:2';

describe('federation with Prosody (s2s, dialback), end to end', () => {
  let stack: E2EStack;
  let prosody: ProsodyProcess;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  let domain: string;
  let deadPort: number;
  let fake: { port: number; close(): void };
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

  /** A raw s2s stream claiming `from`, upgraded with STARTTLS, its post-TLS features received. */
  const tlsS2s = async (from: string) => {
    const r = await rawS2s();
    openS2s(r, from);
    await r.expect(/<\/stream:features>/);
    r.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await r.expect(/<proceed/);
    const tls = tlsConnect({ socket: r.socket, rejectUnauthorized: false });
    const out = { text: '', write: (x: string) => void tls.write(x), until: (re: RegExp, what: string) => waitFor(async () => re.test(out.text), { what, timeoutMs: WAIT }) };
    tls.setEncoding('utf8');
    tls.on('data', (d: string) => (out.text += d));
    tls.on('error', () => undefined);
    await new Promise<void>((res) => tls.once('secureConnect', () => res()));
    tls.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${domain}' version='1.0'>`);
    await out.until(/<\/stream:features>/, 'features after TLS');
    return out;
  };

  beforeAll(async () => {
    prosody = await startProsody();
    fake = await fakeAuthoritative();
    stack = await startStack('s2s');
    await stack.startService('roster');
    await stack.startService('offline');
    await stack.startService('archive');
    domain = randomLoopback();
    deadPort = await freePort('127.0.0.1');
    const env = {
      XMPP_DOMAIN: domain,
      S2S_ENABLED: 'true',
      S2S_DIALBACK_SECRET: SECRET,
      S2S_STATIC_ROUTES: `${prosody.domain}=${prosody.domain}:${prosody.s2sPort},dead.example=127.0.0.1:${deadPort},fake.example=127.0.0.1:${fake.port}`,
      S2S_CONNECT_TIMEOUT: '10s',
      S2S_RETRY_AFTER: '1s',
    };
    gw1 = await stack.startGateway({ ...env, S2S_HOST: domain, S2S_PORT: '5269' });
    gw2 = await stack.startGateway({ ...env, S2S_PORT: '-1' }); // outbound only: Prosody verifies its keys at gw1
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    for (const r of raws.splice(0)) r.close();
  });

  afterAll(async () => {
    fake?.close();
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

  it('probes a remote contact at login, and archives (XEP-0313) and copies (XEP-0280) messages with remote contacts as with local ones', async () => {
    const u = `fay${++seq}`;
    expect(await registerInBand(gw1.starttlsPort, u, PASSWORD, domain)).toMatch(/type=.result./);
    const fay1 = await connectClient({ port: gw1.starttlsPort, username: u, password: PASSWORD, domain, resource: 'one' });
    clients.push(fay1);
    const gus = await theirs('gus');
    // mutual subscription with the Prosody user
    await fay1.send(xml('presence', { to: bare(gus), type: 'subscribe' }));
    await gus.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bare(fay1), 'subscribe at prosody', WAIT);
    await gus.send(xml('presence', { to: bare(fay1), type: 'subscribed' }));
    await gus.send(xml('presence', { to: bare(fay1), type: 'subscribe' }));
    await fay1.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bare(gus), 'subscribe from prosody', WAIT);
    await fay1.send(xml('presence', { to: bare(gus), type: 'subscribed' }));
    await gus.send(xml('presence', {}, xml('status', {}, 'here')));
    await waitFor(async () => (await fay1.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })), WAIT)).getChildren('item').find((i) => i.attrs.jid === bare(gus))?.attrs.subscription === 'both', {
      what: 'a mutual subscription with the remote contact',
      timeoutMs: WAIT,
    });
    // a second resource on the other gateway logs in: its initial presence probes gus over s2s
    const fay2 = await connectClient({ port: gw2.starttlsPort, username: u, password: PASSWORD, domain, resource: 'two' });
    clients.push(fay2);
    await fay2.send(xml('presence'));
    const probed = await fay2.waitFor((s) => s.is('presence') && s.attrs.from === gus.jid && !s.attrs.type, 'the remote contact\'s presence (probe answer)', WAIT);
    expect(probed.getChildText('status')).toBe('here');
    // and gus sees fay's new resource (broadcast over s2s)
    await gus.waitFor((s) => s.is('presence') && s.attrs.from === fay2.jid && !s.attrs.type, 'our presence at prosody', WAIT);

    // carbons on the second resource, the archive opted in on the first
    await fay2.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })), WAIT);
    await fay1.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM, default: 'always' })), WAIT);
    await fay1.send(xml('message', { to: bare(gus), type: 'chat', id: 'ca1' }, xml('body', {}, 'out to prosody')));
    await gus.waitFor((s) => s.attrs.id === 'ca1', 'message at prosody', WAIT);
    const sent = await fay2.waitFor((s) => !!s.getChild('sent', 'urn:xmpp:carbons:2'), 'sent carbon', WAIT);
    expect(sent.getChild('sent', 'urn:xmpp:carbons:2')!.getChild('forwarded')!.getChild('message')!.attrs.to).toBe(bare(gus));
    await gus.send(xml('message', { to: fay1.jid, type: 'chat', id: 'ca2' }, xml('body', {}, 'in from prosody')));
    await fay1.waitFor((s) => s.attrs.id === 'ca2', 'reply from prosody', WAIT);
    const received = await fay2.waitFor((s) => !!s.getChild('received', 'urn:xmpp:carbons:2'), 'received carbon', WAIT);
    expect(received.getChild('received', 'urn:xmpp:carbons:2')!.getChild('forwarded')!.getChild('message')!.attrs.from).toBe(gus.jid);
    let n = 0;
    await waitFor(
      async () => {
        const queryid = `sq${++n}`;
        await fay1.iqStanza(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, MAM)), xml('field', { var: 'with' }, xml('value', {}, bare(gus)))))), WAIT);
        const bodies = fay1.received.filter((s) => s.getChild('result', MAM)?.attrs.queryid === queryid).map((s) => s.getChild('result', MAM)!.getChild('forwarded')!.getChild('message')!.getChildText('body'));
        return bodies.includes('out to prosody') && bodies.includes('in from prosody');
      },
      { what: 'both messages with the remote contact in the archive', timeoutMs: WAIT },
    );
  });

  it('stores a remote contact\'s message for an offline user, and blocking covers a remote domain', async () => {
    const kim = await theirs('kim');
    const lee = `lee${++seq}`;
    expect(await registerInBand(gw1.starttlsPort, lee, PASSWORD, domain)).toMatch(/type=.result./);
    await kim.send(xml('message', { to: `${lee}@${domain}`, type: 'chat', id: 'stored' }, xml('body', {}, 'while you were away')));
    await waitFor(
      async () => {
        const c = await connectClient({ port: gw2.starttlsPort, username: lee, password: PASSWORD, domain });
        clients.push(c);
        const got = await c.waitFor((st) => st.attrs.id === 'stored', 'offline message', 3000).catch(() => undefined);
        if (got) expect(got.attrs.from).toBe(kim.jid);
        return !!got;
      },
      { what: 'the stored message at login', timeoutMs: WAIT },
    );

    const jack = await ours('jack', gw1);
    await jack.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: prosody.domain }))), WAIT);
    await kim.send(xml('message', { to: jack.jid, type: 'chat', id: 'blocked1' }, xml('body', {}, 'let me in')));
    const refused = await kim.waitFor((st) => st.attrs.id === 'blocked1', 'error back over s2s', WAIT);
    expect(refused.attrs.type).toBe('error');
    expect(jack.received.some((st) => st.attrs.id === 'blocked1')).toBe(false);
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

    // inside TLS: dialback is offered; a stanza before any dialback is refused
    const early = await tlsS2s('evil.example');
    expect(early.text).toMatch(/urn:xmpp:features:dialback/);
    early.write(`<message from='x@evil.example' to='a@${domain}'><body>x</body></message>`);
    await early.until(/<not-authorized /, 'stanza before dialback refused');
  });

  it('refuses a dialback key that the claimed domain does not vouch for', async () => {
    const s = await tlsS2s('dead.example');
    s.write(`<db:result from='dead.example' to='${domain}'>0123456789abcdef</db:result>`);
    await s.until(/type='invalid'/, 'dialback refused');
    await s.until(/<not-authorized /, 'stream closed');
  });

  it('accepts a domain its authoritative server vouches for, and only stanzas from that domain (invalid-from)', async () => {
    const s = await tlsS2s('fake.example');
    s.write(`<db:result from='fake.example' to='${domain}'>any-key-the-fake-server-accepts</db:result>`);
    await s.until(/<db:result [^>]*type='valid'/, 'dialback accepted');
    const ivan = await ours('ivan', gw1);
    s.write(`<message from='someone@fake.example/x' to='${ivan.jid}' id='vouched'><body>hi</body></message>`);
    await ivan.waitFor((st) => st.attrs.id === 'vouched', 'message from the vouched domain', WAIT);
    s.write(`<message from='admin@${prosody.domain}' to='${ivan.jid}' id='forged'><body>x</body></message>`);
    await s.until(/<invalid-from /, 'forged from refused');
    expect(ivan.received.some((st) => st.attrs.id === 'forged')).toBe(false);
  });

  it('keeps federating after the hostile peers, and never logs the dialback secret', async () => {

    // the real peer still gets through
    const gina = await ours('gina', gw1);
    const hal = await theirs('hal');
    await hal.send(xml('message', { to: gina.jid, type: 'chat', id: 'after' }, xml('body', {}, 'still federating')));
    await gina.waitFor((st) => st.attrs.id === 'after', 'message after the hostile peers', WAIT);
    expect([...gw1.logs, ...gw2.logs].some((l) => l.includes(SECRET))).toBe(false);
  });

  it('a peer that goes away and comes back: stanzas for it bounce while it is down, and flow again once it is back', async () => {
    const alice = await ours('alice', gw1);
    const bob = await theirs('bob');
    await peerOutage({ local: alice, remote: bob, peer: prosody, password: PASSWORD, waitMs: WAIT, keep: (c) => clients.push(c) });
  });
});

/**
 * A stand-in authoritative server for `fake.example`: it upgrades with STARTTLS and
 * answers every `<db:verify/>` valid (a real server would check its key), so the test
 * can authenticate a raw stream as that domain.
 */
async function fakeAuthoritative(): Promise<{ port: number; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-fake-s2s-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=fake.example'], { stdio: 'ignore' });
  const ctx = createSecureContext({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
  const header = (id: string) => `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='fake.example' id='${id}' version='1.0'>`;
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buf = '';
    const onPlain = (d: string) => {
      buf += d;
      if (/<stream:stream/.test(buf) && !/<proceed/.test(buf)) {
        buf = '';
        socket.write(`${header('plain1')}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`);
      } else if (/<starttls/.test(buf)) {
        socket.removeListener('data', onPlain);
        socket.write(`<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
        const tls = new TLSSocket(socket, { isServer: true, secureContext: ctx });
        tls.setEncoding('utf8');
        tls.on('error', () => undefined);
        let text = '';
        tls.on('data', (t: string) => {
          text += t;
          if (/<stream:stream/.test(text)) {
            text = text.replace(/<\?xml[^>]*>/, '').replace(/<stream:stream[^>]*>/, '');
            tls.write(`${header('tls1')}<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>`);
          }
          for (let m = /<db:verify [^>]*id='([^']*)'[^>]*>[^<]*<\/db:verify>/.exec(text); m; m = /<db:verify [^>]*id='([^']*)'[^>]*>[^<]*<\/db:verify>/.exec(text)) {
            const from = /from='([^']*)'/.exec(m[0])?.[1] ?? '';
            tls.write(`<db:verify from='fake.example' to='${from}' id='${m[1]}' type='valid'/>`);
            text = text.replace(m[0], '');
          }
        });
      }
    };
    socket.on('data', onPlain);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}
