// A raw XMPP socket for hostile-input tests: write bytes, read what the server says.
import { connect, Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';

/** A raw connection that records everything the server sends. */
export class RawXmpp {
  received = '';
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  private attach(s: Socket | TLSSocket): void {
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      this.received += d;
      this.notify();
    });
    s.on('close', () => {
      this.closed = true;
      this.notify();
    });
    s.on('error', () => undefined);
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Opens a plain TCP connection (from `localAddress` when given: any 127.x address works on loopback). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawXmpp> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawXmpp(s)));
      s.once('error', reject);
    });
  }

  /** Opens a direct-TLS connection (certificate not verified: tests use a self-signed one); `maxVersion` pins TLS 1.2. */
  static connectTls(port: number, host = '127.0.0.1', opts: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<RawXmpp> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ port, host, rejectUnauthorized: false, servername: 'localhost', ...opts }, () => resolve(new RawXmpp(s)));
      s.once('error', reject);
    });
  }

  /** Upgrades to TLS after `<proceed/>`. */
  async startTls(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const s = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    this.socket = s;
    this.received = '';
    this.attach(s);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until the received text matches `re`. */
  async expect(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.match(re);
      if (m) return m;
      if (this.closed) throw new Error(`connection closed before ${re} was received; got: ${this.received.slice(-500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; got: ${this.received.slice(-500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the server to close the connection. */
  async expectClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Opens a stream to `domain`. */
  open(domain = 'localhost'): void {
    this.send(`<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Opens a stream and upgrades it with STARTTLS, ready for SASL: the post-TLS features
 * are in `received`. `localAddress` picks the loopback source address; `prefix` is sent
 * before anything else (a load balancer's PROXY header).
 */
export async function rawStartTls(port: number, opts: { domain?: string; localAddress?: string; prefix?: string } = {}): Promise<RawXmpp> {
  const domain = opts.domain ?? 'localhost';
  const raw = await RawXmpp.connect(port, '127.0.0.1', opts.localAddress);
  if (opts.prefix) raw.send(opts.prefix);
  raw.open(domain);
  await raw.expect(/<\/stream:features>/);
  raw.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
  await raw.expect(/<proceed/);
  await raw.startTls();
  raw.open(domain);
  await raw.expect(/<\/stream:features>/);
  return raw;
}

/** Sends SASL PLAIN and resolves with the server's `<success/>` or `<failure/>`. */
export async function plainAuth(raw: RawXmpp, username: string, password: string): Promise<string> {
  raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`);
  return (await raw.expect(/<success[^>]*\/>|<success[\s\S]*?<\/success>|<failure[\s\S]*?<\/failure>/))[0];
}

/**
 * Logs in over a raw socket: STARTTLS, SASL PLAIN inside TLS, bind `resource` (none
 * when empty). Resolves with the connection, its received text cleared after binding
 * unless `keep` asks to keep the post-authentication features and the bind answer.
 */
export async function rawLogin(port: number, username: string, password: string, resource: string, opts: { domain?: string; keep?: boolean } = {}): Promise<RawXmpp> {
  const domain = opts.domain ?? 'localhost';
  const raw = await rawStartTls(port, { domain });
  const outcome = await plainAuth(raw, username, password);
  if (!outcome.startsWith('<success')) throw new Error(`login of ${username} failed: ${outcome}`);
  raw.received = '';
  raw.open(domain);
  await raw.expect(/<\/stream:features>/);
  if (resource) {
    raw.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await raw.expect(/<jid>[^<]+<\/jid>/);
    if (!opts.keep) raw.received = '';
  }
  return raw;
}
