// Configuration of the offline service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the offline service reads. */
export const offlineConfigSpec = {
  ...commonOptions('offline'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
};

/** The offline service's validated configuration. */
export type OfflineConfig = ConfigOf<typeof offlineConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadOfflineConfig(env: Record<string, string | undefined> = process.env): OfflineConfig {
  return loadConfig(offlineConfigSpec, env);
}
