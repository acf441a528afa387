// Configuration of the offline service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { OFFLINE_INBOX } from '@parley/contracts';
import { commonOptions } from '@parley/runtime';

/** Every option the offline service reads. */
export const offlineConfigSpec = {
  ...commonOptions('offline'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
  OFFLINE_STORE_BATCH: opt.int({
    doc: 'Most store commands decided in one database transaction (group commit): those waiting when a transaction starts, in arrival order.',
    default: 100,
    min: 1,
    max: 1000,
  }),
  OFFLINE_STORE_CONCURRENCY: opt.int({
    doc: "Store transactions at once in this process, each for its own share of the users (one user's messages always in one, in arrival order).",
    default: 2,
    min: 1,
    max: 32,
  }),
  OFFLINE_QUOTA: opt.int({
    doc: 'Most messages waiting for one user; past it a message is refused and `offline.evt.delivery-failed` (reason `quota`) is published.',
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  OFFLINE_RETENTION: opt.retention({
    doc: 'Undelivered messages older than this (by arrival time) are deleted by the sweep (`offline.cmd.sweep`, driven by the janitor), silently (no bounce). At most the policy\'s 30d.',
    policy: 'offline',
    min: '1s',
  }),
  OFFLINE_DEDUP_WINDOW: opt.duration({
    doc:
      'How long handled hand-off ids (no content, no JID) and hashed account-deletion markers are kept, so a redelivered ' +
      'or in-flight message is not stored again. Must cover the OFFLINE_INBOX stream max age (12h).',
    default: '1d',
    min: `${Math.ceil(OFFLINE_INBOX.maxAgeMs / 1000)}s`,
    max: '30d',
  }),
  OFFLINE_FETCH_MAX_BYTES: opt.bytes({
    doc: 'Upper bound of one `offline.qry.fetch` reply page (JSON); keep below the NATS max_payload (1MiB by default).',
    default: '512KiB',
    min: 16 * 1024,
    max: 8 * 1024 * 1024,
  }),
  OFFLINE_OUTBOX_INTERVAL: opt.duration({
    doc: 'How often events committed but not yet published (e.g. NATS was briefly down) are retried.',
    default: '5s',
    min: '100ms',
    max: '10m',
  }),
};

/** The offline service's validated configuration. */
export type OfflineConfig = ConfigOf<typeof offlineConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadOfflineConfig(env: Record<string, string | undefined> = process.env): OfflineConfig {
  return loadConfig(offlineConfigSpec, env);
}
