// Erasure you can prove: one row per account deletion (the deletion event's id, the
// reason, the time — no JID) and one per owner's confirmation (counts only).
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Erasures1765100000000 implements MigrationInterface {
  name = 'Erasures1765100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE erasure (
        deletion_id text NOT NULL,
        reason text NOT NULL,
        deleted_at timestamptz NOT NULL,
        CONSTRAINT erasure_pkey PRIMARY KEY (deletion_id)
      )`);
    await q.query('CREATE INDEX erasure_deleted_idx ON erasure (deleted_at)');
    await q.query(`
      CREATE TABLE erasure_confirmation (
        deletion_id text NOT NULL,
        owner text NOT NULL,
        confirmed_at timestamptz NOT NULL,
        erased jsonb NOT NULL,
        CONSTRAINT erasure_confirmation_pkey PRIMARY KEY (deletion_id, owner)
      )`);
    await q.query('CREATE INDEX erasure_confirmation_at_idx ON erasure_confirmation (confirmed_at)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE erasure_confirmation');
    await q.query('DROP TABLE erasure');
  }
}
