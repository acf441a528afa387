// Accounts table: username and SCRAM-SHA-1/-256 keys with salts and iteration counts.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1763900000000 implements MigrationInterface {
  name = 'Accounts1763900000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        username text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        sha1_salt bytea NOT NULL,
        sha1_iterations int NOT NULL CHECK (sha1_iterations >= 4096),
        sha1_stored_key bytea NOT NULL,
        sha1_server_key bytea NOT NULL,
        sha256_salt bytea NOT NULL,
        sha256_iterations int NOT NULL CHECK (sha256_iterations >= 4096),
        sha256_stored_key bytea NOT NULL,
        sha256_server_key bytea NOT NULL
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE accounts');
  }
}
