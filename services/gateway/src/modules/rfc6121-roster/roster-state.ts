// One user's roster as a gateway holding their sessions knows it: a snapshot from
// the roster service (login or roster get) kept current by `roster.evt.item-updated`.
// Versions are numbers that grow by one per change (RFC 6121 §2.6); each item
// remembers the version that last changed it, so that events reordered by several
// roster replicas, or already reflected in a snapshot, are not applied (nor pushed) twice.
import type { RosterItem, RosterItemUpdatedV1 } from '@parley/contracts';
import type { Session } from '../../host';

/** Events kept to re-apply on top of a snapshot taken while they were in flight. */
const RECENT_EVENTS = 64;

const hasFrom = (i: RosterItem | undefined) => i?.subscription === 'from' || i?.subscription === 'both';
const hasTo = (i: RosterItem | undefined) => i?.subscription === 'to' || i?.subscription === 'both';

export class UserRoster {
  /** The user's sessions on this gateway. */
  readonly sessions = new Set<Session>();
  /** Items by JID. */
  readonly items = new Map<string, RosterItem>();
  /** True once a snapshot was applied (until then only events are known). */
  loaded = false;
  /** A login request in flight, for probe answers to wait on. */
  loading?: Promise<unknown>;
  private baseVer = -1;
  private readonly itemVer = new Map<string, number>();
  private recent: RosterItemUpdatedV1[] = [];

  constructor(readonly user: string) {}

  /** Applies a whole roster at version `ver`; ignored when older than the one applied. Returns whether it was applied. */
  snapshot(ver: string, items: RosterItem[]): boolean {
    const v = Number(ver);
    if (!Number.isFinite(v) || (this.loaded && v < this.baseVer)) return false;
    this.baseVer = v;
    this.items.clear();
    this.itemVer.clear();
    for (const i of items) this.items.set(i.jid, i);
    for (const e of this.recent) this.applyItem(e);
    this.loaded = true;
    return true;
  }

  /** Applies a change; true when it is news for its item (then it is pushed). */
  apply(e: RosterItemUpdatedV1): boolean {
    this.recent.push(e);
    if (this.recent.length > RECENT_EVENTS) this.recent = this.recent.slice(-RECENT_EVENTS);
    return this.applyItem(e);
  }

  private applyItem(e: RosterItemUpdatedV1): boolean {
    const v = Number(e.ver);
    const jid = e.item?.jid;
    if (!Number.isFinite(v) || typeof jid !== 'string') return false;
    if (v <= (this.itemVer.get(jid) ?? this.baseVer)) return false;
    this.itemVer.set(jid, v);
    if (e.item.subscription === 'remove') this.items.delete(jid);
    else this.items.set(jid, e.item as RosterItem);
    return true;
  }

  /** Bare JIDs that receive the user's presence (subscription from/both, RFC 6121 §4.2.2). */
  subscribers(): string[] {
    const out: string[] = [];
    for (const i of this.items.values()) if (hasFrom(i) && !i.jid.includes('/')) out.push(i.jid);
    return out;
  }

  /** Whether `contact` (bare) may see the user's presence. */
  hasSubscriber(contact: string): boolean {
    return hasFrom(this.items.get(contact));
  }

  /** Whether the user receives `contact`'s presence (subscription to/both). */
  subscribedTo(contact: string): boolean {
    return hasTo(this.items.get(contact));
  }
}
