// One external component connection (XEP-0114, `jabber:component:accept`): the
// component names its domain in the stream header, proves the shared secret with
// `<handshake/>` (hex SHA-1 of stream id and secret), then exchanges stanzas, each
// `from` an address at its own domain. Hostile input ends only this stream, with the
// stream error RFC 6120 names.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { tryParseJid } from '@parley/jid';
import { NS, StreamError, StreamErrorCondition } from '@parley/stanza';
import { Element, StreamHeader, StreamParser, XmlError } from '@parley/xml';
import type { Logger } from 'pino';
import { ReadRate } from '../transport/read-rate';
import type { GatewayConfig } from '../config/config';

/** The component stream's default namespace (XEP-0114 §3). */
export const NS_COMPONENT = 'jabber:component:accept';

type State = 'header' | 'handshake' | 'ready' | 'closing' | 'closed';

/** What a component connection needs of the gateway. */
export interface ComponentStreamHost {
  readonly config: Pick<GatewayConfig, 'MAX_STANZA_SIZE' | 'AUTH_TIMEOUT' | 'IDLE_TIMEOUT' | 'KEEPALIVE_INTERVAL' | 'MAX_OUTBOUND_BUFFER' | 'COMPONENT_RATE'>;
  readonly log: Logger;
  /** The shared secret of a configured component domain, or undefined. */
  secretOf(domain: string): string | undefined;
  /** Makes this connection the component's, cluster-wide; false when another holds it (→ `conflict`). */
  attach(domain: string, conn: ComponentConnection): Promise<boolean>;
  /** The connection ended. */
  detach(domain: string, conn: ComponentConnection): void;
  /** A checked stanza from the component (`from` at its domain, `to` present), in the order received. */
  fromComponent(domain: string, stanza: Element): Promise<void>;
  /** The connection is gone (the sweep stops ticking it). */
  closed(conn: ComponentConnection): void;
}

/** The hex SHA-1 of stream id and secret that the handshake carries (XEP-0114 §3). */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1').update(streamId + secret, 'utf8').digest('hex');
}

export class ComponentConnection {
  private state: State = 'header';
  private readonly parser: StreamParser;
  private streamId = '';
  /** The component's domain, once named in a header we accepted. */
  domain?: string;
  private queue: Promise<void> = Promise.resolve();
  /** Stanzas for the component while its claim is settled, written after `<handshake/>`. */
  private pending: string[] = [];
  private readonly readRate: ReadRate;
  lastRead = Date.now();
  private lastWrite = Date.now();
  readonly openedAt = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly host: ComponentStreamHost,
  ) {
    this.readRate = new ReadRate(
      host.config.COMPONENT_RATE,
      4 * host.config.COMPONENT_RATE,
      () => this.socket.pause(),
      () => {
        if (this.state !== 'closed') this.socket.resume();
      },
    );
    this.parser = new StreamParser(
      {
        streamStart: (h) => this.onStreamStart(h),
        stanza: (el) => this.onElement(el),
        streamEnd: () => this.onStreamEnd(),
        error: (e: XmlError) => this.streamError(new StreamError(e.condition as StreamErrorCondition, e.message)),
      },
      { maxStanzaBytes: host.config.MAX_STANZA_SIZE },
    );
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (e) => host.log.debug({ err: e.message }, 'component socket error'));
    socket.on('close', () => this.onClose());
  }

  /** Whether the handshake succeeded and the stream is open. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  private readonly onData = (chunk: Buffer): void => {
    this.lastRead = Date.now();
    this.readRate.take(chunk.length);
    this.parser.write(chunk);
  };

  private onStreamStart(h: StreamHeader): void {
    if (this.state !== 'header') return this.streamError(new StreamError('policy-violation', 'the stream was already opened'));
    this.streamId = randomBytes(12).toString('hex');
    const to = (h.attrs.to ?? '').toLowerCase().replace(/\.$/, '');
    const known = this.host.secretOf(to) !== undefined;
    this.write(this.header(known ? to : undefined));
    if (h.defaultNs !== NS_COMPONENT) return this.streamError(new StreamError('invalid-namespace', `this port serves ${NS_COMPONENT}`));
    if (!known) return this.streamError(new StreamError('host-unknown', 'no component of that name is configured'));
    this.domain = to;
    this.state = 'handshake';
  }

  /** The server's stream header (XEP-0114 §3: `from` the component's domain, with the id the handshake hashes). */
  private header(from?: string): string {
    return `<?xml version='1.0'?><stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='${NS.stream}' id='${this.streamId}'${from ? ` from='${from}'` : ''}>`;
  }

  private onStreamEnd(): void {
    if (this.state === 'closing') {
      this.socket.end();
      return;
    }
    this.close();
  }

  private onElement(el: Element): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.queue = this.queue
      .then(() => this.handle(el))
      .catch((e) => {
        this.host.log.error({ err: e, component: this.domain }, 'component stanza handling failed');
        this.streamError(new StreamError('internal-server-error'));
      });
  }

  private async handle(el: Element): Promise<void> {
    if (this.state === 'handshake') return this.handshake(el);
    if (this.state !== 'ready') return;
    const ns = el.attrs.xmlns;
    if ((ns !== undefined && ns !== NS_COMPONENT) || (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq')) {
      return this.streamError(new StreamError('unsupported-stanza-type'));
    }
    // XEP-0114 §3: a component's stanzas carry `from` and `to`; `from` is at its own domain.
    const from = el.attrs.from === undefined ? undefined : tryParseJid(el.attrs.from);
    if (!from || from.domain !== this.domain) return this.streamError(new StreamError('invalid-from', `stanzas must come from ${this.domain} or an address at it`));
    if (!el.attrs.to) return this.streamError(new StreamError('improper-addressing', 'a stanza needs a to address'));
    delete el.attrs.xmlns;
    el.attrs.from = from.toString();
    await this.host.fromComponent(this.domain!, el);
  }

  private async handshake(el: Element): Promise<void> {
    const domain = this.domain!;
    const secret = this.host.secretOf(domain);
    if (el.name !== 'handshake' || (el.attrs.xmlns !== undefined && el.attrs.xmlns !== NS_COMPONENT) || secret === undefined) {
      return this.streamError(new StreamError('not-authorized', 'send the handshake first'));
    }
    const expected = Buffer.from(handshakeDigest(this.streamId, secret));
    const given = Buffer.from(el.text().trim().toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.host.log.info({ component: domain }, 'component handshake refused');
      return this.streamError(new StreamError('not-authorized', 'wrong handshake'));
    }
    // stanzas pipelined after the handshake wait in the queue until the claim is settled;
    // stanzas for the component that arrive meanwhile wait in `pending`
    this.pending = [];
    const won = await this.host.attach(domain, this);
    if (this.state !== 'handshake') {
      // the socket went away while the claim was settled
      if (won) this.host.detach(domain, this);
      return;
    }
    if (!won) return this.streamError(new StreamError('conflict', 'this component is already connected'));
    this.state = 'ready';
    this.write('<handshake/>');
    for (const xml of this.pending.splice(0)) this.write(xml);
    this.host.log.info({ component: domain }, 'component connected');
  }

  /** Writes a stanza to the component (a `jabber:client` one is written in the stream's namespace); false when the stream is closing. */
  send(stanza: Element | string): boolean {
    const xml = typeof stanza === 'string' ? stanza : stanza.toString();
    if (this.state === 'handshake') this.pending.push(xml);
    else if (this.state === 'ready') this.write(xml);
    else return false;
    return true;
  }

  private write(xml: string): void {
    if (this.state === 'closed') return;
    const s = this.socket;
    if (!s.writable) return;
    s.write(xml);
    this.lastWrite = Date.now();
    if (s.writableLength > this.host.config.MAX_OUTBOUND_BUFFER) {
      this.host.log.warn({ component: this.domain }, 'component not reading; connection dropped');
      this.state = 'closed';
      s.destroy();
    }
  }

  /** Sends a stream error and closes (RFC 6120 §4.9). */
  streamError(err: StreamError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.host.log.debug({ condition: err.condition, component: this.domain }, 'component stream error');
    this.write(err.toXml());
    this.close();
  }

  /** Closes the stream: `</stream:stream>`, then the socket after the peer's close or a grace period. */
  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closing';
    if (wasReady) this.host.detach(this.domain!, this);
    this.write('</stream:stream>');
    const s = this.socket;
    s.end();
    setTimeout(() => s.destroy(), 2000).unref();
  }

  private onClose(): void {
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    if (wasReady) this.host.detach(this.domain!, this);
    this.parser.end?.();
    this.host.closed(this);
  }

  /** Timer check: handshake deadline, idle timeout, whitespace keepalive. */
  tick(now: number): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    const cfg = this.host.config;
    if (this.state !== 'ready' && now - this.openedAt > cfg.AUTH_TIMEOUT) return this.streamError(new StreamError('connection-timeout', 'the handshake took too long'));
    if (now - this.lastRead > cfg.IDLE_TIMEOUT) return this.streamError(new StreamError('connection-timeout'));
    if (this.state === 'ready' && now - Math.max(this.lastRead, this.lastWrite) > cfg.KEEPALIVE_INTERVAL) this.write(' ');
  }
}
