// XEP-0191 blocking: which addresses a block-list entry covers, and whom the
// user's resources owe presence when the list changes. Pure.
import type { RosterItem } from '@parley/contracts';

/** The parts of an already prepared JID string (RFC 7622 §3.1 split: first '/', then '@'). */
export function jidParts(jid: string): { local?: string; domain: string; resource?: string } {
  const slash = jid.indexOf('/');
  const head = slash < 0 ? jid : jid.slice(0, slash);
  const resource = slash < 0 ? undefined : jid.slice(slash + 1);
  const at = head.indexOf('@');
  return at < 0 ? { domain: head, resource } : { local: head.slice(0, at), domain: head.slice(at + 1), resource };
}

/**
 * Whether the block-list entry `blocked` covers the address `jid` (XEP-0191 §3.3
 * uses the JID matching of XEP-0016 §2.1): a full JID only itself; a bare JID that
 * JID with any resource; a domain with a resource only that; a domain everything
 * at the domain.
 */
export function blockCovers(blocked: string, jid: string): boolean {
  const b = jidParts(blocked);
  const j = jidParts(jid);
  if (b.domain !== j.domain) return false;
  if (b.local === undefined) return b.resource === undefined || (j.local === undefined && j.resource === b.resource);
  if (b.local !== j.local) return false;
  return b.resource === undefined || b.resource === j.resource;
}

/** Whether any entry of `list` covers `jid`. */
export function isBlocked(list: Iterable<string>, jid: string): boolean {
  for (const b of list) if (blockCovers(b, jid)) return true;
  return false;
}

const receivesPresence = (i: RosterItem) => i.subscription === 'from' || i.subscription === 'both';
const sendsPresence = (i: RosterItem) => i.subscription === 'to' || i.subscription === 'both';

/** XEP-0191 §3.3: roster contacts with a subscription to the user that a block newly covers (they get unavailable). */
export function newlyBlockedSubscribers(items: RosterItem[], before: string[], added: string[]): string[] {
  return items.filter((i) => receivesPresence(i) && !isBlocked(before, i.jid) && isBlocked(added, i.jid)).map((i) => i.jid);
}

/**
 * XEP-0191 §3.4: roster contacts that an unblock frees. Those subscribed to the user
 * get current presence; those the user is subscribed to are probed.
 */
export function unblockedContacts(items: RosterItem[], before: string[], after: string[]): { sendPresenceTo: string[]; probe: string[] } {
  const freed = items.filter((i) => isBlocked(before, i.jid) && !isBlocked(after, i.jid));
  return { sendPresenceTo: freed.filter(receivesPresence).map((i) => i.jid), probe: freed.filter(sendsPresence).map((i) => i.jid) };
}
