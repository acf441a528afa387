// Profile tables: vCards (XEP-0054) with the avatar hash (XEP-0153), private XML per
// namespace (XEP-0049), PEP nodes and items (XEP-0163) on each account's bare JID, and
// the verified entity-capabilities cache (XEP-0115, about client software, no JIDs).
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Profile1765000000000 implements MigrationInterface {
  name = 'Profile1765000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vcards (
        owner text PRIMARY KEY,
        xml text NOT NULL,
        photo_hash text NOT NULL DEFAULT '',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE private_xml (
        owner text NOT NULL,
        ns text NOT NULL,
        xml text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, ns)
      )`);
    await q.query(`
      CREATE TABLE pep_nodes (
        owner text NOT NULL,
        node text NOT NULL,
        access_model text NOT NULL CHECK (access_model IN ('open', 'presence', 'roster', 'whitelist')),
        max_items integer NOT NULL CHECK (max_items > 0),
        persist_items boolean NOT NULL,
        send_last text NOT NULL,
        roster_groups text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, node)
      )`);
    await q.query(`
      CREATE TABLE pep_items (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        owner text NOT NULL,
        node text NOT NULL,
        item_id text NOT NULL,
        payload text,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, node, item_id),
        FOREIGN KEY (owner, node) REFERENCES pep_nodes (owner, node) ON DELETE CASCADE
      )`);
    await q.query('CREATE INDEX pep_items_latest ON pep_items (owner, node, seq DESC)');
    await q.query(`
      CREATE TABLE caps_cache (
        key text PRIMARY KEY,
        features text[] NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX caps_cache_seen ON caps_cache (seen_at)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE caps_cache');
    await q.query('DROP TABLE pep_items');
    await q.query('DROP TABLE pep_nodes');
    await q.query('DROP TABLE private_xml');
    await q.query('DROP TABLE vcards');
  }
}
