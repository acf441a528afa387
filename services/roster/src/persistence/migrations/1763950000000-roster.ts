// Roster schema: entries (roster items and pending inbound requests), per-user
// version and bounded change log (RFC 6121 §2.6), block list (XEP-0191), and the
// outbox of events committed with the change they describe.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Roster1763950000000 implements MigrationInterface {
  name = 'Roster1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE roster_item (
        owner text NOT NULL,
        contact text NOT NULL,
        in_roster boolean NOT NULL,
        name text,
        groups text[] NOT NULL DEFAULT '{}',
        subscription text NOT NULL DEFAULT 'none' CHECK (subscription IN ('none', 'to', 'from', 'both')),
        pending_out boolean NOT NULL DEFAULT false,
        pending_in boolean NOT NULL DEFAULT false,
        pending_in_status text,
        approved boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, contact),
        CHECK (in_roster OR pending_in)
      )`);
    // Account deletion finds every roster that holds the deleted user, as a bare or full JID.
    await q.query(`CREATE INDEX roster_item_contact_bare_idx ON roster_item (split_part(contact, '/', 1))`);
    await q.query(`
      CREATE TABLE roster_version (
        owner text PRIMARY KEY,
        ver bigint NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE roster_change (
        owner text NOT NULL,
        ver bigint NOT NULL,
        contact text NOT NULL,
        item jsonb NOT NULL,
        PRIMARY KEY (owner, ver)
      )`);
    await q.query(`
      CREATE TABLE blocked_jid (
        owner text NOT NULL,
        jid text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, jid)
      )`);
    await q.query(`
      CREATE TABLE outbox (
        seq bigserial PRIMARY KEY,
        subject text NOT NULL,
        envelope jsonb NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox');
    await q.query('DROP TABLE blocked_jid');
    await q.query('DROP TABLE roster_change');
    await q.query('DROP TABLE roster_version');
    await q.query('DROP TABLE roster_item');
  }
}
