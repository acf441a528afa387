// RFC 6121: Instant Messaging and Presence — the roster (§2: get, set, remove,
// pushes to interested resources, §2.6 versioning), presence subscriptions (§3 and
// Appendix A, pre-approval §3.4) and roster-driven presence (§4: whom a user's
// broadcast presence reaches, probes at login, pending requests). The roster
// service keeps the state and decides (Appendix A); this module turns its answers
// and events into stanzas. Roster pushes come only from `roster.evt.item-updated`,
// which every gateway receives; each pushes to its own sessions.
import {
  EventEnvelope,
  RosterEvents,
  RosterGetQuery,
  RosterGetResult,
  RosterItem,
  RosterItemUpdatedV1,
  RosterLoginQuery,
  RosterLoginResult,
  RosterPresenceCommand,
  RosterPresenceResult,
  RosterPushItem,
  RosterRemoveItemCommand,
  RosterRemoveItemResult,
  RosterSetItemCommand,
  RosterSubjects,
  RosterUserErasedV1,
  SubscriptionPresenceType,
} from '@parley/contracts';
import { bareOf, domainOf, resourceOf, tryParseJid } from '@parley/jid';
import { errorReply, NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import type { GatewayCore } from '../../gateway-core';
import type { ResourceState } from '../../session/directory';
import type { Session } from '../../session/session';
import { Destination, HANDLED, IqHandler } from '../registry';
import { presenceExtensions } from '../rfc6121-presence/presence.module';
import { BlockingApi, blockingApi, blockedError } from '../xep-0191-blocking/api';
import type { GatewayModule } from '..';
import { PresenceRelay, PresenceWork } from './presence-relay';
import { UserRoster } from './roster-state';
import { serviceError } from '../service-errors';

const ROSTER_SERVICE = 'roster service';

const NAME = 'rfc6121-roster';
const SUBSCRIPTION_TYPES = new Set<string>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

/** What the module keeps per session. */
interface RosterSession {
  user: UserRoster;
  /** This session's login answer (RFC 6121 §4.2: probes and pending requests). */
  login?: RosterLoginResult;
  loginInFlight?: Promise<RosterLoginResult | undefined>;
  /** Initial presence was sent but the roster service could not be asked yet: probe once it can. */
  initialPending?: boolean;
  initialDone?: boolean;
  /** Pushes held while a roster get is answered (they follow the result). */
  holding?: RosterItemUpdatedV1[];
  /** The next login attempt, after the roster service could not be reached. */
  retry?: NodeJS.Timeout;
}

/** Login retries after a roster service outage: first delay and cap (doubling, with jitter). */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** `<item/>` of a roster result or push (RFC 6121 §2.1.2). */
export function itemElement(item: RosterPushItem): Element {
  if (item.subscription === 'remove') return x('item', { jid: item.jid, subscription: 'remove' });
  const i = item as RosterItem;
  return x(
    'item',
    { jid: i.jid, name: i.name || undefined, subscription: i.subscription, ask: i.ask, approved: i.approved ? 'true' : undefined },
    ...(i.groups ?? []).map((g) => x('group', null, g)),
  );
}

let pushIds = 0;

class RosterFeature {
  private readonly users = new Map<string, UserRoster>();
  private readonly relay: PresenceRelay;
  private blocking?: BlockingApi;
  private readonly goneHandled = new Map<string, number>();

  constructor(private readonly gw: GatewayCore) {
    this.relay = new PresenceRelay(gw.bus, gw.directory, gw.instanceId, (w) => this.answerLocal(w), gw.log);
  }

  init(): void {
    const gw = this.gw;
    this.blocking = blockingApi.get(gw);
    gw.registry.streamFeatures.push(
      () => x('ver', { xmlns: NS.rosterver }),
      () => x('sub', { xmlns: NS.preApproval }),
    );
    gw.registry.onIq('get', 'account', NS.roster, this.rosterGet);
    gw.registry.onIq('set', 'account', NS.roster, this.rosterSet);

    gw.hooks.sessionBound.push((s) => this.bound(s));
    gw.hooks.sessionClosed.push((s) => this.closed(s));
    gw.hooks.outboundPresence.push((s, p, to) => this.guard(() => this.outboundPresence(s, p, to), true));
    gw.hooks.inbound.push((stanza, to) => this.guard(() => this.inbound(stanza, to), true));

    const ext = presenceExtensions.get(gw);
    ext?.broadcastTargets.push((s) => this.broadcastTargets(s));
    ext?.afterInitial.push((s) => this.guard(() => this.afterInitial(s), undefined));
    if (this.blocking) {
      this.blocking.presence.sendCurrent = (user, to) => this.relay.dispatch(to.map((t) => ({ k: 'send', u: user, t })));
      this.blocking.presence.probe = (user, contacts) => this.probe(user, contacts);
    }

    this.relay.start();
    const subs = [
      gw.bus.subscribe<EventEnvelope<RosterItemUpdatedV1>>(RosterEvents.itemUpdated, (e) => this.itemUpdated(e.data)),
      // one gateway (queue group) routes what a deleted user owes contacts elsewhere
      gw.bus.subscribe<EventEnvelope<RosterUserErasedV1>>(RosterEvents.userErased, (e) => this.userErased(e.data), { queue: 'gateway-roster' }),
    ];
    gw.onStop(() => {
      this.relay.stop();
      for (const s of subs) s.unsubscribe();
    });
  }

  /** Runs a hook body; a failure is logged and the stanza consumed (never the sender's stream). */
  private async guard<T>(work: () => Promise<T>, onError: T): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.gw.log.error({ err }, 'roster hook failed');
      return onError;
    }
  }

  private state(s: Session): RosterSession | undefined {
    return s.state.get(NAME) as RosterSession | undefined;
  }

  private request<T>(subject: string, data: object): Promise<T> {
    return this.gw.bus.request<T>(subject, data);
  }

  // ---- sessions and login ------------------------------------------------

  private bound(s: Session): void {
    let u = this.users.get(s.bare);
    if (!u) this.users.set(s.bare, (u = new UserRoster(s.bare)));
    u.sessions.add(s);
    s.state.set(NAME, { user: u } satisfies RosterSession);
  }

  private closed(s: Session): void {
    const rs = this.state(s);
    if (rs?.retry) clearTimeout(rs.retry);
    const u = rs?.user;
    if (!u) return;
    u.sessions.delete(s);
    if (u.sessions.size === 0 && this.users.get(s.bare) === u) this.users.delete(s.bare);
  }

  /** One `roster.qry.login` per session, when it first becomes available. */
  private login(s: Session, rs: RosterSession): Promise<RosterLoginResult | undefined> {
    if (rs.login) return Promise.resolve(rs.login);
    if (rs.loginInFlight) return rs.loginInFlight;
    const ask = () => this.request<RosterLoginResult>(RosterSubjects.login, { user: s.bare } satisfies RosterLoginQuery);
    const p = (async () => {
      try {
        const answer = this.blocking ? await this.blocking.trackLogin(s.bare, ask) : await ask();
        rs.user.snapshot(answer.ver, answer.items);
        rs.login = { ...answer, items: [] }; // the items live in the user's roster, once
        return rs.login;
      } catch (err) {
        this.gw.log.warn({ err: (err as Error).message }, 'roster login failed; the session goes on without its roster');
        return undefined;
      } finally {
        rs.loginInFlight = undefined;
      }
    })();
    rs.loginInFlight = p;
    rs.user.loading = p;
    return p;
  }

  private subscribersOf(u: UserRoster): string[] {
    const b = this.blocking?.lists;
    return u.subscribers().filter((j) => !b?.blocks(u.user, j));
  }

  /**
   * RFC 6121 §4.2.2 / §4.4.2: the contacts that get the user's broadcast presence.
   * Unavailable presence (also when a connection drops) uses what is cached: it must
   * not wait on, nor fail with, the roster service.
   */
  private broadcastTargets(s: Session): string[] | Promise<string[]> {
    const rs = this.state(s);
    if (!rs) return [];
    if (!s.available || rs.login) return rs.user.loaded ? this.subscribersOf(rs.user) : [];
    return this.login(s, rs).then((answer) => {
      if (!answer) this.retryLogin(s, rs, RETRY_FIRST_MS);
      else if (rs.initialPending) {
        rs.initialPending = false;
        queueMicrotask(() => void this.guard(() => this.afterInitial(s), undefined));
      }
      return this.subscribersOf(rs.user);
    });
  }

  /**
   * The roster service was unreachable when the session became available: try again
   * with backoff, then do what initial presence missed (the subscribers get the
   * current presence; probes and pending requests follow).
   */
  private retryLogin(s: Session, rs: RosterSession, delay: number): void {
    if (rs.retry) return;
    rs.retry = setTimeout(() => {
      rs.retry = undefined;
      void this.guard(async () => {
        if (s.closed || !s.available || rs.login) return;
        const answer = await this.login(s, rs);
        if (!answer) return this.retryLogin(s, rs, Math.min(delay * 2, RETRY_MAX_MS));
        if (s.presence && !s.closed) {
          for (const to of this.subscribersOf(rs.user)) {
            const p = s.presence.clone();
            delete p.attrs.id;
            p.attrs.to = to;
            await this.gw.router.route(p);
          }
        }
        if (rs.initialPending) {
          rs.initialPending = false;
          await this.afterInitial(s);
        }
      }, undefined);
    }, delay * (0.75 + Math.random() / 2));
    rs.retry.unref();
  }

  /** After initial presence: probes (§4.3) and pending subscription requests (§3.1.3). */
  private async afterInitial(s: Session): Promise<void> {
    const rs = this.state(s);
    if (!rs || rs.initialDone) return;
    const login = rs.login;
    if (!login) {
      rs.initialPending = true;
      return;
    }
    rs.initialDone = true;
    // the user's other available resources (§4.2.2) and the contacts the user is subscribed to (§4.3.1)
    await this.probe(s.full, [s.bare, ...login.probe]);
    for (const p of login.pendingIn) {
      if (s.closed) break;
      s.send(x('presence', { type: 'subscribe', from: p.jid, to: s.bare }, p.status ? x('status', null, p.status) : undefined));
    }
  }

  // ---- presence ------------------------------------------------------------

  /** Probes `contacts` (bare or full JIDs of this domain) for `from`; answered where the contacts' sessions are. */
  private probe(from: string, contacts: string[]): Promise<void> {
    const work: PresenceWork[] = [];
    for (const c of contacts) {
      if (domainOf(c) !== this.gw.domain) continue; // no federation yet
      const r = resourceOf(c);
      work.push(r ? { k: 'probe', u: bareOf(c), t: from, r } : { k: 'probe', u: bareOf(c), t: from });
    }
    return this.relay.dispatch(work);
  }

  /** Presence work for the user's sessions on this gateway. */
  private async answerLocal(w: PresenceWork): Promise<void> {
    const prober = bareOf(w.t);
    if (w.k === 'probe' && prober !== w.u) {
      // §4.3.2: only a contact with a subscription to the user, and not blocked by the user, learns the presence
      const u = this.users.get(w.u);
      if (!u) return;
      if (!u.loaded && u.loading) await u.loading;
      if (!u.hasSubscriber(prober) || this.blocking?.lists.blocks(w.u, w.t)) return;
    }
    for (const r of this.gw.directory.resources(w.u)) {
      const s = r.session;
      if (!s || !r.available || !s.presence || (w.r && r.resource !== w.r) || s.full === w.t) continue;
      const p = s.presence.clone();
      delete p.attrs.id;
      p.attrs.from = s.full;
      p.attrs.to = w.t;
      await this.gw.router.route(p);
    }
  }

  /** Presence from each of the user's available resources to `to`: current (`available`) or unavailable. */
  private async sendPresence(user: string, to: string, kind: 'available' | 'unavailable'): Promise<void> {
    if (kind === 'available') return this.relay.dispatch([{ k: 'send', u: user, t: to }]);
    for (const r of this.gw.directory.resources(user)) {
      if (r.available) await this.gw.router.route(x('presence', { type: 'unavailable', from: `${user}/${r.resource}`, to }));
    }
  }

  private async outboundPresence(s: Session, p: Element, to: Destination | undefined): Promise<boolean> {
    if (!to) return false;
    const type = p.attrs.type;
    if (type === 'probe') {
      // a client's probe (RFC 6121 §4.3 discourages them) is answered like the server's own
      await this.probe(s.full, [to.jid.toString()]);
      return true;
    }
    if (!type || !SUBSCRIPTION_TYPES.has(type)) return false;
    const contact = to.jid.bareString;
    if (contact === s.bare || !to.jid.local) return true; // subscriptions are between accounts; to oneself they mean nothing
    let res: RosterPresenceResult;
    try {
      res = await this.request<RosterPresenceResult>(RosterSubjects.presence, {
        user: s.bare,
        contact,
        type: type as SubscriptionPresenceType,
        direction: 'outbound',
      } satisfies RosterPresenceCommand);
    } catch (e) {
      s.send(errorReply(p, serviceError(e, ROSTER_SERVICE), { from: contact }));
      return true;
    }
    if (res.blocked) {
      s.send(errorReply(p, blockedError(), { from: contact }));
      return true;
    }
    if (res.deliver) {
      // §3.1.2: stamped with the user's bare JID, addressed to the contact's bare JID
      const out = p.clone();
      out.attrs.from = s.bare;
      out.attrs.to = res.contact;
      await this.gw.router.route(out);
    }
    if (res.sendPresence) await this.sendPresence(s.bare, res.contact, res.sendPresence);
    return true;
  }

  private async inbound(stanza: Element, to: Destination): Promise<boolean> {
    if (stanza.name !== 'presence') return false;
    const type = stanza.attrs.type;
    const from = stanza.attrs.from;
    if (type === 'probe') {
      if (from) await this.relay.dispatch([{ k: 'probe', u: to.jid.bareString, t: from, ...(to.jid.resource ? { r: to.jid.resource } : {}) }]);
      return true;
    }
    if (!type || !SUBSCRIPTION_TYPES.has(type)) return false;
    if (from) await this.inboundSubscription(stanza, to, type as SubscriptionPresenceType, from);
    return true;
  }

  /** A subscription presence for a local user (RFC 6121 §3, Appendix A.3). */
  private async inboundSubscription(stanza: Element, to: Destination, type: SubscriptionPresenceType, from: string): Promise<void> {
    const user = to.jid.bareString;
    const contact = bareOf(from);
    if (contact === user) return;
    if (!this.gw.directory.resources(user).length && !(await this.gw.accounts.exists(to.jid.local))) {
      // §3.1.3 / §8.5.1: no such user — a request is declined on its behalf
      if (type === 'subscribe') await this.gw.router.route(x('presence', { type: 'unsubscribed', from: user, to: contact }));
      return;
    }
    const status = type === 'subscribe' ? stanza.getChildText('status') : undefined;
    let res: RosterPresenceResult;
    try {
      res = await this.request<RosterPresenceResult>(RosterSubjects.presence, {
        user,
        contact,
        type,
        direction: 'inbound',
        ...(status ? { status } : {}),
      } satisfies RosterPresenceCommand);
    } catch (err) {
      this.gw.log.warn({ err: (err as Error).message, type }, 'inbound subscription presence not applied');
      return;
    }
    if (res.blocked) return;
    if (res.deliver) {
      // to every available resource; a user with none gets a request at next login (login.pendingIn)
      const targets = this.gw.directory.resources(user).filter((r: ResourceState) => r.available);
      if (targets.length) {
        const copy = stanza.clone();
        copy.attrs.from = contact;
        copy.attrs.to = user;
        this.gw.router.deliverToMany(user, targets, copy);
      }
    }
    if (res.autoReply) await this.gw.router.route(x('presence', { type: res.autoReply, from: user, to: contact }));
    if (res.sendPresence) await this.sendPresence(user, contact, res.sendPresence);
  }

  // ---- roster IQs (§2) -------------------------------------------------------

  private own(s: Session, target: { bare: string }): void {
    // §2.1.5 / §2.3.3: only the user's own resources manage the roster
    if (target.bare !== s.bare) throw StanzaError.forbidden('only your own roster');
  }

  private push(s: Session, item: RosterPushItem, ver: string): Element {
    return x('iq', { type: 'set', id: `push${++pushIds}`, to: s.full }, x('query', { xmlns: NS.roster, ver }, itemElement(item)));
  }

  /** Sends the pushes held during a roster get that the answer did not already cover. */
  private release(s: Session, rs: RosterSession, answered?: number): void {
    const held = rs.holding ?? [];
    rs.holding = undefined;
    for (const e of held) if (answered === undefined || Number(e.ver) > answered) s.send(this.push(s, e.item, e.ver));
  }

  private readonly rosterGet: IqHandler = async (iq, s, target): Promise<typeof HANDLED> => {
    this.own(s, target);
    const q = iq.getChild('query', NS.roster);
    if (!q) throw StanzaError.badRequest('expected <query/>');
    const rs = this.state(s)!;
    const ver = q.attrs.ver;
    s.rosterRequested = true; // §2.1.6: an interested resource from now on
    rs.holding ??= [];
    let res: RosterGetResult;
    try {
      res = await this.request<RosterGetResult>(RosterSubjects.get, { user: s.bare, ...(ver !== undefined ? { ver } : {}) } satisfies RosterGetQuery);
    } catch (e) {
      this.release(s, rs);
      throw serviceError(e, ROSTER_SERVICE);
    }
    const reply = x('iq', { type: 'result', id: iq.attrs.id, to: s.full });
    if (res.kind === 'full') {
      rs.user.snapshot(res.ver, res.items);
      reply.append(x('query', { xmlns: NS.roster, ver: res.ver }, ...res.items.map(itemElement)));
    }
    s.send(reply); // §2.6.3: `unchanged` and `pushes` answer with an empty result
    if (res.kind === 'pushes') for (const p of res.pushes) s.send(this.push(s, p.item, p.ver));
    this.release(s, rs, Number(res.ver));
    return HANDLED;
  };

  private readonly rosterSet: IqHandler = async (iq, s, target) => {
    this.own(s, target);
    const q = iq.getChild('query', NS.roster);
    const items = q?.getChildren('item') ?? [];
    if (items.length !== 1) throw StanzaError.badRequest('a roster set carries exactly one <item/>');
    const item = items[0];
    const jid = item.attrs.jid;
    if (!jid) throw StanzaError.badRequest('the <item/> needs a jid');
    if (item.attrs.subscription === 'remove') return this.removeItem(iq, s, jid);
    // §2.1.2: 'subscription' (other than remove), 'ask' and 'approved' from a client are ignored
    const name = item.attrs.name;
    const groups = item.getChildren('group').map((g) => g.text());
    try {
      await this.request(RosterSubjects.setItem, { user: s.bare, item: { jid, ...(name ? { name } : {}), groups } } satisfies RosterSetItemCommand);
    } catch (e) {
      throw serviceError(e, ROSTER_SERVICE);
    }
    return undefined; // the push follows from roster.evt.item-updated
  };

  /** §2.5: removal, with the presence the contact is owed (§2.5.2, §3.2-3.3). */
  private async removeItem(iq: Element, s: Session, jid: string): Promise<typeof HANDLED> {
    let res: RosterRemoveItemResult;
    try {
      res = await this.request<RosterRemoveItemResult>(RosterSubjects.removeItem, { user: s.bare, jid } satisfies RosterRemoveItemCommand);
    } catch (e) {
      throw serviceError(e, ROSTER_SERVICE);
    }
    s.send(x('iq', { type: 'result', id: iq.attrs.id, to: s.full }));
    const contact = tryParseJid(jid)?.bareString;
    if (res.sendUnavailable && contact) await this.sendPresence(s.bare, contact, 'unavailable');
    for (const p of res.presences) await this.gw.router.route(x('presence', { type: p.type, from: s.bare, to: p.to }));
    return HANDLED;
  }

  // ---- events ----------------------------------------------------------------

  /** §2.1.6: a roster push to every interested resource of the user on this gateway. */
  private itemUpdated(e: RosterItemUpdatedV1 | undefined): void {
    if (!e || typeof e.user !== 'string') return;
    const u = this.users.get(e.user);
    if (!u || !u.apply(e)) return;
    for (const s of u.sessions) {
      if (!s.rosterRequested || s.closed) continue;
      const rs = this.state(s);
      if (rs?.holding) rs.holding.push(e);
      else s.send(this.push(s, e.item, e.ver));
    }
  }

  /** A deleted user's contacts on other domains are owed unsubscribe/unsubscribed; local ones are already updated. */
  private userErased(e: RosterUserErasedV1 | undefined): void {
    if (!e || !Array.isArray(e.presences)) return;
    for (const p of e.presences) {
      if (domainOf(p.to) === this.gw.domain) continue;
      void this.gw.router.route(x('presence', { type: p.type, from: e.user, to: p.to })).catch((err) => this.gw.log.warn({ err }, 'presence to a remote contact failed'));
    }
  }

  /**
   * A peer gateway vanished with its sessions: each gateway tells its own sessions
   * that contacts (and own resources) held there went unavailable, from cache.
   */
  peerGone(instanceId: string, dropped: Array<{ bare: string; state: ResourceState }>): void {
    const now = Date.now();
    for (const [id, at] of this.goneHandled) if (now - at > 60_000) this.goneHandled.delete(id);
    if (this.goneHandled.has(instanceId)) return;
    this.goneHandled.set(instanceId, now);
    const gone = new Map<string, string[]>();
    for (const d of dropped) {
      if (!d.state.available) continue;
      const list = gone.get(d.bare);
      if (list) list.push(d.state.resource);
      else gone.set(d.bare, [d.state.resource]);
    }
    if (!gone.size) return;
    for (const u of this.users.values()) {
      for (const [bare, resources] of gone) {
        if (bare !== u.user && !u.subscribedTo(bare)) continue;
        for (const s of u.sessions) {
          if (!s.available || s.closed) continue;
          for (const r of resources) s.send(x('presence', { type: 'unavailable', from: `${bare}/${r}`, to: s.full }));
        }
      }
    }
  }
}

const features = new Set<RosterFeature>();

export const rosterModule: GatewayModule = {
  name: NAME,
  init(gw) {
    const f = new RosterFeature(gw);
    f.init();
    features.add(f);
    gw.onStop(() => void features.delete(f));
  },
  peerGone(instanceId, dropped) {
    // (the module object is shared by every gateway core in the process; each feature handles a peer once)
    for (const f of features) f.peerGone(instanceId, dropped);
  },
};
