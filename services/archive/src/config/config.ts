// Configuration of the archive service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the archive service reads. */
export const archiveConfigSpec = {
  ...commonOptions('archive'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
  ARCHIVE_RETENTION: opt.retention({
    doc: 'How long an archived message is kept (by its timestamp); older ones are deleted by the sweep (`archive.cmd.sweep`, driven by the janitor). At most the policy\'s one month (31d).',
    policy: 'archive',
    default: '30d',
    min: '1s',
  }),
  ARCHIVE_OUTBOX_INTERVAL: opt.duration({
    doc: 'How often events committed but not yet published (preference changes, sweep counts; after a NATS outage) are published again.',
    default: '30s',
    min: '100ms',
    max: '1h',
  }),
  ARCHIVE_PAGE_DEFAULT: opt.int({ doc: 'Items per MAM page when the client sends no RSM `<max/>`.', default: 50, min: 1, max: 1000 }),
  ARCHIVE_PAGE_MAX: opt.int({ doc: 'Largest MAM page the archive returns, whatever the client asks.', default: 250, min: 1, max: 1000 }),
  ARCHIVE_MAX_STANZA_BYTES: opt.bytes({ doc: 'Largest stanza the archive keeps; larger store commands are dropped.', default: '256KiB', min: 1024 }),
  ARCHIVE_PREFS_LIST_MAX: opt.int({ doc: 'Most JIDs in each of the always/never preference lists.', default: 1000, min: 1, max: 100_000 }),
  ARCHIVE_STORE_CONCURRENCY: opt.int({ doc: 'Store commands handled at once by this process.', default: 4, min: 1, max: 64 }),
};

/** The archive service's validated configuration. */
export type ArchiveConfig = ConfigOf<typeof archiveConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadArchiveConfig(env: Record<string, string | undefined> = process.env): ArchiveConfig {
  return loadConfig(archiveConfigSpec, env);
}
