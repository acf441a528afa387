// One inbound server-to-server stream (RFC 6120): a remote server opens it to this
// domain, upgrades it with STARTTLS, and authenticates its own domain with Server
// Dialback (XEP-0220) — we ask its authoritative server over our outbound link — or
// asks us to verify a key it was given by a stream we opened (`<db:verify/>`). Only
// stanzas from a domain authenticated on this stream, to this domain, are routed.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { tryParseJid } from '@parley/jid';
import { NS, StreamError, StreamErrorCondition } from '@parley/stanza';
import { Element, StreamHeader, StreamParser, XmlError } from '@parley/xml';
import type { Logger } from 'pino';
import { attr, dialbackKey, NS_DIALBACK, NS_DIALBACK_FEATURE, NS_SERVER, NS_TLS, sameKey } from './dialback';

export interface InboundDeps {
  local: string;
  secret: string;
  secureContext: import('node:tls').SecureContext;
  maxStanzaBytes: number;
  rate: number;
  requireTls: boolean;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  log: Logger;
  /** Asks `remote`'s authoritative server whether `key` is its key for our stream `streamId`. */
  verify(remote: string, streamId: string, key: string): Promise<boolean>;
  /** Whether stanzas for `domain` may arrive on s2s (this domain and its components). */
  accepts(domain: string): boolean;
  /** Routes a checked stanza. */
  route(stanza: Element): Promise<void>;
  closed(s: InboundStream): void;
}

type State = 'header' | 'open' | 'closing' | 'closed';

export class InboundStream {
  private state: State = 'header';
  private parser: StreamParser;
  private socket: Socket;
  private tlsActive = false;
  private streamId = '';
  /** Remote domains authenticated on this stream (dialback). */
  readonly authenticated = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private epoch = 0;
  private tokens: number;
  private lastRefill = Date.now();
  private paused = false;
  private lastRead = Date.now();
  private readonly openedAt = Date.now();

  constructor(
    socket: Socket,
    private readonly d: InboundDeps,
  ) {
    this.socket = socket;
    this.tokens = 4 * d.rate;
    this.parser = this.newParser();
    this.attach(socket);
  }

  private newParser(): StreamParser {
    return new StreamParser(
      {
        streamStart: (h) => this.onStreamStart(h),
        stanza: (el) => this.onElement(el),
        streamEnd: () => this.close(),
        error: (e: XmlError) => this.streamError(new StreamError(e.condition as StreamErrorCondition, e.message)),
      },
      { maxStanzaBytes: this.d.maxStanzaBytes },
    );
  }

  private attach(s: Socket): void {
    s.setNoDelay(true);
    s.on('data', this.onData);
    s.on('error', (e) => this.d.log.debug({ err: e.message }, 's2s inbound socket error'));
    s.on('close', () => this.onClose());
  }

  private readonly onData = (chunk: Buffer): void => {
    this.lastRead = Date.now();
    const now = Date.now();
    this.tokens = Math.min(4 * this.d.rate, this.tokens + ((now - this.lastRefill) / 1000) * this.d.rate) - chunk.length;
    this.lastRefill = now;
    if (this.tokens < 0 && !this.paused) {
      this.paused = true;
      this.socket.pause();
      setTimeout(
        () => {
          this.paused = false;
          if (this.state !== 'closed') this.socket.resume();
        },
        Math.ceil((-this.tokens / this.d.rate) * 1000),
      ).unref();
    }
    this.parser.write(chunk);
  };

  private onStreamStart(h: StreamHeader): void {
    this.streamId = randomBytes(16).toString('hex');
    const to = (h.attrs.to ?? this.d.local).toLowerCase().replace(/\.$/, '');
    this.write(`<?xml version='1.0'?><stream:stream xmlns='${NS_SERVER}' xmlns:stream='${NS.stream}' xmlns:db='${NS_DIALBACK}' id='${this.streamId}' from='${attr(this.d.local)}'${h.attrs.from ? ` to='${attr(h.attrs.from)}'` : ''} version='1.0'>`);
    if (h.defaultNs !== NS_SERVER) return this.streamError(new StreamError('invalid-namespace', `this port serves ${NS_SERVER}`));
    if (to !== this.d.local) return this.streamError(new StreamError('host-unknown', `this server serves ${this.d.local}`));
    this.state = 'open';
    const f = this.tlsActive || !this.d.requireTls ? `<dialback xmlns='${NS_DIALBACK_FEATURE}'><errors/></dialback>` : '';
    const tls = this.tlsActive ? '' : `<starttls xmlns='${NS_TLS}'>${this.d.requireTls ? '<required/>' : ''}</starttls>`;
    this.write(`<stream:features>${tls}${f}</stream:features>`);
  }

  private onElement(el: Element): void {
    if (this.state !== 'open') return;
    const epoch = this.epoch;
    this.queue = this.queue
      .then(() => (epoch === this.epoch ? this.handle(el) : undefined))
      .catch((e) => {
        this.d.log.error({ err: e }, 's2s inbound element handling failed');
        this.streamError(new StreamError('internal-server-error'));
      });
  }

  private async handle(el: Element): Promise<void> {
    if (this.state !== 'open') return;
    const ns = el.attrs.xmlns;
    if (el.name === 'starttls' && ns === NS_TLS && !this.tlsActive) return this.startTls();
    if (!this.tlsActive && this.d.requireTls) return this.streamError(new StreamError('policy-violation', 'STARTTLS first'));
    if (ns === NS_DIALBACK && el.name === 'verify') return this.answerVerify(el);
    if (ns === NS_DIALBACK && el.name === 'result') return this.checkResult(el);
    if (ns !== undefined && ns !== NS_SERVER) return this.streamError(new StreamError('unsupported-stanza-type'));
    if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') return this.streamError(new StreamError('unsupported-stanza-type'));
    if (!this.authenticated.size) return this.streamError(new StreamError('not-authorized', 'authenticate with dialback first'));
    // RFC 6120 §4.9.3.9, §8.1.2.2: only a domain authenticated on this stream may send, and only to this domain
    const from = el.attrs.from === undefined ? undefined : tryParseJid(el.attrs.from);
    if (!from || !this.authenticated.has(from.domain)) return this.streamError(new StreamError('invalid-from'));
    const to = el.attrs.to === undefined ? undefined : tryParseJid(el.attrs.to);
    if (!to) return this.streamError(new StreamError('improper-addressing'));
    if (!this.d.accepts(to.domain)) return this.streamError(new StreamError('host-unknown'));
    delete el.attrs.xmlns;
    await this.d.route(el);
  }

  /** We are the authoritative server: is `key` ours for the stream `id` we opened to `from`? (XEP-0220 §2.3) */
  private answerVerify(el: Element): void {
    const remote = (el.attrs.from ?? '').toLowerCase();
    const id = el.attrs.id ?? '';
    if ((el.attrs.to ?? '').toLowerCase() !== this.d.local) return this.streamError(new StreamError('host-unknown'));
    const ok = !!remote && !!id && sameKey(el.text(), dialbackKey(this.d.secret, remote, this.d.local, id));
    this.write(`<db:verify from='${attr(this.d.local)}' to='${attr(remote)}' id='${attr(id)}' type='${ok ? 'valid' : 'invalid'}'/>`);
  }

  /** The remote asks to send as `from`: verify its key with `from`'s authoritative server (XEP-0220 §2.1). */
  private async checkResult(el: Element): Promise<void> {
    const remote = (el.attrs.from ?? '').toLowerCase();
    const to = (el.attrs.to ?? '').toLowerCase();
    if (to !== this.d.local) return this.streamError(new StreamError('host-unknown'));
    if (!remote || !tryParseJid(remote) || remote === this.d.local) return this.streamError(new StreamError('invalid-from'));
    const ok = await this.d.verify(remote, this.streamId, el.text().trim());
    if (this.state !== 'open') return;
    this.write(`<db:result from='${attr(this.d.local)}' to='${attr(remote)}' type='${ok ? 'valid' : 'invalid'}'/>`);
    if (ok) {
      this.authenticated.add(remote);
      this.d.log.info({ remote }, 's2s inbound stream authenticated (dialback)');
    } else {
      this.d.log.info({ remote }, 's2s dialback key refused');
      this.streamError(new StreamError('not-authorized', 'dialback failed'));
    }
  }

  private startTls(): void {
    this.write(`<proceed xmlns='${NS_TLS}'/>`);
    this.epoch += 1; // nothing sent in plaintext after <starttls/> counts
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const tls = new TLSSocket(raw, { isServer: true, secureContext: this.d.secureContext, ALPNProtocols: ['xmpp-server'] });
    this.socket = tls;
    tls.once('secure', () => {
      this.tlsActive = true;
      this.parser = this.newParser();
      this.state = 'header';
    });
    this.attach(tls);
  }

  private write(xml: string): void {
    const s = this.socket;
    if (this.state !== 'closed' && s.writable) s.write(xml);
  }

  streamError(err: StreamError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.d.log.debug({ condition: err.condition }, 's2s inbound stream error');
    this.write(err.toXml());
    this.close();
  }

  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.write('</stream:stream>');
    const s = this.socket;
    s.end();
    setTimeout(() => s.destroy(), 2000).unref();
  }

  private onClose(): void {
    this.state = 'closed';
    this.d.closed(this);
  }

  /** Authentication deadline and idle timeout. */
  tick(now: number): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (!this.authenticated.size && now - this.openedAt > this.d.authTimeoutMs) return this.streamError(new StreamError('connection-timeout'));
    if (now - this.lastRead > this.d.idleTimeoutMs) this.streamError(new StreamError('connection-timeout'));
  }
}
