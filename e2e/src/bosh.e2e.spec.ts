// End-to-end: BOSH (XEP-0124, XEP-0206) at /http-bind on the gateway's WebSocket
// listener, driven by a raw HTTP client so that every protocol detail is visible:
// session creation, SASL and restart, long polling (hold/wait), rid order and repeats,
// acknowledgements, pause, terminate, inactivity, and the terminal errors; plus XEP-0156
// discovery. The other party is a TCP user with @xmpp/client.
import { request, Agent } from 'node:https';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const BOSH = 'http://jabber.org/protocol/httpbind';

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request on its own connection (held BOSH requests run side by side). */
function post(port: number, path: string, body: string, headers: Record<string, string> = {}, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, rejectUnauthorized: false, agent: new Agent({ keepAlive: false, rejectUnauthorized: false }), headers: { 'content-type': 'text/xml; charset=utf-8', host: `localhost:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : body);
  });
}

const attr = (text: string, name: string) => new RegExp(`\\s${name}='([^']*)'`).exec(text.slice(0, text.indexOf('>')))?.[1];

/** A BOSH client session: rids in sequence, payloads in bodies, everything received in `inbox`. */
class BoshClient {
  sid = '';
  rid = Math.floor(Math.random() * 1_000_000_000) + 1000;
  created!: Answer;
  /** What the answers carried, not yet consumed by `until`. */
  inbox = '';
  private readonly outstanding = new Set<Promise<Answer>>();
  constructor(public port: number) {}

  static async create(port: number, wait = 60): Promise<BoshClient> {
    const c = new BoshClient(port);
    c.created = await c.raw(`<body xmlns='${BOSH}' xmlns:xmpp='urn:xmpp:xbosh' rid='${c.rid}' to='localhost' xml:lang='en' wait='${wait}' hold='1' ver='1.6' xmpp:version='1.0' ack='1'/>`);
    c.sid = attr(c.created.text, 'sid') ?? '';
    return c;
  }

  raw(body: string): Promise<Answer> {
    return post(this.port, '/http-bind', body);
  }

  /** Sends the next request. */
  send(payload = '', attrs = ''): { rid: number; answer: Promise<Answer> } {
    const rid = ++this.rid;
    return { rid, answer: this.at(rid, payload, attrs) };
  }

  /** Sends a request with a given rid; its answer is noted in `inbox`. */
  at(rid: number, payload = '', attrs = ''): Promise<Answer> {
    const open = `<body xmlns='${BOSH}' xmlns:xmpp='urn:xmpp:xbosh' rid='${rid}' sid='${this.sid}'${attrs}`;
    const answer = this.raw(payload ? `${open}>${payload}</body>` : `${open}/>`);
    this.outstanding.add(answer);
    answer.then(
      (a) => {
        this.inbox += a.text;
        this.outstanding.delete(answer);
      },
      () => this.outstanding.delete(answer),
    );
    return answer;
  }

  /** Sends `payload`, then keeps one request held (hold=1) until the answers contain `pattern`; returns and consumes them. */
  async until(pattern: RegExp, payload = '', attrs = ''): Promise<string> {
    if (payload || attrs) this.send(payload, attrs);
    for (let i = 0; i < 40; i++) {
      if (pattern.test(this.inbox) || this.inbox.includes("type='terminate'")) break;
      if (this.outstanding.size < 2) this.send();
      await Promise.race(this.outstanding).catch(() => undefined);
      await new Promise((r) => setImmediate(r));
    }
    const seen = this.inbox;
    this.inbox = '';
    if (!pattern.test(seen)) throw new Error(`no ${pattern} in: ${seen}`);
    return seen;
  }

  /** Ends the session; held requests come back. */
  async terminate(): Promise<Answer> {
    const bye = await this.send('', ` type='terminate'`).answer;
    await Promise.allSettled([...this.outstanding]);
    return bye;
  }

  /** Logs in with PLAIN and binds `resource`, as XEP-0206 §6–§7 describe. */
  async login(user: string, resource: string): Promise<string> {
    const creds = Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64');
    expect(await this.until(/<success/, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`)).toMatch(/<success xmlns=["']urn:ietf:params:xml:ns:xmpp-sasl["']/);
    expect(await this.until(/<bind /, '', ` to='localhost' xml:lang='en' xmpp:restart='true'`)).toMatch(/<stream:features>.*<bind xmlns=["']urn:ietf:params:xml:ns:xmpp-bind["']/);
    const bound = await this.until(/<jid>/, `<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    return /<jid>([^<]+)<\/jid>/.exec(bound)![1];
  }
}

describe('BOSH (XEP-0124, XEP-0206), end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  const clients: TestClient[] = [];
  let bob: TestClient;

  beforeAll(async () => {
    stack = await startStack('bosh');
    gw = await stack.startGateway({ BOSH_INACTIVITY: '5s', BOSH_MAX_BODY: '16KiB', MAX_STANZA_SIZE: '4KiB' });
    for (const u of ['alice', 'bob', 'carol']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    bob = await connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'desk' });
    clients.push(bob);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await stack?.stop();
  });

  it('creates a session with the attributes XEP-0124 §7.2 and XEP-0206 §5 name, and the stream features', async () => {
    const c = await BoshClient.create(gw.webSocketPort);
    const t = c.created.text;
    expect(c.created.status).toBe(200);
    expect(c.created.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(c.sid).toMatch(/^[\w-]+\.[\w-]{22}$/); // <instance>.<128 random bits>
    expect(attr(t, 'wait')).toBe('60');
    expect(attr(t, 'hold')).toBe('1');
    expect(attr(t, 'requests')).toBe('2');
    expect(attr(t, 'inactivity')).toBe('5');
    expect(attr(t, 'from')).toBe('localhost');
    expect(attr(t, 'ack')).toBe(String(c.rid)); // §9.1: the creation request's rid
    expect(attr(t, 'xmpp:version')).toBe('1.0');
    expect(attr(t, 'authid')).toMatch(/.+/);
    expect(t).toMatch(/<stream:features><mechanisms xmlns=["']urn:ietf:params:xml:ns:xmpp-sasl["']>.*<mechanism>PLAIN<\/mechanism>/);
    expect(t).toContain(`xmlns:stream='http://etherx.jabber.org/streams'`);
    await c.send('', ` type='terminate'`).answer;
  });

  it('logs in, chats with a TCP user both ways (long polling), and terminates with its last stanza delivered', async () => {
    const c = await BoshClient.create(gw.webSocketPort);
    expect(await c.login('alice', 'web')).toBe('alice@localhost/web');
    // the request held since login is answered when the TCP user's message arrives
    await bob.send(xml('message', { to: 'alice@localhost/web', type: 'chat', id: 'b1' }, xml('body', {}, 'to the browser')));
    const got = await c.until(/to the browser/);
    expect(got).toMatch(/<message xmlns='jabber:client'[^>]*id=["']b1["']/);
    // and a message from BOSH reaches the TCP user
    c.send(`<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='a1'><body>from BOSH</body></message>`);
    expect((await bob.waitFor((s) => s.attrs.id === 'a1')).attrs.from).toBe('alice@localhost/web');
    // terminate with a last message: it is delivered, the answer terminates, the sid is gone
    const bye = await c.send(`<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='a2'><body>bye</body></message>`, ` type='terminate'`).answer;
    expect(bye.text).toMatch(/^<body xmlns='http:\/\/jabber.org\/protocol\/httpbind'[^>]* type='terminate'/);
    expect((await bob.waitFor((s) => s.attrs.id === 'a2')).getChildText('body')).toBe('bye');
    const after = await c.send().answer;
    expect(after.text).toContain(`condition='item-not-found'`);
  });

  it('processes requests in rid order, resends a lost answer for a repeated rid, and ends a session whose rid leaves the window', async () => {
    const c = await BoshClient.create(gw.webSocketPort);
    await c.login('carol', 'order');
    // rid+2 arrives before rid+1: its payload waits, so bob gets o1 before o2
    const r1 = c.rid + 1;
    const second = c.at(r1 + 1, `<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='o2'><body>2</body></message>`);
    const first = c.at(r1, `<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='o1'><body>1</body></message>`);
    c.rid = r1 + 1;
    await bob.waitFor((s) => s.attrs.id === 'o2');
    expect(bob.received.filter((s) => s.attrs.id === 'o1' || s.attrs.id === 'o2').map((s) => s.attrs.id)).toEqual(['o1', 'o2']);
    const a1 = await first; // answered when the second was held (hold=1)
    expect(a1.status).toBe(200);
    expect(attr(a1.text, 'ack')).toBe(String(r1 + 1)); // §9.1: a later rid has been received
    // the client lost a1: asking with the same rid gets the same answer (§14.3)
    const again = await c.at(r1);
    expect(again.text).toBe(a1.text);
    c.send(); // releases `second`
    expect((await second).status).toBe(200);
    // a rid far beyond the window: item-not-found, and the session is over
    const far = await c.at(c.rid + 10);
    expect(far.text).toContain(`condition='item-not-found'`);
    expect((await c.send().answer).text).toContain(`condition='item-not-found'`);
  });

  it('answers a held request empty after `wait`, answers everything at a pause, and refuses a pause beyond maxpause', async () => {
    // wait as the client asked (BOSH_MAX_WAIT is the ceiling)
    const short = await BoshClient.create(gw.webSocketPort, 1);
    expect(attr(short.created.text, 'wait')).toBe('1');
    const empty = await short.send().answer;
    expect(empty.text).toBe(`<body xmlns='${BOSH}'/>`);
    await short.terminate();
    // pause: the held request is answered at once, and so is the pause request
    const c = await BoshClient.create(gw.webSocketPort);
    const held = c.send();
    const paused = await c.send('', ` pause='3'`).answer;
    expect(paused.status).toBe(200);
    expect((await held.answer).text).toMatch(/^<body xmlns='http:\/\/jabber.org\/protocol\/httpbind'/);
    const other = await BoshClient.create(gw.webSocketPort);
    const tooLong = await other.send('', ` pause='100000'`).answer;
    expect(tooLong.text).toContain(`condition='policy-violation'`);
  });

  it('ends a session that sends no request for the inactivity period', async () => {
    const c = await BoshClient.create(gw.webSocketPort, 1);
    await c.login('alice', 'idle');
    await Promise.allSettled([c.send().answer]); // the last request, answered after wait (1s)
    // nothing is held from here on: well past BOSH_INACTIVITY (5s) the session is gone
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await c.at(c.rid + 1)).text).toContain(`condition='item-not-found'`);
  }, 60_000);

  it('gives hostile input the terminal errors: bad XML, wrong wrapper, unknown host, unknown sid, oversized body, stanzas before auth', async () => {
    const port = gw.webSocketPort;
    expect(await post(port, '/http-bind', `<body xmlns='${BOSH}' rid='1' to='localhost'`)).toMatchObject({ status: 400, text: expect.stringContaining(`condition='bad-request'`) });
    expect((await post(port, '/http-bind', `<stream xmlns='jabber:client'/>`)).text).toContain(`condition='bad-request'`);
    expect((await post(port, '/http-bind', `<body xmlns='${BOSH}' rid='1' to='elsewhere.example' ver='1.6'/>`)).text).toContain(`condition='host-unknown'`);
    expect((await post(port, '/http-bind', `<body xmlns='${BOSH}' rid='2' sid='nosuchsession' ver='1.6'/>`)).text).toContain(`condition='item-not-found'`);
    expect((await post(port, '/http-bind', `<!DOCTYPE body [<!ENTITY x 'y'>]><body xmlns='${BOSH}' rid='1' to='localhost'/>`)).text).toContain(`condition='bad-request'`);
    expect((await post(port, '/http-bind', '', {}, 'GET')).status).toBe(405);
    // a body over BOSH_MAX_BODY ends the session it names
    const big = await BoshClient.create(port);
    const huge = await big.send(`<message xmlns='jabber:client' to='bob@localhost'><body>${'x'.repeat(20_000)}</body></message>`).answer;
    expect(huge.text).toContain(`condition='policy-violation'`);
    expect((await big.send().answer).text).toContain(`condition='item-not-found'`);
    // a stanza over MAX_STANZA_SIZE (inside an acceptable body): the stream error TCP gets
    const large = await BoshClient.create(port);
    const over = await large.send(`<iq xmlns='jabber:client' type='get' id='x'><query xmlns='jabber:iq:register'>${'y'.repeat(6000)}</query></iq>`).answer;
    expect(over.text).toMatch(/type='terminate'.*condition='remote-stream-error'|condition='remote-stream-error'.*type='terminate'/);
    expect(over.text).toMatch(/<stream:error[^>]*><policy-violation/);
    // a message before authentication: the stream error TCP gets, as remote-stream-error
    const early = await BoshClient.create(port);
    const refused = await early.until(/terminate/, `<message xmlns='jabber:client' to='bob@localhost'><body>spam</body></message>`);
    expect(refused).toContain(`condition='remote-stream-error'`);
    expect(refused).toMatch(/<stream:error[^>]*><not-authorized/);
    // the gateway still serves others
    const ok = await BoshClient.create(port);
    expect(ok.created.text).toContain('<stream:features>');
    await ok.terminate();
  });

  it('refuses a wrong password as TCP does, and answers CORS preflights for allowed origins', async () => {
    const c = await BoshClient.create(gw.webSocketPort);
    const creds = Buffer.from(`\0alice\0wrong password`).toString('base64');
    const failed = await c.until(/<failure/, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`);
    expect(failed).toMatch(/<failure xmlns=["']urn:ietf:params:xml:ns:xmpp-sasl["']><not-authorized/);
    await c.terminate();
    const pre = await post(gw.webSocketPort, '/http-bind', '', { origin: 'https://app.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example'); // WS_ALLOWED_ORIGINS defaults to *
  });

  it('serves a session through another gateway instance (requests forwarded to the one holding it)', async () => {
    const other = await stack.startGateway();
    const c = await BoshClient.create(gw.webSocketPort);
    // the sid names the instance that holds the session
    const holder = JSON.parse(gw.logs.find((l) => l.includes('"XMPP listeners open"'))!).instance as string;
    expect(c.sid.startsWith(`${holder}.`)).toBe(true);
    // from here on every request lands on the other instance, as a balancer without stickiness does
    c.port = other.webSocketPort;
    expect(await c.login('carol', 'roaming')).toBe('carol@localhost/roaming');
    // long polling through the other instance: bob's message arrives on the held request
    await bob.send(xml('message', { to: 'carol@localhost/roaming', type: 'chat', id: 'fw1' }, xml('body', {}, 'through two gateways')));
    expect(await c.until(/through two gateways/)).toMatch(/id=["']fw1["']/);
    c.send(`<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='fw2'><body>back again</body></message>`);
    expect((await bob.waitFor((s) => s.attrs.id === 'fw2')).attrs.from).toBe('carol@localhost/roaming');
    expect((await c.terminate()).text).toContain(`type='terminate'`);
    // a sid naming an instance that does not exist: item-not-found
    expect((await post(other.webSocketPort, '/http-bind', `<body xmlns='${BOSH}' rid='9' sid='gw-nosuchone.abc'/>`)).text).toContain(`condition='item-not-found'`);
  });

  it('counts BOSH sessions against C2S_MAX_CONNECTIONS_PER_ADDRESS, and serves cross-origin pages only as WS_ALLOWED_ORIGINS says', async () => {
    const strict = await stack.startGateway({ C2S_MAX_CONNECTIONS_PER_ADDRESS: '1', C2S_CONNECTION_ALLOWLIST: '', WS_ALLOWED_ORIGINS: 'https://app.example' });
    const create = `<body xmlns='${BOSH}' rid='5' to='localhost' ver='1.6'/>`;
    const evil = await post(strict.webSocketPort, '/http-bind', create, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await post(strict.webSocketPort, '/http-bind', '', { origin: 'https://evil.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(preflight.status).toBe(403);
    const allowed = await post(strict.webSocketPort, '/http-bind', '', { origin: 'https://app.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    // a page the gateway served itself (/chat) is same-origin
    const own = await post(strict.webSocketPort, '/http-bind', '', { origin: `https://localhost:${strict.webSocketPort}`, 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(own.status).toBe(204);

    const first = await BoshClient.create(strict.webSocketPort);
    expect(first.created.text).toContain('<stream:features>');
    const second = await BoshClient.create(strict.webSocketPort);
    expect(second.created.text).toContain(`condition='remote-stream-error'`);
    expect(second.created.text).toMatch(/<stream:error><policy-violation/);
    // once the first session ends, the address may open another
    await first.terminate();
    const third = await BoshClient.create(strict.webSocketPort);
    expect(third.created.text).toContain('<stream:features>');
    await third.terminate();
  });

  it('publishes the WebSocket and BOSH endpoints in host-meta (XEP-0156), as XRD and as JSON', async () => {
    const xrd = await post(gw.webSocketPort, '/.well-known/host-meta', '', {}, 'GET');
    expect(xrd.status).toBe(200);
    expect(xrd.headers['access-control-allow-origin']).toBe('*');
    expect(xrd.text).toContain(`<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>`);
    expect(xrd.text).toContain(`<Link rel="urn:xmpp:alt-connections:websocket" href="wss://localhost:${gw.webSocketPort}/xmpp-websocket"/>`);
    expect(xrd.text).toContain(`<Link rel="urn:xmpp:alt-connections:xbosh" href="https://localhost:${gw.webSocketPort}/http-bind"/>`);
    const json = await post(gw.webSocketPort, '/.well-known/host-meta.json', '', {}, 'GET');
    expect(JSON.parse(json.text)).toEqual({
      links: [
        { rel: 'urn:xmpp:alt-connections:websocket', href: `wss://localhost:${gw.webSocketPort}/xmpp-websocket` },
        { rel: 'urn:xmpp:alt-connections:xbosh', href: `https://localhost:${gw.webSocketPort}/http-bind` },
      ],
    });
  });
});
