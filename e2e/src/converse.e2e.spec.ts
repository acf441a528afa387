// End-to-end with a real web client: Converse.js (from node_modules, served on
// loopback) in Debian's chromium driven by playwright-core, logging in to a gateway
// that runs with the development defaults of `npm start` (WebSocket on, self-signed
// certificate, TLS required; only the ports are the OS's), with the roster, offline and
// archive services running.
// It proves that Converse.js logs in over wss, adds a contact and shows and accepts a
// contact request (subscriptions with TCP users), chats with a TCP user both ways, and
// that a fresh browser gets the roster from the server. Artifacts (screenshots, the
// browser console with every stanza, the gateway log) land in tmp/converse/.
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { Browser, BrowserContext, chromium, ConsoleMessage, Page } from 'playwright-core';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '..', '..');
const CONVERSE_DIST = join(ROOT, 'node_modules', 'converse.js', 'dist');
const OUT = join(ROOT, 'tmp', 'converse');
const WAIT = 30_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

/** The page: Converse.js (an ES module bundle since 11) with a probe plugin exposing `_converse` to the test. */
function page(settings: Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Parley + Converse.js</title>
<link rel="stylesheet" href="/dist/converse.min.css">
<script type="module" src="/dist/converse.min.js"></script>
</head>
<body class="converse-fullscreen">
<script type="module">
converse.plugins.add('parley-probe', {
  initialize() {
    const _converse = this._converse;
    window.parley = { _converse, connected: false };
    _converse.api.listen.on('connected', () => { window.parley.connected = true; });
  },
});
converse.initialize(${JSON.stringify(settings)});
</script>
</body>
</html>`;
}

/** A loopback-only HTTP server: `/` is the page for `?user=`, `/dist/*` Converse.js's dist files. */
async function serve(settingsFor: (user: string) => Record<string, unknown>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
      res.end(page(settingsFor(url.searchParams.get('user') ?? '')));
      return;
    }
    if (url.pathname.startsWith('/dist/')) {
      const file = normalize(join(CONVERSE_DIST, decodeURIComponent(url.pathname.slice('/dist/'.length))));
      if (file.startsWith(CONVERSE_DIST + sep) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        createReadStream(file).pipe(res);
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('Converse.js in chromium, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let http: { server: Server; url: string };
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clients: TestClient[] = [];
  const consoleLines: string[] = [];
  let converse: Page;
  let bob: TestClient;
  /** Where Converse.js connects: the gateway's default WS_PATH, as `npm start` serves it. */
  const webSocketUrl = () => `wss://localhost:${gw.webSocketPort}/xmpp-websocket`;

  const openConverse = async (user: string, label: string): Promise<Page> => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 800 } });
    contexts.push(context);
    // loopback only: anything else the page asks for (Converse.js's login screen shows
    // sponsor logos from conversejs.org) is refused and noted in the console log
    await context.route(/^https?:/, (route) => {
      const host = new URL(route.request().url()).hostname;
      if (host === '127.0.0.1' || host === 'localhost') return route.continue();
      consoleLines.push(`[${label}] refused non-loopback request: ${route.request().url()}`);
      return route.abort('blockedbyclient');
    });
    const p = await context.newPage();
    p.setDefaultTimeout(WAIT);
    p.on('console', (m: ConsoleMessage) => consoleLines.push(`[${label}] ${m.type()}: ${m.text()}`));
    p.on('pageerror', (e: Error) => consoleLines.push(`[${label}] pageerror: ${e.message}`));
    p.on('response', (r) => {
      if (r.status() >= 400) consoleLines.push(`[${label}] http ${r.status()}: ${r.url()}`);
    });
    p.on('requestfailed', (r) => consoleLines.push(`[${label}] requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await p.goto(`${http.url}/?user=${user}`);
    return p;
  };

  /** Waits until Converse.js reports the XMPP connection up (its `connected` event and API). */
  const loggedIn = (p: Page) => p.waitForFunction(() => {
    const g = globalThis as any;
    return g.parley?.connected === true && g.parley._converse.api.connection.connected() === true;
  }, undefined, { timeout: WAIT });

  beforeAll(async () => {
    // A missing browser is a failure, never a skip: `npm test` installs Debian's chromium
    // (scripts/ensure-chromium.sh); elsewhere install it with
    // `apt-get install -y --no-install-recommends chromium`.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the Converse.js browser test needs Debian's chromium (apt-get install -y --no-install-recommends chromium; npm test installs it when run as root)`);
    }
    if (!existsSync(join(CONVERSE_DIST, 'converse.min.js'))) throw new Error(`${CONVERSE_DIST}/converse.min.js not found: run npm ci`);
    mkdirSync(OUT, { recursive: true });
    stack = await startStack('converse');
    // the development defaults of `npm start`: only the ports (and, for isolation, the
    // data directory, NATS namespace and databases) differ; spawnGateway's test-only
    // registration limit goes back to the default too.
    gw = await stack.startGateway({ REGISTRATION_LIMIT: '5' });
    // every service `npm start` runs (Converse.js uses the roster, and asks the archive)
    await Promise.all([stack.startService('roster'), stack.startService('offline'), stack.startService('archive')]);
    for (const u of ['alice', 'bob', 'carol']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    http = await serve((user) => ({
      websocket_url: webSocketUrl(),
      authentication: 'login',
      auto_login: true,
      jid: `${user}@localhost`,
      password: PASSWORD,
      domain_placeholder: 'localhost',
      locked_domain: 'localhost',
      assets_path: '/dist/',
      view_mode: 'fullscreen',
      discover_connection_methods: false,
      whitelisted_plugins: ['parley-probe'],
      play_sounds: false,
      show_desktop_notifications: false,
      loglevel: 'debug',
    }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      timeout: WAIT,
    });
  }, 120_000);

  afterAll(async () => {
    if (converse) await converse.screenshot({ path: join(OUT, 'converse.png'), fullPage: true }).catch(() => undefined);
    if (existsSync(OUT)) {
      writeFileSync(join(OUT, 'console.log'), consoleLines.join('\n') + '\n');
      if (gw) writeFileSync(join(OUT, 'gateway.log'), gw.logs.join('\n') + '\n');
    }
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await Promise.all(clients.map((c) => c.stop()));
    await new Promise((r) => (http ? http.server.close(r) : r(undefined)));
    await stack?.stop();
  }, 60_000);

  it('runs the gateway as `npm start` does, at the web-client address the README documents', () => {
    // the README's address for web clients, with the port this gateway got
    const documented = readFileSync(join(ROOT, 'README.md'), 'utf8').match(/wss:\/\/localhost:(\d+)(\/[\w\-./]*)/);
    expect(documented?.slice(1)).toEqual(['5281', '/xmpp-websocket']);
    expect(new URL(webSocketUrl()).pathname).toBe(documented![2]);
    // `npm start` (scripts/start.sh, scripts/run-all.mjs) sets no gateway option but its
    // health port, and nothing this test process passes on changes the WebSocket or TLS defaults
    for (const f of ['scripts/start.sh', 'scripts/run-all.mjs']) expect(readFileSync(join(ROOT, f), 'utf8')).not.toMatch(/\b(WS_|TLS_|C2S_HOST)/);
    for (const k of ['WS_PATH', 'WS_BEHIND_TLS_PROXY', 'TLS_REQUIRED', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'XMPP_DOMAIN']) expect(process.env[k]).toBeUndefined();
  });

  it('logs in over wss with the development certificate', async () => {
    converse = await openConverse('alice', 'alice');
    await loggedIn(converse);
    expect(await converse.evaluate(() => (globalThis as any).parley._converse.api.user.jid())).toMatch(/^alice@localhost\/.+/);
    // the control box shows the user, online
    await converse.locator('.userinfo .username', { hasText: 'alice' }).waitFor();
    await converse.locator('.xmpp-status [data-value="online"]').waitFor();
  }, 60_000);

  it('adds a contact in the UI; the TCP user approves and asks back: mutual subscription, contact online', async () => {
    bob = await connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'desk' });
    clients.push(bob);
    // as real clients do: approvals and pushes go to resources that asked for the roster (RFC 6121 §2.2, §3.1.6)
    await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), WAIT);
    await converse.locator('converse-dropdown', { has: converse.locator('a.add-contact') }).locator('.dropdown-toggle').click();
    await converse.locator('a.add-contact').click();
    const modal = converse.locator('converse-add-contact-modal');
    await modal.locator('input[name="jid"]').fill('bob@localhost');
    await modal.locator('input[name="name"]').fill('Bob');
    await modal.locator('button[type="submit"]').click();

    await bob.waitFor((s) => s.is('presence') && s.attrs.from === 'alice@localhost' && s.attrs.type === 'subscribe', 'subscribe from alice', WAIT);
    const before = bob.received.length;
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    // Converse.js approves a subscription request from a contact it is subscribed to by itself
    await bob.waitFor((s) => bob.received.indexOf(s) >= before && s.is('presence') && s.attrs.from === 'alice@localhost' && s.attrs.type === 'subscribed', 'subscribed from alice', WAIT);

    const contact = converse.locator('li.current-xmpp-contact.both[data-status="online"]', { has: converse.locator('[data-jid="bob@localhost"]') });
    await contact.waitFor();
    await expect(contact.locator('.contact-name').textContent()).resolves.toContain('Bob');

    // the server has it: Bob's roster says both, and Alice's presence reached Bob
    const roster = await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), WAIT);
    expect(roster.getChildren('item').map((i) => `${i.attrs.jid} ${i.attrs.subscription}`)).toEqual(['alice@localhost both']);
    await bob.waitFor((s) => s.is('presence') && (s.attrs.from ?? '').startsWith('alice@localhost/') && s.attrs.type === undefined, 'presence from alice', WAIT);
  }, 60_000);

  it('shows a contact request from a TCP user and accepts it in the UI', async () => {
    const carol = await connectClient({ port: gw.starttlsPort, username: 'carol', password: PASSWORD, resource: 'desk' });
    clients.push(carol);
    await carol.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), WAIT);
    await carol.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));

    const request = converse.locator('li.requesting-xmpp-contact', { has: converse.locator('[data-jid="carol@localhost"]') });
    await request.waitFor();
    await request.locator('.dropdown-toggle').click();
    await request.locator('.accept-xmpp-request').click();
    const modal = converse.locator('converse-accept-contact-request-modal');
    await modal.locator('input[name="name"]').fill('Carol');
    await modal.locator('button[type="submit"]').click();

    await carol.waitFor((s) => s.is('presence') && s.attrs.from === 'alice@localhost' && s.attrs.type === 'subscribed', 'subscribed from alice', WAIT);
    await carol.waitFor((s) => s.is('presence') && (s.attrs.from ?? '').startsWith('alice@localhost/') && s.attrs.type === undefined, 'presence from alice', WAIT);
    const roster = await carol.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), WAIT);
    expect(roster.getChildren('item').map((i) => `${i.attrs.jid} ${i.attrs.subscription}`)).toEqual(['alice@localhost to']);
    // Converse.js 14.0.0 means to ask back here (`contact.authorize().subscribe()` in its
    // accept-contact-request modal), but `subscribe()` there is its model's event API, not
    // `subscribeToPresence()`: no <presence type='subscribe'/> is sent, so Carol stays a
    // pending contact ('from') on Alice's side. A Converse.js bug, not asserted either way.
    await converse.locator('li.pending-xmpp-contact', { has: converse.locator('[data-jid="carol@localhost"]') }).waitFor();
  }, 60_000);

  it('chats with the TCP user both ways from the Converse.js UI', async () => {
    await converse.locator('li.current-xmpp-contact a.open-chat[data-jid="bob@localhost"]').click();
    const chat = converse.locator('converse-chat[jid="bob@localhost"]');
    const textarea = chat.locator('textarea.chat-textarea');
    await textarea.fill('hello from converse');
    await textarea.press('Enter');
    const got = await bob.waitFor((s) => s.is('message') && s.getChildText('body') === 'hello from converse', 'message from converse', WAIT);
    expect(got.attrs.from).toMatch(/^alice@localhost\/.+/);
    expect(got.attrs.type).toBe('chat');
    // Converse shows its own message once sent
    await chat.locator('.chat-msg__text', { hasText: 'hello from converse' }).waitFor();

    await bob.send(xml('message', { to: got.attrs.from, type: 'chat', id: 'bob-reply-1' }, xml('body', {}, 'hello from tcp')));
    await chat.locator('.chat-msg__text', { hasText: 'hello from tcp' }).waitFor();
  }, 60_000);

  it('a fresh browser (no cached roster) gets the roster from the server', async () => {
    const fresh = await openConverse('alice', 'alice-fresh');
    await loggedIn(fresh);
    await fresh.locator('li.current-xmpp-contact.both', { has: fresh.locator('[data-jid="bob@localhost"]') }).waitFor();
    await expect(fresh.locator('li.current-xmpp-contact [data-jid="bob@localhost"] .contact-name').textContent()).resolves.toContain('Bob');
    await fresh.screenshot({ path: join(OUT, 'converse-fresh.png'), fullPage: true });
  }, 60_000);
});
