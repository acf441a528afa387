// XEP-0191 §3.2-3.5: the blocking payloads — `<blocklist/>` (get and result),
// `<block/>` and `<unblock/>` (set and push) in `urn:xmpp:blocking`.
import { NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';

/** A client's blocking request. */
export type BlockingRequest = { kind: 'blocklist' } | { kind: 'block'; jids: string[] } | { kind: 'unblock'; jids: string[] };

/** Codec of the blocking payloads. */
export const blockingCommand = {
  /** Decodes the payload of a get (`<blocklist/>`) or set (`<block/>`, `<unblock/>`); anything else is bad-request. */
  fromElement(type: 'get' | 'set', payload: Element): BlockingRequest {
    if (type === 'get') {
      if (payload.name !== 'blocklist') throw StanzaError.badRequest('expected <blocklist/>');
      return { kind: 'blocklist' };
    }
    const jids = payload.getChildren('item').map((i) => i.attrs.jid);
    if (jids.some((j) => j === undefined)) throw StanzaError.badRequest('every <item/> needs a jid');
    if (payload.name === 'block') {
      if (!jids.length) throw StanzaError.badRequest('<block/> needs at least one <item/>');
      return { kind: 'block', jids: jids as string[] };
    }
    if (payload.name === 'unblock') return { kind: 'unblock', jids: jids as string[] };
    throw StanzaError.badRequest('expected <block/> or <unblock/>');
  },

  /** The block list result (§3.2). */
  blocklistToElement(jids: string[]): Element {
    return x('blocklist', { xmlns: NS.blocking }, ...jids.map((jid) => x('item', { jid })));
  },

  /** A push (§3.3-3.5): `unblock-all` is an `<unblock/>` without items. */
  pushToElement(action: 'block' | 'unblock' | 'unblock-all', jids: string[]): Element {
    const el = x(action === 'block' ? 'block' : 'unblock', { xmlns: NS.blocking });
    if (action !== 'unblock-all') el.append(...jids.map((jid) => x('item', { jid })));
    return el;
  },
};
