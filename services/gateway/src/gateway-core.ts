// The gateway's parts, wired once: accounts, sessions, directory, cluster routing,
// the router, the module host and the client connections. The module list comes
// from the composition root (gateway-modules.ts); modules see only their context.
import { createHash, randomBytes } from 'node:crypto';
import { AccountDeletedV1, envelope, EventEnvelope, GATEWAY_DELIVERY_FAILURES, GATEWAY_EVENTS, GatewayDeliveryFailedV1, GatewayEvents } from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { Bus } from '@parley/nats';
import { StreamError } from '@parley/stanza';
import type { Logger } from 'pino';
import { AccountsService } from './auth/accounts.service';
import { AddressLimit } from './transport/address-limit';
import { componentSecrets, GatewayConfig } from './config/config';
import { ExternalComponents } from './components/components';
import { Federation } from './s2s/federation';
import { trustedAuthorities } from './s2s/identity';
import { parseStaticRoutes } from './s2s/resolve';
import { CoreHooks } from './host/core-hooks';
import { ModuleHost } from './host/host';
import { moduleBus } from './host/nats-bus';
import { Hooks } from './host/hooks';
import type { GatewayModule, ModuleBus } from './host/module';
import { FeatureRegistry } from './host/registry';
import type { AccountsStore, EventOutbox } from './auth/accounts.store';
import { AccountCommands } from './auth/account-commands';
import { Cluster, ClusterCallbacks } from './routing/cluster';
import { Router } from './routing/router';
import { Directory } from './session/directory';
import { ClusterPort, kickError, Sessions } from './session/sessions';
import type { C2SConnection } from './stream/c2s';
import { LoginThrottle } from './auth/throttle';
import type { TlsMaterial } from './transport/certs';
import { GatewayMetrics, StreamHost } from './stream/stream-host';

export { GatewayMetrics };

/** The cluster as the core drives it (routing/cluster.ts; an in-process fake in tests). */
export type CoreCluster = ClusterPort & { start(): Promise<void>; stop(): Promise<void>; resync?(): Promise<void>; undeliveredCount?: number; resyncs?: number };

/** What the core is built from besides its configuration. */
export interface CoreParts {
  /** The NATS bus (production), or an in-process fake with the same surface (tests). */
  bus: Bus | ModuleBus;
  store: AccountsStore;
  /** Publishes the account events the store committed (OutboxRelay over the gateway database). */
  outbox: EventOutbox;
  tls: TlsMaterial;
  log: Logger;
  /** The feature modules (the composition root's list). */
  modules: ReadonlyArray<GatewayModule<any, any>>;
  /** Builds the cluster link; default: NATS (routing/cluster.ts), which needs a connected `Bus`. */
  cluster?: (callbacks: ClusterCallbacks, directory: Directory, instanceId: string) => CoreCluster;
}

export class GatewayCore implements StreamHost {
  readonly domain: string;
  readonly instanceId: string;
  readonly registry = new FeatureRegistry();
  readonly hooks: Hooks;
  readonly directory = new Directory();
  readonly metrics = new GatewayMetrics();
  readonly store: AccountsStore;
  readonly accounts: AccountsService;
  readonly cluster: CoreCluster;
  readonly sessions: Sessions;
  readonly router: Router;
  /** External components (XEP-0114) configured for this deployment. */
  readonly components: ExternalComponents;
  /** Server-to-server federation, when S2S_ENABLED. */
  readonly federation?: Federation;
  readonly host: ModuleHost;
  readonly authThrottle: LoginThrottle;
  readonly fakeCredentials: { secret: Buffer; iterations: number };
  readonly connections = new Set<C2SConnection>();
  /** SCRAM-SHA-512 is offered: SCRAM_SHA512=auto and no account lacks its keys (last check). */
  scramSha512 = false;
  private sha512Timer?: NodeJS.Timeout;
  /** Open connections per client address (in memory only). */
  private readonly perAddress: AddressLimit;
  readonly bus: ModuleBus;
  /** The certificate and key in use; replaced when the files are renewed ({@link replaceTls}). */
  tls: TlsMaterial;
  private readonly tlsListeners: Array<(t: TlsMaterial) => void> = [];

  /** Calls `fn` with each renewed certificate (listeners swap their secure context; connections keep theirs). */
  onTlsChange(fn: (t: TlsMaterial) => void): void {
    this.tlsListeners.push(fn);
  }

  /** Uses a renewed certificate for every TLS handshake from now on; open connections are not touched. */
  replaceTls(t: TlsMaterial): void {
    this.tls = t;
    this.federation?.setTls(t);
    for (const fn of this.tlsListeners) fn(t);
  }
  readonly log: Logger;
  /** Users whose account removal this instance is answering (their sessions close after the reply). */
  private readonly removing = new Set<string>();
  private readonly modules: ReadonlyArray<GatewayModule<any, any>>;
  private sweepTimer?: NodeJS.Timeout;
  private outboxTimer?: NodeJS.Timeout;
  readonly outbox: EventOutbox;
  readonly accountCommands: AccountCommands;
  private readonly stops: Array<() => Promise<void> | void> = [];
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly nats?: Bus;

  constructor(
    readonly config: GatewayConfig,
    parts: CoreParts,
  ) {
    const { log } = parts;
    this.nats = parts.bus instanceof Bus ? parts.bus : undefined;
    const bus = parts.bus instanceof Bus ? moduleBus(parts.bus) : parts.bus;
    this.bus = bus;
    this.tls = parts.tls;
    this.log = log;
    this.modules = parts.modules;
    this.hooks = new Hooks(log);
    this.domain = config.XMPP_DOMAIN.toLowerCase();
    this.instanceId = config.INSTANCE_ID || `gw-${randomBytes(5).toString('hex')}`;
    this.store = parts.store;
    this.outbox = parts.outbox;
    this.accounts = new AccountsService(this.store, this.outbox, { domain: this.domain, iterations: config.SCRAM_ITERATIONS, tombstoneMs: config.USERNAME_TOMBSTONE });
    this.fakeCredentials = {
      // a shared secret makes every gateway answer an unknown user alike (no enumeration by comparison)
      secret: config.SCRAM_FAKE_SALT_SECRET ? createHash('sha256').update(config.SCRAM_FAKE_SALT_SECRET).digest() : randomBytes(32),
      iterations: config.SCRAM_ITERATIONS,
    };
    this.perAddress = new AddressLimit(config.C2S_MAX_CONNECTIONS_PER_ADDRESS, config.C2S_CONNECTION_ALLOWLIST);
    this.authThrottle = new LoginThrottle({
      freePerAddress: config.AUTH_FAILURES_PER_ADDRESS,
      freePerPair: config.AUTH_FAILURES_PER_PAIR,
      accountCeiling: config.AUTH_FAILURES_PER_ACCOUNT,
      windowMs: config.AUTH_FAILURE_WINDOW,
      baseDelayMs: 250,
      maxDelayMs: config.AUTH_TARPIT_MAX,
    });
    const callbacks: ClusterCallbacks = {
      deliverLocal: (targets, xml) => {
        let gone: string[] | undefined;
        for (const full of targets) {
          const slash = full.indexOf('/');
          const session = this.directory.resource(full.slice(0, slash), full.slice(slash + 1))?.session;
          if (session && !session.closed) session.send(xml);
          else (gone ??= []).push(full);
        }
        return gone;
      },
      undelivered: (instanceId, entries, reason) => this.router.undelivered(instanceId, entries, reason),
      kickLocal: (full, reason) => {
        const slash = full.indexOf('/');
        const s = this.directory.resource(full.slice(0, slash), full.slice(slash + 1))?.session;
        if (!s) return;
        this.sessions.unbind(s, reason);
        s.close(kickError(reason));
      },
      peerGone: (instanceId, dropped) => this.hooks.each(CoreHooks.peerGone, { instanceId, dropped }),
      takeRouted: () => this.router?.takeRouted() ?? 0,
      peerBack: (instanceId, added) => this.hooks.each(CoreHooks.peerBack, { instanceId, added }),
    };
    const natsCluster = (cb: ClusterCallbacks, directory: Directory, instanceId: string): CoreCluster => {
      if (!this.nats) throw new Error('the NATS cluster link needs a connected Bus');
      return new Cluster(this.nats, directory, instanceId, cb, log, { heartbeatMs: config.ROUTE_HEARTBEAT, peerTimeoutMs: config.ROUTE_PEER_TIMEOUT });
    };
    this.cluster = (parts.cluster ?? natsCluster)(callbacks, this.directory, this.instanceId);
    this.sessions = new Sessions(this.domain, this.directory, this.cluster, this.hooks, bus, log, this.config.SESSION_EVENTS_WINDOW);
    this.components = new ExternalComponents({
      secrets: componentSecrets(config),
      config,
      bus: this.nats,
      instanceId: this.instanceId,
      log,
      route: (stanza) => this.router.route(stanza),
      bounce: (stanza, err, detail) => this.router.bounce(stanza, err, detail),
    });
    if (config.S2S_ENABLED) {
      this.federation = new Federation({
        local: this.domain,
        secret: config.S2S_DIALBACK_SECRET,
        routes: parseStaticRoutes(config.S2S_STATIC_ROUTES),
        tls: parts.tls,
        ca: trustedAuthorities(config.S2S_CA_FILE, config.S2S_CA_SYSTEM),
        secureAuth: config.S2S_SECURE_AUTH,
        secureDomains: config.S2S_SECURE_DOMAINS,
        insecureDomains: config.S2S_INSECURE_DOMAINS,
        maxStanzaBytes: config.MAX_STANZA_SIZE,
        rate: config.S2S_RATE,
        requireTls: config.S2S_REQUIRE_TLS,
        connectTimeoutMs: config.S2S_CONNECT_TIMEOUT,
        retryAfterMs: config.S2S_RETRY_AFTER,
        authTimeoutMs: config.AUTH_TIMEOUT,
        idleTimeoutMs: config.S2S_IDLE_TIMEOUT,
        maxInbound: config.S2S_MAX_INBOUND,
        log,
        accepts: (domain) => domain === this.domain || this.registry.isComponent(domain) || this.components.has(domain),
        route: (stanza) => this.router.route(stanza),
        bounce: (stanza, err, detail) => this.router.bounce(stanza, err, detail),
      });
    }
    this.router = new Router({
      domain: this.domain,
      directory: this.directory,
      cluster: this.cluster,
      registry: this.registry,
      hooks: this.hooks,
      external: this.components,
      ...(this.federation ? { federation: this.federation } : {}),
      accountExists: (local) => this.accounts.exists(local),
      onBounce: (f) => {
        // not awaited: a bounce must not wait for JetStream; a lost ack is logged (no addresses)
        bus.publishEvent(envelope<GatewayDeliveryFailedV1>(GatewayEvents.deliveryFailed, { ...f, at: new Date().toISOString() })).catch((e: Error) =>
          log.warn({ err: e.message, reason: f.reason }, 'delivery-failed event not acknowledged'),
        );
      },
      log,
    });
    this.host = new ModuleHost({
      domain: this.domain,
      instanceId: this.instanceId,
      serverName: config.SERVER_NAME,
      tlsRequired: config.TLS_REQUIRED,
      config: config as unknown as Record<string, unknown>,
      log,
      bus,
      router: this.router,
      directory: this.directory,
      sessions: {
        update: (session, change) => this.sessions.update(session, change),
        closeAllLocal: (bare, error) => this.sessions.closeAllLocal(bare, error),
        endUser: (bare, reason) => this.sessions.endUser(bare, reason),
        endSession: (bare, resource, reason) => this.sessions.endSession(bare, resource, reason),
        unbind: (session, reason) => this.sessions.unbind(session, reason),
        moveOut: (session) => this.sessions.moveOut(session),
        adopt: (full, transport, mechanism, core, modules) => this.sessions.adopt(full, transport, mechanism, core, modules),
      },
      accounts: {
        exists: (local) => this.accounts.exists(local),
        register: (u, p, via) => this.accounts.register(u, p, via),
        delete: (u, reason) => this.accounts.delete(u, reason),
        changePassword: (u, p) => this.accounts.changePassword(u, p),
        count: () => this.accounts.count(),
        prepareUsername: (u) => this.accounts.prepareUsername(u),
        verifyPassword: (u, p) => this.accounts.verifyPassword(u, p),
        throttle: this.authThrottle,
        removing: (bare, work) => this.whileRemoving(bare, work),
      },
      registry: this.registry,
      hooks: this.hooks,
      onBusReconnect: (fn) => void this.reconnectListeners.push(fn),
      onStop: (fn) => this.onStop(fn),
    });
    this.accountCommands = new AccountCommands({
      domain: this.domain,
      bus,
      accounts: this.accounts,
      directory: this.directory,
      router: this.router,
      endUser: (bare, reason) => this.sessions.endUser(bare, reason),
      online: () => ({ users: this.directory.userCount, sessions: this.directory.resourceCount }),
      removing: (bare, work) => this.whileRemoving(bare, work),
      log,
    });
  }

  /** Runs `work` while this gateway answers the removal of `bare` (its sessions close after the reply, not on the event). */
  private async whileRemoving<T>(bare: string, work: () => Promise<T>): Promise<T> {
    this.removing.add(bare);
    try {
      return await work();
    } finally {
      this.removing.delete(bare);
    }
  }

  /** Provisions streams, loads modules, joins the cluster. */
  async start(): Promise<void> {
    await this.bus.ensureStreams([GATEWAY_EVENTS, GATEWAY_DELIVERY_FAILURES]);
    await this.host.load(this.modules);
    for (const d of this.components.domains) {
      if (this.registry.isComponent(d)) throw new Error(`invalid configuration:\n  - COMPONENTS: ${d} is a component the gateway hosts itself`);
      this.registry.serverItems.push({ jid: d });
    }
    // Any instance's account deletion: drop cached existence and end local sessions.
    const sub = this.bus.subscribe<EventEnvelope<AccountDeletedV1>>(GatewayEvents.accountDeleted, (e) => {
      const local = tryParseJid(e.data.jid)?.local;
      if (!local) return;
      this.accounts.forget(local);
      if (this.removing.has(e.data.jid)) return;
      this.sessions.closeAllLocal(e.data.jid, new StreamError('not-authorized', 'account removed'));
    });
    this.stops.push(() => sub.unsubscribe());
    const commands = this.accountCommands.serve();
    this.stops.push(() => commands.forEach((c) => c.unsubscribe()));
    // whatever a previous run (or the admin CLI) committed but did not publish, then on a timer and after reconnects
    await this.outbox.tryFlush();
    this.outboxTimer = setInterval(() => void this.outbox.tryFlush(), this.config.GATEWAY_OUTBOX_INTERVAL).unref();
    this.reconnectListeners.push(() => void this.outbox.tryFlush());
    // Our own connection came back: what peers changed meanwhile was not heard; ask them.
    this.reconnectListeners.push(() => void this.cluster.resync?.());
    if (this.reconnectListeners.length && this.nats) this.nats.onReconnect(() => this.reconnectListeners.forEach((fn) => fn()));
    await this.cluster.start();
    if (this.config.SCRAM_SHA512 === 'auto') {
      await this.checkScramSha512();
      this.sha512Timer = setInterval(() => void this.checkScramSha512(), this.config.SCRAM_SHA512_CHECK).unref();
    }
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) c.tick(now);
      this.components.tick(now);
      this.federation?.tick(now);
    }, Math.min(5000, this.config.KEEPALIVE_INTERVAL, this.config.AUTH_TIMEOUT)).unref();
  }

  /**
   * Offers SCRAM-SHA-512 only while every account has its keys (a client chooses the
   * strongest mechanism before it names its user). A failed check keeps the last answer.
   */
  async checkScramSha512(): Promise<boolean> {
    if (this.config.SCRAM_SHA512 !== 'auto') return (this.scramSha512 = false);
    try {
      this.scramSha512 = !(await this.store.anyWithoutSha512());
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not check for accounts without SCRAM-SHA-512 keys');
    }
    return this.scramSha512;
  }

  /** A PLAIN login verified `password`: derives the SHA-512 keys the account lacks, in the background. */
  passwordSeen(username: string, password: string): void {
    this.accounts.addMissingSha512(username, password).then(
      (added) => {
        if (added) this.log.debug('SCRAM-SHA-512 keys added at a PLAIN login');
      },
      (e: Error) => this.log.warn({ err: e.message }, 'could not add SCRAM-SHA-512 keys'),
    );
  }

  /** Registers a callback run at shutdown. */
  onStop(fn: () => Promise<void> | void): void {
    this.stops.push(fn);
  }

  /**
   * Admits a new connection: false when its address already holds
   * C2S_MAX_CONNECTIONS_PER_ADDRESS connections (the caller then refuses it).
   */
  connectionOpened(c: C2SConnection): boolean {
    if (!this.perAddress.acquire(c.address)) return false;
    this.connections.add(c);
    this.metrics.connections = this.connections.size;
    return true;
  }

  connectionClosed(c: C2SConnection): void {
    if (this.connections.delete(c)) this.perAddress.release(c.address);
    this.metrics.connections = this.connections.size;
  }

  /** Tells every client the server is going away, then stops timers and subscriptions. */
  /** True once stop() began: readiness fails, so that no new traffic is sent here. */
  draining = false;

  /**
   * Graceful stop: every client is told (`system-shutdown`, or `see-other-host` when
   * configured), every local session ends — those waiting for XEP-0198 resumption
   * too — and what they never acknowledged is routed again (other resources or
   * offline storage); the stop waits for that routing, up to SHUTDOWN_DRAIN_TIMEOUT,
   * before leaving the cluster and stopping the modules.
   */
  async stop(): Promise<void> {
    this.draining = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.outboxTimer) clearInterval(this.outboxTimer);
    if (this.sha512Timer) clearInterval(this.sha512Timer);
    // resumable sessions move to another instance first (their clients resume there)
    await Promise.race([this.hooks.serial(CoreHooks.shutdown, {}), new Promise((r) => setTimeout(r, this.config.SHUTDOWN_DRAIN_TIMEOUT).unref())]);
    const other = this.config.SHUTDOWN_SEE_OTHER_HOST;
    const error = () => (other ? new StreamError('see-other-host', undefined, undefined, other) : new StreamError('system-shutdown'));
    for (const c of [...this.connections]) c.streamError(error());
    // sessions without a connection (waiting for resumption) end here, not with the process
    for (const s of [...this.directory.localSessions()]) if (!s.closed) this.sessions.unbind(s, 'shutdown');
    const started = Date.now();
    const settled = await this.router.idle(this.config.SHUTDOWN_DRAIN_TIMEOUT);
    this.log.info({ settled, ms: Date.now() - started }, settled ? 'shutdown: every session ended and its unacknowledged stanzas routed again' : 'shutdown: drain timeout reached with routing still in flight');
    await this.sessions.flushEvents(); // the sessions that just ended, before the bus goes
    this.components.stop();
    this.federation?.stop();
    await this.cluster.stop();
    for (const s of this.stops.reverse()) await s();
  }
}
