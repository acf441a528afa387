// The gateway's database: used by the app, the admin CLI, the migration CLI and tests.
import { serviceDatabaseUrl, ServiceDataSourceOptions } from '@parley/persistence';
import { entities } from './entities';
import { migrations } from './migrations';

/** Data source options of the gateway database. */
export function gatewayDataSource(env: Record<string, string | undefined> = process.env, poolSize = 10): ServiceDataSourceOptions {
  return { url: serviceDatabaseUrl('gateway', env), entities, migrations, poolSize };
}
