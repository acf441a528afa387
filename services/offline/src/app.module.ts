// The offline service: wiring only.
import { DynamicModule, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { Bus, NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { createLogger, Health, RuntimeModule } from '@parley/runtime';
import { DataSource } from 'typeorm';
import { OfflineConfig } from './config/config';
import { AccountDeletedHandler } from './handlers/account-deleted.handler';
import { AckHandler } from './handlers/ack.handler';
import { CountHandler } from './handlers/count.handler';
import { FetchHandler } from './handlers/fetch.handler';
import { HeadersHandler } from './handlers/headers.handler';
import { PurgeHandler } from './handlers/purge.handler';
import { RemoveHandler } from './handlers/remove.handler';
import { StoreHandler } from './handlers/store.handler';
import { SweepHandler } from './handlers/sweep.handler';
import { OFFLINE_CONFIG } from './handlers/tokens';
import { BusWiring, EVENT_HANDLERS, REQUEST_HANDLERS } from './handlers/wiring';
import { offlineDataSource } from './persistence/data-source';
import { Sweeper } from './retention/sweeper';
import { OFFLINE_STORE } from './store/offline-store';
import { TypeOrmOfflineStore } from './store/typeorm-offline-store';

const requestHandlers = [FetchHandler, CountHandler, HeadersHandler, AckHandler, RemoveHandler, PurgeHandler, SweepHandler];
const eventHandlers = [StoreHandler, AccountDeletedHandler];

@Injectable()
class ReadinessChecks implements OnModuleInit {
  constructor(
    @Inject(Health) private readonly health: Health,
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(Bus) private readonly bus: Bus,
  ) {}
  onModuleInit(): void {
    this.health.addCheck('database', async () => (await this.ds.query('SELECT 1 AS ok')).length === 1);
    this.health.addCheck('nats', () => !this.bus.nc.isClosed());
  }
}

@Module({})
export class AppModule {
  static forRoot(config: OfflineConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('offline'),
        NatsModule.forRoot(() => ({
          url: config.NATS_URL,
          name: `offline-${config.INSTANCE_ID || process.pid}`,
          namespace: config.NATS_NAMESPACE,
          logger: createLogger('offline', env),
        })),
        PersistenceModule.forService(() => ({ ...offlineDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: OFFLINE_CONFIG, useValue: config },
        { provide: OFFLINE_STORE, useFactory: (ds: DataSource) => new TypeOrmOfflineStore(ds), inject: [DataSource] },
        ...requestHandlers,
        ...eventHandlers,
        Sweeper,
        { provide: REQUEST_HANDLERS, useFactory: (...hs: unknown[]) => hs, inject: requestHandlers },
        { provide: EVENT_HANDLERS, useFactory: (...hs: unknown[]) => hs, inject: eventHandlers },
        BusWiring,
        ReadinessChecks,
      ],
    };
  }
}
