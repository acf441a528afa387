// The janitor's database: used by the app, the migration CLI and tests.
import { serviceDatabaseUrl, ServiceDataSourceOptions } from '@parley/persistence';
import { entities } from './entities';
import { migrations } from './migrations';

/** Data source options of the janitor database (`JANITOR_DATABASE_URL`, else `parley_janitor`). */
export function janitorDataSource(env: Record<string, string | undefined> = process.env, poolSize = 5): ServiceDataSourceOptions {
  return { url: serviceDatabaseUrl('janitor', env), entities, migrations, poolSize };
}
