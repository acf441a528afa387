// Publishes events committed to the outbox: right after each commit, and on a
// timer for what a failed publish left behind. JetStream drops duplicates by
// event id, so publishing twice (a crash between publish and delete) is harmless.
import { DataSource } from 'typeorm';
import type { EventEnvelope } from '@parley/contracts';
import type { Bus } from '@parley/nats';

/** Minimal logger. */
export interface OutboxLogger {
  warn(obj: object, msg?: string): void;
}

export class OutboxRelay {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: Bus,
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
      const rows: Array<{ seq: string; subject: string; envelope: EventEnvelope }> = await m.query(
        'SELECT seq, subject, envelope FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED',
        [this.batch],
      );
      if (!rows.length) return false;
      for (const r of rows) await this.bus.publishEvent(r.envelope, r.subject);
      await m.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      return rows.length === this.batch;
    });
  }
}
