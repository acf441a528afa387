// What the janitor keeps, behind one interface (Postgres in production, memory in unit specs).
import type { EventEnvelope, DailyStats, DeliveryErrorEntry, DeliveryErrorsResult, ErasureEntry, RetentionReportEntry, RetentionReportResult } from '@parley/contracts';

export const JANITOR_STORE = Symbol('JANITOR_STORE');

/** A gateway event, as the activity table needs it (JIDs prepared, bare). */
export type ActivityEvent =
  | { type: 'registered'; jid: string; at: Date }
  | { type: 'opened'; jid: string; instanceId: string; at: Date }
  | { type: 'closed'; jid: string; instanceId: string; at: Date; moved?: boolean }
  | { type: 'deleted'; jid: string; reason: string; at: Date };

/** A session opening or ending within a batch (JID prepared, bare); `moved` when a XEP-0198 resumption took it to another gateway (no login, no logout). */
export type SessionChange = { type: 'opened' | 'closed'; jid: string; at: Date; moved?: boolean };

/** What the janitor knows of one account. */
export interface ActivityRow {
  jid: string;
  createdAt: Date;
  lastUsedAt: Date;
  lastLogoutAt?: Date;
  exempt: boolean;
  hidden: boolean;
  noticeSentAt?: Date;
  /** Open sessions, summed over gateway instances. */
  openSessions: number;
}

/** A failure to log (already validated, JIDs bare). */
export type FailureRecord = Omit<DeliveryErrorEntry, 'at'> & { at: Date };

export interface JanitorStore {
  /**
   * Applies one gateway event (once per `eventId`); false when it was applied before. Counts
   * statistics of `day`. A deletion also opens an erasure record under `eventId`.
   */
  applyActivity(eventId: string, e: ActivityEvent): Promise<boolean>;
  /**
   * Applies a batch of session events of one gateway instance, in order, as one
   * (`eventId` once; false when applied before): the same effect as applying each
   * `opened`/`closed` with {@link applyActivity}, in one transaction.
   */
  applySessionChanges(eventId: string, instanceId: string, changes: SessionChange[]): Promise<boolean>;
  /** The account's row, or undefined. */
  activity(jid: string): Promise<ActivityRow | undefined>;
  /** Sets the user's hidden flag (creating the row, used now, when the janitor has none). */
  setHidden(jid: string, hidden: boolean, now: Date): Promise<void>;
  /** Sets the exempt flag; false when the janitor has no row for the account. */
  setExempt(jid: string, exempt: boolean): Promise<boolean>;
  /** Accounts to warn: not exempt, no open session, unused since `usedBefore`, not warned yet. */
  noticeCandidates(usedBefore: Date, limit: number): Promise<string[]>;
  /** Marks the notice as sent unless it already was; true when this call marked it. */
  claimNotice(jid: string, at: Date): Promise<boolean>;
  /** Undoes a claim whose notice could not be sent. */
  releaseNotice(jid: string): Promise<void>;
  /** Accounts to delete: not exempt, no open session, unused since `usedBefore` (and, when given, warned before `noticedBefore`). */
  deletionCandidates(usedBefore: Date, noticedBefore: Date | undefined, limit: number): Promise<string[]>;
  /** The gateway says the account is in use: last used now. */
  markUsed(jid: string, at: Date): Promise<void>;
  /** The gateway has no such account: drop the row. */
  forget(jid: string): Promise<void>;
  /** Gateway instances that hold open sessions. */
  instancesWithSessions(): Promise<string[]>;
  /** A gateway instance is gone: its sessions end now (their accounts were in use until now). Returns the sessions dropped. */
  dropInstance(instanceId: string, at: Date): Promise<number>;

  /** Logs a delivery failure once per `eventId`; false when logged before. Counts `delivery-failures.<reason>`. */
  logFailure(eventId: string, f: FailureRecord): Promise<boolean>;
  queryFailures(q: { jid?: string; since?: Date; limit: number }): Promise<DeliveryErrorsResult>;
  /** Deletes log entries older than `before`; how many. */
  sweepFailures(before: Date): Promise<number>;

  /** Records an owner's confirmation that it erased the user of deletion `deletionId` (idempotent). */
  confirmErasure(c: { deletionId: string; owner: string; at: Date; erased: Record<string, number> }): Promise<void>;
  /** Deletions with their confirmations, newest first; `pending`: only those missing one of `owners`. */
  erasures(q: { pending: boolean; limit: number; owners: readonly string[] }): Promise<ErasureEntry[]>;
  /** Deletes erasure records (and confirmations) older than `before`; how many deletions. */
  sweepErasures(before: Date): Promise<number>;

  /** Records a sweep (counts `sweeps` for its day). */
  /**
   * Records one owner's sweep entries (counting `sweeps` for their day) and queues `event`
   * (`janitor.evt.sweep-recorded`, counts only) in the outbox, in one transaction.
   */
  recordSweeps(entries: Array<Omit<RetentionReportEntry, 'at'> & { at: Date }>, event?: EventEnvelope): Promise<void>;
  report(limit: number): Promise<RetentionReportResult>;
  sweepReports(before: Date): Promise<number>;
  /** Deletes handled-event ids older than `before`; how many. */
  sweepHandled(before: Date): Promise<number>;

  /** Sets today's `registered` (rows now) and raises today's `active` (rows used today or online). */
  snapshotStats(now: Date): Promise<{ registered: number; active: number; exempt: number }>;
  /** Adds to today's counters (e.g. `messages.routed`). */
  addDailyCounts(now: Date, values: Record<string, number>): Promise<void>;
  /** Sets today's values of owner totals (e.g. `offline.held`), the latest reading of the day. */
  setDailyTotals(now: Date, values: Record<string, number>): Promise<void>;
  stats(days: number, now: Date): Promise<DailyStats[]>;
  sweepStats(before: Date): Promise<number>;
}

/** The UTC day of a time, `YYYY-MM-DD`. */
export function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Reasons counted by name in statistics; anything else counts as `other` (never free text). */
const KNOWN_REASONS = new Set([
  'user', 'admin', 'inactivity',
  'quota', 'not-storable', 'account-deleted',
  'bad-request', 'conflict', 'feature-not-implemented', 'forbidden', 'gone', 'internal-server-error', 'item-not-found', 'jid-malformed',
  'not-acceptable', 'not-allowed', 'not-authorized', 'policy-violation', 'recipient-unavailable', 'redirect', 'registration-required',
  'remote-server-not-found', 'remote-server-timeout', 'resource-constraint', 'service-unavailable', 'subscription-required',
  'undefined-condition', 'unexpected-request',
]);

/** The statistics key of a reason: known reasons by name, others as `other`. */
export function statReason(reason: string): string {
  return KNOWN_REASONS.has(reason) ? reason : 'other';
}
