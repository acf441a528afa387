// SCRAM server: the RFC 5802 and RFC 7677 example exchanges, failures,
// unknown users, channel binding and authzid handling.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import {
  deriveScramCredentials,
  SaslPrepError,
  SaslStep,
  ScramCredentials,
  ScramHash,
  ScramServer,
  ScramServerOptions,
  timingSafeEqualBuffers,
} from './scram';

const b = (s: string) => Buffer.from(s, 'utf8');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What a correct client would send as proof (RFC 5802 §3). */
function clientProof(hash: ScramHash, password: string, salt: Buffer, iterations: number, authMessage: string): string {
  const salted = pbkdf2Sync(password, salt, iterations, { sha1: 20, sha256: 32, sha512: 64 }[hash], hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((v, i) => v ^ signature[i])).toString('base64');
}

/** Parses server-first-message attributes. */
function serverFirstOf(step: SaslStep): { r: string; s: Buffer; i: number; raw: string } {
  if (step.kind !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(step)}`);
  const raw = step.data.toString('utf8');
  const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(raw);
  if (!m) throw new Error(`bad server-first-message ${raw}`);
  return { r: m[1], s: Buffer.from(m[2], 'base64'), i: Number(m[3]), raw };
}

interface Run {
  password?: string;
  gs2?: string;
  username?: string;
  cbData?: Buffer;
  nonceEdit?: (nonce: string) => string;
  extra?: string;
}

/** Runs a full exchange as a well-behaved client would, with optional tampering. */
async function exchange(server: ScramServer, hash: ScramHash, run: Run = {}): Promise<SaslStep> {
  const gs2 = run.gs2 ?? 'n,,';
  const bare = `n=${run.username ?? 'user'},r=clientnonce123`;
  const first = serverFirstOf(await server.start(b(gs2 + bare)));
  const cbind = Buffer.concat([b(gs2), run.cbData ?? Buffer.alloc(0)]).toString('base64');
  const nonce = run.nonceEdit ? run.nonceEdit(first.r) : first.r;
  const withoutProof = `c=${cbind},r=${nonce}${run.extra ?? ''}`;
  const proof = clientProof(hash, run.password ?? 'pencil', first.s, first.i, `${bare},${first.raw},${withoutProof}`);
  return server.step(b(`${withoutProof},p=${proof}`));
}

function serverFor(creds: Record<string, ScramCredentials>, opts: Partial<ScramServerOptions> = {}): ScramServer {
  return new ScramServer({
    hash: 'sha256',
    plus: false,
    serverSupportsPlus: false,
    lookup: async (u) => creds[u],
    ...opts,
  });
}

describe('SCRAM-SHA-1 (RFC 5802 §5 example)', () => {
  it('reproduces the example exchange exactly, from credentials derived for "pencil"', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha1', { salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'), iterations: 4096 });
    const lookups: string[] = [];
    const server = new ScramServer({
      hash: 'sha1',
      plus: false,
      serverSupportsPlus: false,
      serverNonce: '3rfcNHYJY1ZVvWVs7j',
      lookup: async (u) => {
        lookups.push(u);
        return u === 'user' ? creds : undefined;
      },
    });
    const first = await server.start(b('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    expect(first).toEqual({ kind: 'challenge', data: b('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096') });
    const final = await server.step(b('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    expect(final).toEqual({ kind: 'success', data: b('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='), username: 'user' });
    expect(lookups).toEqual(['user']);
  });
});

describe('SCRAM-SHA-256 (RFC 7677 §3 example)', () => {
  it('reproduces the example exchange exactly, from credentials derived for "pencil"', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha256', { salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), iterations: 4096 });
    const server = serverFor({ user: creds }, { serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const first = await server.start(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(first).toEqual({
      kind: 'challenge',
      data: b('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    });
    const final = await server.step(
      b('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(final).toEqual({ kind: 'success', data: b('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='), username: 'user' });
  });
});

describe('deriveScramCredentials', () => {
  it('uses a fresh 16-byte salt and 4096 iterations by default', async () => {
    const a = await deriveScramCredentials('pencil', 'sha256');
    const c = await deriveScramCredentials('pencil', 'sha256');
    expect(a.salt).toHaveLength(16);
    expect(a.iterations).toBe(4096);
    expect(a.salt.equals(c.salt)).toBe(false);
    expect(a.storedKey).toHaveLength(32);
    expect(a.serverKey).toHaveLength(32);
  });

  it('refuses fewer than 4096 iterations', async () => {
    await expect(deriveScramCredentials('pencil', 'sha1', { iterations: 4095 })).rejects.toThrow(RangeError);
  });

  it('applies SASLprep to the password first', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const plain = await deriveScramCredentials('IX', 'sha1', { salt });
    expect((await deriveScramCredentials('I\u00adX', 'sha1', { salt })).storedKey).toEqual(plain.storedKey);
    expect((await deriveScramCredentials('\u2168', 'sha1', { salt })).storedKey).toEqual(plain.storedKey);
    await expect(deriveScramCredentials('bell\u0007', 'sha1')).rejects.toThrow(SaslPrepError);
  });
});

describe('ScramServer', () => {
  let creds: ScramCredentials;
  beforeAll(async () => {
    creds = await deriveScramCredentials('pencil', 'sha256');
  });

  it('authenticates a client that knows the password', async () => {
    expect(await exchange(serverFor({ user: creds }), 'sha256')).toMatchObject({ kind: 'success', username: 'user' });
  });

  it('answers with a fresh random nonce that starts with the client nonce', async () => {
    const n1 = serverFirstOf(await serverFor({ user: creds }).start(b('n,,n=user,r=abc'))).r;
    const n2 = serverFirstOf(await serverFor({ user: creds }).start(b('n,,n=user,r=abc'))).r;
    expect(n1.startsWith('abc')).toBe(true);
    expect(n1.length).toBeGreaterThanOrEqual(3 + 24);
    expect(n1).not.toBe(n2);
  });

  it('fails a wrong password with not-authorized', async () => {
    expect(await exchange(serverFor({ user: creds }), 'sha256', { password: 'pencil2' })).toEqual({ kind: 'failure', condition: 'not-authorized' });
  });

  it.each([
    ['the server part changed', (n: string) => n.slice(0, -1) + (n.endsWith('A') ? 'B' : 'A')],
    ['the client part changed', (n: string) => 'X' + n.slice(1)],
    ['only the client nonce echoed', () => 'clientnonce123'],
  ])('fails a tampered nonce (%s) with not-authorized', async (_what, edit) => {
    expect(await exchange(serverFor({ user: creds }), 'sha256', { nonceEdit: edit })).toEqual({ kind: 'failure', condition: 'not-authorized' });
  });

  it('passes the decoded saslname to lookup and returns it as the username', async () => {
    const seen: string[] = [];
    const server = serverFor({}, { lookup: async (u) => (seen.push(u), u === 'Us,er=' ? creds : undefined) });
    expect(await exchange(server, 'sha256', { username: 'Us=2Cer=3D' })).toMatchObject({ kind: 'success', username: 'Us,er=' });
    expect(seen).toEqual(['Us,er=']);
  });

  it('ignores optional extensions', async () => {
    expect(await exchange(serverFor({ user: creds }), 'sha256', { extra: ',x=whatever' })).toMatchObject({ kind: 'success' });
  });

  describe('with an unknown user', () => {
    it('runs the exchange with plausible, stable fake parameters and fails at the end with not-authorized', async () => {
      const first = serverFirstOf(await serverFor({}).start(b('n,,n=nobody,r=abc')));
      const again = serverFirstOf(await serverFor({}).start(b('n,,n=nobody,r=abc')));
      const other = serverFirstOf(await serverFor({}).start(b('n,,n=someone,r=abc')));
      expect(first.i).toBe(4096);
      expect(first.s).toHaveLength(16);
      expect(first.s.equals(again.s)).toBe(true);
      expect(first.s.equals(other.s)).toBe(false);
      expect(await exchange(serverFor({}), 'sha256', { username: 'nobody' })).toEqual({ kind: 'failure', condition: 'not-authorized' });
    });

    it('gives the same answer shape as a wrong password', async () => {
      const unknown = await exchange(serverFor({}), 'sha256', { username: 'nobody' });
      const wrong = await exchange(serverFor({ user: creds }), 'sha256', { password: 'nope' });
      expect(unknown).toEqual(wrong);
    });
  });

  describe('rejects malformed client-first-messages with malformed-request', () => {
    it.each([
      ['an empty message', ''],
      ['no GS2 header', 'n=user,r=abc'],
      ['an unknown channel binding flag', 'x,,n=user,r=abc'],
      ['a bad authzid field', 'n,n=user,r=abc'],
      ['an authzid with a bad escape', 'n,a=us=er,n=user,r=abc'],
      ['attributes out of order', 'n,,r=abc,n=user'],
      ['an empty username', 'n,,n=,r=abc'],
      ['a bad escape in the username', 'n,,n=us=2Xer,r=abc'],
      ['an empty nonce', 'n,,n=user,r='],
      ['a missing nonce', 'n,,n=user'],
      ['a non-printable nonce', 'n,,n=user,r=ab\u0001c'],
      ['a mandatory extension', 'n,,m=ext,n=user,r=abc'],
      ['a malformed extension', 'n,,n=user,r=abc,junk'],
    ])('%s', async (_what, msg) => {
      expect(await serverFor({ user: creds }).start(b(msg))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    });

    it('invalid UTF-8', async () => {
      expect(await serverFor({ user: creds }).start(Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xff, 0x2c, 0x72, 0x3d, 0x61]))).toMatchObject({
        kind: 'failure',
        condition: 'malformed-request',
      });
    });
  });

  describe('rejects malformed client-final-messages with malformed-request', () => {
    const proof = Buffer.alloc(32).toString('base64');
    it.each([
      ['no proof', (n: string) => `c=biws,r=${n}`],
      ['attributes out of order', (n: string) => `r=${n},c=biws,p=${proof}`],
      ['bad base64 in the proof', (n: string) => `c=biws,r=${n},p=!!!!`],
      ['bad base64 in the channel binding', (n: string) => `c=b*ws,r=${n},p=${proof}`],
      ['a proof of the wrong length', (n: string) => `c=biws,r=${n},p=${Buffer.alloc(20).toString('base64')}`],
      ['a mandatory extension', (n: string) => `c=biws,r=${n},m=x,p=${proof}`],
    ])('%s', async (_what, final) => {
      const server = serverFor({ user: creds });
      const { r } = serverFirstOf(await server.start(b('n,,n=user,r=abc')));
      expect(await server.step(b(final(r)))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    });

    it('messages out of sequence', async () => {
      const server = serverFor({ user: creds });
      expect(await server.step(b('c=biws,r=x,p=' + proof))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
      const again = serverFor({ user: creds });
      await again.start(b('n,,n=user,r=abc'));
      expect(await again.start(b('n,,n=user,r=abc'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    });

    it('a second attempt after a final message', async () => {
      const server = serverFor({ user: creds });
      const { r } = serverFirstOf(await server.start(b('n,,n=user,r=abc')));
      await server.step(b(`c=biws,r=${r},p=${proof}`));
      expect(await server.step(b(`c=biws,r=${r},p=${proof}`))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    });
  });

  describe('channel binding', () => {
    const exporter = Buffer.from('0123456789abcdef0123456789abcdef');
    const plusServer = (opts: Partial<ScramServerOptions> = {}) =>
      serverFor({ user: creds }, {
        plus: true,
        serverSupportsPlus: true,
        channelBinding: (type) => (type === 'tls-exporter' ? exporter : undefined),
        ...opts,
      });

    it('succeeds when the client binds to the same channel', async () => {
      expect(await exchange(plusServer(), 'sha256', { gs2: 'p=tls-exporter,,', cbData: exporter })).toMatchObject({ kind: 'success' });
    });

    it('fails with not-authorized when the channel binding data differs (a man in the middle)', async () => {
      expect(await exchange(plusServer(), 'sha256', { gs2: 'p=tls-exporter,,', cbData: Buffer.from('other channel') })).toEqual({
        kind: 'failure',
        condition: 'not-authorized',
        text: 'channel binding mismatch',
      });
    });

    it('fails when c= does not repeat the GS2 header', async () => {
      expect(await exchange(serverFor({ user: creds }), 'sha256', { gs2: 'n,,', cbData: Buffer.from('x') })).toMatchObject({
        kind: 'failure',
        condition: 'not-authorized',
      });
    });

    it('rejects an unsupported channel binding type', async () => {
      expect(await plusServer().start(b('p=tls-unique,,n=user,r=abc'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    });

    it('rejects a -PLUS exchange without channel binding, and binding on a plain mechanism', async () => {
      expect(await plusServer().start(b('n,,n=user,r=abc'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
      expect(await plusServer().start(b('y,,n=user,r=abc'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
      expect(await serverFor({ user: creds }, { channelBinding: () => exporter }).start(b('p=tls-exporter,,n=user,r=abc'))).toMatchObject({
        kind: 'failure',
        condition: 'malformed-request',
      });
    });

    it("detects a downgrade: flag 'y' while the server offers -PLUS fails with not-authorized", async () => {
      const server = serverFor({ user: creds }, { serverSupportsPlus: true });
      expect(await server.start(b('y,,n=user,r=abc'))).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    });

    it("accepts flag 'y' when the server offers no -PLUS mechanism", async () => {
      expect(await exchange(serverFor({ user: creds }), 'sha256', { gs2: 'y,,' })).toMatchObject({ kind: 'success' });
    });
  });

  describe('authzid', () => {
    it('accepts the bare JID of the authenticating user', async () => {
      const server = serverFor({ user: creds }, { domain: 'Example.com' });
      expect(await exchange(server, 'sha256', { gs2: 'n,a=User@example.com,' })).toMatchObject({ kind: 'success', username: 'user' });
    });

    it.each([
      ['another user', 'n,a=admin@example.com,'],
      ['a full JID', 'n,a=user@example.com/res,'],
      ['another domain', 'n,a=user@example.net,'],
      ['a domain only', 'n,a=example.com,'],
      ['something that is not a JID', 'n,a=@@,'],
    ])('rejects %s with invalid-authzid', async (_what, gs2) => {
      const server = serverFor({ user: creds }, { domain: 'example.com' });
      expect(await server.start(b(`${gs2}n=user,r=abc`))).toEqual({ kind: 'failure', condition: 'invalid-authzid' });
    });
  });
});

describe('timingSafeEqualBuffers', () => {
  it('compares contents and lengths', () => {
    expect(timingSafeEqualBuffers(b('abc'), b('abc'))).toBe(true);
    expect(timingSafeEqualBuffers(b('abc'), b('abd'))).toBe(false);
    expect(timingSafeEqualBuffers(b('abc'), b('abcd'))).toBe(false);
    expect(timingSafeEqualBuffers(b(''), b(''))).toBe(true);
  });
});

// b64 is handy when debugging failing exchanges.
void b64;

describe('unknown users (no enumeration)', () => {
  const firstFor = async (opts: Partial<ScramServerOptions>) => serverFirstOf(await serverFor({}, opts).start(b('n,,n=nobody,r=abc')));

  it('answer with the same salt and iterations on every server sharing the fake secret', async () => {
    const secret = Buffer.alloc(32, 9);
    const [a, b2] = [await firstFor({ fakeSecret: secret, fakeIterations: 8192 }), await firstFor({ fakeSecret: secret, fakeIterations: 8192 })];
    expect(a.s.equals(b2.s)).toBe(true);
    expect(a.i).toBe(8192);
    const other = await firstFor({ fakeSecret: Buffer.alloc(32, 1), fakeIterations: 8192 });
    expect(other.s.equals(a.s)).toBe(false);
  });
});

// No RFC carries a SCRAM-SHA-512 example exchange; these values come from an independent
// implementation (Python's hashlib.pbkdf2_hmac and hmac) over the RFC 7677 example's
// inputs (user "user", password "pencil", its nonces) with RFC 5802's salt. Its
// PBKDF2-HMAC-SHA-512 gives the published vector for ("password", "salt", 1): 867f70cf…7fce.
describe('SCRAM-SHA-512 (RFC 5802 construction with SHA-512, IANA-registered)', () => {
  const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
  const clientNonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';

  it('derives PBKDF2-HMAC-SHA-512 as published and the stored and server keys as the reference does', async () => {
    expect(pbkdf2Sync('password', 'salt', 1, 64, 'sha512').toString('hex')).toBe(
      '867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce',
    );
    const c = await deriveScramCredentials('pencil', 'sha512', { salt, iterations: 4096 });
    expect(c.storedKey.toString('base64')).toBe('Lm7w6zPGAx+UoahlEm1whIN7PS1KGU+9+V5PyudK6c/mWVVtkXSCpVPmUKQLYDKR7v0uSkxrBzPm7HuSwZ/ytw==');
    expect(c.serverKey.toString('base64')).toBe('b/Ph5kGCpfdw2MyLh0C8l10iiFENloZLKPiJIHv57J3BRD9++4RvoYjTKhOehyHgJS/nsxnNB17UKgNU7nRy6g==');
  });

  it('accepts the reference client-final-message and answers the reference server signature', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha512', { salt, iterations: 4096 });
    const server = serverFor({ user: creds }, { hash: 'sha512', serverNonce });
    const first = await server.start(b(`n,,n=user,r=${clientNonce}`));
    expect(first).toEqual({ kind: 'challenge', data: b(`r=${clientNonce}${serverNonce},s=QSXCR+Q6sek8bf92,i=4096`) });
    const final = await server.step(
      b(`c=biws,r=${clientNonce}${serverNonce},p=EAykbhDbSIdK2NH1gxa6hYeuy//F2vYHhDoID4icsfM4En7tcnA3Z8d4tGEJYtryn0rPgJfK/+/jQRZPhFOnvg==`),
    );
    expect(final).toEqual({ kind: 'success', username: 'user', data: b('v=yax/LDlXoMn1o/AvseJ8T8lP13ZwLqloWBF+Ha+KqzvGcg205ZoJQDqxr01QXLIFNyiqDLEITr05WbdTDPpW6w==') });
  });

  it('refuses a wrong password and a SHA-256-sized proof', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha512', { iterations: 4096 });
    expect(await exchange(serverFor({ user: creds }, { hash: 'sha512' }), 'sha512', { password: 'pencil' })).toMatchObject({ kind: 'success' });
    expect(await exchange(serverFor({ user: creds }, { hash: 'sha512' }), 'sha512', { password: 'crayon' })).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    const server = serverFor({ user: creds }, { hash: 'sha512' });
    const sf = serverFirstOf(await server.start(b('n,,n=user,r=abc')));
    expect(await server.step(b(`c=biws,r=${sf.r},p=${Buffer.alloc(32).toString('base64')}`))).toMatchObject({ condition: 'malformed-request' });
  });

  it('gives unknown users (and accounts without SHA-512 keys) stable fake salts that look like real ones, alike on every gateway sharing the secret', async () => {
    const secret = Buffer.alloc(32, 7);
    const real = await deriveScramCredentials('pencil', 'sha512', { iterations: 10_000 });
    const answer = async (user: string, s = secret) => serverFirstOf(await serverFor({ user: real }, { hash: 'sha512', fakeSecret: s, fakeIterations: 10_000 }).start(b(`n,,n=${user},r=abc`)));
    const ghost = await answer('ghost');
    expect(ghost.s.length).toBe(real.salt.length);
    expect(ghost.i).toBe(real.iterations);
    expect((await answer('ghost')).s.equals(ghost.s)).toBe(true); // another gateway, same secret
    expect((await answer('ghost', Buffer.alloc(32, 8))).s.equals(ghost.s)).toBe(false);
    // not the SHA-256 fake salt of the same name (each hash its own, as real accounts have)
    const sha256 = serverFirstOf(await serverFor({}, { hash: 'sha256', fakeSecret: secret, fakeIterations: 10_000 }).start(b('n,,n=ghost,r=abc')));
    expect(sha256.s.equals(ghost.s)).toBe(false);
    expect(await exchange(serverFor({}, { hash: 'sha512', fakeSecret: secret }), 'sha512', { username: 'ghost' })).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });
});
