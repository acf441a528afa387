// The login flow against a scripted in-process server (STARTTLS with a throwaway
// certificate, SCRAM-SHA-1 checked with RFC 5802 arithmetic, bind), so the load
// generator is known to work before the real gateway is measured.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { deriveScramKeys, parseScramAttributes, ScramKeyCache } from './scram-client';
import { elementText, login, LoginError } from './xmpp-conn';

const SALT = 'QSXCR+Q6sek8bf92';
const FEATURES_TLS = `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`;
const FEATURES_SASL = `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>`;
const FEATURES_BIND = `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`;
const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>`;

interface FakeOptions {
  tls: boolean;
  password: string;
  /** Corrupt the server signature (a server that does not know the keys). */
  badSignature?: boolean;
  /** Never answer the auth. */
  silentAtAuth?: boolean;
}

let cert: { cert: string; key: string } | undefined;
async function certificate(): Promise<{ cert: string; key: string }> {
  if (!cert) {
    const selfsigned = (await import('selfsigned')) as unknown as { generate: Function };
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 });
    cert = { cert: pems.cert, key: pems.private };
  }
  return cert;
}

/** A scripted XMPP server for one kind of login; resolves with it listening on a free port. */
async function fakeServer(o: FakeOptions): Promise<{ server: Server; port: number; logins: string[] }> {
  const pem = await certificate();
  const keys = deriveScramKeys('sha1', o.password, Buffer.from(SALT, 'base64'), 4096);
  const logins: string[] = [];
  const server = createServer((raw) => {
    let sock: Socket | TLSSocket = raw;
    let buf = '';
    let stage: 'header' | 'starttls' | 'auth' | 'response' | 'header2' | 'bind' = 'header';
    let secure = false;
    let firstBare = '';
    let serverFirst = '';
    let user = '';
    const take = (marker: string): string | undefined => {
      const i = buf.indexOf(marker);
      if (i < 0) return undefined;
      const t = buf.slice(0, i + marker.length);
      buf = buf.slice(i + marker.length);
      return t;
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (;;) {
        if (stage === 'header') {
          if (!take("xmlns:stream='http://etherx.jabber.org/streams'>")) return;
          sock.write(HEADER + (o.tls && !secure ? FEATURES_TLS : FEATURES_SASL));
          stage = o.tls && !secure ? 'starttls' : 'auth';
        } else if (stage === 'starttls') {
          if (!take('<starttls')) return;
          take('/>');
          sock.write(`<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
          raw.removeListener('data', onData);
          const tls = new TLSSocket(raw, { isServer: true, key: pem.key, cert: pem.cert });
          tls.on('data', onData);
          tls.on('error', () => undefined);
          tls.once('secure', () => {
            secure = true;
          });
          sock = tls;
          stage = 'header';
          buf = '';
          return;
        } else if (stage === 'auth') {
          const t = take('</auth>');
          if (!t) return;
          if (o.silentAtAuth) return;
          const clientFirst = Buffer.from(elementText(t, 'auth')!, 'base64').toString();
          firstBare = clientFirst.slice(3);
          const a = parseScramAttributes(firstBare);
          user = a.n;
          serverFirst = `r=${a.r}srvnonce,s=${SALT},i=4096`;
          sock.write(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(serverFirst).toString('base64')}</challenge>`);
          stage = 'response';
        } else if (stage === 'response') {
          const t = take('</response>');
          if (!t) return;
          const clientFinal = Buffer.from(elementText(t, 'response')!, 'base64').toString();
          const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
          const proof = Buffer.from(parseScramAttributes(clientFinal).p, 'base64');
          const auth = `${firstBare},${serverFirst},${withoutProof}`;
          const sig = createHmac('sha1', keys.storedKey).update(auth).digest();
          const clientKey = Buffer.from(proof.map((b, i) => b ^ sig[i]));
          const ok = proof.length === sig.length && timingSafeEqual(createHash('sha1').update(clientKey).digest(), keys.storedKey);
          if (!ok) {
            sock.write(`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`);
            stage = 'auth';
            continue;
          }
          const v = createHmac('sha1', keys.serverKey).update(auth).digest();
          if (o.badSignature) v[0] ^= 1;
          sock.write(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(`v=${v.toString('base64')}`).toString('base64')}</success>`);
          stage = 'header2';
        } else if (stage === 'header2') {
          if (!take("xmlns:stream='http://etherx.jabber.org/streams'>")) return;
          sock.write(HEADER + FEATURES_BIND);
          stage = 'bind';
        } else {
          const t = take('</iq>');
          if (!t) return;
          const res = elementText(t, 'resource') || 'gen';
          logins.push(`${user}/${res}`);
          sock.write(`<iq type="result" id="bind1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>${user}@localhost/${res}</jid></bind></iq>`);
          stage = 'header'; // anything after is ignored
          return;
        }
      }
    };
    raw.on('data', onData);
    raw.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, logins };
}

const base = { domain: 'localhost', username: 'alice', hash: 'sha1' as const, timeoutMs: 5000 };

describe('login', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.close();
      (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    }
  });
  const start = async (o: FakeOptions) => {
    const f = await fakeServer(o);
    servers.push(f.server);
    return f;
  };

  it('logs in through STARTTLS, SCRAM-SHA-1, restart and bind, deriving the keys once', async () => {
    const f = await start({ tls: true, password: 'pencil' });
    const cache = new ScramKeyCache();
    for (let i = 0; i < 3; i++) {
      const r = await login({ ...base, port: f.port, password: 'pencil', starttls: true, cache, resource: `r${i}` });
      expect(r.jid).toBe(`alice@localhost/r${i}`);
      r.conn.close();
    }
    expect(f.logins).toEqual(['alice/r0', 'alice/r1', 'alice/r2']);
    expect(cache.derivations).toBe(1);
  });

  it('logs in without TLS when asked to', async () => {
    const f = await start({ tls: false, password: 'pencil' });
    const r = await login({ ...base, port: f.port, password: 'pencil', starttls: false, cache: new ScramKeyCache() });
    expect(r.jid).toBe('alice@localhost/gen');
    r.conn.destroy();
  });

  it('fails in the sasl stage on a wrong password', async () => {
    const f = await start({ tls: true, password: 'pencil' });
    const err = await login({ ...base, port: f.port, password: 'wrong', starttls: true, cache: new ScramKeyCache() }).catch((e) => e);
    expect(err).toBeInstanceOf(LoginError);
    expect(err.stage).toBe('sasl');
    expect(err.message).toMatch(/not-authorized/);
  });

  it('fails when the server cannot prove it knows the keys', async () => {
    const f = await start({ tls: false, password: 'pencil', badSignature: true });
    const err = await login({ ...base, port: f.port, password: 'pencil', starttls: false, cache: new ScramKeyCache() }).catch((e) => e);
    expect(err.stage).toBe('sasl');
    expect(err.message).toMatch(/signature/);
  });

  it('times out in the stage where the server went silent', async () => {
    const f = await start({ tls: false, password: 'pencil', silentAtAuth: true });
    const err = await login({ ...base, port: f.port, password: 'pencil', starttls: false, cache: new ScramKeyCache(), timeoutMs: 200 }).catch((e) => e);
    expect(err.stage).toBe('sasl');
    expect(err.message).toMatch(/timed out/);
  });

  it('fails in the connect stage when nothing listens', async () => {
    const f = await start({ tls: false, password: 'pencil' });
    await new Promise<void>((r) => f.server.close(() => r()));
    const err = await login({ ...base, port: f.port, password: 'pencil', starttls: false, cache: new ScramKeyCache() }).catch((e) => e);
    expect(err.stage).toBe('connect');
  });
});

describe('elementText', () => {
  it('reads the text of the first element, empty for a self-closed one', () => {
    expect(elementText(`<success xmlns='x'>dj0x</success>`, 'success')).toBe('dj0x');
    expect(elementText(`<success xmlns="x"/>`, 'success')).toBe('');
    expect(elementText(`<iq><bind><jid>a@b/c</jid></bind></iq>`, 'jid')).toBe('a@b/c');
    expect(elementText(`<iq/>`, 'jid')).toBeUndefined();
  });
});
