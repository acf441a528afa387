// The roster store port: what the handlers need, in units of work per user.
import type { EventEnvelope, RosterItemUpdatedV1, RosterPushItem } from '@parley/contracts';
import type { RosterEntry } from '../domain/roster-entry';
import type { LoggedChange } from '../domain/versioning';

/** One user's roster data, read consistently. */
export interface RosterSnapshot {
  ver: number;
  /** Roster items and pending requests from contacts not in the roster. */
  entries: RosterEntry[];
  blocked: string[];
}

/** Work on one user's data inside one transaction that holds the user's roster lock. */
export interface UserTransaction {
  readonly owner: string;
  /** The version before this transaction's changes. */
  readonly startVer: number;
  entry(contact: string): Promise<RosterEntry | undefined>;
  entries(): Promise<RosterEntry[]>;
  /** Number of roster items (visible entries). */
  countInRoster(): Promise<number>;
  /** Number of pending requests from contacts not in the roster. */
  countHiddenPending(): Promise<number>;
  save(entry: RosterEntry): Promise<void>;
  remove(contact: string): Promise<void>;
  /**
   * Records a roster change: bumps the version, logs the push for versioning and
   * queues `roster.evt.item-updated` (published after commit), with the inbound
   * subscription presence to deliver before the push when there is one. Returns the new version.
   */
  recordPush(item: RosterPushItem, cause: RosterItemUpdatedV1['cause'], presence?: string): Promise<number>;
  /** Replaces the logged pushes about `contact` by its removal (the contact's account is gone). */
  redactChanges(contact: string): Promise<void>;
  blocked(): Promise<string[]>;
  /** Adds entries; returns those that were not there yet. */
  addBlocked(jids: string[]): Promise<string[]>;
  /** Removes entries; returns those that were there. */
  removeBlocked(jids: string[]): Promise<string[]>;
  /** Removes every entry; returns them. */
  clearBlocked(): Promise<string[]>;
  /** Deletes everything of the user: entries, version, change log, block list. */
  eraseAll(): Promise<void>;
  /** Queues an event, published after commit. */
  emit(event: EventEnvelope): Promise<void>;
}

/** The roster store. */
export interface RosterStore {
  /** Everything of one user, from a fixed number of queries (login). */
  snapshot(owner: string): Promise<RosterSnapshot>;
  /** {@link snapshot} of several owners, read in one transaction (distinct owners). */
  snapshots(owners: string[]): Promise<Map<string, RosterSnapshot>>;
  /** The current version and the logged changes newer than `since` (ascending). */
  changesSince(owner: string, since: number): Promise<{ ver: number; changes: Array<LoggedChange<RosterPushItem>> }>;
  /** The current version and the roster items. */
  roster(owner: string): Promise<{ ver: number; entries: RosterEntry[] }>;
  blocked(owner: string): Promise<string[]>;
  /** The block lists of several owners (sorted; an owner without entries is absent). */
  blockedOf(owners: string[]): Promise<Map<string, string[]>>;
  /** Every (owner, contact) entry whose contact is `bareJid` or one of its full JIDs. */
  entriesOfContact(bareJid: string): Promise<Array<{ owner: string; contact: string }>>;
  /** Runs `work` atomically for `owner`; queued events are published after commit. */
  transact<T>(owner: string, work: (tx: UserTransaction) => Promise<T>): Promise<T>;
}

/** Injection token of the store. */
export const ROSTER_STORE = Symbol('ROSTER_STORE');
