// Offline-owned subjects, streams and payloads (RFC 6121 §8.5.2.2, XEP-0160, XEP-0013).
//
// Flow, as the gateway uses it:
// 1. A `normal`/`chat` message reaches an account with no available resource of
//    non-negative priority. The gateway checks the account exists and the message is
//    storable ({@link OfflineStoreV1}), then publishes it on JetStream as
//    `offline.cmd.store` (envelope id = unique hand-off id, used as Nats-Msg-Id).
// 2. The offline service commits it (or refuses it and publishes
//    `offline.evt.delivery-failed`), then acks; the content leaves NATS.
// 3. On initial presence the gateway pages through `offline.qry.fetch` (nothing is
//    deleted), delivers each stanza with a XEP-0203 `<delay/>`, and deletes what the
//    client received with `offline.cmd.ack` (after the XEP-0198 ack, or after the
//    write without stream management). A crash anywhere before the ack loses nothing;
//    the worst case is a message delivered twice.
// 4. XEP-0013 clients use count / headers / fetch-by-ids / remove / purge instead.
import type { StreamSpec } from './streams';

/**
 * Stanzas handed to offline storage. Work-queue retention: a message leaves NATS as
 * soon as the offline service committed it. NATS is not a store: the max age (12
 * hours) bounds how long content waits there during an outage of the offline service
 * (the privacy policy names the offline store, not the bus); an outage longer than
 * that loses what was queued — alert on the `offline-store` consumer's pending count.
 */
export const OFFLINE_INBOX: StreamSpec = {
  name: 'OFFLINE_INBOX',
  subjects: ['offline.cmd.store'],
  retention: 'workqueue',
  maxAgeMs: 12 * 3600 * 1000,
  description: 'messages for offline users, removed once stored (content: short-lived)',
};

/**
 * Offline-service facts: delivery failures (JIDs, never content), sweeps. Kept one day:
 * long enough for a consumer (the gateways' bounces, the janitor's log) down for hours,
 * not a history of who wrote to whom — the janitor's delivery-error log is that record.
 */
export const OFFLINE_EVENTS: StreamSpec = {
  name: 'OFFLINE_EVENTS',
  subjects: ['offline.evt.>'],
  retention: 'limits',
  maxAgeMs: 24 * 3600 * 1000,
  description: 'delivery-failed (from, to, reason, time; never content), swept',
};

/**
 * Subjects of the offline service. `store` is a JetStream subject (stream
 * {@link OFFLINE_INBOX}); every other one is core-NATS request/reply answered with a
 * `Reply<T>` (use `Bus.request`). No subject carries a JID token: the user is in the
 * payload.
 */
export const OfflineSubjects = {
  /**
   * JetStream, stream OFFLINE_INBOX. Envelope `type` = this subject and either `version`
   * 2, `data` {@link OfflineStoreV2}: the hand-offs of one turn of a gateway's event loop
   * (one JetStream message and ack for many; gateways publish this), or `version` 1,
   * `data` {@link OfflineStoreV1}: one hand-off whose id is the envelope `id` (still
   * read, for what older gateways left in the stream). A hand-off id is the message id
   * ({@link OfflineMessageV1.id}) and the XEP-0013 node. Publish with `Bus.publishEvent`.
   */
  store: 'offline.cmd.store',
  /** {@link OfflineFetchQuery} → {@link OfflineFetchResult}. Never deletes. */
  fetch: 'offline.qry.fetch',
  /** {@link OfflineFirstPagesQuery} → {@link OfflineFirstPagesResult}: several users' first pages at once (logins together). */
  firstPages: 'offline.qry.first-pages',
  /** {@link OfflinePagesQuery} → {@link OfflinePagesResult}: several backlogs' next pages at once (first or later ones; logins together). */
  pages: 'offline.qry.pages',
  /** {@link OfflineUserQuery} → {@link OfflineCountResult} (XEP-0013 §2.2 `number_of_messages`). */
  count: 'offline.qry.count',
  /** {@link OfflineHeadersQuery} → {@link OfflineHeadersResult} (XEP-0013 §2.3 disco#items). */
  headers: 'offline.qry.headers',
  /** {@link OfflineIdsCommand} → {@link OfflineDeletedResult}: delivered messages; unknown ids are ignored (idempotent). */
  ack: 'offline.cmd.ack',
  /** {@link OfflineIdsCommand} → {@link OfflineDeletedResult}: XEP-0013 §2.5; all-or-nothing, `item-not-found` when an id is unknown. */
  remove: 'offline.cmd.remove',
  /** {@link OfflineUserQuery} → {@link OfflineDeletedResult}: XEP-0013 §2.7, deletes all of the user's messages. */
  purge: 'offline.cmd.purge',
  /** {@link OfflineSweepCommand} → {@link OfflineSweepResult}: run the retention sweep now (also publishes `offline.evt.swept`). */
  sweep: 'offline.cmd.sweep',
  /** `{}` → {@link OfflineStatsResult}: anonymous totals for the janitor's daily statistics. */
  stats: 'offline.qry.stats',
} as const;

/** Events the offline service publishes on JetStream (stream {@link OFFLINE_EVENTS}). */
export const OfflineEvents = {
  /** {@link OfflineDeliveryFailedV1}: a handed-off message was not stored. Never content. */
  deliveryFailed: 'offline.evt.delivery-failed',
  /** {@link OfflineSweptV1}: a retention sweep ran. Counts only. */
  swept: 'offline.evt.swept',
} as const;

/** The RFC 6121 §5.2.2 message types. A message without a `type` attribute is `normal`. */
export type OfflineMessageType = 'normal' | 'chat' | 'groupchat' | 'headline' | 'error';

/**
 * `offline.cmd.store` v1: one message for an offline user. The gateway states the
 * facts it already parsed, so the service never parses XML; the service re-checks
 * them (and the root tag of `stanza`) defensively and refuses what is not storable.
 */
export interface OfflineStoreV1 {
  /** Recipient: the prepared bare JID of an existing local account. */
  to: string;
  /** Sender: the full JID as stamped in the stanza's `from` (the XEP-0013 header "name"). */
  from: string;
  /** The stanza's `type` (absent attribute → `normal`). Only `normal` and `chat` are stored. */
  type: OfflineMessageType;
  /** The stanza's `id` attribute, if any: lets the gateway bounce an error on refusal. */
  stanzaId?: string;
  /** True when the stanza carries XEP-0334 `<no-store xmlns='urn:xmpp:hints'/>`: not stored. */
  noStore: boolean;
  /**
   * True when the message holds nothing but XEP-0085 chat states (no body, no other
   * payload): XEP-0160 §3 says not to store those. Absent = false.
   */
  chatStateOnly?: boolean;
  /** ISO-8601 time the server received the message: the XEP-0203 `stamp` on delivery. */
  arrivedAt: string;
  /** The message stanza serialised as XML (`<message ...>...</message>`), as it will be delivered. */
  stanza: string;
}

/** One hand-off in an {@link OfflineStoreV2}: {@link OfflineStoreV1} with its own id. */
export interface OfflineHandOffV2 extends OfflineStoreV1 {
  /** Unique hand-off id (a UUID): the message id and XEP-0013 node; the offline service's de-duplication key. */
  id: string;
}

/**
 * `offline.cmd.store` v2: several hand-offs in one JetStream message, in the order the
 * gateway received them (the offline service keeps that order per recipient). At most
 * {@link MAX_STORE_HAND_OFFS} of them, and the encoded envelope fits the server's
 * `max_payload`. The envelope id is the batch's own (JetStream de-duplication of a
 * re-published batch); the offline service de-duplicates each hand-off by its id.
 */
export interface OfflineStoreV2 {
  handOffs: OfflineHandOffV2[];
}

/** Most hand-offs in one {@link OfflineStoreV2}. */
export const MAX_STORE_HAND_OFFS = 256;

/** Why a handed-off message was not stored. */
export type OfflineFailureReason =
  /** The recipient already has `OFFLINE_QUOTA` messages waiting (bounce `resource-constraint` / XEP-0160 `service-unavailable`). */
  | 'quota'
  /** The service's own check found the message not storable (type, `<no-store/>`, chat states only); the gateway should have filtered it. */
  | 'not-storable'
  /** The account was deleted after the message arrived (it was in flight during the deletion). */
  | 'account-deleted';

/**
 * `offline.evt.delivery-failed` v1: a message handed off for storage was not stored.
 * Never content. Published at most once per hand-off: the envelope id is derived from
 * the hand-off id (JetStream drops re-publications; consumers de-duplicate on it) and
 * `causationId` is the hand-off id. Expiry by the retention sweep is NOT a delivery
 * failure and never produces this event (the sender is not told twice, nor late).
 */
export interface OfflineDeliveryFailedV1 {
  /** Sender full JID (where a bounce would go). */
  from: string;
  /** Intended recipient, bare JID. */
  to: string;
  reason: OfflineFailureReason;
  /** For `not-storable`: which rule refused it (`type-error`, `type-groupchat`, `type-headline`, `no-store-hint`, `chat-state-only`, `not-a-message`). */
  detail?: string;
  /** The message's `type`: the gateway MUST NOT bounce a message of type `error`. */
  messageType: OfflineMessageType;
  /** The stanza `id` attribute, to address a bounce; absent when the stanza had none. */
  stanzaId?: string;
  /** ISO-8601 time the service refused the message. */
  at: string;
}

/** `offline.evt.swept` v1: what one retention sweep deleted. Counts only. */
export interface OfflineSweptV1 {
  /** Offline messages deleted because they arrived before `cutoff` (never delivered). */
  messagesDeleted: number;
  /** De-duplication receipts and account-deletion markers past their window (no content, no JIDs). */
  markersDeleted: number;
  /** ISO-8601: messages that arrived before this were deleted (now − OFFLINE_RETENTION). */
  cutoff: string;
  /** OFFLINE_RETENTION in milliseconds. */
  retentionMs: number;
  /** What started the sweep. */
  trigger: 'timer' | 'command';
}

/** A request about one user. `user` is the prepared bare JID of the session's account. */
export interface OfflineUserQuery {
  user: string;
}

/**
 * `offline.qry.fetch`: the user's pending messages in arrival order, a page at a time
 * (a page stays below OFFLINE_FETCH_MAX_BYTES so it fits a NATS message). Nothing is
 * deleted: acknowledge delivered ones with `offline.cmd.ack`.
 */
export interface OfflineFetchQuery extends OfflineUserQuery {
  /** Only these messages (XEP-0013 view, §2.4); `item-not-found` when one does not exist. At most 100. */
  ids?: string[];
  /** Continue after this page: the `next` of the previous result. */
  after?: string;
  /** Most messages per page (default 100, at most 500). */
  limit?: number;
  /**
   * When true, each returned `stanza` already carries
   * `<delay xmlns='urn:xmpp:delay' from='<user's domain>' stamp='<arrivedAt>'/>` as the
   * last child of `<message/>` (XEP-0203), and `delayStamped` says whether that worked.
   */
  stampDelay?: boolean;
}

/** One stored message. */
export interface OfflineMessageV1 {
  /** Message id = hand-off envelope id = XEP-0013 node. */
  id: string;
  /** Sender full JID. */
  from: string;
  type: OfflineMessageType;
  /** The stanza's `id` attribute, if it had one. */
  stanzaId?: string;
  /** ISO-8601 arrival time (XEP-0203 `stamp`). */
  arrivedAt: string;
  /** The stanza XML as stored (with `<delay/>` when `stampDelay` was asked and `delayStamped` is true). */
  stanza: string;
  /** Present when `stampDelay` was asked: false if the stanza's shape did not allow inserting `<delay/>` (it is then unchanged). */
  delayStamped?: boolean;
}

/** `offline.qry.fetch` reply data. */
export interface OfflineFetchResult {
  messages: OfflineMessageV1[];
  /** Opaque cursor: pass as `after` to get the next page. Absent on the last page. */
  next?: string;
}

/**
 * `offline.qry.first-pages`: the first page of each user's backlog, as `offline.qry.fetch`
 * without `after` or `ids` would answer it, for at most {@link MAX_FIRST_PAGES_USERS}
 * users. The reply as a whole stays below the page bound: a user it could not hold gets
 * no messages and a `next` from the start of the backlog (continue with `offline.qry.fetch`).
 */
export interface OfflineFirstPagesQuery {
  users: string[];
  /** Most messages per user (default 100, at most 500). */
  limit?: number;
  stampDelay?: boolean;
}

/** `offline.qry.first-pages` reply data: one page per user asked, in the order asked. */
export interface OfflineFirstPagesResult {
  pages: OfflineFetchResult[];
}

/** Most users one `offline.qry.first-pages` may name. */
export const MAX_FIRST_PAGES_USERS = 100;

/**
 * `offline.qry.pages`: several pages at once, each as `offline.qry.fetch` with that
 * `user` and `after` (absent: the first page) would answer it, for at most
 * {@link MAX_PAGES_ENTRIES} entries (the same user may come more than once: two
 * sessions reading). The reply as a whole stays below the page bound, each entry getting
 * a fair share of it; an entry it could not hold gets no messages and a `next` to ask
 * again with (its own `after`, or the start of the backlog).
 */
export interface OfflinePagesQuery {
  pages: Array<{ user: string; after?: string }>;
  /** Most messages per page (default 100, at most 500). */
  limit?: number;
  stampDelay?: boolean;
}

/** `offline.qry.pages` reply data: one page per entry asked, in the order asked. */
export interface OfflinePagesResult {
  pages: OfflineFetchResult[];
}

/** Most entries one `offline.qry.pages` may hold. */
export const MAX_PAGES_ENTRIES = 100;

/** `offline.qry.count` reply data. */
export interface OfflineCountResult {
  count: number;
}

/** `offline.qry.headers`: XEP-0013 message headers, a page at a time. */
export interface OfflineHeadersQuery extends OfflineUserQuery {
  /** The `next` of the previous page. */
  after?: string;
  /** Most headers per page (default 1000, at most 5000). */
  limit?: number;
}

/** One XEP-0013 header: `<item jid='{user}' node='{id}' name='{from}'/>`. */
export interface OfflineHeaderV1 {
  id: string;
  from: string;
  arrivedAt: string;
}

/** `offline.qry.headers` reply data, in arrival order. */
export interface OfflineHeadersResult {
  items: OfflineHeaderV1[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

/** `offline.cmd.ack` / `offline.cmd.remove`: messages of `user` to delete (at most 1000 ids). */
export interface OfflineIdsCommand extends OfflineUserQuery {
  ids: string[];
}

/** Reply data of `offline.cmd.ack`, `offline.cmd.remove`, `offline.cmd.purge`. */
export interface OfflineDeletedResult {
  deleted: number;
}

/** `offline.cmd.sweep` request (no fields yet; send `{}`). */
export type OfflineSweepCommand = Record<string, never>;

/** `offline.cmd.sweep` reply data (same counts as the `offline.evt.swept` it publishes). */
export interface OfflineSweepResult {
  messagesDeleted: number;
  markersDeleted: number;
  cutoff: string;
  /** Arrival time (ISO-8601) of the oldest message still stored after the sweep; absent when none is. */
  oldestRemaining?: string;
}

/** `offline.qry.stats` reply data: totals only, no JIDs. */
export interface OfflineStatsResult {
  /** Messages stored for offline users now. */
  messages: number;
  /** Users with at least one stored message. */
  users: number;
}

/**
 * Core-NATS notices of the offline service (never persisted: outside every stream). A
 * missed notice costs only latency: gateways fetch again at login and after a bus reconnect.
 */
export const OfflineNotices = {
  /** {@link OfflineStoredNoticeV1}: messages for `u` were committed to the offline store (one notice per recipient of a commit). */
  stored: 'offline.ntf.stored',
} as const;

/**
 * `offline.ntf.stored` v1: a gateway holding an available session of `u` fetches it at
 * once, so a message stored while the user was coming online (the router had seen no
 * available session) is not stranded until the next login.
 */
export interface OfflineStoredNoticeV1 {
  /** Recipient, bare JID. */
  u: string;
  /** The id of the last message stored for `u` in that commit. */
  id: string;
}

/** Validates an {@link OfflineStoredNoticeV1} read from the bus. */
export function isOfflineStoredNoticeV1(v: unknown): v is OfflineStoredNoticeV1 {
  return typeof v === 'object' && v !== null && typeof (v as OfflineStoredNoticeV1).u === 'string' && typeof (v as OfflineStoredNoticeV1).id === 'string';
}
