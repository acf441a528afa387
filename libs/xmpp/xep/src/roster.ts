// RFC 6121 §2: the roster payload `<query xmlns='jabber:iq:roster'/>` — a get (with
// §2.6 versioning), a set of exactly one `<item/>` (update or `subscription='remove'`),
// and the items of a result or push.
import { NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { expectElement } from './util';

/** One roster item as a result or push shows it (RFC 6121 §2.1.2). */
export interface RosterItemData {
  jid: string;
  name?: string;
  groups?: string[];
  subscription: 'none' | 'to' | 'from' | 'both' | 'remove';
  ask?: 'subscribe';
  approved?: boolean;
}

/** A client's roster set (§2.3-2.5); `subscription`, `ask` and `approved` other than remove are ignored (§2.1.2). */
export type RosterSet = { kind: 'remove'; jid: string } | { kind: 'update'; jid: string; name?: string; groups: string[] };

/** Codec of the roster `<query/>`. */
export const rosterQuery = {
  /** A get: the version the client has (§2.6.2), if any. */
  getFromElement(q: Element): { ver?: string } {
    expectElement(q, 'query', NS.roster);
    return q.attrs.ver !== undefined ? { ver: q.attrs.ver } : {};
  },

  /** A set: exactly one `<item/>` with a jid, else bad-request (also when the IQ had no `<query/>`). */
  setFromElement(q: Element | undefined): RosterSet {
    if (q) expectElement(q, 'query', NS.roster);
    const items = q?.getChildren('item') ?? [];
    if (items.length !== 1) throw StanzaError.badRequest('a roster set carries exactly one <item/>');
    const item = items[0];
    const jid = item.attrs.jid;
    if (!jid) throw StanzaError.badRequest('the <item/> needs a jid');
    if (item.attrs.subscription === 'remove') return { kind: 'remove', jid };
    const name = item.attrs.name;
    return { kind: 'update', jid, ...(name ? { name } : {}), groups: item.getChildren('group').map((g) => g.text()) };
  },

  /** A result (or push) carrying `items` at version `ver`. */
  toElement(r: { ver?: string; items: RosterItemData[] }): Element {
    return x('query', { xmlns: NS.roster, ver: r.ver }, ...r.items.map(rosterItem.toElement));
  },
};

/** Codec of one `<item/>`. */
export const rosterItem = {
  toElement(item: RosterItemData): Element {
    if (item.subscription === 'remove') return x('item', { jid: item.jid, subscription: 'remove' });
    return x(
      'item',
      { jid: item.jid, name: item.name || undefined, subscription: item.subscription, ask: item.ask, approved: item.approved ? 'true' : undefined },
      ...(item.groups ?? []).map((g) => x('group', null, g)),
    );
  },
};
