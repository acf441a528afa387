// A deliberately minimal XMPP client connection for load generation: raw sockets,
// string markers instead of an XML parser, our own cached SCRAM. It does only
// what a login needs (RFC 6120: stream header, STARTTLS, SASL, restart, bind) and
// then hands raw received text to a sink. It trusts the server under test to be
// well-formed; anything unexpected fails the login with the stage it happened in.
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { SCRAM_MECHANISM, ScramClient, ScramHashName, ScramKeyCache } from './scram-client';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';

/** A login step failed; `stage` says which (for the failure breakdown). */
export class LoginError extends Error {
  constructor(
    readonly stage: string,
    message: string,
  ) {
    super(`${stage}: ${message}`);
    this.name = 'LoginError';
  }
}

/** Escapes text for XML character data and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** The opening stream header a client sends (RFC 6120 §4.7). */
export function streamHeader(domain: string): string {
  return `<?xml version='1.0'?><stream:stream to='${escapeXml(domain)}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
}

/** Text content of the first `<name ...>…</name>` (or empty for `<name/>`) in `xml`, undefined when absent. */
export function elementText(xml: string, name: string): string | undefined {
  const start = xml.indexOf(`<${name}`);
  if (start < 0) return undefined;
  const gt = xml.indexOf('>', start);
  if (gt < 0) return undefined;
  if (xml[gt - 1] === '/') return '';
  const end = xml.indexOf(`</${name}>`, gt);
  return end < 0 ? undefined : xml.slice(gt + 1, end);
}

interface Waiter {
  markers: string[];
  stage: string;
  resolve: (r: { index: number; text: string }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One client connection. */
export class BenchConnection {
  private buf = '';
  private waiter?: Waiter;
  private closed = false;
  /** After login: receives every chunk of text the server sends (nothing is buffered then). */
  private sink?: (chunk: string) => void;

  private constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  /** Opens a TCP connection to 127.0.0.1 (the benchmark never targets anything else). */
  static open(port: number, timeoutMs: number): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ port, host: '127.0.0.1', noDelay: true });
      const t = setTimeout(() => {
        s.destroy();
        reject(new LoginError('connect', `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(new BenchConnection(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(new LoginError('connect', e.message));
      });
    });
  }

  private attach(s: Socket | TLSSocket): void {
    s.setEncoding('utf8');
    s.on('data', this.onData);
    s.on('error', this.onGone);
    s.on('close', this.onGone);
  }

  private readonly onData = (d: string): void => {
    if (this.sink) return this.sink(d);
    this.buf += d;
    this.check();
  };

  private readonly onGone = (e?: Error | boolean): void => {
    this.closed = true;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      const why = e instanceof Error ? e.message : 'connection closed';
      w.reject(new LoginError(w.stage, `${why}; last received: ${this.buf.slice(-300)}`));
    }
  };

  get isClosed(): boolean {
    return this.closed;
  }

  send(s: string): void {
    if (!this.closed) this.socket.write(s);
  }

  /** Bytes queued in the socket but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Resolves with the text up to and including the first marker found (and which one), consuming it. */
  waitFor(markers: string[], stage: string, timeoutMs: number): Promise<{ index: number; text: string }> {
    if (this.waiter) return Promise.reject(new LoginError(stage, 'already waiting'));
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new LoginError(stage, `connection closed; last received: ${this.buf.slice(-300)}`));
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new LoginError(stage, `timed out after ${timeoutMs} ms; last received: ${this.buf.slice(-300)}`));
      }, timeoutMs);
      this.waiter = { markers, stage, resolve, reject, timer };
      this.check();
    });
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    let best = -1;
    let bestAt = Infinity;
    for (let i = 0; i < w.markers.length; i++) {
      const at = this.buf.indexOf(w.markers[i]);
      if (at >= 0 && at < bestAt) {
        best = i;
        bestAt = at;
      }
    }
    if (best < 0) return;
    const end = bestAt + w.markers[best].length;
    const text = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    this.waiter = undefined;
    clearTimeout(w.timer);
    w.resolve({ index: best, text });
  }

  /** Upgrades to TLS after `<proceed/>` (certificate not verified: the gateway's is self-signed). */
  async startTls(servername: string, timeoutMs: number): Promise<void> {
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    raw.removeListener('error', this.onGone);
    raw.removeListener('close', this.onGone);
    const tls = tlsConnect({ socket: raw as Socket, rejectUnauthorized: false, servername });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        tls.destroy();
        reject(new LoginError('tls', `no TLS handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      tls.once('secureConnect', () => {
        clearTimeout(t);
        tls.removeAllListeners('error');
        resolve();
      });
      tls.once('error', (e) => {
        clearTimeout(t);
        reject(new LoginError('tls', e.message));
      });
    });
    this.socket = tls;
    this.buf = '';
    this.attach(tls);
  }

  /** Switches to raw mode: every received chunk (and what is buffered now) goes to `sink`. */
  setSink(sink: (chunk: string) => void): void {
    this.sink = sink;
    const rest = this.buf;
    this.buf = '';
    if (rest) sink(rest);
  }

  /** Closes the stream politely; the socket is destroyed if the server does not close within `graceMs`. */
  close(graceMs = 1000): void {
    if (this.closed) return;
    const s = this.socket;
    s.end('</stream:stream>');
    setTimeout(() => s.destroy(), graceMs).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** What a login needs. */
export interface LoginOptions {
  port: number;
  domain: string;
  username: string;
  password: string;
  /** Negotiate STARTTLS (the gateway requires it unless TLS_REQUIRED=false). */
  starttls: boolean;
  hash: ScramHashName;
  cache: ScramKeyCache;
  /** Resource to request; the server picks one when absent. */
  resource?: string;
  /** Per-step timeout. */
  timeoutMs: number;
  /** When given, milliseconds spent per stage are added to it (tcp, stream, tls, sasl, restart, bind). */
  stageMs?: Record<string, number>;
}

/** A logged-in, bound connection. */
export interface LoggedIn {
  conn: BenchConnection;
  jid: string;
}

/**
 * Runs the whole login: connect, header, [STARTTLS, header], SCRAM, restart, bind.
 * Rejects with a {@link LoginError} naming the failing stage; the socket is then destroyed.
 */
export async function login(o: LoginOptions): Promise<LoggedIn> {
  let mark = performance.now();
  const lap = (stage: string) => {
    if (!o.stageMs) return;
    const now = performance.now();
    o.stageMs[stage] = (o.stageMs[stage] ?? 0) + (now - mark);
    mark = now;
  };
  const conn = await BenchConnection.open(o.port, o.timeoutMs);
  lap('tcp');
  try {
    const header = streamHeader(o.domain);
    conn.send(header);
    await conn.waitFor(['</stream:features>'], 'features', o.timeoutMs);
    lap('stream');
    if (o.starttls) {
      conn.send(`<starttls xmlns='${NS_TLS}'/>`);
      const r = await conn.waitFor(['<proceed', '<failure'], 'starttls', o.timeoutMs);
      if (r.index !== 0) throw new LoginError('starttls', 'server refused STARTTLS');
      await conn.startTls(o.domain, o.timeoutMs);
      conn.send(header);
      await conn.waitFor(['</stream:features>'], 'features', o.timeoutMs);
      lap('tls');
    }
    const scram = new ScramClient(o.hash, o.username, o.password, o.cache);
    conn.send(`<auth xmlns='${NS_SASL}' mechanism='${SCRAM_MECHANISM[o.hash]}'>${Buffer.from(scram.first()).toString('base64')}</auth>`);
    const ch = await conn.waitFor(['</challenge>', '</failure>'], 'sasl', o.timeoutMs);
    if (ch.index !== 0) throw new LoginError('sasl', `server failed the auth: ${ch.text.slice(-200)}`);
    const serverFirst = Buffer.from(elementText(ch.text, 'challenge') ?? '', 'base64').toString();
    conn.send(`<response xmlns='${NS_SASL}'>${Buffer.from(scram.final(serverFirst)).toString('base64')}</response>`);
    const fin = await conn.waitFor(['</success>', '</failure>'], 'sasl', o.timeoutMs);
    if (fin.index !== 0) throw new LoginError('sasl', `not authorized: ${fin.text.slice(-200)}`);
    try {
      scram.verify(Buffer.from(elementText(fin.text, 'success') ?? '', 'base64').toString());
    } catch (e) {
      throw new LoginError('sasl', (e as Error).message);
    }
    lap('sasl');
    conn.send(header);
    await conn.waitFor(['</stream:features>'], 'features', o.timeoutMs);
    lap('restart');
    const res = o.resource ? `<resource>${escapeXml(o.resource)}</resource>` : '';
    conn.send(`<iq type='set' id='bind1'><bind xmlns='${NS_BIND}'>${res}</bind></iq>`);
    const bound = await conn.waitFor(['</iq>'], 'bind', o.timeoutMs);
    const jid = elementText(bound.text, 'jid');
    if (!jid) throw new LoginError('bind', `no JID bound: ${bound.text.slice(-200)}`);
    lap('bind');
    return { conn, jid };
  } catch (e) {
    conn.destroy();
    throw e instanceof LoginError ? e : new LoginError('login', (e as Error).message);
  }
}
