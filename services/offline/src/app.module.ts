// The offline service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { ERASURE_CONFIRMATIONS, GATEWAY_EVENTS, OFFLINE_EVENTS, OFFLINE_INBOX, QueueGroups } from '@parley/contracts';
import { NatsModule } from '@parley/nats';
import { OutboxRelay, outboxProviders, PersistenceModule } from '@parley/persistence';
import { busOptions, createLogger, LOGGER, RunServiceOptions, RuntimeModule } from '@parley/runtime';
import { DataSource } from 'typeorm';
import { OfflineConfig } from './config/config';
import { AccountDeletedHandler } from './handlers/account-deleted.handler';
import { AckHandler } from './handlers/ack.handler';
import { CountHandler } from './handlers/count.handler';
import { FetchHandler } from './handlers/fetch.handler';
import { HeadersHandler } from './handlers/headers.handler';
import { PurgeHandler } from './handlers/purge.handler';
import { RemoveHandler } from './handlers/remove.handler';
import { STORE_DURABLE, StoreHandler } from './handlers/store.handler';
import { StatsHandler } from './handlers/stats.handler';
import { SweepHandler } from './handlers/sweep.handler';
import { OFFLINE_CONFIG } from './handlers/params';
import { offlineDataSource } from './persistence/data-source';
import { Sweeper } from './retention/sweeper';
import { OFFLINE_STORE } from './store/offline-store';
import { TypeOrmOfflineStore } from './store/typeorm-offline-store';

const requestHandlers = [FetchHandler, CountHandler, HeadersHandler, AckHandler, RemoveHandler, PurgeHandler, SweepHandler, StatsHandler];
const eventHandlers = [StoreHandler, AccountDeletedHandler];

/** How the offline service sits on the bus: its queue group, the streams it publishes to or consumes, and the store consumer's batches. */
export function offlineBus(config: Pick<OfflineConfig, 'OFFLINE_STORE_BATCH' | 'OFFLINE_STORE_CONCURRENCY'>): NonNullable<RunServiceOptions['bus']> {
  return {
    queue: QueueGroups.offline,
    streams: [OFFLINE_INBOX, OFFLINE_EVENTS, GATEWAY_EVENTS, ERASURE_CONFIRMATIONS],
    batches: { [STORE_DURABLE]: { max: config.OFFLINE_STORE_BATCH, lanes: config.OFFLINE_STORE_CONCURRENCY } },
  };
}

@Module({})
export class AppModule {
  static forRoot(config: OfflineConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('offline'),
        NatsModule.forRoot(() => busOptions(config, 'offline', createLogger('offline', env))),
        PersistenceModule.forService(() => ({ ...offlineDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: OFFLINE_CONFIG, useValue: config },
        ...outboxProviders(config.OFFLINE_OUTBOX_INTERVAL, LOGGER),
        { provide: OFFLINE_STORE, useFactory: (ds: DataSource, outbox: OutboxRelay) => new TypeOrmOfflineStore(ds, () => outbox.tryFlush()), inject: [DataSource, OutboxRelay] },
        Sweeper,
      ],
      controllers: [...requestHandlers, ...eventHandlers],
    };
  }
}
