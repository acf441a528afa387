// End-to-end: XEP-0363 HTTP File Upload with real processes (gateway, upload service,
// NATS, Postgres), a real @xmpp/client client and real HTTP (node fetch): slots, PUT,
// GET, ranges, CORS, errors, quotas, tampered/expired/replayed slots, retention and
// account deletion; on the filesystem store and on an S3 store (s3rver on loopback).
import { UploadSubjects, UploadSweepResult } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import S3rver from 's3rver';
import { e2eUsers, E2EStack, startStack } from './stack';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery';
const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const NS_PURPOSE = 'urn:xmpp:http:upload:purpose:0';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SECRET = 'e2e-upload-secret-0123456789abcdef0123456789';
const WAIT = 30_000;
/** Ports of servers this suite starts itself (the task's range). */
const S3_PORT = 18420;

type El = Awaited<ReturnType<TestClient['iq']>>;
interface Slot {
  put: string;
  get: string;
  headers: Record<string, string>;
}

const request = (filename: string, size: number, contentType?: string, purpose?: string) =>
  xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: NS_UPLOAD, filename, size: String(size), 'content-type': contentType }, purpose ? xml(purpose, { xmlns: NS_PURPOSE }) : undefined));

async function slot(c: TestClient, filename: string, size: number, contentType?: string, purpose?: string): Promise<Slot> {
  const s = await c.iq(request(filename, size, contentType, purpose));
  const put = s.getChild('put')!;
  const headers = Object.fromEntries(put.getChildren('header').map((h: El) => [h.attrs.name, h.text()]));
  return { put: put.attrs.url, get: s.getChild('get')!.attrs.url, headers };
}

/** The `<error/>` of a refused IQ. */
async function refusal(c: TestClient, el: ReturnType<typeof request>): Promise<El> {
  try {
    await c.iq(el);
  } catch (e) {
    const err = (e as { element?: El }).element;
    if (err) return err;
    throw e;
  }
  throw new Error('expected an error');
}

const put = (s: Slot, body: Buffer, contentType = 'application/octet-stream', extra: Record<string, string> = {}) =>
  fetch(s.put, { method: 'PUT', body, headers: { 'Content-Type': contentType, ...s.headers, ...extra } });

function payload(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 256;
  return b;
}

async function rows(dbUrl: string, id: string): Promise<number> {
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  try {
    return (await pg.query('SELECT count(*)::int AS n FROM upload_file WHERE id = $1', [id])).rows[0].n;
  } finally {
    await pg.end();
  }
}
const idOf = (url: string) => new URL(url).pathname.split('/')[1];

describe('XEP-0363 HTTP File Upload, end to end (filesystem store)', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let dir: string;
  let users: ReturnType<typeof e2eUsers>;

  beforeAll(async () => {
    stack = await startStack('upload');
    dir = mkdtempSync(join(tmpdir(), 'parley-uploads-'));
    await stack.startService('upload', {
      UPLOAD_HTTP_PORT: '0',
      UPLOAD_DIR: dir,
      UPLOAD_SECRET: SECRET,
      UPLOAD_MAX_FILE_SIZE: '32KiB',
      UPLOAD_USER_QUOTA: '64KiB',
      UPLOAD_DISK_QUOTA: '1MiB',
      UPLOAD_ALLOWED_ORIGINS: 'https://web.example',
    });
    gw = await stack.startGateway({ UPLOAD_MAX_FILE_SIZE: '32KiB' });
    users = e2eUsers(PASSWORD, () => gw.starttlsPort);
  });
  afterEach(async () => {
    await Promise.all(users.clients.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is found through the server disco#items, with max-file-size in its disco#info', async () => {
    const [a] = await users.accounts('Disco');
    const c = await users.login(gw, a);
    const items = await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    expect(items.getChildren('item').map((i: El) => i.attrs.jid)).toContain('upload.localhost');
    const info = await c.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.getChildren('feature').map((f: El) => f.attrs.var)).toEqual(expect.arrayContaining([NS_UPLOAD, `${NS_PURPOSE}#message`]));
    const form = info.getChild('x', 'jabber:x:data');
    expect(form!.getChildren('field').find((f: El) => f.attrs.var === 'max-file-size')!.getChildText('value')).toBe(String(32 * 1024));
  });

  it('slot, PUT, then GET returns the same bytes with safe headers; the GET URL names no user', async () => {
    const [a] = await users.accounts('Romeo');
    const c = await users.login(gw, a);
    const body = payload(20_000);
    const s = await slot(c, 'my juliet.png', body.length, 'image/png');
    expect(s.get).not.toContain(a.toLowerCase());
    expect(s.put).not.toContain(a.toLowerCase());
    const r = await put(s, body, 'image/png');
    expect(r.status).toBe(201);
    const g = await fetch(s.get);
    expect(g.status).toBe(200);
    expect(Buffer.from(await g.arrayBuffer()).equals(body)).toBe(true);
    expect(g.headers.get('content-type')).toBe('image/png');
    expect(g.headers.get('content-length')).toBe(String(body.length));
    expect(g.headers.get('x-content-type-options')).toBe('nosniff');
    expect(g.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(g.headers.get('content-disposition')).toMatch(/^inline; filename="my juliet.png"/);
    expect(g.headers.get('accept-ranges')).toBe('bytes');

    // A type that must not render inline is served as an attachment.
    const html = Buffer.from('<script>alert(1)</script>');
    const h = await slot(c, 'page.html', html.length, 'text/html');
    expect((await put(h, html, 'text/html')).status).toBe(201);
    const gh = await fetch(h.get);
    expect(gh.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(await gh.text()).toBe(html.toString());
  });

  it('serves byte ranges (206, 416)', async () => {
    const [a] = await users.accounts('Ranger');
    const c = await users.login(gw, a);
    const body = payload(1000, 3);
    const s = await slot(c, 'r.bin', body.length);
    expect((await put(s, body)).status).toBe(201);
    const part = await fetch(s.get, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);
    const tail = await fetch(s.get, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(body.subarray(990))).toBe(true);
    const bad = await fetch(s.get, { headers: { Range: 'bytes=5000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */1000');
  });

  it('answers CORS preflights and sends CORS headers to allowed origins only', async () => {
    const [a] = await users.accounts('Webby');
    const c = await users.login(gw, a);
    const body = payload(10);
    const s = await slot(c, 'w.txt', body.length, 'text/plain');
    const pre = await fetch(s.put, { method: 'OPTIONS', headers: { Origin: 'https://web.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://web.example');
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/PUT/);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Content-Type/i);
    const r = await put(s, body, 'text/plain', { Origin: 'https://web.example' });
    expect(r.status).toBe(201);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://web.example');
    const g = await fetch(s.get, { headers: { Origin: 'https://web.example' } });
    expect(g.headers.get('access-control-allow-origin')).toBe('https://web.example');
    const other = await fetch(s.get, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses too large files with file-too-large, bad names with not-acceptable, and a full quota with retry', async () => {
    const [a] = await users.accounts('Greedy');
    const c = await users.login(gw, a);
    const big = await refusal(c, request('big.bin', 32 * 1024 + 1));
    expect(big.attrs.type).toBe('modify');
    expect(big.getChild('not-acceptable', STANZAS)).toBeDefined();
    expect(big.getChild('file-too-large', NS_UPLOAD)!.getChildText('max-file-size')).toBe(String(32 * 1024));
    const name = await refusal(c, request('../etc/passwd', 10));
    expect(name.getChild('not-acceptable', STANZAS)).toBeDefined();
    const type = await refusal(c, request('a.txt', 10, 'not a type'));
    expect(type.getChild('not-acceptable', STANZAS)).toBeDefined();

    await slot(c, 'one.bin', 30 * 1024);
    await slot(c, 'two.bin', 30 * 1024);
    const full = await refusal(c, request('three.bin', 30 * 1024));
    expect(full.attrs.type).toBe('wait');
    expect(full.getChild('resource-constraint', STANZAS)).toBeDefined();
    const stamp = full.getChild('retry', NS_UPLOAD)!.attrs.stamp;
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(stamp)).toBeGreaterThan(Date.now());
    // Another user's quota is their own.
    const [b] = await users.accounts('Modest');
    const d = await users.login(gw, b);
    await expect(slot(d, 'fine.bin', 30 * 1024)).resolves.toBeDefined();
  });

  it('refuses tampered, mismatched and replayed PUTs with 4xx and stores nothing; a second PUT never replaces a file', async () => {
    const [a] = await users.accounts('Mallory');
    const c = await users.login(gw, a);
    const body = payload(500, 11);
    const s = await slot(c, 'doc.bin', body.length, 'application/octet-stream');
    const u = new URL(s.put);
    const tamper = (k: string, v: string) => {
      const t = new URL(u);
      t.searchParams.set(k, v);
      return { ...s, put: t.toString() };
    };
    expect((await put(tamper('sig', '0'.repeat(64)), body)).status).toBe(403);
    expect((await put(tamper('expires', String(Number(u.searchParams.get('expires')) + 3600)), body)).status).toBe(403);
    expect((await put({ ...s, put: s.put.replace('doc.bin', 'other.bin') }, body)).status).toBe(403);
    expect((await put(s, payload(400))).status).toBe(400);
    expect((await put(s, payload(600))).status).toBe(413);
    expect((await put(s, body, 'text/html')).status).toBe(415);
    expect((await fetch(s.get)).status).toBe(404);
    // The real PUT still works after all of those, once.
    expect((await put(s, body)).status).toBe(201);
    expect((await put(s, payload(500, 99))).status).toBe(409);
    expect(Buffer.from(await (await fetch(s.get)).arrayBuffer()).equals(body)).toBe(true);
  });

  it('deletes a user\'s files and rows when the account is deleted', async () => {
    const [a] = await users.accounts('Leaving');
    const c = await users.login(gw, a);
    const body = payload(1234);
    const s = await slot(c, 'bye.bin', body.length);
    expect((await put(s, body)).status).toBe(201);
    const id = idOf(s.get);
    expect(existsSync(join(dir, id.slice(0, 2), id))).toBe(true);
    await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    await waitFor(async () => (await rows(stack.serviceDbUrl('upload'), id)) === 0, { what: 'upload rows erased', timeoutMs: WAIT });
    expect(existsSync(join(dir, id.slice(0, 2), id))).toBe(false);
    expect((await fetch(s.get)).status).toBe(404);
  });
});

describe('XEP-0363 end to end on an S3 store, with short retention and slot lifetimes', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let s3: S3rver;
  let s3dir: string;
  let bus: Bus;
  let users: ReturnType<typeof e2eUsers>;

  beforeAll(async () => {
    stack = await startStack('upload_s3');
    s3dir = mkdtempSync(join(tmpdir(), 'parley-s3rver-'));
    s3 = new S3rver({ address: '127.0.0.1', port: S3_PORT, silent: true, directory: s3dir, configureBuckets: [{ name: 'uploads' }] });
    await s3.run();
    await stack.startService('upload', {
      UPLOAD_HTTP_PORT: '0',
      UPLOAD_SECRET: SECRET,
      UPLOAD_STORAGE: 's3',
      UPLOAD_S3_ENDPOINT: `http://127.0.0.1:${S3_PORT}`,
      UPLOAD_S3_BUCKET: 'uploads',
      UPLOAD_S3_ACCESS_KEY_ID: 'S3RVER',
      UPLOAD_S3_SECRET_ACCESS_KEY: 'S3RVER',
      UPLOAD_RETENTION: '4s',
      UPLOAD_EPHEMERAL_RETENTION: '4s',
      UPLOAD_SLOT_TTL: '4s',
    });
    gw = await stack.startGateway();
    users = e2eUsers(PASSWORD, () => gw.starttlsPort);
    bus = await Bus.connect(stack.busOptions('upload-e2e'));
  });
  afterEach(async () => {
    await Promise.all(users.clients.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
    await s3?.close();
    rmSync(s3dir, { recursive: true, force: true });
  });

  const objectExists = (id: string) => existsSync(join(s3dir, 'uploads', id)) || readdirSync(join(s3dir, 'uploads')).some((f) => f.startsWith(id));

  it('stores and serves through S3; the sweep deletes the file and its row once retention ran out', async () => {
    const [a] = await users.accounts('Juliet');
    const c = await users.login(gw, a);
    const body = payload(5000, 5);
    const s = await slot(c, 'balcony.jpg', body.length, 'image/jpeg');
    expect((await put(s, body, 'image/jpeg')).status).toBe(201);
    const g = await fetch(s.get, { headers: { Range: 'bytes=0-9' } });
    expect(g.status).toBe(206);
    expect(Buffer.from(await g.arrayBuffer()).equals(body.subarray(0, 10))).toBe(true);
    const id = idOf(s.get);
    expect(objectExists(id)).toBe(true);
    // Served until the retention runs out, then not any more, before any sweep.
    await waitFor(async () => (await fetch(s.get)).status === 404, { what: 'the file to expire', timeoutMs: WAIT, intervalMs: 250 });
    expect(await rows(stack.serviceDbUrl('upload'), id)).toBe(1);
    const r = await bus.request<UploadSweepResult>(UploadSubjects.sweep, {});
    expect(r.filesDeleted).toBeGreaterThanOrEqual(1);
    expect(await rows(stack.serviceDbUrl('upload'), id)).toBe(0);
    expect(objectExists(id)).toBe(false);
  });

  it('refuses an expired slot with 403 and stores nothing', async () => {
    const [a] = await users.accounts('Late');
    const c = await users.login(gw, a);
    const body = payload(100);
    const s = await slot(c, 'late.bin', body.length, undefined, 'ephemeral');
    const expires = Number(new URL(s.put).searchParams.get('expires')) * 1000;
    await waitFor(() => Date.now() > expires + 100, { what: 'the slot to expire', timeoutMs: WAIT, intervalMs: 100 });
    const r = await put(s, body);
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/expired/);
    expect((await fetch(s.get)).status).toBe(404);
    expect(objectExists(idOf(s.get))).toBe(false);
  });

  it('deletes the S3 objects of a deleted account', async () => {
    const [a] = await users.accounts('Gone');
    const c = await users.login(gw, a);
    const body = payload(300);
    const s = await slot(c, 'x.bin', body.length, undefined, 'profile');
    expect((await put(s, body)).status).toBe(201);
    const id = idOf(s.get);
    expect(objectExists(id)).toBe(true);
    await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    await waitFor(async () => (await rows(stack.serviceDbUrl('upload'), id)) === 0, { what: 'upload rows erased', timeoutMs: WAIT });
    expect(objectExists(id)).toBe(false);
  });
});
