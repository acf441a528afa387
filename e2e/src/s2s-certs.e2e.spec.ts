// End-to-end: server-to-server authentication by certificate (RFC 6120 §13.7, RFC 6125,
// SASL EXTERNAL per XEP-0178) and direct TLS (XEP-0368), against real Debian Prosody
// peers and hostile raw peers. A throwaway CA (openssl) signs Parley's certificate and
// one Prosody's, each for its IP-literal domain (iPAddress and XmppAddr subjectAltNames,
// which Parley matches, and for Prosody a dNSName); Parley trusts it through
// S2S_CA_FILE, Prosody through `ssl.cafile`.
//
// Parley runs with S2S_SECURE_AUTH=true. Three Prosody peers:
// - trusted: certificate from the CA, `s2s_secure_auth = true`: SASL EXTERNAL both ways;
// - untrusted: self-signed: refused both ways;
// - dialback: self-signed, named in S2S_INSECURE_DOMAINS, reached over its direct-TLS
//   port (`s2s_direct_tls_ports`, a `tls:` static route): dialback both ways.
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { waitFor } from '@parley/testing-stack';
import { connectClient, createTestCa, GatewayProcess, IssuedCert, registerInBand, TestCa, TestClient, xml } from '@parley/testing-xmpp';
import { freePort, ProsodyProcess, randomLoopback, startProsody } from './prosody';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const WAIT = 30_000;
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const header = (from: string, to: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'>`;

describe('federation authenticated by certificate (SASL EXTERNAL, S2S_SECURE_AUTH) and direct TLS, end to end', () => {
  let ca: TestCa;
  let stack: E2EStack;
  let trusted: ProsodyProcess;
  let untrusted: ProsodyProcess;
  let dialback: ProsodyProcess;
  let gw: GatewayProcess;
  let domain: string;
  let peerCert: IssuedCert;
  let strangerCert: IssuedCert;
  let httpPort: number;
  const clients: TestClient[] = [];
  const sockets: TLSSocket[] = [];
  let seq = 0;

  const ours = async (name: string) => {
    const u = `${name}${++seq}`;
    expect(await registerInBand(gw.starttlsPort, u, PASSWORD, domain)).toMatch(/type=.result./);
    const c = await connectClient({ port: gw.starttlsPort, username: u, password: PASSWORD, domain });
    clients.push(c);
    return c;
  };
  const theirs = async (p: ProsodyProcess, name: string) => {
    const u = `${name}${++seq}`;
    p.register(u, PASSWORD);
    const c = await connectClient({ port: p.c2sPort, username: u, password: PASSWORD, domain: p.domain, mechanism: 'PLAIN' });
    clients.push(c);
    return c;
  };
  const bare = (c: TestClient) => c.jid.split('/')[0];
  const logged = (lines: string[], ...parts: string[]) => lines.some((l) => parts.every((p) => l.includes(p)));
  /** Log lines travel on another pipe than the XMPP traffic: wait for one to arrive. */
  const logs = (lines: string[], ...parts: string[]) => waitFor(async () => logged(lines, ...parts), { what: `a log line with ${parts.join(' / ')}`, timeoutMs: WAIT });

  /** parley_gateway_s2s_auth_total{direction, method} as the gateway exports it. */
  const authCount = async (direction: string, method: string) => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('parley_gateway_s2s_auth_total{') && l.includes(`direction="${direction}"`) && l.includes(`method="${method}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  /** A raw peer on Parley's direct-TLS s2s port, presenting `cert` (if any), its stream opened from `from` and its features read. */
  const directPeer = async (from: string, cert?: IssuedCert) => {
    const tls = tlsConnect({ host: domain, port: gw.s2sTlsPort!, rejectUnauthorized: false, ALPNProtocols: ['xmpp-server'], ...(cert ? { cert: cert.cert, key: cert.key } : {}) });
    sockets.push(tls);
    const peer = {
      text: '',
      write: (x: string) => void tls.write(x),
      until: (re: RegExp, what: string) => waitFor(async () => re.test(peer.text), { what, timeoutMs: WAIT }),
      tls,
    };
    tls.setEncoding('utf8');
    tls.on('data', (d: string) => (peer.text += d));
    tls.on('error', () => undefined);
    await new Promise<void>((res, rej) => {
      tls.once('secureConnect', () => res());
      tls.once('error', rej);
    });
    peer.write(header(from, domain));
    await peer.until(/<\/stream:features>|<stream:error/, 'features on the direct-TLS port');
    return peer;
  };

  beforeAll(async () => {
    ca = createTestCa();
    const both = (name: string) => (d: string) => ca.issue(name, d, [`IP:${d}`, `xmpp:${d}`]);
    const started = await Promise.allSettled([startProsody({ s2sSecureAuth: true, caFile: ca.certFile, certificate: both('prosody-trusted') }), startProsody(), startProsody({ s2sDirectTls: true })]);
    [trusted, untrusted, dialback] = started.map((r) => (r.status === 'fulfilled' ? r.value : (undefined as unknown as ProsodyProcess)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    peerCert = ca.issue('peer', 'peer.example', ['DNS:peer.example']);
    strangerCert = ca.issue('stranger', 'stranger.example', ['DNS:stranger.example'], { selfSigned: true });
    stack = await startStack('s2scert');
    domain = randomLoopback();
    // Prosody 0.12 checks XmppAddr identities only for a service it never passes, and then no
    // longer looks at the Common Name: it finds an IP-literal domain only in a dNSName
    httpPort = await freePort('127.0.0.1');
    const own = ca.issue('parley', domain, [`IP:${domain}`, `xmpp:${domain}`, `DNS:${domain}`]);
    gw = await stack.startGateway({
      XMPP_DOMAIN: domain,
      HTTP_PORT: String(httpPort),
      TLS_CERT_FILE: own.certFile,
      TLS_KEY_FILE: own.keyFile,
      S2S_ENABLED: 'true',
      S2S_DIALBACK_SECRET: 'certificate-suite-dialback-secret-0123456789',
      S2S_HOST: domain,
      S2S_PORT: '5269', // Prosody finds an IP-literal domain on the standard port only
      S2S_TLS_PORT: '0',
      S2S_CA_FILE: ca.certFile,
      S2S_SECURE_AUTH: 'true',
      S2S_INSECURE_DOMAINS: dialback.domain,
      S2S_STATIC_ROUTES: [`${trusted.domain}=${trusted.domain}:${trusted.s2sPort}`, `${untrusted.domain}=${untrusted.domain}:${untrusted.s2sPort}`, `${dialback.domain}=tls:${dialback.domain}:${dialback.s2sTlsPort}`].join(','),
      S2S_CONNECT_TIMEOUT: '10s',
      S2S_RETRY_AFTER: '1s',
    });
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    for (const s of sockets.splice(0)) s.destroy();
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([trusted, untrusted, dialback].map((p) => p?.stop()));
  });

  it('authenticates with a Prosody that requires certificates by SASL EXTERNAL both ways, and exchanges messages', async () => {
    const alice = await ours('alice');
    const bob = await theirs(trusted, 'bob');
    await alice.send(xml('message', { to: bare(bob), type: 'chat', id: 'c1' }, xml('body', {}, 'hello by certificate')));
    expect((await bob.waitFor((s) => s.is('message') && s.attrs.id === 'c1', 'message to prosody', WAIT)).attrs.from).toBe(alice.jid);
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'c2' }, xml('body', {}, 'hello back')));
    const back = await alice.waitFor((s) => s.is('message') && s.attrs.id === 'c2', 'message from prosody', WAIT);
    expect(back.attrs.from).toBe(bob.jid);
    // our link: Prosody accepted our certificate (it offers nothing else with s2s_secure_auth for a valid one)
    await logs(gw.logs, 's2s outbound link authenticated (EXTERNAL)', trusted.domain, '"certificate":"valid"');
    await logs(trusted.logs, `Accepting SASL EXTERNAL identity from ${domain}`);
    // Prosody's link: we verified its client certificate and offered EXTERNAL
    await logs(gw.logs, 's2s inbound stream authenticated (SASL EXTERNAL)', trusted.domain);
    await logs(trusted.logs, `SASL EXTERNAL with ${domain} succeeded`);
    // and no dialback with it, either way
    expect(logged(gw.logs, 'authenticated (dialback', trusted.domain)).toBe(false);
    expect(await authCount('outbound', 'EXTERNAL')).toBe(1);
    expect(await authCount('inbound', 'EXTERNAL')).toBeGreaterThanOrEqual(1);
  });

  it('refuses a peer whose certificate does not verify (S2S_SECURE_AUTH): stanzas to it bounce, its own stream is closed', async () => {
    const carol = await ours('carol');
    const erin = await theirs(untrusted, 'erin');
    await carol.send(xml('message', { to: bare(erin), type: 'chat', id: 'u1' }, xml('body', {}, 'can you hear me?')));
    const bounce = await carol.waitFor((s) => s.attrs.id === 'u1', 'the bounce', WAIT);
    expect(bounce.attrs.type).toBe('error');
    // found but not authenticated: remote-server-timeout of type cancel (RFC 6120 §8.3.3.16)
    expect(bounce.getChild('error')!.getChild('remote-server-timeout')).toBeDefined();
    expect(bounce.getChild('error')!.attrs.type).toBe('cancel');
    await logs(gw.logs, 's2s remote certificate refused (S2S_SECURE_AUTH)', untrusted.domain);
    expect(erin.received.some((s) => s.attrs.id === 'u1')).toBe(false);

    await erin.send(xml('message', { to: carol.jid, type: 'chat', id: 'u2' }, xml('body', {}, 'let me in')));
    const refused = await erin.waitFor((s) => s.attrs.id === 'u2', 'prosody bounces it', WAIT);
    expect(refused.attrs.type).toBe('error');
    await logs(gw.logs, 's2s inbound certificate refused (S2S_SECURE_AUTH)', untrusted.domain);
    expect(await authCount('outbound', 'refused')).toBeGreaterThanOrEqual(1);
    expect(await authCount('inbound', 'refused')).toBeGreaterThanOrEqual(1);
    expect(carol.received.some((s) => s.attrs.id === 'u2')).toBe(false);
  });

  it('uses dialback with a domain of S2S_INSECURE_DOMAINS, reached over its direct-TLS port (XEP-0368)', async () => {
    const frank = await ours('frank');
    const gina = await theirs(dialback, 'gina');
    await frank.send(xml('message', { to: bare(gina), type: 'chat', id: 'd1' }, xml('body', {}, 'over direct TLS')));
    expect((await gina.waitFor((s) => s.attrs.id === 'd1', 'message to the dialback peer', WAIT)).attrs.from).toBe(frank.jid);
    await gina.send(xml('message', { to: frank.jid, type: 'chat', id: 'd2' }, xml('body', {}, 'back by dialback')));
    expect((await frank.waitFor((s) => s.attrs.id === 'd2', 'message from the dialback peer', WAIT)).attrs.from).toBe(gina.jid);
    await logs(gw.logs, 's2s outbound link authenticated (dialback)', dialback.domain, '"tls":"direct"');
    await logs(gw.logs, 's2s inbound stream authenticated (dialback)', dialback.domain);
    expect(await authCount('outbound', 'dialback')).toBe(1);
    expect(await authCount('inbound', 'dialback')).toBeGreaterThanOrEqual(1);
  });

  it('takes a peer on the direct-TLS port, its client certificate from the trusted CA: SASL EXTERNAL, then its stanzas', async () => {
    const ivan = await ours('ivan');
    const peer = await directPeer('peer.example', peerCert);
    expect(peer.tls.alpnProtocol).toBe('xmpp-server');
    expect(peer.text).toMatch(/<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL<\/mechanism><\/mechanisms>/);
    expect(peer.text).not.toMatch(/<starttls/); // no STARTTLS inside TLS
    peer.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>${Buffer.from('peer.example').toString('base64')}</auth>`);
    await peer.until(/<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'\/>/, 'SASL success');
    peer.text = '';
    peer.write(header('peer.example', domain));
    await peer.until(/<\/stream:features>/, 'features of the restarted stream');
    expect(peer.text).not.toMatch(/EXTERNAL/);
    peer.write(`<message from='someone@peer.example/x' to='${ivan.jid}' id='ext1' type='chat'><body>certified</body></message>`);
    expect((await ivan.waitFor((s) => s.attrs.id === 'ext1', 'message from the certified peer', WAIT)).attrs.from).toBe('someone@peer.example/x');
    peer.write(`<message from='someone@stranger.example' to='${ivan.jid}' id='ext2'><body>x</body></message>`);
    await peer.until(/<invalid-from /, 'a domain it did not authenticate');
  });

  it('takes a server certificate without the clientAuth purpose (as public CAs issue them now) as the client certificate', async () => {
    const serverOnly = ca.issue('server-only', 'server-only.example', ['DNS:server-only.example'], { extendedKeyUsage: 'serverAuth' });
    const peer = await directPeer('server-only.example', serverOnly);
    expect(peer.text).toMatch(/<mechanism>EXTERNAL<\/mechanism>/);
    peer.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>=</auth>`);
    await peer.until(/<success /, 'SASL success');
  });

  it('answers hostile SASL EXTERNAL attempts with the SASL failure, and refuses an untrusted certificate under S2S_SECURE_AUTH', async () => {
    // a trusted certificate, for another domain than the stream's `from` (a domain dialback is allowed for)
    const other = await directPeer(dialback.domain, peerCert);
    expect(other.text).not.toMatch(/EXTERNAL/);
    expect(other.text).toMatch(/urn:xmpp:features:dialback/);
    other.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>=</auth>`);
    await other.until(/<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized\/><\/failure>/, 'not-authorized for a certificate of another domain');

    // no client certificate at all
    const none = await directPeer(dialback.domain);
    expect(none.text).not.toMatch(/EXTERNAL/);
    none.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>=</auth>`);
    await none.until(/<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized\/><\/failure>/, 'not-authorized without a certificate');

    // a valid certificate, but an authorization identity that is not the stream's `from`; a bad encoding; another mechanism
    const mismatch = await directPeer('peer.example', peerCert);
    mismatch.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>${Buffer.from('other.example').toString('base64')}</auth>`);
    await mismatch.until(/<invalid-authzid\/>/, 'invalid-authzid');
    mismatch.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>not base64!</auth>`);
    await mismatch.until(/<incorrect-encoding\/>/, 'incorrect-encoding');
    mismatch.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>AGEAYg==</auth>`);
    await mismatch.until(/<invalid-mechanism\/>/, 'invalid-mechanism');
    await mismatch.until(/<policy-violation /, 'closed after three failures');

    // a self-signed certificate for a domain that must prove itself (S2S_SECURE_AUTH): refused at the stream header
    const stranger = await directPeer('stranger.example', strangerCert);
    expect(stranger.text).toMatch(/<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
    expect(stranger.text).not.toMatch(/<stream:features>/);
    await logs(gw.logs, 's2s inbound certificate refused (S2S_SECURE_AUTH)', 'stranger.example');
  });

  it('offers EXTERNAL after STARTTLS too, when the client certificate names the stream\'s domain', async () => {
    const raw = connect({ host: domain, port: gw.s2sPort! });
    let plain = '';
    raw.setEncoding('utf8');
    raw.on('data', (d: string) => (plain += d));
    raw.on('error', () => undefined);
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write(header('peer.example', domain));
    await waitFor(async () => /<\/stream:features>/.test(plain), { what: 'plaintext features', timeoutMs: WAIT });
    expect(plain).not.toMatch(/EXTERNAL/); // never before TLS
    raw.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await waitFor(async () => /<proceed/.test(plain), { what: 'proceed', timeoutMs: WAIT });
    raw.removeAllListeners('data');
    const tls = tlsConnect({ socket: raw, rejectUnauthorized: false, cert: peerCert.cert, key: peerCert.key });
    sockets.push(tls);
    let text = '';
    tls.setEncoding('utf8');
    tls.on('data', (d: string) => (text += d));
    tls.on('error', () => undefined);
    await new Promise<void>((r) => tls.once('secureConnect', () => r()));
    // our server certificate verifies against the test CA for the IP-literal domain
    const served = tls.getPeerX509Certificate()!;
    expect(served.checkIP(domain)).toBe(domain);
    expect(served.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    tls.write(header('peer.example', domain));
    await waitFor(async () => /<\/stream:features>/.test(text), { what: 'features after STARTTLS', timeoutMs: WAIT });
    expect(text).toMatch(/<mechanism>EXTERNAL<\/mechanism>/);
    tls.write(`<auth xmlns='${SASL}' mechanism='EXTERNAL'>=</auth>`);
    await waitFor(async () => /<success /.test(text), { what: 'SASL success after STARTTLS', timeoutMs: WAIT });
    raw.destroy();
  });
});
