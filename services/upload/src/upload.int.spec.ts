// The upload service in process against real NATS and Postgres (ServiceHarness), with
// its real HTTP listener on loopback and the filesystem store: slot validation and
// quotas (also under concurrent requests), the PUT life cycle (single use, aborted
// uploads, slots without a type), HEAD, the sweep and account deletion; and the HTTPS
// listener with a certificate of its own.
import { AccountDeletedV1, envelope, ERASURE_CONFIRMATIONS, EventEnvelope, GatewayEvents, UPLOAD_EVENTS, UploadEvents, UploadFilesResult, UploadSlotReplyV1, UploadSlotRequestV1, UploadStatsResult, UploadSubjects, UploadSweepResult } from '@parley/contracts';
import { ConsumerHandle } from '@parley/nats';
import { ServiceHarness } from '@parley/testing-service';
import { waitFor } from '@parley/testing-stack';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule, UPLOAD_BUS } from './app.module';
import { loadUploadConfig } from './config/config';
import { UploadHttp } from './http/upload-http';

/** A port of the task's range for the listener this spec starts. */
const HTTP_PORT = 18432;
const HTTPS_PORT = 18433;

describe('upload service (integration)', () => {
  let h: ServiceHarness;
  let dir: string;
  let observer: ConsumerHandle;
  let erasures: ConsumerHandle;
  const events: EventEnvelope<any>[] = [];

  const ask = (q: Partial<UploadSlotRequestV1>) => h.bus.request<UploadSlotReplyV1>(UploadSubjects.requestSlot, { user: 'alice@localhost', filename: 'a.bin', size: 10, ...q });
  const granted = async (q: Partial<UploadSlotRequestV1>) => {
    const r = await ask(q);
    if (!('slot' in r)) throw new Error(`refused: ${JSON.stringify(r.refused)}`);
    return r.slot;
  };
  const put = (url: string, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'application/octet-stream', ...headers } });
  const row = async (url: string) => (await h.sql('SELECT state, content_type FROM upload_file WHERE id = $1', [new URL(url).pathname.split('/')[1]]))[0];
  const fileOf = (url: string) => {
    const id = new URL(url).pathname.split('/')[1];
    return join(dir, id.slice(0, 2), id);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-upload-int-'));
    h = await ServiceHarness.create(
      { name: 'upload', databaseUrlVar: 'UPLOAD_DATABASE_URL', module: (env) => AppModule.forRoot(loadUploadConfig(env), env), bus: UPLOAD_BUS },
      {
        XMPP_DOMAIN: 'localhost',
        UPLOAD_HTTP_PORT: String(HTTP_PORT),
        UPLOAD_DIR: dir,
        UPLOAD_SECRET: 'int-spec-upload-secret-0123456789abcdef0123',
        UPLOAD_MAX_FILE_SIZE: '10KiB',
        UPLOAD_USER_QUOTA: '60KiB',
        UPLOAD_DISK_QUOTA: '100KiB',
        UPLOAD_SLOT_TTL: '2s',
      },
    );
    await h.get(UploadHttp).listen();
    observer = await h.bus.consume({ stream: UPLOAD_EVENTS, durable: 'spec-observer', filterSubjects: ['upload.evt.>'], handler: async (e) => void events.push(e) });
    erasures = await h.bus.consume({ stream: ERASURE_CONFIRMATIONS, durable: 'spec-erasures', filterSubjects: ['erasure.evt.>'], handler: async (e) => void events.push(e) });
  });
  afterAll(async () => {
    await observer?.stop();
    await erasures?.stop();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates requests: bad user, name, size, type and purpose', async () => {
    await expect(ask({ user: 'not a jid' })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
    expect(await ask({ filename: 'a/b' })).toEqual({ refused: { reason: 'not-acceptable', text: 'the file name holds a path separator' } });
    expect(await ask({ size: 0 })).toMatchObject({ refused: { reason: 'not-acceptable' } });
    expect(await ask({ size: 1.5 })).toMatchObject({ refused: { reason: 'not-acceptable' } });
    expect(await ask({ contentType: 'text' })).toMatchObject({ refused: { reason: 'not-acceptable' } });
    expect(await ask({ purpose: 'forever' as never })).toMatchObject({ refused: { reason: 'not-acceptable' } });
    expect(await ask({ size: 10 * 1024 + 1 })).toEqual({ refused: { reason: 'file-too-large', maxFileSize: 10 * 1024 } });
    const s = await granted({ user: 'Alice@LOCALHOST/desk' });
    expect(s.get).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${HTTP_PORT}/[A-Za-z0-9_-]{43}/a\\.bin$`));
    expect((await h.sql('SELECT user_jid FROM upload_file WHERE id = $1', [new URL(s.get).pathname.split('/')[1]]))[0].user_jid).toBe('alice@localhost');
  });

  it('never grants more than the quota, even to concurrent requests', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => ask({ user: 'quota@localhost', size: 10 * 1024 })));
    const ok = replies.filter((r) => 'slot' in r);
    expect(ok).toHaveLength(6);
    const refused = replies.find((r) => 'refused' in r) as { refused: { reason: string; scope: string; retryAt: string } };
    expect(refused.refused).toMatchObject({ reason: 'quota', scope: 'user' });
    // The slots expire after UPLOAD_SLOT_TTL (2s): that is when space comes back.
    expect(Date.parse(refused.refused.retryAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(refused.refused.retryAt)).toBeLessThan(Date.now() + 10_000);
  });

  it('serves HEAD, takes a PUT once, and keeps the PUT type when the slot named none', async () => {
    const body = Buffer.from('0123456789');
    const s = await granted({ user: 'typeless@localhost', size: 10 });
    const [a, b] = await Promise.all([put(s.put, body, { 'Content-Type': 'image/png' }), put(s.put, body, { 'Content-Type': 'image/png' })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(await row(s.put)).toEqual({ state: 'stored', content_type: 'image/png' });
    const head = await fetch(s.get, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('content-type')).toBe('image/png');
    expect(await head.text()).toBe('');
    expect((await fetch(s.get.replace('a.bin', 'b.bin'))).status).toBe(404);
    expect((await fetch(s.get, { method: 'DELETE' })).status).toBe(405);
  });

  it('lists a user\'s stored files for the data export, a page at a time, and nobody else\'s', async () => {
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await granted({ user: 'lister@localhost', filename: `f${i}.txt`, size: 3, contentType: 'text/plain', purpose: i === 2 ? 'profile' : undefined });
      expect((await put(s.put, Buffer.from('abc'), { 'Content-Type': 'text/plain' })).status).toBe(201);
      urls.push(s.get);
    }
    await granted({ user: 'lister@localhost', filename: 'never-put.txt', size: 3 }); // a slot, not a file
    const other = await granted({ user: 'someone@localhost', filename: 'theirs.txt', size: 3 });
    expect((await put(other.put, Buffer.from('xyz'))).status).toBe(201);
    const first = await h.bus.request<UploadFilesResult>(UploadSubjects.files, { user: 'Lister@localhost', limit: 2 });
    expect(first.files).toHaveLength(2);
    expect(first.next).toBeDefined();
    const second = await h.bus.request<UploadFilesResult>(UploadSubjects.files, { user: 'lister@localhost', limit: 2, after: first.next });
    expect(second.next).toBeUndefined();
    const all = [...first.files, ...second.files];
    expect(all.map((f) => f.url).sort()).toEqual([...urls].sort());
    expect(all.find((f) => f.name === 'f2.txt')).toMatchObject({ size: 3, contentType: 'text/plain', purpose: 'profile' });
    expect(Date.parse(all[0].expiresAt)).toBeGreaterThan(Date.parse(all[0].uploadedAt));
    await expect(h.bus.request(UploadSubjects.files, { user: 'lister@localhost', after: '../x' })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
  });

  it('releases the slot when the client goes away mid-upload: nothing is stored and the slot can be retried', async () => {
    const s = await granted({ user: 'flaky@localhost', size: 4096 });
    const req = request(s.put, { method: 'PUT', headers: { 'Content-Length': '4096', 'Content-Type': 'application/octet-stream' } });
    const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1000, 1));
    await waitFor(async () => (await row(s.put)).state === 'uploading', { what: 'the upload to start' });
    req.destroy();
    await closed;
    await waitFor(async () => (await row(s.put)).state === 'reserved', { what: 'the slot to be released' });
    expect(existsSync(fileOf(s.put))).toBe(false);
    expect(existsSync(`${fileOf(s.put)}.partial`)).toBe(false);
    expect((await put(s.put, Buffer.alloc(4096, 2))).status).toBe(201);
    expect(existsSync(fileOf(s.put))).toBe(true);
  });

  it('answers the janitor totals that match the stored files, with no JID', async () => {
    const [r] = await h.sql(`SELECT count(*)::int AS files, COALESCE(sum(size), 0)::float8 AS bytes FROM upload_file WHERE state = 'stored'`);
    expect(r.files).toBeGreaterThan(0);
    const totals = await h.bus.request<UploadStatsResult>(UploadSubjects.stats, {});
    expect(totals).toEqual({ files: r.files, bytes: r.bytes, storedToday: r.files });
    expect(JSON.stringify(totals)).not.toContain('@');
  });

  it('sweeps unused slots after they expired and publishes counts only', async () => {
    const s = await granted({ user: 'idle@localhost', size: 10 });
    await waitFor(() => Date.now() > Date.parse(s.putExpiresAt) + 50, { what: 'the slot to expire', intervalMs: 100 });
    const r = await h.bus.request<UploadSweepResult>(UploadSubjects.sweep, {});
    expect(r.slotsDeleted).toBeGreaterThanOrEqual(1);
    expect(await row(s.put)).toBeUndefined();
    const ev = await waitFor(() => events.find((e) => e.type === UploadEvents.swept), { what: 'upload.evt.swept' });
    expect(Object.keys(ev.data).sort()).toEqual(['bytesDeleted', 'cutoff', 'filesDeleted', 'retentionMs', 'slotsDeleted', 'trigger']);
    expect(JSON.stringify(ev)).not.toContain('idle@');
  });

  it('erases a deleted account\'s files and rows, idempotently', async () => {
    const s = await granted({ user: 'bob@localhost', size: 10 });
    expect((await put(s.put, Buffer.from('abcdefghij'))).status).toBe(201);
    const other = await granted({ user: 'carol@localhost', size: 10 });
    expect((await put(other.put, Buffer.from('abcdefghij'))).status).toBe(201);
    const gone = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'bob@localhost', reason: 'user' });
    await h.bus.publishEvent(gone);
    await h.bus.publishEvent(gone);
    await waitFor(async () => (await h.sql(`SELECT count(*)::int AS n FROM upload_file WHERE user_jid = 'bob@localhost'`))[0].n === 0, { what: 'bob erased' });
    expect(existsSync(fileOf(s.put))).toBe(false);
    expect((await fetch(s.get)).status).toBe(404);
    expect((await fetch(other.get)).status).toBe(200);
    // Confirmed once, with counts only (the replay publishes the same confirmation id).
    const confirmation = await waitFor(() => events.find((e) => e.type === 'erasure.evt.upload' && e.data.deletionId === gone.id), { what: 'the erasure confirmation' });
    expect(confirmation.data).toEqual({ owner: 'upload', deletionId: gone.id, erased: { files: 1 } });
    expect(JSON.stringify(confirmation)).not.toContain('bob');
  });
});

describe('upload service with its own certificate (HTTPS listener)', () => {
  let h: ServiceHarness;
  let dir: string;
  let cert: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-upload-tls-'));
    const selfsigned = await import('selfsigned');
    const generate = (selfsigned as unknown as { generate?: Function }).generate ?? (selfsigned as unknown as { default: { generate: Function } }).default.generate;
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      days: 1,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
    });
    cert = pems.cert;
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
    h = await ServiceHarness.create(
      { name: 'upload', databaseUrlVar: 'UPLOAD_DATABASE_URL', module: (env) => AppModule.forRoot(loadUploadConfig(env), env), bus: UPLOAD_BUS },
      {
        UPLOAD_HTTP_PORT: String(HTTPS_PORT),
        UPLOAD_HTTP_HOST: '127.0.0.1',
        UPLOAD_PUBLIC_URL: `https://localhost:${HTTPS_PORT}`,
        UPLOAD_TLS_CERT_FILE: join(dir, 'cert.pem'),
        UPLOAD_TLS_KEY_FILE: join(dir, 'key.pem'),
        UPLOAD_DIR: join(dir, 'files'),
      },
    );
    await h.get(UploadHttp).listen();
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const https = (url: string, method: string, body?: Buffer) =>
    new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = httpsRequest(url, { method, ca: cert, headers: body ? { 'Content-Length': String(body.length), 'Content-Type': 'text/plain' } : {} }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('hands out https URLs and serves them over TLS', async () => {
    const r = await h.bus.request<UploadSlotReplyV1>(UploadSubjects.requestSlot, { user: 'tls@localhost', filename: 'hello.txt', size: 5, contentType: 'text/plain' });
    if (!('slot' in r)) throw new Error('refused');
    expect(r.slot.get).toMatch(new RegExp(`^https://localhost:${HTTPS_PORT}/`));
    expect((await https(r.slot.put, 'PUT', Buffer.from('hello'))).status).toBe(201);
    const got = await https(r.slot.get, 'GET');
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('hello');
    // Plain HTTP on the TLS port gets nowhere.
    await expect(fetch(r.slot.get.replace('https:', 'http:'))).rejects.toBeDefined();
  });
});
