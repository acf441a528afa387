// The outbox relay against real Postgres: several relays (replicas of a service)
// draining one database publish each subject's events in the order they were queued.
import { randomUUID } from 'node:crypto';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { EventEnvelope } from '@parley/contracts';
import { createTestDatabase, TestDatabase } from '@parley/testing-stack';
import { openDataSource } from './database';
import { enqueueOutbox, OUTBOX_TABLE_SQL, OutboxRelay } from './outbox';

class Outbox1700000000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_TABLE_SQL);
  }
  async down(): Promise<void> {}
}

const event = (subject: string, n: number): EventEnvelope<{ n: number }> => ({
  id: randomUUID(),
  type: subject,
  version: 1,
  occurredAt: new Date().toISOString(),
  data: { n },
});

describe('OutboxRelay (Postgres)', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];
  const open = async () => {
    const ds = await openDataSource({ url: db.url, entities: [], migrations: [Outbox1700000000001] });
    sources.push(ds);
    return ds;
  };

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
  });
  afterAll(async () => {
    for (const ds of sources) await ds.destroy();
    await db.drop();
  });

  it('keeps each subject in queue order when three replicas drain at once', async () => {
    const writer = await open();
    const subjects = ['a', 'b', 'c'];
    for (let n = 0; n < 120; n++) await enqueueOutbox(writer, event(subjects[n % 3], n));
    const published: Array<{ subject: string; n: number }> = [];
    // Publishing takes a random while, as a network round trip does: without the
    // relay's lock, a second replica overtakes the first one's batch.
    const bus = {
      publishEvent: async (e: EventEnvelope, subject?: string) => {
        await new Promise((r) => setTimeout(r, Math.random() * 4));
        published.push({ subject: subject ?? e.type, n: (e.data as { n: number }).n });
      },
    };
    const log = { warn: () => undefined };
    const relays = await Promise.all([0, 1, 2].map(async () => new OutboxRelay(await open(), bus, log, 7)));
    await Promise.all(relays.map((r) => r.flush()));
    expect(published).toHaveLength(120);
    for (const s of subjects) {
      const ns = published.filter((p) => p.subject === s).map((p) => p.n);
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
    }
    expect(await writer.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 0 }]);
  });

  it('leaves what a failed publish did not send for the next flush, in order', async () => {
    const writer = await open();
    for (let n = 0; n < 5; n++) await enqueueOutbox(writer, event('d', n));
    const published: number[] = [];
    let fail = true;
    const bus = {
      publishEvent: async (e: EventEnvelope) => {
        if (fail && (e.data as { n: number }).n === 2) throw new Error('bus down');
        published.push((e.data as { n: number }).n);
      },
    };
    const warned: unknown[] = [];
    const relay = new OutboxRelay(writer, bus, { warn: (o) => warned.push(o) }, 10);
    await relay.tryFlush();
    expect(warned).toHaveLength(1);
    fail = false;
    await relay.flush();
    // 0 and 1 went out before the failure and again with the retried batch (JetStream
    // drops the duplicates by event id); 2..4 only after the retry, in order.
    expect(published).toEqual([0, 1, 0, 1, 2, 3, 4]);
    expect(await writer.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 0 }]);
  });
});
