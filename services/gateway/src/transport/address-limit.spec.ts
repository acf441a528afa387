// Per-address connection caps: the counting, and real listeners refusing one connection
// too many from an address (its real address behind a PROXY-protocol balancer) with the
// policy-violation stream error, loopback exempt by default.
import { connect, Socket } from 'node:net';
import { registerModule } from '../modules/xep-0077-register/register.module';
import { TestGateway } from '../testing/test-gateway';
import { AddressLimit, addressKey, ipv6Prefix64 } from './address-limit';
import { Listeners, openListeners } from './listeners';

describe('AddressLimit', () => {
  it('caps connections per address, frees slots on release, and never caps the allowlist', () => {
    const l = new AddressLimit(2, ['127.0.0.1']);
    expect(l.acquire('203.0.113.5')).toBe(true);
    expect(l.acquire('::ffff:203.0.113.5')).toBe(true); // the same client on a dual-stack socket
    expect(l.acquire('203.0.113.5')).toBe(false);
    expect(l.acquire('203.0.113.6')).toBe(true);
    l.release('203.0.113.5');
    expect(l.acquire('203.0.113.5')).toBe(true);
    for (let i = 0; i < 10; i++) expect(l.acquire('::ffff:127.0.0.1')).toBe(true);
    l.release('203.0.113.5');
    l.release('203.0.113.5');
    l.release('203.0.113.6');
    expect(l.size).toBe(0);
  });

  it('counts an IPv6 client per /64', () => {
    expect(ipv6Prefix64('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(ipv6Prefix64('2001:0db8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(ipv6Prefix64('::1')).toBe('0:0:0:0::/64');
    expect(ipv6Prefix64('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(ipv6Prefix64('203.0.113.5')).toBeUndefined();
    expect(addressKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
    const l = new AddressLimit(1, []);
    expect(l.acquire('2001:db8:0:1::1')).toBe(true);
    expect(l.acquire('2001:db8:0:1::2')).toBe(false);
    expect(l.acquire('2001:db8:0:2::1')).toBe(true);
  });
});

const OPEN = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

/** A raw client: what the server wrote so far, and waiting for it to match or close. */
class Raw {
  out = '';
  closed = false;
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (d) => this.wake(() => (this.out += d.toString())));
    socket.on('close', () => this.wake(() => (this.closed = true)));
    socket.on('error', () => undefined);
  }
  private wake(change: () => void): void {
    change();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Resolves once `done()` holds (each server write or the close re-checks it). */
  async until(done: () => boolean): Promise<void> {
    for (let i = 0; !done(); i++) {
      if (i > 10_000) throw new Error(`never happened; the server wrote: ${this.out}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

async function client(port: number, proxyFrom?: string): Promise<Raw> {
  const s = connect(port, '127.0.0.1');
  const raw = new Raw(s);
  await new Promise<void>((r) => s.once('connect', () => r()));
  if (proxyFrom) s.write(`PROXY TCP4 ${proxyFrom} 192.0.2.1 40000 5222\r\n`);
  s.write(OPEN);
  return raw;
}

const features = (c: Raw) => () => c.out.includes('</stream:features>');
const refused = (c: Raw) => () => c.closed && c.out.includes('</stream:stream>');

describe('C2S_MAX_CONNECTIONS_PER_ADDRESS on the real listeners', () => {
  let gw: TestGateway;
  let listeners: Listeners;
  const clients: Raw[] = [];
  const start = async (env: Record<string, string>) => {
    gw = await TestGateway.start({ modules: [registerModule], env: { C2S_PORT: '0', C2S_DIRECT_TLS_PORT: '-1', WS_PORT: '-1', ...env } });
    listeners = await openListeners(gw.core);
  };
  const open = async (proxyFrom?: string) => {
    const c = await client(listeners.starttlsPort, proxyFrom);
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await listeners.close();
    await gw.stop();
  });

  it('refuses one connection too many from an address with policy-violation, and admits again once one closes', async () => {
    await start({ C2S_MAX_CONNECTIONS_PER_ADDRESS: '2', C2S_CONNECTION_ALLOWLIST: '' });
    const a = await open();
    const b = await open();
    await a.until(features(a));
    await b.until(features(b));
    const c = await open();
    await c.until(refused(c));
    expect(c.out).toMatch(/^<\?xml version='1.0'\?><stream:stream [^>]*from='localhost'[^>]*>/);
    expect(c.out).toContain("<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>");
    expect(c.out).not.toContain('<stream:features');
    expect(gw.core.connections.size).toBe(2);

    a.socket.destroy();
    await a.until(() => a.closed);
    for (let i = 0; gw.core.connections.size > 1 && i < 10_000; i++) await new Promise((r) => setImmediate(r));
    expect(gw.core.connections.size).toBe(1);
    const d = await open();
    await d.until(features(d));
  });

  it('exempts loopback by default', async () => {
    await start({ C2S_MAX_CONNECTIONS_PER_ADDRESS: '1' });
    const a = await open();
    const b = await open();
    await a.until(features(a));
    await b.until(features(b));
  });

  it('counts the client address a PROXY-protocol balancer gives, not the balancer', async () => {
    await start({ C2S_MAX_CONNECTIONS_PER_ADDRESS: '1', C2S_PROXY_PROTOCOL: 'true' });
    const a = await open('203.0.113.5');
    await a.until(features(a));
    const b = await open('203.0.113.5');
    await b.until(refused(b));
    expect(b.out).toContain('<policy-violation ');
    const c = await open('203.0.113.6');
    await c.until(features(c));
  });
});
