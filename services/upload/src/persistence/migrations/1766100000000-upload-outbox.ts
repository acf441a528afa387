// The shared transactional outbox (@parley/persistence): the sweep's counts
// (`upload.evt.swept`) are queued in `outbox` and published by the OutboxRelay.
import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_TABLE_SQL } from '@parley/persistence';

export class UploadOutbox1766100000000 implements MigrationInterface {
  name = 'UploadOutbox1766100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_TABLE_SQL);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS outbox');
  }
}
