// One client connection (RFC 6120): stream headers and restarts, STARTTLS, SASL,
// resource binding, then stanzas handed to the router in order. Hostile input ends
// only this stream, with the stream error RFC 6120 names.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { tryParseJid } from '@parley/jid';
import { Element, StreamHeader, StreamParser, x, XmlError } from '@parley/xml';
import { NS, StanzaError, StreamError, StreamErrorCondition, errorReply } from '@parley/stanza';
import type { PreBindStream } from '../host/registry';
import type { Session, SessionTransport } from '../session/session';
import type { StreamHost } from './stream-host';
import { randomToken } from '../host/random-token';
import { SaslNegotiation } from '../auth/sasl/sasl';
import { endPointHashDer } from '../transport/certs';
import { ReadRate } from '../transport/read-rate';

type State = 'header' | 'negotiating' | 'authenticated' | 'bound' | 'closing' | 'closed';

const STREAM_NS = NS.stream;
/** A BCP 47 language tag's shape (RFC 5646 §2.1), bounded: enough to refuse markup and junk. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,7}$/;

export class C2SConnection implements SessionTransport {
  private state: State = 'header';
  private readonly parser: StreamParser;
  private socket: Socket;
  private tlsActive: boolean;
  private streamId = '';
  private username?: string;
  private mechanism = '';
  /** The default language the client declared for its stanzas on this stream (RFC 6120 §4.7.4). */
  private lang?: string;
  /** The bound session, once there is one. */
  session?: Session;
  private sasl?: SaslNegotiation;
  private queue: Promise<void> = Promise.resolve();
  /** Bumped when the stream's security changes: elements parsed before are dropped. */
  private epoch = 0;
  private readonly readRate: ReadRate;
  /** Parsed elements waiting for their turn; at C2S_MAX_PENDING reading stops until half are done. */
  private pending = 0;
  private heldByQueue = false;
  private corked = false;
  /** Last time anything was read. */
  lastRead = Date.now();
  private lastWrite = Date.now();
  readonly openedAt = Date.now();
  readonly address: string;

  constructor(
    socket: Socket,
    private readonly gw: StreamHost,
    directTls: boolean,
    private readonly opts: { startTls: boolean; address?: string } = { startTls: true },
  ) {
    this.socket = socket;
    this.tlsActive = directTls;
    // the client's address as a trusted balancer told it (PROXY protocol, X-Forwarded-For), else the peer's
    this.address = opts.address ?? socket.remoteAddress ?? 'unknown';
    this.readRate = new ReadRate(
      gw.config.C2S_RATE,
      gw.config.C2S_BURST,
      () => this.socket.pause(),
      () => {
        if (this.state !== 'closed' && !this.heldByQueue) this.socket.resume();
      },
    );
    this.parser = new StreamParser(
      {
        streamStart: (h) => this.onStreamStart(h),
        stanza: (el) => this.onElement(el),
        streamEnd: () => this.onStreamEnd(),
        error: (e) => this.onXmlError(e),
      },
      { maxStanzaBytes: gw.config.MAX_STANZA_SIZE },
    );
    this.attach(socket);
  }

  get secure(): boolean {
    return this.tlsActive;
  }

  get bound(): boolean {
    return this.state === 'bound';
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (e) => this.gw.log.debug({ err: e.message }, 'socket error'));
    socket.on('close', () => this.onClose());
  }

  // ---- input -------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    this.lastRead = Date.now();
    this.gw.metrics.bytesIn += chunk.length;
    this.readRate.take(chunk.length);
    this.parser.write(chunk);
  };

  private onXmlError(e: XmlError): void {
    this.streamError(new StreamError(e.condition as StreamErrorCondition, e.message));
  }

  private onStreamStart(h: StreamHeader): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.streamId = randomToken(12, 'base64url');
    const domain = this.gw.domain;
    // RFC 6120 §4.7.4: the client's xml:lang is the default for everything it sends on
    // this stream, and the server answers with it (a malformed tag falls back to `en`).
    const lang = h.attrs['xml:lang'];
    this.lang = lang !== undefined && LANGUAGE_TAG.test(lang) ? lang : undefined;
    const from = this.username ? undefined : h.attrs.from;
    this.write(this.header(from));
    if (h.name !== 'stream' || h.ns !== STREAM_NS) return this.streamError(new StreamError('invalid-namespace'));
    if (h.defaultNs !== NS.client) return this.streamError(new StreamError('invalid-namespace', 'this port serves jabber:client'));
    const to = (h.attrs.to ?? '').toLowerCase().replace(/\.$/, '');
    if (to !== domain) return this.streamError(new StreamError('host-unknown', `this server serves ${domain}`));
    const version = h.attrs.version ?? '0.9';
    if (!/^1\.\d+$/.test(version)) return this.streamError(new StreamError('unsupported-version'));
    this.write(this.features().toString());
  }

  /** The server's stream header (RFC 6120 §4.7), addressed to `to` when given. */
  private header(to?: string): string {
    return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${STREAM_NS}' id='${this.streamId}' from='${this.gw.domain}'${to ? ` to='${escapeAttr(to)}'` : ''} version='1.0' xml:lang='${this.lang ?? 'en'}'>`;
  }

  /**
   * Turns the connection away before any negotiation: the server's stream header, the
   * stream error and the closing tag at once (RFC 6120 §4.9.1.2), without waiting for the
   * client's header, so that a refused connection holds nothing while it idles.
   */
  refuse(err: StreamError): void {
    if (this.state !== 'header') return;
    this.streamId = randomToken(12, 'base64url');
    this.write(this.header());
    this.streamError(err);
  }

  private features(): Element {
    const f = x('stream:features');
    const cfg = this.gw.config;
    if (this.state === 'header' || this.state === 'negotiating') {
      this.state = 'negotiating';
      if (!this.tlsActive && this.opts.startTls) f.append(x('starttls', { xmlns: NS.tls }, cfg.TLS_REQUIRED ? x('required') : undefined));
      if (this.tlsActive || !cfg.TLS_REQUIRED) {
        f.append(x('mechanisms', { xmlns: NS.sasl }, ...SaslNegotiation.mechanisms(this.tlsActive, this.channelBindings().length > 0, this.gw.scramSha512).map((m) => x('mechanism', null, m))));
        const cb = this.channelBindings();
        if (cb.length) f.append(x('sasl-channel-binding', { xmlns: NS.saslCb }, ...cb.map((t) => x('channel-binding', { type: t }))));
        for (const p of this.gw.registry.preAuthFeatures) f.append(p(this.tlsActive));
      }
    } else {
      f.append(x('bind', { xmlns: NS.bind }), x('session', { xmlns: NS.session }, x('optional')));
      for (const p of this.gw.registry.streamFeatures) f.append(p(this.session));
    }
    return f;
  }

  /**
   * Channel-binding types this connection can offer (XEP-0440): tls-exporter on TLS 1.3
   * (RFC 9266), tls-unique on TLS 1.2 (RFC 5929 §3), tls-server-end-point on both. None
   * with SASL_CHANNEL_BINDING=false (no -PLUS offered, so a client's `y` flag is no downgrade).
   */
  channelBindings(): string[] {
    if (!this.tlsActive || !(this.socket instanceof TLSSocket) || !this.gw.config.SASL_CHANNEL_BINDING) return [];
    const protocol = this.socket.getProtocol();
    if (protocol === 'TLSv1.3') return ['tls-exporter', 'tls-server-end-point'];
    if (protocol === 'TLSv1.2') return ['tls-unique', 'tls-server-end-point'];
    return ['tls-server-end-point'];
  }

  /** Channel-binding data of a type, for SCRAM-*-PLUS. */
  channelBindingData(type: string): Buffer | undefined {
    if (!(this.socket instanceof TLSSocket) || !this.tlsActive) return undefined;
    if (type === 'tls-exporter' && this.socket.getProtocol() === 'TLSv1.3') {
      return this.socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    }
    if (type === 'tls-unique' && this.socket.getProtocol() === 'TLSv1.2') {
      // the first Finished message of the handshake: the client's, or ours when the session was resumed
      return this.socket.isSessionReused() ? this.socket.getFinished() : this.socket.getPeerFinished();
    }
    if (type === 'tls-server-end-point') {
      // the certificate this connection's handshake presented (it may have been renewed since)
      const own = this.socket.getCertificate();
      return own && 'raw' in own && own.raw ? endPointHashDer(own.raw) : this.gw.tls.serverEndPoint;
    }
    return undefined;
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
    const epoch = this.epoch;
    const max = this.gw.config.C2S_MAX_PENDING;
    if (++this.pending >= max && !this.heldByQueue) {
      // the client sends faster than its stanzas are handled: stop reading (TCP backpressure), lose nothing
      this.heldByQueue = true;
      this.gw.metrics.readPauses += 1;
      this.socket.pause();
    }
    this.queue = this.queue
      .then(() => (epoch === this.epoch ? this.handle(el) : undefined))
      .catch((e) => {
        this.gw.log.error({ err: e }, 'stanza handling failed');
        this.streamError(new StreamError('internal-server-error'));
      })
      .finally(() => {
        if (--this.pending <= max / 2 && this.heldByQueue) {
          this.heldByQueue = false;
          if (!this.readRate.paused && this.state !== 'closed') this.socket.resume();
        }
      });
  }

  /** Resolves once every element read so far has been handled (BOSH: a terminating request's last payloads). */
  settled(): Promise<void> {
    return this.queue;
  }

  private async handle(el: Element): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const ns = el.attrs.xmlns;
    if (this.state === 'bound') {
      // Messages may overtake an offline hand-off still waiting for its JetStream ack
      // (Session.continueWhile); anything else — an IQ, presence, XEP-0198 <r/> — waits
      // for it, so every answer and every handled count covers committed work only.
      const session = this.session!;
      if (session.unsettledWork > 0 && !(el.name === 'message' && (ns === undefined || ns === NS.client))) await session.settled();
      if (this.state !== 'bound') return;
      if (ns === undefined || ns === NS.client) return this.stanza(el);
      for (const h of this.gw.registry.nonzas) if (h(this.session!, el)) return;
      return this.streamError(new StreamError('unsupported-stanza-type'));
    }
    if (this.state === 'negotiating') {
      if (el.name === 'starttls' && ns === NS.tls) return this.startTls();
      if (ns === NS.sasl) return this.saslStep(el);
      if (el.name === 'iq' && ns === undefined) return this.preAuthIq(el);
      return this.streamError(new StreamError('not-authorized', 'authenticate first'));
    }
    if (this.state === 'authenticated') {
      if (el.name === 'iq' && ns === undefined) return this.bindIq(el);
      // XEP-0198 <resume/> reports the handled count of the user's session: its hand-offs settle first.
      await this.gw.sessions.settled(this.username!);
      if (this.state !== 'authenticated') return;
      const stream = this.preBindStream();
      for (const h of this.gw.registry.preBindNonzas) if (h(stream, el)) return;
      return this.streamError(new StreamError('not-authorized', 'bind a resource first'));
    }
  }

  // ---- STARTTLS (RFC 6120 §5) ---------------------------------------------

  private startTls(): void {
    if (this.tlsActive || !this.opts.startTls) return this.streamError(new StreamError('policy-violation', this.tlsActive ? 'TLS is already active' : 'STARTTLS is not available on this transport'));
    this.write(`<proceed xmlns='${NS.tls}'/>`);
    // Whatever came in plaintext after <starttls/> (already parsed, or still buffered) is
    // discarded: an attacker on the path could otherwise inject commands that the server
    // would then treat as sent inside TLS (RFC 6120 §5.4.3.3; the STARTTLS injection class).
    this.epoch += 1;
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const tls = new TLSSocket(raw, { isServer: true, secureContext: this.gw.tls.context, ALPNProtocols: ['xmpp-client'] });
    this.socket = tls;
    tls.once('secure', () => {
      this.tlsActive = true;
      this.parser.reset();
      this.state = 'header';
    });
    this.attach(tls);
  }

  // ---- SASL (RFC 6120 §6) -------------------------------------------------

  private async saslStep(el: Element): Promise<void> {
    if (el.name === 'auth') {
      if (this.gw.config.TLS_REQUIRED && !this.tlsActive) return this.saslFailure('encryption-required');
      this.sasl = new SaslNegotiation(this.gw, this);
      const out = await this.sasl.start(el.attrs.mechanism ?? '', el.text());
      return this.saslOutcome(out);
    }
    if (el.name === 'response' && this.sasl) return this.saslOutcome(await this.sasl.step(el.text()));
    if (el.name === 'abort') {
      this.sasl = undefined;
      return this.write(`<failure xmlns='${NS.sasl}'><aborted/></failure>`);
    }
    this.saslFailure('malformed-request');
  }

  private saslFailure(condition: string, text?: string): void {
    this.sasl = undefined;
    this.write(x('failure', { xmlns: NS.sasl }, x(condition), text ? x('text', { 'xml:lang': 'en' }, text) : undefined).toString());
  }

  private saslOutcome(out: Awaited<ReturnType<SaslNegotiation['start']>>): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (out.kind === 'challenge') return this.write(`<challenge xmlns='${NS.sasl}'>${out.data.length ? out.data.toString('base64') : '='}</challenge>`);
    if (out.kind === 'failure') return this.saslFailure(out.condition, out.text);
    this.sasl = undefined;
    this.username = out.username;
    this.mechanism = out.mechanism;
    this.write(`<success xmlns='${NS.sasl}'>${out.data.length ? out.data.toString('base64') : ''}</success>`);
    this.state = 'authenticated';
    this.parser.reset();
  }

  // ---- before auth: registration and friends -----------------------------

  private async preAuthIq(iq: Element): Promise<void> {
    const payload = iq.children.find((c): c is Element => typeof c !== 'string');
    const handler = payload && (iq.attrs.type === 'get' || iq.attrs.type === 'set') ? this.gw.registry.preAuthIq.get(payload.attrs.xmlns ?? '') : undefined;
    if (!handler) return this.streamError(new StreamError('not-authorized', 'authenticate first'));
    try {
      const res = await handler(iq, this);
      this.write(x('iq', { type: 'result', id: iq.attrs.id }, res ?? undefined).toString());
    } catch (e) {
      const err = e instanceof StanzaError ? e : StanzaError.internal();
      if (!(e instanceof StanzaError)) this.gw.log.error({ err: e }, 'pre-auth IQ failed');
      this.write(errorReply(iq, err, { from: this.gw.domain }).toString());
    }
  }

  // ---- resource binding (RFC 6120 §7) ------------------------------------

  private bindIq(iq: Element): void {
    const bind = iq.getChild('bind', NS.bind);
    const session = iq.getChild('session', NS.session);
    if (iq.attrs.type === 'set' && bind) {
      const requested = bind.getChildText('resource');
      try {
        this.session = this.gw.sessions.bind(this.username!, requested, this, this.mechanism);
      } catch (e) {
        const err = e instanceof StanzaError ? e : StanzaError.internal();
        return this.write(errorReply(iq, err, { from: this.gw.domain }).toString());
      }
      this.state = 'bound';
      this.gw.metrics.logins += 1;
      return this.write(x('iq', { type: 'result', id: iq.attrs.id }, x('bind', { xmlns: NS.bind }, x('jid', null, this.session.full))).toString());
    }
    if (iq.attrs.type === 'set' && session) return this.write(x('iq', { type: 'result', id: iq.attrs.id }).toString());
    this.write(errorReply(iq, new StanzaError('not-authorized', 'bind a resource first'), { from: this.gw.domain }).toString());
  }

  /**
   * This stream, authenticated and not bound, for pre-bind nonza handlers (XEP-0198
   * resumption adopts a session). Made when one is needed, not held by every connection.
   */
  private preBindStream(): PreBindStream {
    const username = () => this.username!;
    const closed = () => this.state === 'closing' || this.state === 'closed';
    return {
      get username() {
        return username();
      },
      transport: this,
      write: (xml) => this.write(xml),
      adopt: (s) => {
        this.session = s;
        this.state = 'bound';
      },
      get closed() {
        return closed();
      },
    };
  }

  // ---- stanzas (RFC 6120 §8) ---------------------------------------------

  private async stanza(el: Element): Promise<void> {
    const session = this.session!;
    for (const f of this.gw.registry.stanzaReceived) f(session);
    const name = el.name;
    if (name !== 'message' && name !== 'presence' && name !== 'iq') return this.streamError(new StreamError('unsupported-stanza-type'));
    this.gw.metrics.stanzasIn += 1;
    this.gw.metrics.stanzasByKind[name] += 1;
    const from = el.attrs.from;
    // RFC 6120 §8.1.2.1: the server stamps the full JID; a different 'from' is an error.
    if (from !== undefined && from !== session.full && from !== session.bare) {
      const ok = sameJid(from, session);
      if (!ok) return this.streamError(new StreamError('invalid-from'));
    }
    el.attrs.from = session.full;
    // RFC 6120 §8.1.5: a stanza without xml:lang carries the stream's default language.
    if (this.lang !== undefined && el.attrs['xml:lang'] === undefined) el.attrs['xml:lang'] = this.lang;
    if (name === 'iq') {
      const t = el.attrs.type;
      const payloads = el.children.filter((c): c is Element => typeof c !== 'string');
      if (!el.attrs.id || !(t === 'get' || t === 'set' || t === 'result' || t === 'error')) {
        if (t === 'error' || t === 'result') return;
        return session.send(errorReply(el, StanzaError.badRequest('an iq needs an id and a type'), { from: this.gw.domain }));
      }
      if ((t === 'get' || t === 'set') && payloads.length !== 1) {
        return session.send(errorReply(el, StanzaError.badRequest('a get or set iq has exactly one payload'), { from: this.gw.domain }));
      }
      // RFC 3921 §3 session establishment, advertised as <optional/> (RFC 6121 Appendix E):
      // older clients (Strophe.js, hence Converse.js) send it after binding; it is a no-op
      // that must succeed whenever it comes, addressed to the server, the account or nobody.
      if (t === 'set' && payloads[0].name === 'session' && payloads[0].attrs.xmlns === NS.session) {
        const to = el.attrs.to;
        if (to === undefined || to.toLowerCase() === this.gw.domain || sameJid(to, session)) {
          return session.send(x('iq', { type: 'result', id: el.attrs.id, to: session.full, ...(to !== undefined ? { from: to } : {}) }));
        }
      }
    }
    const started = performance.now();
    await this.gw.router.fromClient(session, el);
    this.gw.metrics.observeRoute((performance.now() - started) / 1000);
  }

  // ---- output ------------------------------------------------------------

  /** Writes XML; batches writes of one tick into one syscall; drops a client that stops reading. */
  write(xml: string): void {
    if (this.state === 'closed') return;
    const s = this.socket;
    if (!s.writable) return;
    if (!this.corked) {
      this.corked = true;
      s.cork();
      process.nextTick(() => {
        this.corked = false;
        s.uncork();
      });
    }
    s.write(xml);
    this.lastWrite = Date.now();
    this.gw.metrics.bytesOut += xml.length;
    if (s.writableLength > this.gw.config.MAX_OUTBOUND_BUFFER) {
      this.gw.log.warn({ session: this.session?.full }, 'client not reading; connection dropped');
      this.destroy('slow-consumer');
    }
  }

  /** Sends a stream error and closes (RFC 6120 §4.9). */
  streamError(err: StreamError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.gw.metrics.streamErrors += 1;
    this.gw.log.debug({ condition: err.condition, session: this.session?.full }, 'stream error');
    this.write(err.toXml());
    this.close(err.condition);
  }

  /** Closes the stream politely: `</stream:stream>`, then the socket after the peer's close or a grace period. */
  close(error?: StreamError | string): void {
    if (error instanceof StreamError) return this.streamError(error);
    if (this.state === 'closing' || this.state === 'closed') return;
    this.unbind(typeof error === 'string' ? error : 'closed');
    this.state = 'closing';
    this.write('</stream:stream>');
    const s = this.socket;
    s.end();
    setTimeout(() => s.destroy(), 2000).unref();
  }

  /** The session moved to another connection (XEP-0198 resumption): closing this one must not end it. */
  detach(): void {
    this.session = undefined;
    this.state = this.state === 'bound' ? 'authenticated' : this.state;
  }

  /** Drops the connection, the session staying bound elsewhere (shutdown: the client resumes it on another gateway). */
  drop(): void {
    this.detach();
    this.state = 'closed';
    this.socket.destroy();
  }

  /** Drops the connection at once. */
  destroy(reason: string): void {
    this.unbind(reason);
    this.state = 'closed';
    this.socket.destroy();
  }

  private unbind(reason: string): void {
    if (this.session && !this.session.closed) this.gw.sessions.unbind(this.session, reason);
  }

  private onClose(): void {
    // A dropped stream-management session waits for resumption instead of ending.
    const s = this.session;
    if (s && !s.closed && this.state !== 'closing' && this.gw.registry.connectionLost.some((keep) => keep(s))) this.session = undefined;
    this.unbind('disconnected');
    this.state = 'closed';
    this.parser.end?.();
    this.gw.connectionClosed(this);
  }

  /** Timer check from the gateway's sweep: auth deadline, idle timeout, keepalive. */
  tick(now: number): void {
    if (this.state === 'closed') return;
    const cfg = this.gw.config;
    if (this.state !== 'bound' && now - this.openedAt > cfg.AUTH_TIMEOUT) {
      return this.streamError(new StreamError('connection-timeout', 'authentication took too long'));
    }
    if (now - this.lastRead > cfg.IDLE_TIMEOUT) return this.streamError(new StreamError('connection-timeout'));
    if (this.state === 'bound' && now - Math.max(this.lastRead, this.lastWrite) > cfg.KEEPALIVE_INTERVAL) this.write(' ');
    // an idle stream gives up its tokenizer between stanzas (~4 KiB); the next read makes a new one
    if (now - this.lastRead >= PARSER_IDLE_MS) this.parser.hibernate();
  }
}

/** Read silence after which a stream's XML tokenizer is dropped at the next sweep (StreamParser.hibernate). */
const PARSER_IDLE_MS = 1000;

/** Whether `from` (as a client wrote it) names this session. */
function sameJid(from: string, session: Session): boolean {
  const j = tryParseJid(from);
  if (!j) return false;
  return j.bareString === session.bare && (!j.resource || j.resource === session.jid.resource);
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;');
}
