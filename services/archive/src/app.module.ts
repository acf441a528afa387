// The archive service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { RuntimeModule } from '@parley/runtime';
import { ArchiveConfig } from './config/config';
import { AccountDeletedHandler } from './handlers/account-deleted.handler';
import { LookupHandler } from './handlers/lookup.handler';
import { MetadataHandler } from './handlers/metadata.handler';
import { OptedInHandler } from './handlers/opted-in.handler';
import { PrefsEvents } from './handlers/prefs-events';
import { PrefsHandler } from './handlers/prefs.handler';
import { StoreHandler } from './handlers/store.handler';
import { SweepHandler } from './handlers/sweep.handler';
import { archiveDataSource } from './persistence/data-source';
import { ARCHIVE_STORE } from './store/archive-store';
import { PgArchiveStore } from './store/pg-archive-store';
import { ARCHIVE_CONFIG } from './tokens';
import { ArchiveWorker } from './worker';

@Module({})
export class AppModule {
  static forRoot(config: ArchiveConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('archive'),
        NatsModule.forRoot(() => ({ url: config.NATS_URL, name: `archive-${config.INSTANCE_ID || process.pid}`, namespace: config.NATS_NAMESPACE })),
        PersistenceModule.forService(() => ({ ...archiveDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: ARCHIVE_CONFIG, useValue: config },
        { provide: ARCHIVE_STORE, useClass: PgArchiveStore },
        PrefsEvents,
        PrefsHandler,
        LookupHandler,
        MetadataHandler,
        OptedInHandler,
        SweepHandler,
        StoreHandler,
        AccountDeletedHandler,
        ArchiveWorker,
      ],
    };
  }
}
