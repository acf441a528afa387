// RFC 6121 §3 and Appendix A: subscription presence. The roster service keeps the
// states and decides; this routes what it says — outbound requests stamped with the
// user's bare JID, inbound ones to available resources, automatic replies, and the
// presence a new or lost subscription owes. Probes (§4.3) are answered here too.
import { RosterPresenceCommand, RosterPresenceResult, RosterSubjects, RosterUserErasedV1, SubscriptionPresenceType } from '@parley/contracts';
import { errorReply } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { bareOf } from '@parley/xep';
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
      await this.p.probe(s.full, [to.jid.toString()]);
      return true;
    }
    if (!type || !SUBSCRIPTION_TYPES.has(type)) return false;
    const contact = to.jid.bareString;
    if (contact === s.bare || !to.jid.local) return true; // subscriptions are between accounts; to oneself they mean nothing
    let res: RosterPresenceResult;
    try {
      res = await this.r.request<RosterPresenceResult>(RosterSubjects.presence, {
        user: s.bare,
        contact,
        type: type as SubscriptionPresenceType,
        direction: 'outbound',
      } satisfies RosterPresenceCommand);
    } catch (e) {
      s.send(errorReply(p, serviceError(e), { from: contact }));
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
      if (from) await this.p.relay.dispatch([{ k: 'probe', u: to.jid.bareString, t: from, ...(to.jid.resource ? { r: to.jid.resource } : {}) }]);
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
    if (!this.r.gw.directory.resources(user).length && !(await this.r.gw.accounts.exists(to.jid.local))) {
      // §3.1.3 / §8.5.1: no such user — a request is declined on its behalf
      if (type === 'subscribe') await this.r.gw.router.route(x('presence', { type: 'unsubscribed', from: user, to: contact }));
      return;
    }
    const status = type === 'subscribe' ? stanza.getChildText('status') : undefined;
    let res: RosterPresenceResult;
    try {
      res = await this.r.request<RosterPresenceResult>(RosterSubjects.presence, {
        user,
        contact,
        type,
        direction: 'inbound',
        ...(status ? { status } : {}),
      } satisfies RosterPresenceCommand);
    } catch (err) {
      this.r.gw.log.warn({ err: (err as Error).message, type }, 'inbound subscription presence not applied');
      return;
    }
    if (res.blocked) return;
    if (res.deliver) {
      // to every available resource; a user with none gets a request at next login (login.pendingIn)
      const targets = this.r.gw.directory.resources(user).filter((r: ResourceState) => r.available);
      if (targets.length) {
        const copy = stanza.clone();
        copy.attrs.from = contact;
        copy.attrs.to = user;
        this.r.gw.router.deliverToMany(user, targets, copy);
      }
    }
    if (res.autoReply) await this.r.gw.router.route(x('presence', { type: res.autoReply, from: user, to: contact }));
    if (res.sendPresence) await this.p.sendPresence(user, contact, res.sendPresence);
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
