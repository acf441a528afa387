// The offline store in memory, for unit tests of handlers: the same port and the same
// rules as the Postgres store (decideStore per hand-off, receipts for redeliveries,
// erasure markers, refusal events committed with the refusal, pages by arrival order
// within a byte budget, all-or-nothing removal).
import type { EventEnvelope, OfflineFailureReason } from '@parley/contracts';
import { decideStore } from '../domain/decide';
import type { HandOff } from '../domain/hand-off';
import { storability, type NotStorable } from '../domain/storable';
import { userHash } from '../domain/user-key';
import type { Cursor } from './cursor';
import { pageBytes, type AcceptOptions, type AcceptOutcome, type OfflineStore, type Page, type Refusal, type StoredMessage, type SweepCounts } from './offline-store';

/** JSON overhead budgeted per message besides its stanza, as in the Postgres store. */

interface Receipt {
  outcome: 'stored' | 'refused';
  reason?: OfflineFailureReason;
  detail?: NotStorable;
  decidedAt: Date;
}

type Row = StoredMessage & { user: string };

const after = (m: StoredMessage, c?: Cursor): boolean =>
  !c || m.arrivedAt.getTime() > c.arrivedAt.getTime() || (m.arrivedAt.getTime() === c.arrivedAt.getTime() && BigInt(m.seq) > BigInt(c.seq));
const byArrival = (a: StoredMessage, b: StoredMessage) => a.arrivedAt.getTime() - b.arrivedAt.getTime() || (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1);
const strip = ({ user: _user, ...m }: Row): StoredMessage => ({ ...m });

export class InMemoryOfflineStore implements OfflineStore {
  private readonly messages: Row[] = [];
  private readonly receipts = new Map<string, Receipt>();
  private readonly erased = new Map<string, Date>();
  private seq = 0n;
  /** Events committed with refusals, in commit order (what the outbox relay would publish). */
  readonly outbox: EventEnvelope[] = [];

  private of(user: string): Row[] {
    return this.messages.filter((m) => m.user === user).sort(byArrival);
  }

  private remove(pred: (m: Row) => boolean): number {
    let n = 0;
    for (let i = this.messages.length - 1; i >= 0; i--)
      if (pred(this.messages[i])) {
        this.messages.splice(i, 1);
        n++;
      }
    return n;
  }

  async accept(h: HandOff, o: AcceptOptions): Promise<AcceptOutcome> {
    const seen = this.receipts.get(h.id);
    if (seen) return seen.outcome === 'stored' ? { kind: 'stored', duplicate: true } : { kind: 'refused', reason: seen.reason!, detail: seen.detail, at: seen.decidedAt, duplicate: true };
    const decision = decideStore({
      storability: storability({ type: h.type, noStore: h.noStore, chatStateOnly: h.chatStateOnly, stanza: h.stanza }),
      arrivedAt: h.arrivedAt,
      accountErasedAt: this.erased.get(userHash(h.user)),
      pending: this.of(h.user).length,
      quota: o.quota,
    });
    if (decision.kind === 'store') {
      if (!this.messages.some((m) => m.id === h.id))
        this.messages.push({ seq: String(++this.seq), id: h.id, user: h.user, from: h.from, type: h.type, stanzaId: h.stanzaId, arrivedAt: h.arrivedAt, stanza: h.stanza });
      this.receipts.set(h.id, { outcome: 'stored', decidedAt: o.now });
      return { kind: 'stored', duplicate: false };
    }
    this.receipts.set(h.id, { outcome: 'refused', reason: decision.reason, detail: decision.detail, decidedAt: o.now });
    const refusal: Refusal = { kind: 'refused', reason: decision.reason, detail: decision.detail, at: o.now };
    this.outbox.push(o.refusalEvent(refusal, h));
    return { ...refusal, duplicate: false };
  }

  async acceptMany(hs: HandOff[], o: AcceptOptions): Promise<AcceptOutcome[]> {
    const out: AcceptOutcome[] = [];
    for (const h of hs) out.push(await this.accept(h, o));
    return out;
  }

  async page(user: string, o: { ids?: string[]; after?: Cursor; limit: number; maxBytes: number }): Promise<Page<StoredMessage>> {
    const matching = this.of(user).filter((m) => after(m, o.after) && (!o.ids || o.ids.includes(m.id)));
    const items: StoredMessage[] = [];
    let bytes = 0;
    for (const m of matching) {
      bytes += pageBytes(m.stanza);
      if (items.length >= o.limit || (items.length > 0 && bytes > o.maxBytes)) break;
      items.push(strip(m));
    }
    const last = items[items.length - 1];
    return { items, next: items.length < matching.length && last ? { arrivedAt: last.arrivedAt, seq: last.seq } : undefined };
  }

  async pages(requests: Array<{ user: string; after?: Cursor }>, o: { limit: number; maxBytes: number }): Promise<Array<Page<StoredMessage>>> {
    const pages: Array<Page<StoredMessage>> = [];
    for (const r of requests) pages.push(await this.page(r.user, { ...o, after: r.after }));
    return pages;
  }

  async countExisting(user: string, ids: string[]): Promise<number> {
    return new Set(this.of(user).filter((m) => ids.includes(m.id)).map((m) => m.id)).size;
  }

  async count(user: string): Promise<number> {
    return this.of(user).length;
  }

  async headers(user: string, o: { after?: Cursor; limit: number }): Promise<Page<Omit<StoredMessage, 'stanza' | 'type' | 'stanzaId'>>> {
    const matching = this.of(user).filter((m) => after(m, o.after));
    const items = matching.slice(0, o.limit).map((m) => ({ seq: m.seq, id: m.id, from: m.from, arrivedAt: m.arrivedAt }));
    const last = items[items.length - 1];
    return { items, next: matching.length > o.limit && last ? { arrivedAt: last.arrivedAt, seq: last.seq } : undefined };
  }

  async deleteIds(user: string, ids: string[]): Promise<number> {
    return this.remove((m) => m.user === user && ids.includes(m.id));
  }

  async deleteExactly(user: string, ids: string[]): Promise<number | undefined> {
    const wanted = [...new Set(ids)];
    if ((await this.countExisting(user, wanted)) !== wanted.length) return undefined;
    return this.deleteIds(user, wanted);
  }

  async purge(user: string): Promise<number> {
    return this.remove((m) => m.user === user);
  }

  async eraseAccount(user: string, erasedAt: Date): Promise<number> {
    const n = await this.purge(user);
    const key = userHash(user);
    const before = this.erased.get(key);
    this.erased.set(key, before && before > erasedAt ? before : erasedAt);
    return n;
  }

  async totals(): Promise<{ messages: number; users: number }> {
    return { messages: this.messages.length, users: new Set(this.messages.map((m) => m.user)).size };
  }

  async sweep(o: { messagesBefore: Date; markersBefore: Date; swept: (counts: SweepCounts) => EventEnvelope }): Promise<SweepCounts> {
    const messages = this.remove((m) => m.arrivedAt < o.messagesBefore);
    let markers = 0;
    for (const [id, r] of this.receipts) if (r.decidedAt < o.markersBefore && this.receipts.delete(id)) markers++;
    for (const [k, at] of this.erased) if (at < o.markersBefore && this.erased.delete(k)) markers++;
    const oldest = this.messages.reduce<Date | undefined>((m, x) => (!m || x.arrivedAt < m ? x.arrivedAt : m), undefined);
    const counts: SweepCounts = { messages, markers, oldestRemaining: oldest };
    this.outbox.push(o.swept(counts));
    return counts;
  }
}
