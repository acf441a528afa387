// Which messages may wait offline (RFC 6121 §8.5.2.2, XEP-0160 §3, XEP-0334, XEP-0085).

/** The facts the gateway states about a message it hands off. */
export interface StorableFacts {
  /** The `type` the gateway read (absent attribute → `normal`); any other string is unknown. */
  type: string;
  /** XEP-0334 `<no-store/>` present. */
  noStore: boolean;
  /** Only XEP-0085 chat states, nothing else. */
  chatStateOnly: boolean;
  /** The stanza XML, for the cheap defensive check of its root tag and hints. */
  stanza: string;
}

/** Why a message is not storable. */
export type NotStorable = 'not-a-message' | 'type-unknown' | 'type-error' | 'type-groupchat' | 'type-headline' | 'no-store-hint' | 'chat-state-only';

/** The verdict on one message. */
export type Storability = { storable: true } | { storable: false; detail: NotStorable };

// The root start tag of a serialised stanza (an XML declaration is tolerated); group 1
// is the attribute text. A prefixed root is accepted (`<c:message xmlns:c=...>`).
const ROOT_MESSAGE = /^\s*(?:<\?xml[^>]*\?>\s*)?<(?:[A-Za-z_][\w.-]*:)?message(?=[\s/>])([^>]*)>/;
const TYPE_ATTR = /(?:^|\s)type\s*=\s*(["'])(.*?)\1/;
// `<no-store` start tag whose own attributes put it in urn:xmpp:hints. Character data
// cannot contain a raw `<`, so this cannot be fooled by a body.
const NO_STORE = /<(?:[A-Za-z_][\w.-]*:)?no-store(?=[\s/>])[^>]*=\s*(["'])urn:xmpp:hints\1/;

/** What a cheap look at the serialised stanza reveals (no XML parsing). */
export interface StanzaShape {
  isMessage: boolean;
  /** The root's `type` attribute; `normal` when absent. */
  type?: string;
  hasNoStoreHint: boolean;
}

/** Reads the root tag and looks for a `<no-store/>` hint with string tests only. */
export function stanzaShape(xml: string): StanzaShape {
  const root = ROOT_MESSAGE.exec(xml);
  if (!root) return { isMessage: false, hasNoStoreHint: NO_STORE.test(xml) };
  const t = TYPE_ATTR.exec(root[1]);
  return { isMessage: true, type: t ? t[2] : 'normal', hasNoStoreHint: NO_STORE.test(xml) };
}

function typeVerdict(t: string): Storability {
  switch (t) {
    case 'normal':
    case 'chat':
      return { storable: true };
    case 'error':
      return { storable: false, detail: 'type-error' };
    case 'groupchat':
      return { storable: false, detail: 'type-groupchat' };
    case 'headline':
      return { storable: false, detail: 'type-headline' };
    default:
      return { storable: false, detail: 'type-unknown' };
  }
}

/**
 * Whether a message may be stored offline: only `normal` and `chat`, never with a
 * `<no-store/>` hint, never chat states alone. The gateway's stated facts and the
 * stanza's own root tag must both allow it (the stricter one wins).
 */
export function storability(f: StorableFacts): Storability {
  const shape = stanzaShape(f.stanza);
  if (!shape.isMessage) return { storable: false, detail: 'not-a-message' };
  for (const t of [f.type, shape.type ?? 'normal']) {
    const v = typeVerdict(t);
    if (!v.storable) return v;
  }
  if (f.noStore || shape.hasNoStoreHint) return { storable: false, detail: 'no-store-hint' };
  if (f.chatStateOnly) return { storable: false, detail: 'chat-state-only' };
  return { storable: true };
}
