// XEP-0280 rules without I/O: which messages are copied (§6), how a copy is wrapped
// (§7/§8, XEP-0297), and the per-message opt-outs (`<private/>` §9, XEP-0334 `<no-copy/>`).
import { messageType, NS } from '@parley/stanza';
import { Element, escapeXml } from '@parley/xml';
import { NS_SID } from '@parley/xep';

const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

function childNs(parent: Element, child: Element): string {
  return child.attrs.xmlns ?? parent.attrs.xmlns ?? NS.client;
}

/** The first direct child `<name xmlns=ns/>`, or undefined. */
export function childIn(msg: Element, name: string, ns: string): Element | undefined {
  for (const c of msg.children) if (typeof c !== 'string' && c.name === name && childNs(msg, c) === ns) return c;
  return undefined;
}

/** `<private xmlns='urn:xmpp:carbons:2'/>` (§9), if the message has one. */
export function privateMarker(msg: Element): Element | undefined {
  return childIn(msg, 'private', NS.carbons);
}

/**
 * Whether a message is copied to the user's other resources (XEP-0280 §6, the
 * suggested rules): `chat`, or `normal` with a `<body/>`; never errors, groupchat or
 * headlines, nothing from a MUC (a `muc#user` payload), nothing that already is a carbon
 * or an archive result, and nothing the sender marked `<private/>` or `<no-copy/>`.
 */
export function carbonEligible(msg: Element): boolean {
  const type = messageType(msg.attrs.type);
  let body = false;
  for (const c of msg.children) {
    if (typeof c === 'string') continue;
    const ns = childNs(msg, c);
    if (ns === NS.client) {
      if (c.name === 'body') body = true;
    } else if (ns === NS.carbons) {
      if (c.name === 'private' || c.name === 'received' || c.name === 'sent') return false;
    } else if (ns === NS.hints) {
      if (c.name === 'no-copy') return false;
    } else if (ns === NS_MUC_USER || (ns === NS.mam && c.name === 'result')) return false;
  }
  return type === 'chat' || (type === 'normal' && body);
}

/**
 * The forwarded copy of `msg` as XML (XEP-0297 §3: the inner message names its
 * namespace), without the `<stanza-id/>`s of the archives in `dropIdsBy` and with
 * `addId` (the receiving user's own archive id) when given. `msg` is not changed.
 */
export function forwardedXml(msg: Element, dropIdsBy: readonly string[] = [], addId?: { id: string; by: string }): string {
  const drop = dropIdsBy.length ? new Set(dropIdsBy.map((b) => b.toLowerCase())) : undefined;
  const children: Array<Element | string> = [];
  for (const c of msg.children) {
    if (drop && typeof c !== 'string' && c.name === 'stanza-id' && childNs(msg, c) === NS_SID && drop.has((c.attrs.by ?? '').toLowerCase())) continue;
    children.push(c);
  }
  if (addId) children.push(new Element('stanza-id', { xmlns: NS_SID, by: addId.by, id: addId.id }));
  return new Element('message', { ...msg.attrs, xmlns: NS.client }, children).toString();
}

/**
 * The carbon for one resource (§7 received, §8 sent): from the user's bare JID, to
 * the resource, the original's type, wrapping the forwarded XML.
 */
export function carbonXml(kind: 'received' | 'sent', bare: string, fullJid: string, type: string | undefined, inner: string): string {
  const t = type === undefined ? '' : ` type="${escapeXml(type)}"`;
  return (
    `<message from="${escapeXml(bare)}" to="${escapeXml(fullJid)}"${t}>` +
    `<${kind} xmlns="${NS.carbons}"><forwarded xmlns="${NS.forward}">${inner}</forwarded></${kind}></message>`
  );
}
