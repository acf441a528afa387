import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { StanzaError } from '@parley/stanza';
import { createTestCa } from '@parley/testing-xmpp';
import { x } from '@parley/xml';
import pino from 'pino';
import { dialbackKey, sameKey } from './dialback';
import { Federation } from './federation';
import { orderSrv, parseStaticRoutes, resolveServer } from './resolve';

describe('server dialback keys (XEP-0185)', () => {
  it('computes the example key of XEP-0185', () => {
    expect(dialbackKey('s3cr3tf0rd14lb4ck', 'xmpp.example.com', 'example.org', 'D60000229F')).toBe('37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643');
  });

  it('depends on every input and compares in constant time', () => {
    const k = dialbackKey('secret', 'a.example', 'b.example', 'id1');
    expect(dialbackKey('secret', 'b.example', 'a.example', 'id1')).not.toBe(k);
    expect(dialbackKey('secret', 'a.example', 'b.example', 'id2')).not.toBe(k);
    expect(dialbackKey('other', 'a.example', 'b.example', 'id1')).not.toBe(k);
    expect(sameKey(` ${k.toUpperCase()} `, k)).toBe(true);
    expect(sameKey(k.slice(1), k)).toBe(false);
  });
});

describe('finding a remote server (RFC 6120 §3.2)', () => {
  const srv = (name: string, port: number, priority: number, weight: number) => ({ name, port, priority, weight });

  it('reads static routes, STARTTLS or direct TLS (`tls:`), and refuses malformed ones', () => {
    expect([...parseStaticRoutes(['Example.org=10.0.0.1:5270', 'v6.example=[::1]:5269', 'direct.example=tls:xmpp.direct.example:5270', 'tls6.example=tls:[::1]:5270', 'tls.example=tls:5269'])]).toEqual([
      ['example.org', { host: '10.0.0.1', port: 5270 }],
      ['v6.example', { host: '::1', port: 5269 }],
      ['direct.example', { host: 'xmpp.direct.example', port: 5270, tls: true }],
      ['tls6.example', { host: '::1', port: 5270, tls: true }],
      ['tls.example', { host: 'tls', port: 5269 }], // a host named "tls" is still a host
    ]);
    expect(() => parseStaticRoutes(['example.org'])).toThrow(/domain=host:port/);
    expect(() => parseStaticRoutes(['example.org=h:0'])).toThrow(/domain=host:port/);
    expect(() => parseStaticRoutes(['example.org=ssl:h:5270'])).toThrow(/domain=tls:host:port/);
  });

  it('orders SRV records by priority, then by weight', () => {
    const records = [srv('c', 3, 20, 0), srv('a', 1, 10, 100), srv('b', 2, 10, 0)];
    expect(orderSrv(records, () => 0).map((t) => t.host)).toEqual(['a', 'b', 'c']);
    // the weighted draw: with the draw at 0.9 of the total, the heavier record of a priority goes first
    expect(orderSrv([srv('light', 1, 10, 10), srv('heavy', 1, 10, 90)], () => 0.5).map((t) => t.host)).toEqual(['heavy', 'light']);
  });

  it('mixes direct-TLS (xmpps) and STARTTLS records by priority, direct TLS first at an equal priority (XEP-0368)', () => {
    const starttls = [srv('s10', 5269, 10, 0), srv('s5', 5269, 5, 0)];
    const direct = [srv('d10', 5270, 10, 0), srv('d20', 5270, 20, 0)];
    expect(orderSrv(starttls, () => 0, direct)).toEqual([
      { host: 's5', port: 5269 },
      { host: 'd10', port: 5270, tls: true },
      { host: 's10', port: 5269 },
      { host: 'd20', port: 5270, tls: true },
    ]);
  });

  it('uses a static route, then SRV (xmpps and xmpp), then the domain itself on 5269; an IP literal is its own address; "." means no service', async () => {
    const routes = parseStaticRoutes(['fixed.example=127.0.0.9:7000', 'fixedtls.example=tls:127.0.0.9:7001']);
    const lookups: string[] = [];
    const lookup = async (name: string) => {
      lookups.push(name);
      if (name === '_xmpp-server._tcp.srv.example') return [srv('xmpp.srv.example', 5270, 0, 0)];
      if (name === '_xmpp-server._tcp.none.example') return [srv('.', 0, 0, 0)];
      if (name === '_xmpps-server._tcp.both.example') return [srv('tls.both.example', 5270, 10, 0)];
      if (name === '_xmpp-server._tcp.both.example') return [srv('plain.both.example', 5269, 10, 0)];
      if (name === '_xmpps-server._tcp.tlsonly.example') return [srv('.', 0, 0, 0)];
      if (name === '_xmpp-server._tcp.tlsonly.example') return [srv('plain.tlsonly.example', 5269, 0, 0)];
      if (name === '_xmpps-server._tcp.nofallback.example') return [srv('.', 0, 0, 0)];
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await resolveServer('fixed.example', routes, lookup)).toEqual([{ host: '127.0.0.9', port: 7000 }]);
    expect(await resolveServer('fixedtls.example', routes, lookup)).toEqual([{ host: '127.0.0.9', port: 7001, tls: true }]);
    expect(await resolveServer('srv.example', routes, lookup)).toEqual([{ host: 'xmpp.srv.example', port: 5270 }]);
    expect(await resolveServer('plain.example', routes, lookup)).toEqual([{ host: 'plain.example', port: 5269 }]);
    expect(await resolveServer('none.example', routes, lookup)).toEqual([]);
    expect(await resolveServer('both.example', routes, lookup)).toEqual([
      { host: 'tls.both.example', port: 5270, tls: true },
      { host: 'plain.both.example', port: 5269 },
    ]);
    // "." for xmpps: STARTTLS records still serve; "." alone: SRV is in use, so no A/AAAA fallback (XEP-0368 §5)
    expect(await resolveServer('tlsonly.example', routes, lookup)).toEqual([{ host: 'plain.tlsonly.example', port: 5269 }]);
    expect(await resolveServer('nofallback.example', routes, lookup)).toEqual([]);
    expect(await resolveServer('192.0.2.7', routes, lookup)).toEqual([{ host: '192.0.2.7', port: 5269 }]);
    expect(lookups.filter((n) => n.endsWith('srv.example') || n.endsWith('.plain.example'))).toEqual(['_xmpps-server._tcp.srv.example', '_xmpp-server._tcp.srv.example', '_xmpps-server._tcp.plain.example', '_xmpp-server._tcp.plain.example']);
  });
});

describe('a remote server that cannot be reached (negative cache)', () => {
  it('is tried once; stanzas for it meanwhile bounce at once (remote-server-timeout: it answered TCP but no stream came up, RFC 6120 §8.3.3.16) instead of each opening a connection', async () => {
    let connections = 0;
    const dead = createServer((sock) => {
      connections += 1;
      sock.destroy(); // accepts and hangs up: never a stream
    });
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as { port: number }).port;
    const bounces: Array<{ id?: string; condition: string; detail: string }> = [];
    let bounced!: () => void;
    const first = new Promise<void>((r) => (bounced = r));
    const own = createTestCa().issue('localhost', 'localhost', ['DNS:localhost']);
    const f = new Federation({
      local: 'localhost',
      secret: 'a shared secret for the test',
      routes: parseStaticRoutes([`dead.example=127.0.0.1:${port}`]),
      tls: own,
      secureAuth: false,
      secureDomains: [],
      insecureDomains: [],
      maxStanzaBytes: 65536,
      rate: 1_000_000,
      requireTls: false,
      connectTimeoutMs: 5000,
      retryAfterMs: 30_000,
      authTimeoutMs: 5000,
      idleTimeoutMs: 60_000,
      maxInbound: 10,
      log: pino({ level: 'silent' }),
      accepts: () => false,
      route: async () => undefined,
      bounce: (stanza, err: StanzaError, detail) => {
        bounces.push({ id: stanza.attrs.id, condition: err.condition, detail });
        bounced();
      },
    });
    try {
      f.send(x('message', { id: 'm1', from: 'alice@localhost/a', to: 'bob@dead.example' }), 'dead.example');
      await first;
      f.send(x('message', { id: 'm2', from: 'alice@localhost/a', to: 'bob@dead.example' }), 'dead.example');
      f.send(x('message', { id: 'm3', from: 'alice@localhost/a', to: 'bob@dead.example' }), 'dead.example');
      expect(bounces).toEqual([
        { id: 'm1', condition: 'remote-server-timeout', detail: 'remote-timeout' },
        { id: 'm2', condition: 'remote-server-timeout', detail: 'remote-timeout' },
        { id: 'm3', condition: 'remote-server-timeout', detail: 'remote-timeout' },
      ]);
      expect(connections).toBe(1);
    } finally {
      f.stop();
      await new Promise<void>((r) => dead.close(() => r()));
    }
  });
});

describe('inbound TLS handed to the federation (direct TLS, XEP-0368)', () => {
  it('runs concurrent handshakes to their own streams, asks for the client certificate, and presents a renewed certificate from then on', async () => {
    const ca = createTestCa();
    const first = ca.issue('first', 'localhost', ['DNS:localhost']);
    const second = ca.issue('second', 'localhost', ['DNS:localhost']);
    const peer = ca.issue('peer', 'peer.example', ['DNS:peer.example']);
    const f = new Federation({
      local: 'localhost',
      secret: 'a shared secret for the test',
      routes: new Map(),
      tls: first,
      ca: [ca.cert],
      secureAuth: false,
      secureDomains: [],
      insecureDomains: [],
      maxStanzaBytes: 65536,
      rate: 1_000_000,
      requireTls: true,
      connectTimeoutMs: 5000,
      retryAfterMs: 0,
      authTimeoutMs: 5000,
      idleTimeoutMs: 60_000,
      maxInbound: 50,
      log: pino({ level: 'silent' }),
      accepts: () => false,
      route: async () => undefined,
      bounce: () => undefined,
    });
    const listener = createServer((s) => f.accept(s, true));
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as { port: number }).port;
    /** Opens a stream from `from` over direct TLS; resolves with the features and the certificate served. */
    const open = (from: string, cert?: { cert: string; key: string }) =>
      new Promise<{ features: string; served: string }>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(cert ?? {}) }, () => {
          s.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='${from}' to='localhost' version='1.0'>`);
        });
        let text = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          text += d;
          if (text.includes('</stream:features>')) {
            resolve({ features: text, served: s.getPeerX509Certificate()!.fingerprint256 });
            s.destroy();
          }
        });
        s.on('error', reject);
      });
    const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
    try {
      const streams = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? open('peer.example', peer) : open('peer.example'))));
      streams.forEach((s, i) => {
        expect(s.served).toBe(fingerprint(first.cert));
        // EXTERNAL only on the streams that presented the peer's certificate: each handshake reached its own stream
        expect(s.features.includes('<mechanism>EXTERNAL</mechanism>')).toBe(i % 2 === 1);
        expect(s.features).not.toContain('<starttls');
      });
      f.setTls(second);
      expect((await open('peer.example', peer)).served).toBe(fingerprint(second.cert));
    } finally {
      f.stop();
      await new Promise<void>((r) => listener.close(() => r()));
    }
  });
});
