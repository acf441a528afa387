// The archive's storage port. One implementation today (Postgres, pg-archive-store.ts);
// business rules stay in domain/ and reach the store as plans and decisions.
import type { ArchivePrefsV1, EventEnvelope } from '@parley/contracts';
import type { ArchiveRecord, StoreDecision } from '../domain/store-decision';
import type { LookupPlan } from '../domain/lookup';

/** Injection token of the {@link ArchiveStore}. */
export const ARCHIVE_STORE = Symbol('ARCHIVE_STORE');

/** A user's stored preferences. */
export interface StoredPrefs extends ArchivePrefsV1 {
  jid: string;
  /** +1 per change, starting at 1. */
  version: number;
}

/** An event the store commits with the change it describes (the outbox relay publishes it). */
export interface OutboxEvent {
  event: EventEnvelope;
  subject: string;
}

/** What a sweep did. */
export interface SweepResult {
  deleted: number;
  /** Timestamp of the oldest message still archived. */
  oldestRemaining?: Date;
}

/** One archived message as read back. */
export interface ArchiveRow {
  id: string;
  ts: Date;
  stanza: string;
  withBare: string;
  direction: 'in' | 'out';
}

/** One page of a lookup, chronological. */
export interface LookupPage {
  rows: ArchiveRow[];
  /** No further rows in the paging direction. */
  complete: boolean;
  count?: number;
  firstIndex?: number;
}

/** First and last message of an archive. */
export interface ArchiveBounds {
  start?: { id: string; ts: Date };
  end?: { id: string; ts: Date };
}

/** What happened to a store command. */
export type StoreOutcome = { stored: true; duplicate: boolean } | { stored: false; reason: Exclude<StoreDecision, { store: true }>['reason'] };

export interface ArchiveStore {
  /** The user's preferences, or undefined when never set. */
  getPrefs(jid: string): Promise<StoredPrefs | undefined>;
  /**
   * Replaces the user's preferences, bumps the version and queues the event `changed`
   * makes of the new row, in one transaction.
   */
  setPrefs(jid: string, prefs: ArchivePrefsV1, changed: (row: StoredPrefs) => OutboxEvent): Promise<StoredPrefs>;
  /** Users whose preferences are not plain never, by JID, after `after`. */
  optedIn(after: string | undefined, limit: number): Promise<StoredPrefs[]>;
  /**
   * Reads the owner's preferences (locking them against a concurrent change), asks
   * `decide` and inserts the record it returns; idempotent on (owner, stanzaId).
   */
  storeIfAllowed(owner: string, decide: (prefs: ArchivePrefsV1) => StoreDecision): Promise<StoreOutcome>;
  /** Runs a validated query; throws ArchiveDomainError.unknownId for an id not in the archive. */
  lookup(plan: LookupPlan): Promise<LookupPage>;
  /** The first and last message of the owner's archive. */
  bounds(owner: string): Promise<ArchiveBounds>;
  /**
   * Deletes messages older than `cutoff`, then queues the event `swept` makes of the
   * result; returns how many were deleted and the timestamp of the oldest one left.
   */
  sweep(cutoff: Date, swept: (r: SweepResult) => OutboxEvent): Promise<SweepResult>;
  /** Totals for statistics: opted-in users and archived messages. */
  totals(): Promise<{ optedIn: number; messages: number }>;
  /**
   * Erases a user's archive and preferences, and drops the events still queued on
   * `prefsSubject` (the user's last-value subject, purged by the caller afterwards);
   * returns what was deleted.
   */
  eraseUser(jid: string, prefsSubject: string): Promise<{ messages: number; prefs: number }>;
}

export type { ArchiveRecord };
