// One outbound server-to-server link (RFC 6120) from this gateway to a remote domain:
// connect to the first address that answers (direct TLS for an `xmpps-server` target,
// XEP-0368; STARTTLS otherwise), check the remote's certificate for its domain (RFC
// 6125), then authenticate this domain with SASL EXTERNAL (XEP-0178) when the remote
// offers it — our certificate, presented as the TLS client certificate, is the proof —
// or else with Server Dialback (XEP-0220), and send the queued stanzas. The link also
// carries dialback verifications (`<db:verify/>`) for streams the remote opened to us.
import { connect, Socket } from 'node:net';
import { connect as tlsConnect, SecureContext, TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { NS, StreamError } from '@parley/stanza';
import { Element, StreamHeader, StreamParser, XmlError } from '@parley/xml';
import type { Logger } from 'pino';
import { attr, dialbackKey, NS_DIALBACK, NS_DIALBACK_FEATURE, NS_SERVER, NS_TLS } from './dialback';
import { certifiedFor, PeerCertificate, peerCertificate } from './identity';
import type { Target } from './resolve';

/**
 * Why a link failed, which decides the stanza error its queued stanzas bounce with
 * (RFC 6120 §8.3.3.15, §8.3.3.16): `not-found` — no address of the domain answered
 * (`remote-server-not-found`, cancel); `timeout` — a stream was reached but could not be
 * set up in time or its negotiation broke off (`remote-server-timeout`, wait); `refused`
 * — the remote server was found but cannot be authenticated or violates our security
 * policy (`remote-server-timeout`, cancel: retrying will not help).
 */
export type LinkFailure = 'not-found' | 'timeout' | 'refused';

/** Stream errors from a remote server that retrying will not cure (RFC 6120 §4.9.3). */
const PERMANENT_STREAM_ERRORS = new Set(['host-unknown', 'host-gone', 'not-authorized', 'policy-violation', 'invalid-namespace', 'unsupported-version', 'improper-addressing', 'invalid-from']);

export interface OutboundDeps {
  local: string;
  secret: string;
  maxStanzaBytes: number;
  requireTls: boolean;
  connectTimeoutMs: number;
  /** Our certificate and key (presented as the TLS client certificate) and the authorities trusted for the remote's. */
  tlsContext: SecureContext;
  /** The remote must prove its domain by certificate (S2S_SECURE_AUTH and its exceptions): else the link fails. */
  mustVerify: boolean;
  /** Counts how the link authenticated, or that the remote's certificate was refused. */
  counted(method: AuthMethod | 'refused'): void;
  log: Logger;
  /** The link is gone; `queued` never left (to bounce with `failure`). */
  closed(link: OutboundLink, queued: Element[], failure: LinkFailure): void;
}

/** Stanzas kept for a link that is coming up; more bounce with `resource-constraint`. */
const MAX_QUEUED = 5000;

type State = 'connecting' | 'stream' | 'tls' | 'sasl' | 'open' | 'ready' | 'closed';

/** How this domain was authenticated to the remote, once it was. */
export type AuthMethod = 'EXTERNAL' | 'dialback';

export class OutboundLink {
  private state: State = 'connecting';
  private socket?: Socket;
  private parser?: StreamParser;
  private streamId = '';
  private tlsActive = false;
  /** Connected with direct TLS (XEP-0368) rather than STARTTLS. */
  private directTls = false;
  /** The remote's certificate as TLS left it; whether it names the remote's domain. */
  private peer?: PeerCertificate;
  private certified = false;
  private saslTried = false;
  private saslDone = false;
  private dialbackOffered = false;
  /** How this link authenticated us, once ready. */
  method?: AuthMethod;
  private readonly queue: Element[] = [];
  private readonly verifies = new Map<string, Array<(ok: boolean) => void>>();
  private readonly pendingVerifies: string[] = [];
  private timer?: NodeJS.Timeout;
  lastUsed = Date.now();

  constructor(
    readonly remote: string,
    private readonly d: OutboundDeps,
  ) {}

  /** Whether dialback succeeded and stanzas flow. */
  /** Became ready (authenticated) at some point: its failure is not a failure to reach the peer. */
  everReady = false;

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Connects to the first target that accepts a TCP connection. */
  async start(targets: Promise<Target[]>): Promise<void> {
    this.timer = setTimeout(() => this.fail('timeout', 'link not established in time'), this.d.connectTimeoutMs);
    this.timer.unref();
    let list: Target[];
    try {
      list = await targets;
    } catch {
      list = [];
    }
    for (const t of list) {
      if (this.state === 'closed') return;
      const s = t.tls ? await this.tryDirectTls(t) : await this.tryConnect(t);
      if (s) return this.attach(s);
    }
    this.fail('not-found', 'no address of the remote server answered');
  }

  private tryConnect(t: Target): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const s = connect({ host: t.host, port: t.port });
      const done = (ok: boolean) => {
        s.removeAllListeners('connect');
        s.removeAllListeners('error');
        if (!ok) s.destroy();
        resolve(ok ? s : undefined);
      };
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
    });
  }

  /** XEP-0368: TLS at once, SNI the remote's domain (none for an IP literal), ALPN `xmpp-server`. */
  private tryDirectTls(t: Target): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const s = tlsConnect({
        host: t.host,
        port: t.port,
        ...this.tlsOptions(),
      });
      const done = (ok: boolean) => {
        s.removeAllListeners('secureConnect');
        s.removeAllListeners('error');
        if (!ok) s.destroy();
        resolve(ok ? s : undefined);
      };
      s.once('secureConnect', () => done(true));
      s.once('error', (e) => {
        this.d.log.debug({ err: e.message, remote: this.remote }, 's2s direct TLS connection failed');
        done(false);
      });
    });
  }

  /** Identity is checked against the remote's domain by us ({@link secured}), not against the host connected to. */
  private tlsOptions() {
    return {
      secureContext: this.d.tlsContext,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(isIP(this.remote.replace(/^\[|\]$/g, '')) ? {} : { servername: domainToASCII(this.remote) }),
      ALPNProtocols: ['xmpp-server'],
      minVersion: 'TLSv1.2' as const,
    };
  }

  /** TLS is up: the remote's certificate decides whether the link may go on (RFC 6120 §13.7.2). */
  private secured(tls: TLSSocket): boolean {
    this.tlsActive = true;
    this.peer = peerCertificate(tls);
    this.certified = certifiedFor(this.peer, this.remote);
    if (this.certified || !this.d.mustVerify) return true;
    this.d.counted('refused');
    this.d.log.info(
      {
        remote: this.remote,
        why: this.peer.chainValid ? 'certificate not for this domain' : this.peer.error,
      },
      's2s remote certificate refused (S2S_SECURE_AUTH)',
    );
    this.fail('refused', 'the remote certificate is not valid for its domain');
    return false;
  }

  private attach(s: Socket): void {
    if (this.state === 'closed') {
      s.destroy();
      return;
    }
    this.directTls = s instanceof TLSSocket;
    if (s instanceof TLSSocket && !this.secured(s)) {
      s.destroy();
      return;
    }
    this.socket = s;
    s.setNoDelay(true);
    s.on('error', (e) => this.d.log.debug({ err: e.message, remote: this.remote }, 's2s outbound socket error'));
    s.on('close', () => this.fail('timeout', 'connection closed'));
    s.on('data', this.onData);
    this.openStream();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.parser?.write(chunk);
  };

  private openStream(): void {
    this.state = this.tlsActive ? 'tls' : 'stream';
    this.parser = new StreamParser(
      {
        streamStart: (h) => this.onStreamStart(h),
        stanza: (el) => this.onElement(el),
        streamEnd: () => this.fail('timeout', 'stream closed by the remote server'),
        error: (e: XmlError) => this.streamError(new StreamError(e.condition as never, e.message)),
      },
      { maxStanzaBytes: this.d.maxStanzaBytes },
    );
    this.write(`<?xml version='1.0'?><stream:stream xmlns='${NS_SERVER}' xmlns:stream='${NS.stream}' xmlns:db='${NS_DIALBACK}' from='${attr(this.d.local)}' to='${attr(this.remote)}' version='1.0'>`);
  }

  private onStreamStart(h: StreamHeader): void {
    if (h.defaultNs !== NS_SERVER) return this.streamError(new StreamError('invalid-namespace'));
    this.streamId = h.attrs.id ?? '';
    if (!this.streamId) return this.streamError(new StreamError('invalid-xml', 'a stream id is needed for dialback'));
  }

  private onElement(el: Element): void {
    if (this.state === 'closed') return;
    if (el.name === 'features' && el.attrs.xmlns === NS.stream) return this.onFeatures(el);
    if (el.name === 'proceed' && el.attrs.xmlns === NS_TLS) return this.upgrade();
    if (el.attrs.xmlns === NS.sasl && this.state === 'sasl') return this.onSasl(el);
    if (el.name === 'error' && el.attrs.xmlns === NS.stream) {
      const condition = el.children.find((c): c is Element => typeof c !== 'string')?.name;
      this.d.log.info({ remote: this.remote, condition }, 's2s stream error from the remote server');
      return this.fail(PERMANENT_STREAM_ERRORS.has(condition ?? '') ? 'refused' : 'timeout', 'stream error');
    }
    if (el.attrs.xmlns === NS_DIALBACK && el.name === 'result') return this.onResult(el);
    if (el.attrs.xmlns === NS_DIALBACK && el.name === 'verify') return this.onVerify(el);
    // nothing else is expected on an outbound stream (no bidirectional streams)
  }

  private onFeatures(f: Element): void {
    const starttls = f.getChild('starttls', NS_TLS);
    if (!this.tlsActive && starttls) {
      this.write(`<starttls xmlns='${NS_TLS}'/>`);
      return;
    }
    if (!this.tlsActive && this.d.requireTls) return this.streamError(new StreamError('policy-violation', 'this server requires TLS'), 'refused');
    // the stream restarted after SASL EXTERNAL succeeded: we are authenticated (RFC 6120 §6.4.6)
    if (this.saslDone) return this.becomeReady('EXTERNAL');
    this.dialbackOffered = !!f.getChild('dialback', NS_DIALBACK_FEATURE);
    const external = f
      .getChild('mechanisms', NS.sasl)
      ?.getChildren('mechanism')
      .some((m) => m.text().trim() === 'EXTERNAL');
    if (this.tlsActive && external && !this.saslTried) {
      // XEP-0178 §3: the authorization identity is our domain, as in our stream's `from`
      this.saslTried = true;
      this.state = 'sasl';
      this.write(`<auth xmlns='${NS.sasl}' mechanism='EXTERNAL'>${Buffer.from(this.d.local, 'utf8').toString('base64')}</auth>`);
      return;
    }
    this.dialback();
  }

  private dialback(): void {
    this.state = 'open';
    for (const xml of this.pendingVerifies.splice(0)) this.write(xml);
    const key = dialbackKey(this.d.secret, this.remote, this.d.local, this.streamId);
    this.write(`<db:result from='${attr(this.d.local)}' to='${attr(this.remote)}'>${key}</db:result>`);
  }

  /** The remote's answer to our `<auth mechanism='EXTERNAL'/>`: restart the stream, or fall back to dialback. */
  private onSasl(el: Element): void {
    if (el.name === 'success') {
      this.saslDone = true;
      this.openStream(); // RFC 6120 §6.4.6: a new stream over the same TLS layer, its features end the negotiation
      return;
    }
    if (el.name === 'failure') {
      const condition = el.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name;
      this.d.log.info({ remote: this.remote, condition, dialback: this.dialbackOffered }, 's2s SASL EXTERNAL refused by the remote server; trying dialback');
      return this.dialback();
    }
    // a challenge: EXTERNAL has none to answer
    this.write(`<abort xmlns='${NS.sasl}'/>`);
  }

  /**
   * STARTTLS (RFC 6120 §5), presenting our certificate as the client certificate. The
   * remote's certificate is checked for its domain in {@link secured}.
   */
  private upgrade(): void {
    const raw = this.socket!;
    raw.removeListener('data', this.onData);
    raw.removeAllListeners('close');
    const tls = tlsConnect({ socket: raw, ...this.tlsOptions() });
    this.socket = tls;
    tls.on('error', (e) => {
      this.d.log.debug({ err: e.message, remote: this.remote }, 's2s TLS failed');
      this.fail('timeout', 'TLS failed');
    });
    tls.on('close', () => this.fail('timeout', 'connection closed'));
    tls.once('secureConnect', () => {
      if (!this.secured(tls)) return;
      tls.on('data', this.onData);
      this.openStream();
    });
  }

  private becomeReady(method: AuthMethod): void {
    this.state = 'ready';
    this.method = method;
    this.d.counted(method);
    this.everReady = true;
    if (this.timer) clearTimeout(this.timer);
    this.d.log.info(
      {
        remote: this.remote,
        method,
        tls: this.directTls ? 'direct' : 'starttls',
        certificate: this.certified ? 'valid' : (this.peer?.error ?? 'none'),
      },
      `s2s outbound link authenticated (${method})`,
    );
    for (const xml of this.pendingVerifies.splice(0)) this.write(xml);
    for (const s of this.queue.splice(0)) this.write(s.toString());
  }

  private onResult(el: Element): void {
    if (el.attrs.type === 'valid' && this.state === 'open') return this.becomeReady('dialback');
    this.d.log.info({ remote: this.remote, type: el.attrs.type }, 's2s dialback refused by the remote server');
    this.fail('refused', 'dialback refused');
  }

  private onVerify(el: Element): void {
    const waiting = this.verifies.get(el.attrs.id ?? '');
    if (!waiting) return;
    this.verifies.delete(el.attrs.id ?? '');
    for (const w of waiting) w(el.attrs.type === 'valid');
  }

  /** Sends a stanza, queued until the link is authenticated; false when the queue is full (the caller bounces it). */
  send(stanza: Element): boolean {
    this.lastUsed = Date.now();
    if (this.state === 'ready') this.write(stanza.toString());
    else if (this.queue.length >= MAX_QUEUED) return false;
    else this.queue.push(stanza);
    return true;
  }

  /** Asks the remote (authoritative) server whether `key` is its key for the stream `streamId` it opened to us. */
  verify(streamId: string, key: string): Promise<boolean> {
    this.lastUsed = Date.now();
    if (this.state === 'closed') return Promise.resolve(false);
    const xml = `<db:verify from='${attr(this.d.local)}' to='${attr(this.remote)}' id='${attr(streamId)}'>${key}</db:verify>`;
    const p = new Promise<boolean>((resolve) => this.verifies.set(streamId, [...(this.verifies.get(streamId) ?? []), resolve]));
    if (this.state === 'open' || this.state === 'ready') this.write(xml);
    else this.pendingVerifies.push(xml);
    return p;
  }

  private write(xml: string): void {
    const s = this.socket;
    if (s?.writable) s.write(xml);
  }

  private streamError(err: StreamError, failure: LinkFailure = 'refused'): void {
    this.write(err.toXml());
    this.write('</stream:stream>');
    this.fail(failure, err.condition);
  }

  /** Closes the link; what was queued bounces with `failure`. */
  fail(failure: LinkFailure, why: string): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    if (!wasReady) this.d.log.info({ remote: this.remote, why }, 's2s outbound link failed');
    for (const ws of this.verifies.values()) for (const w of ws) w(false);
    this.verifies.clear();
    const s = this.socket;
    if (s) {
      s.end();
      setTimeout(() => s.destroy(), 2000).unref();
    }
    this.d.closed(this, this.queue.splice(0), failure);
  }

  /** Closes an idle link politely. */
  close(): void {
    if (this.state === 'closed') return;
    this.write('</stream:stream>');
    this.fail('timeout', 'idle');
  }
}
