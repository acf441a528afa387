// Account activity (one row per account, open sessions per gateway instance), handled
// event ids, the delivery-error log, the retention report and daily statistics.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class Janitor1765000000000 implements MigrationInterface {
  name = 'Janitor1765000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account_activity (
        jid text NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL,
        last_logout_at timestamptz,
        exempt boolean NOT NULL DEFAULT false,
        hidden boolean NOT NULL DEFAULT false,
        notice_sent_at timestamptz,
        CONSTRAINT account_activity_pkey PRIMARY KEY (jid)
      )`);
    await q.query('CREATE INDEX account_activity_last_used_idx ON account_activity (last_used_at) WHERE NOT exempt');
    await q.query(`
      CREATE TABLE account_session (
        jid text NOT NULL,
        instance_id text NOT NULL,
        open integer NOT NULL,
        CONSTRAINT account_session_pkey PRIMARY KEY (jid, instance_id),
        CONSTRAINT account_session_jid_fkey FOREIGN KEY (jid) REFERENCES account_activity (jid) ON DELETE CASCADE
      )`);
    await q.query('CREATE INDEX account_session_instance_idx ON account_session (instance_id)');
    await q.query(`
      CREATE TABLE handled_event (
        id text NOT NULL,
        handled_at timestamptz NOT NULL,
        CONSTRAINT handled_event_pkey PRIMARY KEY (id)
      )`);
    await q.query('CREATE INDEX handled_event_handled_idx ON handled_event (handled_at)');
    await q.query(`
      CREATE TABLE delivery_failure (
        seq bigserial NOT NULL,
        event_id text NOT NULL,
        source text NOT NULL,
        from_jid text,
        to_jid text NOT NULL,
        kind text NOT NULL,
        reason text NOT NULL,
        detail text,
        at timestamptz NOT NULL,
        CONSTRAINT delivery_failure_pkey PRIMARY KEY (seq),
        CONSTRAINT delivery_failure_event_key UNIQUE (event_id)
      )`);
    await q.query('CREATE INDEX delivery_failure_at_idx ON delivery_failure (at)');
    await q.query('CREATE INDEX delivery_failure_from_idx ON delivery_failure (from_jid, at)');
    await q.query('CREATE INDEX delivery_failure_to_idx ON delivery_failure (to_jid, at)');
    await q.query(`
      CREATE TABLE retention_report (
        seq bigserial NOT NULL,
        owner text NOT NULL,
        what text NOT NULL,
        deleted bigint NOT NULL,
        cutoff timestamptz,
        oldest_remaining timestamptz,
        error text,
        at timestamptz NOT NULL,
        CONSTRAINT retention_report_pkey PRIMARY KEY (seq)
      )`);
    await q.query('CREATE INDEX retention_report_at_idx ON retention_report (at)');
    await q.query('CREATE INDEX retention_report_owner_idx ON retention_report (owner, what, at)');
    await q.query(`
      CREATE TABLE daily_stat (
        day date NOT NULL,
        name text NOT NULL,
        value bigint NOT NULL,
        CONSTRAINT daily_stat_pkey PRIMARY KEY (day, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['daily_stat', 'retention_report', 'delivery_failure', 'handled_event', 'account_session', 'account_activity']) await q.query(`DROP TABLE ${t}`);
  }
}
