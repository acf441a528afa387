// The offline service's database: used by the app, the migration CLI and tests.
import { serviceDatabaseUrl, ServiceDataSourceOptions } from '@parley/persistence';
import { entities } from './entities';
import { migrations } from './migrations';

/** Data source options of the offline database. */
export function offlineDataSource(env: Record<string, string | undefined> = process.env, poolSize = 10): ServiceDataSourceOptions {
  return { url: serviceDatabaseUrl('offline', env), entities, migrations, poolSize };
}
