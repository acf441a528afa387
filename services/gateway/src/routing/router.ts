// Stanza routing (RFC 6120 §10, RFC 6121 §8), all in one place: a client's stanza
// gets its destination prepared and runs the outbound hooks; every stanza for a local
// account runs the inbound hooks, then is delivered from the directory (no database
// or bus round trip for online users), locally or through the cluster, stored
// offline, or answered as the RFCs say. One `data` map travels with a client's
// stanza through all of its hooks.
import { Jid, JidError, parseJid } from '@parley/jid';
import { Element, parseXml } from '@parley/xml';
import { NS, StanzaError, errorReply } from '@parley/stanza';
import type { Logger } from 'pino';
import { CoreHooks } from '../host/core-hooks';
import type { Hooks } from '../host/hooks';
import { answerIq, Destination, FeatureRegistry, IqHandler } from '../host/registry';
import { SlotMap } from '../host/slots';
import type { Directory, ResourceState } from '../session/directory';
import type { Session } from '../session/session';
import type { ClusterPort } from '../session/sessions';
import type { UndeliveredReason } from './cluster';

/** What the router needs. */
export interface RouterDeps {
  domain: string;
  directory: Directory;
  cluster: Pick<ClusterPort, 'deliverRemote'>;
  registry: FeatureRegistry;
  hooks: Hooks;
  /** External components (XEP-0114): the configured domains, and delivery to wherever one is connected. */
  external?: { has(domain: string): boolean; deliver(stanza: Element, domain: string): void };
  /** Server-to-server federation (RFC 6120), when enabled: delivery to any other domain. */
  federation?: { send(stanza: Element, domain: string): void };
  /** Whether a local account exists (cached by the caller). */
  accountExists(local: string): Promise<boolean>;
  /** A stanza was bounced (the delivery-error log: gateway.evt.delivery-failed). Never given content. */
  onBounce?(failure: BounceReport): void;
  log: Logger;
}

/** What the delivery-error log learns of a bounce: addresses as bare JIDs, no content. */
export interface BounceReport {
  /** Sender's bare JID; absent when the server sent it. */
  from?: string;
  /** Recipient's bare JID (or a domain). */
  to: string;
  kind: 'message' | 'presence' | 'iq';
  /** The stanza error condition. */
  reason: string;
  /** The rule that decided, e.g. `unknown-user`. */
  detail?: string;
}

/** The bare form of an address, or undefined when it does not parse. */
function bareOrUndefined(a: string | undefined): string | undefined {
  if (!a) return undefined;
  try {
    return parseJid(a).bareString;
  } catch {
    return undefined;
  }
}

/** A resource that receives messages to its bare JID (RFC 6121 §8.5.2.1.1: available, non-negative priority). */
const takesMessages = (r: ResourceState): boolean => r.available && r.priority >= 0;

const MESSAGE_TYPES = new Set(['chat', 'normal', 'headline', 'groupchat', 'error']);
/** Messages of one session routed behind their recipients' queues without the stream waiting; past it the stream waits for each (still queued). */
export const MAX_DEFERRED = 256;

export class Router {
  constructor(private readonly d: RouterDeps) {}

  private readonly prepared = new Map<string, Destination>();

  /** Prepares a `to` address (memoized: the same few addresses recur). Throws StanzaError jid-malformed. */
  destination(to: string): Destination {
    const hit = this.prepared.get(to);
    if (hit) return hit;
    try {
      const jid = parseJid(to);
      const d = { jid, local: jid.domain === this.d.domain };
      if (this.prepared.size >= 50_000) this.prepared.clear();
      this.prepared.set(to, d);
      return d;
    } catch (e) {
      if (e instanceof JidError) throw StanzaError.jidMalformed();
      throw e;
    }
  }

  /** A stanza from a bound client, stamped and checked: outbound hooks, then routing, then `messageSent`. */
  /** Messages from clients routed since the last {@link takeRouted} (anonymous statistics). */
  private routed = 0;

  /** Returns and resets the count of messages routed from clients. */
  takeRouted(): number {
    const n = this.routed;
    this.routed = 0;
    return n;
  }

  async fromClient(session: Session, stanza: Element): Promise<void> {
    if (stanza.name === 'message') this.routed += 1;
    let to: Destination | undefined;
    if (stanza.attrs.to !== undefined) {
      try {
        to = this.destination(stanza.attrs.to);
      } catch (e) {
        return this.bounce(stanza, e as never, 'malformed-address');
      }
    }
    const data = new SlotMap();
    const hooks = this.d.hooks;
    if (stanza.name === 'presence') {
      if (await hooks.until(CoreHooks.outboundPresence, { session, stanza, to, data })) return;
      if (!to) return; // broadcast presence without a presence module: nothing to do
    }
    const dest = to ?? this.destination(session.bare);
    if (await hooks.until(CoreHooks.outbound, { session, stanza, to: dest, data })) return;
    if (stanza.name !== 'message') return this.route(stanza, session, data);
    const sent = () => hooks.each(CoreHooks.messageSent, { session, stanza, to: dest, data });
    const bare = dest.local && dest.jid.local ? dest.jid.bareString : undefined;
    if (bare !== undefined && (this.queued.has(bare) || this.goesOffline(stanza, dest, bare))) {
      const work = this.behind(bare, async () => {
        await this.route(stanza, session, data);
        sent();
      }, stanza);
      this.hold(work);
      // Past the bound the stream waits for this one (backpressure) — still in the
      // recipient's queue, never around it, or it would overtake the messages before it.
      if (session.unsettledWork >= MAX_DEFERRED) return work;
      session.continueWhile(work);
      return;
    }
    await this.route(stanza, session, data);
    sent();
  }

  /**
   * Whether a client's message to a local account will not be delivered to a resource
   * now (no session would take it: it goes to offline storage, or bounces). Routing it
   * may wait on I/O — whether the account exists, the recipient's block list — so the
   * sender's stream does not wait for it: it goes on with its next messages while this
   * one is routed behind the recipient's earlier ones (see {@link behind}).
   */
  private goesOffline(msg: Element, to: Destination, bare: string): boolean {
    const type = msg.attrs.type;
    if (type !== undefined && type !== 'chat' && type !== 'normal') return false;
    if (to.jid.resource && this.d.directory.resource(bare, to.jid.resource)) return false;
    return !this.d.directory.resources(bare).some(takesMessages);
  }

  /**
   * Runs `route` after every message queued earlier for `bare`, so that messages to one
   * recipient keep their order (RFC 6120 §10.1) while the senders' streams go on; any
   * later message to `bare` queues too while one is waiting, even once the recipient is
   * online. A routing that fails answers its message with internal-server-error.
   */
  private behind(bare: string, route: () => Promise<void>, msg: Element): Promise<void> {
    const next = (this.queued.get(bare) ?? Promise.resolve()).then(route).catch((e: unknown) => {
      this.d.log.error({ err: e }, 'message routing failed');
      this.bounce(msg, StanzaError.internal(), 'routing-failed');
    });
    this.queued.set(bare, next);
    void next.then(() => {
      if (this.queued.get(bare) === next) this.queued.delete(bare);
    });
    return next;
  }

  /** Per recipient: the last message routed behind the others ({@link behind}). */
  private readonly queued = new Map<string, Promise<void>>();

  /** Sends a stanza to one resource wherever it is; one too large for the bus bounces (an element) or is dropped (XML). */
  deliverTo(bare: string, st: ResourceState, stanza: Element | string): void {
    if (st.session) return st.session.send(stanza);
    if (this.d.cluster.deliverRemote(st.instanceId, [`${bare}/${st.resource}`], typeof stanza === 'string' ? stanza : stanza.toString())) return;
    this.tooLarge(stanza);
  }

  /** A stanza that cannot cross to another gateway: its sender learns why (RFC 6120 §8.3.3.12). */
  private tooLarge(stanza: Element | string): void {
    this.d.log.warn({ name: typeof stanza === 'string' ? undefined : stanza.name }, 'stanza too large for the bus; not delivered across gateways');
    if (typeof stanza !== 'string') this.bounce(stanza, new StanzaError('policy-violation', 'this stanza is too large to be delivered', 'modify'), 'too-large');
  }

  /** Sends one stanza to several resources of a user, one bus message per remote instance. */
  deliverToMany(bare: string, states: ResourceState[], stanza: Element): void {
    let xml: string | undefined;
    let remote: Map<string, string[]> | undefined;
    for (const st of states) {
      xml ??= stanza.toString();
      if (st.session) st.session.send(xml);
      else {
        remote ??= new Map();
        const list = remote.get(st.instanceId);
        if (list) list.push(`${bare}/${st.resource}`);
        else remote.set(st.instanceId, [`${bare}/${st.resource}`]);
      }
    }
    let bounced = false;
    if (remote) {
      for (const [instance, targets] of remote) {
        if (!this.d.cluster.deliverRemote(instance, targets, xml!) && !bounced) {
          bounced = true;
          this.tooLarge(stanza);
        }
      }
    }
  }

  /**
   * Stanzas sent to sessions on another instance that did not reach them (its receipt
   * named targets it no longer held, it died, it did not answer, or the bus was away).
   * Handled as for a resource that is gone (RFC 6121 §8.5.3.2): a chat message to a
   * full JID goes to the user's other resources or offline storage, a message to the
   * bare JID is stored offline when no other resource had it, IQ requests are answered
   * with an error, presence is dropped. While the bus is away the sender learns to
   * retry (`resource-constraint`, type wait). Never routed back to the same targets.
   */
  undelivered(instanceId: string, entries: Array<[targets: string[], xml: string]>, reason: UndeliveredReason): void {
    for (const [targets, xml] of entries) {
      let el: Element;
      try {
        el = parseXml(xml);
      } catch {
        continue;
      }
      if (reason === 'gone') {
        for (const full of targets) {
          const slash = full.indexOf('/');
          const st = this.d.directory.resource(full.slice(0, slash), full.slice(slash + 1));
          if (st && st.instanceId === instanceId && !st.session) this.d.directory.remove(full.slice(0, slash), full.slice(slash + 1), instanceId);
        }
      }
      if (reason === 'bus-down') {
        if (el.name !== 'presence') this.bounce(el, new StanzaError('resource-constraint', 'that session cannot be reached right now; try again', 'wait'), 'bus-down');
        continue;
      }
      void this.again(el, new Set(targets), reason === 'timeout' ? instanceId : undefined).catch((e) => this.d.log.error({ err: e }, 'routing an undelivered stanza again failed'));
    }
  }

  private async again(el: Element, failed: Set<string>, avoidInstance: string | undefined): Promise<void> {
    if (el.name === 'iq') return this.bounceIq(el, 'resource-gone');
    if (el.name !== 'message') return;
    const type = el.attrs.type ?? 'normal';
    if (type === 'error' || type === 'groupchat' || type === 'headline') return;
    // copies for the user's own resources (carbons, archive results) are not messages to route
    if (el.getChild('received', NS.carbons) || el.getChild('sent', NS.carbons) || el.getChild('result', NS.mam)) return;
    let to: Destination;
    try {
      to = this.destination(el.attrs.to ?? '');
    } catch {
      return;
    }
    if (!to.local || !to.jid.local) return;
    const bare = to.jid.bareString;
    const others = this.messageTargets(bare).filter((r) => !failed.has(`${bare}/${r.resource}`) && r.instanceId !== avoidInstance);
    if (to.jid.resource) {
      if (type !== 'chat') return this.bounce(el, StanzaError.serviceUnavailable(), 'resource-gone');
      if (others.length) {
        this.deliverToMany(bare, others, el);
        return;
      }
    } else if (others.length) return; // the other resources had it in the same fan-out
    const data = new SlotMap();
    if (await this.d.hooks.until(CoreHooks.offline, { stanza: el, toBare: bare, data })) return;
    this.bounce(el, StanzaError.serviceUnavailable(), 'not-stored');
  }

  /** Resources that receive a message to the bare JID (RFC 6121 §8.5.2.1.1: every available, non-negative). */
  messageTargets(bare: string): ResourceState[] {
    return this.d.directory.resources(bare).filter(takesMessages);
  }

  /**
   * Answers `stanza` with an error from the server, unless it is an error itself, and
   * reports the bounce to the delivery-error log (`detail`: the rule that decided).
   */
  bounce(stanza: Element, err: StanzaError, detail?: string): void {
    if (stanza.attrs.type === 'error' || stanza.name === 'presence' || !stanza.attrs.from) return;
    const reply = errorReply(stanza, err, { from: stanza.attrs.to ?? this.d.domain });
    this.report(stanza, err, detail);
    void this.route(reply);
  }

  private report(stanza: Element, err: StanzaError, detail?: string): void {
    if (!this.d.onBounce) return;
    const to = bareOrUndefined(stanza.attrs.to ?? this.d.domain);
    if (!to) return; // a malformed address names nobody to log
    const from = bareOrUndefined(stanza.attrs.from);
    try {
      this.d.onBounce({ ...(from && from !== this.d.domain ? { from } : {}), to, kind: stanza.name as BounceReport['kind'], reason: err.condition, ...(detail ? { detail } : {}) });
    } catch (e) {
      this.d.log.warn({ err: e }, 'delivery failure not reported');
    }
  }

  /**
   * Routes a stanza whose `from` is already set (by a session, a module or a peer
   * service). `origin` is the sending session when there is one.
   */
  async route(stanza: Element, origin?: Session, data: SlotMap = new SlotMap()): Promise<void> {
    this.inFlight += 1;
    try {
      await this.routeNow(stanza, origin, data);
    } finally {
      if (--this.inFlight === 0 && this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Routings started and not finished (hooks, offline hand-offs to JetStream included). */
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];

  /** Resolves once no routing is in flight (true), or after `timeoutMs` (false). For shutdown. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  private async routeNow(stanza: Element, origin: Session | undefined, data: SlotMap): Promise<void> {
    const toAttr = stanza.attrs.to;
    let to: Destination;
    try {
      to = toAttr ? this.destination(toAttr) : this.destination(origin ? origin.bare : this.d.domain);
    } catch (e) {
      if (e instanceof StanzaError) return this.bounce(stanza, e);
      throw e;
    }
    if (!to.local) {
      if (this.d.registry.isComponent(to.jid.domain)) return this.toComponent(stanza, to, origin);
      if (this.d.external?.has(to.jid.domain)) return this.d.external.deliver(stanza, to.jid.domain);
      if (this.d.federation) return this.d.federation.send(stanza, to.jid.domain);
      return this.bounce(stanza, new StanzaError('remote-server-not-found', 'this server does not federate with other domains yet'), 'remote-domain');
    }
    if (!to.jid.local) return this.toServer(stanza, to, origin);
    if (await this.d.hooks.until(CoreHooks.inbound, { stanza, to, origin, data })) return;
    if (stanza.name === 'message') return this.message(stanza, to, data, origin);
    if (stanza.name === 'presence') return this.presence(stanza, to);
    return this.iq(stanza, to, origin);
  }

  /** Whether stanzas to `domain` have a route: this domain, a component the gateway hosts or an external one, or any domain with federation. */
  reachable(domain: string): boolean {
    return domain === this.d.domain || this.d.registry.isComponent(domain) || !!this.d.external?.has(domain) || !!this.d.federation;
  }

  private async toServer(stanza: Element, to: Destination, origin?: Session): Promise<void> {
    if (stanza.name === 'iq') {
      if (to.jid.resource) return this.bounceIq(stanza, 'server-resource');
      return this.handleIq(stanza, (t, payload) => this.d.registry.iqHandler(t, 'server', payload), { bare: this.d.domain, local: '' }, origin);
    }
    if (stanza.name === 'message' && stanza.attrs.type !== 'error') this.bounce(stanza, StanzaError.serviceUnavailable(), 'to-server');
    // presence to the server itself is dropped (RFC 6121 §4.3.1 probes by the server are internal)
  }

  /** A stanza to a component the gateway hosts (XEP-0363 `upload.<domain>`): IQs to the component itself go to its handlers. */
  private async toComponent(stanza: Element, to: Destination, origin?: Session): Promise<void> {
    if (stanza.name === 'iq') {
      if (to.jid.local || to.jid.resource) return this.bounceIq(stanza, 'component-resource');
      const domain = to.jid.domain;
      return this.handleIq(stanza, (t, payload) => this.d.registry.componentIqHandler(domain, t, payload), { bare: domain, local: '' }, origin);
    }
    if (stanza.name === 'message' && stanza.attrs.type !== 'error') this.bounce(stanza, StanzaError.serviceUnavailable(), 'component');
  }

  private bounceIq(stanza: Element, detail: string): void {
    const t = stanza.attrs.type;
    if (t === 'get' || t === 'set') this.bounce(stanza, StanzaError.serviceUnavailable(), detail);
  }

  private async handleIq(iq: Element, lookup: (type: 'get' | 'set', payload: Element | undefined) => IqHandler | undefined, owner: { bare: string; local: string }, origin?: Session): Promise<void> {
    const t = iq.attrs.type;
    if (t !== 'get' && t !== 'set') return; // results and errors to the server or an account are dropped
    const payload = iq.children.find((c): c is Element => typeof c !== 'string');
    const handler = lookup(t, payload);
    if (!handler || !origin) return this.bounce(iq, StanzaError.serviceUnavailable());
    const reply = await answerIq(handler, iq, origin, owner, (e) => this.d.log.error({ err: e, ns: payload?.attrs.xmlns }, 'IQ handler crashed'));
    if (!reply) return;
    if (origin && (!iq.attrs.from || iq.attrs.from === origin.full)) {
      reply.attrs.to = origin.full;
      origin.send(reply);
    } else await this.route(reply);
  }

  private async iq(iq: Element, to: Destination, origin?: Session): Promise<void> {
    const bare = to.jid.bareString;
    if (!to.jid.resource) {
      // RFC 6121 §8.5.2.1.3 / §8.5.1: the server answers for the account.
      if (!(await this.exists(to.jid, bare))) return this.bounceIq(iq, 'unknown-user');
      return this.handleIq(iq, (t, payload) => this.d.registry.iqHandler(t, 'account', payload), { bare, local: to.jid.local }, origin);
    }
    const st = this.d.directory.resource(bare, to.jid.resource);
    if (st) return this.deliverTo(bare, st, iq);
    this.bounceIq(iq, 'resource-gone'); // RFC 6121 §8.5.3.2.3
  }

  private async exists(jid: Jid, bare: string): Promise<boolean> {
    if (this.d.directory.resources(bare).length) return true;
    return this.d.accountExists(jid.local);
  }

  private async message(msg: Element, to: Destination, data: SlotMap, origin?: Session): Promise<void> {
    let type = msg.attrs.type ?? 'normal';
    if (!MESSAGE_TYPES.has(type)) type = 'normal'; // RFC 6121 §5.2.2: unknown types are treated as normal
    const bare = to.jid.bareString;
    if (to.jid.resource) {
      const st = this.d.directory.resource(bare, to.jid.resource);
      if (st) {
        this.deliverTo(bare, st, msg);
        this.delivered(msg, bare, [st.resource], data);
        return;
      }
      // RFC 6121 §8.5.3.2.1: only chat falls back to the bare JID.
      if (type !== 'chat') {
        if (type === 'normal') this.bounce(msg, StanzaError.serviceUnavailable(), 'resource-gone');
        return;
      }
    }
    if (!(await this.exists(to.jid, bare))) {
      // RFC 6121 §8.5.1
      if (type !== 'error' && type !== 'headline' && type !== 'groupchat') this.bounce(msg, StanzaError.serviceUnavailable(), 'unknown-user');
      return;
    }
    if (type === 'groupchat') return this.bounce(msg, StanzaError.serviceUnavailable(), 'groupchat');
    if (type === 'error') {
      // errors to a bare JID go to... nobody in particular (RFC 6121 §8.5.2.1.1 says silently ignore)
      return;
    }
    const targets = type === 'headline' ? this.d.directory.resources(bare).filter((r) => r.available && r.priority >= 0) : this.messageTargets(bare);
    if (targets.length) {
      this.deliverToMany(bare, targets, msg);
      this.delivered(msg, bare, targets.map((t) => t.resource), data);
      return;
    }
    if (type === 'headline') return; // RFC 6121 §8.5.2.2.1: headline is never stored
    if (await this.d.hooks.until(CoreHooks.offline, { stanza: msg, toBare: bare, data, origin })) return;
    this.bounce(msg, StanzaError.serviceUnavailable(), 'not-stored');
  }

  /** Counts `work` (an offline hand-off the sender's stream does not wait for) as routing in flight, for {@link idle}. */
  hold(work: Promise<unknown>): void {
    this.inFlight += 1;
    const done = () => {
      if (--this.inFlight === 0 && this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
    };
    void work.then(done, done);
  }

  private delivered(msg: Element, bare: string, resources: string[], data: SlotMap): void {
    this.d.hooks.each(CoreHooks.messageDelivered, { stanza: msg, toBare: bare, delivered: resources, data });
  }

  private async presence(p: Element, to: Destination): Promise<void> {
    const type = p.attrs.type;
    // subscription and probe presence is the roster module's (an inbound hook); what reaches here is directed presence
    if (type && type !== 'unavailable' && type !== 'error') return;
    const bare = to.jid.bareString;
    if (to.jid.resource) {
      const st = this.d.directory.resource(bare, to.jid.resource);
      if (st) this.deliverTo(bare, st, p); // RFC 6121 §8.5.3.2.2: otherwise silently ignored
      return;
    }
    const targets = this.d.directory.resources(bare).filter((r) => r.available);
    if (targets.length) this.deliverToMany(bare, targets, p);
  }
}
