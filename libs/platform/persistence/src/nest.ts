// NestJS wiring: a service's TypeORM connection, its database created and migrated
// before the app accepts work.
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MixedList, EntitySchema } from 'typeorm';
import { dataSourceOptions, ensureDatabase, migrateDatabase } from './database';

/** What {@link PersistenceModule.forService} needs. */
export interface ServicePersistence {
  /** Database URL (see serviceDatabaseUrl). */
  url: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  poolSize?: number;
}

@Module({})
export class PersistenceModule {
  /** The service's TypeORM root connection; use TypeOrmModule.forFeature for repositories. */
  static forService(factory: () => ServicePersistence): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            const p = factory();
            if (p.migrate ?? true) await migrateDatabase(p);
            else await ensureDatabase(p.url);
            return dataSourceOptions(p);
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
