// RFC 6121 §3 and Appendix A: subscription presence. The roster service keeps the
// states and decides; this routes what it says — outbound requests stamped with the
// user's bare JID, inbound ones to available resources, automatic replies, and the
// presence a new or lost subscription owes. Probes (§4.3) are answered here too.
import { RosterPresenceCommand, RosterPresenceResult, RosterSubjects, RosterUserErasedV1, SubscriptionPresenceType, SubscriptionPresenceV1 } from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { errorReply, StanzaError } from '@parley/stanza';
import { Element, parseXml, x } from '@parley/xml';
import { bareOf } from '@parley/jid';
import { Destination, ResourceState, serviceError, Session } from '../../host';
import { blockedError } from '../xep-0191-blocking/api';
import { domainOf, RosterPresence } from './roster-presence';
import type { Rosters } from './rosters';

const SUBSCRIPTION_TYPES = new Set<string>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export class Subscriptions {
  constructor(
    private readonly r: Rosters,
    private readonly p: RosterPresence,
  ) {}

  async outboundPresence(s: Session, p: Element, to: Destination | undefined): Promise<boolean> {
    if (!to) return false;
    const type = p.attrs.type;
    if (type === 'probe') {
      // a client's probe (RFC 6121 §4.3 discourages them) is answered like the server's own
      if (await this.probedAccountGone(s.bare, to, s)) return true;
      await this.p.probe(s.full, [to.jid.toString()]);
      return true;
    }
    if (!type || !SUBSCRIPTION_TYPES.has(type)) return false;
    const contact = to.jid.bareString;
    // subscriptions are between accounts (or with a component's domain, as a transport's, XEP-0100); to oneself or this server they mean nothing
    if (contact === s.bare || (!to.jid.local && to.local)) return true;
    if (!to.local && !this.r.gw.router.reachable(to.jid.domain) && (type === 'subscribe' || type === 'subscribed')) {
      // RFC 6120 §8.3.3.19: no route to that domain (no federation yet; components are
      // reachable). The request is answered with an error instead of vanishing, and the
      // roster is left as it was.
      s.send(errorReply(p, new StanzaError('remote-server-not-found', 'this server does not federate with other domains yet'), { from: p.attrs.to ?? contact }));
      return true;
    }
    let res: RosterPresenceResult;
    try {
      res = await this.r.request<RosterPresenceResult>(RosterSubjects.presence, {
        user: s.bare,
        contact,
        type: type as SubscriptionPresenceType,
        direction: 'outbound',
      } satisfies RosterPresenceCommand);
    } catch (e) {
      s.send(errorReply(p, serviceError(e, 'roster service'), { from: contact }));
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
      await this.r.gw.router.route(out);
    }
    if (res.sendPresence) await this.p.sendPresence(s.bare, res.contact, res.sendPresence);
    return true;
  }

  async inbound(stanza: Element, to: Destination): Promise<boolean> {
    if (stanza.name !== 'presence') return false;
    const type = stanza.attrs.type;
    const from = stanza.attrs.from;
    if (type === 'probe') {
      if (!from) return true;
      const prober = tryParseJid(from)?.bareString;
      if (prober && (await this.probedAccountGone(prober, to))) return true;
      await this.p.relay.dispatch([{ k: 'probe', u: to.jid.bareString, t: from, ...(to.jid.resource ? { r: to.jid.resource } : {}) }]);
      return true;
    }
    if (!type || !SUBSCRIPTION_TYPES.has(type)) return false;
    if (from) await this.inboundSubscription(stanza, to, type as SubscriptionPresenceType, from);
    return true;
  }

  /**
   * RFC 6121 §4.3.2: a probe of an account that does not exist is answered with
   * `unsubscribed`, processed for the prober like any inbound cancellation so that a
   * stale roster item is corrected. A client that probed itself also learns the answer
   * when its roster had nothing to correct. Returns whether the probed account is gone.
   */
  private async probedAccountGone(prober: string, to: Destination, session?: Session): Promise<boolean> {
    const gw = this.r.gw;
    const contact = to.jid.bareString;
    if (!to.local || !to.jid.local || contact === prober) return false;
    if (gw.directory.resources(contact).length || (await gw.accounts.exists(to.jid.local))) return false;
    const answer = x('presence', { type: 'unsubscribed', from: contact, to: prober });
    const proberDest = gw.router.destination(prober);
    const delivered = proberDest.local ? await this.inboundSubscription(answer, proberDest, 'unsubscribed', contact) : false;
    if (!delivered && session && !session.closed) session.send(x('presence', { type: 'unsubscribed', from: contact, to: session.full }));
    return true;
  }

  /**
   * A subscription presence for a local user (RFC 6121 §3, Appendix A.3). Returns
   * whether it was delivered to (or with the roster push of) the user's resources.
   */
  private async inboundSubscription(stanza: Element, to: Destination, type: SubscriptionPresenceType, from: string): Promise<boolean> {
    const gw = this.r.gw;
    const user = to.jid.bareString;
    const contact = bareOf(from);
    if (contact === user) return false;
    if (!gw.directory.resources(user).length && !(await gw.accounts.exists(to.jid.local))) {
      // §3.1.3 / §8.5.1: no such user — a request is declined on its behalf
      if (type === 'subscribe') await gw.router.route(x('presence', { type: 'unsubscribed', from: user, to: contact }));
      return false;
    }
    // the stanza as the user receives it: from the contact's bare JID, to the user's (§3.1.3: kept whole)
    const copy = stanza.clone();
    copy.attrs.from = contact;
    copy.attrs.to = user;
    const status = type === 'subscribe' ? stanza.getChildText('status') : undefined;
    let res: RosterPresenceResult;
    try {
      res = await this.r.request<RosterPresenceResult>(RosterSubjects.presence, {
        user,
        contact,
        type,
        direction: 'inbound',
        ...(status ? { status } : {}),
        stanza: copy.toString(),
      } satisfies RosterPresenceCommand);
    } catch (err) {
      gw.log.warn({ err: (err as Error).message, type }, 'inbound subscription presence not applied');
      return false;
    }
    if (res.blocked) return false;
    let delivered = res.deliver && res.deliveredByEvent === true; // every gateway delivers it from the event stream
    if (res.deliver && !res.deliveredByEvent) {
      // to every available resource; a user with none gets a request at next login (login.pendingIn)
      const targets = gw.directory.resources(user).filter((r: ResourceState) => r.available);
      if (targets.length) {
        gw.router.deliverToMany(user, targets, copy);
        delivered = true;
      }
    }
    if (res.autoReply) await gw.router.route(x('presence', { type: res.autoReply, from: user, to: contact }));
    if (res.sendPresence) await this.p.sendPresence(user, contact, res.sendPresence);
    return delivered;
  }

  /** An inbound subscription presence that changed no roster item, for this gateway's sessions of the user. */
  subscriptionPresence(e: SubscriptionPresenceV1 | undefined): void {
    if (!e || typeof e.user !== 'string' || typeof e.presence !== 'string') return;
    const u = this.r.users.get(e.user);
    if (!u) return;
    const targets = [...u.sessions].filter((s) => !s.closed && (e.to === 'available' ? s.available : this.r.state(s)?.requested));
    if (!targets.length) return;
    let el: Element;
    try {
      el = parseXml(e.presence);
    } catch {
      return;
    }
    const from = tryParseJid(el.attrs.from ?? '')?.bareString;
    if (el.name !== 'presence' || !from || !SUBSCRIPTION_TYPES.has(el.attrs.type ?? '')) return;
    el.attrs.from = from;
    el.attrs.to = e.user;
    const xml = el.toString();
    for (const s of targets) s.send(xml);
  }

  /** A deleted user's contacts on other domains are owed unsubscribe/unsubscribed; local ones are already updated. */
  userErased(e: RosterUserErasedV1 | undefined): void {
    if (!e || !Array.isArray(e.presences)) return;
    for (const p of e.presences) {
      if (domainOf(p.to) === this.r.gw.domain) continue;
      void this.r.gw.router.route(x('presence', { type: p.type, from: e.user, to: p.to })).catch((err) => this.r.gw.log.warn({ err }, 'presence to a remote contact failed'));
    }
  }
}
