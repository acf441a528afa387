// The gateway's transactional outbox (@parley/persistence): an account deletion and its
// gateway.evt.account-deleted commit together. Username tombstones: a deleted username
// (only the name and when it was deleted) cannot be registered again for USERNAME_TOMBSTONE.
import { OUTBOX_TABLE_SQL } from '@parley/persistence';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class OutboxTombstones1765100000000 implements MigrationInterface {
  name = 'OutboxTombstones1765100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_TABLE_SQL);
    await q.query(`
      CREATE TABLE username_tombstones (
        username text PRIMARY KEY,
        deleted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX username_tombstones_deleted_at ON username_tombstones (deleted_at)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE username_tombstones');
    await q.query('DROP TABLE outbox');
  }
}
