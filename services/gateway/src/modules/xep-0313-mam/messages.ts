// Which messages belong in a user archive (XEP-0313 §5.1.1, XEP-0334 hints), read
// straight off the routed element without copying it: the router calls this for
// every message of an opted-in user.
import type { ArchiveMessageType } from '@parley/contracts';
import { messageType, NS } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { NS_SID } from '@parley/xep';

const NO_STORE = new Set(['no-store', 'no-permanent-store', 'no-storage', 'no-permanent-storage']);

/** The namespace a direct child of `parent` is in (its own `xmlns`, else the parent's, else jabber:client). */
export function childNs(parent: Element, child: Element): string {
  return child.attrs.xmlns ?? parent.attrs.xmlns ?? NS.client;
}

/** The first direct child `<name xmlns=ns/>` of `msg`, or undefined. */
export function childIn(msg: Element, name: string, ns: string): Element | undefined {
  for (const c of msg.children) if (typeof c !== 'string' && c.name === name && childNs(msg, c) === ns) return c;
  return undefined;
}

/** Whether the message has a `<body/>` (in jabber:client). */
export function hasBody(msg: Element): boolean {
  return childIn(msg, 'body', NS.client) !== undefined;
}

/** Whether the sender asked that the message not be stored (XEP-0334 `<no-store/>`, `<no-permanent-store/>`). */
export function noStoreHint(msg: Element): boolean {
  for (const c of msg.children) if (typeof c !== 'string' && NO_STORE.has(c.name) && childNs(msg, c) === NS.hints) return true;
  return false;
}

/**
 * The archived type of a message that belongs in a user archive, else undefined:
 * `chat` or `normal` with a `<body/>` (XEP-0313 §5.1.1; the archive keeps nothing
 * else), not marked `<no-store/>` / `<no-permanent-store/>` (XEP-0334).
 */
export function archivableType(msg: Element): 'chat' | 'normal' | undefined {
  const type: ArchiveMessageType = messageType(msg.attrs.type);
  if (type !== 'chat' && type !== 'normal') return undefined;
  if (!hasBody(msg) || noStoreHint(msg)) return undefined;
  return type;
}

/** Whether the message carries a `<stanza-id/>` assigned by `by` (a prepared bare JID). */
export function hasStanzaIdBy(msg: Element, by: string): boolean {
  for (const c of msg.children) {
    if (typeof c === 'string' || c.name !== 'stanza-id' || childNs(msg, c) !== NS_SID) continue;
    if ((c.attrs.by ?? '').toLowerCase() === by) return true;
  }
  return false;
}

