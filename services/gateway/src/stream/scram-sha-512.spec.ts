// SCRAM-SHA-512 end to end over a client stream (in process, a fake socket), and how
// accounts from before it are kept from being locked out: it is offered only once every
// account has SHA-512 keys, and a PLAIN login (inside TLS) adds the keys an account lacks.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { NS } from '@parley/stanza';
import { deriveScramCredentials } from '../auth/sasl/scram';
import { registerModule } from '../modules/xep-0077-register/register.module';
import { FakeSocket } from '../testing/fake-socket';
import { TestGateway } from '../testing/test-gateway';
import { C2SConnection } from './c2s';

const open = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const PASSWORD = 'correct horse battery';

/** An independent SCRAM-SHA-512 client (RFC 5802 with SHA-512); it checks the server's signature too. */
function scram512(user: string, password: string) {
  const first = `n=${user},r=${randomBytes(18).toString('base64')}`;
  let expected = '';
  return {
    first: `n,,${first}`,
    final(serverFirst: string): string {
      const a = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
      const salted = pbkdf2Sync(password, Buffer.from(a.s, 'base64'), Number(a.i), 64, 'sha512');
      const clientKey = createHmac('sha512', salted).update('Client Key').digest();
      const storedKey = createHash('sha512').update(clientKey).digest();
      const withoutProof = `c=biws,r=${a.r}`;
      const authMessage = `${first},${serverFirst},${withoutProof}`;
      const signature = createHmac('sha512', storedKey).update(authMessage).digest();
      expected = `v=${createHmac('sha512', createHmac('sha512', salted).update('Server Key').digest()).update(authMessage).digest('base64')}`;
      return `${withoutProof},p=${Buffer.from(clientKey.map((v, i) => v ^ signature[i])).toString('base64')}`;
    },
    verified: (serverFinal: string) => serverFinal === expected,
  };
}

describe('SCRAM-SHA-512 over a client stream', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [registerModule] })));
  afterEach(() => gw.stop());

  /** A stream up to its features; `secure` stands for direct TLS (PLAIN is offered only then). */
  const stream = async (secure = false) => {
    const s = new FakeSocket();
    gw.core.connectionOpened(new C2SConnection(s as unknown as Socket, gw.core, secure, { startTls: false }));
    s.send(open);
    const features = (await s.until(/<stream:features>.*<\/stream:features>/))[0];
    return { s, mechanisms: [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]) };
  };

  const login512 = async (s: FakeSocket, user: string, password: string): Promise<string> => {
    const c = scram512(user, password);
    let mark = s.output.length;
    s.send(`<auth xmlns='${NS.sasl}' mechanism='SCRAM-SHA-512'>${b64(c.first)}</auth>`);
    const m = await s.until(/<challenge[^>]*>([^<]*)<\/challenge>|<failure[^>]*>.*?<\/failure>/, mark);
    if (!m[1]) return m[0];
    mark = s.output.length;
    s.send(`<response xmlns='${NS.sasl}'>${b64(c.final(Buffer.from(m[1], 'base64').toString()))}</response>`);
    const end = await s.until(/<success[^>]*>([^<]*)<\/success>|<failure[^>]*>.*?<\/failure>/, mark);
    if (end[1] === undefined) return end[0];
    return c.verified(Buffer.from(end[1], 'base64').toString()) ? 'success, server verified' : 'success, bad server signature';
  };

  it('is offered strongest first and logs in an account registered in band', async () => {
    const { s, mechanisms } = await stream();
    expect(mechanisms).toEqual(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1']);
    const mark = s.output.length;
    s.send(`<iq type='set' id='reg'><query xmlns='${NS.register}'><username>alice</username><password>${PASSWORD}</password></query></iq>`);
    await s.until(/<iq type="result" id="reg"\/>/, mark);
    expect((await gw.store.find('alice'))?.sha512?.iterations).toBe(4096);
    expect(await login512(s, 'alice', PASSWORD)).toBe('success, server verified');
  });

  it('refuses a wrong password and answers an unknown user alike', async () => {
    await gw.core.accounts.register('alice', PASSWORD, 'admin');
    const wrong = await login512((await stream()).s, 'alice', 'not the password');
    const ghost = await login512((await stream()).s, 'ghost', 'not the password');
    expect(wrong).toMatch(/<not-authorized\/>/);
    expect(ghost).toBe(wrong);
  });

  it('is not offered while an account lacks its keys; a PLAIN login adds them, and then SCRAM-SHA-512 works for it', async () => {
    // an account from before SCRAM-SHA-512: SHA-1 and SHA-256 keys only
    const [sha1, sha256] = await Promise.all([deriveScramCredentials(PASSWORD, 'sha1'), deriveScramCredentials(PASSWORD, 'sha256')]);
    await gw.store.create('old', { sha1, sha256 });
    expect(await gw.core.checkScramSha512()).toBe(false);
    const before = await stream(true);
    expect(before.mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    // a client that asks for it anyway is told the mechanism is not offered (not a wrong password)
    expect(await login512(before.s, 'old', PASSWORD)).toMatch(/<invalid-mechanism\/>/);

    const added = jest.spyOn(gw.core.accounts, 'addMissingSha512');
    const { s } = await stream(true);
    const mark = s.output.length;
    s.send(`<auth xmlns='${NS.sasl}' mechanism='PLAIN'>${b64(`\0old\0${PASSWORD}`)}</auth>`);
    await s.until(/<success /, mark);
    expect(added).toHaveBeenCalledTimes(1); // started with the success, finished in the background
    expect(await added.mock.results[0].value).toBe(true);
    const keys = (await gw.store.find('old'))?.sha512;
    expect(keys?.iterations).toBe(sha256.iterations);
    expect(await gw.core.checkScramSha512()).toBe(true);

    const after = await stream();
    expect(after.mechanisms[0]).toBe('SCRAM-SHA-512');
    expect(await login512(after.s, 'old', PASSWORD)).toBe('success, server verified');
  });

  it('is never offered with SCRAM_SHA512=off, yet keys are derived for new passwords', async () => {
    await gw.stop();
    gw = await TestGateway.start({ modules: [registerModule], env: { SCRAM_SHA512: 'off' } });
    expect((await stream()).mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    await gw.core.accounts.register('alice', PASSWORD, 'admin');
    expect((await gw.store.find('alice'))?.sha512).toBeDefined();
  });
});
