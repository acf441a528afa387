// Archive tables: messages (one row per archived message per owner) and preferences.
// Messages are ordered by (ts, seq): chronological, ties broken by arrival. Every page
// query is an index range scan on (owner, ts, seq) or (owner, with_bare, ts, seq);
// the external id (XEP-0359 stanza-id, made by the gateway) is unique per owner.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Archive1764000000000 implements MigrationInterface {
  name = 'Archive1764000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE archive_messages (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        owner text NOT NULL,
        stanza_id text NOT NULL CHECK (length(stanza_id) BETWEEN 1 AND 128),
        ts timestamptz NOT NULL,
        with_bare text NOT NULL,
        with_full text NOT NULL,
        direction char(1) NOT NULL CHECK (direction IN ('i', 'o')),
        stanza text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE UNIQUE INDEX archive_messages_owner_stanza_id ON archive_messages (owner, stanza_id)');
    await q.query('CREATE INDEX archive_messages_owner_ts_seq ON archive_messages (owner, ts, seq)');
    await q.query('CREATE INDEX archive_messages_owner_with_ts_seq ON archive_messages (owner, with_bare, ts, seq)');
    await q.query('CREATE INDEX archive_messages_ts ON archive_messages (ts)');
    await q.query(`
      CREATE TABLE archive_prefs (
        jid text PRIMARY KEY,
        default_pref text NOT NULL CHECK (default_pref IN ('always', 'never', 'roster')),
        always_jids text[] NOT NULL DEFAULT '{}',
        never_jids text[] NOT NULL DEFAULT '{}',
        version integer NOT NULL DEFAULT 1,
        published_version integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX archive_prefs_opted_in ON archive_prefs (jid) WHERE default_pref <> 'never' OR cardinality(always_jids) > 0`);
    await q.query('CREATE INDEX archive_prefs_unpublished ON archive_prefs (jid) WHERE published_version < version');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE archive_prefs');
    await q.query('DROP TABLE archive_messages');
  }
}
