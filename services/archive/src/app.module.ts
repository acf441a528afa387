// The archive service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { ERASURE_CONFIRMATIONS, ARCHIVE_EVENTS, ARCHIVE_INBOX, ARCHIVE_PREFS, Durables, GATEWAY_EVENTS, QueueGroups } from '@parley/contracts';
import { NatsModule } from '@parley/nats';
import { OutboxRelay, outboxProviders, PersistenceModule } from '@parley/persistence';
import { busOptions, LOGGER, RunServiceOptions, RuntimeModule } from '@parley/runtime';
import { DataSource } from 'typeorm';
import { ArchiveConfig } from './config/config';
import { AccountDeletedHandler } from './handlers/account-deleted.handler';
import { LookupHandler } from './handlers/lookup.handler';
import { MetadataHandler } from './handlers/metadata.handler';
import { OptedInHandler } from './handlers/opted-in.handler';
import { PrefsHandler } from './handlers/prefs.handler';
import { StoreHandler } from './handlers/store.handler';
import { StatsHandler } from './handlers/stats.handler';
import { SweepHandler } from './handlers/sweep.handler';
import { archiveDataSource } from './persistence/data-source';
import { ARCHIVE_STORE } from './store/archive-store';
import { PgArchiveStore } from './store/pg-archive-store';
import { ARCHIVE_CONFIG } from './tokens';

/** The streams the archive provisions. */
export const ARCHIVE_STREAMS = [ARCHIVE_INBOX, ARCHIVE_EVENTS, ARCHIVE_PREFS, GATEWAY_EVENTS, ERASURE_CONFIRMATIONS];

/** How the archive sits on the bus: queue group, streams, and the store consumer's configured concurrency. */
export function archiveBus(config: ArchiveConfig): NonNullable<RunServiceOptions['bus']> {
  return { queue: QueueGroups.archive, streams: ARCHIVE_STREAMS, concurrency: { [Durables.archiveStore]: config.ARCHIVE_STORE_CONCURRENCY } };
}

@Module({})
export class AppModule {
  static forRoot(config: ArchiveConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('archive'),
        NatsModule.forRoot(() => busOptions(config, 'archive')),
        PersistenceModule.forService(() => ({ ...archiveDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: ARCHIVE_CONFIG, useValue: config },
        ...outboxProviders(config.ARCHIVE_OUTBOX_INTERVAL, LOGGER),
        { provide: ARCHIVE_STORE, useFactory: (ds: DataSource, outbox: OutboxRelay) => new PgArchiveStore(ds, () => outbox.tryFlush()), inject: [DataSource, OutboxRelay] },
      ],
      controllers: [
        PrefsHandler,
        LookupHandler,
        MetadataHandler,
        OptedInHandler,
        SweepHandler,
        StatsHandler,
        StoreHandler,
        AccountDeletedHandler,
      ],
    };
  }
}
