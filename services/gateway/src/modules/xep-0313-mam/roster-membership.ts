// Whether a peer is in a user's roster, for archiving preferences whose default is
// `roster` (XEP-0441). Asked of the roster service once per user (`roster.qry.get`),
// cached, kept current from `roster.evt.item-updated`, and asked again after a while.
// When the roster service does not answer, the peer counts as not in the roster
// (nothing is archived that the user did not clearly ask for), and it is asked again soon.
import type { RosterGetResult, RosterItemUpdatedV1 } from '@parley/contracts';
import { BusUnavailableError } from '@parley/nats';
import { canonicalBare } from '@parley/xep';
import type { Logger } from 'pino';

/** Cache lifetimes and size. */
export interface RosterMembershipOptions {
  /** How long a roster read from the service is trusted (item updates keep it current meanwhile). */
  ttlMs: number;
  /** How long "not in roster" stands after the roster service did not answer. */
  unavailableTtlMs: number;
  /** Users whose roster is kept at most (the oldest is forgotten first). */
  maxUsers: number;
}

const DEFAULTS: RosterMembershipOptions = { ttlMs: 10 * 60_000, unavailableTtlMs: 5_000, maxUsers: 10_000 };

export class RosterMembership {
  private readonly cache = new Map<string, { jids: Set<string>; expires: number }>();
  private readonly pending = new Map<string, Promise<Set<string>>>();
  private readonly opts: RosterMembershipOptions;

  constructor(
    /** Reads a user's whole roster (`roster.qry.get {user}`). */
    private readonly fetch: (user: string) => Promise<RosterGetResult>,
    private readonly log: Logger,
    opts: Partial<RosterMembershipOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** Whether `peerBare` is in `user`'s roster: at once when known, else after asking the roster service. */
  has(user: string, peerBare: string): boolean | Promise<boolean> {
    const hit = this.cache.get(user);
    if (hit && hit.expires > this.now()) return hit.jids.has(peerBare);
    return this.load(user).then((jids) => jids.has(peerBare));
  }

  /** Keeps a cached roster current (`roster.evt.item-updated`). */
  itemUpdated(e: RosterItemUpdatedV1): void {
    const c = this.cache.get(e.user);
    if (!c || !e.item || typeof e.item.jid !== 'string') return;
    const jid = canonicalBare(e.item.jid);
    if (e.item.subscription === 'remove') c.jids.delete(jid);
    else c.jids.add(jid);
  }

  /** Drops a user's cached roster (account deleted). */
  forget(user: string): void {
    this.cache.delete(user);
  }

  private load(user: string): Promise<Set<string>> {
    const running = this.pending.get(user);
    if (running) return running;
    const p = this.fetch(user)
      .then(
        (r) => {
          if (r.kind !== 'full') return { jids: new Set<string>(), ttl: this.opts.unavailableTtlMs };
          return { jids: new Set(r.items.map((i) => canonicalBare(i.jid))), ttl: this.opts.ttlMs };
        },
        (e) => {
          if (!(e instanceof BusUnavailableError) || e.reason !== 'no-responders') this.log.warn({ err: e }, 'roster lookup for archiving preferences failed; peer taken as not in roster');
          return { jids: new Set<string>(), ttl: this.opts.unavailableTtlMs };
        },
      )
      .then(({ jids, ttl }) => {
        if (this.cache.size >= this.opts.maxUsers && !this.cache.has(user)) {
          const oldest = this.cache.keys().next().value;
          if (oldest !== undefined) this.cache.delete(oldest);
        }
        this.cache.delete(user);
        this.cache.set(user, { jids, expires: this.now() + ttl });
        return jids;
      })
      .finally(() => this.pending.delete(user));
    this.pending.set(user, p);
    return p;
  }
}
