// The janitor service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { ARCHIVE_EVENTS, ERASURE_CONFIRMATIONS, GATEWAY_DELIVERY_FAILURES, GATEWAY_EVENTS, JANITOR_EVENTS, OFFLINE_EVENTS, QueueGroups } from '@parley/contracts';
import { NatsModule } from '@parley/nats';
import { OutboxRelay, outboxProviders, PersistenceModule } from '@parley/persistence';
import { createLogger, LOGGER, RunServiceOptions, RuntimeModule, busOptions } from '@parley/runtime';
import { DataSource } from 'typeorm';
import { JanitorConfig } from './config/config';
import { Housekeeper } from './domain/housekeeper';
import { GatewayInstances } from './domain/instances';
import { JanitorMetrics } from './domain/metrics';
import { ActivityHandler } from './handlers/activity.handler';
import { DeliveryFailuresHandler } from './handlers/delivery-failures.handler';
import { ErasuresHandler } from './handlers/erasures.handler';
import { QueriesHandler } from './handlers/queries.handler';
import { janitorDataSource } from './persistence/data-source';
import { JANITOR_STORE } from './store/janitor-store';
import { PgJanitorStore } from './store/pg-janitor-store';
import { JANITOR_CONFIG } from './tokens';

/** How the janitor sits on the bus: its queue group and the streams it consumes or publishes to. */
export const JANITOR_BUS: NonNullable<RunServiceOptions['bus']> = {
  queue: QueueGroups.janitor,
  streams: [GATEWAY_EVENTS, GATEWAY_DELIVERY_FAILURES, OFFLINE_EVENTS, ARCHIVE_EVENTS, JANITOR_EVENTS, ERASURE_CONFIRMATIONS],
};

@Module({})
export class AppModule {
  static forRoot(config: JanitorConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('janitor'),
        NatsModule.forRoot(() => busOptions(config, 'janitor', createLogger('janitor', env))),
        PersistenceModule.forService(() => ({ ...janitorDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [{ provide: JANITOR_CONFIG, useValue: config }, ...outboxProviders(config.JANITOR_OUTBOX_INTERVAL, LOGGER), { provide: JANITOR_STORE, useFactory: (ds: DataSource, outbox: OutboxRelay) => new PgJanitorStore(ds, () => outbox.tryFlush()), inject: [DataSource, OutboxRelay] }, JanitorMetrics, GatewayInstances, Housekeeper],
      controllers: [QueriesHandler, ActivityHandler, DeliveryFailuresHandler, ErasuresHandler],
    };
  }
}
