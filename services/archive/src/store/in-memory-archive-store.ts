// The archive store in memory, for unit tests of handlers: the same port and the same
// semantics as the Postgres store (prefs versions and the events queued with them, idempotent
// inserts per (owner, stanza id), (ts, seq) paging with RSM cursors, counts, retention).
import type { ArchivePrefsV1 } from '@parley/contracts';
import { ArchiveDomainError } from '../domain/errors';
import { LookupPlan, referencedIds } from '../domain/lookup';
import { defaultPrefs } from '../domain/prefs';
import type { ArchiveRecord, StoreDecision } from '../domain/store-decision';
import type { ArchiveBounds, ArchiveRow, ArchiveStore, LookupPage, OutboxEvent, StoreOutcome, StoredPrefs, SweepResult } from './archive-store';

type Message = ArchiveRecord & { seq: number };

const compare = (a: Message, b: Message) => a.ts.getTime() - b.ts.getTime() || a.seq - b.seq;
const toRow = (m: Message): ArchiveRow => ({ id: m.stanzaId, ts: m.ts, stanza: m.stanza, withBare: m.withBare, direction: m.direction });
const copyPrefs = (p: StoredPrefs): StoredPrefs => ({ ...p, always: [...p.always], never: [...p.never] });

export class InMemoryArchiveStore implements ArchiveStore {
  private readonly prefs = new Map<string, StoredPrefs>();
  private messages: Message[] = [];
  private seq = 0;
  /** Events queued with changes, in commit order (what the outbox relay would publish). */
  outbox: OutboxEvent[] = [];

  async getPrefs(jid: string): Promise<StoredPrefs | undefined> {
    const p = this.prefs.get(jid);
    return p && copyPrefs(p);
  }

  async setPrefs(jid: string, prefs: ArchivePrefsV1, changed: (row: StoredPrefs) => OutboxEvent): Promise<StoredPrefs> {
    const before = this.prefs.get(jid);
    const row: StoredPrefs = { jid, default: prefs.default, always: [...prefs.always], never: [...prefs.never], version: (before?.version ?? 0) + 1 };
    this.prefs.set(jid, row);
    this.outbox.push(changed(copyPrefs(row)));
    return copyPrefs(row);
  }

  async optedIn(after: string | undefined, limit: number): Promise<StoredPrefs[]> {
    return [...this.prefs.values()]
      .filter((p) => (p.default !== 'never' || p.always.length > 0) && (after === undefined || p.jid > after))
      .sort((a, b) => (a.jid < b.jid ? -1 : 1))
      .slice(0, limit)
      .map(copyPrefs);
  }

  async storeIfAllowed(owner: string, decide: (prefs: ArchivePrefsV1) => StoreDecision): Promise<StoreOutcome> {
    const d = decide(this.prefs.get(owner) ?? defaultPrefs());
    if (!d.store) return { stored: false, reason: d.reason };
    const r = d.record;
    if (this.messages.some((m) => m.owner === r.owner && m.stanzaId === r.stanzaId)) return { stored: true, duplicate: true };
    this.messages.push({ ...r, seq: ++this.seq });
    return { stored: true, duplicate: false };
  }

  async lookup(plan: LookupPlan): Promise<LookupPage> {
    const own = this.messages.filter((m) => m.owner === plan.owner);
    const keys = new Map(own.map((m) => [m.stanzaId, m]));
    if (referencedIds(plan).some((id) => !keys.has(id))) throw ArchiveDomainError.unknownId();
    const filtered = own
      .filter(
        (m) =>
          (plan.withBare === undefined || m.withBare === plan.withBare) &&
          (plan.withFull === undefined || m.withFull === plan.withFull) &&
          (!plan.start || m.ts >= plan.start) &&
          (!plan.end || m.ts <= plan.end) &&
          (plan.afterId === undefined || compare(m, keys.get(plan.afterId)!) > 0) &&
          (plan.beforeId === undefined || compare(m, keys.get(plan.beforeId)!) < 0) &&
          (plan.ids === undefined || plan.ids.includes(m.stanzaId)),
      )
      .sort(compare);
    const forward = plan.direction === 'forward';
    const cursor = plan.cursor === undefined ? undefined : keys.get(plan.cursor)!;
    let candidates = cursor ? filtered.filter((m) => (forward ? compare(m, cursor) > 0 : compare(m, cursor) < 0)) : filtered;
    if (!forward) candidates = [...candidates].reverse();
    const fetched = candidates.slice(forward ? plan.offset : 0, (forward ? plan.offset : 0) + plan.max + 1);
    const page = fetched.slice(0, plan.max);
    if (!forward) page.reverse();
    const result: LookupPage = { rows: page.map(toRow), complete: fetched.length <= plan.max };
    if (plan.count) {
      result.count = filtered.length;
      if (page[0]) result.firstIndex = filtered.filter((m) => compare(m, page[0]) < 0).length;
    }
    return result;
  }

  async bounds(owner: string): Promise<ArchiveBounds> {
    const own = this.messages.filter((m) => m.owner === owner).sort(compare);
    if (!own.length) return {};
    const first = own[0];
    const last = own[own.length - 1];
    return { start: { id: first.stanzaId, ts: first.ts }, end: { id: last.stanzaId, ts: last.ts } };
  }

  async sweep(cutoff: Date, swept: (r: SweepResult) => OutboxEvent): Promise<SweepResult> {
    const before = this.messages.length;
    this.messages = this.messages.filter((m) => m.ts >= cutoff);
    const oldest = this.messages.reduce<Date | undefined>((o, m) => (!o || m.ts < o ? m.ts : o), undefined);
    const r: SweepResult = { deleted: before - this.messages.length, oldestRemaining: oldest };
    this.outbox.push(swept(r));
    return r;
  }

  async totals(): Promise<{ optedIn: number; messages: number }> {
    return { optedIn: [...this.prefs.values()].filter((p) => p.default !== 'never' || p.always.length > 0).length, messages: this.messages.length };
  }

  async eraseUser(jid: string, prefsSubject: string): Promise<{ messages: number; prefs: number }> {
    const before = this.messages.length;
    this.messages = this.messages.filter((m) => m.owner !== jid);
    this.outbox = this.outbox.filter((e) => e.subject !== prefsSubject);
    return { messages: before - this.messages.length, prefs: this.prefs.delete(jid) ? 1 : 0 };
  }
}
