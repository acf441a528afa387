// External components (XEP-0114) across the cluster. A component connects to one
// gateway; that gateway answers the component's NATS subject
// (`gateway.cmd.component.<domain>`), so a stanza for the component from a user on
// any gateway reaches it, and NATS' "no responders" tells the sender it is connected
// nowhere (→ `service-unavailable`). A second connection of the same component, on
// this gateway or another, is refused with `conflict`: a new claim asks every holder
// (`gateway.qry.component-holder.<domain>`) after subscribing itself, and the earliest
// claim wins, so two racing connections settle on one. Nothing here names an address.
import { randomBytes } from 'node:crypto';
import {
  ComponentDeliverResultV1,
  ComponentDeliverV1,
  ComponentHolderV1,
  GatewaySubjects,
  isComponentDeliverV1,
  isComponentHolderV1,
} from '@parley/contracts';
import { Bus, BusUnavailableError, encodeJson } from '@parley/nats';
import { StanzaError, StreamError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Logger } from 'pino';
import { ComponentConnection, ComponentStreamHost } from './component-stream';

/** How long a new connection listens for other holders of its component. */
const HOLDER_WAIT_MS = 300;
/** How long a gateway waits for the holder to take a stanza before bouncing it. */
const DELIVER_TIMEOUT_MS = 5000;

/** What the components need of the gateway. */
export interface ComponentsDeps {
  /** Configured components: domain → shared secret. */
  secrets: Map<string, string>;
  config: ComponentStreamHost['config'];
  /** The cluster's bus; without it (in-process tests) components reach this gateway's users only. */
  bus?: Bus;
  instanceId: string;
  log: Logger;
  /** Routes a stanza from a component (RFC 6121 §8 rules, as for any stanza whose `from` is set). */
  route(stanza: Element): Promise<void>;
  /** Answers a stanza with an error and records the bounce (the delivery-error log). */
  bounce(stanza: Element, err: StanzaError, detail: string): void;
}

interface Claim {
  conn: ComponentConnection;
  holder: ComponentHolderV1;
  subs: Array<{ unsubscribe(): void }>;
}

/** `a` claimed before `b` (time, then instance and tie-breaker: every gateway decides alike). */
function earlier(a: ComponentHolderV1, b: ComponentHolderV1): boolean {
  if (a.s !== b.s) return a.s < b.s;
  return `${a.i}/${a.n}` < `${b.i}/${b.n}`;
}

export class ExternalComponents implements ComponentStreamHost {
  /** Open component connections on this gateway (authenticated or not), for the sweep. */
  readonly connections = new Set<ComponentConnection>();
  /** Claims being settled or won, by domain. */
  private readonly claims = new Map<string, Claim>();
  /** Components connected to this gateway, by domain. */
  private readonly held = new Map<string, Claim>();

  constructor(private readonly d: ComponentsDeps) {}

  get config(): ComponentStreamHost['config'] {
    return this.d.config;
  }

  get log(): Logger {
    return this.d.log;
  }

  /** The configured component domains. */
  get domains(): string[] {
    return [...this.d.secrets.keys()];
  }

  /** Whether `domain` is a configured external component. */
  has(domain: string): boolean {
    return this.d.secrets.has(domain);
  }

  /** Whether the component is connected to this gateway. */
  isHeldHere(domain: string): boolean {
    return this.held.has(domain);
  }

  secretOf(domain: string): string | undefined {
    return this.d.secrets.get(domain);
  }

  opened(conn: ComponentConnection): void {
    this.connections.add(conn);
  }

  closed(conn: ComponentConnection): void {
    this.connections.delete(conn);
  }

  async attach(domain: string, conn: ComponentConnection): Promise<boolean> {
    if (this.claims.has(domain)) return false;
    const holder: ComponentHolderV1 = { i: this.d.instanceId, s: Date.now(), n: randomBytes(8).toString('hex') };
    const claim: Claim = { conn, holder, subs: [] };
    this.claims.set(domain, claim);
    const bus = this.d.bus;
    if (!bus) {
      this.held.set(domain, claim);
      return true;
    }
    try {
      claim.subs.push(bus.subscribeRaw(GatewaySubjects.componentHolders(domain), (m) => void m.respond(encodeJson(holder))));
      await bus.flush();
      const holders = await bus.requestMany(GatewaySubjects.componentHolders(domain), {}, { maxWaitMs: HOLDER_WAIT_MS, accept: isComponentHolderV1 });
      if (holders.some((h) => !(h.i === holder.i && h.n === holder.n) && earlier(h, holder))) {
        this.release(domain, claim);
        return false;
      }
      this.held.set(domain, claim);
      claim.subs.push(bus.serve<unknown, ComponentDeliverResultV1>(GatewaySubjects.componentDeliver(domain), (q) => this.deliverHere(domain, q), { queue: 'gateway' }));
      await bus.flush();
      return true;
    } catch (e) {
      this.d.log.warn({ err: (e as Error).message, component: domain }, 'component claim not settled; connection refused');
      this.release(domain, claim);
      return false;
    }
  }

  detach(domain: string, conn: ComponentConnection): void {
    const claim = this.claims.get(domain);
    if (!claim || claim.conn !== conn) return;
    this.release(domain, claim);
    this.d.log.info({ component: domain }, 'component disconnected');
  }

  private release(domain: string, claim: Claim): void {
    for (const s of claim.subs) s.unsubscribe();
    claim.subs = [];
    if (this.claims.get(domain) === claim) this.claims.delete(domain);
    if (this.held.get(domain) === claim) this.held.delete(domain);
  }

  /** A stanza for the component, from another gateway. */
  private deliverHere(domain: string, q: unknown): ComponentDeliverResultV1 {
    if (!isComponentDeliverV1(q)) {
      this.d.log.warn({ component: domain }, 'malformed component delivery dropped');
      return { delivered: false };
    }
    const claim = this.held.get(domain);
    if (!claim) return { delivered: false };
    return { delivered: claim.conn.send(q.x) };
  }

  /**
   * A stanza for the component at `domain` (or an address at it): written to its
   * connection here, or handed to the gateway that holds it; bounced when it is
   * connected nowhere (`service-unavailable`) or its gateway does not answer in time
   * (`remote-server-timeout`).
   */
  deliver(stanza: Element, domain: string): void {
    const here = this.held.get(domain);
    if (here) {
      if (!here.conn.send(stanza)) this.d.bounce(stanza, StanzaError.serviceUnavailable(), 'component-offline');
      return;
    }
    const bus = this.d.bus;
    if (!bus) return this.d.bounce(stanza, StanzaError.serviceUnavailable(), 'component-offline');
    bus.request<ComponentDeliverResultV1>(GatewaySubjects.componentDeliver(domain), { x: stanza.toString() } satisfies ComponentDeliverV1, { timeoutMs: DELIVER_TIMEOUT_MS }).then(
      (r) => {
        if (!r.delivered) this.d.bounce(stanza, StanzaError.serviceUnavailable(), 'component-offline');
      },
      (e: Error) => {
        if (e instanceof BusUnavailableError && e.reason === 'timeout') {
          return this.d.bounce(stanza, new StanzaError('remote-server-timeout', 'the component did not answer in time', 'wait'), 'component-timeout');
        }
        if (!(e instanceof BusUnavailableError)) this.d.log.warn({ err: e.message, component: domain }, 'stanza for a component not handed over');
        this.d.bounce(stanza, StanzaError.serviceUnavailable(), 'component-offline');
      },
    );
  }

  /** A checked stanza from a component connected here. */
  fromComponent(_domain: string, stanza: Element): Promise<void> {
    return this.d.route(stanza);
  }

  /** Timer check of every component connection. */
  tick(now: number): void {
    for (const c of this.connections) c.tick(now);
  }

  /** Closes every component connection (shutdown). */
  stop(): void {
    for (const c of [...this.connections]) c.streamError(new StreamError('system-shutdown'));
  }
}
