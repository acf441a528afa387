// How many messages each user has waiting, kept by triggers on offline_message, so that a
// batch of hand-offs reads its recipients' quota counts from one row each instead of
// counting their stored messages (which grew with the backlog: the store slowed down as
// it filled), and the totals of `offline.qry.stats` are a sum over users, not a scan.
// Statement-level triggers with transition tables keep the counts exact for every writer
// — the store, delivery acks, XEP-0013 removal, the retention sweep, erasure, and
// replicas of an older version during a rolling upgrade alike. Rows of several users are
// always locked in user order (INSERT … ORDER BY, SELECT … ORDER BY … FOR UPDATE before
// the update), so a batch and a sweep touching the same users cannot deadlock. A user's
// row goes when the last message does.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class OfflineCounts1765200000000 implements MigrationInterface {
  name = 'OfflineCounts1765200000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE offline_counts (user_jid text PRIMARY KEY, n bigint NOT NULL CHECK (n > 0))`);
    await q.query(`
      CREATE FUNCTION offline_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO offline_counts (user_jid, n) SELECT user_jid, count(*) FROM offline_new_rows GROUP BY user_jid ORDER BY user_jid
        ON CONFLICT (user_jid) DO UPDATE SET n = offline_counts.n + EXCLUDED.n;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION offline_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM offline_counts WHERE user_jid IN (SELECT DISTINCT user_jid FROM offline_old_rows) ORDER BY user_jid FOR UPDATE;
        DELETE FROM offline_counts c USING (SELECT user_jid, count(*) AS k FROM offline_old_rows GROUP BY user_jid) d
          WHERE c.user_jid = d.user_jid AND c.n <= d.k;
        UPDATE offline_counts c SET n = c.n - d.k FROM (SELECT user_jid, count(*) AS k FROM offline_old_rows GROUP BY user_jid) d
          WHERE c.user_jid = d.user_jid;
        RETURN NULL;
      END $$`);
    // no writer while the counts are filled in, then the triggers keep them
    await q.query('LOCK TABLE offline_message IN SHARE ROW EXCLUSIVE MODE');
    await q.query(
      'CREATE TRIGGER offline_counts_inserted AFTER INSERT ON offline_message REFERENCING NEW TABLE AS offline_new_rows FOR EACH STATEMENT EXECUTE FUNCTION offline_counts_inserted()',
    );
    await q.query(
      'CREATE TRIGGER offline_counts_deleted AFTER DELETE ON offline_message REFERENCING OLD TABLE AS offline_old_rows FOR EACH STATEMENT EXECUTE FUNCTION offline_counts_deleted()',
    );
    await q.query('INSERT INTO offline_counts (user_jid, n) SELECT user_jid, count(*) FROM offline_message GROUP BY user_jid');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER offline_counts_deleted ON offline_message');
    await q.query('DROP TRIGGER offline_counts_inserted ON offline_message');
    await q.query('DROP FUNCTION offline_counts_deleted()');
    await q.query('DROP FUNCTION offline_counts_inserted()');
    await q.query('DROP TABLE offline_counts');
  }
}
