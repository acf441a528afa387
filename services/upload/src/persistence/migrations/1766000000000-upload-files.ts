// Uploads: slots and stored files' metadata.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class UploadFiles1766000000000 implements MigrationInterface {
  name = 'UploadFiles1766000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE upload_file (
        id text NOT NULL,
        user_jid text NOT NULL,
        filename text NOT NULL,
        size bigint NOT NULL,
        content_type text NOT NULL,
        content_type_given boolean NOT NULL,
        purpose text NOT NULL,
        state text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        put_expires_at timestamptz NOT NULL,
        stored_at timestamptz,
        expires_at timestamptz,
        CONSTRAINT upload_file_pkey PRIMARY KEY (id)
      )`);
    await q.query('CREATE INDEX upload_file_user_idx ON upload_file (user_jid)');
    await q.query('CREATE INDEX upload_file_expires_idx ON upload_file (expires_at)');
    await q.query('CREATE INDEX upload_file_state_put_idx ON upload_file (state, put_expires_at)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE upload_file');
  }
}
