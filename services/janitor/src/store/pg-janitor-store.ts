// The janitor's Postgres store: plain SQL on the service's own database.
import { Injectable } from '@nestjs/common';
import type { EventEnvelope, DailyStats, DeliveryErrorsResult, ErasureEntry, RetentionReportEntry, RetentionReportResult } from '@parley/contracts';
import { enqueueOutbox } from '@parley/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { ActivityEvent, ActivityRow, dayOf, FailureRecord, JanitorStore, SessionChange, statReason } from './janitor-store';

type Q = Pick<EntityManager, 'query'>;

/** The later of two times (the second when the first is missing). */
function later(a: Date | undefined, b: Date): Date {
  return a && a > b ? a : b;
}

/** The rows of a query: TypeORM answers UPDATE and DELETE with `[rows, affected]`. */
function rowsOf<T = unknown>(r: unknown): T[] {
  return Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number' ? (r[0] as T[]) : (r as T[]);
}

/** Runs `DELETE ...` and answers how many rows it removed. */
async function deleted(q: Q, sql: string, params: unknown[]): Promise<number> {
  const [r]: Array<{ n: number }> = await q.query(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`, params);
  return r.n;
}

const bump = (q: Q, at: Date, name: string, n = 1) =>
  q.query('INSERT INTO daily_stat (day, name, value) VALUES ($1, $2, $3) ON CONFLICT (day, name) DO UPDATE SET value = daily_stat.value + EXCLUDED.value', [dayOf(at), name, n]);

const iso = (v: Date | string | null | undefined): string | undefined => (v == null ? undefined : new Date(v).toISOString());

function reportEntry(r: { owner: string; what: string; deleted: string; cutoff: Date | null; oldest_remaining: Date | null; error: string | null; at: Date }): RetentionReportEntry {
  const e: RetentionReportEntry = { owner: r.owner, what: r.what, deleted: Number(r.deleted), at: new Date(r.at).toISOString() };
  if (r.cutoff) e.cutoff = iso(r.cutoff);
  if (r.oldest_remaining) e.oldestRemaining = iso(r.oldest_remaining);
  if (r.error) e.error = r.error;
  return e;
}

@Injectable()
export class PgJanitorStore implements JanitorStore {
  /** `committed` runs after a commit that queued events (the outbox relay's flush, which never throws). */
  constructor(
    private readonly ds: DataSource,
    private readonly committed: () => Promise<void> | void = () => undefined,
  ) {}

  applyActivity(eventId: string, e: ActivityEvent): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const fresh = rowsOf(await m.query('INSERT INTO handled_event (id, handled_at) VALUES ($1, now()) ON CONFLICT DO NOTHING RETURNING id', [eventId]));
      if (fresh.length === 0) return false;
      switch (e.type) {
        case 'registered':
          // A new account (perhaps a name used before): a fresh row, switches off.
          await m.query(
            `INSERT INTO account_activity (jid, created_at, last_used_at) VALUES ($1, $2, $2)
             ON CONFLICT (jid) DO UPDATE SET created_at = EXCLUDED.created_at, last_used_at = EXCLUDED.last_used_at,
               last_logout_at = NULL, exempt = false, hidden = false, notice_sent_at = NULL`,
            [e.jid, e.at],
          );
          await m.query('DELETE FROM account_session WHERE jid = $1', [e.jid]);
          await bump(m, e.at, 'registrations');
          break;
        case 'opened':
          await this.touch(m, e.jid, e.at);
          await m.query(
            `INSERT INTO account_session (jid, instance_id, open) VALUES ($1, $2, 1)
             ON CONFLICT (jid, instance_id) DO UPDATE SET open = account_session.open + 1`,
            [e.jid, e.instanceId],
          );
          break;
        case 'closed':
          await this.touch(m, e.jid, e.at);
          await m.query('UPDATE account_activity SET last_logout_at = GREATEST(last_logout_at, $2) WHERE jid = $1', [e.jid, e.at]);
          await m.query('UPDATE account_session SET open = open - 1 WHERE jid = $1 AND instance_id = $2', [e.jid, e.instanceId]);
          await m.query('DELETE FROM account_session WHERE jid = $1 AND instance_id = $2 AND open <= 0', [e.jid, e.instanceId]);
          break;
        case 'deleted':
          await m.query('DELETE FROM account_activity WHERE jid = $1', [e.jid]);
          await m.query('INSERT INTO erasure (deletion_id, reason, deleted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [eventId, statReason(e.reason), e.at]);
          await bump(m, e.at, `deletions.${statReason(e.reason)}`);
          break;
      }
      return true;
    });
  }

  applySessionChanges(eventId: string, instanceId: string, changes: SessionChange[]): Promise<boolean> {
    // Set-based: a handful of statements per batch, whatever its size. Per account, the
    // batch's effect is its latest use, its latest logout and the net change of its open
    // sessions on the instance, which is what applying the events one by one leaves.
    const used = new Map<string, Date>();
    const logout = new Map<string, Date>();
    const delta = new Map<string, number>();
    for (const c of changes) {
      used.set(c.jid, later(used.get(c.jid), c.at));
      if (c.type === 'closed' && !c.moved) logout.set(c.jid, later(logout.get(c.jid), c.at)); // a move is no logout
      delta.set(c.jid, (delta.get(c.jid) ?? 0) + (c.type === 'opened' ? 1 : -1));
    }
    return this.ds.transaction(async (m) => {
      const fresh = rowsOf(await m.query('INSERT INTO handled_event (id, handled_at) VALUES ($1, now()) ON CONFLICT DO NOTHING RETURNING id', [eventId]));
      if (fresh.length === 0) return false;
      if (used.size === 0) return true;
      await m.query(
        `INSERT INTO account_activity (jid, created_at, last_used_at) SELECT u.j, u.t, u.t FROM unnest($1::text[], $2::timestamptz[]) AS u(j, t)
         ON CONFLICT (jid) DO UPDATE SET last_used_at = GREATEST(account_activity.last_used_at, EXCLUDED.last_used_at), notice_sent_at = NULL`,
        [[...used.keys()], [...used.values()]],
      );
      if (logout.size)
        await m.query('UPDATE account_activity a SET last_logout_at = GREATEST(a.last_logout_at, u.t) FROM unnest($1::text[], $2::timestamptz[]) AS u(j, t) WHERE a.jid = u.j', [
          [...logout.keys()],
          [...logout.values()],
        ]);
      const changed = [...delta].filter(([, d]) => d !== 0);
      if (changed.length) {
        const jids = changed.map(([j]) => j);
        await m.query(
          `INSERT INTO account_session (jid, instance_id, open) SELECT u.j, $3, u.d FROM unnest($1::text[], $2::int[]) AS u(j, d)
           ON CONFLICT (jid, instance_id) DO UPDATE SET open = account_session.open + EXCLUDED.open`,
          [jids, changed.map(([, d]) => d), instanceId],
        );
        await m.query('DELETE FROM account_session WHERE instance_id = $2 AND jid = ANY($1::text[]) AND open <= 0', [jids, instanceId]);
      }
      return true;
    });
  }

  /** Use of an account: the row exists (first seen now if it predates the janitor), last used moves forward, a pending notice is void. */
  private async touch(m: Q, jid: string, at: Date): Promise<void> {
    await m.query(
      `INSERT INTO account_activity (jid, created_at, last_used_at) VALUES ($1, $2, $2)
       ON CONFLICT (jid) DO UPDATE SET last_used_at = GREATEST(account_activity.last_used_at, EXCLUDED.last_used_at), notice_sent_at = NULL`,
      [jid, at],
    );
  }

  async activity(jid: string): Promise<ActivityRow | undefined> {
    const rows: any[] = await this.ds.query(
      `SELECT a.*, COALESCE((SELECT sum(open) FROM account_session s WHERE s.jid = a.jid), 0)::int AS open_sessions FROM account_activity a WHERE a.jid = $1`,
      [jid],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      jid: r.jid,
      createdAt: new Date(r.created_at),
      lastUsedAt: new Date(r.last_used_at),
      lastLogoutAt: r.last_logout_at ? new Date(r.last_logout_at) : undefined,
      exempt: r.exempt,
      hidden: r.hidden,
      noticeSentAt: r.notice_sent_at ? new Date(r.notice_sent_at) : undefined,
      openSessions: r.open_sessions,
    };
  }

  async setHidden(jid: string, hidden: boolean, now: Date): Promise<void> {
    await this.ds.query(
      `INSERT INTO account_activity (jid, created_at, last_used_at, hidden) VALUES ($1, $2, $2, $3)
       ON CONFLICT (jid) DO UPDATE SET hidden = EXCLUDED.hidden`,
      [jid, now, hidden],
    );
  }

  async setExempt(jid: string, exempt: boolean): Promise<boolean> {
    return rowsOf(await this.ds.query('UPDATE account_activity SET exempt = $2 WHERE jid = $1 RETURNING jid', [jid, exempt])).length > 0;
  }

  async noticeCandidates(usedBefore: Date, limit: number): Promise<string[]> {
    const rows: Array<{ jid: string }> = await this.ds.query(
      `SELECT a.jid FROM account_activity a
       WHERE NOT a.exempt AND a.notice_sent_at IS NULL AND a.last_used_at < $1
         AND NOT EXISTS (SELECT 1 FROM account_session s WHERE s.jid = a.jid)
       ORDER BY a.last_used_at LIMIT $2`,
      [usedBefore, limit],
    );
    return rows.map((r) => r.jid);
  }

  async claimNotice(jid: string, at: Date): Promise<boolean> {
    return rowsOf(await this.ds.query('UPDATE account_activity SET notice_sent_at = $2 WHERE jid = $1 AND notice_sent_at IS NULL RETURNING jid', [jid, at])).length > 0;
  }

  async releaseNotice(jid: string): Promise<void> {
    await this.ds.query('UPDATE account_activity SET notice_sent_at = NULL WHERE jid = $1', [jid]);
  }

  async deletionCandidates(usedBefore: Date, noticedBefore: Date | undefined, limit: number): Promise<string[]> {
    const rows: Array<{ jid: string }> = await this.ds.query(
      `SELECT a.jid FROM account_activity a
       WHERE NOT a.exempt AND a.last_used_at < $1
         AND ($2::timestamptz IS NULL OR (a.notice_sent_at IS NOT NULL AND a.notice_sent_at <= $2))
         AND NOT EXISTS (SELECT 1 FROM account_session s WHERE s.jid = a.jid)
       ORDER BY a.last_used_at LIMIT $3`,
      [usedBefore, noticedBefore ?? null, limit],
    );
    return rows.map((r) => r.jid);
  }

  async markUsed(jid: string, at: Date): Promise<void> {
    await this.ds.query('UPDATE account_activity SET last_used_at = GREATEST(last_used_at, $2), notice_sent_at = NULL WHERE jid = $1', [jid, at]);
  }

  async forget(jid: string): Promise<void> {
    await this.ds.query('DELETE FROM account_activity WHERE jid = $1', [jid]);
  }

  async instancesWithSessions(): Promise<string[]> {
    const rows: Array<{ instance_id: string }> = await this.ds.query('SELECT DISTINCT instance_id FROM account_session');
    return rows.map((r) => r.instance_id);
  }

  dropInstance(instanceId: string, at: Date): Promise<number> {
    return this.ds.transaction(async (m) => {
      await m.query(
        `UPDATE account_activity a SET last_used_at = GREATEST(a.last_used_at, $2)
         FROM account_session s WHERE s.jid = a.jid AND s.instance_id = $1`,
        [instanceId, at],
      );
      return deleted(m, 'DELETE FROM account_session WHERE instance_id = $1', [instanceId]);
    });
  }

  logFailure(eventId: string, f: FailureRecord): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const rows = rowsOf(await m.query(
        `INSERT INTO delivery_failure (event_id, source, from_jid, to_jid, kind, reason, detail, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
        [eventId, f.source, f.from ?? null, f.to, f.kind, f.reason, f.detail ?? null, f.at],
      ));
      if (rows.length === 0) return false;
      await bump(m, f.at, `delivery-failures.${statReason(f.reason)}`);
      return true;
    });
  }

  async queryFailures(q: { jid?: string; since?: Date; limit: number }): Promise<DeliveryErrorsResult> {
    const where = `($1::text IS NULL OR from_jid = $1 OR to_jid = $1) AND ($2::timestamptz IS NULL OR at >= $2)`;
    const params = [q.jid ?? null, q.since ?? null];
    // one snapshot for both, or a failure logged in between is counted but not listed
    const [rows, counts] = await this.ds.transaction('REPEATABLE READ', async (m): Promise<[any[], Array<{ reason: string; n: number }>]> => [
      await m.query(`SELECT * FROM delivery_failure WHERE ${where} ORDER BY at DESC, seq DESC LIMIT $3`, [...params, q.limit]),
      await m.query(`SELECT reason, count(*)::int AS n FROM delivery_failure WHERE ${where} GROUP BY reason`, params),
    ]);
    const countsByReason: Record<string, number> = {};
    for (const c of counts) countsByReason[c.reason] = c.n;
    return {
      items: rows.map((r) => ({
        source: r.source,
        ...(r.from_jid ? { from: r.from_jid } : {}),
        to: r.to_jid,
        kind: r.kind,
        reason: r.reason,
        ...(r.detail ? { detail: r.detail } : {}),
        at: new Date(r.at).toISOString(),
      })),
      countsByReason,
      total: counts.reduce((n, c) => n + c.n, 0),
    };
  }

  async sweepFailures(before: Date): Promise<number> {
    return deleted(this.ds, 'DELETE FROM delivery_failure WHERE at < $1', [before]);
  }

  async recordSweeps(entries: Array<Omit<RetentionReportEntry, 'at'> & { at: Date }>, event?: EventEnvelope): Promise<void> {
    await this.ds.transaction(async (m) => {
      for (const e of entries) {
        await m.query('INSERT INTO retention_report (owner, what, deleted, cutoff, oldest_remaining, error, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          e.owner,
          e.what,
          e.deleted,
          e.cutoff ?? null,
          e.oldestRemaining ?? null,
          e.error ?? null,
          e.at,
        ]);
        if (!e.error) await bump(m, e.at, 'sweeps');
      }
      if (event) await enqueueOutbox(m, event);
    });
    if (event) await this.committed();
  }

  async report(limit: number): Promise<RetentionReportResult> {
    const latest: any[] = await this.ds.query('SELECT DISTINCT ON (owner, what) * FROM retention_report ORDER BY owner, what, at DESC, seq DESC');
    const recent: any[] = await this.ds.query('SELECT * FROM retention_report ORDER BY at DESC, seq DESC LIMIT $1', [limit]);
    return { latest: latest.map(reportEntry), recent: recent.map(reportEntry) };
  }

  async confirmErasure(c: { deletionId: string; owner: string; at: Date; erased: Record<string, number> }): Promise<void> {
    await this.ds.query(
      'INSERT INTO erasure_confirmation (deletion_id, owner, confirmed_at, erased) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [c.deletionId, c.owner, c.at, JSON.stringify(c.erased)],
    );
  }

  async erasures(q: { pending: boolean; limit: number; owners: readonly string[] }): Promise<ErasureEntry[]> {
    // Deletions the janitor saw, and confirmations of deletions it has not seen yet.
    const rows: Array<{ deletion_id: string; reason: string | null; deleted_at: Date | null; confirmations: Array<{ owner: string; at: string; erased: Record<string, number> }> | null }> =
      await this.ds.query(
        `WITH ids AS (
           SELECT deletion_id, deleted_at AS t FROM erasure
           UNION SELECT deletion_id, min(confirmed_at) FROM erasure_confirmation WHERE deletion_id NOT IN (SELECT deletion_id FROM erasure) GROUP BY deletion_id)
         SELECT ids.deletion_id, e.reason, e.deleted_at,
                (SELECT json_agg(json_build_object('owner', c.owner, 'at', c.confirmed_at, 'erased', c.erased))
                   FROM erasure_confirmation c WHERE c.deletion_id = ids.deletion_id) AS confirmations
         FROM ids LEFT JOIN erasure e ON e.deletion_id = ids.deletion_id
         WHERE NOT $1::boolean OR (SELECT count(DISTINCT owner) FROM erasure_confirmation c WHERE c.deletion_id = ids.deletion_id AND c.owner = ANY($2::text[])) < cardinality($2::text[])
         ORDER BY ids.t DESC LIMIT $3`,
        [q.pending, [...q.owners], q.limit],
      );
    return rows.map((r) => {
      const confirmed: ErasureEntry['confirmed'] = {};
      for (const c of r.confirmations ?? []) confirmed[c.owner] = { at: new Date(c.at).toISOString(), erased: c.erased };
      return {
        deletionId: r.deletion_id,
        reason: r.reason ?? undefined,
        deletedAt: r.deleted_at?.toISOString(),
        confirmed,
        missing: q.owners.filter((o) => !confirmed[o]),
      };
    });
  }

  async sweepErasures(before: Date): Promise<number> {
    await this.ds.query('DELETE FROM erasure_confirmation WHERE confirmed_at < $1', [before]);
    return deleted(this.ds, 'DELETE FROM erasure WHERE deleted_at < $1', [before]);
  }

  async sweepReports(before: Date): Promise<number> {
    return deleted(this.ds, 'DELETE FROM retention_report WHERE at < $1', [before]);
  }

  async sweepHandled(before: Date): Promise<number> {
    return deleted(this.ds, 'DELETE FROM handled_event WHERE handled_at < $1', [before]);
  }

  snapshotStats(now: Date): Promise<{ registered: number; active: number; exempt: number }> {
    return this.ds.transaction(async (m) => {
      const dayStart = new Date(`${dayOf(now)}T00:00:00.000Z`);
      const [c]: Array<{ registered: number; active: number; exempt: number }> = await m.query(
        `SELECT count(*)::int AS registered,
                count(*) FILTER (WHERE last_used_at >= $1 OR EXISTS (SELECT 1 FROM account_session s WHERE s.jid = a.jid))::int AS active,
                count(*) FILTER (WHERE exempt)::int AS exempt
         FROM account_activity a`,
        [dayStart],
      );
      await m.query(
        `INSERT INTO daily_stat (day, name, value) VALUES ($1, 'registered', $2)
         ON CONFLICT (day, name) DO UPDATE SET value = EXCLUDED.value`,
        [dayOf(now), c.registered],
      );
      await m.query(
        `INSERT INTO daily_stat (day, name, value) VALUES ($1, 'active', $2)
         ON CONFLICT (day, name) DO UPDATE SET value = GREATEST(daily_stat.value, EXCLUDED.value)`,
        [dayOf(now), c.active],
      );
      return c;
    });
  }

  async addDailyCounts(now: Date, values: Record<string, number>): Promise<void> {
    for (const [name, n] of Object.entries(values)) await bump(this.ds, now, name, n);
  }

  async setDailyTotals(now: Date, values: Record<string, number>): Promise<void> {
    for (const [name, value] of Object.entries(values))
      await this.ds.query(`INSERT INTO daily_stat (day, name, value) VALUES ($1, $2, $3) ON CONFLICT (day, name) DO UPDATE SET value = EXCLUDED.value`, [dayOf(now), name, value]);
  }

  async stats(days: number, now: Date): Promise<DailyStats[]> {
    const from = new Date(now.getTime() - (days - 1) * 86_400_000);
    const rows: Array<{ day: string; name: string; value: string }> = await this.ds.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, name, value FROM daily_stat WHERE day >= $1::date ORDER BY day DESC, name`,
      [dayOf(from)],
    );
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const counts = out.get(r.day) ?? {};
      counts[r.name] = Number(r.value);
      out.set(r.day, counts);
    }
    return [...out].map(([day, counts]) => ({ day, counts }));
  }

  async sweepStats(before: Date): Promise<number> {
    return deleted(this.ds, 'DELETE FROM daily_stat WHERE day < $1::date', [dayOf(before)]);
  }
}
