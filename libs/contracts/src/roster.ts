// Roster-owned subjects, streams and payloads (RFC 6121 rosters, subscriptions,
// pre-approval, roster versioning; XEP-0191 blocking).
//
// The roster service never sends stanzas. The gateway turns client stanzas into
// the requests below and turns the replies and events into stanzas. Every JID in a
// payload is a string; the service prepares it (RFC 7622) and answers
// `jid-malformed` when that fails. `user` is always the local user's bare JID.
import type { StreamSpec } from './streams';

/**
 * Roster and block-list changes and the inbound subscription presences to deliver, for
 * gateways (which read them live) and other projections. The bus is not a store: they
 * carry JIDs and a contact's request text, so the stream keeps them one hour, enough for
 * a consumer to catch up after an outage, never a history of whom a user knew.
 */
export const ROSTER_EVENTS: StreamSpec = {
  name: 'ROSTER_EVENTS',
  subjects: ['roster.evt.>'],
  retention: 'limits',
  maxAgeMs: 3600 * 1000,
  description: 'roster item and block-list changes, inbound subscription presences to deliver (kept one hour)',
};

/**
 * Request/reply subjects served by the roster service (queue group `roster`).
 * Errors come back as `Reply` errors with an RFC 6120 condition (the gateway
 * answers the client's IQ with that condition and text).
 */
export const RosterSubjects = {
  /** {@link RosterGetQuery} → {@link RosterGetResult}. RFC 6121 §2.2 and §2.6 (versioning). */
  get: 'roster.qry.get',
  /** {@link RosterLoginQuery} → {@link RosterLoginResult}: everything presence needs at login, in one round trip. */
  login: 'roster.qry.login',
  /** {@link RosterLoginsQuery} → {@link RosterLoginsResult}: several users' login answers in one round trip (login storms). */
  logins: 'roster.qry.logins',
  /** {@link RosterSetItemCommand} → {@link RosterSetItemResult}. RFC 6121 §2.3 / §2.4 (add or update). */
  setItem: 'roster.cmd.set-item',
  /** {@link RosterRemoveItemCommand} → {@link RosterRemoveItemResult}. RFC 6121 §2.5. */
  removeItem: 'roster.cmd.remove-item',
  /** {@link RosterPresenceCommand} → {@link RosterPresenceResult}. RFC 6121 §3 and Appendix A. */
  presence: 'roster.cmd.presence',
  /** {@link BlocklistQuery} → {@link BlocklistResult}. XEP-0191 §3.2. */
  blocklist: 'roster.qry.blocklist',
  /** {@link BlocklistsQuery} → {@link BlocklistsResult}: several users' lists in one round trip (enforcement). */
  blocklists: 'roster.qry.blocklists',
  /** {@link BlockCommand} → {@link BlockResult}. XEP-0191 §3.3. */
  block: 'roster.cmd.block',
  /** {@link UnblockCommand} → {@link UnblockResult}. XEP-0191 §3.4. */
  unblock: 'roster.cmd.unblock',
  /** {@link UnblockAllCommand} → {@link UnblockResult}. XEP-0191 §3.5. */
  unblockAll: 'roster.cmd.unblock-all',
} as const;

/** Events the roster service publishes on JetStream (stream {@link ROSTER_EVENTS}). */
export const RosterEvents = {
  /** {@link RosterItemUpdatedV1}: one per roster change; the gateway pushes it (RFC 6121 §2.1.6). */
  itemUpdated: 'roster.evt.item-updated',
  /** {@link BlocklistChangedV1}: the gateway pushes it (XEP-0191 §3.3-3.5) and updates its enforcement. */
  blocklistChanged: 'roster.evt.blocklist-changed',
  /** {@link RosterUserErasedV1}: a deleted account's roster data is gone. */
  userErased: 'roster.evt.user-erased',
  /**
   * {@link SubscriptionPresenceV1}: an inbound subscription presence to deliver to the
   * user's resources, in order with the roster pushes and with the other subscription
   * presences from the same contact.
   */
  subscriptionPresence: 'roster.evt.subscription-presence',
} as const;

// ---- shared shapes ---------------------------------------------------------

/** The 'subscription' attribute of a roster item (RFC 6121 §2.1.2.5). */
export type Subscription = 'none' | 'to' | 'from' | 'both';

/** The four subscription-related presence types (RFC 6121 §3). */
export type SubscriptionPresenceType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

/**
 * A roster item as the client sees it in `<item/>` (RFC 6121 §2.1.2). Pending
 * inbound requests are not part of it (they are not visible in the roster).
 */
export interface RosterItem {
  /** Prepared JID of the contact (usually bare). */
  jid: string;
  /** The user's handle for the contact; absent when none. */
  name?: string;
  /** Groups, in the order the client gave them; empty for none. */
  groups: string[];
  subscription: Subscription;
  /** `subscribe` while the user's outbound request is pending ("Pending Out", RFC 6121 §2.1.2.2). */
  ask?: 'subscribe';
  /** `true` when the user pre-approved the contact's subscription (RFC 6121 §2.1.2.1, §3.4). */
  approved?: boolean;
}

/** A roster push: the changed item, or `{jid, subscription: 'remove'}` when it left the roster. */
export type RosterPushItem = RosterItem | { jid: string; subscription: 'remove' };

/**
 * An inbound subscription request the user has not answered yet ("Pending In").
 * The gateway re-delivers it as `<presence type='subscribe' from=jid to=user>`
 * (with `<status>` when present) at every login until the user answers (RFC 6121 §3.1.3).
 */
export interface PendingSubscriptionRequest {
  /** Bare JID of the requester. */
  jid: string;
  /** The `<status/>` text of the original request, when it had one. */
  status?: string;
  /**
   * The complete request as it arrived (serialized `<presence type='subscribe'/>`, from
   * the requester's bare JID to the user's), extensions included (RFC 6121 §3.1.3: a
   * request kept for later delivery is kept whole). Absent for a request larger than
   * the service keeps whole; then `status` is all that is left of it.
   */
  stanza?: string;
}

// ---- roster get / login ------------------------------------------------------

/** `roster.qry.get` request. */
export interface RosterGetQuery {
  user: string;
  /**
   * The 'ver' attribute the client sent (RFC 6121 §2.6.2); absent when the client
   * sent none. `""` asks for the full roster with versioning.
   */
  ver?: string;
}

/**
 * `roster.qry.get` reply data. Exactly one of three shapes (tell them apart with `kind`):
 * - `full`: answer the IQ with the whole roster (`items`) and `ver`;
 * - `unchanged`: the client's version is current; answer with an empty IQ result (RFC 6121 §2.6.3);
 * - `pushes`: answer with an empty IQ result, then send one roster push per entry of
 *   `pushes`, in order, each carrying its own `ver` (RFC 6121 §2.6.3).
 */
export type RosterGetResult =
  | { kind: 'full'; ver: string; items: RosterItem[] }
  | { kind: 'unchanged'; ver: string }
  | { kind: 'pushes'; ver: string; pushes: Array<{ ver: string; item: RosterPushItem }> };

/** `roster.qry.login` request: the gateway asks once when a session becomes available. */
export interface RosterLoginQuery {
  user: string;
}

/** `roster.qry.login` reply data: everything for presence at login, from a bounded number of queries. */
export interface RosterLoginResult {
  /** Current roster version. */
  ver: string;
  /** The whole roster with subscription states. */
  items: RosterItem[];
  /**
   * Contacts to probe (RFC 6121 §4.3): subscription `to` or `both`, minus blocked JIDs.
   * Bare JIDs.
   */
  probe: string[];
  /**
   * Contacts to broadcast the user's presence to (RFC 6121 §4.4.2): subscription
   * `from` or `both`, minus blocked JIDs. Bare JIDs.
   */
  broadcast: string[];
  /** Inbound subscription requests to re-deliver (RFC 6121 §3.1.3), minus blocked requesters. */
  pendingIn: PendingSubscriptionRequest[];
  /** The block list (XEP-0191), prepared JIDs in any JID form. */
  blocked: string[];
}

/** `roster.qry.logins` request: at most {@link MAX_LOGINS_PER_QUERY} users (more → `bad-request`). */
export interface RosterLoginsQuery {
  users: string[];
}
/** `roster.qry.logins` reply data: each user's {@link RosterLoginResult}, in the order asked. */
export interface RosterLoginsResult {
  results: RosterLoginResult[];
}
/** Most users one `roster.qry.logins` may name. */
export const MAX_LOGINS_PER_QUERY = 200;

// ---- roster set / remove -----------------------------------------------------

/** `roster.cmd.set-item` request: add or update one item (the IQ's single `<item/>`). */
export interface RosterSetItemCommand {
  user: string;
  item: {
    jid: string;
    /** Absent or empty: no name. */
    name?: string;
    /** Absent: no groups. Names must be non-empty, unique and within the length limit. */
    groups?: string[];
  };
}

/**
 * `roster.cmd.set-item` reply data. The gateway answers the IQ with an empty result;
 * the push to all interested resources comes as `roster.evt.item-updated`.
 * Errors: `jid-malformed`; `bad-request` (duplicate group); `not-acceptable`
 * (name or group too long, empty group, too many groups); `not-allowed` (roster full).
 */
export interface RosterSetItemResult {
  ver: string;
  item: RosterItem;
}

/** `roster.cmd.remove-item` request (roster set with subscription='remove'). */
export interface RosterRemoveItemCommand {
  user: string;
  jid: string;
}

/** A subscription presence the gateway sends on the user's behalf (from the user's bare JID). */
export interface SubscriptionPresenceToSend {
  /** Bare JID of the contact. */
  to: string;
  type: SubscriptionPresenceType;
}

/**
 * `roster.cmd.remove-item` reply data (RFC 6121 §2.5.3). Errors: `item-not-found`
 * when the item is not in the roster; `jid-malformed`.
 * The gateway answers the IQ with an empty result, then:
 * - if `sendUnavailable`, sends `<presence type='unavailable'/>` from each of the
 *   user's available resources to the contact;
 * - sends each of `presences` from the user's bare JID to the contact (for a local
 *   contact, by calling `roster.cmd.presence` inbound for the contact).
 * The push comes as `roster.evt.item-updated` with subscription 'remove'.
 */
export interface RosterRemoveItemResult {
  ver: string;
  /** `unsubscribe` when the user was subscribed to the contact or had asked to be; `unsubscribed` when the contact was subscribed to the user or had asked to be. */
  presences: SubscriptionPresenceToSend[];
  /** The contact was receiving the user's presence (subscription from/both). */
  sendUnavailable: boolean;
}

// ---- subscription presence -----------------------------------------------------

/**
 * `roster.cmd.presence` request: one subscription presence stanza, seen from the
 * side of one local user. For two local users the gateway calls it twice: first
 * `outbound` for the sender, then (if `deliver`) `inbound` for the recipient. For a
 * remote contact only the local side is called.
 */
export interface RosterPresenceCommand {
  /** Bare JID of the local user whose roster this is. */
  user: string;
  /** The other party (any JID form; the service uses its bare JID). */
  contact: string;
  type: SubscriptionPresenceType;
  /** `outbound`: the user sent it to the contact; `inbound`: the contact sent it to the user. */
  direction: 'outbound' | 'inbound';
  /** `<status/>` text of an inbound `subscribe`, kept with the pending request. */
  status?: string;
  /**
   * Inbound: the complete stanza (serialized, `from` the contact's bare JID, `to` the
   * user's bare JID). A pending `subscribe` is kept with it (RFC 6121 §3.1.3); an
   * approval or cancellation that changes the roster travels with the roster push
   * (see {@link RosterItemUpdatedV1.presence}).
   */
  stanza?: string;
}

/**
 * `roster.cmd.presence` reply data: what RFC 6121 Appendix A says the user's
 * server must do. The roster push (when `changed`) comes as `roster.evt.item-updated`.
 * Errors: `jid-malformed`; `not-allowed` (an outbound subscribe would add an item
 * to a full roster).
 */
export interface RosterPresenceResult {
  /**
   * `outbound`: route the stanza (stamped with the user's bare JID, addressed to
   * `contact`) to the contact. `inbound`: deliver it to all of the user's available
   * resources; for an inbound `subscribe` to an offline user do nothing more (the
   * request is kept and comes back in `roster.qry.login` `pendingIn`).
   */
  deliver: boolean;
  /**
   * Inbound, when `deliver`: the stanza travels on the roster event stream and every
   * gateway delivers it to its sessions of the user — with the roster push it causes
   * (`roster.evt.item-updated` `presence`, right before the push: RFC 6121 §3.1.6,
   * §3.2.3, §3.3.3) or alone (`roster.evt.subscription-presence`). Both travel in commit
   * order, so a contact's subscription presences arrive in the order it sent them. The
   * caller must not deliver the stanza again.
   */
  deliveredByEvent?: boolean;
  /**
   * Send this presence from the user's bare JID to `contact` on the user's behalf
   * (`subscribed` for an already subscribed or pre-approved contact, RFC 6121
   * §3.1.3 and §3.4; `unsubscribed` when the request cannot be kept). The user's
   * roster already reflects it: route it straight to the contact (for a local
   * contact, `roster.cmd.presence` inbound for the contact), not as an outbound
   * stanza of the user.
   */
  autoReply?: 'subscribed' | 'unsubscribed';
  /**
   * Presence to send from each of the user's available resources to `contact`:
   * `available` = their current presence (the contact just got a subscription,
   * RFC 6121 §3.1.5); `unavailable` = the contact just lost it (§3.2.2, §3.3.3).
   */
  sendPresence?: 'available' | 'unavailable';
  /** The stanza concerns a blocked JID (XEP-0191): not delivered, nothing changed. Outbound: answer `not-acceptable` with `<blocked xmlns='urn:xmpp:blocking:errors'/>`. */
  blocked?: boolean;
  /** Bare JID of the contact as prepared. */
  contact: string;
  /** The user's roster item for the contact after the stanza; absent when not in the roster. */
  item?: RosterItem;
  /** The visible roster item changed (a push is published). */
  changed: boolean;
  ver: string;
}

// ---- blocking (XEP-0191) -------------------------------------------------------

/** `roster.qry.blocklist` request. */
export interface BlocklistQuery {
  user: string;
}
/** `roster.qry.blocklist` reply data. */
export interface BlocklistResult {
  /** Prepared JIDs, any JID form, sorted. */
  blocked: string[];
}

/** `roster.qry.blocklists` request: at most {@link MAX_BLOCKLISTS_PER_QUERY} users (more → `bad-request`). */
export interface BlocklistsQuery {
  users: string[];
}
/** `roster.qry.blocklists` reply data: each user's list (prepared JIDs, sorted), in the order asked. */
export interface BlocklistsResult {
  blocked: string[][];
}
/** Most users one `roster.qry.blocklists` may name. */
export const MAX_BLOCKLISTS_PER_QUERY = 500;

/** `roster.cmd.block` request. Empty `jids` → `bad-request`; a bad JID → `jid-malformed`; over the limit → `not-allowed`. */
export interface BlockCommand {
  user: string;
  jids: string[];
}

/**
 * `roster.cmd.block` reply data. The gateway answers the IQ with an empty result,
 * sends `<presence type='unavailable'/>` from each of the user's available resources
 * to every JID of `sendUnavailableTo` (XEP-0191 §3.3), and the push comes as
 * `roster.evt.blocklist-changed`.
 */
export interface BlockResult {
  /** The prepared JIDs of the request (already-blocked ones included). */
  blocked: string[];
  /** Roster contacts (subscription from/both) that were receiving presence and are now blocked. */
  sendUnavailableTo: string[];
}

/** `roster.cmd.unblock` request. Empty `jids` → `bad-request` (use `roster.cmd.unblock-all`). */
export interface UnblockCommand {
  user: string;
  jids: string[];
}

/** `roster.cmd.unblock-all` request. */
export interface UnblockAllCommand {
  user: string;
}

/**
 * `roster.cmd.unblock` / `roster.cmd.unblock-all` reply data. The gateway answers
 * the IQ with an empty result, sends current presence from each available resource
 * to every JID of `sendPresenceTo` and probes every JID of `probe` (XEP-0191 §3.4);
 * the push comes as `roster.evt.blocklist-changed`.
 */
export interface UnblockResult {
  /** The JIDs that were removed from the block list. */
  unblocked: string[];
  /** Roster contacts (from/both) no longer blocked by any remaining entry. */
  sendPresenceTo: string[];
  /** Roster contacts (to/both) no longer blocked by any remaining entry. */
  probe: string[];
}

// ---- events --------------------------------------------------------------------

/**
 * `roster.evt.item-updated` v1: one roster change of `user`. The gateway sends a
 * roster push (`<iq type='set'><query ver=ver><item .../></query></iq>`) to every
 * interested resource of `user` (RFC 6121 §2.1.6). Published after commit, in
 * version order per user; `ver` increases by one per change.
 */
export interface RosterItemUpdatedV1 {
  user: string;
  item: RosterPushItem;
  ver: string;
  /** Why: `set`, `remove`, `subscription` (a presence stanza), `contact-deleted` (the contact's account was deleted). */
  cause: 'set' | 'remove' | 'subscription' | 'contact-deleted';
  /**
   * The inbound subscription presence that caused this change (serialized, `from` the
   * contact's bare JID, `to` the user's bare JID): each gateway delivers it to the
   * user's interested resources before the push (RFC 6121 §3.1.6, §3.2.3, §3.3.3).
   */
  presence?: string;
}

/**
 * `roster.evt.subscription-presence` v1: an inbound subscription presence that changed
 * no roster item (a request, RFC 6121 §3.1.3, or a cancellation of a pending state),
 * for each gateway to deliver to its sessions of `user`: `available` resources (a
 * request) or `interested` ones (anything else, as a push would go).
 */
export interface SubscriptionPresenceV1 {
  user: string;
  /** Serialized `<presence/>`, `from` the contact's bare JID, `to` the user's bare JID. */
  presence: string;
  to: 'available' | 'interested';
}

/**
 * `roster.evt.blocklist-changed` v1. The gateway pushes `<block>` (action `block`)
 * or `<unblock>` (actions `unblock` and `unblock-all`, the latter with no items) to
 * resources that requested the block list, and updates its enforcement.
 */
export interface BlocklistChangedV1 {
  user: string;
  action: 'block' | 'unblock' | 'unblock-all';
  /** The JIDs concerned; for `unblock-all` every JID that was blocked. */
  jids: string[];
}

/**
 * `roster.evt.user-erased` v1: after `gateway.evt.account-deleted`, the user's roster,
 * pending requests and block list are gone, and the user was removed from every local
 * roster (each such removal published as `roster.evt.item-updated` with cause
 * `contact-deleted`). `presences` are what the deleted user's server owes the user's
 * contacts (RFC 6121 §2.5.3); the gateway sends those addressed to remote domains
 * (local ones are already handled).
 */
export interface RosterUserErasedV1 {
  user: string;
  presences: SubscriptionPresenceToSend[];
  /** How many local rosters the user was removed from. */
  contactsUpdated: number;
}
