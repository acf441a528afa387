// Gateway-owned subjects and payloads.

/** Events the gateway publishes on JetStream (stream GATEWAY_EVENTS). */
export const GatewayEvents = {
  accountRegistered: 'gateway.evt.account-registered',
  accountDeleted: 'gateway.evt.account-deleted',
  sessionOpened: 'gateway.evt.session-opened',
  sessionClosed: 'gateway.evt.session-closed',
  /** {@link SessionsChangedV1}: the sessions an instance opened and closed over a short window, in order (what gateways publish; the single events above are still consumed, from older gateways). */
  sessionsChanged: 'gateway.evt.sessions-changed',
  /** {@link GatewayDeliveryFailedV1}, on stream GATEWAY_DELIVERY_FAILURES. */
  deliveryFailed: 'gateway.evt.delivery-failed',
} as const;

/** Core-NATS subjects used between gateway instances (not persisted). */
export const GatewaySubjects = {
  /** Deliver stanzas to sessions on one instance: `gateway.cmd.deliver.<instanceId>`. */
  deliver: (instanceId: string) => `gateway.cmd.deliver.${instanceId}`,
  /**
   * A BOSH request for a session another instance holds: {@link BoshForwardV1} →
   * {@link BoshAnswerV1}, on `gateway.cmd.bosh.<instanceId>` (the instance named in the sid).
   * The reply may take as long as the session's `wait`.
   */
  bosh: (instanceId: string) => `gateway.cmd.bosh.${instanceId}`,
  /** A local session appeared, changed presence or went away (directory replication). */
  sessionChanged: 'gateway.evt.route-changed',
  /** Periodic liveness of an instance, carrying its session count. */
  heartbeat: 'gateway.evt.heartbeat',
  /** Ask every instance for its sessions (directory bootstrap); scatter-gather. */
  sessionsQuery: 'gateway.qry.sessions',
  /** Presence work (probe answers, current presence) for sessions on one instance: `gateway.cmd.presence-relay.<instanceId>`. */
  presenceRelay: (instanceId: string) => `gateway.cmd.presence-relay.${instanceId}`,
  /** A gateway loaded a user's block list at login, so peers can cache it (core NATS). */
  blocklistLoaded: 'gateway.evt.blocklist-loaded',
  /** Ask whether a local account exists (used by services and other gateways). */
  accountExists: 'gateway.qry.account-exists',
  /** {@link DeleteAccountCommandV1} → {@link DeleteAccountResultV1}: delete an account (janitor, admin tools); queue group `gateway`. */
  deleteAccount: 'gateway.cmd.delete-account',
  /** {@link ServerNoticeCommandV1} → `{ routed: boolean }`: a message from the server to a local user (delivered or stored offline like any message); queue group `gateway`. */
  serverNotice: 'gateway.cmd.server-notice',
  /** `{ jid }` (bare) → {@link EndSessionsResultV1}: end every session of a user, on every gateway (operators, `ctl sessions end`); queue group `gateway`. */
  endSessions: 'gateway.cmd.end-sessions',
  /** `{}` → {@link OnlineResultV1}: sessions and users online in the whole deployment (operators, `ctl online`); queue group `gateway`. */
  online: 'gateway.qry.online',
  /** `{}` → {@link GatewaySweepResult}: delete expired username tombstones now (the janitor drives it); queue group `gateway`. */
  sweep: 'gateway.cmd.sweep',
  /** {@link SmHandoffQueryV1} → {@link SmHandoffResultV1}: hand a XEP-0198 session to the instance where the client resumes it: `gateway.cmd.sm-handoff.<instanceId>`. */
  smHandoff: (instanceId: string) => `gateway.cmd.sm-handoff.${instanceId}`,
  /** `{ id, state: SmHandoffStateV1, waitMs }` → `{ by }`: a gateway shutting down hands a waiting session to another (queue group `sm-adopt`). */
  smAdopt: 'gateway.cmd.sm-adopt',
  /** `{ id }` → `{ holder }`: which instance holds (or last passed on) a stream-management session; every instance hears it, only a holder answers. */
  smLocate: 'gateway.qry.sm-locate',
  /**
   * {@link ComponentDeliverV1} → {@link ComponentDeliverResultV1}: a stanza for the external
   * component (XEP-0114) at `domain`, answered by the one gateway it is connected to;
   * no responders means it is connected nowhere.
   */
  componentDeliver: (domain: string) => `gateway.cmd.component.${domain}`,
  /** `{}` → {@link ComponentHolderV1} from every gateway holding a connection of the component at `domain` (scatter-gather; settles a connection race). */
  componentHolders: (domain: string) => `gateway.qry.component-holder.${domain}`,
} as const;

/** Asks the instance that holds a stream-management session to hand it over (the client sent `<resume/>` elsewhere). */
export interface SmHandoffQueryV1 {
  /** The SM-ID the client gave as `previd`. */
  id: string;
  /** The authenticated user's bare JID: only that user's session is handed over. */
  bare: string;
  /** The client's `h`: stanzas it handled. */
  h: number;
  /** The instance that takes the session over. */
  by: string;
}

/** A session as it moves between instances (no addresses, no credentials: its stanzas and flags). */
export interface SmHandoffStateV1 {
  full: string;
  mechanism: string;
  available: boolean;
  priority: number;
  /** The last available presence broadcast, serialized. */
  presence?: string;
  carbons: boolean;
  /** XEP-0198 counters: handled from the client, sent to it, acknowledged by it. */
  inbound: number;
  outbound: number;
  acked: number;
  /** Sent and not acknowledged, oldest first (serialized stanzas). */
  unacked: string[];
  /** Seconds it may wait for resumption. */
  max: number;
  /** Each module's own state, under its name. */
  modules: Record<string, unknown>;
}

/** The handoff answer: the session, where it went (it moved on before), or why not. */
export type SmHandoffResultV1 = { state: SmHandoffStateV1 } | { moved: string } | { failed: 'item-not-found' | 'unexpected-request' };

/** Validates a {@link SmHandoffQueryV1}. */
export function isSmHandoffQueryV1(v: unknown): v is SmHandoffQueryV1 {
  return isObject(v) && typeof v.id === 'string' && typeof v.bare === 'string' && typeof v.by === 'string' && typeof v.h === 'number' && Number.isInteger(v.h) && v.h >= 0;
}

/** Validates a {@link SmHandoffResultV1}. */
export function isSmHandoffResultV1(v: unknown): v is SmHandoffResultV1 {
  if (!isObject(v)) return false;
  if ('moved' in v) return typeof v.moved === 'string';
  if ('failed' in v) return v.failed === 'item-not-found' || v.failed === 'unexpected-request';
  const st = v.state;
  return (
    isObject(st) &&
    typeof st.full === 'string' &&
    typeof st.mechanism === 'string' &&
    typeof st.available === 'boolean' &&
    typeof st.priority === 'number' &&
    (st.presence === undefined || typeof st.presence === 'string') &&
    typeof st.carbons === 'boolean' &&
    [st.inbound, st.outbound, st.acked, st.max].every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0) &&
    Array.isArray(st.unacked) &&
    st.unacked.every((x: unknown) => typeof x === 'string') &&
    isObject(st.modules)
  );
}

/** `gateway.cmd.component.<domain>` v1: one serialized stanza for the component. */
export interface ComponentDeliverV1 {
  x: string;
}

/** `gateway.cmd.component.<domain>` reply data: false when the component left before it could be written. */
export interface ComponentDeliverResultV1 {
  delivered: boolean;
}

/** `gateway.qry.component-holder.<domain>` answer: who holds the component since when (the earliest claim wins). */
export interface ComponentHolderV1 {
  /** Instance id. */
  i: string;
  /** Epoch milliseconds of the claim. */
  s: number;
  /** Random tie-breaker of the claim. */
  n: string;
}

/** Validates a {@link ComponentDeliverV1} read from the bus. */
export function isComponentDeliverV1(v: unknown): v is ComponentDeliverV1 {
  return isObject(v) && typeof v.x === 'string' && v.x.length > 0;
}

/** Validates a {@link ComponentHolderV1} read from the bus. */
export function isComponentHolderV1(v: unknown): v is ComponentHolderV1 {
  return isObject(v) && typeof v.i === 'string' && typeof v.s === 'number' && Number.isFinite(v.s) && typeof v.n === 'string';
}

/** `gateway.cmd.sweep` reply data: counts only. */
export interface GatewaySweepResult {
  /** Username tombstones deleted (older than USERNAME_TOMBSTONE). */
  tombstonesDeleted: number;
  /** ISO-8601: tombstones of deletions before this time were removed. */
  cutoff: string;
  /** ISO-8601 deletion time of the oldest tombstone remaining, when any remains. */
  oldestRemaining?: string;
}

/** Validates a {@link DeleteAccountCommandV1} read from the bus. */
export function isDeleteAccountCommandV1(v: unknown): v is DeleteAccountCommandV1 {
  return isObject(v) && typeof v.jid === 'string' && v.jid.length > 0 && v.jid.length <= 3071 && (v.reason === 'admin' || v.reason === 'inactivity');
}

/** Validates a {@link ServerNoticeCommandV1} read from the bus (a body of at most 64 KiB). */
export function isServerNoticeCommandV1(v: unknown): v is ServerNoticeCommandV1 {
  return (
    isObject(v) &&
    typeof v.to === 'string' &&
    v.to.length > 0 &&
    v.to.length <= 3071 &&
    typeof v.body === 'string' &&
    v.body.length > 0 &&
    v.body.length <= 65536 &&
    (v.subject === undefined || (typeof v.subject === 'string' && v.subject.length <= 1024))
  );
}

/** `gateway.cmd.delete-account` v1. */
export interface DeleteAccountCommandV1 {
  /** Bare JID of a local account. */
  jid: string;
  reason: 'admin' | 'inactivity';
}
/** `gateway.cmd.delete-account` reply data. */
export interface DeleteAccountResultV1 {
  deleted: boolean;
  /** For `inactivity`: the account was not deleted because a session is open (an open session is use). */
  online?: boolean;
}

/** `gateway.cmd.server-notice` v1: a `headline`/`normal` message from the domain to a user. */
export interface ServerNoticeCommandV1 {
  /** Bare JID of a local account. */
  to: string;
  /** Plain text. */
  body: string;
  subject?: string;
}

/**
 * `gateway.evt.delivery-failed` v1 (stream GATEWAY_DELIVERY_FAILURES): a stanza could not
 * be delivered and was bounced or dropped. Names sender, recipient and reason, never
 * content, never an address.
 */
export interface GatewayDeliveryFailedV1 {
  /** Sender bare JID; absent when the server itself sent it. */
  from?: string;
  /** Intended recipient, bare JID (or a domain). */
  to: string;
  kind: 'message' | 'presence' | 'iq';
  /** The stanza error condition returned (RFC 6120 §8.3.3), e.g. `service-unavailable`. */
  reason: string;
  /** Which rule decided, e.g. `unknown-user`, `blocked`, `resource-gone`, `too-large`. */
  detail?: string;
  /** ISO-8601 time. */
  at: string;
}

/** `gateway.evt.account-registered` v1. */
export interface AccountRegisteredV1 {
  /** Bare JID, prepared. */
  jid: string;
  /** How the account came to be. */
  via: 'in-band' | 'admin';
}

/** `gateway.evt.account-deleted` v1: every owner erases this user's data. */
export interface AccountDeletedV1 {
  jid: string;
  reason: 'user' | 'admin' | 'inactivity';
}

/** `gateway.evt.session-opened` v1. No IP address, ever. */
export interface SessionOpenedV1 {
  /** Full JID of the session. */
  jid: string;
  /** Gateway instance that holds it. */
  instanceId: string;
  /** SASL mechanism used (statistics). */
  mechanism: string;
}

/** `gateway.evt.session-closed` v1. */
export interface SessionClosedV1 {
  jid: string;
  instanceId: string;
  /** Why it ended, e.g. `closed`, `conflict`, `timeout`, `error`. */
  reason: string;
}

/** One session opening or ending, within {@link SessionsChangedV1}. */
export interface SessionChangeV1 {
  /** Full JID of the session. */
  jid: string;
  kind: 'opened' | 'closed';
  /** When, ISO 8601. */
  at: string;
  /** `opened`: the SASL mechanism used (statistics). */
  mechanism?: string;
  /**
   * `closed`: why, e.g. `closed`, `conflict`, `timeout`, `error`. `moved` (either kind):
   * a XEP-0198 resumption on another instance moved the session — `closed` on the
   * instance it left, `opened` on the one it went on at; neither is a login or a logout.
   */
  reason?: string;
}

/**
 * The sessions one gateway instance opened and closed over a short window
 * (`SESSION_EVENTS_WINDOW`), in the order they happened: one JetStream message for many
 * logins, so that a login storm does not cost a stream write and a consumer transaction
 * per login and per logout.
 */
export interface SessionsChangedV1 {
  instanceId: string;
  changes: SessionChangeV1[];
}

/** `gateway.qry.account-exists` request. */
export interface AccountExistsQuery {
  jid: string;
}
/** `gateway.qry.account-exists` reply data. */
export interface AccountExistsResult {
  exists: boolean;
}

/**
 * Gateway-to-gateway, version 1: one instance's local sessions, the answer (in chunks)
 * to `GatewaySubjects.sessionsQuery` when a gateway starts.
 */
export interface SessionsChunkV1 {
  /** The answering instance. */
  i: string;
  s: Array<[bare: string, resource: string, priority: number, available: boolean, carbons: boolean]>;
}

/** Validates a {@link SessionsChunkV1} read from the bus. */
export function isSessionsChunkV1(v: unknown): v is SessionsChunkV1 {
  const c = v as SessionsChunkV1;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.i === 'string' &&
    Array.isArray(c.s) &&
    c.s.every(
      (x) => Array.isArray(x) && x.length === 5 && typeof x[0] === 'string' && typeof x[1] === 'string' && typeof x[2] === 'number' && typeof x[3] === 'boolean' && typeof x[4] === 'boolean',
    )
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optional = (v: unknown, type: 'number' | 'boolean') => v === undefined || typeof v === type;

/**
 * Gateway-to-gateway, version 1, on `GatewaySubjects.sessionChanged`: a local resource
 * came up (bound, presence or carbons changed) or went away. Compact keys: it is sent
 * on every presence change.
 */
export interface RouteChangeV1 {
  /** The announcing instance. */
  i: string;
  /** Bare JID, prepared. */
  b: string;
  /** Resource. */
  r: string;
  op: 'up' | 'down';
  /** Presence priority (`up` only). */
  p?: number;
  /** Available (`up` only). */
  a?: boolean;
  /** Carbons enabled (`up` only). */
  c?: boolean;
}

/** Validates a {@link RouteChangeV1} read from the bus. */
export function isRouteChangeV1(v: unknown): v is RouteChangeV1 {
  return (
    isObject(v) &&
    typeof v.i === 'string' &&
    typeof v.b === 'string' &&
    typeof v.r === 'string' &&
    (v.op === 'up' || v.op === 'down') &&
    optional(v.p, 'number') &&
    optional(v.a, 'boolean') &&
    optional(v.c, 'boolean')
  );
}

/** Gateway-to-gateway, version 1, on `GatewaySubjects.heartbeat`: an instance is alive. */
export interface HeartbeatV1 {
  /** The instance. */
  i: string;
  /** Its local session count. */
  n: number;
  /** Messages from its clients it routed since its previous heartbeat (anonymous statistics). */
  m?: number;
  /** Digest of its local sessions' full JIDs (XOR of their 32-bit FNV-1a hashes), for anti-entropy. */
  d?: number;
}

/** Validates a {@link HeartbeatV1} read from the bus. */
export function isHeartbeatV1(v: unknown): v is HeartbeatV1 {
  return (
    isObject(v) &&
    typeof v.i === 'string' &&
    typeof v.n === 'number' &&
    (v.m === undefined || (typeof v.m === 'number' && Number.isInteger(v.m) && v.m >= 0)) &&
    (v.d === undefined || (typeof v.d === 'number' && Number.isInteger(v.d)))
  );
}

/**
 * Gateway-to-gateway, version 1, on `GatewaySubjects.deliver(instanceId)`: stanzas for
 * sessions on that instance (batched per event-loop turn: `[full JIDs, serialised XML]`
 * pairs, in order), or a request to end one of its sessions.
 */
export type DeliverCommandV1 = { b: Array<[targets: string[], xml: string]>; t?: number } | { kick: string; reason: KickReason };

/**
 * The answer to a {@link DeliverCommandV1} batch (sent as a request): `g` lists the
 * targets that had no session on the instance any more, as `[entry index, full JID]`,
 * so that the sender routes those stanzas again (other resources, offline storage or
 * an error) instead of losing them.
 */
export interface DeliverReceiptV1 {
  g: Array<[entry: number, fullJid: string]>;
}

/** Validates a {@link DeliverReceiptV1}. */
export function isDeliverReceiptV1(v: unknown): v is DeliverReceiptV1 {
  return isObject(v) && Array.isArray(v.g) && v.g.every((x) => Array.isArray(x) && x.length === 2 && Number.isInteger(x[0]) && typeof x[1] === 'string');
}

/** Why a session is ended from another instance: a new session took its resource, the account was removed, or an admin ended it. */
export type KickReason = 'conflict' | 'removed' | 'ended';

/** Validates a {@link DeliverCommandV1} read from the bus. */
export function isDeliverCommandV1(v: unknown): v is DeliverCommandV1 {
  if (!isObject(v)) return false;
  if ('kick' in v) return typeof v.kick === 'string' && (v.reason === 'conflict' || v.reason === 'removed' || v.reason === 'ended');
  return (
    Array.isArray(v.b) &&
    (v.t === undefined || typeof v.t === 'number') &&
    v.b.every((x) => Array.isArray(x) && x.length === 2 && Array.isArray(x[0]) && x[0].every((t: unknown) => typeof t === 'string') && typeof x[1] === 'string')
  );
}

/** Presence one user's available resources owe someone (inside {@link PresenceRelayV1}). */
export interface PresenceWorkV1 {
  /**
   * `probe`: answer a presence probe (RFC 6121 §4.3.2), if `t` may see the user's presence;
   * `send`: send current presence without checks (the roster service decided it, §3.1.5 / XEP-0191 §3.4).
   */
  k: 'probe' | 'send';
  /** Bare JID of the local user whose resources answer. */
  u: string;
  /** Who gets the presence (the prober's full or bare JID, or a contact). */
  t: string;
  /** Only this resource of the user (a probe to a full JID). */
  r?: string;
}

/** Gateway-to-gateway, version 1, on `GatewaySubjects.presenceRelay(instanceId)`: presence work for one instance. */
export interface PresenceRelayV1 {
  c: PresenceWorkV1[];
}

/** Validates one {@link PresenceWorkV1}. */
export function isPresenceWorkV1(v: unknown): v is PresenceWorkV1 {
  return isObject(v) && (v.k === 'probe' || v.k === 'send') && typeof v.u === 'string' && typeof v.t === 'string' && (v.r === undefined || typeof v.r === 'string');
}

/** Validates a {@link PresenceRelayV1} read from the bus (every piece of work well-formed). */
export function isPresenceRelayV1(v: unknown): v is PresenceRelayV1 {
  return isObject(v) && Array.isArray(v.c) && v.c.every(isPresenceWorkV1);
}

/**
 * Gateway-to-gateway, version 1, on `GatewaySubjects.blocklistLoaded`: a user's block list
 * as loaded at login on instance `i`, so peers enforce it without asking the roster.
 */
export interface BlocklistLoadedV1 {
  /** The announcing instance. */
  i: string;
  /** The user's bare JID. */
  u: string;
  /** The blocked JIDs. */
  b: string[];
}

/** Validates a {@link BlocklistLoadedV1} read from the bus. */
export function isBlocklistLoadedV1(v: unknown): v is BlocklistLoadedV1 {
  return isObject(v) && typeof v.i === 'string' && typeof v.u === 'string' && Array.isArray(v.b) && v.b.every((j) => typeof j === 'string');
}

/** `gateway.cmd.end-sessions` reply data. */
export interface EndSessionsResultV1 {
  /** Sessions (resources) that were open and are being ended. */
  ended: number;
}

/** `gateway.qry.online` reply data: counts only. */
export interface OnlineResultV1 {
  /** Users with at least one session. */
  users: number;
  /** Sessions (resources). */
  sessions: number;
}

/** `gateway.cmd.bosh.<instanceId>` request: one BOSH request body as the client sent it (no client address). */
export interface BoshForwardV1 {
  body: string;
}

/** `gateway.cmd.bosh.<instanceId>` reply: the HTTP answer the holding instance gave (status 0: the request was superseded by a repeat). */
export interface BoshAnswerV1 {
  status: number;
  body: string;
}
