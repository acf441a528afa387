// The one publish-after-commit pattern of every service (a transactional outbox):
// a handler inserts its events into the service's `outbox` table in the same
// transaction as the change they describe (`enqueueOutbox`), and this relay publishes
// them right after each commit, and on the scheduler for what a failed publish left
// behind. The table is created by `OUTBOX_TABLE_SQL` in the service's migration. JetStream drops duplicates by
// event id, so publishing twice (a crash between publish and delete) is harmless.
//
// Order: one relay at a time drains a database (a transaction-scoped advisory lock;
// replicas of a service wait for each other), oldest first, one publish after the
// other, so the events of one subject reach the stream in the order they were queued.
// A service that needs per-subject order (a last-value stream such as ARCHIVE_PREFS)
// must queue the events of one subject in commit order: change the row the subject is
// about (taking its lock) before `enqueueOutbox`, in the same transaction.
import { DataSource } from 'typeorm';
import type { EventEnvelope } from '@parley/contracts';
import type { Bus } from '@parley/nats';

/** Minimal logger. */
export interface OutboxLogger {
  warn(obj: object, msg?: string): void;
}

/** Inserts an event into the outbox inside the caller's transaction (`q` runs SQL on it). */
export async function enqueueOutbox(q: { query(sql: string, params?: unknown[]): Promise<unknown> }, event: EventEnvelope, subject: string = event.type): Promise<void> {
  await q.query('INSERT INTO outbox (subject, envelope) VALUES ($1, $2)', [subject, JSON.stringify(event)]);
}

/** The DDL of the outbox table, for a service's migration. */
export const OUTBOX_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS outbox (
    seq bigserial PRIMARY KEY,
    subject text NOT NULL,
    envelope jsonb NOT NULL
  )`;

/** The advisory lock (per database) a relay holds while it drains a batch. */
export const OUTBOX_LOCK_KEY = 0x0b0c5e1a7;

export class OutboxRelay {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: Pick<Bus, 'publishEvent'>,
    private readonly log: OutboxLogger,
    private readonly batch = 100,
  ) {}

  /** Publishes everything in the outbox, oldest first; concurrent calls share one run. */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        while (await this.drainBatch()) {
          /* next batch */
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Like flush, but never throws (logs instead): the timer will retry. */
  async tryFlush(): Promise<void> {
    try {
      await this.flush();
    } catch (err) {
      this.log.warn({ err }, 'outbox publish failed; will retry');
    }
  }

  /** Publishes one batch; returns whether a full batch was found (more may wait). */
  private drainBatch(): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      // Another replica draining holds the lock: wait, then continue after what it published.
      await m.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_LOCK_KEY]);
      const rows: Array<{ seq: string; subject: string; envelope: EventEnvelope }> = await m.query(
        'SELECT seq, subject, envelope FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE',
        [this.batch],
      );
      if (!rows.length) return false;
      for (const r of rows) await this.bus.publishEvent(r.envelope, r.subject);
      await m.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      return rows.length === this.batch;
    });
  }
}
