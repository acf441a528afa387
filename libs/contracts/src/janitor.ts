// Janitor-owned subjects and payloads: the service that keeps time (account activity,
// retention sweeps and their report, the delivery-error log, anonymous statistics).
import type { StreamSpec } from './streams';

/** Core-NATS requests the janitor answers (queue group `janitor`). */
export const JanitorSubjects = {
  /** {@link LastActivityQuery} → {@link LastActivityResult}: a user's last logout, for XEP-0012. */
  lastActivity: 'janitor.qry.last-activity',
  /** {@link SetLastActivityVisibilityCommand} → `{ hidden: boolean }`: the user hides or shows their last activity. */
  setLastActivityVisibility: 'janitor.cmd.set-last-activity-visibility',
  /** {@link AccountActivityQuery} → {@link AccountActivityResult}: what the janitor keeps about one account, for the data export. */
  accountActivity: 'janitor.qry.account-activity',
  /** Retention report for operators (`ctl report`). */
  report: 'janitor.qry.report',
  /** Delivery-error log query for operators (`ctl errors`). */
  errors: 'janitor.qry.errors',
  /** Anonymous statistics for operators (`ctl stats`). */
  stats: 'janitor.qry.stats',
  /** Run every owner's sweep now (operators, tests). */
  sweepNow: 'janitor.cmd.sweep-now',
  /** {@link SetExemptCommand} → {@link SetExemptResult} (operators): an exempt account is never deleted for inactivity; `item-not-found` when the janitor has not seen the account. */
  setExempt: 'janitor.cmd.set-exempt',
  /** {@link ErasuresQuery} → {@link ErasuresResult} (operators, `ctl erasures`): account deletions and which owners confirmed the erasure. */
  erasures: 'janitor.qry.erasures',
} as const;

/** `janitor.qry.last-activity` request. */
export interface LastActivityQuery {
  /** Bare JID, prepared. */
  jid: string;
}
/** `janitor.qry.last-activity` reply data. */
export interface LastActivityResult {
  /** ISO-8601 time of the user's last logout; absent when unknown or never. */
  lastLogoutAt?: string;
  /** Whether some session of the user is open now (as far as session events tell). */
  online: boolean;
  /** The user turned last-activity answers off. */
  hidden: boolean;
}
/** `janitor.cmd.set-last-activity-visibility` request. */
export interface SetLastActivityVisibilityCommand {
  jid: string;
  hidden: boolean;
}

/** Events the janitor publishes (stream JANITOR_EVENTS): counts only, never a JID. */
export const JanitorEvents = {
  /** {@link RetentionSweptV1}: one owner's sweep ran and was recorded. */
  sweepRecorded: 'janitor.evt.sweep-recorded',
} as const;

/** `janitor.evt.sweep-recorded` v1. */
export interface RetentionSweptV1 {
  owner: string;
  /** What was deleted, by kind: e.g. `{ messages: 3, markers: 1 }`. */
  deleted: Record<string, number>;
  at: string;
}

/** Janitor events: counts only, kept a day for whoever watches. */
export const JANITOR_EVENTS: StreamSpec = {
  name: 'JANITOR_EVENTS',
  subjects: ['janitor.evt.>'],
  retention: 'limits',
  maxAgeMs: 24 * 3600 * 1000,
  description: 'sweep-recorded (counts only, no JIDs)',
};

// ---- operators' queries (ctl report | errors | stats | exempt) ---------------

/** `janitor.cmd.set-exempt` request. */
export interface SetExemptCommand {
  /** Bare JID of a local account. */
  jid: string;
  exempt: boolean;
}
/** `janitor.cmd.set-exempt` reply data. */
export interface SetExemptResult {
  exempt: boolean;
}

/** One recorded sweep of one owner (no JIDs). */
export interface RetentionReportEntry {
  /** The owning service, e.g. `offline`, `archive`, `janitor`. */
  owner: string;
  /** What was swept, e.g. `messages`, `markers`, `delivery-log`. */
  what: string;
  /** How many were deleted. */
  deleted: number;
  /** ISO-8601: data older than this was deleted (when the owner tells). */
  cutoff?: string;
  /** ISO-8601 time of the oldest datum remaining (when the owner tells). */
  oldestRemaining?: string;
  /** Set when the owner could not be reached or failed; `deleted` is then 0. */
  error?: string;
  /** ISO-8601 time the sweep was recorded. */
  at: string;
}

/** `janitor.qry.report` request. */
export interface RetentionReportQuery {
  /** Most recent entries to return (default 50, at most 1000). */
  limit?: number;
}
/** `janitor.qry.report` reply data. */
export interface RetentionReportResult {
  /** The latest entry of every (owner, what). */
  latest: RetentionReportEntry[];
  /** The most recent entries, newest first. */
  recent: RetentionReportEntry[];
}

/** `janitor.qry.errors` request. */
export interface DeliveryErrorsQuery {
  /** Only failures from or to this bare JID. */
  jid?: string;
  /** ISO-8601: only failures at or after this time. */
  since?: string;
  /** Most entries to return (default 100, at most 1000); counts cover every match. */
  limit?: number;
}
/** One logged delivery failure: never content, never an address. */
export interface DeliveryErrorEntry {
  /** Who reported it: `gateway` (router bounces) or `offline` (storage refusals). */
  source: string;
  from?: string;
  to: string;
  kind: string;
  reason: string;
  detail?: string;
  at: string;
}
/** `janitor.qry.errors` reply data. */
export interface DeliveryErrorsResult {
  /** Newest first. */
  items: DeliveryErrorEntry[];
  /** Every match, counted by reason. */
  countsByReason: Record<string, number>;
  total: number;
}

/** `janitor.qry.stats` request. */
export interface StatsQuery {
  /** Days to return, newest first (default 30, at most 3650). */
  days?: number;
}
/** One day of anonymous counts (UTC day). No JIDs. */
export interface DailyStats {
  /** `YYYY-MM-DD`. */
  day: string;
  /**
   * Counts by name: `registered` (accounts known at the day's last pass), `active`
   * (accounts used that day), `registrations`, `deletions.<reason>`,
   * `delivery-failures.<reason>`, `sweeps`.
   */
  counts: Record<string, number>;
}
/** `janitor.qry.stats` reply data. */
export interface StatsResult {
  days: DailyStats[];
}

/** `janitor.cmd.sweep-now` reply data: the entries this run recorded. */
export interface SweepNowResult {
  entries: RetentionReportEntry[];
}

/** The NATS KV bucket holding the janitor replicas' sweep lease. */
export const JANITOR_LEASE_BUCKET = 'janitor-lease';

/** `janitor.qry.erasures` request. */
export interface ErasuresQuery {
  /** Only deletions some owner has not confirmed yet. */
  pending?: boolean;
  /** Most entries, newest first (default 50, at most 1000). */
  limit?: number;
}
/** One account deletion and its erasure confirmations (no JID: the deletion event's id names it). */
export interface ErasureEntry {
  deletionId: string;
  /** Why the account was deleted (`user`, `admin`, `inactivity`); absent until the janitor saw the deletion event. */
  reason?: string;
  deletedAt?: string;
  /** Owner → when it confirmed, and what it erased (counts). */
  confirmed: Record<string, { at: string; erased: Record<string, number> }>;
  /** Owners that have not confirmed yet. */
  missing: string[];
}
/** `janitor.qry.erasures` reply data. */
export interface ErasuresResult {
  entries: ErasureEntry[];
  /** The owners every erasure waits for. */
  owners: string[];
}

/** `janitor.qry.account-activity` request. */
export interface AccountActivityQuery {
  /** Bare JID of the account. */
  jid: string;
}
/** `janitor.qry.account-activity` reply data: the account's activity row (all of it), or `known: false`. */
export interface AccountActivityResult {
  known: boolean;
  createdAt?: string;
  lastUsedAt?: string;
  lastLogoutAt?: string;
  /** Never deleted for inactivity (operators). */
  exempt?: boolean;
  /** Last activity hidden from contacts (the user). */
  hidden?: boolean;
  /** When the inactivity notice went out, if it did. */
  noticeSentAt?: string;
}
