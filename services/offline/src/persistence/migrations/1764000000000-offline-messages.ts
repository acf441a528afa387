// Offline messages, hand-off receipts (de-duplication) and erased-account markers.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class OfflineMessages1764000000000 implements MigrationInterface {
  name = 'OfflineMessages1764000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE offline_message (
        seq bigserial NOT NULL,
        id text NOT NULL,
        user_jid text NOT NULL,
        from_jid text NOT NULL,
        message_type text NOT NULL,
        stanza_id text,
        stanza text NOT NULL,
        arrived_at timestamptz NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT offline_message_pkey PRIMARY KEY (seq),
        CONSTRAINT offline_message_id_key UNIQUE (id)
      )`);
    await q.query('CREATE INDEX offline_message_user_order_idx ON offline_message (user_jid, arrived_at, seq)');
    await q.query('CREATE INDEX offline_message_arrived_idx ON offline_message (arrived_at)');
    await q.query(`
      CREATE TABLE hand_off_receipt (
        id text NOT NULL,
        outcome text NOT NULL,
        reason text,
        detail text,
        decided_at timestamptz NOT NULL,
        CONSTRAINT hand_off_receipt_pkey PRIMARY KEY (id)
      )`);
    await q.query('CREATE INDEX hand_off_receipt_decided_idx ON hand_off_receipt (decided_at)');
    await q.query(`
      CREATE TABLE erased_account (
        user_hash text NOT NULL,
        erased_at timestamptz NOT NULL,
        CONSTRAINT erased_account_pkey PRIMARY KEY (user_hash)
      )`);
    await q.query('CREATE INDEX erased_account_erased_idx ON erased_account (erased_at)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE erased_account');
    await q.query('DROP TABLE hand_off_receipt');
    await q.query('DROP TABLE offline_message');
  }
}
