// XEP-0359: Unique and Stable Stanza IDs — `<stanza-id xmlns='urn:xmpp:sid:0' by id/>`
// (the archive id a server adds to an archived message) and `<origin-id/>`.
import { Element, x } from '@parley/xml';

/** `urn:xmpp:sid:0`. */
export const NS_SID = 'urn:xmpp:sid:0';

/** A stanza-id assigned by `by` (for a user archive: the user's bare JID). */
export interface StanzaId {
  id: string;
  by: string;
}

/** Codec of `<stanza-id/>`. */
export const stanzaId = {
  toElement(s: StanzaId): Element {
    return x('stanza-id', { xmlns: NS_SID, by: s.by, id: s.id });
  },

  /** All `<stanza-id/>` children of a message. */
  allFrom(message: Element): StanzaId[] {
    return message
      .getChildren('stanza-id', NS_SID)
      .filter((c) => c.attrs.id && c.attrs.by)
      .map((c) => ({ id: c.attrs.id, by: c.attrs.by }));
  },
};

/**
 * Removes every `<stanza-id/>` claiming to be assigned by `by` (XEP-0359: a server
 * must not pass on ids that claim to be its own but that it did not add, so a sender
 * cannot forge archive ids). Compares `by` case-insensitively. Returns the message.
 */
export function stripStanzaIds(message: Element, by: string): Element {
  const b = by.toLowerCase();
  for (const c of message.getChildren('stanza-id', NS_SID)) if ((c.attrs.by ?? '').toLowerCase() === b) message.remove(c);
  return message;
}

/**
 * A shallow copy of `message` (same attributes, the same child objects) without the
 * `<stanza-id/>` children assigned by any of `by` (compared case-insensitively): the
 * message as one party may see it when another party's archive id must not show
 * (XEP-0313 §3.5). The original is left as it is.
 */
export function withoutStanzaIds(message: Element, by: readonly string[]): Element {
  const drop = new Set(by.map((b) => b.toLowerCase()));
  const ns = message.attrs.xmlns;
  const children = message.children.filter(
    (c) => typeof c === 'string' || c.name !== 'stanza-id' || (c.attrs.xmlns ?? ns) !== NS_SID || !drop.has((c.attrs.by ?? '').toLowerCase()),
  );
  return new Element(message.name, { ...message.attrs }, children);
}

/** The client-assigned `<origin-id/>`, if any. */
export function originId(message: Element): string | undefined {
  return message.getChild('origin-id', NS_SID)?.attrs.id;
}
