// The shared transactional outbox (@parley/persistence): `janitor.evt.sweep-recorded`
// (counts only) is queued with the report rows it describes and published by the relay.
import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_TABLE_SQL } from '@parley/persistence';

export class JanitorOutbox1765200000000 implements MigrationInterface {
  name = 'JanitorOutbox1765200000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_TABLE_SQL);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS outbox');
  }
}
