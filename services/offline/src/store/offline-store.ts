// The offline store port: what the handlers need, whatever keeps the messages.
import type { EventEnvelope, OfflineFailureReason } from '@parley/contracts';
import type { HandOff } from '../domain/hand-off';
import type { NotStorable } from '../domain/storable';
import type { Cursor } from './cursor';

/** What became of a hand-off. `duplicate` when it had been handled before (nothing changed now). */
export type AcceptOutcome =
  | { kind: 'stored'; duplicate: boolean }
  | { kind: 'refused'; reason: OfflineFailureReason; detail?: NotStorable; at: Date; duplicate: boolean };

/** A first refusal of a hand-off, as the store records it. */
export type Refusal = Omit<Extract<AcceptOutcome, { kind: 'refused' }>, 'duplicate'>;

/** A stored message as the store returns it. */
export interface StoredMessage {
  seq: string;
  id: string;
  from: string;
  type: string;
  stanzaId?: string;
  arrivedAt: Date;
  stanza: string;
}

/** JSON overhead budgeted per message besides its stanza (ids, JIDs, times, keys) when a page is sized. */
export const PER_MESSAGE_OVERHEAD = 512;

/** Bytes budgeted for one message of a page: a JSON-escaped stanza is at most twice its size. */
export const pageBytes = (stanza: string): number => 2 * Buffer.byteLength(stanza) + PER_MESSAGE_OVERHEAD;

/** A page of results in arrival order. */
export interface Page<T> {
  items: T[];
  /** Set when more items follow. */
  next?: Cursor;
}

/** Counts deleted by one sweep. */
export interface SweepCounts {
  messages: number;
  markers: number;
  /** Arrival time of the oldest message still stored. */
  oldestRemaining?: Date;
}

/** What {@link OfflineStore.accept} needs besides the hand-off. */
export interface AcceptOptions {
  quota: number;
  now: Date;
  /** The `offline.evt.delivery-failed` event of a refusal (committed with it). */
  refusalEvent: (refused: Refusal, h: HandOff) => EventEnvelope;
}

/** Injection token of the {@link OfflineStore}. */
export const OFFLINE_STORE = Symbol('OFFLINE_STORE');

/** Offline message storage. `user` is always a {@link userKey}. */
export interface OfflineStore {
  /**
   * Decides and records one hand-off atomically (per user serialised): stores it, or
   * records why not and commits the event `refusalEvent` makes of the refusal in the
   * same transaction (the outbox). A hand-off id seen before returns the recorded outcome.
   */
  accept(h: HandOff, o: AcceptOptions): Promise<AcceptOutcome>;
  /**
   * {@link accept} for several hand-offs in one transaction (group commit): decided in
   * the order given (so a user's quota counts the earlier ones), one outcome per
   * hand-off in that order. A hand-off id given twice is decided once (the repeat is a
   * `duplicate`). All or nothing: when it throws, nothing was recorded.
   */
  acceptMany(hs: HandOff[], o: AcceptOptions): Promise<AcceptOutcome[]>;
  /** The user's messages in arrival order after `after`, at most `limit` and about `maxBytes` of JSON (always at least one). */
  page(user: string, o: { ids?: string[]; after?: Cursor; limit: number; maxBytes: number }): Promise<Page<StoredMessage>>;
  /** {@link page} without `ids` for several requests (a user may come twice, with two cursors), read with one statement; one page per request, in order. */
  pages(requests: Array<{ user: string; after?: Cursor }>, o: { limit: number; maxBytes: number }): Promise<Array<Page<StoredMessage>>>;
  /** How many of `ids` exist for the user. */
  countExisting(user: string, ids: string[]): Promise<number>;
  count(user: string): Promise<number>;
  /** Headers (no stanza) in arrival order. */
  headers(user: string, o: { after?: Cursor; limit: number }): Promise<Page<Omit<StoredMessage, 'stanza' | 'type' | 'stanzaId'>>>;
  /** Deletes those of `ids` that exist; returns how many. */
  deleteIds(user: string, ids: string[]): Promise<number>;
  /** Deletes all of `ids`, or none when one does not exist (then returns undefined). */
  deleteExactly(user: string, ids: string[]): Promise<number | undefined>;
  purge(user: string): Promise<number>;
  /** Totals for statistics: messages stored and users holding any. */
  totals(): Promise<{ messages: number; users: number }>;
  /** Deletes the user's messages and remembers (hashed) that the account was deleted at `erasedAt`. */
  eraseAccount(user: string, erasedAt: Date): Promise<number>;
  /**
   * Deletes messages that arrived before `messagesBefore` and markers decided before
   * `markersBefore`, then queues the event `swept` makes of the counts (outbox).
   */
  sweep(o: { messagesBefore: Date; markersBefore: Date; swept: (counts: SweepCounts) => EventEnvelope }): Promise<SweepCounts>;
}
