// RFC 6121 §4, as the roster decides it: whom a user's broadcast presence reaches
// (subscribers, not blocked), probes and pending subscription requests after initial
// presence, probe answers from the sessions on this gateway (presence-relay.ts for
// the others), and what a vanished peer gateway's contacts owe local sessions.
import type { RosterLoginResult } from '@parley/contracts';
import { Element, parseXml, x } from '@parley/xml';
import { bareOf, domainOf, resourceOf } from '@parley/jid';
import type { ResourceState, Session } from '../../host';
import { PresenceRelay, PresenceWork } from './presence-relay';
import type { Rosters, RosterSession } from './rosters';

/** Login retries after a roster service outage: first delay and cap (doubling, with jitter). */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Parses a presence the roster service kept or carried (serialized), checking it is a
 * presence of one of `types`, and addresses it `from` → `to`; undefined otherwise.
 */
export function storedPresence(xml: string, types: readonly string[], from: string, to: string): Element | undefined {
  try {
    const el = parseXml(xml);
    if (el.name !== 'presence' || !types.includes(el.attrs.type ?? '')) return undefined;
    el.attrs.from = from;
    el.attrs.to = to;
    return el;
  } catch {
    return undefined;
  }
}

/** A kept subscription request as it arrived (RFC 6121 §3.1.3), or rebuilt from its status when only that was kept. */
export function pendingRequest(p: RosterLoginResult['pendingIn'][number], user: string): Element {
  const whole = p.stanza ? storedPresence(p.stanza, ['subscribe'], p.jid, user) : undefined;
  return whole ?? x('presence', { type: 'subscribe', from: p.jid, to: user }, p.status ? x('status', null, p.status) : undefined);
}

export { domainOf };

export class RosterPresence {
  readonly relay: PresenceRelay;
  private readonly goneHandled = new Map<string, number>();

  constructor(private readonly r: Rosters) {
    this.relay = new PresenceRelay(r.gw.bus, r.gw.directory, r.gw.instanceId, (w) => this.answerLocal(w), r.gw.log);
  }

  /**
   * RFC 6121 §4.2.2 / §4.4.2: the contacts that get the user's broadcast presence.
   * Unavailable presence (also when a connection drops) uses what is cached: it must
   * not wait on, nor fail with, the roster service.
   */
  broadcastTargets(s: Session): string[] | Promise<string[]> {
    const rs = this.r.state(s);
    if (!rs) return [];
    if (!s.available || rs.login) return rs.user.loaded ? this.r.subscribersOf(rs.user) : [];
    return this.r.login(s, rs).then((answer) => {
      if (!answer) this.retryLogin(s, rs, RETRY_FIRST_MS);
      else if (rs.initialPending) {
        rs.initialPending = false;
        queueMicrotask(() => void this.r.guard(() => this.afterInitial(s), undefined));
      }
      return this.r.subscribersOf(rs.user);
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
      void this.r.guard(async () => {
        if (s.closed || !s.available || rs.login) return;
        const answer = await this.r.login(s, rs);
        if (!answer) return this.retryLogin(s, rs, Math.min(delay * 2, RETRY_MAX_MS));
        if (s.presence && !s.closed) {
          for (const to of this.r.subscribersOf(rs.user)) {
            const p = s.presence.clone();
            delete p.attrs.id;
            p.attrs.to = to;
            await this.r.gw.router.route(p);
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
  async afterInitial(s: Session): Promise<void> {
    const rs = this.r.state(s);
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
      s.send(pendingRequest(p, s.bare));
    }
  }

  /**
   * Probes `contacts` (bare or full JIDs) for `from`: those of this domain are answered
   * where their sessions are; those at a reachable other domain (an external component)
   * get a probe from the user's bare JID (RFC 6121 §4.3.1), answered to every available
   * resource; other domains are not probed (no federation yet).
   */
  async probe(from: string, contacts: string[]): Promise<void> {
    const work: PresenceWork[] = [];
    const remote: string[] = [];
    for (const c of contacts) {
      const d = domainOf(c);
      if (d !== this.r.gw.domain) {
        if (this.r.gw.router.reachable(d)) remote.push(c);
        continue;
      }
      const r = resourceOf(c);
      work.push(r ? { k: 'probe', u: bareOf(c), t: from, r } : { k: 'probe', u: bareOf(c), t: from });
    }
    for (const c of remote) await this.r.gw.router.route(x('presence', { type: 'probe', from: bareOf(from), to: c }));
    return this.relay.dispatch(work);
  }

  /** Presence work for the user's sessions on this gateway. */
  private async answerLocal(w: PresenceWork): Promise<void> {
    const prober = bareOf(w.t);
    if (w.k === 'probe' && prober !== w.u) {
      // §4.3.2: only a contact with a subscription to the user, and not blocked by the user, learns the presence
      const u = this.r.users.get(w.u);
      if (!u) return;
      if (!u.loaded && u.loading) await u.loading;
      if (!u.hasSubscriber(prober) || this.r.blocking?.lists.blocks(w.u, w.t)) return;
    }
    for (const r of this.r.gw.directory.resources(w.u)) {
      const s = r.session;
      if (!s || !r.available || !s.presence || (w.r && r.resource !== w.r) || s.full === w.t) continue;
      const p = s.presence.clone();
      delete p.attrs.id;
      p.attrs.from = s.full;
      p.attrs.to = w.t;
      await this.r.gw.router.route(p);
    }
  }

  /** Presence from each of the user's available resources to `to`: current (`available`) or unavailable. */
  async sendPresence(user: string, to: string, kind: 'available' | 'unavailable'): Promise<void> {
    if (kind === 'available') return this.relay.dispatch([{ k: 'send', u: user, t: to }]);
    for (const r of this.r.gw.directory.resources(user)) {
      if (r.available) await this.r.gw.router.route(x('presence', { type: 'unavailable', from: `${user}/${r.resource}`, to }));
    }
  }

  /**
   * Resources of a peer came back by a re-sync (after a NATS outage in which they were
   * taken for gone and announced unavailable): each local session that sees their presence
   * probes them again (RFC 6121 §4.3), answered by the gateway that holds them, which
   * checks the subscription as for any probe; and the local users they are subscribed to
   * send them their current presence (that gateway may re-sync later than this one, and
   * its own probe answers would then have found no route to them).
   */
  async peerBack(added: Array<{ bare: string; state: ResourceState }>): Promise<void> {
    const back = new Map<string, string[]>();
    for (const a of added) if (a.state.available) back.set(a.bare, [...(back.get(a.bare) ?? []), a.state.resource]);
    if (!back.size) return;
    const work: PresenceWork[] = [];
    const sends: PresenceWork[] = [];
    for (const u of this.r.users.values()) {
      const open = [...u.sessions].filter((s) => s.available && !s.closed);
      if (!open.length) continue;
      for (const [bare, resources] of back) {
        if (bare === u.user || u.subscribedTo(bare)) for (const s of open) work.push({ k: 'probe', u: bare, t: s.full });
        if (bare !== u.user && u.hasSubscriber(bare) && !this.r.blocking?.lists.blocks(u.user, bare)) for (const r of resources) sends.push({ k: 'send', u: u.user, t: `${bare}/${r}` });
      }
    }
    for (const w of sends) await this.answerLocal(w);
    if (work.length) await this.relay.dispatch(work);
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
    for (const u of this.r.users.values()) {
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
