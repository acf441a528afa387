// Server-to-server federation of one gateway (RFC 6120 s2s, authenticated by
// certificate with SASL EXTERNAL, XEP-0178, or by Server Dialback, XEP-0220, as
// S2S_SECURE_AUTH allows). Every gateway opens its own outbound links to the domains its users
// write to, so no gateway is a single point of failure; a remote server may connect
// to any of them (inbound), and dialback keys are computed from the shared
// S2S_DIALBACK_SECRET, so whichever gateway a verification reaches answers alike.
// Stanzas for a domain queue while its link comes up and bounce with the RFC's
// errors when it cannot (recorded in the delivery-error log).
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, rootCertificates, SecureContext, Server as TlsServer, TLSSocket } from 'node:tls';
import { StanzaError, StreamError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Logger } from 'pino';
import { InboundStream } from './inbound';
import { LinkFailure, OutboundLink } from './outbound';
import { resolveServer, Target } from './resolve';

export interface FederationDeps {
  local: string;
  /** Shared by every gateway; a random one per process when empty (verifications then only succeed on the gateway that opened the stream). */
  secret: string;
  routes: Map<string, Target>;
  /** Our certificate chain and key (PEM): presented to peers as server and as client certificate. */
  tls: { cert: string; key: string };
  /** Authorities trusted for peer certificates (PEM); undefined: Node's bundled root store. */
  ca?: string[];
  /** Peers must prove their domain by certificate; dialback alone is refused (S2S_SECURE_AUTH). */
  secureAuth: boolean;
  /** Domains that must prove themselves by certificate even when secureAuth is off. */
  secureDomains: string[];
  /** Domains allowed to use dialback alone even when secureAuth is on. */
  insecureDomains: string[];
  maxStanzaBytes: number;
  rate: number;
  requireTls: boolean;
  connectTimeoutMs: number;
  /** How long a domain whose server could not be reached is answered at once, without a new attempt (S2S_RETRY_AFTER). */
  retryAfterMs: number;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  maxInbound: number;
  log: Logger;
  /** Whether stanzas for `domain` may arrive over s2s (this domain, its components). */
  accepts(domain: string): boolean;
  route(stanza: Element): Promise<void>;
  bounce(stanza: Element, err: StanzaError, detail: string): void;
}

export class Federation {
  private readonly links = new Map<string, OutboundLink>();
  /** Domains whose last link attempt failed before it was authenticated, until when (a negative cache). */
  private readonly unreachable = new Map<string, { until: number; failure: LinkFailure }>();
  readonly inbound = new Set<InboundStream>();
  private readonly secret: string;
  /** Our client side: our certificate, the trusted authorities (built once: parsing the root store is slow). */
  private clientContext: SecureContext;
  /**
   * Never listens: STARTTLS'd and direct-TLS connections are handed to it, so that Node
   * verifies the client certificate as for any TLS server (`authorized`).
   */
  private readonly tlsServer: TlsServer;
  /** Handshakes under way on {@link tlsServer}, by the connection's address 4-tuple. */
  private readonly handshakes = new Map<string, (tls?: TLSSocket) => void>();
  /** Streams authenticated and refused, by `direction:method` (metrics: parley_gateway_s2s_auth_total). */
  readonly authCounts = new Map<string, number>();
  private readonly secureDomains: Set<string>;
  /** The trusted authorities parsed, on first need. */
  private anchors?: X509Certificate[];
  private readonly insecureDomains: Set<string>;

  constructor(private readonly d: FederationDeps) {
    this.secret = d.secret || randomBytes(32).toString('hex');
    if (!d.secret) d.log.warn('S2S_DIALBACK_SECRET is not set: a random one is used, so a remote server that verifies a key at another gateway is refused; set the same secret on every gateway');
    this.secureDomains = new Set(d.secureDomains.map((x) => x.toLowerCase()));
    this.insecureDomains = new Set(d.insecureDomains.map((x) => x.toLowerCase()));
    this.clientContext = this.newClientContext();
    this.tlsServer = createTlsServer({
      ...this.serverOptions(),
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['xmpp-server'],
      handshakeTimeout: d.authTimeoutMs,
    });
    this.tlsServer.on('secureConnection', (s: TLSSocket) => this.handshaken(s, s));
    this.tlsServer.on('tlsClientError', (e: Error, s: TLSSocket) => {
      this.d.log.debug({ err: e.message }, 's2s inbound TLS handshake failed');
      this.handshaken(s, undefined);
    });
  }

  private serverOptions() {
    return {
      cert: this.d.tls.cert,
      key: this.d.tls.key,
      ...(this.d.ca ? { ca: this.d.ca } : {}),
      minVersion: 'TLSv1.2' as const,
    };
  }

  private newClientContext(): SecureContext {
    return createSecureContext(this.serverOptions());
  }

  /** Counts an authentication outcome: `method` is EXTERNAL, dialback, dialback-certificate or refused. */
  private counted(direction: 'inbound' | 'outbound', method: string): void {
    const k = `${direction}:${method}`;
    this.authCounts.set(k, (this.authCounts.get(k) ?? 0) + 1);
  }

  /** Whether `domain` must prove itself by certificate: S2S_SECURE_DOMAINS, or S2S_SECURE_AUTH unless S2S_INSECURE_DOMAINS names it. */
  mustVerify(domain: string): boolean {
    const dom = domain.toLowerCase();
    return this.secureDomains.has(dom) || (this.d.secureAuth && !this.insecureDomains.has(dom));
  }

  private static key(s: Socket): string | undefined {
    return s.remoteAddress === undefined ? undefined : `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
  }

  private handshaken(s: TLSSocket, ok: TLSSocket | undefined): void {
    const k = Federation.key(s);
    const done = k === undefined ? undefined : this.handshakes.get(k);
    if (!done) {
      // the stream gave up meanwhile (its deadline closes it when the key could not be read)
      s.destroy();
      return;
    }
    this.handshakes.delete(k!);
    done(ok);
  }

  /** Runs the server side of a TLS handshake over `raw` on {@link tlsServer}; see InboundDeps.upgrade. */
  private upgrade(raw: Socket, done: (tls?: TLSSocket) => void): void {
    const k = Federation.key(raw);
    if (k === undefined || this.handshakes.has(k)) return done(undefined);
    this.handshakes.set(k, done);
    raw.once('close', () => this.handshakes.get(k) === done && this.handshakes.delete(k));
    this.tlsServer.emit('connection', raw);
  }

  /** A stanza for a remote domain: over its link, which is opened (and authenticated) on first use. */
  send(stanza: Element, domain: string): void {
    const down = this.unreachable.get(domain);
    if (down !== undefined) {
      if (Date.now() < down.until) return this.bounceFor(stanza, down.failure, true);
      this.unreachable.delete(domain);
    }
    if (!this.link(domain).send(stanza)) this.d.bounce(stanza, new StanzaError('resource-constraint', 'too many stanzas wait for this remote server', 'wait'), 'remote-queue-full');
  }

  private link(domain: string): OutboundLink {
    let l = this.links.get(domain);
    if (l) return l;
    l = new OutboundLink(domain, {
      local: this.d.local,
      secret: this.secret,
      maxStanzaBytes: this.d.maxStanzaBytes,
      requireTls: this.d.requireTls,
      connectTimeoutMs: this.d.connectTimeoutMs,
      tlsContext: this.clientContext,
      mustVerify: this.mustVerify(domain),
      counted: (method) => this.counted('outbound', method),
      log: this.d.log,
      closed: (link, queued, failure) => this.linkClosed(link, queued, failure),
    });
    this.links.set(domain, l);
    void l.start(resolveServer(domain, this.d.routes));
    return l;
  }

  private linkClosed(link: OutboundLink, queued: Element[], failure: LinkFailure): void {
    if (this.links.get(link.remote) === link) this.links.delete(link.remote);
    // never got through: stanzas for the domain are answered at once for a while, not each with a new attempt
    if (!link.everReady && this.d.retryAfterMs > 0) {
      if (this.unreachable.size > 10_000) this.unreachable.clear();
      this.unreachable.set(link.remote, { until: Date.now() + this.d.retryAfterMs, failure });
    }
    for (const s of queued) this.bounceFor(s, failure, false);
  }

  /** Bounces a stanza for a domain whose link failed (RFC 6120 §8.3.3.15–16), recorded in the delivery-error log by kind. */
  private bounceFor(stanza: Element, failure: LinkFailure, recently: boolean): void {
    const when = recently ? ' a moment ago' : '';
    if (failure === 'not-found') return this.d.bounce(stanza, new StanzaError('remote-server-not-found', `no address of the remote server answered${when}`), 'remote-domain');
    if (failure === 'refused')
      return this.d.bounce(stanza, new StanzaError('remote-server-timeout', `the remote server could not be authenticated or refused us${when}`, 'cancel'), 'remote-refused');
    this.d.bounce(stanza, new StanzaError('remote-server-timeout', `no stream with the remote server could be set up in time${when}`, 'wait'), 'remote-timeout');
  }

  /** A renewed certificate: TLS handshakes from now on, both directions, present it. */
  setTls(tls: { cert: string; key: string }): void {
    this.d.tls = tls;
    this.clientContext = this.newClientContext();
    this.tlsServer.setSecureContext(this.serverOptions());
  }

  /** Accepts a remote server's connection: S2S_PORT (STARTTLS), or S2S_TLS_PORT with `direct` (XEP-0368). */
  accept(socket: Socket, direct = false): void {
    if (this.inbound.size >= this.d.maxInbound) {
      socket.destroy();
      return;
    }
    const s = new InboundStream(
      socket,
      {
        local: this.d.local,
        secret: this.secret,
        upgrade: (raw, done) => this.upgrade(raw, done),
        mustVerify: (domain) => this.mustVerify(domain),
        counted: (method) => this.counted('inbound', method),
        anchors: () => (this.anchors ??= (this.d.ca ?? rootCertificates).map((pem) => new X509Certificate(pem))),
        maxStanzaBytes: this.d.maxStanzaBytes,
        rate: this.d.rate,
        requireTls: this.d.requireTls,
        authTimeoutMs: this.d.authTimeoutMs,
        idleTimeoutMs: this.d.idleTimeoutMs,
        log: this.d.log,
        verify: (remote, streamId, key) => this.link(remote).verify(streamId, key),
        accepts: (domain) => this.d.accepts(domain),
        route: (stanza) => this.d.route(stanza),
        closed: (st) => this.inbound.delete(st),
      },
      direct,
    );
    this.inbound.add(s);
  }

  /** Closes outbound links unused for the idle timeout; ticks inbound streams. */
  tick(now: number): void {
    for (const l of [...this.links.values()]) if (l.ready && now - l.lastUsed > this.d.idleTimeoutMs) l.close();
    for (const s of this.inbound) s.tick(now);
  }

  stop(): void {
    for (const s of [...this.inbound]) s.streamError(new StreamError('system-shutdown'));
    for (const l of [...this.links.values()]) l.close();
  }
}
