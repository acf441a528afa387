// Configuration of the roster service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the roster service reads. */
export const rosterConfigSpec = {
  ...commonOptions('roster'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
};

/** The roster service's validated configuration. */
export type RosterConfig = ConfigOf<typeof rosterConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadRosterConfig(env: Record<string, string | undefined> = process.env): RosterConfig {
  return loadConfig(rosterConfigSpec, env);
}
