// Configuration of the janitor service: typed, bounded, documented (see README).
import { ConfigError, ConfigOf, loadConfig, Option, opt, parseDuration } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** An optional duration: empty (the default) is off. */
function optionalDuration(b: { doc: string; min: string; max: string }): Option<number | undefined> {
  return {
    doc: b.doc,
    defaultRaw: '',
    parse: (raw) => {
      if (raw.trim() === '') return undefined;
      const ms = parseDuration(raw);
      if (ms < parseDuration(b.min)) throw new Error(`"${raw}" is below the minimum ${b.min}`);
      if (ms > parseDuration(b.max)) throw new Error(`"${raw}" is above the maximum ${b.max}`);
      return ms;
    },
  };
}

/** Every option the janitor reads. */
export const janitorConfigSpec = {
  ...commonOptions('janitor'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 5, min: 1, max: 200 }),
  JANITOR_SWEEP_INTERVAL: opt.duration({
    doc:
      "How often the leading janitor replica runs every owner's retention sweep (`<owner>.cmd.sweep`), its own, and the inactivity pass. " +
      'The leader holds a lease in NATS KV for twice this long; every replica must use the same value.',
    default: '1h',
    min: '1s',
    max: '1d',
  }),
  JANITOR_SWEEP_TIMEOUT: opt.duration({ doc: "How long the janitor waits for one owner's sweep to answer.", default: '5m', min: '1s', max: '1h' }),
  ACCOUNT_INACTIVITY: opt.duration({
    doc: 'An account unused this long (no login, no logout, no open session) is deleted through the gateway (reason `inactivity`), unless exempt.',
    default: '365d',
    min: '1s',
    max: '3650d',
  }),
  ACCOUNT_INACTIVITY_NOTICE: optionalDuration({
    doc: 'When set (e.g. `14d`), a message from the server warns the user this long before the deletion, once; the deletion waits until then. Empty: no notice.',
    min: '1s',
    max: '365d',
  }),
  JANITOR_INACTIVITY_BATCH: opt.int({ doc: 'Most accounts asked to be deleted (and most notices sent) in one pass.', default: 500, min: 1, max: 100_000 }),
  JANITOR_INSTANCE_TIMEOUT: opt.duration({
    doc: "A gateway instance silent this long (no heartbeat) is taken as gone: its sessions no longer keep accounts in use.",
    default: '2m',
    min: '1s',
    max: '1d',
  }),
  DELIVERY_LOG_RETENTION: opt.retention({ doc: 'How long the delivery-error log keeps an entry (sender, recipient, kind, reason; never content).', policy: 'deliveryLog', min: '1s' }),
  JANITOR_OUTBOX_INTERVAL: opt.duration({ doc: 'How often events committed but not yet published (sweep-recorded counts; e.g. NATS was briefly down) are retried.', default: '5s', min: '100ms', max: '1h' }),
  JANITOR_REPORT_RETENTION: opt.duration({ doc: 'How long retention-report entries and erasure records (counts and deletion ids only) are kept.', default: '90d', min: '1s', max: '3650d' }),
  JANITOR_STATS_RETENTION: opt.duration({ doc: 'How long daily anonymous statistics (counts only, no JIDs) are kept.', default: '730d', min: '1d', max: '3650d' }),
};

/** The janitor's validated configuration. */
export type JanitorConfig = ConfigOf<typeof janitorConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadJanitorConfig(env: Record<string, string | undefined> = process.env): JanitorConfig {
  const c = loadConfig(janitorConfigSpec, env);
  if (c.ACCOUNT_INACTIVITY_NOTICE !== undefined && c.ACCOUNT_INACTIVITY_NOTICE >= c.ACCOUNT_INACTIVITY)
    throw new ConfigError([`ACCOUNT_INACTIVITY_NOTICE must be shorter than ACCOUNT_INACTIVITY (the notice comes before the deletion)`]);
  return c;
}
