// How many messages each owner's archive holds, kept by triggers on archive_messages, so
// that the RSM <count/> of an unfiltered MAM query (XEP-0313, XEP-0059) is one row read
// instead of an index scan over the whole archive (about 20 ms per 100 000 messages).
// Statement-level triggers with transition tables keep it exact for every writer —
// inserts, the retention sweep, erasure, and replicas of an older version during a
// rolling upgrade alike. An owner's row goes when its last message does.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class ArchiveCounts1765000000000 implements MigrationInterface {
  name = 'ArchiveCounts1765000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE archive_counts (owner text PRIMARY KEY, n bigint NOT NULL CHECK (n > 0))`);
    await q.query(`
      CREATE FUNCTION archive_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO archive_counts (owner, n) SELECT owner, count(*) FROM archive_new_rows GROUP BY owner
        ON CONFLICT (owner) DO UPDATE SET n = archive_counts.n + EXCLUDED.n;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION archive_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM archive_counts c USING (SELECT owner, count(*) AS k FROM archive_old_rows GROUP BY owner) d
          WHERE c.owner = d.owner AND c.n <= d.k;
        UPDATE archive_counts c SET n = c.n - d.k FROM (SELECT owner, count(*) AS k FROM archive_old_rows GROUP BY owner) d
          WHERE c.owner = d.owner;
        RETURN NULL;
      END $$`);
    // no writer while the counts are filled in, then the triggers keep them
    await q.query('LOCK TABLE archive_messages IN SHARE ROW EXCLUSIVE MODE');
    await q.query(
      'CREATE TRIGGER archive_counts_inserted AFTER INSERT ON archive_messages REFERENCING NEW TABLE AS archive_new_rows FOR EACH STATEMENT EXECUTE FUNCTION archive_counts_inserted()',
    );
    await q.query(
      'CREATE TRIGGER archive_counts_deleted AFTER DELETE ON archive_messages REFERENCING OLD TABLE AS archive_old_rows FOR EACH STATEMENT EXECUTE FUNCTION archive_counts_deleted()',
    );
    await q.query('INSERT INTO archive_counts (owner, n) SELECT owner, count(*) FROM archive_messages GROUP BY owner');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER archive_counts_deleted ON archive_messages');
    await q.query('DROP TRIGGER archive_counts_inserted ON archive_messages');
    await q.query('DROP FUNCTION archive_counts_deleted()');
    await q.query('DROP FUNCTION archive_counts_inserted()');
    await q.query('DROP TABLE archive_counts');
  }
}
