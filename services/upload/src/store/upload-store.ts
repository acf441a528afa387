// The upload database: slots, quotas, the PUT life cycle, retention and erasure. Plain
// SQL on the service's DataSource; quota checks and reservations happen under one
// advisory lock so that replicas cannot overshoot a quota together.
import type { EventEnvelope } from '@parley/contracts';
import { enqueueOutbox } from '@parley/persistence';
import { DataSource } from 'typeorm';

/** Advisory lock key of slot reservations (any constant unique within this database). */
const RESERVE_LOCK = 363_0363;

export interface FileRow {
  id: string;
  userJid: string;
  filename: string;
  size: number;
  contentType: string;
  contentTypeGiven: boolean;
  purpose: string;
  state: 'reserved' | 'uploading' | 'stored';
  putExpiresAt: Date;
  storedAt: Date | null;
  expiresAt: Date | null;
}

const COLUMNS = `id, user_jid AS "userJid", filename, size::float8 AS size, content_type AS "contentType", content_type_given AS "contentTypeGiven", purpose, state,
  put_expires_at AS "putExpiresAt", stored_at AS "storedAt", expires_at AS "expiresAt"`;

/** Bytes counted against quotas: stored files, uploads in progress, slots still valid. */
const HELD = `(state IN ('stored', 'uploading') OR (state = 'reserved' AND put_expires_at > now()))`;

export type ReserveOutcome = { ok: true } | { ok: false; scope: 'user' | 'server'; retryAt: Date };

export class UploadStore {
  /** `committed` runs after a commit that queued events (the outbox relay's flush, which never throws). */
  constructor(
    private readonly ds: DataSource,
    private readonly committed: () => Promise<void> | void = () => undefined,
  ) {}

  /** Totals for statistics (no JIDs): stored files, their bytes, and those stored since `dayStart`. */
  async totals(dayStart: Date): Promise<{ files: number; bytes: number; storedToday: number }> {
    const [r]: Array<{ files: number; bytes: number; today: number }> = await this.ds.query(
      `SELECT count(*)::int AS files, COALESCE(sum(size), 0)::float8 AS bytes, count(*) FILTER (WHERE stored_at >= $1)::int AS today FROM upload_file WHERE state = 'stored'`,
      [dayStart],
    );
    return { files: r.files, bytes: r.bytes, storedToday: r.today };
  }

  /** Queues an event in the outbox (its own transaction: a sweep's counts, after its deletions). */
  async queue(event: EventEnvelope): Promise<void> {
    await enqueueOutbox(this.ds, event);
    await this.committed();
  }

  /**
   * Reserves a slot when the user's and the server's quotas allow `size` more bytes;
   * otherwise says when enough will have been released (expiring files and slots).
   */
  async reserve(
    row: Omit<FileRow, 'state' | 'storedAt' | 'expiresAt'>,
    quotas: { user: number; server: number },
  ): Promise<ReserveOutcome> {
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [RESERVE_LOCK]);
      const [u] = await m.query(`SELECT coalesce(sum(size), 0)::float8 AS held FROM upload_file WHERE user_jid = $1 AND ${HELD}`, [row.userJid]);
      if (u.held + row.size > quotas.user) return { ok: false, scope: 'user', retryAt: await this.releaseTime(m, u.held + row.size - quotas.user, row.userJid) };
      const [all] = await m.query(`SELECT coalesce(sum(size), 0)::float8 AS held FROM upload_file WHERE ${HELD}`);
      if (all.held + row.size > quotas.server) return { ok: false, scope: 'server', retryAt: await this.releaseTime(m, all.held + row.size - quotas.server) };
      await m.query(
        `INSERT INTO upload_file (id, user_jid, filename, size, content_type, content_type_given, purpose, state, put_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserved', $8)`,
        [row.id, row.userJid, row.filename, row.size, row.contentType, row.contentTypeGiven, row.purpose, row.putExpiresAt],
      );
      return { ok: true };
    });
  }

  /** The earliest time by which `excess` bytes (of the user, or of everyone) will have been released by expiry. */
  private async releaseTime(m: { query: DataSource['query'] }, excess: number, user?: string): Promise<Date> {
    const rows: Array<{ at: Date; size: number }> = await m.query(
      `SELECT CASE WHEN state = 'stored' THEN expires_at ELSE put_expires_at END AS at, size::float8 AS size
         FROM upload_file WHERE ${HELD} ${user ? 'AND user_jid = $1' : ''} ORDER BY at LIMIT 10000`,
      user ? [user] : [],
    );
    let freed = 0;
    for (const r of rows) {
      freed += r.size;
      if (freed >= excess && r.at) return new Date(Math.max(new Date(r.at).getTime(), Date.now()) + 1000);
    }
    // Uploads in progress release nothing by a date: try again in a minute.
    return new Date(Date.now() + 60_000);
  }

  async find(id: string): Promise<FileRow | undefined> {
    const rows: FileRow[] = await this.ds.query(`SELECT ${COLUMNS} FROM upload_file WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Claims a reserved, unexpired slot for one PUT (with the type it is served with when the
   * slot named none); undefined when it is not (any more) reserved.
   */
  async claim(id: string, contentType: string): Promise<FileRow | undefined> {
    const rows = returning<FileRow>(
      await this.ds.query(
        `UPDATE upload_file SET state = 'uploading', content_type = CASE WHEN content_type_given THEN content_type ELSE $2 END
          WHERE id = $1 AND state = 'reserved' AND put_expires_at > now() RETURNING ${COLUMNS}`,
        [id, contentType],
      ),
    );
    return rows[0];
  }

  /** The PUT completed: stored from now until now + `retentionMs`. False when the row vanished meanwhile (account deleted). */
  async stored(id: string, retentionMs: number): Promise<boolean> {
    const rows = await this.ds.query(
      `UPDATE upload_file SET state = 'stored', stored_at = now(), expires_at = now() + ($2::float8 * interval '1 millisecond') WHERE id = $1 AND state = 'uploading' RETURNING id`,
      [id, retentionMs],
    );
    return returning(rows).length === 1;
  }

  /** The PUT failed: the slot may be used again until it expires. */
  async release(id: string): Promise<void> {
    await this.ds.query(`UPDATE upload_file SET state = 'reserved' WHERE id = $1 AND state = 'uploading'`, [id]);
  }

  /** Stored files whose retention ran out, oldest first (a batch). */
  async expired(limit: number): Promise<Array<{ id: string; size: number }>> {
    return this.ds.query(`SELECT id, size::float8 AS size FROM upload_file WHERE state = 'stored' AND expires_at <= now() ORDER BY expires_at LIMIT $1`, [limit]);
  }

  /** Slots in `state` whose PUT URL expired before `before` (a batch of ids). */
  async abandoned(state: 'reserved' | 'uploading', before: Date, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(`SELECT id FROM upload_file WHERE state = $1 AND put_expires_at < $2 ORDER BY put_expires_at LIMIT $3`, [state, before, limit]);
    return rows.map((r) => r.id);
  }

  /** Deletes rows (only those still in `state`, when given); returns the ids deleted. */
  async deleteRows(ids: string[], state?: FileRow['state']): Promise<string[]> {
    if (!ids.length) return [];
    const rows = state
      ? await this.ds.query(`DELETE FROM upload_file WHERE id = ANY($1) AND state = $2 RETURNING id`, [ids, state])
      : await this.ds.query(`DELETE FROM upload_file WHERE id = ANY($1) RETURNING id`, [ids]);
    return returning<{ id: string }>(rows).map((r) => r.id);
  }

  /** A user's stored files, in id order, after the id `after` (a page). */
  async storedOf(user: string, after: string | undefined, limit: number): Promise<FileRow[]> {
    return this.ds.query(
      `SELECT ${COLUMNS} FROM upload_file WHERE user_jid = $1 AND state = 'stored' AND expires_at > now() AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [user, after ?? null, limit],
    );
  }

  /** Every file id of a user (any state), a batch at a time. */
  async ofUser(user: string, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(`SELECT id FROM upload_file WHERE user_jid = $1 LIMIT $2`, [user, limit]);
    return rows.map((r) => r.id);
  }
}

/** Rows of `UPDATE/DELETE ... RETURNING`: TypeORM's pg driver answers those with `[rows, count]`. */
function returning<T = unknown>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return Array.isArray(result) ? (result as T[]) : [];
}
