// Configuration of the roster service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the roster service reads. */
export const rosterConfigSpec = {
  ...commonOptions('roster'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
  ROSTER_MAX_ITEMS: opt.int({
    doc: 'Most items in one roster; adding more answers `not-allowed` (roster set, outbound subscribe, pre-approval).',
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  ROSTER_MAX_PENDING_IN: opt.int({
    doc: 'Most unanswered subscription requests kept for one user from contacts not in the roster; more are declined with `unsubscribed`.',
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  ROSTER_MAX_BLOCKED: opt.int({ doc: 'Most entries in one block list (XEP-0191); blocking more answers `not-allowed`.', default: 1000, min: 1, max: 100_000 }),
  ROSTER_MAX_NAME_LENGTH: opt.int({ doc: 'Longest roster item name, in characters (RFC 6121 §2.3.3); longer answers `not-acceptable`.', default: 1023, min: 1, max: 10_000 }),
  ROSTER_MAX_GROUP_LENGTH: opt.int({ doc: 'Longest roster group name, in characters; longer answers `not-acceptable`.', default: 1023, min: 1, max: 10_000 }),
  ROSTER_MAX_GROUPS: opt.int({ doc: 'Most groups on one roster item; more answers `not-acceptable`.', default: 100, min: 1, max: 10_000 }),
  ROSTER_MAX_STATUS_LENGTH: opt.int({ doc: 'Longest status text kept with a pending subscription request, in characters (longer is cut).', default: 1024, min: 0, max: 10_000 }),
  ROSTER_MAX_REQUEST_SIZE: opt.int({
    doc: 'Largest inbound subscription presence kept whole with a pending request or carried with a roster push, in bytes of XML; a larger one is kept as its status text only.',
    default: 16_384,
    min: 256,
    max: 262_144,
  }),
  ROSTER_CHANGE_LOG_SIZE: opt.int({
    doc: 'Changes remembered per user for roster versioning (RFC 6121 §2.6); a client further behind gets the full roster.',
    default: 100,
    min: 1,
    max: 10_000,
  }),
  ROSTER_OUTBOX_INTERVAL: opt.duration({
    doc: 'How often events committed but not yet published (e.g. NATS was briefly down) are retried.',
    default: '5s',
    min: '100ms',
    max: '10m',
  }),
};

/** The roster service's validated configuration. */
export type RosterConfig = ConfigOf<typeof rosterConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadRosterConfig(env: Record<string, string | undefined> = process.env): RosterConfig {
  return loadConfig(rosterConfigSpec, env);
}
