// RFC 6121 §2: the roster IQs — get (with §2.6 versioning), set and remove — and
// roster pushes to the resources that asked for the roster (§2.1.6). Pushes come only
// from `roster.evt.item-updated`, which every gateway receives; each pushes to its
// own sessions, and holds them while a get is answered.
import { RosterGetQuery, RosterGetResult, RosterItemUpdatedV1, RosterPushItem, RosterRemoveItemCommand, RosterRemoveItemResult, RosterSetItemCommand, RosterSubjects } from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { bareOf } from '@parley/jid';
import { rosterQuery } from '@parley/xep';
import { HANDLED, IqHandler, serviceError, Session } from '../../host';
import { storedPresence, type RosterPresence } from './roster-presence';
import type { Rosters, RosterSession } from './rosters';

export class RosterIq {
  private pushIds = 0;

  constructor(
    private readonly r: Rosters,
    private readonly p: RosterPresence,
  ) {}

  private own(s: Session, target: { bare: string }): void {
    // §2.1.5 / §2.3.3: only the user's own resources manage the roster
    if (target.bare !== s.bare) throw StanzaError.forbidden('only your own roster');
  }

  private push(s: Session, item: RosterPushItem, ver: string): Element {
    return x('iq', { type: 'set', id: `push${++this.pushIds}`, to: s.full }, rosterQuery.toElement({ ver, items: [item] }));
  }

  /** Sends the pushes held during a roster get that the answer did not already cover. */
  private release(s: Session, rs: RosterSession, answered?: number): void {
    const held = rs.holding ?? [];
    rs.holding = undefined;
    for (const e of held) if (answered === undefined || Number(e.ver) > answered) s.send(this.push(s, e.item, e.ver));
  }

  readonly rosterGet: IqHandler = async (iq, s, target): Promise<typeof HANDLED> => {
    this.own(s, target);
    const q = iq.getChild('query', NS.roster);
    if (!q) throw StanzaError.badRequest('expected <query/>');
    const rs = this.r.state(s)!;
    const { ver } = rosterQuery.getFromElement(q);
    rs.requested = true; // §2.1.6: an interested resource from now on
    rs.holding ??= [];
    let res: RosterGetResult;
    try {
      res = await this.r.request<RosterGetResult>(RosterSubjects.get, { user: s.bare, ...(ver !== undefined ? { ver } : {}) } satisfies RosterGetQuery);
    } catch (e) {
      this.release(s, rs);
      throw serviceError(e, 'roster service');
    }
    const reply = x('iq', { type: 'result', id: iq.attrs.id, to: s.full });
    if (res.kind === 'full') {
      rs.user.snapshot(res.ver, res.items);
      reply.append(rosterQuery.toElement({ ver: res.ver, items: res.items }));
    }
    s.send(reply); // §2.6.3: `unchanged` and `pushes` answer with an empty result
    if (res.kind === 'pushes') for (const p of res.pushes) s.send(this.push(s, p.item, p.ver));
    this.release(s, rs, Number(res.ver));
    return HANDLED;
  };

  readonly rosterSet: IqHandler = async (iq, s, target) => {
    this.own(s, target);
    const req = rosterQuery.setFromElement(iq.getChild('query', NS.roster));
    if (req.kind === 'remove') return this.removeItem(iq, s, req.jid);
    // §2.1.2: 'subscription' (other than remove), 'ask' and 'approved' from a client are ignored
    const { jid, name, groups } = req;
    try {
      await this.r.request(RosterSubjects.setItem, { user: s.bare, item: { jid, ...(name ? { name } : {}), groups } } satisfies RosterSetItemCommand);
    } catch (e) {
      throw serviceError(e, 'roster service');
    }
    return undefined; // the push follows from roster.evt.item-updated
  };

  /** §2.5: removal, with the presence the contact is owed (§2.5.2, §3.2-3.3). */
  private async removeItem(iq: Element, s: Session, jid: string): Promise<typeof HANDLED> {
    let res: RosterRemoveItemResult;
    try {
      res = await this.r.request<RosterRemoveItemResult>(RosterSubjects.removeItem, { user: s.bare, jid } satisfies RosterRemoveItemCommand);
    } catch (e) {
      throw serviceError(e, 'roster service');
    }
    s.send(x('iq', { type: 'result', id: iq.attrs.id, to: s.full }));
    const contact = tryParseJid(jid)?.bareString;
    if (res.sendUnavailable && contact) await this.p.sendPresence(s.bare, contact, 'unavailable');
    for (const p of res.presences) await this.r.gw.router.route(x('presence', { type: p.type, from: s.bare, to: p.to }));
    return HANDLED;
  }

  /** §2.1.6: a roster push to every interested resource of the user on this gateway. */
  itemUpdated(e: RosterItemUpdatedV1 | undefined): void {
    if (!e || typeof e.user !== 'string') return;
    const u = this.r.users.get(e.user);
    if (!u || !u.apply(e)) return;
    // RFC 6121 §3.1.6, §3.2.3, §3.3.3: the inbound approval or cancellation first, then the push
    const presence = typeof e.presence === 'string' ? storedPresence(e.presence, ['subscribed', 'unsubscribe', 'unsubscribed'], bareOf(e.item.jid), e.user) : undefined;
    for (const s of u.sessions) {
      const rs = this.r.state(s);
      if (!rs?.requested || s.closed) continue;
      if (presence) s.send(presence);
      if (rs.holding) rs.holding.push(e);
      else s.send(this.push(s, e.item, e.ver));
    }
  }
}
