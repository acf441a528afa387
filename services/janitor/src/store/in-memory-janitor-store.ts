// The janitor store in memory, for unit specs of the controllers (same contract as Postgres).
import type { EventEnvelope, DailyStats, DeliveryErrorEntry, DeliveryErrorsResult, ErasureEntry, RetentionReportEntry, RetentionReportResult } from '@parley/contracts';
import { ActivityEvent, ActivityRow, dayOf, FailureRecord, JanitorStore, SessionChange, statReason } from './janitor-store';

interface Row {
  jid: string;
  createdAt: Date;
  lastUsedAt: Date;
  lastLogoutAt?: Date;
  exempt: boolean;
  hidden: boolean;
  noticeSentAt?: Date;
  /** Open sessions by gateway instance. */
  sessions: Map<string, number>;
}

const later = (a: Date | undefined, b: Date): Date => (a && a > b ? a : b);

export class InMemoryJanitorStore implements JanitorStore {
  readonly rows = new Map<string, Row>();
  readonly handled = new Map<string, Date>();
  readonly failures: Array<FailureRecord & { eventId: string }> = [];
  readonly reports: Array<Omit<RetentionReportEntry, 'at'> & { at: Date }> = [];
  /** day → name → value */
  readonly daily = new Map<string, Map<string, number>>();

  private bump(at: Date, name: string, n = 1, mode: 'add' | 'set' | 'max' = 'add'): void {
    const day = this.daily.get(dayOf(at)) ?? new Map<string, number>();
    const old = day.get(name) ?? 0;
    day.set(name, mode === 'add' ? old + n : mode === 'set' ? n : Math.max(old, n));
    this.daily.set(dayOf(at), day);
  }

  private touch(jid: string, at: Date): Row {
    const r: Row = this.rows.get(jid) ?? { jid, createdAt: at, lastUsedAt: at, exempt: false, hidden: false, sessions: new Map() };
    r.lastUsedAt = later(r.lastUsedAt, at);
    r.noticeSentAt = undefined;
    this.rows.set(jid, r);
    return r;
  }

  async applySessionChanges(eventId: string, instanceId: string, changes: SessionChange[]): Promise<boolean> {
    if (this.handled.has(eventId)) return false;
    this.handled.set(eventId, new Date());
    for (const c of changes) this.apply(eventId, { ...c, instanceId });
    return true;
  }

  async applyActivity(eventId: string, e: ActivityEvent): Promise<boolean> {
    if (this.handled.has(eventId)) return false;
    this.handled.set(eventId, new Date());
    this.apply(eventId, e);
    return true;
  }

  private apply(eventId: string, e: ActivityEvent): void {
    switch (e.type) {
      case 'registered':
        this.rows.set(e.jid, { jid: e.jid, createdAt: e.at, lastUsedAt: e.at, exempt: false, hidden: false, sessions: new Map() });
        this.bump(e.at, 'registrations');
        break;
      case 'opened': {
        const r = this.touch(e.jid, e.at);
        r.sessions.set(e.instanceId, (r.sessions.get(e.instanceId) ?? 0) + 1);
        break;
      }
      case 'closed': {
        const r = this.touch(e.jid, e.at);
        if (!e.moved) r.lastLogoutAt = later(r.lastLogoutAt, e.at); // a move is no logout
        const n = (r.sessions.get(e.instanceId) ?? 0) - 1;
        if (n > 0) r.sessions.set(e.instanceId, n);
        else r.sessions.delete(e.instanceId);
        break;
      }
      case 'deleted':
        this.rows.delete(e.jid);
        if (!this.erasureRows.has(eventId)) this.erasureRows.set(eventId, { reason: statReason(e.reason), at: e.at });
        this.bump(e.at, `deletions.${statReason(e.reason)}`);
        break;
    }
  }

  async activity(jid: string): Promise<ActivityRow | undefined> {
    const r = this.rows.get(jid);
    if (!r) return undefined;
    const { sessions, ...rest } = r;
    return { ...rest, openSessions: [...sessions.values()].reduce((a, b) => a + b, 0) };
  }

  async setHidden(jid: string, hidden: boolean, now: Date): Promise<void> {
    const r = this.rows.get(jid) ?? { jid, createdAt: now, lastUsedAt: now, exempt: false, hidden, sessions: new Map() };
    r.hidden = hidden;
    this.rows.set(jid, r);
  }

  async setExempt(jid: string, exempt: boolean): Promise<boolean> {
    const r = this.rows.get(jid);
    if (!r) return false;
    r.exempt = exempt;
    return true;
  }

  private idle(usedBefore: Date): Row[] {
    return [...this.rows.values()].filter((r) => !r.exempt && r.sessions.size === 0 && r.lastUsedAt < usedBefore).sort((a, b) => +a.lastUsedAt - +b.lastUsedAt);
  }

  async noticeCandidates(usedBefore: Date, limit: number): Promise<string[]> {
    return this.idle(usedBefore)
      .filter((r) => !r.noticeSentAt)
      .slice(0, limit)
      .map((r) => r.jid);
  }

  async claimNotice(jid: string, at: Date): Promise<boolean> {
    const r = this.rows.get(jid);
    if (!r || r.noticeSentAt) return false;
    r.noticeSentAt = at;
    return true;
  }

  async releaseNotice(jid: string): Promise<void> {
    const r = this.rows.get(jid);
    if (r) r.noticeSentAt = undefined;
  }

  async deletionCandidates(usedBefore: Date, noticedBefore: Date | undefined, limit: number): Promise<string[]> {
    return this.idle(usedBefore)
      .filter((r) => !noticedBefore || (r.noticeSentAt !== undefined && r.noticeSentAt <= noticedBefore))
      .slice(0, limit)
      .map((r) => r.jid);
  }

  async markUsed(jid: string, at: Date): Promise<void> {
    if (this.rows.has(jid)) this.touch(jid, at);
  }

  async forget(jid: string): Promise<void> {
    this.rows.delete(jid);
  }

  async instancesWithSessions(): Promise<string[]> {
    return [...new Set([...this.rows.values()].flatMap((r) => [...r.sessions.keys()]))];
  }

  async dropInstance(instanceId: string, at: Date): Promise<number> {
    let n = 0;
    for (const r of this.rows.values()) {
      if (!r.sessions.has(instanceId)) continue;
      n += 1;
      r.sessions.delete(instanceId);
      r.lastUsedAt = later(r.lastUsedAt, at);
    }
    return n;
  }

  async logFailure(eventId: string, f: FailureRecord): Promise<boolean> {
    if (this.failures.some((x) => x.eventId === eventId)) return false;
    this.failures.push({ ...f, eventId });
    this.bump(f.at, `delivery-failures.${statReason(f.reason)}`);
    return true;
  }

  async queryFailures(q: { jid?: string; since?: Date; limit: number }): Promise<DeliveryErrorsResult> {
    const match = this.failures
      .filter((f) => (!q.jid || f.from === q.jid || f.to === q.jid) && (!q.since || f.at >= q.since))
      .sort((a, b) => +b.at - +a.at);
    const countsByReason: Record<string, number> = {};
    for (const f of match) countsByReason[f.reason] = (countsByReason[f.reason] ?? 0) + 1;
    const items: DeliveryErrorEntry[] = match.slice(0, q.limit).map(({ eventId: _id, at, ...f }) => ({ ...f, at: at.toISOString() }));
    return { items, countsByReason, total: match.length };
  }

  async sweepFailures(before: Date): Promise<number> {
    const keep = this.failures.filter((f) => f.at >= before);
    const n = this.failures.length - keep.length;
    this.failures.splice(0, this.failures.length, ...keep);
    return n;
  }

  /** Events queued with changes, in commit order (what the outbox relay would publish). */
  readonly outbox: EventEnvelope[] = [];

  async recordSweeps(entries: Array<Omit<RetentionReportEntry, 'at'> & { at: Date }>, event?: EventEnvelope): Promise<void> {
    for (const e of entries) {
      this.reports.push(e);
      if (!e.error) this.bump(e.at, 'sweeps');
    }
    if (event) this.outbox.push(event);
  }

  async report(limit: number): Promise<RetentionReportResult> {
    const out = (e: Omit<RetentionReportEntry, 'at'> & { at: Date }): RetentionReportEntry => ({ ...e, at: e.at.toISOString() });
    const recent = [...this.reports].reverse();
    const latest = new Map<string, RetentionReportEntry>();
    for (const e of recent) if (!latest.has(`${e.owner}\0${e.what}`)) latest.set(`${e.owner}\0${e.what}`, out(e));
    return { latest: [...latest.values()].sort((a, b) => (a.owner + a.what).localeCompare(b.owner + b.what)), recent: recent.slice(0, limit).map(out) };
  }

  private readonly erasureRows = new Map<string, { reason: string; at: Date }>();
  private readonly confirmations = new Map<string, Map<string, { at: Date; erased: Record<string, number> }>>();

  async confirmErasure(c: { deletionId: string; owner: string; at: Date; erased: Record<string, number> }): Promise<void> {
    const m = this.confirmations.get(c.deletionId) ?? new Map();
    if (!m.has(c.owner)) m.set(c.owner, { at: c.at, erased: { ...c.erased } });
    this.confirmations.set(c.deletionId, m);
  }

  async erasures(q: { pending: boolean; limit: number; owners: readonly string[] }): Promise<ErasureEntry[]> {
    const ids = new Map<string, Date>();
    for (const [id, r] of this.erasureRows) ids.set(id, r.at);
    for (const [id, m] of this.confirmations) if (!ids.has(id)) ids.set(id, new Date(Math.min(...[...m.values()].map((c) => c.at.getTime()))));
    const out: ErasureEntry[] = [];
    for (const [id] of [...ids].sort((a, b) => b[1].getTime() - a[1].getTime())) {
      const confirmed: ErasureEntry['confirmed'] = {};
      for (const [owner, c] of this.confirmations.get(id) ?? []) confirmed[owner] = { at: c.at.toISOString(), erased: c.erased };
      const missing = q.owners.filter((o) => !confirmed[o]);
      if (q.pending && !missing.length) continue;
      const r = this.erasureRows.get(id);
      out.push({ deletionId: id, reason: r?.reason, deletedAt: r?.at.toISOString(), confirmed, missing });
    }
    return out.slice(0, q.limit);
  }

  async sweepErasures(before: Date): Promise<number> {
    let n = 0;
    for (const [id, r] of this.erasureRows) if (r.at < before && this.erasureRows.delete(id)) n++;
    for (const [id, m] of this.confirmations) {
      for (const [owner, c] of m) if (c.at < before) m.delete(owner);
      if (!m.size) this.confirmations.delete(id);
    }
    return n;
  }

  async sweepReports(before: Date): Promise<number> {
    const keep = this.reports.filter((e) => e.at >= before);
    const n = this.reports.length - keep.length;
    this.reports.splice(0, this.reports.length, ...keep);
    return n;
  }

  async sweepHandled(before: Date): Promise<number> {
    let n = 0;
    for (const [id, at] of this.handled) if (at < before && this.handled.delete(id)) n++;
    return n;
  }

  async snapshotStats(now: Date): Promise<{ registered: number; active: number; exempt: number }> {
    const dayStart = new Date(`${dayOf(now)}T00:00:00.000Z`);
    const rows = [...this.rows.values()];
    const c = { registered: rows.length, active: rows.filter((r) => r.lastUsedAt >= dayStart || r.sessions.size > 0).length, exempt: rows.filter((r) => r.exempt).length };
    this.bump(now, 'registered', c.registered, 'set');
    this.bump(now, 'active', c.active, 'max');
    return c;
  }

  async addDailyCounts(now: Date, values: Record<string, number>): Promise<void> {
    for (const [name, n] of Object.entries(values)) this.bump(now, name, n);
  }

  async setDailyTotals(now: Date, values: Record<string, number>): Promise<void> {
    for (const [name, value] of Object.entries(values)) this.bump(now, name, value, 'set');
  }

  async stats(days: number, now: Date): Promise<DailyStats[]> {
    const from = dayOf(new Date(now.getTime() - (days - 1) * 86_400_000));
    return [...this.daily]
      .filter(([day]) => day >= from)
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([day, counts]) => ({ day, counts: Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))) }));
  }

  async sweepStats(before: Date): Promise<number> {
    let n = 0;
    for (const day of [...this.daily.keys()]) if (day < dayOf(before) && this.daily.delete(day)) n++;
    return n;
  }
}
