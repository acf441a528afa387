// One stored roster entry (the user's view of one contact) and how the client sees it.
import type { PendingSubscriptionRequest, RosterItem } from '@parley/contracts';
import type { SubscriptionState } from './subscription';

/** What the store keeps per (user, contact). */
export interface RosterEntry extends SubscriptionState {
  /** Prepared JID of the contact. */
  contact: string;
  name?: string;
  groups: string[];
  /** `<status/>` of the pending inbound request, when there is one and it had text. */
  pendingInStatus?: string;
  /** The pending inbound request as it arrived (serialized), when it was small enough to keep whole. */
  pendingInStanza?: string;
}

/** A fresh entry for a contact the store does not know yet. */
export function newEntry(contact: string, state: SubscriptionState): RosterEntry {
  return { contact, groups: [], ...state };
}

/** The `<item/>` a client sees for a visible entry (RFC 6121 §2.1.2). */
export function toRosterItem(e: RosterEntry): RosterItem {
  const item: RosterItem = { jid: e.contact, groups: [...e.groups], subscription: e.subscription };
  if (e.name !== undefined) item.name = e.name;
  if (e.pendingOut) item.ask = 'subscribe';
  if (e.approved) item.approved = true;
  return item;
}

/** The pending inbound request of an entry, if any. */
export function toPendingRequest(e: RosterEntry): PendingSubscriptionRequest | undefined {
  if (!e.pendingIn) return undefined;
  const p: PendingSubscriptionRequest = { jid: e.contact };
  if (e.pendingInStatus !== undefined) p.status = e.pendingInStatus;
  if (e.pendingInStanza !== undefined) p.stanza = e.pendingInStanza;
  return p;
}

/** Whether a contact can receive the user's presence / the user the contact's (RFC 6121 §4). */
export const receivesUserPresence = (e: Pick<RosterEntry, 'subscription'>) => e.subscription === 'from' || e.subscription === 'both';
export const sendsPresenceToUser = (e: Pick<RosterEntry, 'subscription'>) => e.subscription === 'to' || e.subscription === 'both';
