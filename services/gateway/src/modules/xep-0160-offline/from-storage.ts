// Stored messages this gateway wrote to XEP-0198 sessions. When such a session ends
// without acknowledging them, stream management routes them again (XEP-0198 §5) —
// but they are still in offline storage (deletion waits for the acknowledgement, and
// XEP-0013 viewing never deletes), so the re-routed copy must not be stored twice.
import { NS } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { defineSlot, Session } from '../../host';

/** How long after its session ended a written message is still recognised. */
const REMEMBER_MS = 60_000;

/** Identifies a stored message by what its delivered copy shows: sender, XEP-0203 stamp, stanza id. */
function key(from: string, stamp: string, stanzaId: string | undefined): string {
  return `${from}\n${stamp}\n${stanzaId ?? ''}`;
}

/** Per session: keys of stored messages written to it and not yet acknowledged. */
const WRITTEN = defineSlot<Set<string>>('xep-0160-offline/written');

export class FromStorage {
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly domain: string,
    /** Whether a session has XEP-0198 (only then are unacknowledged stanzas routed again). */
    private readonly managed: (session: Session) => boolean,
  ) {}

  /** A stored message (as `offline.qry.fetch` returned it) was written to `session`. */
  written(session: Session, m: { from: string; arrivedAt: string; stanzaId?: string }): string | undefined {
    if (!this.managed(session)) return undefined; // only stream management routes unacknowledged stanzas again
    const keys = session.state.ensure(WRITTEN, () => new Set<string>());
    const k = key(m.from, m.arrivedAt, m.stanzaId);
    keys.add(k);
    return k;
  }

  /** The client acknowledged these (they were deleted or are known to have arrived). */
  confirmed(session: Session, keys: Array<string | undefined>): void {
    const set = session.state.get(WRITTEN);
    if (set) for (const k of keys) if (k) set.delete(k);
  }

  /** The session is gone for good: what it did not acknowledge may come back re-routed for a while. */
  sessionEnded(session: Session): void {
    const set = session.state.get(WRITTEN);
    this.prune();
    if (!set?.size) return;
    const until = Date.now() + REMEMBER_MS;
    for (const k of set) this.ended.set(k, until);
    session.state.delete(WRITTEN);
  }

  /** Takes the keys written to a session that moves to another gateway (it recognises them there). */
  take(session: Session): string[] {
    const set = session.state.get(WRITTEN);
    session.state.delete(WRITTEN);
    return set ? [...set] : [];
  }

  /** Keys written to a session on the gateway it moved from. */
  restore(session: Session, keys: string[]): void {
    if (!keys.length) return;
    const set = session.state.ensure(WRITTEN, () => new Set<string>());
    for (const k of keys) set.add(k);
  }

  /** Whether `msg` is the re-routed copy of a message still in storage. */
  isRerouted(msg: Element): boolean {
    if (this.ended.size === 0 || !msg.attrs.from) return false;
    this.prune();
    for (const d of msg.getChildren('delay')) {
      if ((d.attrs.xmlns ?? '') !== NS.delay || d.attrs.from !== this.domain || !d.attrs.stamp) continue;
      if (this.ended.has(key(msg.attrs.from, d.attrs.stamp, msg.attrs.id))) return true;
    }
    return false;
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, until] of this.ended) if (until <= now) this.ended.delete(k);
  }
}
