// End-to-end: hostile clients and attackers on the path (issue "Security").
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, plainAuth, RawXmpp, rawLogin, rawStartTls, registerInBand } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

describe('security, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;

  beforeAll(async () => {
    stack = await startStack('security');
    // TLS optional: the attacker's injected registration would otherwise be refused for lack of TLS anyway
    gw = await stack.startGateway({ TLS_REQUIRED: 'false' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('discards what arrives in plaintext after <starttls/>: an injected registration never happens (RFC 6120 §5.4.3.3)', async () => {
    const raw = await RawXmpp.connect(gw.starttlsPort);
    raw.open();
    await raw.expect(/<\/stream:features>/);
    // one TCP write: the STARTTLS request and, behind it, what a man in the middle appended
    raw.send(
      `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>` +
        `<iq type='set' id='evil'><query xmlns='jabber:iq:register'><username>mallory</username><password>injected password</password></query></iq>`,
    );
    await raw.expect(/<proceed/);
    await raw.startTls();
    raw.open();
    await raw.expect(/<\/stream:features>/);
    expect(raw.received).not.toMatch(/id=["']evil["']/);
    raw.close();
    // the name is still free: the injected request was never processed
    expect(await registerInBand(gw.starttlsPort, 'mallory', 'a proper password')).toMatch(/type=.result./);
  });
});

describe('stanzas that grow when escaped, across gateways', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const PASSWORD = 'correct horse battery';
  const open: RawXmpp[] = [];

  beforeAll(async () => {
    stack = await startStack('bigstanza');
    await stack.startService('offline');
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
    for (const u of ['alice', 'bob', 'carol', 'dave']) expect(await registerInBand(gw1.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
  });

  afterAll(async () => {
    for (const r of open) r.close();
    await stack?.stop();
  });

  let logins = 0;
  const login = async (gw: GatewayProcess, user: string) => {
    const raw = await rawLogin(gw.starttlsPort, user, PASSWORD, `r${++logins}`);
    raw.send('<presence/>');
    open.push(raw);
    return raw;
  };
  const chat = (to: string, id: string, body = 'hello') => `<message to='${to}@localhost' type='chat' id='${id}'><body>${body}</body></message>`;

  it('bounces what is too large for the bus to its sender, and both gateways keep routing', async () => {
    const alice = await login(gw1, 'alice');
    const bob = await login(gw2, 'bob');
    const carol = await login(gw1, 'carol');
    // gw1 must know bob's session on gw2 first (the directory replicates asynchronously;
    // before that a message to bob goes to offline storage, which this suite does not run).
    for (let i = 0; ; i++) {
      alice.send(chat('bob', `ready${i}`));
      try {
        await bob.expect(new RegExp(`id=["']ready${i}["']`), 1000);
        break;
      } catch (e) {
        if (i >= 20) throw e;
      }
    }
    // within MAX_STANZA_SIZE as sent (256 KiB), far larger once escaped: '"' in an attribute becomes &quot;, '>' in text &gt;
    const quotes = `<message to='bob@localhost' type='chat' id='quotes' data='${'"'.repeat(200_000)}'><body>q</body></message>`;
    const angles = `<message to='bob@localhost' type='chat' id='angles'><body>${'>'.repeat(250_000)}</body></message>`;
    expect(Buffer.byteLength(quotes)).toBeLessThan(256 * 1024);
    alice.send(quotes); // 1.2 MB once escaped: more than one NATS message may carry
    await alice.expect(/<message[^>]*(id=["']quotes["'][^>]*type=["']error["']|type=["']error["'][^>]*id=["']quotes["'])[\s\S]*?policy-violation/);
    expect(bob.received).not.toMatch(/id=["']quotes["']/);
    // 1 MB once escaped, and it still fits: delivered whole, in order with what follows
    expect(Buffer.byteLength(angles)).toBeLessThan(256 * 1024);
    alice.send(angles);
    alice.send(chat('bob', 'behind'));
    const got = await bob.expect(/<message[^>]*id=["']angles["'][^>]*>[\s\S]*?<\/message>[\s\S]*?id=["']behind["']/);
    expect(got[0].split('&gt;').length - 1).toBe(250_000);
    // the same stanza to a user on the same gateway is delivered: nothing crosses the bus
    carol.received = '';
    alice.send(quotes.replace("to='bob@localhost'", "to='carol@localhost'").replace("id='quotes'", "id='local'"));
    await carol.expect(/id=["']local["']/);
    // and ordinary traffic still flows both ways between the gateways
    alice.send(chat('bob', 'after1'));
    await bob.expect(/id=["']after1["']/);
    bob.send(chat('alice', 'after2'));
    await alice.expect(/id=["']after2["']/);
    expect(alice.closed || bob.closed).toBe(false);
  });

  it('refuses to store offline what the bus cannot carry, and keeps storing the rest', async () => {
    const alice = await login(gw2, 'alice');
    const big = `<message to='dave@localhost' type='chat' id='bigoff' data='${'"'.repeat(200_000)}'><body>x</body></message>`;
    alice.send(big);
    await alice.expect(/<message[^>]*(id=["']bigoff["'][^>]*type=["']error["']|type=["']error["'][^>]*id=["']bigoff["'])/);
    alice.send(chat('dave', 'smalloff', 'are you there'));
    const dave = await login(gw1, 'dave');
    await dave.expect(/id=["']smalloff["']/);
    expect(dave.received).not.toMatch(/bigoff/);
  });
});

describe('unknown users look the same on every gateway', () => {
  let stack: E2EStack;

  afterAll(async () => {
    await stack?.stop();
  });

  it('gives an unknown username the same SCRAM salt on two gateways sharing SCRAM_FAKE_SALT_SECRET', async () => {
    stack = await startStack('fakesalt');
    const env = { SCRAM_FAKE_SALT_SECRET: 'a deployment-wide secret of at least 32 characters' };
    const [g1, g2] = [await stack.startGateway(env), await stack.startGateway(env)];
    expect(await registerInBand(g1.starttlsPort, 'realuser', 'correct horse battery')).toMatch(/type=.result./);
    /** The server-first-message's salt and iteration count for a username. */
    const saltOf = async (port: number, user: string) => {
      const raw = await rawStartTls(port);
      try {
        raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${Buffer.from(`n,,n=${user},r=fyko+d2lbbFgONRv9qkxdawL`).toString('base64')}</auth>`);
        const challenge = (await raw.expect(/<challenge[^>]*>([^<]+)<\/challenge>/))[1];
        const m = /,s=([^,]+),i=(\d+)/.exec(Buffer.from(challenge, 'base64').toString());
        return `${m![1]} ${m![2]}`;
      } finally {
        raw.close();
      }
    };
    const [a, b] = [await saltOf(g1.starttlsPort, 'nosuchuser'), await saltOf(g2.starttlsPort, 'nosuchuser')];
    expect(a).toBe(b);
    // and it is shaped like a real account's answer: same iteration count
    expect(a.split(' ')[1]).toBe((await saltOf(g1.starttlsPort, 'realuser')).split(' ')[1]);
  });
});

describe('WebSocket origins', () => {
  let stack: E2EStack;

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses browsers from origins not on WS_ALLOWED_ORIGINS with 403, and serves allowed ones and native clients', async () => {
    stack = await startStack('origins');
    const gw = await stack.startGateway({ WS_ALLOWED_ORIGINS: 'https://chat.example.org' });
    const { WebSocket } = await import('ws');
    /** Opens the XMPP WebSocket with an Origin header (or none); the HTTP status or `open`. */
    const tryOpen = (origin?: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`wss://127.0.0.1:${gw.webSocketPort}/xmpp-websocket`, ['xmpp'], { rejectUnauthorized: false, ...(origin ? { origin } : {}) });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(String(res.statusCode));
          ws.terminate();
        });
        ws.on('error', () => undefined);
      });
    expect(await tryOpen('https://evil.example.com')).toBe('403');
    expect(await tryOpen('https://chat.example.org')).toBe('open');
    expect(await tryOpen()).toBe('open');
  });
});

describe('SASL channel binding', () => {
  let stack: E2EStack;
  const PASSWORD = 'correct horse battery';

  afterAll(async () => {
    await stack?.stop();
  });

  /** A SCRAM-SHA-256 exchange as a client does it; `cb` binds the channel (gs2 `p=`), or says `y`/`n`. */
  async function scram(raw: RawXmpp, mechanism: string, gs2: string, cbData: Buffer): Promise<string> {
    const bare = `n=bindme,r=${randomBytes(12).toString('base64')}`;
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mechanism}'>${Buffer.from(gs2 + bare).toString('base64')}</auth>`);
    const challenge = await raw.expect(/<challenge[^>]*>([^<]+)<\/challenge>|<failure[\s\S]*?<\/failure>/);
    if (!challenge[1]) return challenge[0];
    const serverFirst = Buffer.from(challenge[1], 'base64').toString();
    const [, nonce, salt, iterations] = /^r=([^,]+),s=([^,]+),i=(\d+)/.exec(serverFirst)!;
    const withoutProof = `c=${Buffer.concat([Buffer.from(gs2), cbData]).toString('base64')},r=${nonce}`;
    const salted = pbkdf2Sync(PASSWORD, Buffer.from(salt, 'base64'), Number(iterations), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const signature = createHmac('sha256', createHash('sha256').update(clientKey).digest()).update(`${bare},${serverFirst},${withoutProof}`).digest();
    const proof = Buffer.from(clientKey.map((v, i) => v ^ signature[i])).toString('base64');
    raw.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(`${withoutProof},p=${proof}`).toString('base64')}</response>`);
    return (await raw.expect(/<success[\s\S]*?(\/>|<\/success>)|<failure[\s\S]*?<\/failure>/))[0];
  }

  it('binds to TLS 1.2 with tls-unique, and offers no binding (accepting "y") when switched off', async () => {
    stack = await startStack('cbind');
    const gw = await stack.startGateway();
    const off = await stack.startGateway({ SASL_CHANNEL_BINDING: 'false' });
    expect(await registerInBand(gw.starttlsPort, 'bindme', PASSWORD)).toMatch(/type=.result./);

    const raw = await RawXmpp.connectTls(gw.directTlsPort, '127.0.0.1', { maxVersion: 'TLSv1.2' });
    raw.open();
    const features = (await raw.expect(/<stream:features>[\s\S]*?<\/stream:features>/))[0];
    expect(features).toMatch(/<channel-binding type=.tls-unique.\/>/);
    expect(features).not.toMatch(/tls-exporter/);
    const finished = (raw.socket as TLSSocket).getFinished()!; // RFC 5929 §3.1: the first Finished, the client's
    expect(await scram(raw, 'SCRAM-SHA-256-PLUS', 'p=tls-unique,,', finished)).toMatch(/<success/);
    raw.close();

    // binding data from another connection is refused
    const other = await RawXmpp.connectTls(gw.directTlsPort, '127.0.0.1', { maxVersion: 'TLSv1.2' });
    other.open();
    await other.expect(/<\/stream:features>/);
    expect(await scram(other, 'SCRAM-SHA-256-PLUS', 'p=tls-unique,,', finished)).toMatch(/<failure/);
    other.close();

    const plain = await RawXmpp.connectTls(off.directTlsPort);
    plain.open();
    const offFeatures = (await plain.expect(/<stream:features>[\s\S]*?<\/stream:features>/))[0];
    expect(offFeatures).not.toMatch(/-PLUS|sasl-channel-binding/);
    // "y": the client could bind but thinks the server cannot; no downgrade when nothing is offered
    expect(await scram(plain, 'SCRAM-SHA-256', 'y,,', Buffer.alloc(0))).toMatch(/<success/);
    plain.close();
  });
});

describe('behind a TCP load balancer (PROXY protocol)', () => {
  let stack: E2EStack;
  const PASSWORD = 'correct horse battery';

  afterAll(async () => {
    await stack?.stop();
  });

  /** A PLAIN login attempt on 5222 as a balancer forwards it: PROXY v1 header for `client`, then the stream. */
  async function viaBalancer(port: number, client: string, password: string): Promise<string> {
    const raw = await rawStartTls(port, { prefix: `PROXY TCP4 ${client} 127.0.0.1 40000 ${port}\r\n` });
    try {
      return await plainAuth(raw, 'proxied', password);
    } finally {
      raw.close();
    }
  }

  it('takes the client address from the header (the throttles see clients, not the balancer), on 5222 and on direct TLS', async () => {
    stack = await startStack('proxyproto');
    const plainGw = await stack.startGateway();
    expect(await registerInBand(plainGw.starttlsPort, 'proxied', PASSWORD)).toMatch(/type=.result./);
    const gw = await stack.startGateway({ C2S_PROXY_PROTOCOL: 'true', AUTH_FAILURES_PER_ACCOUNT: '3', AUTH_TARPIT_MAX: '100ms' });
    // every connection really comes from 127.0.0.1: only the header tells the clients apart
    for (let i = 0; i < 4; i++) expect(await viaBalancer(gw.starttlsPort, '203.0.113.7', `wrong ${i}`)).toMatch(/not-authorized/);
    expect(await viaBalancer(gw.starttlsPort, '203.0.113.7', PASSWORD)).toMatch(/Too many failed attempts/);
    expect(await viaBalancer(gw.starttlsPort, '198.51.100.20', PASSWORD)).toMatch(/<success/);

    // direct TLS: the v2 header, then the handshake on the same connection
    const sock = netConnect(gw.directTlsPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const v2 = Buffer.concat([
      Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]),
      Buffer.from([198, 51, 100, 21, 127, 0, 0, 1, 0x9c, 0x40, 0x14, 0x67]),
    ]);
    sock.write(v2);
    const tls = tlsConnect({ socket: sock, rejectUnauthorized: false, servername: 'localhost', ALPNProtocols: ['xmpp-client'] });
    await new Promise((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
    });
    let got = '';
    tls.setEncoding('utf8');
    tls.on('data', (d: string) => (got += d));
    tls.write(`<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
    await waitFor(() => got.includes('</stream:features>'), { what: 'features over direct TLS behind the balancer' });
    tls.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0proxied\0${PASSWORD}`).toString('base64')}</auth>`);
    await waitFor(() => got.includes('<success'), { what: 'success over direct TLS behind the balancer' });
    tls.destroy();

    // a connection that does not start with a header is dropped
    const bare = await RawXmpp.connect(gw.starttlsPort);
    bare.open();
    await bare.expectClosed();
  });
});
