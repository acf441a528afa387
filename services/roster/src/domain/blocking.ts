// XEP-0191 blocking: which addresses a block-list entry covers, and whom the
// user's resources owe presence when the list changes. Pure.
import type { RosterItem } from '@parley/contracts';
import { isBlocked } from '@parley/xep';

export { blockCovers, isBlocked, jidParts } from '@parley/xep';

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
