// The gateway's view of block lists (XEP-0191), so that enforcing them costs no bus
// round trip per stanza:
// - users with sessions on this gateway: their list from the login answer, pinned
//   while they are here;
// - anyone else: a bounded, expiring cache, filled when a peer gateway announces a
//   user's list at login (so chat between users online on different gateways never
//   asks the roster service) or, failing that, by one `roster.qry.blocklist`;
// - every entry is kept current by `roster.evt.blocklist-changed`, which every
//   gateway receives. Changes that arrive while a list is being fetched are applied
//   on top of the answer (they are idempotent set operations, so a change the
//   answer already reflects does no harm).
import type { BlocklistChangedV1 } from '@parley/contracts';
import { BlockSet } from '@parley/xep';

/** Limits of the cache. */
export interface BlockListsOptions {
  /** Most lists kept for users without a session here. */
  maxCached: number;
  /** Age after which a cached (unpinned) list is fetched again. */
  ttlMs: number;
  /** A peer's announcement is ignored for a user whose list changed this recently (it may predate the change). */
  announceQuietMs: number;
  /** After a failed fetch, unknown lists are not fetched again for this long (the roster service is down). */
  retryAfterMs: number;
  now?: () => number;
}

interface Entry {
  list: BlockSet;
  at: number;
}

/** Applies one change to a list (a new array; the old one may be in use). */
export function applyChange(jids: readonly string[], action: BlocklistChangedV1['action'], changed: readonly string[]): string[] {
  if (action === 'block') return [...jids, ...changed.filter((j) => !jids.includes(j))];
  return jids.filter((j) => !changed.includes(j));
}

export class BlockLists {
  private readonly entries = new Map<string, Entry>();
  private readonly pins = new Map<string, number>();
  private readonly inflight = new Map<string, Set<BlocklistChangedV1[]>>();
  private readonly fetching = new Map<string, Promise<BlockSet | undefined>>();
  private readonly lastChange = new Map<string, number>();
  private downUntil = 0;
  private readonly now: () => number;

  constructor(private readonly o: BlockListsOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The list when known here (no I/O); undefined when unknown. */
  known(user: string): BlockSet | undefined {
    const e = this.entries.get(user);
    if (!e) return undefined;
    if (!this.pins.has(user) && this.now() - e.at > this.o.ttlMs) {
      this.entries.delete(user);
      return undefined;
    }
    return e.list;
  }

  /** Whether `user`'s known list covers `jid` (an unknown list blocks nothing). */
  blocks(user: string, jid: string): boolean {
    return this.known(user)?.covers(jid) ?? false;
  }

  /**
   * The list, fetching it once when unknown (concurrent callers share the fetch).
   * Undefined when it cannot be had (the roster service is down): callers fail open.
   */
  get(user: string, fetch: () => Promise<string[]>): Promise<BlockSet | undefined> {
    const k = this.known(user);
    if (k) return Promise.resolve(k);
    if (this.now() < this.downUntil) return Promise.resolve(undefined);
    let p = this.fetching.get(user);
    if (!p) {
      p = this.track(user, fetch, (r) => r)
        .then(() => this.known(user))
        .catch(() => {
          this.downUntil = this.now() + this.o.retryAfterMs;
          return undefined;
        })
        .finally(() => this.fetching.delete(user));
      this.fetching.set(user, p);
    }
    return p;
  }

  /** Runs a request whose answer carries `user`'s list; stores that list with the changes seen meanwhile applied. */
  async track<T>(user: string, fetch: () => Promise<T>, pick: (answer: T) => string[]): Promise<T> {
    const seen: BlocklistChangedV1[] = [];
    let set = this.inflight.get(user);
    if (!set) this.inflight.set(user, (set = new Set()));
    set.add(seen);
    try {
      const answer = await fetch();
      let jids = [...pick(answer)];
      for (const c of seen) jids = applyChange(jids, c.action, c.jids);
      this.store(user, jids);
      return answer;
    } finally {
      set.delete(seen);
      if (set.size === 0) this.inflight.delete(user);
    }
  }

  /** A `roster.evt.blocklist-changed` event. */
  onChange(c: BlocklistChangedV1): void {
    const now = this.now();
    this.lastChange.set(c.user, now);
    if (this.lastChange.size > this.o.maxCached) {
      for (const [u, at] of this.lastChange) if (now - at > this.o.announceQuietMs) this.lastChange.delete(u);
    }
    for (const seen of this.inflight.get(c.user) ?? []) seen.push(c);
    this.applyLocal(c.user, c.action, c.jids);
  }

  /** Applies a change known from the user's own command, before its event arrives (idempotent with it). */
  applyLocal(user: string, action: BlocklistChangedV1['action'], jids: readonly string[]): void {
    const e = this.entries.get(user);
    if (e) e.list = new BlockSet(applyChange(e.list.jids, action, jids));
  }

  /** A peer gateway loaded `user`'s list at login. */
  announced(user: string, jids: string[]): void {
    if (this.entries.has(user) || this.inflight.has(user)) return;
    const changed = this.lastChange.get(user);
    if (changed !== undefined && this.now() - changed < this.o.announceQuietMs) return;
    this.store(user, [...jids]);
  }

  /** A session of `user` is bound here: keep the list while it lasts. */
  pin(user: string): void {
    this.pins.set(user, (this.pins.get(user) ?? 0) + 1);
  }

  /** A session of `user` ended here. */
  unpin(user: string): void {
    const n = (this.pins.get(user) ?? 0) - 1;
    if (n > 0) return void this.pins.set(user, n);
    this.pins.delete(user);
    const e = this.entries.get(user);
    if (e) e.at = this.now(); // from now on an ordinary cache entry
  }

  /** Forgets every list not pinned (events may have been missed, e.g. while NATS was unreachable). */
  dropUnpinned(): void {
    for (const u of [...this.entries.keys()]) if (!this.pins.has(u)) this.entries.delete(u);
  }

  /** Number of lists held (pinned and cached). */
  get size(): number {
    return this.entries.size;
  }

  private store(user: string, jids: string[]): void {
    this.entries.delete(user);
    this.entries.set(user, { list: new BlockSet(jids), at: this.now() });
    if (this.entries.size <= this.o.maxCached + this.pins.size) return;
    for (const u of this.entries.keys()) {
      if (this.pins.has(u)) continue;
      this.entries.delete(u);
      if (this.entries.size <= this.o.maxCached + this.pins.size) break;
    }
  }
}
