// Janitor-owned subjects and payloads: the service that keeps time (account activity,
// retention sweeps and their report, the delivery-error log, anonymous statistics).
import type { StreamSpec } from './streams';

/** Core-NATS requests the janitor answers (queue group `janitor`). */
export const JanitorSubjects = {
  /** {@link LastActivityQuery} → {@link LastActivityResult}: a user's last logout, for XEP-0012. */
  lastActivity: 'janitor.qry.last-activity',
  /** {@link SetLastActivityVisibilityCommand} → `{ hidden: boolean }`: the user hides or shows their last activity. */
  setLastActivityVisibility: 'janitor.cmd.set-last-activity-visibility',
  /** Retention report for operators (`ctl report`). */
  report: 'janitor.qry.report',
  /** Delivery-error log query for operators (`ctl errors`). */
  errors: 'janitor.qry.errors',
  /** Anonymous statistics for operators (`ctl stats`). */
  stats: 'janitor.qry.stats',
  /** Run every owner's sweep now (operators, tests). */
  sweepNow: 'janitor.cmd.sweep-now',
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
