// The archive moves to the shared transactional outbox (@parley/persistence): events are
// committed with their change in `outbox` and published by the OutboxRelay. Preference
// changes the old per-row outbox had not published yet (published_version < version)
// are queued here, so none is lost by the upgrade. `published_version` is no longer
// written; it stays until no replica of the previous version can run (a later migration
// drops it), since such a replica still writes it during a rolling upgrade.
import { MigrationInterface, QueryRunner } from 'typeorm';
import { ArchiveEvents, ArchivePrefsChangedV1, envelope } from '@parley/contracts';
import { OUTBOX_TABLE_SQL } from '@parley/persistence';

interface PendingRow {
  jid: string;
  default_pref: ArchivePrefsChangedV1['default'];
  always_jids: string[];
  never_jids: string[];
  version: number;
}

export class ArchiveOutbox1764900000000 implements MigrationInterface {
  name = 'ArchiveOutbox1764900000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_TABLE_SQL);
    const pending: PendingRow[] = await q.query('SELECT jid, default_pref, always_jids, never_jids, version FROM archive_prefs WHERE published_version < version ORDER BY jid');
    for (const r of pending) {
      const data: ArchivePrefsChangedV1 = {
        jid: r.jid,
        default: r.default_pref,
        always: r.always_jids,
        never: r.never_jids,
        optedIn: r.default_pref !== 'never' || r.always_jids.length > 0,
        version: r.version,
      };
      await q.query('INSERT INTO outbox (subject, envelope) VALUES ($1, $2)', [ArchiveEvents.prefsChangedFor(r.jid), JSON.stringify(envelope(ArchiveEvents.prefsChanged, data))]);
    }
    await q.query('DROP INDEX IF EXISTS archive_prefs_unpublished');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX IF NOT EXISTS archive_prefs_unpublished ON archive_prefs (jid) WHERE published_version < version');
    await q.query('DROP TABLE IF EXISTS outbox');
  }
}
