// The upload service's database: used by the app, the migration CLI and tests.
import { serviceDatabaseUrl, ServiceDataSourceOptions } from '@parley/persistence';
import { entities } from './entities';
import { migrations } from './migrations';

/** Data source options of the upload database. */
export function uploadDataSource(env: Record<string, string | undefined> = process.env, poolSize = 10): ServiceDataSourceOptions {
  return { url: serviceDatabaseUrl('upload', env), entities, migrations, poolSize };
}
