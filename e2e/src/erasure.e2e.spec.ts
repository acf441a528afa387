// End-to-end: deleting an account erases the user from every store, and the janitor can
// prove it: each owner (roster, offline, archive, upload, profile) confirms, `ctl erasures` shows the
// deletion fully confirmed, and the databases hold nothing of the user any more.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ErasuresResult } from '@parley/contracts';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, xml } from '@parley/testing-xmpp';
import { e2eUsers, E2EStack, ServiceName, startStack } from './stack';

const run = promisify(execFile);
const CTL = join(__dirname, '../../dist/services/gateway/src/cli/ctl.js');

describe('account erasure, confirmed by every owner', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  const users = e2eUsers('erasure password 1', () => gw.starttlsPort);

  const ctl = (args: string[]) =>
    run(process.execPath, [CTL, ...args], { env: { ...process.env, ...stack.busEnv('admin'), GATEWAY_DATABASE_URL: stack.gatewayDb.url } });
  const count = async (service: ServiceName, sql: string, params: unknown[]) => {
    const c = new Client({ connectionString: stack.serviceDbUrl(service) });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows[0].n as number;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    stack = await startStack('erasure');
    const env: Partial<Record<ServiceName, Record<string, string>>> = { janitor: { JANITOR_SWEEP_INTERVAL: '1h' }, upload: { UPLOAD_HTTP_PORT: '0', UPLOAD_DIR: join(stack.dataDir, 'uploads') } };
    await Promise.all((['roster', 'offline', 'archive', 'janitor', 'upload', 'profile'] as const).map((s) => stack.startService(s, env[s] ?? {})));
    gw = await stack.startGateway();
  });

  afterAll(async () => {
    await Promise.all(users.clients.map((c) => c.stop()));
    await stack?.stop();
  });

  it('erases roster, offline messages, archive and profile, and every owner confirms', async () => {
    const [dora, evan] = await users.accounts('dora', 'evan');
    const [doraJid, evanJid] = [dora, evan].map(users.jid);
    const d = await users.login(gw, dora);
    await d.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: evanJid }))));
    await d.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: 'urn:xmpp:mam:2', default: 'always' })));
    const slot = await d.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: 'urn:xmpp:http:upload:0', filename: 'dora.txt', size: '5', 'content-type': 'text/plain' })));
    const put = await fetch(slot.getChild('put')!.attrs.url, { method: 'PUT', body: 'hello', headers: { 'Content-Type': 'text/plain' } });
    expect(put.status).toBe(201);
    await d.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Dora'))));
    await d.stop();
    const e = await users.login(gw, evan);
    await e.send(xml('message', { to: doraJid, type: 'chat', id: 'left-for-dora' }, xml('body', {}, 'while you were away')));
    await waitFor(async () => (await count('offline', 'SELECT count(*)::int AS n FROM offline_message', [])) === 1, { what: 'the offline message stored' });
    expect(await count('roster', 'SELECT count(*)::int AS n FROM roster_item WHERE owner = $1', [doraJid])).toBe(1);

    await ctl(['account', 'delete', dora]);
    const done = await waitFor(
      async () => {
        const r: ErasuresResult = JSON.parse((await ctl(['erasures', '--json'])).stdout);
        return r.entries.find((x) => x.reason === 'admin' && x.missing.length === 0);
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every owner confirmed the erasure' },
    );
    expect(Object.keys(done.confirmed).sort()).toEqual(['archive', 'offline', 'profile', 'roster', 'upload']);
    expect(done.confirmed.profile.erased).toMatchObject({ vcards: 1 });
    expect(done.confirmed.offline.erased).toEqual({ messages: 1 });
    expect(done.confirmed.upload.erased).toEqual({ files: 1 });
    // Nothing pending, and nothing of the user left in any store.
    await expect(ctl(['erasures', '--pending'])).resolves.toMatchObject({ stdout: expect.stringContaining('0 deletion(s)') });
    expect(await count('offline', 'SELECT count(*)::int AS n FROM offline_message', [])).toBe(0);
    expect(await count('roster', 'SELECT count(*)::int AS n FROM roster_item WHERE owner = $1 OR contact = $1', [doraJid])).toBe(0);
    expect(await count('archive', 'SELECT count(*)::int AS n FROM archive_prefs WHERE jid = $1', [doraJid])).toBe(0);
    expect(await count('profile', 'SELECT count(*)::int AS n FROM vcards WHERE owner = $1', [doraJid])).toBe(0);
    expect(await count('janitor', 'SELECT count(*)::int AS n FROM account_activity WHERE jid = $1', [doraJid])).toBe(0);
    expect(await count('upload', 'SELECT count(*)::int AS n FROM upload_file WHERE user_jid = $1', [doraJid])).toBe(0);
  });
});
