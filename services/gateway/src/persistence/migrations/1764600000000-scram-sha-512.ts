// SCRAM-SHA-512 keys beside SHA-1 and SHA-256. Existing accounts get none (the password
// is not known): the four columns are null together until the next time the password
// is seen (registration, password change, PLAIN login). The partial index answers
// "does any account still lack them?" (whether SCRAM-SHA-512 may be offered) at once.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class ScramSha5121764600000000 implements MigrationInterface {
  name = 'ScramSha5121764600000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE accounts
        ADD COLUMN sha512_salt bytea,
        ADD COLUMN sha512_iterations int CHECK (sha512_iterations >= 4096),
        ADD COLUMN sha512_stored_key bytea,
        ADD COLUMN sha512_server_key bytea,
        ADD CONSTRAINT accounts_sha512_all_or_none CHECK (
          (sha512_salt IS NULL) = (sha512_iterations IS NULL)
          AND (sha512_salt IS NULL) = (sha512_stored_key IS NULL)
          AND (sha512_salt IS NULL) = (sha512_server_key IS NULL))`);
    await q.query('CREATE INDEX accounts_without_sha512 ON accounts (username) WHERE sha512_salt IS NULL');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX accounts_without_sha512');
    await q.query(`
      ALTER TABLE accounts
        DROP CONSTRAINT accounts_sha512_all_or_none,
        DROP COLUMN sha512_salt,
        DROP COLUMN sha512_iterations,
        DROP COLUMN sha512_stored_key,
        DROP COLUMN sha512_server_key`);
  }
}
