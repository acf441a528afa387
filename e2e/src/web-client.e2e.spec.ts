// End-to-end: the built-in web client at /chat (Converse.js from the pinned npm package,
// served by the gateway's WebSocket listener) in Debian's chromium driven by
// playwright-core. A user logs in through the page's own login form over WebSocket, and
// another over BOSH (/chat?transport=bosh), a third in a browser whose WebSocket fails
// (the page falls back to BOSH); each chats with a user connected over TCP
// with @xmpp/client. Every request the page makes stays on the gateway (nothing from
// another host). Screenshots land in tmp/web-client/ (and in PARLEY_SHOTS when set).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, ConsoleMessage, Page } from 'playwright-core';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '..', '..');
const OUT = join(ROOT, 'tmp', 'web-client');
const WAIT = 30_000;
const START_LINE = 'window.converse.initialize(settings);';

function get(port: number, path: string): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, headers: { host: `localhost:${port}` } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: r.headers }));
    });
    req.on('error', rej);
    req.end();
  });
}

describe('the web client at /chat, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clients: TestClient[] = [];
  const consoleLines: string[] = [];
  const foreign: string[] = [];
  let bob: TestClient;

  /** Opens /chat in a fresh browser; the page's start script gets a probe plugin exposing `_converse` to the test. */
  const openChat = async (query: string, label: string, opts: { blockWebSocket?: boolean } = {}): Promise<Page> => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 800 } });
    contexts.push(context);
    // a network that breaks WebSocket: the handshake fails
    if (opts.blockWebSocket) await context.routeWebSocket(/./, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
    await context.route(/^https?:/, async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname !== 'localhost') {
        foreign.push(url.href);
        return route.abort('blockedbyclient');
      }
      if (url.pathname !== '/chat/start.js') return route.continue();
      // the server's start script, with the probe registered before it initializes Converse.js
      const original = await route.fetch();
      const text = await original.text();
      if (!text.includes(START_LINE)) throw new Error(`unexpected /chat/start.js: ${text}`);
      const probe = `window.converse.plugins.add('parley-probe', { initialize() { const c = this._converse; window.parley = { _converse: c, connected: false }; c.api.listen.on('connected', () => { window.parley.connected = true; }); } });
settings.whitelisted_plugins = ['parley-probe'];
${START_LINE}`;
      return route.fulfill({ response: original, body: text.replace(START_LINE, probe) });
    });
    const p = await context.newPage();
    p.setDefaultTimeout(WAIT);
    p.on('console', (m: ConsoleMessage) => consoleLines.push(`[${label}] ${m.type()}: ${m.text()}`));
    p.on('pageerror', (e: Error) => consoleLines.push(`[${label}] pageerror: ${e.message}`));
    await p.goto(`https://localhost:${gw.webSocketPort}/chat${query}`);
    return p;
  };

  /** Logs in through the page's login form, as a person would. */
  const logIn = async (p: Page, user: string) => {
    await p.fill('#converse-login-jid', user);
    await p.fill('#converse-login-password', PASSWORD);
    await p.click('converse-login-form button[type=submit]');
    await p.waitForFunction(() => {
      const g = globalThis as any;
      return g.parley?.connected === true && g.parley._converse.api.connection.connected() === true;
    }, undefined, { timeout: WAIT });
  };

  /** Opens a chat with bob, sends `text` from the message box, and waits for bob's reply to show. */
  const chatWithBob = async (p: Page, from: string, text: string, reply: string) => {
    await p.evaluate(() => (globalThis as any).parley._converse.api.chats.open('bob@localhost', {}, true));
    const box = p.locator('converse-chat textarea.chat-textarea');
    await box.fill(text);
    await box.press('Enter');
    const got = await bob.waitFor((s) => s.is('message') && s.getChildText('body') === text, `${from}'s message`, WAIT);
    expect(got.attrs.from).toMatch(new RegExp(`^${from}@localhost/`));
    await bob.send(xml('message', { to: got.attrs.from, type: 'chat', id: `r-${from}` }, xml('body', {}, reply)));
    await p.getByText(reply).waitFor({ timeout: WAIT });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the web client test needs Debian's chromium (apt-get install -y --no-install-recommends chromium; npm test installs it when run as root)`);
    }
    mkdirSync(OUT, { recursive: true });
    stack = await startStack('webclient');
    gw = await stack.startGateway({ REGISTRATION_LIMIT: '5' });
    await Promise.all([stack.startService('roster'), stack.startService('offline'), stack.startService('archive')]);
    for (const u of ['alice', 'bob', 'carol', 'dave']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    bob = await connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'desk' });
    clients.push(bob);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      timeout: WAIT,
    });
  }, 120_000);

  afterAll(async () => {
    if (existsSync(OUT)) {
      writeFileSync(join(OUT, 'console.log'), consoleLines.join('\n') + '\n');
      if (gw) writeFileSync(join(OUT, 'gateway.log'), gw.logs.join('\n') + '\n');
    }
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await Promise.all(clients.map((c) => c.stop()));
    await stack?.stop();
  }, 60_000);

  const shot = async (p: Page, name: string) => {
    await p.screenshot({ path: join(OUT, name) });
    if (process.env.PARLEY_SHOTS) {
      mkdirSync(process.env.PARLEY_SHOTS, { recursive: true });
      await p.screenshot({ path: join(process.env.PARLEY_SHOTS, name) });
    }
  };

  it('serves the page with a strict CSP and settings for this server (WebSocket, BOSH fallback)', async () => {
    const page = await get(gw.webSocketPort, '/chat');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp.split('; ')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("img-src 'self' data: blob:;");
    const settings = JSON.parse(/<script type="application\/json" id="parley-settings">(.*?)<\/script>/s.exec(page.text)![1]);
    expect(settings).toMatchObject({
      websocket_url: `wss://localhost:${gw.webSocketPort}/xmpp-websocket`,
      bosh_service_url: `https://localhost:${gw.webSocketPort}/http-bind`,
      locked_domain: 'localhost',
      assets_path: '/chat/dist/',
    });
    expect(page.text).not.toMatch(/<script>(?!<)/); // no inline script (the CSP would refuse it)
    expect((await get(gw.webSocketPort, '/chat/dist/converse.min.js')).status).toBe(200);
    expect((await get(gw.webSocketPort, '/chat/dist/../../package.json')).status).toBe(404);
    expect((await get(gw.webSocketPort, '/chat/dist/%2e%2e/package.json')).status).toBe(404);
  });

  it('logs in over WebSocket through the login form and chats with a TCP user', async () => {
    const p = await openChat('', 'alice');
    await logIn(p, 'alice');
    expect(await p.evaluate(() => (globalThis as any).parley._converse.api.connection.isType('websocket'))).toBe(true);
    await chatWithBob(p, 'alice', 'hello over websocket', 'bob answers websocket');
    await shot(p, 'chat.png');
  });

  it('logs in over BOSH (/chat?transport=bosh) and chats with a TCP user', async () => {
    const p = await openChat('?transport=bosh', 'carol');
    await logIn(p, 'carol');
    expect(await p.evaluate(() => (globalThis as any).parley._converse.api.connection.isType('bosh'))).toBe(true);
    await chatWithBob(p, 'carol', 'hello over bosh', 'bob answers bosh');
    await shot(p, 'chat-bosh.png');
  });

  it('falls back to BOSH when WebSocket fails, and chats with a TCP user', async () => {
    const p = await openChat('', 'dave', { blockWebSocket: true });
    await logIn(p, 'dave');
    expect(await p.evaluate(() => (globalThis as any).parley._converse.api.connection.isType('bosh'))).toBe(true);
    await chatWithBob(p, 'dave', 'hello after the fallback', 'bob answers the fallback');
  });

  it('loaded nothing from another host', () => {
    expect(foreign).toEqual([]);
  });
});
