// Configuration of the archive service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the archive service reads. */
export const archiveConfigSpec = {
  ...commonOptions('archive'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
};

/** The archive service's validated configuration. */
export type ArchiveConfig = ConfigOf<typeof archiveConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadArchiveConfig(env: Record<string, string | undefined> = process.env): ArchiveConfig {
  return loadConfig(archiveConfigSpec, env);
}
