// One inbound server-to-server stream (RFC 6120): a remote server opens it to this
// domain, upgrades it with STARTTLS (or speaks TLS from the first byte, XEP-0368), and
// authenticates its own domain with SASL EXTERNAL (XEP-0178) when the client certificate
// it presented is valid for that domain, or with Server Dialback (XEP-0220) — we ask its
// authoritative server over our outbound link — or asks us to verify a key it was given
// by a stream we opened (`<db:verify/>`). Only stanzas from a domain authenticated on
// this stream, to this domain, are routed.
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tryParseJid } from '@parley/jid';
import { NS, StreamError, StreamErrorCondition } from '@parley/stanza';
import { Element, StreamHeader, StreamParser, XmlError } from '@parley/xml';
import type { Logger } from 'pino';
import { ReadRate } from '../transport/read-rate';
import { attr, dialbackKey, NS_DIALBACK, NS_DIALBACK_FEATURE, NS_SERVER, NS_TLS, sameKey } from './dialback';
import { certifiedFor, PeerCertificate, peerCertificate } from './identity';

/** SASL attempts allowed on one stream before it is closed (RFC 6120 §6.4.5). */
const MAX_SASL_FAILURES = 3;

export interface InboundDeps {
  local: string;
  secret: string;
  /**
   * Runs the TLS handshake over `raw` as a server asking for a client certificate
   * (verified against the trusted authorities); `done` gets the secured socket, or
   * nothing when the handshake failed.
   */
  upgrade(raw: Socket, done: (tls?: TLSSocket) => void): void;
  /** The trusted authorities, parsed (for a peer's server certificate presented as a client certificate). */
  anchors(): X509Certificate[];
  /** Whether `domain` must prove itself by certificate (S2S_SECURE_AUTH and its exceptions). */
  mustVerify(domain: string): boolean;
  /** Counts a domain authenticated on this stream (EXTERNAL, dialback, dialback-certificate) or refused for its certificate. */
  counted(method: 'EXTERNAL' | 'dialback' | 'dialback-certificate' | 'refused'): void;
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
  /** Remote domains authenticated on this stream (SASL EXTERNAL or dialback). */
  readonly authenticated = new Set<string>();
  /** The client certificate TLS received, and whether its chain verified. */
  private peer?: PeerCertificate;
  /** The `from` of the stream header (after TLS, the domain EXTERNAL would authenticate). */
  private from?: string;
  private saslDone = false;
  private saslFailures = 0;
  private queue: Promise<void> = Promise.resolve();
  private epoch = 0;
  private readonly readRate: ReadRate;
  private lastRead = Date.now();
  private readonly openedAt = Date.now();

  constructor(
    socket: Socket,
    private readonly d: InboundDeps,
    /** Direct TLS (XEP-0368): the handshake starts at once, there is no STARTTLS. */
    direct = false,
  ) {
    this.socket = socket;
    this.readRate = new ReadRate(
      d.rate,
      4 * d.rate,
      () => this.socket.pause(),
      () => {
        if (this.state !== 'closed') this.socket.resume();
      },
    );
    this.parser = this.newParser();
    this.attach(socket);
    if (direct) this.startTls(false);
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
    this.readRate.take(chunk.length);
    this.parser.write(chunk);
  };

  private onStreamStart(h: StreamHeader): void {
    this.streamId = randomBytes(16).toString('hex');
    const to = (h.attrs.to ?? this.d.local).toLowerCase().replace(/\.$/, '');
    this.from = h.attrs.from?.toLowerCase().replace(/\.$/, '');
    this.write(`<?xml version='1.0'?><stream:stream xmlns='${NS_SERVER}' xmlns:stream='${NS.stream}' xmlns:db='${NS_DIALBACK}' id='${this.streamId}' from='${attr(this.d.local)}'${h.attrs.from ? ` to='${attr(h.attrs.from)}'` : ''} version='1.0'>`);
    if (h.defaultNs !== NS_SERVER) return this.streamError(new StreamError('invalid-namespace', `this port serves ${NS_SERVER}`));
    if (to !== this.d.local) return this.streamError(new StreamError('host-unknown', `this server serves ${this.d.local}`));
    this.state = 'open';
    const certified = this.tlsActive && !!this.from && certifiedFor(this.peer, this.from);
    if (this.tlsActive && !this.saslDone && this.from && !certified && this.d.mustVerify(this.from)) {
      // RFC 6120 §13.7.2.2: a peer that must prove its domain by its (client) certificate and cannot is refused
      this.d.log.info(
        {
          remote: this.from,
          why: this.peer?.chainValid ? 'certificate not for this domain' : this.peer?.error,
        },
        's2s inbound certificate refused (S2S_SECURE_AUTH)',
      );
      this.d.counted('refused');
      return this.streamError(new StreamError('policy-violation', `a certificate valid for ${this.from} is required`));
    }
    const f = this.tlsActive || !this.d.requireTls ? `<dialback xmlns='${NS_DIALBACK_FEATURE}'><errors/></dialback>` : '';
    const tls = this.tlsActive ? '' : `<starttls xmlns='${NS_TLS}'>${this.d.requireTls ? '<required/>' : ''}</starttls>`;
    // XEP-0178 §3: EXTERNAL only when the certificate is acceptable for the stream's `from`
    const sasl = certified && !this.saslDone ? `<mechanisms xmlns='${NS.sasl}'><mechanism>EXTERNAL</mechanism></mechanisms>` : '';
    this.write(`<stream:features>${tls}${sasl}${f}</stream:features>`);
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
    if (el.name === 'auth' && ns === NS.sasl) return this.saslExternal(el);
    if (ns === NS_DIALBACK && el.name === 'verify') return this.answerVerify(el);
    if (ns === NS_DIALBACK && el.name === 'result') return this.checkResult(el);
    if (ns !== undefined && ns !== NS_SERVER) return this.streamError(new StreamError('unsupported-stanza-type'));
    if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') return this.streamError(new StreamError('unsupported-stanza-type'));
    if (!this.authenticated.size) return this.streamError(new StreamError('not-authorized', 'authenticate with SASL EXTERNAL or dialback first'));
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
    if (certifiedFor(this.peer, remote)) {
      // XEP-0220 §2.1.1 lets the receiving server use any method (XEP-0344): the certificate proves the domain, no round trip
      this.write(`<db:result from='${attr(this.d.local)}' to='${attr(remote)}' type='valid'/>`);
      this.authenticated.add(remote);
      this.d.counted('dialback-certificate');
      this.d.log.info({ remote, method: 'dialback', certificate: 'valid' }, 's2s inbound stream authenticated (dialback with certificate)');
      return;
    }
    if (this.d.mustVerify(remote)) {
      this.d.counted('refused');
      // XEP-0220 §2.4.2: a dialback error, refused by local policy; the stream stays for other domains
      this.d.log.info(
        {
          remote,
          why: this.peer?.chainValid ? 'certificate not for this domain' : (this.peer?.error ?? 'no TLS'),
        },
        's2s dialback refused: a valid certificate is required (S2S_SECURE_AUTH)',
      );
      this.write(
        `<db:result from='${attr(this.d.local)}' to='${attr(remote)}' type='error'><error type='cancel'><policy-violation xmlns='${NS.stanzas}'/><text xmlns='${NS.stanzas}'>a certificate valid for ${attr(remote)} is required</text></error></db:result>`,
      );
      return;
    }
    const ok = await this.d.verify(remote, this.streamId, el.text().trim());
    if (this.state !== 'open') return;
    this.write(`<db:result from='${attr(this.d.local)}' to='${attr(remote)}' type='${ok ? 'valid' : 'invalid'}'/>`);
    if (ok) {
      this.authenticated.add(remote);
      this.d.counted('dialback');
      this.d.log.info({ remote, method: 'dialback', certificate: this.peer?.error ?? 'none' }, 's2s inbound stream authenticated (dialback)');
    } else {
      this.d.log.info({ remote }, 's2s dialback key refused');
      this.streamError(new StreamError('not-authorized', 'dialback failed'));
    }
  }

  /**
   * SASL EXTERNAL (RFC 6120 §6, XEP-0178 §3): the authorization identity is empty (`=`,
   * meaning the stream's `from`) or that domain in base64; it is authenticated when the
   * client certificate, whose chain TLS verified, names it.
   */
  private saslExternal(el: Element): void {
    const fail = (condition: string, why: string) => {
      this.d.log.info({ remote: this.from, condition, why }, 's2s SASL EXTERNAL refused');
      this.write(`<failure xmlns='${NS.sasl}'><${condition}/></failure>`);
      this.saslFailures += 1;
      if (this.saslFailures >= MAX_SASL_FAILURES) this.streamError(new StreamError('policy-violation', 'too many failed authentication attempts'));
    };
    if (this.saslDone) return this.streamError(new StreamError('policy-violation', 'already authenticated'));
    if (!this.tlsActive) return fail('encryption-required', 'no TLS');
    if (el.attrs.mechanism !== 'EXTERNAL') return fail('invalid-mechanism', `mechanism ${el.attrs.mechanism ?? '(none)'}`);
    const data = el.text().trim();
    let identity = this.from;
    if (data !== '' && data !== '=') {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) return fail('incorrect-encoding', 'authzid is not base64');
      identity = Buffer.from(data, 'base64').toString('utf8').trim().toLowerCase().replace(/\.$/, '');
    }
    const jid = identity ? tryParseJid(identity) : undefined;
    if (!identity || !jid || jid.local || jid.resource || identity !== jid.domain) return fail('invalid-authzid', 'not a domain');
    if (this.from && identity !== this.from) return fail('invalid-authzid', "not the stream's from");
    if (identity === this.d.local) return fail('not-authorized', 'our own domain');
    if (!this.peer?.cert) return fail('not-authorized', 'no client certificate');
    if (!certifiedFor(this.peer, identity)) return fail('not-authorized', this.peer.chainValid ? 'certificate not for this domain' : (this.peer.error ?? 'not verified'));
    this.write(`<success xmlns='${NS.sasl}'/>`);
    this.authenticated.add(identity);
    this.d.counted('EXTERNAL');
    this.saslDone = true;
    this.d.log.info({ remote: identity, method: 'EXTERNAL' }, 's2s inbound stream authenticated (SASL EXTERNAL)');
    // RFC 6120 §6.4.6: the initiating server opens a new stream; nothing after <auth/> on the old one counts
    this.epoch += 1;
    this.parser = this.newParser();
    this.state = 'header';
  }

  /** TLS over the connection: after `<proceed/>` (STARTTLS), or at once on the direct-TLS port. */
  private startTls(proceed = true): void {
    if (proceed) this.write(`<proceed xmlns='${NS_TLS}'/>`);
    this.epoch += 1; // nothing sent in plaintext after <starttls/> counts
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => undefined);
    raw.once('close', () => this.onClose());
    this.state = 'header';
    this.parser = this.newParser();
    this.d.upgrade(raw, (tls) => {
      if (!tls) return raw.destroy();
      if (this.state === 'closed' || this.state === 'closing') return tls.destroy();
      this.socket = tls;
      this.peer = peerCertificate(tls, () => this.d.anchors());
      this.tlsActive = true;
      this.attach(tls);
    });
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
