// The gateway's parts, wired once: accounts, sessions, directory, cluster routing,
// the feature registry with every XEP module, and the client listeners.
import { randomBytes } from 'node:crypto';
import { AccountDeletedV1, EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import type { Bus } from '@parley/nats';
import { StreamError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AccountsService } from './accounts/accounts.service';
import type { GatewayConfig } from './config/config';
import { FeatureRegistry, StanzaHooks } from './modules/registry';
import { ALL_MODULES, GatewayModule } from './modules';
import { AccountsStore, TypeOrmAccountsStore } from './persistence/accounts.store';
import { Cluster } from './routing/cluster';
import { Router } from './routing/router';
import { Directory } from './session/directory';
import type { Session } from './session/session';
import { Sessions } from './session/sessions';
import type { C2SConnection } from './stream/c2s';
import { WindowCounter } from './stream/sasl/throttle';
import { StreamManagementService } from './stream/sm/stream-management';
import { TlsMaterial } from './transport/certs';

/** Counters exported as metrics (no JIDs, no addresses). */
export class GatewayMetrics {
  connections = 0;
  logins = 0;
  authFailures = 0;
  stanzasIn = 0;
  streamErrors = 0;
  bytesIn = 0;
  bytesOut = 0;
}

/** A handler for top-level elements that are not stanzas (XEP-0198 `<r/>`, XEP-0352 `<active/>`...). */
export type NonzaHandler = (conn: C2SConnection, el: Element) => boolean;

export class GatewayCore {
  readonly domain: string;
  readonly instanceId: string;
  readonly registry = new FeatureRegistry();
  readonly hooks = new StanzaHooks();
  readonly directory = new Directory();
  readonly metrics = new GatewayMetrics();
  readonly store: AccountsStore;
  readonly accounts: AccountsService;
  readonly cluster: Cluster;
  readonly sessions: Sessions;
  readonly router: Router;
  readonly nonzaHandlers: NonzaHandler[] = [];
  readonly authThrottle: { address: WindowCounter; account: WindowCounter };
  readonly registrationThrottle: WindowCounter;
  readonly connections = new Set<C2SConnection>();
  readonly modules: GatewayModule[] = [];
  readonly sm: StreamManagementService;
  /** Users whose account removal this instance is answering (their sessions close after the reply). */
  readonly removing = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  private readonly stops: Array<() => Promise<void> | void> = [];

  constructor(
    readonly config: GatewayConfig,
    readonly bus: Bus,
    readonly dataSource: DataSource,
    readonly tls: TlsMaterial,
    readonly log: Logger,
  ) {
    this.domain = config.XMPP_DOMAIN.toLowerCase();
    this.instanceId = config.INSTANCE_ID || `gw-${randomBytes(5).toString('hex')}`;
    this.store = new TypeOrmAccountsStore(dataSource);
    this.accounts = new AccountsService(this.store, bus, { domain: this.domain, iterations: config.SCRAM_ITERATIONS });
    this.authThrottle = {
      address: new WindowCounter(config.AUTH_FAILURES_PER_ADDRESS, config.AUTH_FAILURE_WINDOW),
      account: new WindowCounter(config.AUTH_FAILURES_PER_ACCOUNT, config.AUTH_FAILURE_WINDOW),
    };
    this.registrationThrottle = new WindowCounter(config.REGISTRATION_LIMIT, config.REGISTRATION_WINDOW);
    this.cluster = new Cluster(
      bus,
      this.directory,
      this.instanceId,
      {
        deliverLocal: (targets, xml) => {
          for (const full of targets) {
            const slash = full.indexOf('/');
            this.directory.resource(full.slice(0, slash), full.slice(slash + 1))?.session?.send(xml);
          }
        },
        kickLocal: (full, reason) => {
          const slash = full.indexOf('/');
          const s = this.directory.resource(full.slice(0, slash), full.slice(slash + 1))?.session;
          if (!s) return;
          this.sessions.unbind(s, reason);
          s.close(new StreamError(reason === 'conflict' ? 'conflict' : 'not-authorized', reason === 'conflict' ? 'replaced by a new connection with the same resource' : 'account removed'));
        },
        peerGone: (id, dropped) => {
          for (const m of this.modules) m.peerGone?.(id, dropped);
        },
      },
      log,
      { heartbeatMs: config.ROUTE_HEARTBEAT, peerTimeoutMs: config.ROUTE_PEER_TIMEOUT },
    );
    this.sm = new StreamManagementService(this);
    this.registry.streamFeatures.push(() => this.sm.feature());
    this.hooks.sessionEnded.push((s) => this.sm.ended(s));
    this.sessions = new Sessions(this.domain, this.directory, this.cluster, this.hooks, bus, log);
    this.router = new Router({
      domain: this.domain,
      directory: this.directory,
      cluster: this.cluster,
      registry: this.registry,
      hooks: this.hooks,
      accountExists: (local) => this.accounts.exists(local),
      log,
    });
  }

  /** Provisions streams, loads modules, joins the cluster. */
  async start(modules: GatewayModule[] = ALL_MODULES): Promise<void> {
    await this.bus.ensureStreams([GATEWAY_EVENTS]);
    for (const m of modules) {
      await m.init(this);
      this.modules.push(m);
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
    await this.cluster.start();
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) c.tick(now);
    }, Math.min(5000, this.config.KEEPALIVE_INTERVAL, this.config.AUTH_TIMEOUT)).unref();
  }

  /** Registers a callback run at shutdown. */
  onStop(fn: () => Promise<void> | void): void {
    this.stops.push(fn);
  }

  /** Whether `from` (as a client wrote it) names this session. */
  sameJid(from: string, session: Session): boolean {
    const j = tryParseJid(from);
    if (!j) return false;
    return j.bareString === session.bare && (!j.resource || j.resource === session.jid.resource);
  }

  /** A stanza from a bound client, stamped and checked: hand it to the modules and the router. */
  async handleFromSession(session: Session, stanza: Element): Promise<void> {
    let to;
    if (stanza.attrs.to !== undefined) {
      try {
        to = this.router.destination(stanza.attrs.to);
      } catch (e) {
        return this.router.bounce(stanza, e as never);
      }
    }
    if (stanza.name === 'presence') {
      for (const h of this.hooks.outboundPresence) if (await h(session, stanza, to)) return;
      if (!to) return; // broadcast presence without a presence module: nothing to do
    }
    const dest = to ?? this.router.destination(session.bare);
    for (const h of this.hooks.outbound) if (await h(session, stanza, dest)) return;
    await this.router.route(stanza, session);
    if (stanza.name === 'message') for (const h of this.hooks.messageSent) h(session, stanza, dest);
  }

  connectionOpened(c: C2SConnection): void {
    this.connections.add(c);
    this.metrics.connections = this.connections.size;
  }

  connectionClosed(c: C2SConnection): void {
    this.connections.delete(c);
    this.metrics.connections = this.connections.size;
  }

  /** Tells every client the server is going away, then stops timers and subscriptions. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const c of [...this.connections]) c.streamError(new StreamError('system-shutdown'));
    await this.cluster.stop();
    for (const s of this.stops.reverse()) await s();
  }
}
