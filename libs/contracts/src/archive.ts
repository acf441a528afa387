// Archive-owned subjects, streams and payloads (XEP-0313 Message Archive Management,
// XEP-0441 preferences, XEP-0359 stanza ids). The archive is OFF until the user opts in:
// a new account's preferences are `default='never'` with empty lists, and store
// commands for a user who has not opted in are dropped by the archive.
import { jidToken } from './jid-token';
import type { StreamSpec } from './streams';

// ---- streams ----------------------------------------------------------------

/**
 * Messages handed to the archive (`archive.cmd.store`), only for users who opted in.
 * Work-queue retention: content leaves NATS as soon as the archive committed it (or
 * dropped it); the max age (12 hours) bounds how long content waits on the bus during
 * an archive outage. Consumed by durable `archive-store`.
 */
export const ARCHIVE_INBOX: StreamSpec = {
  name: 'ARCHIVE_INBOX',
  subjects: ['archive.cmd.store'],
  retention: 'workqueue',
  maxAgeMs: 12 * 3600 * 1000,
  description: 'messages to archive for opted-in users, removed once stored',
};

/**
 * Archive facts other than preferences: `archive.evt.swept` (counts only) and
 * `archive.evt.delivery-failed` (owner and peer JIDs, reason; never content), kept one
 * day for the janitor's delivery-error log. Its subjects must not overlap {@link ARCHIVE_PREFS}.
 */
export const ARCHIVE_EVENTS: StreamSpec = {
  name: 'ARCHIVE_EVENTS',
  subjects: ['archive.evt.swept', 'archive.evt.delivery-failed'],
  retention: 'limits',
  maxAgeMs: 24 * 3600 * 1000,
  description: 'swept (counts only); delivery-failed (owner, peer, reason; no content)',
};

/**
 * The latest archiving preferences of every user who ever set them: one message per
 * user on `archive.evt.prefs-changed.<jidToken(bare)>`, kept without age limit
 * (`maxMsgsPerSubject: 1`), so a new gateway rebuilds its projection of who opted in
 * by replaying the stream from the start. The archive purges a user's subject when
 * the account is deleted, so the JID leaves NATS too.
 */
export const ARCHIVE_PREFS: StreamSpec = {
  name: 'ARCHIVE_PREFS',
  subjects: ['archive.evt.prefs-changed.>'],
  retention: 'limits',
  maxAgeMs: 0,
  maxMsgsPerSubject: 1,
  description: 'latest archiving preferences per user (JIDs of the always/never lists; purged on account deletion)',
};

// ---- subjects ---------------------------------------------------------------

/** Request/reply and JetStream command subjects served by the archive. */
export const ArchiveSubjects = {
  /**
   * JetStream command (stream ARCHIVE_INBOX): archive one message for one user.
   * Publish `envelope(ArchiveSubjects.store, ArchiveStoreV1)` with `bus.publishEvent`
   * (an envelope id such as `<jidToken(owner)>.<stanzaId>` lets JetStream drop a
   * re-published duplicate; the archive is idempotent on (owner, stanzaId) anyway).
   * No reply; the archive re-checks everything and drops what it must not keep.
   */
  store: 'archive.cmd.store',
  /** Request/reply: a XEP-0313 query. {@link ArchiveLookupQuery} → {@link ArchiveLookupResult}. */
  lookup: 'archive.qry.lookup',
  /** Request/reply: XEP-0313 #extended archive metadata. {@link ArchiveMetadataQuery} → {@link ArchiveMetadataResult}. */
  metadata: 'archive.qry.metadata',
  /** Request/reply: a user's preferences (XEP-0441 get). {@link ArchivePrefsQuery} → {@link ArchivePrefsV1}. */
  getPrefs: 'archive.qry.prefs',
  /** Request/reply: replace a user's preferences (XEP-0441 set). {@link ArchiveSetPrefsCommand} → {@link ArchivePrefsV1} (as applied). */
  setPrefs: 'archive.cmd.set-prefs',
  /** Request/reply: every user whose preferences are not plain `never` (projection fallback). {@link ArchiveOptedInQuery} → {@link ArchiveOptedInResult}. */
  optedIn: 'archive.qry.opted-in',
  /** Request/reply: run the retention sweep now. `{}` → {@link ArchiveSweptV1}. */
  sweep: 'archive.cmd.sweep',
  /** `{}` → {@link ArchiveStatsResult}: anonymous totals for the janitor's daily statistics. */
  stats: 'archive.qry.stats',
} as const;

/** Events the archive publishes on JetStream. */
export const ArchiveEvents = {
  /**
   * Event type (envelope `type`) of {@link ArchivePrefsChangedV1}. It is published on the
   * per-user subject {@link ArchiveEvents.prefsChangedFor}, never on this bare name.
   */
  prefsChanged: 'archive.evt.prefs-changed',
  /** The subject a user's prefs-changed events are published on (stream ARCHIVE_PREFS). */
  prefsChangedFor: (bareJid: string): string => `archive.evt.prefs-changed.${jidToken(bareJid)}`,
  /** Filter subject matching every user's prefs-changed events (for consumers). */
  prefsChangedAll: 'archive.evt.prefs-changed.>',
  /** `archive.evt.swept` ({@link ArchiveSweptV1}, stream ARCHIVE_EVENTS). */
  swept: 'archive.evt.swept',
  /** `archive.evt.delivery-failed` ({@link ArchiveDeliveryFailedV1}, stream ARCHIVE_EVENTS). */
  deliveryFailed: 'archive.evt.delivery-failed',
} as const;

/**
 * `archive.evt.delivery-failed` v1: a message the owner's preferences asked to archive
 * was refused by the archive (larger than ARCHIVE_MAX_STANZA_BYTES, or already past the
 * retention when it arrived). Names the two parties and the rule, never content.
 */
export interface ArchiveDeliveryFailedV1 {
  /** The archive's owner, bare JID. */
  owner: string;
  /** The peer, bare JID. */
  with: string;
  /** `out`: the owner sent it; `in`: the owner received it. */
  direction: 'in' | 'out';
  /** Why it was not archived. */
  reason: 'too-large' | 'expired';
  /** ISO-8601 time of the refusal. */
  at: string;
}

// ---- preferences ------------------------------------------------------------

/**
 * XEP-0441 default archiving behaviour for JIDs in neither list: `always`, `never`,
 * or `roster` (archive only when the peer's bare JID is in the user's roster).
 */
export type ArchiveDefaultPref = 'always' | 'never' | 'roster';

/**
 * A user's archiving preferences (XEP-0441). A user who never set them has
 * `{ default: 'never', always: [], never: [] }`: nothing is archived.
 * JIDs in the lists are bare or full; a bare JID matches every resource of the peer,
 * a full JID only that resource; when a peer matches both lists `never` wins, and an
 * exact full-JID entry beats a bare one.
 */
export interface ArchivePrefsV1 {
  default: ArchiveDefaultPref;
  /** JIDs whose messages are always archived (deduplicated, prepared). */
  always: string[];
  /** JIDs whose messages are never archived (deduplicated, prepared). */
  never: string[];
}

/** `archive.qry.prefs` request. */
export interface ArchivePrefsQuery {
  /** The user's bare JID (the archive owner). */
  jid: string;
}

/**
 * `archive.cmd.set-prefs` request: replaces all three parts. Errors: `bad-request`
 * (unknown default, malformed JID), `not-acceptable` (a list longer than the server's limit).
 * Publishes {@link ArchivePrefsChangedV1} after the commit, on every call.
 */
export interface ArchiveSetPrefsCommand extends ArchivePrefsV1 {
  /** The user's bare JID (the archive owner). */
  jid: string;
}

/**
 * `archive.evt.prefs-changed` v1, on subject `archive.evt.prefs-changed.<jidToken(jid)>`
 * in stream ARCHIVE_PREFS (latest per user). Gateways project `optedIn` (and may apply
 * the lists themselves) to decide whether to send `archive.cmd.store` at all; the
 * archive re-checks its own copy on every store command, so a change to `never` stops
 * archiving at once even before a gateway has seen this event.
 */
export interface ArchivePrefsChangedV1 extends ArchivePrefsV1 {
  /** The user's bare JID. */
  jid: string;
  /** `default !== 'never' || always.length > 0`: some messages may be archived. */
  optedIn: boolean;
  /** Per-user change counter (starts at 1, +1 per change); ignore an event older than one already applied. */
  version: number;
}

/** `archive.qry.opted-in` request: pages through opted-in users by bare JID. */
export interface ArchiveOptedInQuery {
  /** Return users whose bare JID sorts after this one (the previous page's `next`). */
  after?: string;
  /** Page size (default 1000, at most 5000). */
  limit?: number;
}

/** `archive.qry.opted-in` reply. */
export interface ArchiveOptedInResult {
  /** Users whose preferences are not plain `never`, sorted by `jid`. */
  users: Array<ArchivePrefsV1 & { jid: string; version: number }>;
  /** Present when more users follow: pass it as `after`. */
  next?: string;
}

// ---- storing ----------------------------------------------------------------

/** Message types as in RFC 6121 §5.2.2 (absent `type` is `normal`). */
export type ArchiveMessageType = 'chat' | 'normal' | 'groupchat' | 'headline' | 'error';

/**
 * `archive.cmd.store` v1 (JetStream, ARCHIVE_INBOX): one message for ONE archive.
 * A message between two local users who both opted in is two commands, one per owner
 * (each with its own `stanzaId`); a message to oneself is ONE command (direction `out`).
 * The archive applies the owner's own preferences (authoritative) and drops the
 * command unless: type is `chat` or `normal`, `hasBody` is true, the timestamp is
 * within the retention, and the preferences allow the peer. Idempotent on
 * (owner, stanzaId).
 */
export interface ArchiveStoreV1 {
  /** The archive owner's bare JID (a local user). */
  owner: string;
  /** The peer's bare JID (the `to` of an outgoing, the `from` of an incoming message). */
  with: string;
  /** `out`: the owner sent it; `in`: the owner received it. */
  direction: 'in' | 'out';
  /**
   * XEP-0359 stanza-id the gateway generated (`by` = owner's bare JID), unique and
   * unpredictable within the owner's archive; the archive answers queries by it.
   * At most 128 characters.
   */
  stanzaId: string;
  /** ISO-8601 time the server received (incoming) or sent (outgoing) the message. */
  timestamp: string;
  /** The whole message stanza as XML (what the forwarded result will contain). */
  stanza: string;
  /** The stanza's `type` (absent → `normal`). */
  type: ArchiveMessageType;
  /** Whether the stanza has a `<body/>` child. */
  hasBody: boolean;
  /** Whether the peer's bare JID is in the owner's roster (for `default='roster'`). */
  inRoster: boolean;
  /** The stanza's `from`, a full JID (the owner's for `out`, the peer's for `in`). */
  fromFullJid: string;
  /**
   * The stanza's `to` as addressed (bare or full). Used with `fromFullJid` to match
   * full-JID entries of the preference lists and full-JID `with` filters; when absent
   * the peer is taken as `with` (bare).
   */
  toJid?: string;
}

// ---- querying ---------------------------------------------------------------

/** XEP-0059 paging request, as decoded from `<set xmlns='http://jabber.org/protocol/rsm'/>`. */
export interface ArchiveRsmRequest {
  /** Page size; clamped to the server's maximum; default the server's default page size. `0` returns no items (count only). */
  max?: number;
  /** Items strictly after this archive id (forward paging). */
  after?: string;
  /** Items strictly before this archive id (backward paging); `''` (an empty `<before/>`) means the last page. */
  before?: string;
  /** Skip this many items from the start of the result set (forward paging only). */
  index?: number;
}

/**
 * `archive.qry.lookup` request: a XEP-0313 query of the owner's own archive (the
 * gateway checks the requester is the owner). Filters combine with AND.
 * Errors: `item-not-found` (an id in beforeId/afterId/ids/rsm.after/rsm.before is not in
 * the archive), `bad-request` (a malformed timestamp, a negative max/index, both
 * rsm.before and rsm.after).
 */
export interface ArchiveLookupQuery {
  /** The archive owner's bare JID. */
  owner: string;
  /** XEP-0313 `with`: a bare JID matches every resource of the peer; a full JID only that address. The owner's own bare JID selects messages to oneself. */
  with?: string;
  /** XEP-0313 `start` (ISO-8601): timestamp ≥ start. */
  start?: string;
  /** XEP-0313 `end` (ISO-8601): timestamp ≤ end. */
  end?: string;
  /** #extended `before-id`: only items before this id (does not imply backward paging). */
  beforeId?: string;
  /** #extended `after-id`: only items after this id. */
  afterId?: string;
  /** #extended `ids`: only these items. */
  ids?: string[];
  /** XEP-0059 paging. */
  rsm?: ArchiveRsmRequest;
  /** #extended `<flip-page/>`: return the page's items newest first (first/last are unchanged). */
  flipPage?: boolean;
  /** Compute `count` and `firstIndex` (two extra index scans); default true. */
  count?: boolean;
}

/** One archived message, as the gateway needs it to build a `<result><forwarded>` message. */
export interface ArchiveItemV1 {
  /** The archive id (= XEP-0359 stanza-id, `<result id=...>`). */
  id: string;
  /** ISO-8601 timestamp (`<delay stamp=...>`). */
  timestamp: string;
  /** The archived stanza as XML (the forwarded `<message/>`). */
  stanza: string;
  /** The peer's bare JID. */
  with: string;
  direction: 'in' | 'out';
}

/** `archive.qry.lookup` reply: one page, in chronological order unless flipped. */
export interface ArchiveLookupResult {
  items: ArchiveItemV1[];
  /** `<fin complete='true'>`: no further items exist in the paging direction. */
  complete: boolean;
  /** RSM `<first>`: id of the chronologically first item of the page (absent when empty). */
  first?: string;
  /** RSM `<first index=...>`: position of `first` in the whole result set (when counted). */
  firstIndex?: number;
  /** RSM `<last>`: id of the chronologically last item of the page (absent when empty). */
  last?: string;
  /** RSM `<count>`: number of items matching the filters, ignoring paging (when counted). */
  count?: number;
}

/** `archive.qry.metadata` request (XEP-0313 #extended `<metadata/>`). */
export interface ArchiveMetadataQuery {
  /** The archive owner's bare JID. */
  owner: string;
}

/** `archive.qry.metadata` reply: the first and last item of the archive, absent when it is empty. */
export interface ArchiveMetadataResult {
  start?: { id: string; timestamp: string };
  end?: { id: string; timestamp: string };
}

// ---- retention --------------------------------------------------------------

/** `archive.evt.swept` v1 (and the reply of `archive.cmd.sweep`): counts only. */
export interface ArchiveSweptV1 {
  /** Messages deleted by this sweep. */
  deleted: number;
  /** Messages older than this ISO-8601 time were deleted. */
  cutoff: string;
  /** The retention applied (ARCHIVE_RETENTION), in milliseconds. */
  retentionMs: number;
  /** Timestamp (ISO-8601) of the oldest message still archived after the sweep; absent when none is. */
  oldestRemaining?: string;
}

/** `archive.qry.stats` reply data: totals only, no JIDs. */
export interface ArchiveStatsResult {
  /** Users whose preferences archive something (opted in). */
  optedIn: number;
  /** Messages archived now. */
  messages: number;
}
