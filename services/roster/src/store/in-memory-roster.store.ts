// The roster store in memory, for unit tests of handlers: the same port and the same
// semantics as the Postgres store (one writer per user, all-or-nothing transactions,
// versions starting at a timestamp, a bounded change log, events emitted on commit).
import { envelope, EventEnvelope, RosterEvents, RosterItemUpdatedV1, RosterPushItem } from '@parley/contracts';
import type { RosterEntry } from '../domain/roster-entry';
import type { LoggedChange } from '../domain/versioning';
import type { RosterSnapshot, RosterStore, UserTransaction } from './roster.store';

interface UserState {
  ver: number;
  entries: Map<string, RosterEntry>;
  changes: Array<LoggedChange<RosterPushItem>>;
  blocked: Set<string>;
}

const copyEntry = (e: RosterEntry): RosterEntry => ({ ...e, groups: [...e.groups] });
const copyState = (s: UserState): UserState => ({
  ver: s.ver,
  entries: new Map([...s.entries].map(([k, e]) => [k, copyEntry(e)])),
  changes: s.changes.map((c) => ({ ...c })),
  blocked: new Set(s.blocked),
});
const byContact = (a: RosterEntry, b: RosterEntry) => (a.contact < b.contact ? -1 : a.contact > b.contact ? 1 : 0);

class MemoryUserTransaction implements UserTransaction {
  readonly emitted: EventEnvelope[] = [];

  constructor(
    readonly owner: string,
    readonly startVer: number,
    readonly state: UserState,
    private readonly changeLogSize: number,
  ) {}

  async entry(contact: string): Promise<RosterEntry | undefined> {
    const e = this.state.entries.get(contact);
    return e && copyEntry(e);
  }
  async entries(): Promise<RosterEntry[]> {
    return [...this.state.entries.values()].map(copyEntry).sort(byContact);
  }
  async countInRoster(): Promise<number> {
    return [...this.state.entries.values()].filter((e) => e.inRoster).length;
  }
  async countHiddenPending(): Promise<number> {
    return [...this.state.entries.values()].filter((e) => !e.inRoster).length;
  }
  async save(entry: RosterEntry): Promise<void> {
    const e = copyEntry(entry);
    if (!e.pendingIn) {
      delete e.pendingInStatus;
      delete e.pendingInStanza;
    }
    this.state.entries.set(e.contact, e);
  }
  async remove(contact: string): Promise<void> {
    this.state.entries.delete(contact);
  }
  async recordPush(item: RosterPushItem, cause: RosterItemUpdatedV1['cause'], presence?: string): Promise<number> {
    const ver = ++this.state.ver;
    this.state.changes.push({ ver, contact: item.jid, item });
    this.state.changes = this.state.changes.filter((c) => c.ver > ver - this.changeLogSize);
    await this.emit(envelope<RosterItemUpdatedV1>(RosterEvents.itemUpdated, { user: this.owner, item, ver: String(ver), cause, ...(presence !== undefined ? { presence } : {}) }));
    return ver;
  }
  async redactChanges(contact: string): Promise<void> {
    for (const c of this.state.changes) if (c.contact === contact) c.item = { jid: contact, subscription: 'remove' };
  }
  async blocked(): Promise<string[]> {
    return [...this.state.blocked].sort();
  }
  async addBlocked(jids: string[]): Promise<string[]> {
    const added = [...new Set(jids)].filter((j) => !this.state.blocked.has(j));
    for (const j of added) this.state.blocked.add(j);
    return added.sort();
  }
  async removeBlocked(jids: string[]): Promise<string[]> {
    const removed = [...new Set(jids)].filter((j) => this.state.blocked.delete(j));
    return removed.sort();
  }
  async clearBlocked(): Promise<string[]> {
    const all = [...this.state.blocked].sort();
    this.state.blocked.clear();
    return all;
  }
  async eraseAll(): Promise<void> {
    this.state.entries.clear();
    this.state.changes = [];
    this.state.blocked.clear();
    this.state.ver = -1; // the user's row is gone: the next transaction starts afresh
  }
  async emit(event: EventEnvelope): Promise<void> {
    this.emitted.push(event);
  }
}

export class InMemoryRosterStore implements RosterStore {
  private readonly users = new Map<string, UserState>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Events of committed transactions, in commit order (what the outbox would publish). */
  readonly events: EventEnvelope[] = [];

  constructor(
    private readonly opts: { changeLogSize: number } = { changeLogSize: 200 },
    private readonly clock: () => number = Date.now,
  ) {}

  private state(owner: string): UserState {
    return this.users.get(owner) ?? { ver: 0, entries: new Map(), changes: [], blocked: new Set() };
  }

  async snapshot(owner: string): Promise<RosterSnapshot> {
    const s = this.state(owner);
    return { ver: s.ver, entries: [...s.entries.values()].map(copyEntry).sort(byContact), blocked: [...s.blocked].sort() };
  }

  async snapshots(owners: string[]): Promise<Map<string, RosterSnapshot>> {
    const out = new Map<string, RosterSnapshot>();
    for (const o of owners) out.set(o, await this.snapshot(o));
    return out;
  }

  async changesSince(owner: string, since: number): Promise<{ ver: number; changes: Array<LoggedChange<RosterPushItem>> }> {
    const s = this.state(owner);
    return { ver: s.ver, changes: s.changes.filter((c) => c.ver > since).map((c) => ({ ...c })) };
  }

  async roster(owner: string): Promise<{ ver: number; entries: RosterEntry[] }> {
    const s = this.state(owner);
    return { ver: s.ver, entries: [...s.entries.values()].filter((e) => e.inRoster).map(copyEntry).sort(byContact) };
  }

  async blocked(owner: string): Promise<string[]> {
    return [...this.state(owner).blocked].sort();
  }

  async blockedOf(owners: string[]): Promise<Map<string, string[]>> {
    const lists = new Map<string, string[]>();
    for (const o of owners) {
      const list = [...(this.users.get(o)?.blocked ?? [])].sort();
      if (list.length) lists.set(o, list);
    }
    return lists;
  }

  async entriesOfContact(bareJid: string): Promise<Array<{ owner: string; contact: string }>> {
    const out: Array<{ owner: string; contact: string }> = [];
    for (const [owner, s] of [...this.users].sort(([a], [b]) => (a < b ? -1 : 1)))
      for (const contact of [...s.entries.keys()].sort()) if (contact.split('/')[0] === bareJid) out.push({ owner, contact });
    return out;
  }

  /** One writer per user; the work sees a copy that replaces the user's state only if it succeeds. */
  transact<T>(owner: string, work: (tx: UserTransaction) => Promise<T>): Promise<T> {
    const before = this.locks.get(owner) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(async () => {
      const current = this.users.get(owner);
      const draft = current ? copyState(current) : { ver: this.clock(), entries: new Map(), changes: [], blocked: new Set<string>() };
      const tx = new MemoryUserTransaction(owner, draft.ver, draft, this.opts.changeLogSize);
      const out = await work(tx);
      if (draft.ver === -1) this.users.delete(owner);
      else this.users.set(owner, draft);
      this.events.push(...tx.emitted);
      return out;
    });
    this.locks.set(owner, run);
    return run;
  }
}
