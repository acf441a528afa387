import { createHash } from 'node:crypto';
import { deriveScramKeys, parseScramAttributes, saslname, ScramClient, ScramError, ScramKeyCache } from './scram-client';

// RFC 5802 §5 and RFC 7677 §3 example exchanges (user "user", password "pencil").
const SHA1 = {
  nonce: 'fyko+d2lbbFgONRv9qkxdawL',
  clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
};
const SHA256 = {
  nonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('ScramClient', () => {
  it('reproduces the RFC 5802 SCRAM-SHA-1 exchange and accepts its server signature', () => {
    const c = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache(), SHA1.nonce);
    expect(c.first()).toBe(SHA1.clientFirst);
    expect(c.final(SHA1.serverFirst)).toBe(SHA1.clientFinal);
    expect(() => c.verify(SHA1.serverFinal)).not.toThrow();
  });

  it('reproduces the RFC 7677 SCRAM-SHA-256 exchange and accepts its server signature', () => {
    const c = new ScramClient('sha256', 'user', 'pencil', new ScramKeyCache(), SHA256.nonce);
    expect(c.first()).toBe(SHA256.clientFirst);
    expect(c.final(SHA256.serverFirst)).toBe(SHA256.clientFinal);
    expect(() => c.verify(SHA256.serverFinal)).not.toThrow();
  });

  it('refuses a server signature that does not verify', () => {
    const c = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache(), SHA1.nonce);
    c.first();
    c.final(SHA1.serverFirst);
    expect(() => c.verify('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(ScramError);
    expect(() => c.verify('v=AAAA')).toThrow(/does not verify/);
    expect(() => c.verify('x=1')).toThrow(/lacks v/);
  });

  it('refuses a server that does not extend the client nonce', () => {
    const c = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache(), 'abc');
    c.first();
    expect(() => c.final('r=xyzdef,s=QSXCR+Q6sek8bf92,i=4096')).toThrow(/nonce/);
    expect(() => c.final('r=abc,s=QSXCR+Q6sek8bf92,i=4096')).toThrow(/nonce/);
  });

  it('refuses missing attributes, bad iteration counts, extensions and server errors', () => {
    const mk = () => {
      const c = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache(), 'abc');
      c.first();
      return c;
    };
    expect(() => mk().final('r=abcdef,i=4096')).toThrow(/lacks/);
    expect(() => mk().final('r=abcdef,s=QSXCR+Q6sek8bf92,i=0')).toThrow(/iteration/);
    expect(() => mk().final('r=abcdef,s=QSXCR+Q6sek8bf92,i=4x')).toThrow(/iteration/);
    expect(() => mk().final('m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096')).toThrow(/extension/);
    expect(() => mk().final('e=unknown-user')).toThrow(/unknown-user/);
    const c = mk();
    c.final('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096');
    expect(() => c.verify('e=invalid-proof')).toThrow(/invalid-proof/);
  });

  it('must be driven in order', () => {
    const c = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache());
    expect(() => c.final(SHA1.serverFirst)).toThrow(/first/);
    expect(() => c.verify(SHA1.serverFinal)).toThrow(/final/);
  });

  it('uses a fresh random nonce per exchange when none is given', () => {
    const a = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache()).first();
    const b = new ScramClient('sha1', 'user', 'pencil', new ScramKeyCache()).first();
    expect(a).toMatch(/^n,,n=user,r=[A-Za-z0-9+/=]{24}$/);
    expect(a).not.toBe(b);
  });

  it('escapes = and , in the username (saslname)', () => {
    expect(saslname('a=b,c')).toBe('a=3Db=2Cc');
    const c = new ScramClient('sha1', 'a,b', 'pw', new ScramKeyCache(), 'n1');
    expect(c.first()).toBe('n,,n=a=2Cb,r=n1');
  });
});

describe('ScramKeyCache', () => {
  it('derives PBKDF2 once per (hash, user, salt, iterations) and reuses it', () => {
    const cache = new ScramKeyCache();
    for (let i = 0; i < 3; i++) {
      const c = new ScramClient('sha1', 'user', 'pencil', cache, SHA1.nonce);
      c.first();
      expect(c.final(SHA1.serverFirst)).toBe(SHA1.clientFinal);
      c.verify(SHA1.serverFinal);
    }
    expect(cache.derivations).toBe(1);
    cache.get('sha1', 'user', 'pencil', 'QSXCR+Q6sek8bf92', 4097);
    cache.get('sha1', 'other', 'pencil', 'QSXCR+Q6sek8bf92', 4096);
    cache.get('sha256', 'user', 'pencil', 'QSXCR+Q6sek8bf92', 4096);
    cache.get('sha1', 'user', 'pencil', 'W22ZaJ0SNY7soEsUEjb6gQ==', 4096);
    expect(cache.derivations).toBe(5);
    expect(cache.size).toBe(5);
  });

  it('derives the keys RFC 5802 §3 defines', () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const k = deriveScramKeys('sha256', 'pencil', salt, 4096);
    expect(k.clientKey).toHaveLength(32);
    expect(k.storedKey.equals(createHash('sha256').update(k.clientKey).digest())).toBe(true);
    expect(k.serverKey.equals(k.clientKey)).toBe(false);
  });
});

describe('parseScramAttributes', () => {
  it('splits attributes and keeps = inside values', () => {
    expect(parseScramAttributes('r=ab,s=QSXCR+Q6sek8bf92==,i=4096')).toEqual({ r: 'ab', s: 'QSXCR+Q6sek8bf92==', i: '4096' });
    expect(parseScramAttributes('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).toEqual({ v: 'rmF9pqV8S7suAoZWja4dJRkFsKQ=' });
    expect(parseScramAttributes('garbage,xx=1')).toEqual({});
  });
});
