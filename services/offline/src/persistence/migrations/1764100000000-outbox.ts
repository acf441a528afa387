// The shared outbox (@parley/persistence): events committed with the change they describe.
import { OUTBOX_TABLE_SQL } from '@parley/persistence';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Outbox1764100000000 implements MigrationInterface {
  name = 'Outbox1764100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_TABLE_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox');
  }
}
