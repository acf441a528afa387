// End-to-end: a user's data export (GDPR Art. 15/20) with `npm run ctl -- export`,
// collected from the real roster, offline, archive, upload and profile services over the bus: the
// bundle holds everything the user stored and nothing of anyone else.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseXml } from '@parley/xml';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { e2eUsers, E2EStack, startStack } from './stack';

const run = promisify(execFile);
const CTL = join(__dirname, '../../dist/services/gateway/src/cli/ctl.js');
const NS_MAM = 'urn:xmpp:mam:2';

describe('data export (ctl export), end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  const users = e2eUsers('export password 1', () => gw.starttlsPort);
  const out = mkdtempSync(join(tmpdir(), 'parley-export-'));

  const ctl = (args: string[]) =>
    run(process.execPath, [CTL, ...args], { env: { ...process.env, ...stack.busEnv('gateway'), GATEWAY_DATABASE_URL: stack.gatewayDb.url } });

  beforeAll(async () => {
    stack = await startStack('export');
    await Promise.all([stack.startService('roster'), stack.startService('offline'), stack.startService('archive'), stack.startService('profile'), stack.startService('janitor', { JANITOR_SWEEP_INTERVAL: '1h' }), stack.startService('upload', { UPLOAD_HTTP_PORT: '0', UPLOAD_DIR: join(out, 'uploads') })]);
    gw = await stack.startGateway();
  });

  afterAll(async () => {
    await Promise.all(users.clients.map((c) => c.stop()));
    await stack?.stop();
  });

  const say = async (from: TestClient, to: string, body: string) => from.send(xml('message', { to, type: 'chat', id: `m-${body}` }, xml('body', {}, body)));

  it("writes the user's roster, block list, archive, offline messages, uploads and profile, and nobody else's", async () => {
    const [alice, bob, carol] = await users.accounts('alice', 'bob', 'carol');
    const [aliceJid, bobJid, carolJid] = [alice, bob, carol].map(users.jid);
    const a = await users.login(gw, alice);
    const b = await users.login(gw, bob);
    const c = await users.login(gw, carol);
    await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bobJid, name: 'Bobby' }, xml('group', {}, 'Friends')))));
    await a.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'spammer@example.net' }))));
    await a.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS_MAM, default: 'always' })));
    await a.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice Export'))));
    await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:private' }, xml('prefs', { xmlns: 'urn:example:prefs' }, 'kept private'))));
    await a.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('publish', { node: 'http://jabber.org/protocol/nick' }, xml('item', { id: 'current' }, xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Ally'))))));
    // Archived while alice is online (retried until her gateway applies her new preferences).
    await waitFor(
      async () => {
        await say(b, aliceJid, 'archived hello');
        const page = await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM })));
        void page;
        return a.received.some((s) => s.is('message') && s.getChild('result', NS_MAM)?.toString().includes('archived hello'));
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "bob's message in alice's archive" },
    );
    // A file alice uploaded (XEP-0363), and one of carol's that must not appear.
    const upload = async (who: TestClient, name: string) => {
      const slot = await who.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: 'urn:xmpp:http:upload:0', filename: name, size: '4', 'content-type': 'text/plain' })));
      expect((await fetch(slot.getChild('put')!.attrs.url, { method: 'PUT', body: 'data', headers: { 'Content-Type': 'text/plain' } })).status).toBe(201);
      return slot.getChild('get')!.attrs.url as string;
    };
    const aliceFile = await upload(a, 'alice notes.txt');
    await upload(c, 'carol private.txt');
    // Someone else's conversation: must not appear in alice's export.
    await say(c, bobJid, 'carol secret to bob');
    await b.waitFor((s) => s.is('message') && s.getChildText('body') === 'carol secret to bob');
    await a.stop();
    await say(b, aliceJid, 'stored while away');
    await waitFor(async () => (await ctl(['export', alice, '--out', out])).stdout.includes('.json') && readFileSync(join(out, `${aliceJid}.json`), 'utf8').includes('stored while away'), {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: 'the offline message in the export',
    });

    const json = JSON.parse(readFileSync(join(out, `${aliceJid}.json`), 'utf8'));
    // What the janitor keeps about the account (it saw her registration and logins).
    expect(json.account).toMatchObject({ known: true, createdAt: expect.any(String), lastUsedAt: expect.any(String) });
    expect(json).toMatchObject({ format: 'parley-export/1', jid: aliceJid, blocked: ['spammer@example.net'], archive: { prefs: { default: 'always' } } });
    expect(json.roster.items).toEqual([expect.objectContaining({ jid: bobJid, name: 'Bobby', groups: ['Friends'] })]);
    expect(json.offline.map((m: { stanza: string }) => m.stanza).join()).toContain('stored while away');
    expect(json.archive.messages.map((m: { stanza: string }) => m.stanza).join()).toContain('archived hello');
    expect(json.uploads).toEqual([expect.objectContaining({ name: 'alice notes.txt', size: 4, contentType: 'text/plain', purpose: 'message', url: aliceFile })]);
    expect(json.profile.vcard).toContain('Alice Export');
    expect(json.profile.private).toEqual([expect.objectContaining({ ns: 'urn:example:prefs' })]);
    expect(json.profile.nodes).toEqual([expect.objectContaining({ node: 'http://jabber.org/protocol/nick', items: [expect.objectContaining({ id: 'current' })] })]);

    const raw = readFileSync(join(out, `${aliceJid}.xml`), 'utf8');
    expect(statSync(join(out, `${aliceJid}.xml`)).mode & 0o077).toBe(0); // the owner's eyes only
    const doc = parseXml(raw.replace(/^<\?xml[^>]*\?>\s*/, ''));
    expect(doc.name).toBe('server-data');
    expect(doc.attrs.xmlns).toBe('urn:xmpp:pie:0');
    const user = doc.getChild('host')!.getChild('user')!;
    expect(user.attrs.name).toBe(alice.toLowerCase());
    expect(user.getChild('query', 'jabber:iq:roster')!.getChild('item')!.attrs).toMatchObject({ jid: bobJid, name: 'Bobby' });
    const offline = user.getChild('offline-messages')!.children.filter((n) => typeof n !== 'string');
    expect(offline.map(String).join()).toContain('stored while away');
    expect(offline.every((m) => typeof m !== 'string' && m.attrs.xmlns === 'jabber:client')).toBe(true);
    expect(String(user.getChild('archive', 'urn:xmpp:pie:0#mam'))).toContain('archived hello');
    expect(user.getChild('uploads', 'urn:parley:export:0')!.getChild('file')!.attrs).toMatchObject({ name: 'alice notes.txt', url: aliceFile });
    expect(user.getChild('vCard', 'vcard-temp')!.getChildText('FN')).toBe('Alice Export');
    expect(String(user.getChild('query', 'jabber:iq:private'))).toContain('kept private');
    expect(String(user.getChild('pubsub', 'http://jabber.org/protocol/pubsub'))).toContain('Ally');

    for (const text of [raw, readFileSync(join(out, `${aliceJid}.json`), 'utf8')]) {
      expect(text).not.toContain('carol secret to bob');
      expect(text).not.toContain('carol private.txt');
      expect(text).not.toContain(carolJid);
      expect(text).not.toContain('export password 1');
    }

    // The same, asked by alice herself through her client (XEP-0050 "Export my data").
    const again = await users.login(gw, alice);
    const r = await again.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'urn:parley:export:0', action: 'execute' })), 30_000);
    expect(r.attrs.status).toBe('completed');
    const mine = JSON.parse(r.getChildText('json', 'urn:parley:export:0')!);
    expect(mine.jid).toBe(aliceJid);
    expect(mine.archive.messages.map((m: { stanza: string }) => m.stanza).join()).toContain('archived hello');
    expect(String(r.getChild('server-data', 'urn:xmpp:pie:0'))).toContain('Bobby');
    expect(r.toString()).not.toContain('carol secret to bob');
  });

  it('refuses an unknown user and a JID of another domain', async () => {
    await expect(ctl(['export', 'nobody', '--out', out])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/no account nobody@localhost/) });
    await expect(ctl(['export', 'x@elsewhere.example', '--out', out])).rejects.toMatchObject({ code: 2 });
  });
});
