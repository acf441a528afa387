// The profile service's database: used by the app, the migration CLI and tests.
import { serviceDatabaseUrl, ServiceDataSourceOptions } from '@parley/persistence';
import { migrations } from './migrations';

/** Data source options of the profile database (hand-written SQL, no entities). */
export function profileDataSource(env: Record<string, string | undefined> = process.env, poolSize = 10): ServiceDataSourceOptions {
  return { url: serviceDatabaseUrl('profile', env), entities: [], migrations, poolSize };
}
