// Postgres implementation of the archive store. Queries are hand-written SQL: paging
// compares the row value (ts, seq) so every page is an index range scan on
// (owner, ts, seq) or (owner, with_bare, ts, seq), whatever the archive's size.
import type { ArchivePrefsV1 } from '@parley/contracts';
import { enqueueOutbox } from '@parley/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { ArchiveDomainError } from '../domain/errors';
import { LookupPlan, referencedIds } from '../domain/lookup';
import { defaultPrefs } from '../domain/prefs';
import type { StoreDecision } from '../domain/store-decision';
import type { ArchiveBounds, ArchiveRow, ArchiveStore, LookupPage, OutboxEvent, StoreOutcome, StoredPrefs, SweepResult } from './archive-store';

/** Rows deleted per statement by sweeps and erasure (keeps locks and WAL bursts short). */
const DELETE_BATCH = 5000;

// Exact (microsecond) text form of ts, so a key read back compares equal in SQL.
const TS_KEY = `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface PrefsRow {
  jid: string;
  default_pref: ArchivePrefsV1['default'];
  always_jids: string[];
  never_jids: string[];
  version: number;
}

interface MessageRow {
  stanza_id: string;
  ts: Date;
  stanza: string;
  with_bare: string;
  direction: 'i' | 'o';
  seq: string;
  ts_key: string;
}

const toPrefs = (r: PrefsRow): StoredPrefs => ({
  jid: r.jid,
  default: r.default_pref,
  always: r.always_jids,
  never: r.never_jids,
  version: r.version,
});

const toRow = (r: MessageRow): ArchiveRow => ({
  id: r.stanza_id,
  ts: r.ts,
  stanza: r.stanza,
  withBare: r.with_bare,
  direction: r.direction === 'o' ? 'out' : 'in',
});

export class PgArchiveStore implements ArchiveStore {
  /**
   * `committed` runs after every commit that queued events (the outbox relay's flush,
   * which never throws): a prefs change is answered once its event is out, when NATS is up.
   */
  constructor(
    private readonly ds: DataSource,
    private readonly committed: () => Promise<void> | void = () => undefined,
  ) {}

  /** Builds the store over an explicit data source (bench, tools): queued events wait for a relay. */
  static over(ds: DataSource): PgArchiveStore {
    return new PgArchiveStore(ds);
  }

  async getPrefs(jid: string): Promise<StoredPrefs | undefined> {
    const rows: PrefsRow[] = await this.ds.query('SELECT * FROM archive_prefs WHERE jid = $1', [jid]);
    return rows[0] ? toPrefs(rows[0]) : undefined;
  }

  async setPrefs(jid: string, prefs: ArchivePrefsV1, changed: (row: StoredPrefs) => OutboxEvent): Promise<StoredPrefs> {
    const row = await this.ds.transaction(async (em: EntityManager) => {
      // The upsert locks the user's row until commit, so two changes of one user queue
      // their events in commit order (the relay keeps that order on the user's subject).
      const rows: PrefsRow[] = await em.query(
      `INSERT INTO archive_prefs (jid, default_pref, always_jids, never_jids)
       VALUES ($1, $2, $3::text[], $4::text[])
       ON CONFLICT (jid) DO UPDATE SET
         default_pref = EXCLUDED.default_pref,
         always_jids = EXCLUDED.always_jids,
         never_jids = EXCLUDED.never_jids,
         version = archive_prefs.version + 1,
         updated_at = now()
       RETURNING *`,
        [jid, prefs.default, prefs.always, prefs.never],
      );
      const stored = toPrefs(rows[0]);
      const e = changed(stored);
      await enqueueOutbox(em, e.event, e.subject);
      return stored;
    });
    await this.committed();
    return row;
  }

  async optedIn(after: string | undefined, limit: number): Promise<StoredPrefs[]> {
    const rows: PrefsRow[] = await this.ds.query(
      `SELECT * FROM archive_prefs
       WHERE (default_pref <> 'never' OR cardinality(always_jids) > 0) AND ($1::text IS NULL OR jid > $1)
       ORDER BY jid LIMIT $2`,
      [after ?? null, limit],
    );
    return rows.map(toPrefs);
  }

  async storeIfAllowed(owner: string, decide: (prefs: ArchivePrefsV1) => StoreDecision): Promise<StoreOutcome> {
    return this.ds.transaction(async (em: EntityManager) => {
      // FOR SHARE: a concurrent prefs change waits for this insert, and an insert that
      // starts after the change sees it, so "never" stops archiving at once.
      const rows: PrefsRow[] = await em.query('SELECT * FROM archive_prefs WHERE jid = $1 FOR SHARE', [owner]);
      const prefs = rows[0] ? toPrefs(rows[0]) : defaultPrefs();
      const d = decide(prefs);
      if (!d.store) return { stored: false, reason: d.reason };
      const r = d.record;
      const inserted: unknown[] = await em.query(
        `INSERT INTO archive_messages (owner, stanza_id, ts, with_bare, with_full, direction, stanza)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (owner, stanza_id) DO NOTHING RETURNING seq`,
        [r.owner, r.stanzaId, r.ts, r.withBare, r.withFull, r.direction === 'out' ? 'o' : 'i', r.stanza],
      );
      return { stored: true, duplicate: inserted.length === 0 };
    });
  }

  async lookup(plan: LookupPlan): Promise<LookupPage> {
    const refs = referencedIds(plan);
    const keys = new Map<string, { ts: string; seq: string }>();
    if (refs.length) {
      const found: Array<{ stanza_id: string; seq: string; ts_key: string }> = await this.ds.query(
        `SELECT stanza_id, seq::text AS seq, ${TS_KEY} AS ts_key FROM archive_messages WHERE owner = $1 AND stanza_id = ANY($2::text[])`,
        [plan.owner, refs],
      );
      for (const f of found) keys.set(f.stanza_id, { ts: f.ts_key, seq: f.seq });
      if (refs.some((id) => !keys.has(id))) throw ArchiveDomainError.unknownId();
    }

    const params: unknown[] = [plan.owner];
    const arg = (v: unknown, cast = ''): string => {
      params.push(v);
      return `$${params.length}${cast}`;
    };
    const keyOf = (id: string): string => {
      const k = keys.get(id)!;
      return `(${arg(k.ts, '::timestamptz')}, ${arg(k.seq, '::bigint')})`;
    };
    const where = ['owner = $1'];
    if (plan.withBare !== undefined) where.push(`with_bare = ${arg(plan.withBare)}`);
    if (plan.withFull !== undefined) where.push(`with_full = ${arg(plan.withFull)}`);
    if (plan.start) where.push(`ts >= ${arg(plan.start)}`);
    if (plan.end) where.push(`ts <= ${arg(plan.end)}`);
    if (plan.afterId !== undefined) where.push(`(ts, seq) > ${keyOf(plan.afterId)}`);
    if (plan.beforeId !== undefined) where.push(`(ts, seq) < ${keyOf(plan.beforeId)}`);
    if (plan.ids !== undefined) where.push(`stanza_id = ANY(${arg(plan.ids, '::text[]')})`);
    const filter = where.join(' AND ');
    const filterParams = params.length;

    const forward = plan.direction === 'forward';
    const page = [filter];
    if (plan.cursor !== undefined) page.push(`(ts, seq) ${forward ? '>' : '<'} ${keyOf(plan.cursor)}`);
    // Qualified: a bare `seq` in ORDER BY would name the text output column below and sort
    // ties lexicographically ('10' before '9'), out of step with the (ts, seq) key and the index.
    const order = forward ? 'archive_messages.ts ASC, archive_messages.seq ASC' : 'archive_messages.ts DESC, archive_messages.seq DESC';
    const fetched: MessageRow[] = await this.ds.query(
      `SELECT stanza_id, ts, stanza, with_bare, direction, seq::text AS seq, ${TS_KEY} AS ts_key
       FROM archive_messages WHERE ${page.join(' AND ')}
       ORDER BY ${order} LIMIT ${plan.max + 1} OFFSET ${forward ? plan.offset : 0}`,
      params,
    );
    const complete = fetched.length <= plan.max;
    const pageRows = fetched.slice(0, plan.max);
    if (!forward) pageRows.reverse();

    const result: LookupPage = { rows: pageRows.map(toRow), complete };
    if (plan.count) {
      const first = pageRows[0];
      const countParams = params.slice(0, filterParams);
      if (where.length === 1) {
        // The whole archive: its size is kept by triggers (archive_counts); the page's
        // index is what precedes it, counted from the end (paging is mostly near the end,
        // so the scan is short) — or, on a first page from the start, the offset.
        const [t]: Array<{ n: string }> = await this.ds.query('SELECT n::text AS n FROM archive_counts WHERE owner = $1', [plan.owner]);
        result.count = t ? Number(t.n) : 0;
        if (first) {
          if (forward && plan.cursor === undefined) result.firstIndex = plan.offset;
          else {
            const [c]: Array<{ from: number }> = await this.ds.query(
              `SELECT count(*)::int AS from FROM archive_messages WHERE ${filter} AND (ts, seq) >= ($2::timestamptz, $3::bigint)`,
              [...countParams, first.ts_key, first.seq],
            );
            result.firstIndex = Math.max(0, result.count - c.from);
          }
        }
        return result;
      }
      // Same filter, no paging: the total, and how many precede the page's first item.
      let sql = `SELECT count(*)::int AS total`;
      if (first) {
        countParams.push(first.ts_key, first.seq);
        sql += `, count(*) FILTER (WHERE (ts, seq) < ($${countParams.length - 1}::timestamptz, $${countParams.length}::bigint))::int AS before`;
      }
      const [c]: Array<{ total: number; before?: number }> = await this.ds.query(`${sql} FROM archive_messages WHERE ${filter}`, countParams);
      result.count = c.total;
      if (first) result.firstIndex = c.before;
    }
    return result;
  }

  async bounds(owner: string): Promise<ArchiveBounds> {
    const one = async (dir: 'ASC' | 'DESC') => {
      const rows: Array<{ stanza_id: string; ts: Date }> = await this.ds.query(
        `SELECT stanza_id, ts FROM archive_messages WHERE owner = $1 ORDER BY ts ${dir}, seq ${dir} LIMIT 1`,
        [owner],
      );
      return rows[0] ? { id: rows[0].stanza_id, ts: rows[0].ts } : undefined;
    };
    const start = await one('ASC');
    if (!start) return {};
    return { start, end: await one('DESC') };
  }

  async sweep(cutoff: Date, swept: (r: SweepResult) => OutboxEvent): Promise<SweepResult> {
    const deleted = await this.deleteInBatches('ts < $1', [cutoff]);
    const [{ oldest }]: Array<{ oldest: Date | null }> = await this.ds.query('SELECT min(ts) AS oldest FROM archive_messages');
    const r: SweepResult = { deleted, oldestRemaining: oldest ?? undefined };
    const e = swept(r);
    await enqueueOutbox(this.ds, e.event, e.subject);
    await this.committed();
    return r;
  }

  async totals(): Promise<{ optedIn: number; messages: number }> {
    const [r]: Array<{ opted_in: number; messages: number }> = await this.ds.query(
      `SELECT (SELECT count(*) FROM archive_prefs WHERE default_pref <> 'never' OR cardinality(always_jids) > 0)::int AS opted_in,
              (SELECT coalesce(sum(n), 0) FROM archive_counts)::int AS messages`,
    );
    return { optedIn: r.opted_in, messages: r.messages };
  }

  async eraseUser(jid: string, prefsSubject: string): Promise<{ messages: number; prefs: number }> {
    const messages = await this.deleteInBatches('owner = $1', [jid]);
    const gone = await this.ds.transaction(async (em: EntityManager) => {
      const deleted: unknown[] = await em.query('DELETE FROM archive_prefs WHERE jid = $1 RETURNING jid', [jid]);
      // A relay publishing one of these holds its row: this waits until it has been
      // published, so the caller's purge of the subject comes after it.
      await em.query('DELETE FROM outbox WHERE subject = $1', [prefsSubject]);
      return deleted;
    });
    // A store command racing the erasure commits after it only if the user still had prefs,
    // which are gone now: one more pass removes anything that slipped in.
    const late = await this.deleteInBatches('owner = $1', [jid]);
    return { messages: messages + late, prefs: gone.length };
  }

  private async deleteInBatches(cond: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const [r]: Array<{ n: number }> = await this.ds.query(
        `WITH d AS (
           DELETE FROM archive_messages WHERE seq IN (SELECT seq FROM archive_messages WHERE ${cond} LIMIT ${DELETE_BATCH})
           RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        params,
      );
      total += r.n;
      if (r.n < DELETE_BATCH) return total;
    }
  }
}
