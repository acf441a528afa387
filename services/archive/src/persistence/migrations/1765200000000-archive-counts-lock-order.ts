// The archive_counts triggers lock the counters of several owners in owner order, as the
// offline counts do: before, a statement inserting for several owners and a sweep or
// erasure deleting for several could lock the same counters in opposite orders and
// deadlock (Postgres then aborts one of them).
import { MigrationInterface, QueryRunner } from 'typeorm';

export class ArchiveCountsLockOrder1765200000000 implements MigrationInterface {
  name = 'ArchiveCountsLockOrder1765200000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION archive_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO archive_counts (owner, n) SELECT owner, count(*) FROM archive_new_rows GROUP BY owner ORDER BY owner
        ON CONFLICT (owner) DO UPDATE SET n = archive_counts.n + EXCLUDED.n;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION archive_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM archive_counts WHERE owner IN (SELECT DISTINCT owner FROM archive_old_rows) ORDER BY owner FOR UPDATE;
        DELETE FROM archive_counts c USING (SELECT owner, count(*) AS k FROM archive_old_rows GROUP BY owner) d
          WHERE c.owner = d.owner AND c.n <= d.k;
        UPDATE archive_counts c SET n = c.n - d.k FROM (SELECT owner, count(*) AS k FROM archive_old_rows GROUP BY owner) d
          WHERE c.owner = d.owner;
        RETURN NULL;
      END $$`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION archive_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO archive_counts (owner, n) SELECT owner, count(*) FROM archive_new_rows GROUP BY owner
        ON CONFLICT (owner) DO UPDATE SET n = archive_counts.n + EXCLUDED.n;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION archive_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM archive_counts c USING (SELECT owner, count(*) AS k FROM archive_old_rows GROUP BY owner) d
          WHERE c.owner = d.owner AND c.n <= d.k;
        UPDATE archive_counts c SET n = c.n - d.k FROM (SELECT owner, count(*) AS k FROM archive_old_rows GROUP BY owner) d
          WHERE c.owner = d.owner;
        RETURN NULL;
      END $$`);
  }
}
