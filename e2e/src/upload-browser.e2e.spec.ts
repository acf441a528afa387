// End-to-end: a web client's view of XEP-0363 uploads, in Debian's chromium (driven by
// playwright-core): a page on another origin PUTs a file to a slot (a CORS preflight,
// since the type is not a "simple" one), reads it back with fetch (whole and by range),
// shows it in an <img>, and a page on an origin that is not allowed is refused by the
// browser. The slot comes from a real XMPP client through the gateway, as a web client
// would ask over its WebSocket.
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { existsSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { Browser, chromium, Page } from 'playwright-core';
import { e2eUsers, E2EStack, startStack } from './stack';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery';
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const WAIT = 30_000;
/** Pages on two origins (ports of the task's range): the first is allowed to use uploads, the second is not. */
const ALLOWED_PORT = 18450;
const OTHER_PORT = 18451;
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

function pageServer(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end('<!doctype html><html><head><title>upload probe</title></head><body></body></html>');
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function slot(c: TestClient, filename: string, size: number, contentType: string): Promise<{ put: string; get: string }> {
  const s = await c.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: NS_UPLOAD, filename, size: String(size), 'content-type': contentType })));
  return { put: s.getChild('put')!.attrs.url, get: s.getChild('get')!.attrs.url };
}

describe('XEP-0363 uploads from a web page (chromium, CORS)', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let browser: Browser;
  let pages: Server[] = [];
  let users: ReturnType<typeof e2eUsers>;

  const open = async (port: number): Promise<Page> => {
    const p = await browser.newPage();
    p.setDefaultTimeout(WAIT);
    await p.goto(`http://127.0.0.1:${port}/`);
    return p;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y --no-install-recommends chromium)`);
    pages = await Promise.all([pageServer(ALLOWED_PORT), pageServer(OTHER_PORT)]);
    stack = await startStack('upload_web');
    await stack.startService('upload', { UPLOAD_HTTP_PORT: '0', UPLOAD_DIR: `${stack.dataDir}/uploads`, UPLOAD_ALLOWED_ORIGINS: `http://127.0.0.1:${ALLOWED_PORT}` });
    gw = await stack.startGateway();
    users = e2eUsers(PASSWORD, () => gw.starttlsPort);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      timeout: WAIT,
    });
  }, 120_000);
  afterEach(async () => {
    await Promise.all(users.clients.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await Promise.all(pages.map((s) => new Promise((r) => s.close(r))));
  });

  it('PUTs through a preflight, reads back whole and by range, and shows the image', async () => {
    const [a] = await users.accounts('Webber');
    const c = await users.login(gw, a);
    const s = await slot(c, 'pixel.png', PNG.length, 'image/png');
    const page = await open(ALLOWED_PORT);
    const r = await page.evaluate(
      async ({ put, get, bytes }) => {
        const body = new Uint8Array(bytes);
        const up = await fetch(put, { method: 'PUT', body, headers: { 'Content-Type': 'image/png' } });
        const down = await fetch(get);
        const got = new Uint8Array(await down.arrayBuffer());
        const part = await fetch(get, { headers: { Range: 'bytes=1-3' } });
        // Evaluated in the page: the DOM is there, though this file is typed for Node.
        const doc = (globalThis as any).document;
        const img = doc.createElement('img');
        img.src = get;
        doc.body.append(img);
        await img.decode();
        return {
          put: up.status,
          get: down.status,
          same: got.length === body.length && got.every((b, i) => b === body[i]),
          type: down.headers.get('content-type'),
          disposition: down.headers.get('content-disposition'),
          partStatus: part.status,
          part: Array.from(new Uint8Array(await part.arrayBuffer())),
          width: img.naturalWidth,
        };
      },
      { put: s.put, get: s.get, bytes: Array.from(PNG) },
    );
    expect(r).toEqual({ put: 201, get: 200, same: true, type: 'image/png', disposition: expect.stringMatching(/^inline;/), partStatus: 206, part: Array.from(PNG.subarray(1, 4)), width: 1 });
    await page.close();
  });

  it('is refused by the browser on an origin that is not allowed', async () => {
    const [a] = await users.accounts('Stranger');
    const c = await users.login(gw, a);
    const s = await slot(c, 'x.png', PNG.length, 'image/png');
    const page = await open(OTHER_PORT);
    const r = await page.evaluate(async ({ put, bytes }) => {
      try {
        await fetch(put, { method: 'PUT', body: new Uint8Array(bytes), headers: { 'Content-Type': 'image/png' } });
        return 'sent';
      } catch (e) {
        return `refused: ${(e as Error).name}`;
      }
    }, { put: s.put, bytes: Array.from(PNG) });
    expect(r).toBe('refused: TypeError');
    await page.close();
    // Nothing was stored: the preflight failed, so the PUT never went out.
    expect((await fetch(s.get)).status).toBe(404);
  });
});
