// Who may say what on the bus. Each process connects to NATS with the credentials of
// one role, and the NATS server enforces the permissions rendered from these
// declarations (libs/platform/nats natsPermissions): a service can answer only its own
// requests, publish only its own events, and consume only the streams it declares.
// Adding a subject to a service means adding it here, or NATS refuses it.
import { ArchiveSubjects, ARCHIVE_EVENTS, ARCHIVE_INBOX, ARCHIVE_PREFS } from './archive';
import { Durables } from './groups';
import { ERASURE_CONFIRMATIONS } from './erasure';
import { JANITOR_EVENTS, JANITOR_LEASE_BUCKET, JanitorSubjects } from './janitor';
import { OfflineNotices, OfflineSubjects, OFFLINE_EVENTS, OFFLINE_INBOX } from './offline';
import { ProfileEvents, ProfileSubjects } from './profile';
import { RosterSubjects, ROSTER_EVENTS } from './roster';
import { GATEWAY_DELIVERY_FAILURES, GATEWAY_EVENTS, type StreamSpec } from './streams';
import { GatewaySubjects } from './gateway';
import { UPLOAD_EVENTS, UploadSubjects } from './upload';

/** What one role does on the bus (logical subjects; the namespace is applied when rendered). */
export interface BusRole {
  /** Core-NATS subjects it subscribes to: requests it answers, core events it follows. Wildcards allowed. */
  subscribes: string[];
  /** Core-NATS subjects it publishes or sends requests to. Wildcards allowed. */
  publishes: string[];
  /** Streams it writes events into (it may publish on every subject of these streams). */
  writes: StreamSpec[];
  /** Streams it owns: it creates them and updates their configuration at start. */
  owns: StreamSpec[];
  /**
   * Streams of other owners it creates at start when they do not exist yet (so services may
   * start in any order); it may not change them once they exist.
   */
  provisions: StreamSpec[];
  /** Durable consumers it runs. */
  consumes: Array<{ stream: StreamSpec; durable: string }>;
  /** Streams it reads from the start with ephemeral ordered consumers (projections). */
  replays: StreamSpec[];
  /** NATS KV buckets it owns (leases, small shared state). */
  kv?: string[];
  /** Reply subjects of other roles it may answer more than once (scatter-gather answers in chunks). */
  answersInChunks?: boolean;
}

/** The roles Parley's processes run as. */
export type BusRoleName = 'gateway' | 'roster' | 'offline' | 'archive' | 'janitor' | 'upload' | 'profile';

/** The request subjects (`*.qry.*`, `*.cmd.*`) among a contract's subject constants. */
export function requestSubjects(subjects: Record<string, unknown>): string[] {
  return Object.values(subjects).filter((v): v is string => typeof v === 'string' && /^[a-z]+\.(qry|cmd)\./.test(v));
}

/** Requests a service answers over core NATS (its stream-fed commands are consumed, not subscribed). */
const served = (subjects: Record<string, unknown>, ...streams: StreamSpec[]): string[] =>
  requestSubjects(subjects).filter((s) => !streams.some((st) => st.subjects.includes(s)));

export const BUS_ROLES: Record<BusRoleName, BusRole> = {
  gateway: {
    // Gateway-to-gateway traffic (deliveries, directory, presence relay) and the events it follows.
    subscribes: ['gateway.>', 'roster.evt.>', 'offline.evt.>', OfflineNotices.stored, 'archive.evt.>', ProfileEvents.notify],
    publishes: [
      'gateway.>',
      ...requestSubjects(RosterSubjects),
      ...served(OfflineSubjects, OFFLINE_INBOX),
      ...served(ArchiveSubjects, ARCHIVE_INBOX),
      ...requestSubjects(JanitorSubjects),
      UploadSubjects.requestSlot,
      // `ctl export` (run with the gateway's credentials) lists the user's uploads.
      UploadSubjects.files,
      ...requestSubjects(ProfileSubjects),
    ],
    writes: [GATEWAY_EVENTS, GATEWAY_DELIVERY_FAILURES, OFFLINE_INBOX, ARCHIVE_INBOX],
    owns: [GATEWAY_EVENTS, GATEWAY_DELIVERY_FAILURES],
    provisions: [OFFLINE_INBOX, OFFLINE_EVENTS, ARCHIVE_INBOX, ARCHIVE_PREFS],
    consumes: [{ stream: OFFLINE_EVENTS, durable: Durables.gatewayOfflineBounces }],
    replays: [ARCHIVE_PREFS],
    answersInChunks: true,
  },
  roster: {
    subscribes: served(RosterSubjects),
    publishes: [],
    writes: [ROSTER_EVENTS, ERASURE_CONFIRMATIONS],
    owns: [ROSTER_EVENTS],
    provisions: [GATEWAY_EVENTS, ERASURE_CONFIRMATIONS],
    consumes: [{ stream: GATEWAY_EVENTS, durable: Durables.rosterAccountDeleted }],
    replays: [],
  },
  offline: {
    subscribes: served(OfflineSubjects, OFFLINE_INBOX),
    publishes: [OfflineNotices.stored],
    writes: [OFFLINE_EVENTS, ERASURE_CONFIRMATIONS],
    owns: [OFFLINE_INBOX, OFFLINE_EVENTS],
    provisions: [GATEWAY_EVENTS, ERASURE_CONFIRMATIONS],
    consumes: [
      { stream: OFFLINE_INBOX, durable: Durables.offlineStore },
      { stream: GATEWAY_EVENTS, durable: Durables.offlineAccountDeleted },
    ],
    replays: [],
  },
  archive: {
    subscribes: served(ArchiveSubjects, ARCHIVE_INBOX),
    publishes: [],
    writes: [ARCHIVE_EVENTS, ARCHIVE_PREFS, ERASURE_CONFIRMATIONS],
    owns: [ARCHIVE_INBOX, ARCHIVE_EVENTS, ARCHIVE_PREFS],
    provisions: [GATEWAY_EVENTS, ERASURE_CONFIRMATIONS],
    consumes: [
      { stream: ARCHIVE_INBOX, durable: Durables.archiveStore },
      { stream: GATEWAY_EVENTS, durable: Durables.archiveAccountDeleted },
    ],
    replays: [],
  },
  janitor: {
    // Its own requests, and gateway heartbeats (a silent instance's sessions stop counting as open).
    subscribes: [...served(JanitorSubjects), GatewaySubjects.heartbeat],
    publishes: [OfflineSubjects.sweep, ArchiveSubjects.sweep, GatewaySubjects.sweep, OfflineSubjects.stats, ArchiveSubjects.stats, UploadSubjects.stats, GatewaySubjects.deleteAccount, GatewaySubjects.serverNotice, UploadSubjects.sweep],
    writes: [JANITOR_EVENTS],
    owns: [JANITOR_EVENTS, ERASURE_CONFIRMATIONS],
    provisions: [GATEWAY_EVENTS, GATEWAY_DELIVERY_FAILURES, OFFLINE_EVENTS, ARCHIVE_EVENTS],
    consumes: [
      { stream: GATEWAY_EVENTS, durable: Durables.janitorActivity },
      { stream: ERASURE_CONFIRMATIONS, durable: Durables.janitorErasures },
      { stream: GATEWAY_DELIVERY_FAILURES, durable: Durables.janitorDeliveryFailures },
      { stream: OFFLINE_EVENTS, durable: Durables.janitorOfflineFailures },
      { stream: ARCHIVE_EVENTS, durable: Durables.janitorArchiveFailures },
    ],
    replays: [],
    kv: [JANITOR_LEASE_BUCKET],
  },
  upload: {
    // Slot requests (from gateways) and sweeps (from the janitor); files travel over its own HTTP listener, never the bus.
    subscribes: served(UploadSubjects),
    publishes: [],
    writes: [UPLOAD_EVENTS, ERASURE_CONFIRMATIONS],
    owns: [UPLOAD_EVENTS],
    provisions: [GATEWAY_EVENTS, ERASURE_CONFIRMATIONS],
    consumes: [{ stream: GATEWAY_EVENTS, durable: Durables.uploadAccountDeleted }],
    replays: [],
  },
  profile: {
    // Its own requests; it asks the roster who may see a node, and tells the gateways what changed.
    subscribes: served(ProfileSubjects),
    publishes: [RosterSubjects.login, ProfileEvents.notify],
    writes: [ERASURE_CONFIRMATIONS],
    owns: [],
    provisions: [GATEWAY_EVENTS, ERASURE_CONFIRMATIONS],
    consumes: [{ stream: GATEWAY_EVENTS, durable: Durables.profileAccountDeleted }],
    replays: [],
  },
};
